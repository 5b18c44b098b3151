// Pure helpers of the gateway screen: faults from the form and back into
// words, and the parts of a status line.

import type { Fault, FaultKind, ListenerStatus } from './types';

/** The fault form's fields; `value` is the delay, status code or header name. */
export interface FaultForm {
  kind: FaultKind;
  value: string;
}

export const FAULT_KINDS: { kind: FaultKind; label: string; value: string | null }[] = [
  { kind: 'delay', label: 'Delay', value: 'ms' },
  { kind: 'hold', label: 'Hold until timeout', value: null },
  { kind: 'drop', label: 'Drop the connection', value: null },
  { kind: 'status', label: 'Respond with status', value: 'code' },
  { kind: 'tamper-body', label: 'Tamper the body', value: null },
  { kind: 'strip-header', label: 'Strip header', value: 'name' },
  { kind: 'replace-token', label: 'Replace the token', value: null },
];

/** Header names as RFC 9110 allows them: one or more token characters. */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Builds the fault the form describes, or the reason it is invalid. The
 * service checks again; this only saves a round trip for obvious mistakes.
 */
export function faultFromForm(form: FaultForm): { fault: Fault } | { error: string } {
  const value = form.value.trim();
  switch (form.kind) {
    case 'delay': {
      if (!/^\d+$/.test(value)) return { error: 'Enter the delay in whole milliseconds, such as 500.' };
      return { fault: { kind: 'delay', ms: Number(value) } };
    }
    case 'status': {
      const code = Number(value);
      if (!/^\d{3}$/.test(value) || code < 100 || code > 599) {
        return { error: 'Enter an HTTP status code from 100 to 599, such as 503.' };
      }
      return { fault: { kind: 'status', code } };
    }
    case 'strip-header':
      if (!HEADER_NAME.test(value)) return { error: 'Enter a header name, such as Content-Digest.' };
      return { fault: { kind: 'strip-header', name: value } };
    default:
      return { fault: { kind: form.kind } as Fault };
  }
}

/** Describes a fault in the words `hopscope gateway run` prints. */
export function describeFault(fault: Fault | null): string {
  if (!fault) return 'none';
  switch (fault.kind) {
    case 'delay':
      return `delay ${fault.ms} ms`;
    case 'hold':
      return 'hold until timeout';
    case 'drop':
      return 'drop the connection';
    case 'status':
      return `answer status ${fault.code}`;
    case 'tamper-body':
      return 'tamper the response body';
    case 'strip-header':
      return `strip response header ${fault.name}`;
    case 'replace-token':
      return 'replace the access token';
  }
}

/** Shortens a hex SHA-256 fingerprint to its first 8 bytes; the title shows it whole. */
export function shortFingerprint(fingerprint: string): string {
  return fingerprint.length > 16 ? `${fingerprint.slice(0, 16)}…` : fingerprint;
}

/** Splits the listeners into the intermediaries, which take faults, and the destinations. */
export function splitListeners(listeners: ListenerStatus[]): {
  intermediaries: ListenerStatus[];
  destinations: ListenerStatus[];
} {
  return {
    intermediaries: listeners.filter((l) => l.kind !== 'destination'),
    destinations: listeners.filter((l) => l.kind === 'destination'),
  };
}
