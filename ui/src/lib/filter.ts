// Search and filters of the certificates list.

import type { CertificateStatus, CredentialSummary, Role } from './types';

export interface CredentialFilter {
  /** Case-insensitive words; every word must occur in name, subject, URL, authority, serial or role. */
  query: string;
  role: Role | 'all';
  status: CertificateStatus | 'all';
}

export const NO_FILTER: CredentialFilter = { query: '', role: 'all', status: 'all' };

function haystack(c: CredentialSummary): string {
  return [c.name, c.subject, c.url ?? '', c.authority ?? '', c.serial, c.role].join('\n').toLowerCase();
}

export function filterCredentials(list: CredentialSummary[], filter: CredentialFilter): CredentialSummary[] {
  const words = filter.query.toLowerCase().split(/\s+/).filter((w) => w.length > 0);
  return list.filter((c) => {
    if (filter.role !== 'all' && c.role !== filter.role) return false;
    if (filter.status !== 'all' && c.status !== filter.status) return false;
    if (words.length === 0) return true;
    const text = haystack(c);
    return words.every((w) => text.includes(w));
  });
}

export type SortKey = 'name' | 'role' | 'days_left' | 'status';

/** Sorts a copy: by the key, then by name so the order is stable. */
export function sortCredentials(list: CredentialSummary[], key: SortKey, ascending: boolean): CredentialSummary[] {
  const direction = ascending ? 1 : -1;
  return [...list].sort((a, b) => {
    let order = 0;
    if (key === 'days_left') order = a.days_left - b.days_left;
    else order = String(a[key]).localeCompare(String(b[key]));
    if (order === 0) order = a.name.localeCompare(b.name);
    return order * direction;
  });
}
