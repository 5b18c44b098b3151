//! What the app keeps between commands: the workspace path and, once created
//! or opened, the workspace itself.

use std::path::PathBuf;

use hopscope_workspace::Workspace;
use tokio::sync::RwLock;

use crate::error::CommandError;

pub struct AppState {
    /// Where the workspace file is or will be created; fixed at start-up.
    pub path: PathBuf,
    /// `None` until `create_workspace` or `unlock` opens the file.
    pub workspace: RwLock<Option<Workspace>>,
}

impl AppState {
    pub fn new(path: PathBuf) -> AppState {
        AppState { path, workspace: RwLock::new(None) }
    }

    /// A clone of the open workspace, so that long operations (RSA key
    /// generation) do not hold the lock. Fails when nothing is open yet.
    pub async fn workspace(&self) -> Result<Workspace, CommandError> {
        self.workspace.read().await.clone().ok_or_else(CommandError::not_open)
    }
}
