//! App state kept between commands: the workspace path, once created or
//! opened the workspace itself, and the test gateway while it runs.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use hopscope_workspace::{Fault, GatewayRuntime, GatewayStatus, GatewayStopped, Workspace};
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

    /// Starts the gateway of the workspace's topology and forwards its
    /// events to the UI. Fails when it already runs, when the topology has no
    /// intermediary, or when a port is in use (the message names the address).
    pub async fn start_gateway(&self, app: &AppHandle) -> Result<GatewayStatus, CommandError> {
        let workspace = self.workspace().await?;
        // Held across the start, so two clicks cannot start two gateways.
        let mut running = self.gateway.lock().await;
        if running.is_some() {
            return Err(CommandError {
                code: "gateway-running",
                message: "the gateway is already running; stop it first".to_owned(),
            });
        }
        let runtime = workspace.start_gateway().await?;
        crate::live::forward_gateway_events(app.clone(), runtime.events());
        let status = runtime.status();
        tracing::info!(listeners = status.listeners.len(), "gateway started");
        *running = Some(runtime);
        Ok(status)
    }

    /// Starts the gateway unless it runs. A start that fails, such as on a
    /// port that another gateway holds, is logged and left to the caller's
    /// next step to report.
    pub async fn start_gateway_if_stopped(&self, app: &AppHandle) {
        if self.gateway.lock().await.is_some() {
            return;
        }
        if let Err(error) = self.start_gateway(app).await {
            tracing::info!(code = error.code, error = %error.message, "the app did not start its gateway");
        }
    }

    /// Sets (`Some`) or clears (`None`) the fault of `hop` in the running
    /// gateway, which stores it too, or only in the workspace when the app's
    /// gateway is stopped.
    pub async fn set_fault(&self, hop: &str, fault: Option<&Fault>) -> Result<(), CommandError> {
        let running = self.gateway.lock().await;
        match (running.as_ref(), fault) {
            (Some(runtime), Some(fault)) => runtime.set_fault(hop, fault).await?,
            (Some(runtime), None) => runtime.clear_fault(hop).await?,
            (None, fault) => {
                self.workspace().await?.set_fault(hop, fault).await?;
            }
        }
        Ok(())
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
