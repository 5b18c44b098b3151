import { describe, expect, it } from 'vitest';
import { describeFault, faultFromForm, shortFingerprint, splitListeners } from './gateway';
import type { ListenerStatus } from './types';

describe('faultFromForm', () => {
  it('builds each kind', () => {
    expect(faultFromForm({ kind: 'delay', value: ' 250 ' })).toEqual({ fault: { kind: 'delay', ms: 250 } });
    expect(faultFromForm({ kind: 'status', value: '503' })).toEqual({ fault: { kind: 'status', code: 503 } });
    expect(faultFromForm({ kind: 'strip-header', value: 'Content-Digest' })).toEqual({
      fault: { kind: 'strip-header', name: 'Content-Digest' },
    });
    expect(faultFromForm({ kind: 'hold', value: 'ignored' })).toEqual({ fault: { kind: 'hold' } });
    expect(faultFromForm({ kind: 'drop', value: '' })).toEqual({ fault: { kind: 'drop' } });
    expect(faultFromForm({ kind: 'tamper-body', value: '' })).toEqual({ fault: { kind: 'tamper-body' } });
    expect(faultFromForm({ kind: 'replace-token', value: '' })).toEqual({ fault: { kind: 'replace-token' } });
  });

  it('rejects invalid values', () => {
    expect(faultFromForm({ kind: 'delay', value: '' })).toHaveProperty('error');
    expect(faultFromForm({ kind: 'delay', value: '-5' })).toHaveProperty('error');
    expect(faultFromForm({ kind: 'delay', value: '1.5' })).toHaveProperty('error');
    expect(faultFromForm({ kind: 'status', value: '99' })).toHaveProperty('error');
    expect(faultFromForm({ kind: 'status', value: '600' })).toHaveProperty('error');
    expect(faultFromForm({ kind: 'status', value: 'abc' })).toHaveProperty('error');
    expect(faultFromForm({ kind: 'strip-header', value: 'bad header' })).toHaveProperty('error');
    expect(faultFromForm({ kind: 'strip-header', value: '' })).toHaveProperty('error');
  });
});

describe('describeFault', () => {
  it('uses the command line words', () => {
    expect(describeFault(null)).toBe('none');
    expect(describeFault({ kind: 'delay', ms: 200 })).toBe('delay 200 ms');
    expect(describeFault({ kind: 'status', code: 503 })).toBe('answer status 503');
    expect(describeFault({ kind: 'strip-header', name: 'Via' })).toBe('strip response header Via');
    expect(describeFault({ kind: 'hold' })).toBe('hold until timeout');
  });
});

describe('shortFingerprint', () => {
  it('keeps 16 hex digits', () => {
    expect(shortFingerprint('a'.repeat(64))).toBe(`${'a'.repeat(16)}…`);
    expect(shortFingerprint('abcd')).toBe('abcd');
  });
});

describe('splitListeners', () => {
  it('separates destinations', () => {
    const listener = (hop: string, kind: ListenerStatus['kind']): ListenerStatus => ({
      hop,
      kind,
      address: '127.0.0.1:1',
      certificates: [],
      requests: 0,
      errors: 0,
      fault: null,
    });
    const split = splitListeners([listener('int-one', 'inbound-gateway'), listener('d-corp', 'destination'), listener('int-two', 'delegated')]);
    expect(split.intermediaries.map((l) => l.hop)).toEqual(['int-one', 'int-two']);
    expect(split.destinations.map((l) => l.hop)).toEqual(['d-corp']);
  });
});
