// Byte diff of two bodies (what the destination sent against what the
// originator received) and the hex rows that show it.
//
// Common prefix and suffix are cut first. When the rest has the same length
// in both, bytes are compared position by position: a gateway that flips a
// byte or swaps a same-length token shows exactly those bytes. Otherwise
// the rest is diffed with Myers' O(ND) algorithm ("An O(ND) Difference
// Algorithm and Its Variations", 1986), up to `maxEdits` edits, beyond which
// the rest counts as one replaced run.

export type DiffOp = 'equal' | 'replace' | 'insert' | 'delete';

/** A run of bytes: `a[aStart, aEnd)` against `b[bStart, bEnd)`. */
export interface DiffSegment {
  op: DiffOp;
  aStart: number;
  aEnd: number;
  bStart: number;
  bEnd: number;
}

export const DEFAULT_MAX_EDITS = 2000;

export function diffBytes(a: Uint8Array, b: Uint8Array, maxEdits = DEFAULT_MAX_EDITS): DiffSegment[] {
  let prefix = 0;
  while (prefix < a.length && prefix < b.length && a[prefix] === b[prefix]) prefix++;
  let suffix = 0;
  while (
    suffix < a.length - prefix &&
    suffix < b.length - prefix &&
    a[a.length - 1 - suffix] === b[b.length - 1 - suffix]
  ) {
    suffix++;
  }
  const segments: DiffSegment[] = [];
  if (prefix > 0) segments.push({ op: 'equal', aStart: 0, aEnd: prefix, bStart: 0, bEnd: prefix });
  const aMid = a.subarray(prefix, a.length - suffix);
  const bMid = b.subarray(prefix, b.length - suffix);
  const middle =
    aMid.length === bMid.length ? alignedDiff(aMid, bMid) : myers(aMid, bMid, maxEdits) ?? [whole(aMid.length, bMid.length)];
  for (const segment of middle) {
    segments.push({
      op: segment.op,
      aStart: segment.aStart + prefix,
      aEnd: segment.aEnd + prefix,
      bStart: segment.bStart + prefix,
      bEnd: segment.bEnd + prefix,
    });
  }
  if (suffix > 0) {
    segments.push({ op: 'equal', aStart: a.length - suffix, aEnd: a.length, bStart: b.length - suffix, bEnd: b.length });
  }
  return merge(segments);
}

/** True when the diff found no difference. */
export function identical(segments: DiffSegment[]): boolean {
  return segments.every((s) => s.op === 'equal');
}

function whole(aLength: number, bLength: number): DiffSegment {
  const op: DiffOp = aLength === 0 ? 'insert' : bLength === 0 ? 'delete' : 'replace';
  return { op, aStart: 0, aEnd: aLength, bStart: 0, bEnd: bLength };
}

function alignedDiff(a: Uint8Array, b: Uint8Array): DiffSegment[] {
  const segments: DiffSegment[] = [];
  let start = 0;
  while (start < a.length) {
    const same = a[start] === b[start];
    let end = start + 1;
    while (end < a.length && (a[end] === b[end]) === same) end++;
    segments.push({ op: same ? 'equal' : 'replace', aStart: start, aEnd: end, bStart: start, bEnd: end });
    start = end;
  }
  return segments;
}

/**
 * Myers' greedy diff with the trace of every edit step kept for the
 * backtrack; returns null when more than `maxEdits` edits are needed.
 */
function myers(a: Uint8Array, b: Uint8Array, maxEdits: number): DiffSegment[] | null {
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0) return [whole(n, m)];
  const limit = Math.min(n + m, maxEdits);
  const offset = limit + 1;
  let v: Int32Array = new Int32Array(2 * limit + 3);
  const trace: Int32Array[] = [];
  let found = -1;
  for (let d = 0; d <= limit && found < 0; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x =
        k === -d || (k !== d && v[offset + k - 1] < v[offset + k + 1]) ? v[offset + k + 1] : v[offset + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
  }
  if (found < 0) return null;

  // Walk back from (n, m) to (0, 0), one edit per step.
  const steps: { op: DiffOp; x: number; y: number }[] = [];
  let x = n;
  let y = m;
  for (let d = found; d > 0; d--) {
    v = trace[d];
    const k = x - y;
    const down = k === -d || (k !== d && v[offset + k - 1] < v[offset + k + 1]);
    const prevK = down ? k + 1 : k - 1;
    const prevX = v[offset + prevK];
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      x--;
      y--;
      steps.push({ op: 'equal', x, y });
    }
    if (down) {
      y--;
      steps.push({ op: 'insert', x, y });
    } else {
      x--;
      steps.push({ op: 'delete', x, y });
    }
  }
  while (x > 0 && y > 0) {
    x--;
    y--;
    steps.push({ op: 'equal', x, y });
  }
  steps.reverse();

  const segments: DiffSegment[] = steps.map((step) => {
    switch (step.op) {
      case 'equal':
        return { op: 'equal', aStart: step.x, aEnd: step.x + 1, bStart: step.y, bEnd: step.y + 1 };
      case 'insert':
        return { op: 'insert', aStart: step.x, aEnd: step.x, bStart: step.y, bEnd: step.y + 1 };
      default:
        return { op: 'delete', aStart: step.x, aEnd: step.x + 1, bStart: step.y, bEnd: step.y };
    }
  });
  return pairChanges(merge(segments));
}

