import { describe, expect, it } from 'vitest';
import { nextIndex, scrollToShow, visibleRange } from './virtual';

describe('visibleRange', () => {
  it('renders only the rows in view plus overscan for 10,000 rows', () => {
    const range = visibleRange(36 * 5000, 360, 36, 10_000, 8);
    expect(range.start).toBe(5000 - 8);
    expect(range.end).toBe(5000 + 11 + 8);
    expect(range.end - range.start).toBeLessThan(40);
    expect(range.offsetTop).toBe(range.start * 36);
  });

  it('clamps at both ends', () => {
    expect(visibleRange(0, 360, 36, 10_000, 8).start).toBe(0);
    expect(visibleRange(36 * 20_000, 360, 36, 10_000, 8).end).toBe(10_000);
    expect(visibleRange(0, 360, 36, 0)).toEqual({ start: 0, end: 0, offsetTop: 0 });
    expect(visibleRange(0, 360, 36, 3, 8)).toEqual({ start: 0, end: 3, offsetTop: 0 });
  });
});

describe('scrollToShow', () => {
  it('scrolls only when the row is outside the viewport', () => {
    expect(scrollToShow(5, 0, 360, 36)).toBe(0);
    expect(scrollToShow(10, 0, 360, 36)).toBe(36 * 11 - 360);
    expect(scrollToShow(2, 200, 360, 36)).toBe(72);
  });
});

describe('nextIndex', () => {
  it('moves and clamps', () => {
    expect(nextIndex('ArrowDown', -1, 5, 10)).toBe(0);
    expect(nextIndex('ArrowDown', 4, 5, 10)).toBe(4);
    expect(nextIndex('ArrowUp', 0, 5, 10)).toBe(0);
    expect(nextIndex('PageDown', 0, 100, 10)).toBe(10);
    expect(nextIndex('PageUp', 5, 100, 10)).toBe(0);
    expect(nextIndex('Home', 50, 100, 10)).toBe(0);
    expect(nextIndex('End', 0, 100, 10)).toBe(99);
    expect(nextIndex('Enter', 0, 100, 10)).toBeNull();
    expect(nextIndex('ArrowDown', 0, 0, 10)).toBeNull();
  });
});
