//! App state kept between commands: the workspace path and, once created or
//! opened, the workspace itself.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use hopscope_workspace::Workspace;
use tauri::AppHandle;
use tokio::sync::RwLock;

use crate::error::CommandError;

pub struct AppState {
    /// Path of the workspace file, existing or to be created; fixed at start-up.
    pub path: PathBuf,
    /// `None` until `create_workspace` or `unlock` opens the file.
    pub workspace: RwLock<Option<Workspace>>,
    auto_rotation_started: AtomicBool,
}

impl AppState {
    pub fn new(path: PathBuf) -> AppState {
        AppState { path, workspace: RwLock::new(None), auto_rotation_started: AtomicBool::new(false) }
    }

    /// Starts automatic rotation on the first unlock; later calls do nothing.
    pub fn start_auto_rotation(&self, app: AppHandle, workspace: Workspace) {
        if !self.auto_rotation_started.swap(true, Ordering::SeqCst) {
            crate::auto_rotation::start(app, workspace);
        }
    }

    /// Returns a clone of the open workspace, so that long operations (RSA key
    /// generation) do not hold the lock. Fails when nothing is open yet.
    pub async fn workspace(&self) -> Result<Workspace, CommandError> {
        self.workspace.read().await.clone().ok_or_else(CommandError::not_open)
    }
}
