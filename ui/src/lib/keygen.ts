// Progress text of the dialogs while a key is generated. RSA key generation
// is the slow case: an RSA-4096 key can take tens of seconds.

import type { KeyType } from './types';

export function keygenText(keyType: KeyType): string {
  if (keyType === 'rsa-4096') return 'Generating an RSA-4096 key; this can take up to a minute…';
  if (keyType === 'rsa-3072') return 'Generating an RSA-3072 key; this can take several seconds…';
  if (keyType === 'rsa-2048') return 'Generating an RSA-2048 key…';
  return 'Generating the key and signing the certificate…';
}

/** Default lifetime in days by role: public TLS certificates stay within the 398-day browser limit. */
export function defaultValidityDays(role: string): number {
  switch (role) {
    case 'authority':
      return 3650;
    case 'public-endpoint':
      return 397;
    default:
      return 365;
  }
}
