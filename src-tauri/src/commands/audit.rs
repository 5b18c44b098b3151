//! The audit log.

use hopscope_workspace::AuditEntry;
use tauri::State;

use crate::error::CommandError;
use crate::state::AppState;

/// Returns the newest `limit` audit entries, newest first, or all of them
/// without a limit.
#[tauri::command]
#[tracing::instrument(skip(state), err(Debug))]
pub async fn audit(state: State<'_, AppState>, limit: Option<u32>) -> Result<Vec<AuditEntry>, CommandError> {
    Ok(state.workspace().await?.audit(limit).await?)
}
