//! App state kept between commands: the workspace path, once created or
//! opened the workspace itself, and the test gateway while it runs.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use hopscope_workspace::{GatewayRuntime, GatewayStopped, Workspace};
use tauri::AppHandle;
use tokio::sync::{Mutex, RwLock};

use crate::error::CommandError;

pub struct AppState {
    /// Path of the workspace file, existing or to be created; fixed at start-up.
    pub path: PathBuf,
    /// `None` until `create_workspace` or `unlock` opens the file.
    pub workspace: RwLock<Option<Workspace>>,
    /// The running test gateway; `None` while it is stopped.
    pub gateway: Mutex<Option<GatewayRuntime>>,
    auto_rotation_started: AtomicBool,
}

impl AppState {
    pub fn new(path: PathBuf) -> AppState {
        AppState {
            path,
            workspace: RwLock::new(None),
            gateway: Mutex::new(None),
            auto_rotation_started: AtomicBool::new(false),
        }
    }

    /// Stops the running gateway, if any, after its open requests finish and
    /// its pending records are written. The status reads stopped at once.
    pub async fn stop_gateway(&self) -> Option<GatewayStopped> {
        let runtime = self.gateway.lock().await.take()?;
        let stopped = runtime.stop().await;
        tracing::info!(written = stopped.written, dropped = stopped.dropped, failed = stopped.failed, "gateway stopped");
        Some(stopped)
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
