// Loads uPlot on first use, which also keeps it out of the bundle the app
// starts with.

import type uPlot from 'uplot';

/**
 * Imports uPlot. uPlot 1.6 creates an `Intl.NumberFormat` for
 * `navigator.language` when its module loads, and that throws a RangeError
 * when WebKitGTK reports the POSIX locale "C" (a process started without
 * LANG, as under CI). In that case the page's language reads as en-US first.
 */
export async function loadUplot(): Promise<typeof uPlot> {
  try {
    new Intl.NumberFormat(navigator.language);
  } catch {
    Object.defineProperty(navigator, 'language', { value: 'en-US', configurable: true });
  }
  return (await import('uplot')).default;
}
