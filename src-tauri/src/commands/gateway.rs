//! The embedded test gateway: start and stop it, read its status, and set
//! or clear a hop's fault while it runs.

use hopscope_workspace::{Fault, GatewayStatus, GatewayStopped};
use tauri::{AppHandle, State};

use crate::error::CommandError;
use crate::state::AppState;

/// Starts the gateway of the workspace's topology and returns its status.
/// Fails when it already runs, when the topology has no intermediary, or
/// when a port is in use (the message names the address).
#[tauri::command]
#[tracing::instrument(skip(app, state), err(Debug))]
pub async fn gateway_start(app: AppHandle, state: State<'_, AppState>) -> Result<GatewayStatus, CommandError> {
    state.start_gateway(&app).await
}

/// Stops the gateway after open requests finish and pending records are
/// written; returns the record totals, or `None` when it was not running.
#[tauri::command]
#[tracing::instrument(skip(state), err(Debug))]
pub async fn gateway_stop(state: State<'_, AppState>) -> Result<Option<GatewayStopped>, CommandError> {
    Ok(state.stop_gateway().await)
}

/// Returns the status of the running gateway, or `None` when it is stopped.
#[tauri::command]
pub async fn gateway_status(state: State<'_, AppState>) -> Result<Option<GatewayStatus>, CommandError> {
    Ok(state.gateway.lock().await.as_ref().map(|runtime| runtime.status()))
}

/// Stores the fault of `hop` and applies it to the running gateway at once.
#[tauri::command]
#[tracing::instrument(skip(state), err(Debug))]
pub async fn gateway_set_fault(state: State<'_, AppState>, hop: String, fault: Fault) -> Result<GatewayStatus, CommandError> {
    let running = state.gateway.lock().await;
    let runtime = running.as_ref().ok_or_else(CommandError::gateway_stopped)?;
    runtime.set_fault(&hop, &fault).await?;
    Ok(runtime.status())
}

/// Clears the stored fault of `hop` and stops applying it at once.
#[tauri::command]
#[tracing::instrument(skip(state), err(Debug))]
pub async fn gateway_clear_fault(state: State<'_, AppState>, hop: String) -> Result<GatewayStatus, CommandError> {
    let running = state.gateway.lock().await;
    let runtime = running.as_ref().ok_or_else(CommandError::gateway_stopped)?;
    runtime.clear_fault(&hop).await?;
    Ok(runtime.status())
}
