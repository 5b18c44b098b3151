import { describe, expect, it } from 'vitest';
import { bodyKind, decodeBase64, headerValue, hexLines, prettyJson, prettyXml } from './bodies';

describe('bodies', () => {
  it('decodes base64 bytes', () => {
    expect(Array.from(decodeBase64('/wAB'))).toEqual([0xff, 0x00, 0x01]);
  });

  it('finds headers ignoring case', () => {
    expect(headerValue([['Content-Type', 'application/fhir+json']], 'content-type')).toBe('application/fhir+json');
    expect(headerValue([], 'content-type')).toBeNull();
  });

  it('decides the kind from the content type, then the text', () => {
    expect(bodyKind('application/fhir+json; charset=utf-8', '{}')).toBe('json');
    expect(bodyKind('application/fhir+ndjson', '{}\n{}')).toBe('ndjson');
    expect(bodyKind('application/fhir+xml', '<Patient/>')).toBe('xml');
    expect(bodyKind(null, '  [1]')).toBe('json');
    expect(bodyKind(null, 'hello')).toBe('text');
    expect(bodyKind('application/json', undefined)).toBe('binary');
  });

  it('pretty-prints JSON, and not cut-short JSON', () => {
    expect(prettyJson('{"a":[1,2]}')).toBe('{\n  "a": [\n    1,\n    2\n  ]\n}');
    expect(prettyJson('{"a":')).toBeNull();
  });

  it('indents XML', () => {
    const xml = '<?xml version="1.0"?><Patient xmlns="http://hl7.org/fhir"><id value="1"/><name><family>Chalmers</family></name></Patient>';
    expect(prettyXml(xml)).toBe(
      [
        '<?xml version="1.0"?>',
        '<Patient xmlns="http://hl7.org/fhir">',
        '  <id value="1"/>',
        '  <name>',
        '    <family>Chalmers</family>',
        '  </name>',
        '</Patient>',
      ].join('\n'),
    );
  });

  it('dumps hex with ASCII', () => {
    const lines = hexLines(new TextEncoder().encode('{"resourceType":"Patient"}'));
    expect(lines).toHaveLength(2);
    expect(lines[0].offset).toBe('00000000');
    expect(lines[0].hex).toBe('7b 22 72 65 73 6f 75 72  63 65 54 79 70 65 22 3a');
    expect(lines[0].ascii).toBe('{"resourceType":');
    expect(lines[1].offset).toBe('00000010');
  });

  it('stops at the line limit', () => {
    expect(hexLines(new Uint8Array(100), 2)).toHaveLength(2);
  });
});
