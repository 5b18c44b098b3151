//! Authorities: creating them and exporting their CRLs.

use std::path::PathBuf;

use hopscope_workspace::{CredentialSummary, NewAuthority};
use tauri::State;

use crate::commands::files::write_file;
use crate::error::CommandError;
use crate::state::AppState;

#[tauri::command]
#[tracing::instrument(skip(state), err(Debug))]
pub async fn create_authority(
    state: State<'_, AppState>,
    request: NewAuthority,
) -> Result<CredentialSummary, CommandError> {
    Ok(state.workspace().await?.create_authority(&request).await?)
}

#[tauri::command]
#[tracing::instrument(skip(state), err(Debug))]
pub async fn list_authorities(state: State<'_, AppState>) -> Result<Vec<CredentialSummary>, CommandError> {
    Ok(state.workspace().await?.list_authorities().await?)
}

/// Signs a fresh CRL of authority `name` and writes it to `path`, PEM or DER.
#[tauri::command]
#[tracing::instrument(skip(state), err(Debug))]
pub async fn export_crl(state: State<'_, AppState>, name: String, pem: bool, path: PathBuf) -> Result<(), CommandError> {
    let bytes = state.workspace().await?.crl(&name, pem).await?;
    write_file(&path, &bytes, false).await
}
