// Expiry urgency of a certificate. Thresholds are whole days, not fractions
// of the lifetime, because operators plan renewals in days.

import type { CertificateStatus } from './types';

/** At or below this many days left (or expired) a certificate shows red. */
export const CRITICAL_DAYS = 7;
/** At or below this many days left a certificate shows amber. */
export const WARNING_DAYS = 30;

export type Urgency = 'critical' | 'warning' | 'ok';

export function urgency(daysLeft: number, status?: CertificateStatus): Urgency {
  if (status === 'expired' || status === 'revoked') return 'critical';
  if (daysLeft <= CRITICAL_DAYS) return 'critical';
  if (daysLeft <= WARNING_DAYS) return 'warning';
  return 'ok';
}

/** "expires in 12 days", "expires today", "expired 3 days ago". */
export function expiryText(daysLeft: number): string {
  if (daysLeft < 0) {
    const ago = -daysLeft;
    return `expired ${ago} ${ago === 1 ? 'day' : 'days'} ago`;
  }
  if (daysLeft === 0) return 'expires today';
  return `expires in ${daysLeft} ${daysLeft === 1 ? 'day' : 'days'}`;
}

export const STATUS_LABELS: Record<CertificateStatus, string> = {
  valid: 'valid',
  'rotation-due': 'rotation due',
  'not-yet-valid': 'not yet valid',
  expired: 'expired',
  revoked: 'revoked',
};
