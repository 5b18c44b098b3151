// Display helpers for dates, durations and hex strings.

export const DAY_SECONDS = 86_400;

/** "2026-03-01 14:05 UTC" from an RFC 3339 string; empty input gives "—". */
export function formatDateTime(value: string | null | undefined): string {
  if (!value) return '—';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** "2026-03-01" from an RFC 3339 string. */
export function formatDate(value: string | null | undefined): string {
  if (!value) return '—';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  return date.toISOString().slice(0, 10);
}

/** Lowercase hex grouped in colon-separated byte pairs, as openssl prints fingerprints. */
export function colonHex(hex: string): string {
  const clean = hex.replace(/[^0-9a-fA-F]/g, '').toUpperCase();
  return clean.match(/.{1,2}/g)?.join(':') ?? '';
}

/** Validity in whole days between two RFC 3339 instants. */
export function lifetimeDays(notBefore: string, notAfter: string): number {
  return Math.round((Date.parse(notAfter) - Date.parse(notBefore)) / (DAY_SECONDS * 1000));
}

/** Suggests the export file name, such as `d-corp-public.pem`. */
export function exportFileName(name: string, format: 'pem' | 'der' | 'p12'): string {
  const safe = name.replace(/[^A-Za-z0-9._-]+/g, '_');
  return `${safe}.${format === 'p12' ? 'p12' : format}`;
}
