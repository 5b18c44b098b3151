import { describe, expect, it } from 'vitest';
import { anchorSourceText, changeLine, denyRuleText, diffChoices, evaluationTime, outcomeLook } from './trust';

describe('trust labels', () => {
  it('describes deny rules as the CLI does', () => {
    expect(denyRuleText({ kind: 'san_uri', uri: 'https://clinic-a.test/apps/scheduler' })).toBe(
      'SAN URI https://clinic-a.test/apps/scheduler',
    );
    expect(denyRuleText({ kind: 'spki', spki_sha256: 'ab' })).toBe('SPKI SHA-256 ab');
    expect(denyRuleText({ kind: 'certificate', sha256_fingerprint: 'cd' })).toBe('certificate SHA-256 cd');
  });

  it('names the source of an anchor', () => {
    expect(anchorSourceText({ kind: 'authority', name: 'demo-community' })).toBe('authority demo-community');
    expect(anchorSourceText({ kind: 'imported' })).toBe('imported certificate');
  });
});

describe('changeLine', () => {
  it('formats additions, removals and note changes with a sign', () => {
    expect(changeLine({ change: 'added', kind: 'denied', id: 'd1', label: 'SAN URI "x"' })).toEqual({
      sign: '+',
      tone: 'added',
      text: 'denied d1: SAN URI "x"',
    });
    expect(changeLine({ change: 'removed', kind: 'anchor', id: 'a1', label: 'CN=root' }).sign).toBe('−');
    const note = changeLine({ change: 'note_changed', kind: 'pinned', id: 'p1', from: 'old', to: 'new' });
    expect(note.tone).toBe('changed');
    expect(note.text).toBe('pinned p1: note “old” → “new”');
  });
});

describe('outcomeLook', () => {
  it('gives every outcome an icon and a word besides its colour', () => {
    for (const outcome of ['pass', 'fail', 'not_applicable'] as const) {
      const look = outcomeLook(outcome);
      expect(look.icon).not.toBe('');
      expect(look.word).not.toBe('');
    }
    expect(outcomeLook('fail').tone).toBe('fail');
    expect(outcomeLook('not_applicable').word).toBe('not applicable');
  });
});

describe('evaluationTime', () => {
  it('treats an empty field as now', () => {
    expect(evaluationTime('  ')).toEqual({ value: null, error: null });
  });

  it('accepts RFC 3339 with a zone', () => {
    expect(evaluationTime('2027-01-31T12:00:00Z').value).toBe('2027-01-31T12:00:00Z');
    expect(evaluationTime('2027-01-31 12:00:00+02:00').value).toBe('2027-01-31T12:00:00+02:00');
  });

  it('rejects times without a zone or in other forms', () => {
    expect(evaluationTime('2027-01-31T12:00:00').error).toContain('RFC 3339');
    expect(evaluationTime('31.01.2027').error).toContain('31.01.2027');
  });
});

describe('diffChoices', () => {
  it('offers the empty list and every version, oldest first', () => {
    expect(diffChoices([3, 1, 2])).toEqual([0, 1, 2, 3]);
  });
});
