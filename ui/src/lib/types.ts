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
