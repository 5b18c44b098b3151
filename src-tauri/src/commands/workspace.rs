//! Creating, opening and unlocking the workspace file.

use hopscope_workspace::Workspace;
use serde::Serialize;
use tauri::{AppHandle, State};
use zeroize::Zeroizing;

use crate::error::CommandError;
use crate::state::AppState;

/// Path and state of the workspace file, from which the unlock screen chooses
/// between "create" and "unlock".
#[derive(Debug, Serialize)]
pub struct WorkspaceStatus {
    pub path: String,
    pub exists: bool,
    pub unlocked: bool,
}

#[tauri::command]
#[tracing::instrument(skip(state), err(Debug))]
pub async fn workspace_status(state: State<'_, AppState>) -> Result<WorkspaceStatus, CommandError> {
    let open = state.workspace.read().await;
    Ok(WorkspaceStatus {
        path: state.path.display().to_string(),
        exists: state.path.exists(),
        unlocked: open.as_ref().is_some_and(Workspace::is_unlocked),
    })
}

/// Creates the workspace file at the app's workspace path.
#[tauri::command]
#[tracing::instrument(skip(app, state, passphrase), err(Debug))]
pub async fn create_workspace(app: AppHandle, state: State<'_, AppState>, passphrase: String) -> Result<(), CommandError> {
    let passphrase = Zeroizing::new(passphrase);
    let workspace = Workspace::create(&state.path, &passphrase).await?;
    *state.workspace.write().await = Some(workspace.clone());
    state.start_auto_rotation(app, workspace);
    Ok(())
}

/// Opens the workspace file if needed, then unlocks its key vault. A wrong
/// passphrase leaves it open but locked.
#[tauri::command]
#[tracing::instrument(skip(app, state, passphrase), err(Debug))]
pub async fn unlock(app: AppHandle, state: State<'_, AppState>, passphrase: String) -> Result<(), CommandError> {
    let passphrase = Zeroizing::new(passphrase);
    let workspace = {
        let mut open = state.workspace.write().await;
        if open.is_none() {
            *open = Some(Workspace::open(&state.path).await?);
        }
        open.clone().ok_or_else(CommandError::not_open)?
    };
    workspace.unlock(&passphrase).await?;
    state.start_auto_rotation(app, workspace);
    Ok(())
}
