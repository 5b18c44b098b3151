//! The exchange screens: the live list with verdicts, header search and
//! clearing, one exchange's detail, curl and HAR exports, scenario runs, and
//! the live topology and figures.

use std::path::PathBuf;

use hopscope_workspace::{
    CurlCommand, ExchangeRun, ExchangeRunRequest, ExchangeView, Fault, FiguresRequest, HarExport,
    HeaderSearch, HopFigures, JudgeProgress, LiveTopology, RowVerdict, ScenarioSummary,
};
use tauri::ipc::Response;
use tauri::{AppHandle, State};

use crate::error::CommandError;
use crate::live;
use crate::state::AppState;

/// Returns the exchanges with a row id above `after_id`, newest first, each
/// as an array in the order of `EXCHANGE_ROW_FIELDS`. The JSON is passed on
/// as the workspace wrote it, without decoding 100,000 rows.
#[tauri::command]
#[tracing::instrument(skip(state), err(Debug))]
pub async fn exchange_rows(state: State<'_, AppState>, after_id: i64) -> Result<Response, CommandError> {
    Ok(Response::new(state.workspace().await?.exchange_rows_json(after_id).await?))
}

/// Returns the verdict badges of the rows `ids`, judging those without a
/// current verdict.
#[tauri::command]
#[tracing::instrument(skip(state, ids), fields(rows = ids.len()), err(Debug))]
pub async fn exchange_verdicts(state: State<'_, AppState>, ids: Vec<i64>) -> Result<Vec<RowVerdict>, CommandError> {
    Ok(state.workspace().await?.exchange_verdicts(&ids).await?)
}

/// Judges up to `limit` exchanges without a current verdict, newest first.
#[tauri::command]
#[tracing::instrument(skip(state), err(Debug))]
pub async fn judge_exchanges(state: State<'_, AppState>, limit: u32) -> Result<JudgeProgress, CommandError> {
    Ok(state.workspace().await?.judge_exchanges(limit).await?)
}

/// Returns the exchanges whose headers contain `text`, ignoring ASCII case.
#[tauri::command]
#[tracing::instrument(skip(state, text), err(Debug))]
pub async fn search_exchange_headers(state: State<'_, AppState>, text: String) -> Result<HeaderSearch, CommandError> {
    Ok(state.workspace().await?.search_exchange_headers(&text).await?)
}

/// Indexes the headers of up to `max_records` hop records; returns how many remain.
#[tauri::command]
#[tracing::instrument(skip(state), err(Debug))]
pub async fn index_exchange_headers(state: State<'_, AppState>, max_records: u32) -> Result<i64, CommandError> {
    Ok(state.workspace().await?.index_exchange_headers(max_records).await?)
}

/// Deletes every stored exchange; returns how many.
#[tauri::command]
#[tracing::instrument(skip(state), err(Debug))]
pub async fn clear_exchanges(state: State<'_, AppState>) -> Result<u64, CommandError> {
    Ok(state.workspace().await?.clear_exchanges().await?)
}

#[tauri::command]
#[tracing::instrument(skip(state), err(Debug))]
pub async fn exchange_view(state: State<'_, AppState>, exchange_id: String) -> Result<ExchangeView, CommandError> {
    Ok(state.workspace().await?.exchange_view(&exchange_id).await?)
}

#[tauri::command]
#[tracing::instrument(skip(state), err(Debug))]
pub async fn exchange_curl(state: State<'_, AppState>, exchange_id: String) -> Result<CurlCommand, CommandError> {
    Ok(state.workspace().await?.exchange_curl(&exchange_id).await?)
}

/// Writes the exchanges `exchange_ids` (newest first) as a HAR 1.2 file.
#[tauri::command]
#[tracing::instrument(skip(state, exchange_ids), fields(exchanges = exchange_ids.len()), err(Debug))]
pub async fn export_exchanges_har(
    state: State<'_, AppState>,
    exchange_ids: Vec<String>,
    path: PathBuf,
) -> Result<HarExport, CommandError> {
    Ok(state.workspace().await?.export_exchanges_har(&exchange_ids, &path).await?)
}

#[tauri::command]
pub fn exchange_scenarios() -> Vec<ScenarioSummary> {
    hopscope_workspace::scenarios()
}

/// Runs a scenario through the app's gateway, starting it first when it is
/// stopped so that the exchanges appear in the list as they are recorded.
/// When another program listens on the gateway's ports, the run uses that
/// gateway instead. Emits `exchanges-recorded` when the run ends, because
/// the originator's records are written by the run's own record writer.
#[tauri::command]
#[tracing::instrument(skip(app, state), err(Debug))]
pub async fn run_scenario(
    app: AppHandle,
    state: State<'_, AppState>,
    request: ExchangeRunRequest,
) -> Result<ExchangeRun, CommandError> {
    let workspace = state.workspace().await?;
    state.start_gateway_if_stopped(&app).await;
    let run = workspace.run_scenario(&request, |_| {}).await;
    live::announce_records(&app);
    Ok(run?)
}

/// Returns the topology with request counts over the last `window_seconds`.
#[tauri::command]
#[tracing::instrument(skip(state), err(Debug))]
pub async fn live_topology(state: State<'_, AppState>, window_seconds: u32) -> Result<LiveTopology, CommandError> {
    Ok(state.workspace().await?.live_topology(window_seconds).await?)
}

#[tauri::command]
#[tracing::instrument(skip(state), err(Debug))]
pub async fn hop_figures(state: State<'_, AppState>, request: FiguresRequest) -> Result<HopFigures, CommandError> {
    Ok(state.workspace().await?.hop_figures(&request).await?)
}

/// Sets (`Some`) or clears (`None`) the fault of `hop`: at once in the app's
/// running gateway, else stored in the workspace, where a gateway another
/// process runs reads it within 200 ms.
#[tauri::command]
#[tracing::instrument(skip(state), err(Debug))]
pub async fn set_hop_fault(state: State<'_, AppState>, hop: String, fault: Option<Fault>) -> Result<(), CommandError> {
    state.set_fault(&hop, fault.as_ref()).await
}
