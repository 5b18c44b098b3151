// Layouts of one exchange's detail view: the timing waterfall per hop and
// the sequence diagram's lanes and arrows.

import type { ExchangeRecord, Lane } from './exchangeTypes';

export type Phase = 'connect' | 'tls' | 'waiting' | 'transfer';

export const PHASE_LABELS: Record<Phase, string> = {
  connect: 'connect to next hop',
  tls: 'TLS with next hop',
  waiting: 'waiting for the response head',
  transfer: 'transfer',
};

export interface WaterfallBar {
  phase: Phase;
  /** Milliseconds from the exchange's first record's start. */
  startMs: number;
  durationMs: number;
}

export interface WaterfallRow {
  name: string;
  startMs: number;
  totalMs: number;
  bars: WaterfallBar[];
}

export interface Waterfall {
  rows: WaterfallRow[];
  /** The time the axis spans, in milliseconds. */
  spanMs: number;
}

/**
 * Lays out one row per lane with a record, in lane order. A record's phases
 * run from its own start: connecting to the next hop and the TLS handshake
 * (absent on a reused connection), then waiting until the response head,
 * then transferring the body until the last byte. Starts are whole
 * milliseconds in the records, so inner hops may line up with outer ones.
 */
export function waterfall(lanes: Lane[], records: ExchangeRecord[]): Waterfall {
  const recorded = lanes.filter((lane) => lane.record !== null).map((lane) => ({ lane, record: records[lane.record as number] }));
  if (recorded.length === 0) return { rows: [], spanMs: 0 };
  const origin = Math.min(...recorded.map(({ record }) => record.started_at_unix_ms));
  const rows = recorded.map(({ lane, record }) => {
    const start = record.started_at_unix_ms - origin;
    const total = Math.max(0, record.timings.total_ms);
    const connect = clamp(record.timings.connect_ms ?? 0, 0, total);
    const tls = clamp(record.timings.tls_handshake_ms ?? 0, 0, total - connect);
    const firstByte = clamp(record.timings.first_byte_ms ?? total, connect + tls, total);
    const phases: [Phase, number, number][] = [
      ['connect', 0, connect],
      ['tls', connect, tls],
      ['waiting', connect + tls, firstByte - connect - tls],
      ['transfer', firstByte, total - firstByte],
    ];
    const bars = phases
      .filter(([, , duration]) => duration > 0)
      .map(([phase, offset, duration]) => ({ phase, startMs: start + offset, durationMs: duration }));
    return { name: lane.name, startMs: start, totalMs: total, bars };
  });
  const spanMs = Math.max(...rows.map((row) => row.startMs + row.totalMs), 0);
  return { rows, spanMs };
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(Math.max(value, min), Math.max(min, max));
}

/** Picks a round tick step for an axis of `spanMs` with about `ticks` ticks. */
export function tickStep(spanMs: number, ticks = 5): number {
  if (spanMs <= 0) return 1;
  const raw = spanMs / ticks;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  for (const factor of [1, 2, 5, 10]) {
    if (raw <= factor * magnitude) return factor * magnitude;
  }
  return 10 * magnitude;
}

export interface SequenceLane {
  name: string;
  kind: Lane['kind'];
  x: number;
  failedChecks: string[];
  fault: string | null;
  recorded: boolean;
}

export interface SequenceArrow {
  direction: 'request' | 'response';
  /** Index of the hop: the arrow between lane `hop` and lane `hop + 1`. */
  hop: number;
  fromX: number;
  toX: number;
  y: number;
  label: string;
  /** Status class of a response (`ok`, `redirect`, `client-error`, `server-error`), or `none`. */
  tone: 'ok' | 'redirect' | 'client-error' | 'server-error' | 'none';
  /** A response that leaves a lane where a check failed. */
  failed: boolean;
}

export interface SequenceLayout {
  width: number;
  height: number;
  top: number;
  lanes: SequenceLane[];
  arrows: SequenceArrow[];
}

export const LANE_GAP = 190;
export const ARROW_GAP = 34;
const MARGIN = 90;
const HEADER = 64;

