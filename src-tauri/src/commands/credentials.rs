//! Credentials: listing, issuing, rotating, revoking and their policies.

use hopscope_pki::revocation::RevocationReason;
use hopscope_workspace::{CredentialDetail, CredentialSummary, NewCredential, RotationPolicy};
use tauri::State;

use crate::error::CommandError;
use crate::state::AppState;

/// Lists every credential but the authorities. With `expiring_within_seconds`,
/// lists only those whose current certificate expires within that many seconds.
#[tauri::command]
#[tracing::instrument(skip(state), err(Debug))]
pub async fn list_credentials(
    state: State<'_, AppState>,
    expiring_within_seconds: Option<i64>,
) -> Result<Vec<CredentialSummary>, CommandError> {
    Ok(state.workspace().await?.list_credentials(expiring_within_seconds).await?)
}

#[tauri::command]
#[tracing::instrument(skip(state), err(Debug))]
pub async fn credential(state: State<'_, AppState>, name: String) -> Result<CredentialDetail, CommandError> {
    Ok(state.workspace().await?.credential(&name).await?)
}

#[tauri::command]
#[tracing::instrument(skip(state), err(Debug))]
pub async fn issue(state: State<'_, AppState>, request: NewCredential) -> Result<CredentialSummary, CommandError> {
    Ok(state.workspace().await?.issue(&request).await?)
}

#[tauri::command]
#[tracing::instrument(skip(state), err(Debug))]
pub async fn rotate(
    state: State<'_, AppState>,
    name: String,
    reuse_key: bool,
) -> Result<CredentialSummary, CommandError> {
    Ok(state.workspace().await?.rotate(&name, reuse_key).await?)
}

#[tauri::command]
#[tracing::instrument(skip(state), err(Debug))]
pub async fn due_for_rotation(state: State<'_, AppState>) -> Result<Vec<CredentialSummary>, CommandError> {
    Ok(state.workspace().await?.due_for_rotation().await?)
}

#[tauri::command]
#[tracing::instrument(skip(state), err(Debug))]
pub async fn set_rotation_policy(
    state: State<'_, AppState>,
    name: String,
    policy: RotationPolicy,
) -> Result<(), CommandError> {
    Ok(state.workspace().await?.set_rotation_policy(&name, policy).await?)
}

#[tauri::command]
#[tracing::instrument(skip(state), err(Debug))]
pub async fn revoke(state: State<'_, AppState>, name: String, reason: RevocationReason) -> Result<(), CommandError> {
    Ok(state.workspace().await?.revoke(&name, reason).await?)
}
