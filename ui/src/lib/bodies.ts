// Captured bodies for the body viewers: bytes from the record's base64, the
// kind of content, pretty JSON and XML, and hex dump lines.

import type { CapturedBody } from './exchangeTypes';

export type BodyKind = 'json' | 'ndjson' | 'xml' | 'text' | 'binary';

export function decodeBase64(base64: string): Uint8Array {
  const binary = atob(base64);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

export function capturedBytes(captured: CapturedBody | null): Uint8Array | null {
  return captured ? decodeBase64(captured.base64) : null;
}

/** Returns the value of the first header named `name`, ignoring case. */
export function headerValue(headers: [string, string][], name: string): string | null {
  const lower = name.toLowerCase();
  return headers.find(([n]) => n.toLowerCase() === lower)?.[1] ?? null;
}

/**
 * Decides how to show a body: by its Content-Type, else by its first
 * character; bytes that are not UTF-8 are binary.
 */
export function bodyKind(contentType: string | null, text: string | undefined): BodyKind {
  if (text === undefined) return 'binary';
  const type = (contentType ?? '').toLowerCase();
  if (type.includes('ndjson')) return 'ndjson';
  if (type.includes('json')) return 'json';
  if (type.includes('xml')) return 'xml';
  const start = text.trimStart()[0];
  if (start === '{' || start === '[') return 'json';
  if (start === '<') return 'xml';
  return 'text';
}

/** Parses JSON; returns `undefined` for text that is not JSON (or cut short). */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function prettyJson(text: string): string | null {
  const parsed = parseJson(text);
  return parsed === undefined ? null : JSON.stringify(parsed, null, 2);
}

/**
 * Indents XML by element nesting, one tag, comment or text run per line.
 * It only splits and indents, so text that is not well-formed XML still
 * comes out line by line.
 */
export function prettyXml(xml: string): string {
  const tokens = xml.match(/<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>|<[^>]+>|[^<]+/g) ?? [];
  const lines: string[] = [];
  let depth = 0;
  for (const token of tokens) {
    const trimmed = token.trim();
    if (trimmed === '') continue;
    const closing = trimmed.startsWith('</');
    const opening =
      trimmed.startsWith('<') &&
      !closing &&
      !trimmed.startsWith('<?') &&
      !trimmed.startsWith('<!') &&
      !trimmed.endsWith('/>');
    if (closing) depth = Math.max(0, depth - 1);
    lines.push('  '.repeat(depth) + trimmed);
    if (opening) depth += 1;
  }
  // Put short text between an opening and its closing tag on one line.
  const joined: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const [open, text, close] = [lines[i], lines[i + 1], lines[i + 2]];
    if (
      text !== undefined &&
      close !== undefined &&
      open.trim().startsWith('<') &&
      !open.trim().startsWith('</') &&
      !text.trim().startsWith('<') &&
      close.trim().startsWith('</') &&
      text.trim().length <= 80
    ) {
      joined.push(open + text.trim() + close.trim());
      i += 2;
    } else {
      joined.push(open);
    }
  }
  return joined.join('\n');
}

/** One line of a hex dump: offset, hex bytes and their printable ASCII. */
export interface HexLine {
  offset: string;
  hex: string;
  ascii: string;
}

/** Returns hex dump lines of up to `maxLines` lines of 16 bytes. */
export function hexLines(bytes: Uint8Array, maxLines = 4096): HexLine[] {
  const lines: HexLine[] = [];
  for (let offset = 0; offset < bytes.length && lines.length < maxLines; offset += 16) {
    const row = bytes.subarray(offset, offset + 16);
    const hex = Array.from(row, (b) => b.toString(16).padStart(2, '0'));
    lines.push({
      offset: offset.toString(16).padStart(8, '0'),
      hex: (hex.slice(0, 8).join(' ') + '  ' + hex.slice(8).join(' ')).trimEnd(),
      ascii: Array.from(row, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join(''),
    });
  }
  return lines;
}

export function hexByte(byte: number): string {
  return byte.toString(16).padStart(2, '0');
}

export function printable(byte: number): string {
  return byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : '.';
}
