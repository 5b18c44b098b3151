//! Gateway events for the UI: the running gateway's changes become Tauri
//! events that the exchange list and the live topology listen to.

use hopscope_workspace::GatewayEvent;
use tauri::{AppHandle, Emitter};
use tokio::sync::broadcast;

/// Event sent when hop records were stored; the list then reads the new
/// rows. Its payload is the gateway writer's total, or 0 after a scenario
/// run.
pub const EXCHANGES_RECORDED: &str = "exchanges-recorded";
/// Event sent when the running gateway applied a fault change or swapped a
/// rotated certificate in; its payload is the hop or credential name.
pub const GATEWAY_CHANGED: &str = "gateway-changed";

/// Forwards the events of a running gateway until it stops.
pub fn forward_gateway_events(app: AppHandle, mut events: broadcast::Receiver<GatewayEvent>) {
    tauri::async_runtime::spawn(async move {
        loop {
            let emitted = match events.recv().await {
                Ok(GatewayEvent::RecordsWritten { written }) => app.emit(EXCHANGES_RECORDED, written),
                Ok(GatewayEvent::FaultChanged { hop, .. }) => app.emit(GATEWAY_CHANGED, hop),
                Ok(GatewayEvent::CertificateSwapped(swap)) => app.emit(GATEWAY_CHANGED, swap.credential),
                // A UI that reads late only needs to know that something
                // changed, and the next event signals that too.
                Err(broadcast::error::RecvError::Lagged(skipped)) => {
                    tracing::debug!(skipped, "gateway events skipped while the UI read slowly");
                    continue;
                }
                Err(broadcast::error::RecvError::Closed) => return,
            };
            if let Err(error) = emitted {
                tracing::warn!(error = %error, "cannot send a gateway event to the UI");
            }
        }
    });
}

/// Tells the UI that records were stored outside the gateway's writer.
pub fn announce_records(app: &AppHandle) {
    if let Err(error) = app.emit(EXCHANGES_RECORDED, 0u64) {
        tracing::warn!(error = %error, "cannot tell the UI about new exchange records");
    }
}
