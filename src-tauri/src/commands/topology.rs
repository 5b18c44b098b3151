//! The topology: destinations, intermediaries, routes, their validation and
//! the demo network.

use hopscope_workspace::demo::DemoOutcome;
use hopscope_workspace::{DestinationView, IntermediaryView, NewDestination, NewIntermediary, Topology, TopologyFinding};
use tauri::State;

use crate::error::CommandError;
use crate::state::AppState;

#[tauri::command]
#[tracing::instrument(skip(state), err(Debug))]
pub async fn topology(state: State<'_, AppState>) -> Result<Topology, CommandError> {
    Ok(state.workspace().await?.topology().await?)
}

/// Returns every validation finding. An empty list means the exchange can run.
#[tauri::command]
#[tracing::instrument(skip(state), err(Debug))]
pub async fn check_topology(state: State<'_, AppState>) -> Result<Vec<TopologyFinding>, CommandError> {
    Ok(state.workspace().await?.check_topology().await?)
}

#[tauri::command]
#[tracing::instrument(skip(state), err(Debug))]
pub async fn add_destination(
    state: State<'_, AppState>,
    request: NewDestination,
) -> Result<DestinationView, CommandError> {
    Ok(state.workspace().await?.add_destination(&request).await?)
}

#[tauri::command]
#[tracing::instrument(skip(state), err(Debug))]
pub async fn add_intermediary(
    state: State<'_, AppState>,
    request: NewIntermediary,
) -> Result<IntermediaryView, CommandError> {
    Ok(state.workspace().await?.add_intermediary(&request).await?)
}

/// Replaces the route of `destination` with `via`: the inbound gateway
/// first, then the delegated intermediaries in order.
#[tauri::command]
#[tracing::instrument(skip(state), err(Debug))]
pub async fn set_route(
    state: State<'_, AppState>,
    destination: String,
    via: Vec<String>,
) -> Result<DestinationView, CommandError> {
    Ok(state.workspace().await?.set_route(&destination, &via).await?)
}

#[tauri::command]
#[tracing::instrument(skip(state), err(Debug))]
pub async fn destination(state: State<'_, AppState>, name: String) -> Result<DestinationView, CommandError> {
    Ok(state.workspace().await?.destination(&name).await?)
}

/// Fills the workspace with the demo network, or does nothing when it is there.
#[tauri::command]
#[tracing::instrument(skip(state), err(Debug))]
pub async fn demo(state: State<'_, AppState>) -> Result<DemoOutcome, CommandError> {
    Ok(state.workspace().await?.demo().await?)
}
