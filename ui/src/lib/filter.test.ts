import { describe, expect, it } from 'vitest';
import { filterCredentials, NO_FILTER, sortCredentials } from './filter';
import type { CredentialSummary } from './types';

function credential(name: string, extra: Partial<CredentialSummary> = {}): CredentialSummary {
  return {
    name,
    role: 'public-endpoint',
    url: `https://${name}.test/fhir`,
    authority: 'demo-community',
    subject: `CN=${name}`,
    serial: '01',
    not_before: '2025-01-01T00:00:00Z',
    not_after: '2026-01-01T00:00:00Z',
    days_left: 100,
    status: 'valid',
    key_type: 'ecdsa-p256',
    has_key: true,
    sha256_fingerprint: 'aa',
    rotation_due_at: '2025-09-01T00:00:00Z',
    auto_rotate: false,
    versions: 1,
    ...extra,
  };
}

const list = [
  credential('d-corp-public'),
  credential('b-corp-private', { role: 'private-endpoint', days_left: 5 }),
  credential('clinic-a', { role: 'originator', status: 'expired', days_left: -2 }),
];

describe('filterCredentials', () => {
  it('matches every word in any field', () => {
    expect(filterCredentials(list, { ...NO_FILTER, query: 'corp' }).map((c) => c.name)).toEqual([
      'd-corp-public',
      'b-corp-private',
    ]);
    expect(filterCredentials(list, { ...NO_FILTER, query: 'CORP private' }).map((c) => c.name)).toEqual([
      'b-corp-private',
    ]);
    expect(filterCredentials(list, { ...NO_FILTER, query: 'clinic-a.test' })).toHaveLength(1);
  });

  it('filters by role and status', () => {
    expect(filterCredentials(list, { ...NO_FILTER, role: 'originator' }).map((c) => c.name)).toEqual(['clinic-a']);
    expect(filterCredentials(list, { ...NO_FILTER, status: 'expired' }).map((c) => c.name)).toEqual(['clinic-a']);
    expect(filterCredentials(list, NO_FILTER)).toHaveLength(3);
  });
});

describe('sortCredentials', () => {
  it('sorts by days left, then name', () => {
    expect(sortCredentials(list, 'days_left', true).map((c) => c.name)).toEqual([
      'clinic-a',
      'b-corp-private',
      'd-corp-public',
    ]);
    expect(sortCredentials(list, 'name', false).map((c) => c.name)).toEqual([
      'd-corp-public',
      'clinic-a',
      'b-corp-private',
    ]);
  });
});
