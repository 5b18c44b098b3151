import { describe, expect, it } from 'vitest';
import {
  NO_FILTER,
  OTHER_CLIENTS,
  REFRESH_ROWS,
  applyVerdicts,
  decodeRow,
  facets,
  filterRows,
  mergeRows,
  refreshAfter,
  statusClass,
  verdictText,
} from './exchanges';
import type { ExchangeRow, RawExchangeRow } from './exchangeTypes';

function raw(id: number, overrides: Partial<Record<string, unknown>> = {}): RawExchangeRow {
  const row = {
    exchange_id: `x${id}`,
    started_at_ms: 1_700_000_000_000 + id,
    originator: 'clinic-a',
    destination: 'd-corp',
    method: 'GET',
    target: '/d-corp/metadata',
    status: 200,
    duration_ms: 5,
    hops: 4,
    verdict: 'passed',
    failed_hop: null,
    failed_checks: '',
    ...overrides,
  };
  return [
    id,
    row.exchange_id,
    row.started_at_ms,
    row.originator,
    row.destination,
    row.method,
    row.target,
    row.status,
    row.duration_ms,
    row.hops,
    row.verdict,
    row.failed_hop,
    row.failed_checks,
  ] as RawExchangeRow;
}

/** Rows with ids count down to 1, newest first, as the service sends them. */
function rows(count: number): ExchangeRow[] {
  return Array.from({ length: count }, (_, i) => decodeRow(raw(count - i)));
}

describe('decodeRow', () => {
  it('splits the failed checks', () => {
    const row = decodeRow(raw(1, { verdict: 'failed', failed_hop: 'int-two', failed_checks: 'body-unchanged,signature-valid' }));
    expect(row.verdict).toEqual({ state: 'failed', failed_hop: 'int-two', failed_checks: ['body-unchanged', 'signature-valid'] });
  });

  it('keeps no failed check for a pass', () => {
    expect(decodeRow(raw(1)).verdict.failed_checks).toEqual([]);
  });
});

describe('refresh and merge', () => {
  it('asks for every row of a short list', () => {
    expect(refreshAfter(rows(10))).toBe(0);
  });

  it('asks again for the newest rows of a long list', () => {
    const list = rows(REFRESH_ROWS + 10);
    expect(refreshAfter(list)).toBe(list[REFRESH_ROWS - 1].id);
  });

  it('replaces refreshed rows and adds new ones on top', () => {
    const list = rows(5);
    const fetched = [decodeRow(raw(7)), decodeRow(raw(6)), decodeRow(raw(5, { verdict: 'failed' })), decodeRow(raw(4))];
    const merged = mergeRows(list, fetched, 3);
    expect(merged.map((r) => r.id)).toEqual([7, 6, 5, 4, 3, 2, 1]);
    expect(merged[2].verdict.state).toBe('failed');
  });

  it('drops the oldest rows beyond the maximum', () => {
    const merged = mergeRows(rows(3), [decodeRow(raw(5)), decodeRow(raw(4))], 3, 4);
    expect(merged.map((r) => r.id)).toEqual([5, 4, 3, 2]);
  });

  it('drops rows a clear removed when refreshing everything', () => {
    expect(mergeRows(rows(3), [], 0)).toEqual([]);
  });
});

describe('applyVerdicts', () => {
  it('updates the rows by id', () => {
    const list = rows(3);
    const changed = applyVerdicts(list, [{ id: 2, state: 'failed', failed_hop: 'int-two', failed_checks: ['body-unchanged'] }]);
    expect(changed).toBe(1);
    expect(list[1].verdict.failed_hop).toBe('int-two');
    expect(list[0].verdict.state).toBe('passed');
  });
});

describe('filterRows', () => {
  const list = [
    decodeRow(raw(5, { destination: 'b-corp', target: '/r4/Patient/pat-0001' })),
    decodeRow(raw(4, { status: 503, verdict: 'failed', failed_hop: 'int-two' })),
    decodeRow(raw(3, { originator: null, status: null })),
    decodeRow(raw(2, { method: 'POST', target: '/d-corp/Observation' })),
    decodeRow(raw(1, { status: 404, target: '/d-corp/Patient?name=Chalmers' })),
  ];
  const ids = (filtered: ExchangeRow[]) => filtered.map((r) => r.id);

  it('returns the same array without a filter', () => {
    expect(filterRows(list, NO_FILTER)).toBe(list);
  });

  it('filters by destination', () => {
    expect(ids(filterRows(list, { ...NO_FILTER, destination: 'b-corp' }))).toEqual([5]);
  });

  it('filters other clients', () => {
    expect(ids(filterRows(list, { ...NO_FILTER, originator: OTHER_CLIENTS }))).toEqual([3]);
    expect(ids(filterRows(list, { ...NO_FILTER, originator: 'clinic-a' }))).toEqual([5, 4, 2, 1]);
  });

  it('filters by status class', () => {
    expect(ids(filterRows(list, { ...NO_FILTER, status: '5xx' }))).toEqual([4]);
    expect(ids(filterRows(list, { ...NO_FILTER, status: '4xx' }))).toEqual([1]);
    expect(ids(filterRows(list, { ...NO_FILTER, status: 'none' }))).toEqual([3]);
  });

  it('keeps failed verdicts only', () => {
    expect(ids(filterRows(list, { ...NO_FILTER, failedOnly: true }))).toEqual([4]);
  });

  it('matches text in path, method and id, ignoring case', () => {
    expect(ids(filterRows(list, { ...NO_FILTER, text: 'CHALMERS' }))).toEqual([1]);
    expect(ids(filterRows(list, { ...NO_FILTER, text: 'post' }))).toEqual([2]);
    expect(ids(filterRows(list, { ...NO_FILTER, text: 'x3' }))).toEqual([3]);
  });

  it('adds the header matches to the text matches', () => {
    expect(ids(filterRows(list, { ...NO_FILTER, text: 'signature' }, new Set([4, 2])))).toEqual([4, 2]);
  });

  it('combines filters', () => {
    expect(ids(filterRows(list, { ...NO_FILTER, destination: 'd-corp', text: 'patient' }))).toEqual([1]);
  });

  it('filters 100,000 rows quickly', () => {
    const many = rows(100_000);
    const start = performance.now();
    const filtered = filterRows(many, { ...NO_FILTER, destination: 'd-corp', text: 'metadata', status: '2xx' });
    const elapsed = performance.now() - start;
    expect(filtered).toHaveLength(100_000);
    // Generous for a loaded CI machine; the benchmark measures it in the app.
    expect(elapsed).toBeLessThan(500);
  });
});

describe('cells', () => {
  it('classes statuses', () => {
    expect(statusClass(200)).toBe('2xx');
    expect(statusClass(599)).toBe('5xx');
    expect(statusClass(null)).toBe('none');
  });

  it('lists facets', () => {
    const list = [decodeRow(raw(2, { originator: null })), decodeRow(raw(1, { destination: 'b-corp' }))];
    expect(facets(list)).toEqual({ destinations: ['b-corp', 'd-corp'], originators: [OTHER_CLIENTS, 'clinic-a'] });
  });

  it('words verdicts', () => {
    expect(verdictText({ state: 'failed', failed_hop: 'int-two', failed_checks: [] })).toBe('failed at int-two');
    expect(verdictText({ state: 'unjudged', failed_hop: null, failed_checks: [] })).toBe('not judged');
  });
});
