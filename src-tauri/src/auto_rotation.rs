//! Automatic rotation while the app runs: credentials whose policy sets
//! `auto_rotate` are rotated once due, without asking. The UI hears about it
//! through the `credentials-changed` event.

use std::time::Duration;

use hopscope_workspace::Workspace;
use tauri::{AppHandle, Emitter};

/// How often the app checks for due credentials. Policies are in days, so a
/// quarter of an hour is prompt enough and costs one query.
const CHECK_INTERVAL: Duration = Duration::from_secs(15 * 60);

/// Event the UI listens to; its payload is the names of the rotated credentials.
pub const CREDENTIALS_CHANGED: &str = "credentials-changed";

/// Spawns the periodic check. The first check runs at once.
pub fn start(app: AppHandle, workspace: Workspace) {
    tracing::info!(interval_seconds = CHECK_INTERVAL.as_secs(), "automatic rotation checks started");
    tauri::async_runtime::spawn(async move {
        let mut ticker = tokio::time::interval(CHECK_INTERVAL);
        loop {
            ticker.tick().await;
            if !workspace.is_unlocked() {
                continue;
            }
            match workspace.rotate_due_automatic().await {
                Ok(rotated) if rotated.is_empty() => {}
                Ok(rotated) => {
                    let names: Vec<String> = rotated.into_iter().map(|summary| summary.name).collect();
                    tracing::info!(credentials = ?names, "rotated automatically");
                    if let Err(err) = app.emit(CREDENTIALS_CHANGED, &names) {
                        tracing::warn!(error = %err, "cannot notify the UI of automatic rotations");
                    }
                }
                Err(err) => tracing::error!(error = %err, "checking for automatic rotation failed"),
            }
        }
    });
}
