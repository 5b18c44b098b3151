import { describe, expect, it } from 'vitest';
import { expiryText, urgency } from './expiry';

describe('urgency', () => {
  it('uses day thresholds', () => {
    expect(urgency(400)).toBe('ok');
    expect(urgency(31)).toBe('ok');
    expect(urgency(30)).toBe('warning');
    expect(urgency(8)).toBe('warning');
    expect(urgency(7)).toBe('critical');
    expect(urgency(0)).toBe('critical');
    expect(urgency(-5)).toBe('critical');
  });

  it('marks expired and revoked critical whatever the days', () => {
    expect(urgency(100, 'revoked')).toBe('critical');
    expect(urgency(100, 'expired')).toBe('critical');
    expect(urgency(100, 'rotation-due')).toBe('ok');
  });
});

describe('expiryText', () => {
  it('reads as a sentence', () => {
    expect(expiryText(12)).toBe('expires in 12 days');
    expect(expiryText(1)).toBe('expires in 1 day');
    expect(expiryText(0)).toBe('expires today');
    expect(expiryText(-1)).toBe('expired 1 day ago');
    expect(expiryText(-3)).toBe('expired 3 days ago');
  });
});
