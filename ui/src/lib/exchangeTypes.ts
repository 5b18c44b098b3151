// The JSON shapes of the exchange commands, mirroring the serde types of
// hopscope-workspace (exchange_list.rs, exchange_view.rs, exchange_live.rs),
// hopscope-gateway (record.rs) and verdict.rs. Field names are the Rust ones.

import type { CertificateStatus, CheckOutcome, Fault } from './types';

export type VerdictState = 'passed' | 'failed' | 'unjudged';

/**
 * One row of `exchange_rows` as sent: an array in the order of the Rust
 * `EXCHANGE_ROW_FIELDS`.
 */
export type RawExchangeRow = [
  id: number,
  exchange_id: string,
  started_at_ms: number,
  originator: string | null,
  destination: string | null,
  method: string,
  target: string,
  status: number | null,
  duration_ms: number,
  hops: number,
  verdict: VerdictState,
  failed_hop: string | null,
  failed_checks: string,
];

export interface VerdictBadgeValue {
  state: VerdictState;
  failed_hop: string | null;
  failed_checks: string[];
}

/** One exchange of the list. */
export interface ExchangeRow {
  id: number;
  exchange_id: string;
  started_at_ms: number;
  originator: string | null;
  destination: string | null;
  method: string;
  target: string;
  status: number | null;
  duration_ms: number;
  hops: number;
  verdict: VerdictBadgeValue;
  /** Method and target in lower case, for the text filter. */
  search: string;
}

export interface RowVerdict extends VerdictBadgeValue {
  id: number;
}

export interface JudgeProgress {
  verdicts: RowVerdict[];
  remaining: number;
}

export interface HeaderSearch {
  ids: number[];
  unindexed_records: number;
}

export interface ScenarioSummary {
  name: string;
  description: string;
  steps: number;
}

export interface ExchangeRunRequest {
  scenario: string | null;
  originator: string | null;
  destination: string | null;
  http2: boolean;
}

export interface StepReport {
  exchange_id: string;
  step: string;
  method: string;
  url: string;
  status: number | null;
  error: string | null;
}

export interface ExchangeRun {
  scenario: string;
  originator: string;
  destination: string;
  public_url: string;
  started_gateway: boolean;
  exchanges: { report: StepReport; verdict: Verdict | null }[];
  passed: boolean;
}

/** A captured body: base64 always, `text` when the bytes are UTF-8. */
export interface CapturedBody {
  base64: string;
  text?: string;
}

export interface BodyRecord {
  size: number;
  sha256: string | null;
  complete: boolean;
  captured: CapturedBody | null;
  truncated: boolean;
}

export interface TlsInfo {
  sni: string | null;
  protocol_version: string | null;
  cipher_suite: string | null;
  alpn: string | null;
  certificate_sha256: string | null;
}

export interface ExchangeRecord {
  exchange_id: string;
  hop: string;
  participant: 'intermediary' | 'originator' | 'destination';
  started_at_unix_ms: number;
  client_address: string;
  http_version: string;
  inbound_tls: TlsInfo;
  route: { host: string; path_prefix: string; next_hop: string } | null;
  upstream: { url: string; address: string; tls: TlsInfo | null; connection_reused: boolean } | null;
  request: { method: string; target: string; authority?: string; headers: [string, string][]; body: BodyRecord };
  response: {
    status: number;
    from_gateway: boolean;
    headers: [string, string][];
    body: BodyRecord;
    content_digest: string | null;
    signature_input: string | null;
    signature: string | null;
  } | null;
  timings: { connect_ms: number | null; tls_handshake_ms: number | null; first_byte_ms: number | null; total_ms: number };
  fault: string | null;
  error: string | null;
  interrupted: boolean;
  details?: unknown;
}

export type VerdictCheckName =
  | 'body-unchanged'
  | 'signature-headers-unchanged'
  | 'signature-valid'
  | 'token-unchanged'
  | 'status-unchanged'
  | 'no-private-url'
  | 'certificates'
  | 'authorization-unchanged'
  | 'trust-decided-by-destination'
  | 'expected-status';

export interface VerdictCheck {
  name: VerdictCheckName;
  outcome: CheckOutcome;
  hop: string | null;
  reason: string;
  compared: { hop: string; value: string | null }[];
}

export interface Verdict {
  exchange_id: string;
  passed: boolean;
  step: string | null;
  method: string;
  target: string;
  status: number | null;
  path: string[];
  checks: VerdictCheck[];
}

export type LaneKind = 'originator' | 'client' | 'inbound-gateway' | 'delegated' | 'destination';

export interface Lane {
  name: string;
  kind: LaneKind;
  /** Index into `records`; null for a participant that wrote no record. */
  record: number | null;
  failed_checks: string[];
}

export interface ExchangeView {
  id: number;
  exchange_id: string;
  started_at: string;
  method: string;
  target: string;
  status: number | null;
  duration_ms: number;
  records: ExchangeRecord[];
  verdict: Verdict;
  lanes: Lane[];
  certificates: Record<string, { credential: string; role: string }>;
}

export interface CurlCommand {
  command: string;
  notes: string[];
}

export interface HarExport {
  path: string;
  exchanges: number;
}

export type NodeKind = 'originator' | 'client' | 'inbound-gateway' | 'delegated' | 'destination';

export type NodeCertificateStatus = 'valid' | 'expiring' | 'expired' | 'invalid' | 'missing';

export interface LiveNode {
  name: string;
  kind: NodeKind;
  urls: string[];
  credentials: { name: string; status: CertificateStatus; days_left: number }[];
  certificate_status: NodeCertificateStatus;
  fault: Fault | null;
  requests: number;
}

export interface LiveEdge {
  from: string;
  to: string;
  requests: number;
}

export interface LiveTopology {
  nodes: LiveNode[];
  edges: LiveEdge[];
  window_seconds: number;
}

export interface HopSeries {
  hop: string;
  requests_per_second: number[];
  p50_ms: (number | null)[];
  p99_ms: (number | null)[];
}

export interface HopFigures {
  buckets: number[];
  bucket_seconds: number;
  series: HopSeries[];
}
