// The JSON shapes of the Tauri commands' arguments and results. They mirror
// the serde types of hopscope-workspace and hopscope-pki; field names are the
// Rust ones because serde does not rename them.

export type Role =
  | 'public-endpoint'
  | 'private-endpoint'
  | 'originator'
  | 'destination-signing'
  | 'authority';

export const ROLES: Role[] = [
  'public-endpoint',
  'private-endpoint',
  'originator',
  'destination-signing',
  'authority',
];

export type KeyType = 'ecdsa-p256' | 'ecdsa-p384' | 'ed25519' | 'rsa-2048' | 'rsa-3072' | 'rsa-4096';

export const KEY_TYPES: KeyType[] = ['ecdsa-p256', 'ecdsa-p384', 'ed25519', 'rsa-2048', 'rsa-3072', 'rsa-4096'];

export type CertificateStatus = 'valid' | 'rotation-due' | 'not-yet-valid' | 'expired' | 'revoked';

export const STATUSES: CertificateStatus[] = ['valid', 'rotation-due', 'not-yet-valid', 'expired', 'revoked'];

export type RevocationReason =
  | 'unspecified'
  | 'key-compromise'
  | 'ca-compromise'
  | 'affiliation-changed'
  | 'superseded'
  | 'cessation-of-operation'
  | 'certificate-hold'
  | 'privilege-withdrawn';

export const REVOCATION_REASONS: RevocationReason[] = [
  'unspecified',
  'key-compromise',
  'ca-compromise',
  'affiliation-changed',
  'superseded',
  'cessation-of-operation',
  'certificate-hold',
  'privilege-withdrawn',
];

/** Timestamps are RFC 3339 strings. */
export interface CredentialSummary {
  name: string;
  role: Role;
  url: string | null;
  authority: string | null;
  subject: string;
  serial: string;
  not_before: string;
  not_after: string;
  days_left: number;
  status: CertificateStatus;
  key_type: KeyType;
  has_key: boolean;
  sha256_fingerprint: string;
  rotation_due_at: string;
  auto_rotate: boolean;
  versions: number;
}

export interface Inspection {
  version: number;
  subject: string;
  issuer: string;
  serial_hex: string;
  not_before: string | null;
  not_after: string | null;
  san_dns: string[];
  san_ip: string[];
  san_uri: string[];
  san_email: string[];
  key_usage: string[];
  extended_key_usage: string[];
  is_ca: boolean;
  path_len: number | null;
  key_algorithm: string;
  key_bits: number | null;
  signature_algorithm: string;
  sha256_fingerprint: string;
  spki_sha256: string;
  subject_key_id: string | null;
  authority_key_id: string | null;
  self_signed: boolean;
  unknown_critical_extensions: string[];
  unparsed: string[];
}

export type Severity = 'error' | 'warning' | 'info';

export interface Finding {
  code: string;
  severity: Severity;
  message: string;
}

export interface ChainLink {
  credential: string | null;
  subject: string;
  sha256_fingerprint: string;
}

export interface HistoryEntry {
  serial: string;
  sha256_fingerprint: string;
  spki_sha256: string;
  not_before: string;
  not_after: string;
  created_at: string;
  current: boolean;
  revoked_at: string | null;
  revocation_reason: string | null;
}

export interface RotationPolicy {
  /** Between 0 and 1: rotate once this part of the lifetime remains. */
  remaining_fraction: number;
  auto_rotate: boolean;
}

export interface CredentialDetail {
  summary: CredentialSummary;
  inspection: Inspection;
  findings: Finding[];
  chain: ChainLink[];
  history: HistoryEntry[];
  policy: RotationPolicy;
}

export interface AuditEntry {
  id: number;
  at: string;
  action: string;
  subject: string;
  serial: string | null;
  sha256_fingerprint: string | null;
  detail: string;
}

export interface InspectedCertificate {
  inspection: Inspection;
  findings: Finding[];
}

export interface WorkspaceStatus {
  path: string;
  exists: boolean;
  unlocked: boolean;
}

export interface NewAuthority {
  name: string;
  parent: string | null;
  key_type: KeyType;
  validity_seconds: number;
  path_len: number | null;
}

export interface NewCredential {
  name: string;
  role: Role;
  authority: string;
  url: string;
  key_type: KeyType;
  validity_seconds: number;
}

export type ExportFormat = 'pem' | 'der' | 'p12';

export interface ExportRequest {
  format: ExportFormat;
  chain: boolean;
  key: boolean;
  key_in_clear: boolean;
  legacy: boolean;
  password: string | null;
}

export interface ImportRequest {
  name: string | null;
  role: Role | null;
  password: string | null;
  authority: string | null;
  url: string | null;
  validity_seconds: number | null;
}

/** The error every command rejects with. */
export interface CommandError {
  code: string;
  message: string;
}

export type IntermediaryKind = 'inbound-gateway' | 'delegated';

