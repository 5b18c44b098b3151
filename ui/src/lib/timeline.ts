// Scale of the expiry timeline: maps instants to a 0..100 percentage of the
// shown span, which runs from the earliest not_before to the latest
// not_after, widened so that "now" is always inside.

export interface TimeSpan {
  start: number;
  end: number;
}

const DAY_MS = 86_400_000;

export function timeSpan(items: { not_before: string; not_after: string }[], now: number): TimeSpan {
  let start = now;
  let end = now;
  for (const item of items) {
    start = Math.min(start, Date.parse(item.not_before));
    end = Math.max(end, Date.parse(item.not_after));
  }
  // A margin of 2 % on each side keeps bars off the edges. It is at least a
  // day, so a single short-lived certificate still gets a usable span.
  const margin = Math.max(DAY_MS, (end - start) * 0.02);
  return { start: start - margin, end: end + margin };
}

export function percentOf(instant: number, span: TimeSpan): number {
  const width = span.end - span.start;
  if (width <= 0) return 0;
  return Math.min(100, Math.max(0, ((instant - span.start) / width) * 100));
}

/** Tick marks at the first day of each month or year, whichever gives at most `maxTicks`. */
export function ticks(span: TimeSpan, maxTicks = 12): { at: number; label: string }[] {
  const steps = [1, 3, 6, 12, 24, 60, 120];
  const months = (span.end - span.start) / (30 * DAY_MS);
  const step = steps.find((s) => months / s <= maxTicks) ?? 120;
  const first = new Date(span.start);
  let year = first.getUTCFullYear();
  let month = first.getUTCMonth() + 1;
  month = Math.ceil(month / step) * step;
  const result: { at: number; label: string }[] = [];
  for (;;) {
    year += Math.floor(month / 12);
    month %= 12;
    const at = Date.UTC(year, month, 1);
    if (at > span.end) break;
    const label = step >= 12 ? String(year) : `${year}-${String(month + 1).padStart(2, '0')}`;
    result.push({ at, label });
    month += step;
  }
  return result;
}

/** Time windows the timeline offers, as days before and after now; `all` fits every certificate. */
export const RANGES = {
  '90d': { label: 'Next 90 days', before: 30, after: 90 },
  '1y': { label: 'Next year', before: 60, after: 365 },
  '3y': { label: 'Next 3 years', before: 120, after: 3 * 365 },
  all: { label: 'All certificates', before: 0, after: 0 },
} as const;

export type RangeKey = keyof typeof RANGES;

export function rangeSpan(range: RangeKey, items: { not_before: string; not_after: string }[], now: number): TimeSpan {
  if (range === 'all') return timeSpan(items, now);
  const { before, after } = RANGES[range];
  return { start: now - before * DAY_MS, end: now + after * DAY_MS };
}