/** Joins neighbouring segments of the same kind. */
function merge(segments: DiffSegment[]): DiffSegment[] {
  const out: DiffSegment[] = [];
  for (const segment of segments) {
    const last = out[out.length - 1];
    if (last && last.op === segment.op && last.aEnd === segment.aStart && last.bEnd === segment.bStart) {
      last.aEnd = segment.aEnd;
      last.bEnd = segment.bEnd;
    } else {
      out.push({ ...segment });
    }
  }
  return out;
}

/** Turns a deletion next to an insertion into one replaced run. */
function pairChanges(segments: DiffSegment[]): DiffSegment[] {
  const out: DiffSegment[] = [];
  for (const segment of segments) {
    const last = out[out.length - 1];
    const pairs =
      last &&
      ((last.op === 'delete' && segment.op === 'insert') || (last.op === 'insert' && segment.op === 'delete')) &&
      last.aEnd === segment.aStart &&
      last.bEnd === segment.bStart;
    if (pairs) {
      last.op = 'replace';
      last.aEnd = segment.aEnd;
      last.bEnd = segment.bEnd;
    } else if (last && last.op === 'replace' && segment.op !== 'equal' && last.aEnd === segment.aStart && last.bEnd === segment.bStart) {
      last.aEnd = segment.aEnd;
      last.bEnd = segment.bEnd;
    } else {
      out.push({ ...segment });
    }
  }
  return out;
}

/** One hex row of a side of the diff: 16 bytes from `offset`. */
export interface HexRow {
  offset: number;
  cells: { byte: number; changed: boolean }[];
}

export const BYTES_PER_ROW = 16;

/**
 * Returns the hex rows of one side (`a` or `b`) that contain a changed byte,
 * with `context` unchanged rows around each, and `null` where rows are left
 * out. Bodies without a difference give no rows.
 */
export function changedRows(
  bytes: Uint8Array,
  segments: DiffSegment[],
  side: 'a' | 'b',
  context = 1,
): (HexRow | null)[] {
  const changed = new Uint8Array(bytes.length);
  for (const segment of segments) {
    if (segment.op === 'equal') continue;
    const [start, end] = side === 'a' ? [segment.aStart, segment.aEnd] : [segment.bStart, segment.bEnd];
    changed.fill(1, start, end);
  }
  const rowCount = Math.ceil(bytes.length / BYTES_PER_ROW);
  const wanted = new Uint8Array(rowCount);
  for (let row = 0; row < rowCount; row++) {
    const from = row * BYTES_PER_ROW;
    if (changed.subarray(from, from + BYTES_PER_ROW).some((c) => c === 1)) {
      wanted.fill(1, Math.max(0, row - context), Math.min(rowCount, row + context + 1));
    }
  }
  const rows: (HexRow | null)[] = [];
  for (let row = 0; row < rowCount; row++) {
    if (!wanted[row]) {
      if (rows.length > 0 && rows[rows.length - 1] !== null) rows.push(null);
      continue;
    }
    const offset = row * BYTES_PER_ROW;
    const cells = Array.from(bytes.subarray(offset, offset + BYTES_PER_ROW), (byte, i) => ({
      byte,
      changed: changed[offset + i] === 1,
    }));
    rows.push({ offset, cells });
  }
  if (rows[rows.length - 1] === null) rows.pop();
  return rows;
}

/** Counts the bytes each side has that the other does not match. */
export function changedCounts(segments: DiffSegment[]): { a: number; b: number } {
  let a = 0;
  let b = 0;
  for (const segment of segments) {
    if (segment.op === 'equal') continue;
    a += segment.aEnd - segment.aStart;
    b += segment.bEnd - segment.bStart;
  }
  return { a, b };
}
