// Pure helpers of the trust list editor: labels of entries and changes,
// the look of a decision's checks, and the evaluation time field.

import type { AnchorSource, CheckOutcome, DenyMatch, EntryKind, TrustListChange } from './types';

const KIND_LABELS: Record<EntryKind, string> = { anchor: 'anchor', pinned: 'pinned', denied: 'denied' };

/** "SAN URI https://…", as the CLI prints a deny rule. */
export function denyRuleText(rule: DenyMatch): string {
  switch (rule.kind) {
    case 'certificate':
      return `certificate SHA-256 ${rule.sha256_fingerprint}`;
    case 'spki':
      return `SPKI SHA-256 ${rule.spki_sha256}`;
    case 'san_uri':
      return `SAN URI ${rule.uri}`;
  }
}

export function anchorSourceText(source: AnchorSource): string {
  return source.kind === 'authority' ? `authority ${source.name}` : 'imported certificate';
}

/** One line of a diff: a sign (+, − or ~), the kind of change and the text. */
export interface ChangeLine {
  sign: '+' | '−' | '~';
  tone: 'added' | 'removed' | 'changed';
  text: string;
}

export function changeLine(change: TrustListChange): ChangeLine {
  const kind = KIND_LABELS[change.kind];
  switch (change.change) {
    case 'added':
      return { sign: '+', tone: 'added', text: `${kind} ${change.id}: ${change.label}` };
    case 'removed':
      return { sign: '−', tone: 'removed', text: `${kind} ${change.id}: ${change.label}` };
    case 'note_changed':
      return { sign: '~', tone: 'changed', text: `${kind} ${change.id}: note “${change.from}” → “${change.to}”` };
  }
}

/** Icon, word and colour class of a check outcome; the icon and word make colour redundant. */
export interface OutcomeLook {
  icon: string;
  word: string;
  tone: 'ok' | 'fail' | 'na';
}

export function outcomeLook(outcome: CheckOutcome): OutcomeLook {
  switch (outcome) {
    case 'pass':
      return { icon: '✓', word: 'pass', tone: 'ok' };
    case 'fail':
      return { icon: '✕', word: 'fail', tone: 'fail' };
    case 'not_applicable':
      return { icon: '–', word: 'not applicable', tone: 'na' };
  }
}

/** The evaluation time field: empty means now, otherwise an RFC 3339 instant. */
export interface EvaluationTime {
  value: string | null;
  error: string | null;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

export function evaluationTime(text: string): EvaluationTime {
  const trimmed = text.trim();
  if (trimmed === '') return { value: null, error: null };
  if (!RFC3339.test(trimmed) || Number.isNaN(Date.parse(trimmed.replace(' ', 'T')))) {
    return { value: null, error: `“${trimmed}” is not an RFC 3339 time; write it like 2027-01-31T12:00:00Z` };
  }
  return { value: trimmed.replace(' ', 'T'), error: null };
}

/** Versions to offer in the diff pickers, oldest first, with 0 for the empty list. */
export function diffChoices(versions: number[]): number[] {
  return [0, ...[...versions].sort((a, b) => a - b)];
}