export interface DestinationView {
  name: string;
  public_url: string;
  private_url: string;
  endpoint_credential: string | null;
  signing_credential: string | null;
  /** Intermediary names from the inbound gateway to the last delegated one. */
  route: string[];
}

export interface IntermediaryView {
  name: string;
  kind: IntermediaryKind;
  listen_urls: string[];
  credentials: string[];
}

export interface Topology {
  destinations: DestinationView[];
  intermediaries: IntermediaryView[];
}

export interface TopologyFinding {
  code: string;
  /** `destination`, `intermediary` or `route`; a route finding names its destination. */
  element_kind: 'destination' | 'intermediary' | 'route';
  element: string;
  value: string;
  message: string;
  fix: string;
}

export interface NewDestination {
  name: string;
  public_url: string;
  private_url: string;
  endpoint_credential: string | null;
  signing_credential: string | null;
}

export interface NewIntermediary {
  name: string;
  kind: IntermediaryKind;
  listen_urls: string[];
  credentials: string[];
}

export interface DemoOutcome {
  created: boolean;
  destinations: string[];
}

export type EntryKind = 'anchor' | 'pinned' | 'denied';

export type AnchorSource = { kind: 'authority'; name: string } | { kind: 'imported' };

export type DenyMatch =
  | { kind: 'certificate'; sha256_fingerprint: string }
  | { kind: 'spki'; spki_sha256: string }
  | { kind: 'san_uri'; uri: string };

export interface Anchor {
  id: string;
  note: string;
  added_at: string;
  source: AnchorSource;
  subject: string;
  sha256_fingerprint: string;
}

export interface PinnedOriginator {
  id: string;
  note: string;
  added_at: string;
  subject: string;
  spki_sha256: string;
}

export interface DeniedOriginator {
  id: string;
  note: string;
  added_at: string;
  rule: DenyMatch;
}

export interface TrustList {
  anchors: Anchor[];
  pinned: PinnedOriginator[];
  denied: DeniedOriginator[];
}

export interface TrustListView {
  destination: string;
  /** 0 while the list has never been edited. */
  version: number;
  list: TrustList;
}

export type TrustListChange =
  | { change: 'added'; kind: EntryKind; id: string; label: string }
  | { change: 'removed'; kind: EntryKind; id: string; label: string }
  | { change: 'note_changed'; kind: EntryKind; id: string; from: string; to: string };

export interface TrustListVersion {
  version: number;
  created_at: string;
  actor: string;
  change: string;
  changes: TrustListChange[];
}

/** What the UI adds to a trust list; files travel as paths. */
export type TrustAdditionRequest =
  | { kind: 'anchor-authority'; name: string }
  | { kind: 'anchor-file'; path: string }
  | { kind: 'pin'; path: string }
  | { kind: 'deny-certificate'; path: string }
  | { kind: 'deny-spki'; spki_sha256: string }
  | { kind: 'deny-uri'; uri: string };

export type TrustExportFormat = 'pem' | 'json';

export type CheckOutcome = 'pass' | 'fail' | 'not_applicable';

export interface TrustCheck {
  name: string;
  outcome: CheckOutcome;
  reason: string;
}

export interface LeafSummary {
  subject: string;
  issuer: string;
  serial_hex: string;
  sha256_fingerprint: string;
  spki_sha256: string;
  san_uris: string[];
  key: string;
  not_before: string;
  not_after: string;
}

export interface TrustDecision {
  trusted: boolean;
  checks: TrustCheck[];
  trust_list_version: number;
  at: string;
  leaf: LeafSummary | null;
  anchor_id: string | null;
  pinned_id: string | null;
}

/** A hop's fault, as the gateway's `Fault` serializes it. */
export type Fault =
  | { kind: 'delay'; ms: number }
  | { kind: 'hold' }
  | { kind: 'drop' }
  | { kind: 'status'; code: number }
  | { kind: 'tamper-body' }
  | { kind: 'strip-header'; name: string }
  | { kind: 'replace-token' };

export type FaultKind = Fault['kind'];

export interface ServedCertificate {
  host: string;
  credential: string;
  subject: string;
  sha256_fingerprint: string;
}

export interface ListenerStatus {
  hop: string;
  kind: IntermediaryKind | 'destination';
  /** `127.0.0.1:8443` */
  address: string;
  certificates: ServedCertificate[];
  requests: number;
  errors: number;
  fault: Fault | null;
}

export interface EndpointStatus {
  destination: string;
  public_url: string;
  host: string;
  port: number;
  route: string[];
  /** `null` when the destination has no route. */
  curl: string | null;
}

export interface GatewayStatus {
  listeners: ListenerStatus[];
  public_endpoints: EndpointStatus[];
  authorities_file: string;
  records_written: number;
  records_dropped: number;
  records_failed: number;
}

export interface GatewayStopped {
  written: number;
  dropped: number;
  failed: number;
}
