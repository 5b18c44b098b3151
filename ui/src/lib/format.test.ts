import { describe, expect, it } from 'vitest';
import { colonHex, exportFileName, formatDate, formatDateTime, lifetimeDays } from './format';

describe('format', () => {
  it('formats instants in UTC', () => {
    expect(formatDateTime('2026-03-01T14:05:09Z')).toBe('2026-03-01 14:05 UTC');
    expect(formatDateTime(null)).toBe('—');
    expect(formatDate('2026-03-01T23:59:59+02:00')).toBe('2026-03-01');
  });

  it('groups hex in byte pairs', () => {
    expect(colonHex('0a1b2c')).toBe('0A:1B:2C');
    expect(colonHex('')).toBe('');
  });

  it('counts lifetime days', () => {
    expect(lifetimeDays('2025-01-01T00:00:00Z', '2026-01-01T00:00:00Z')).toBe(365);
  });

  it('suggests safe export file names', () => {
    expect(exportFileName('d-corp-public', 'pem')).toBe('d-corp-public.pem');
    expect(exportFileName('a b/c', 'p12')).toBe('a_b_c.p12');
  });
});
