import { describe, expect, it } from 'vitest';
import { BYTES_PER_ROW, changedCounts, changedRows, diffBytes, identical, type DiffSegment } from './byteDiff';

const bytes = (text: string) => new TextEncoder().encode(text);

/** Rebuilds `b` from `a` and the segments, the way a patch would. */
function apply(a: Uint8Array, b: Uint8Array, segments: DiffSegment[]): Uint8Array {
  const out: number[] = [];
  for (const s of segments) {
    if (s.op === 'equal') out.push(...a.subarray(s.aStart, s.aEnd));
    else out.push(...b.subarray(s.bStart, s.bEnd));
  }
  return Uint8Array.from(out);
}

/** Checks that the segments cover both inputs in order without gaps. */
function covers(a: Uint8Array, b: Uint8Array, segments: DiffSegment[]) {
  let aAt = 0;
  let bAt = 0;
  for (const s of segments) {
    expect(s.aStart).toBe(aAt);
    expect(s.bStart).toBe(bAt);
    aAt = s.aEnd;
    bAt = s.bEnd;
  }
  expect(aAt).toBe(a.length);
  expect(bAt).toBe(b.length);
}

describe('diffBytes', () => {
  it('finds nothing in equal bodies', () => {
    const segments = diffBytes(bytes('{"a":1}'), bytes('{"a":1}'));
    expect(identical(segments)).toBe(true);
    expect(segments).toHaveLength(1);
  });

  it('marks a flipped first byte', () => {
    const sent = bytes('{"resourceType":"Patient"}');
    const received = sent.slice();
    received[0] ^= 1;
    const segments = diffBytes(sent, received);
    expect(segments[0]).toEqual({ op: 'replace', aStart: 0, aEnd: 1, bStart: 0, bEnd: 1 });
    expect(changedCounts(segments)).toEqual({ a: 1, b: 1 });
    covers(sent, received, segments);
  });

  it('marks each changed byte of equal-length bodies', () => {
    const segments = diffBytes(bytes('token=AAAA;x=1'), bytes('token=ABBA;x=2'));
    const changed = segments.filter((s) => s.op !== 'equal').map((s) => [s.aStart, s.aEnd]);
    expect(changed).toEqual([
      [7, 9],
      [13, 14],
    ]);
  });

  it('finds an insertion', () => {
    const a = bytes('{"id":"pat-1"}');
    const b = bytes('{"id":"pat-1","x":2}');
    const segments = diffBytes(a, b);
    covers(a, b, segments);
    expect(apply(a, b, segments)).toEqual(b);
    expect(segments.filter((s) => s.op !== 'equal')).toEqual([{ op: 'insert', aStart: 13, aEnd: 13, bStart: 13, bEnd: 19 }]);
  });

  it('finds a deletion and a replacement in one body', () => {
    const a = bytes('access_token=abc.def.ghi&expires_in=300');
    const b = bytes('access_token=XYZ&expires_in=300');
    const segments = diffBytes(a, b);
    covers(a, b, segments);
    expect(apply(a, b, segments)).toEqual(b);
    expect(changedCounts(segments).b).toBe(3);
  });

  it('gives up on too many edits with one replaced run', () => {
    const a = Uint8Array.from({ length: 400 }, (_, i) => i % 251);
    const b = Uint8Array.from({ length: 300 }, (_, i) => (i * 7 + 3) % 253);
    const segments = diffBytes(a, b, 10);
    covers(a, b, segments);
    expect(segments.some((s) => s.op === 'replace')).toBe(true);
  });

  it('handles empty sides', () => {
    expect(diffBytes(bytes(''), bytes('abc'))).toEqual([{ op: 'insert', aStart: 0, aEnd: 0, bStart: 0, bEnd: 3 }]);
    expect(diffBytes(bytes('abc'), bytes(''))).toEqual([{ op: 'delete', aStart: 0, aEnd: 3, bStart: 0, bEnd: 0 }]);
    expect(diffBytes(bytes(''), bytes(''))).toEqual([]);
  });

  it('diffs a megabyte with one flipped byte quickly', () => {
    const a = Uint8Array.from({ length: 1 << 20 }, (_, i) => i & 0xff);
    const b = a.slice();
    b[500_000] ^= 1;
    const start = performance.now();
    const segments = diffBytes(a, b);
    expect(performance.now() - start).toBeLessThan(500);
    expect(segments.filter((s) => s.op !== 'equal')).toEqual([{ op: 'replace', aStart: 500_000, aEnd: 500_001, bStart: 500_000, bEnd: 500_001 }]);
  });
});

describe('changedRows', () => {
  it('shows the changed row with context and gaps', () => {
    const a = Uint8Array.from({ length: BYTES_PER_ROW * 10 }, (_, i) => i);
    const b = a.slice();
    b[BYTES_PER_ROW * 5 + 3] = 0xff;
    const rows = changedRows(b, diffBytes(a, b), 'b', 1);
    expect(rows.map((r) => (r === null ? null : r.offset))).toEqual([64, 80, 96]);
    const changed = rows.flatMap((r) => (r ? r.cells.filter((c) => c.changed).map((c) => c.byte) : []));
    expect(changed).toEqual([0xff]);
  });

  it('puts a gap between distant changes', () => {
    const a = Uint8Array.from({ length: BYTES_PER_ROW * 10 }, (_, i) => i);
    const b = a.slice();
    b[0] ^= 1;
    b[BYTES_PER_ROW * 9] ^= 1;
    const rows = changedRows(b, diffBytes(a, b), 'b', 0);
    expect(rows.map((r) => (r === null ? null : r.offset))).toEqual([0, null, BYTES_PER_ROW * 9]);
  });

  it('gives no rows without a change', () => {
    const a = bytes('same');
    expect(changedRows(a, diffBytes(a, a), 'a')).toEqual([]);
  });
});
