import { describe, expect, it } from 'vitest';
import { sequenceLayout, shortTarget, tickStep, waterfall } from './timing';
import type { ExchangeRecord, Lane } from './exchangeTypes';

function record(hop: string, started: number, timings: Partial<ExchangeRecord['timings']>, status: number | null = 200): ExchangeRecord {
  return {
    exchange_id: 'x1',
    hop,
    participant: 'intermediary',
    started_at_unix_ms: started,
    client_address: '127.0.0.1:5000',
    http_version: 'HTTP/1.1',
    inbound_tls: { sni: null, protocol_version: null, cipher_suite: null, alpn: null, certificate_sha256: null },
    route: null,
    upstream: null,
    request: { method: 'GET', target: `/${hop}/metadata`, headers: [], body: { size: 0, sha256: null, complete: true, captured: null, truncated: false } },
    response:
      status === null
        ? null
        : {
            status,
            from_gateway: false,
            headers: [],
            body: { size: 0, sha256: null, complete: true, captured: null, truncated: false },
            content_digest: null,
            signature_input: null,
            signature: null,
          },
    timings: { connect_ms: null, tls_handshake_ms: null, first_byte_ms: null, total_ms: 0, ...timings },
    fault: null,
    error: null,
    interrupted: false,
  };
}

const lane = (name: string, kind: Lane['kind'], index: number | null, failed: string[] = []): Lane => ({
  name,
  kind,
  record: index,
  failed_checks: failed,
});

describe('waterfall', () => {
  it('splits a hop into its phases', () => {
    const records = [
      record('clinic-a', 1000, { first_byte_ms: 20, total_ms: 21 }),
      record('int-one', 1002, { connect_ms: 1, tls_handshake_ms: 3, first_byte_ms: 15, total_ms: 18 }),
    ];
    const layout = waterfall([lane('clinic-a', 'originator', 0), lane('int-one', 'inbound-gateway', 1)], records);
    expect(layout.spanMs).toBe(21);
    expect(layout.rows[0].bars).toEqual([
      { phase: 'waiting', startMs: 0, durationMs: 20 },
      { phase: 'transfer', startMs: 20, durationMs: 1 },
    ]);
    expect(layout.rows[1].bars).toEqual([
      { phase: 'connect', startMs: 2, durationMs: 1 },
      { phase: 'tls', startMs: 3, durationMs: 3 },
      { phase: 'waiting', startMs: 6, durationMs: 11 },
      { phase: 'transfer', startMs: 17, durationMs: 3 },
    ]);
  });

  it('leaves out lanes without a record', () => {
    const layout = waterfall([lane('client', 'client', null), lane('int-one', 'inbound-gateway', 0)], [record('int-one', 5, { total_ms: 4 })]);
    expect(layout.rows.map((r) => r.name)).toEqual(['int-one']);
    expect(layout.rows[0].bars).toEqual([{ phase: 'waiting', startMs: 0, durationMs: 4 }]);
  });

  it('clamps phases that overrun the total', () => {
    const layout = waterfall([lane('int-one', 'inbound-gateway', 0)], [record('int-one', 0, { connect_ms: 5, tls_handshake_ms: 5, total_ms: 6 })]);
    const total = layout.rows[0].bars.reduce((sum, bar) => sum + bar.durationMs, 0);
    expect(total).toBe(6);
  });

  it('picks round ticks', () => {
    expect(tickStep(21)).toBe(5);
    expect(tickStep(0.8)).toBe(0.2);
    expect(tickStep(1200)).toBe(500);
  });
});

describe('sequenceLayout', () => {
  const lanes = [
    lane('clinic-a', 'originator', 0),
    lane('int-one', 'inbound-gateway', 1),
    lane('int-two', 'delegated', 2, ['body-unchanged']),
    lane('d-corp', 'destination', 3),
  ];
  const records = [
    record('clinic-a', 0, { total_ms: 9 }),
    record('int-one', 1, { total_ms: 8 }),
    record('int-two', 2, { total_ms: 5 }, 503),
    record('d-corp', 3, { total_ms: 0.5 }),
  ];

  it('draws requests in, then responses out', () => {
    const layout = sequenceLayout(lanes, records);
    expect(layout.lanes.map((l) => l.x)).toEqual([90, 280, 470, 660]);
    const order = layout.arrows.map((a) => `${a.direction} ${a.hop}`);
    expect(order).toEqual(['request 0', 'request 1', 'request 2', 'response 2', 'response 1', 'response 0']);
    const ys = layout.arrows.map((a) => a.y);
    expect(ys).toEqual([...ys].sort((a, b) => a - b));
  });

  it('labels arrows from the receiving record', () => {
    const layout = sequenceLayout(lanes, records);
    expect(layout.arrows[2].label).toBe('GET /d-corp/metadata');
    const fromIntTwo = layout.arrows.find((a) => a.direction === 'response' && a.hop === 1);
    expect(fromIntTwo?.label).toBe('503 · 5.00 ms');
    expect(fromIntTwo?.tone).toBe('server-error');
    expect(fromIntTwo?.failed).toBe(true);
    expect(layout.arrows.find((a) => a.direction === 'response' && a.hop === 0)?.failed).toBe(false);
  });

  it('labels a destination without a record from the hop before it', () => {
    const stubbed = [lane('client', 'client', null), lane('int-one', 'inbound-gateway', 0), lane('b-corp', 'destination', null)];
    const inner = record('int-one', 0, { total_ms: 3 });
    inner.upstream = { url: 'https://b-corp.internal.test:9445/fhir/metadata', address: '127.0.0.1:9445', tls: null, connection_reused: false };
    const layout = sequenceLayout(stubbed, [inner]);
    expect(layout.arrows[1].label).toBe('GET /fhir/metadata');
    expect(layout.arrows[2].label).toBe('200');
    expect(layout.lanes[2].recorded).toBe(false);
  });

  it('shortens long targets', () => {
    expect(shortTarget('https://fhir.int-one.test:8443/d-corp/Patient?_count=5')).toBe('/d-corp/Patient?_count=5');
    expect(shortTarget('/' + 'a'.repeat(40))).toHaveLength(34);
  });
});
