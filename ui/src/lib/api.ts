// Typed wrappers over the Tauri commands of src-tauri. Each rejects with a
// CommandError ({code, message}); `errorMessage` turns anything into text.

import { invoke } from '@tauri-apps/api/core';
import type {
  AuditEntry,
  CommandError,
  CredentialDetail,
  CredentialSummary,
  DemoOutcome,
  DestinationView,
  ExportRequest,
  ImportRequest,
  InspectedCertificate,
  IntermediaryView,
  NewAuthority,
  NewCredential,
  NewDestination,
  NewIntermediary,
  RevocationReason,
  RotationPolicy,
  Fault,
  GatewayStatus,
  GatewayStopped,
  Topology,
  TopologyFinding,
  TrustAdditionRequest,
  TrustDecision,
  TrustExportFormat,
  TrustListChange,
  TrustListVersion,
  TrustListView,
  WorkspaceStatus,
} from './types';
import type {
  CurlCommand,
  ExchangeRun,
  ExchangeRunRequest,
  ExchangeView,
  HarExport,
  HeaderSearch,
  HopFigures,
  JudgeProgress,
  LiveTopology,
  RawExchangeRow,
  RowVerdict,
  ScenarioSummary,
} from './exchangeTypes';

export const api = {
  workspaceStatus: () => invoke<WorkspaceStatus>('workspace_status'),
  createWorkspace: (passphrase: string) => invoke<void>('create_workspace', { passphrase }),
  unlock: (passphrase: string) => invoke<void>('unlock', { passphrase }),

  createAuthority: (request: NewAuthority) => invoke<CredentialSummary>('create_authority', { request }),
  listAuthorities: () => invoke<CredentialSummary[]>('list_authorities'),
  exportCrl: (name: string, pem: boolean, path: string) => invoke<void>('export_crl', { name, pem, path }),

  listCredentials: (expiringWithinSeconds: number | null = null) =>
    invoke<CredentialSummary[]>('list_credentials', { expiringWithinSeconds }),
  credential: (name: string) => invoke<CredentialDetail>('credential', { name }),
  issue: (request: NewCredential) => invoke<CredentialSummary>('issue', { request }),
  rotate: (name: string, reuseKey: boolean) => invoke<CredentialSummary>('rotate', { name, reuseKey }),
  dueForRotation: () => invoke<CredentialSummary[]>('due_for_rotation'),
  setRotationPolicy: (name: string, policy: RotationPolicy) => invoke<void>('set_rotation_policy', { name, policy }),
  revoke: (name: string, reason: RevocationReason) => invoke<void>('revoke', { name, reason }),

  exportCredential: (name: string, request: ExportRequest, path: string) =>
    invoke<void>('export_credential', { name, request, path }),
  importFile: (path: string, request: ImportRequest) => invoke<CredentialSummary[]>('import_file', { path, request }),
  inspectFile: (path: string, password: string | null) =>
    invoke<InspectedCertificate[]>('inspect_file', { path, password }),

  audit: (limit: number | null) => invoke<AuditEntry[]>('audit', { limit }),

  topology: () => invoke<Topology>('topology'),
  checkTopology: () => invoke<TopologyFinding[]>('check_topology'),
  addDestination: (request: NewDestination) => invoke<DestinationView>('add_destination', { request }),
  addIntermediary: (request: NewIntermediary) => invoke<IntermediaryView>('add_intermediary', { request }),
  setRoute: (destination: string, via: string[]) => invoke<DestinationView>('set_route', { destination, via }),
  destination: (name: string) => invoke<DestinationView>('destination', { name }),
  demo: () => invoke<DemoOutcome>('demo'),

  trustList: (destination: string) => invoke<TrustListView>('trust_list', { destination }),
  trustAdd: (destination: string, addition: TrustAdditionRequest, note: string) =>
    invoke<TrustListView>('trust_add', { destination, addition, note }),
  trustRemove: (destination: string, entry: string) => invoke<TrustListView>('trust_remove', { destination, entry }),
  trustSetNote: (destination: string, entry: string, note: string) =>
    invoke<TrustListView>('trust_set_note', { destination, entry, note }),
  trustHistory: (destination: string) => invoke<TrustListVersion[]>('trust_history', { destination }),
  trustDiff: (destination: string, from: number, to: number) =>
    invoke<TrustListChange[]>('trust_diff', { destination, from, to }),
  trustRevert: (destination: string, version: number) => invoke<TrustListView>('trust_revert', { destination, version }),
  trustExport: (destination: string, format: TrustExportFormat, path: string) =>
    invoke<void>('trust_export', { destination, format, path }),
  trustImport: (destination: string, path: string) => invoke<TrustListView>('trust_import', { destination, path }),
  trustCheck: (destination: string, text: string, at: string | null) =>
    invoke<TrustDecision>('trust_check', { destination, text, at }),
  readPresentedFile: (path: string) => invoke<string>('read_presented_file', { path }),

  gatewayStart: () => invoke<GatewayStatus>('gateway_start'),
  gatewayStop: () => invoke<GatewayStopped | null>('gateway_stop'),
  gatewayStatus: () => invoke<GatewayStatus | null>('gateway_status'),
  gatewaySetFault: (hop: string, fault: Fault) => invoke<GatewayStatus>('gateway_set_fault', { hop, fault }),
  gatewayClearFault: (hop: string) => invoke<GatewayStatus>('gateway_clear_fault', { hop }),

  exchangeRows: (afterId: number) => invoke<RawExchangeRow[]>('exchange_rows', { afterId }),
  exchangeVerdicts: (ids: number[]) => invoke<RowVerdict[]>('exchange_verdicts', { ids }),
  judgeExchanges: (limit: number) => invoke<JudgeProgress>('judge_exchanges', { limit }),
  searchExchangeHeaders: (text: string) => invoke<HeaderSearch>('search_exchange_headers', { text }),
  indexExchangeHeaders: (maxRecords: number) => invoke<number>('index_exchange_headers', { maxRecords }),
  clearExchanges: () => invoke<number>('clear_exchanges'),
  exchangeView: (exchangeId: string) => invoke<ExchangeView>('exchange_view', { exchangeId }),
  exchangeCurl: (exchangeId: string) => invoke<CurlCommand>('exchange_curl', { exchangeId }),
  exportExchangesHar: (exchangeIds: string[], path: string) => invoke<HarExport>('export_exchanges_har', { exchangeIds, path }),
  exchangeScenarios: () => invoke<ScenarioSummary[]>('exchange_scenarios'),
  runScenario: (request: ExchangeRunRequest) => invoke<ExchangeRun>('run_scenario', { request }),
  liveTopology: (windowSeconds: number) => invoke<LiveTopology>('live_topology', { windowSeconds }),
  hopFigures: (windowSeconds: number, bucketSeconds: number) =>
    invoke<HopFigures>('hop_figures', { request: { window_seconds: windowSeconds, bucket_seconds: bucketSeconds } }),
  setHopFault: (hop: string, fault: Fault | null) => invoke<void>('set_hop_fault', { hop, fault }),
};

export function isCommandError(value: unknown): value is CommandError {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as CommandError).code === 'string' &&
    typeof (value as CommandError).message === 'string'
  );
}

/** Text for an error caught from a command, a thrown Error or anything else. */
export function errorMessage(error: unknown): string {
  if (isCommandError(error)) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}

/** Returns the `code` of a CommandError, or `undefined` for other errors. */
export function errorCode(error: unknown): string | undefined {
  return isCommandError(error) ? error.code : undefined;
}
