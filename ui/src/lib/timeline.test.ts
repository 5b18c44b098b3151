import { describe, expect, it } from 'vitest';
import { percentOf, rangeSpan, ticks, timeSpan } from './timeline';

const now = Date.parse('2026-01-01T00:00:00Z');

describe('timeSpan', () => {
  it('covers every certificate and now', () => {
    const span = timeSpan(
      [
        { not_before: '2025-06-01T00:00:00Z', not_after: '2026-06-01T00:00:00Z' },
        { not_before: '2025-01-01T00:00:00Z', not_after: '2025-12-01T00:00:00Z' },
      ],
      now,
    );
    expect(span.start).toBeLessThan(Date.parse('2025-01-01T00:00:00Z'));
    expect(span.end).toBeGreaterThan(Date.parse('2026-06-01T00:00:00Z'));
  });

  it('includes now when everything is in the past', () => {
    const span = timeSpan([{ not_before: '2020-01-01T00:00:00Z', not_after: '2021-01-01T00:00:00Z' }], now);
    expect(span.end).toBeGreaterThan(now);
  });
});

describe('percentOf', () => {
  it('maps and clamps', () => {
    const span = { start: 0, end: 200 };
    expect(percentOf(100, span)).toBe(50);
    expect(percentOf(-10, span)).toBe(0);
    expect(percentOf(500, span)).toBe(100);
  });
});

describe('ticks', () => {
  it('stays within the span and the tick budget', () => {
    const span = { start: Date.parse('2025-01-15T00:00:00Z'), end: Date.parse('2027-01-15T00:00:00Z') };
    const marks = ticks(span, 12);
    expect(marks.length).toBeGreaterThan(0);
    expect(marks.length).toBeLessThanOrEqual(12);
    for (const mark of marks) {
      expect(mark.at).toBeGreaterThanOrEqual(span.start);
      expect(mark.at).toBeLessThanOrEqual(span.end);
    }
  });
});

describe('rangeSpan', () => {
  it('centres fixed windows on now', () => {
    const span = rangeSpan('90d', [], now);
    expect(span.start).toBe(now - 30 * 86_400_000);
    expect(span.end).toBe(now + 90 * 86_400_000);
  });

  it('fits everything for all', () => {
    const items = [{ not_before: '2020-01-01T00:00:00Z', not_after: '2030-01-01T00:00:00Z' }];
    expect(rangeSpan('all', items, now)).toEqual(timeSpan(items, now));
  });
});