/**
 * Lays out the sequence diagram: a lane per participant, then for each hop
 * the request arrow going in, and after the innermost hop the response
 * arrows coming back out, innermost first. Labels come from the record of
 * the lane the arrow enters (request) or leaves (response); for a lane
 * without a record, from the record of the lane before it.
 */
export function sequenceLayout(lanes: Lane[], records: ExchangeRecord[]): SequenceLayout {
  const laneLayout: SequenceLane[] = lanes.map((lane, i) => {
    const record = lane.record === null ? null : records[lane.record];
    return {
      name: lane.name,
      kind: lane.kind,
      x: MARGIN + i * LANE_GAP,
      failedChecks: lane.failed_checks,
      fault: record?.fault ?? null,
      recorded: record !== null,
    };
  });
  const arrows: SequenceArrow[] = [];
  const hops = Math.max(0, lanes.length - 1);
  let y = HEADER + 26;
  for (let hop = 0; hop < hops; hop++) {
    const receiver = recordOf(lanes[hop + 1], records);
    const sender = recordOf(lanes[hop], records);
    const request = receiver?.request ?? sender?.request ?? null;
    let target = request?.target ?? '';
    if (!receiver && sender?.upstream) {
      target = pathOf(sender.upstream.url);
    }
    arrows.push({
      direction: 'request',
      hop,
      fromX: laneLayout[hop].x,
      toX: laneLayout[hop + 1].x,
      y,
      label: `${request?.method ?? ''} ${shortTarget(target)}`.trim(),
      tone: 'none',
      failed: false,
    });
    y += ARROW_GAP;
  }
  for (let hop = hops - 1; hop >= 0; hop--) {
    const receiver = recordOf(lanes[hop + 1], records);
    const sender = recordOf(lanes[hop], records);
    let label: string;
    let status: number | null = null;
    if (receiver) {
      status = receiver.response?.status ?? null;
      label = receiver.response
        ? `${receiver.response.status} · ${formatMs(receiver.timings.total_ms)}`
        : `no response${receiver.error ? `: ${receiver.error}` : ''}`;
    } else if (sender?.response) {
      // A participant without a record: the status the previous hop got.
      status = sender.response.status;
      label = sender.response.from_gateway ? 'not reached' : `${sender.response.status}`;
      if (sender.response.from_gateway) status = null;
    } else {
      label = 'no response';
    }
    arrows.push({
      direction: 'response',
      hop,
      fromX: laneLayout[hop + 1].x,
      toX: laneLayout[hop].x,
      y,
      label,
      tone: toneOf(status),
      failed: lanes[hop + 1].failed_checks.length > 0,
    });
    y += ARROW_GAP;
  }
  return {
    width: MARGIN * 2 + Math.max(0, lanes.length - 1) * LANE_GAP,
    height: y + 10,
    top: HEADER,
    lanes: laneLayout,
    arrows,
  };
}

function recordOf(lane: Lane, records: ExchangeRecord[]): ExchangeRecord | null {
  return lane.record === null ? null : records[lane.record] ?? null;
}

/** Returns the path and query of a whole URL, or the text as it is. */
export function pathOf(url: string): string {
  try {
    const parsed = new URL(url);
    return parsed.pathname + parsed.search;
  } catch {
    return url;
  }
}

/** Shortens a target for an arrow label: the path of a whole URL, at most 34 characters. */
export function shortTarget(target: string): string {
  const path = /^https?:\/\//.test(target) ? pathOf(target) : target;
  return path.length > 34 ? `${path.slice(0, 33)}…` : path;
}

function toneOf(status: number | null): SequenceArrow['tone'] {
  if (status === null) return 'none';
  if (status >= 500) return 'server-error';
  if (status >= 400) return 'client-error';
  if (status >= 300) return 'redirect';
  return 'ok';
}

export function formatMs(ms: number): string {
  return ms < 10 ? `${ms.toFixed(2)} ms` : ms < 1000 ? `${ms.toFixed(1)} ms` : `${(ms / 1000).toFixed(2)} s`;
}
