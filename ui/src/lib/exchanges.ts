// Pure helpers of the exchange list: decoding the rows the service sends,
// merging a refresh into the list, the filters, and the text of the cells.

import type { ExchangeRow, RawExchangeRow, RowVerdict, VerdictBadgeValue } from './exchangeTypes';

/** Rows the list keeps: the workspace keeps the newest 100,000 exchanges. */
export const MAX_ROWS = 100_000;

/**
 * Rows sent again on every refresh, newest first, so that hop records and
 * verdicts that arrive after a row first appeared reach it.
 */
export const REFRESH_ROWS = 256;

export function decodeRow(raw: RawExchangeRow): ExchangeRow {
  const [id, exchange_id, started_at_ms, originator, destination, method, target, status, duration_ms, hops, state, failed_hop, failed_checks] =
    raw;
  return {
    id,
    exchange_id,
    started_at_ms,
    originator,
    destination,
    method,
    target,
    status,
    duration_ms,
    hops,
    verdict: { state, failed_hop, failed_checks: failed_checks === '' ? [] : failed_checks.split(',') },
    search: `${method} ${target}`.toLowerCase(),
  };
}

/**
 * Returns the row id to ask for rows after on a refresh: the id of the
 * `REFRESH_ROWS`-th newest row, so those rows are sent again, or 0 for a
 * short list.
 */
export function refreshAfter(rows: ExchangeRow[]): number {
  if (rows.length < REFRESH_ROWS) return 0;
  return rows[REFRESH_ROWS - 1].id;
}

/**
 * Merges the rows of a refresh (every row above `after`, newest first) into
 * `rows` (newest first): the fetched rows replace those above `after`, and
 * the list keeps at most `MAX_ROWS`.
 */
export function mergeRows(rows: ExchangeRow[], fetched: ExchangeRow[], after: number, max = MAX_ROWS): ExchangeRow[] {
  const older = rows.filter((row) => row.id <= after);
  const merged = fetched.concat(older);
  return merged.length > max ? merged.slice(0, max) : merged;
}

/** Puts verdicts into the rows they belong to; returns how many rows changed. */
export function applyVerdicts(rows: ExchangeRow[], verdicts: RowVerdict[]): number {
  if (verdicts.length === 0) return 0;
  const byId = new Map(verdicts.map((v) => [v.id, v]));
  let changed = 0;
  for (const row of rows) {
    const verdict = byId.get(row.id);
    if (!verdict) continue;
    row.verdict = { state: verdict.state, failed_hop: verdict.failed_hop, failed_checks: verdict.failed_checks };
    changed += 1;
  }
  return changed;
}

export type StatusClass = 'all' | '1xx' | '2xx' | '3xx' | '4xx' | '5xx' | 'none';

export const STATUS_CLASSES: { value: StatusClass; label: string }[] = [
  { value: 'all', label: 'All statuses' },
  { value: '2xx', label: '2xx success' },
  { value: '3xx', label: '3xx redirect' },
  { value: '4xx', label: '4xx client error' },
  { value: '5xx', label: '5xx server error' },
  { value: '1xx', label: '1xx informational' },
  { value: 'none', label: 'No response' },
];

/** Originator filter value for exchanges no originator simulator sent. */
export const OTHER_CLIENTS = '(other clients)';

export interface ExchangeFilter {
  /** Destination name, or '' for all. */
  destination: string;
  /** Originator name, `OTHER_CLIENTS`, or '' for all. */
  originator: string;
  status: StatusClass;
  failedOnly: boolean;
  /** Free text over path, method and exchange id, and (through
   * `headerMatches`) headers. */
  text: string;
}

export const NO_FILTER: ExchangeFilter = { destination: '', originator: '', status: 'all', failedOnly: false, text: '' };

export function statusClass(status: number | null): StatusClass {
  if (status === null) return 'none';
  const hundreds = Math.floor(status / 100);
  return hundreds >= 1 && hundreds <= 5 ? (`${hundreds}xx` as StatusClass) : 'none';
}

/**
 * Returns the rows that pass every filter, in list order. A row passes the
 * text filter when its path, method or exchange id contains the text
 * (ignoring case), or when its id is in `headerMatches`, the result of the
 * header search for the same text.
 */
export function filterRows(rows: ExchangeRow[], filter: ExchangeFilter, headerMatches: Set<number> | null = null): ExchangeRow[] {
  const text = filter.text.trim().toLowerCase();
  const unfiltered = !filter.destination && !filter.originator && filter.status === 'all' && !filter.failedOnly && !text;
  if (unfiltered) return rows;
  const out: ExchangeRow[] = [];
  for (const row of rows) {
    if (filter.destination && row.destination !== filter.destination) continue;
    if (filter.originator) {
      const originator = row.originator ?? OTHER_CLIENTS;
      if (originator !== filter.originator) continue;
    }
    if (filter.status !== 'all' && statusClass(row.status) !== filter.status) continue;
    if (filter.failedOnly && row.verdict.state !== 'failed') continue;
    if (text && !row.search.includes(text) && !row.exchange_id.includes(text) && !(headerMatches?.has(row.id) ?? false)) {
      continue;
    }
    out.push(row);
  }
  return out;
}

/** Returns the distinct destinations and originators of the rows, sorted. */
export function facets(rows: ExchangeRow[]): { destinations: string[]; originators: string[] } {
  const destinations = new Set<string>();
  const originators = new Set<string>();
  for (const row of rows) {
    if (row.destination) destinations.add(row.destination);
    originators.add(row.originator ?? OTHER_CLIENTS);
  }
  return { destinations: [...destinations].sort(), originators: [...originators].sort() };
}

/** Formats a start time as local `HH:MM:SS.mmm`; the title shows the date. */
export function formatTime(ms: number): string {
  const at = new Date(ms);
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${pad(at.getHours())}:${pad(at.getMinutes())}:${pad(at.getSeconds())}.${pad(at.getMilliseconds(), 3)}`;
}

/** Formats a duration in milliseconds with sensible precision. */
export function formatDuration(ms: number): string {
  if (ms < 10) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${ms.toFixed(1)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

/** Words for a verdict badge, so colour is never the only signal. */
export function verdictText(verdict: VerdictBadgeValue): string {
  switch (verdict.state) {
    case 'passed':
      return 'passed';
    case 'failed':
      return verdict.failed_hop ? `failed at ${verdict.failed_hop}` : 'failed';
    case 'unjudged':
      return 'not judged';
  }
}
