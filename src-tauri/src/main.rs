//! Hopscope desktop app: a Tauri window over the workspace services. Every
//! command delegates to `hopscope_workspace::Workspace`; the logic lives there.

// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod auto_rotation;
mod commands;
mod error;
mod live;
mod logging;
mod state;

use std::path::PathBuf;

use hopscope_workspace::paths;
use tauri::Manager;

use crate::state::AppState;

fn main() -> anyhow::Result<()> {
    let explicit = parse_workspace_arg(std::env::args().skip(1))?;
    let workspace_path = paths::resolve_workspace(explicit);
    logging::init(&paths::log_file());
    tracing::info!(workspace = %workspace_path.display(), "starting Hopscope");

    tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .manage(AppState::new(workspace_path))
        .invoke_handler(tauri::generate_handler![
            commands::workspace::workspace_status,
            commands::workspace::create_workspace,
            commands::workspace::unlock,
            commands::authorities::create_authority,
            commands::authorities::list_authorities,
            commands::authorities::export_crl,
            commands::credentials::list_credentials,
            commands::credentials::credential,
            commands::credentials::issue,
            commands::credentials::rotate,
            commands::credentials::due_for_rotation,
            commands::credentials::set_rotation_policy,
            commands::credentials::revoke,
            commands::files::export_credential,
            commands::files::import_file,
            commands::files::inspect_file,
            commands::audit::audit,
            commands::topology::topology,
            commands::topology::check_topology,
            commands::topology::add_destination,
            commands::topology::add_intermediary,
            commands::topology::set_route,
            commands::topology::destination,
            commands::topology::demo,
            commands::trust::trust_list,
            commands::trust::trust_add,
            commands::trust::trust_remove,
            commands::trust::trust_set_note,
            commands::trust::trust_history,
            commands::trust::trust_diff,
            commands::trust::trust_revert,
            commands::trust::trust_export,
            commands::trust::trust_import,
            commands::trust::trust_check,
            commands::trust::read_presented_file,
            commands::gateway::gateway_start,
            commands::gateway::gateway_stop,
            commands::gateway::gateway_status,
            commands::gateway::gateway_set_fault,
            commands::gateway::gateway_clear_fault,
            commands::exchanges::exchange_rows,
            commands::exchanges::exchange_verdicts,
            commands::exchanges::judge_exchanges,
            commands::exchanges::search_exchange_headers,
            commands::exchanges::index_exchange_headers,
            commands::exchanges::clear_exchanges,
            commands::exchanges::exchange_view,
            commands::exchanges::exchange_curl,
            commands::exchanges::export_exchanges_har,
            commands::exchanges::exchange_scenarios,
            commands::exchanges::run_scenario,
            commands::exchanges::live_topology,
            commands::exchanges::hop_figures,
            commands::exchanges::set_hop_fault,
        ])
        .build(tauri::generate_context!())?
        .run(|app, event| {
            if let tauri::RunEvent::Exit = event {
                // The gateway's records would be lost and its ports left to
                // the runtime's teardown if the app exited under it.
                let state = app.state::<AppState>();
                tauri::async_runtime::block_on(state.stop_gateway());
                tracing::info!("Hopscope stopped");
            }
        });
    Ok(())
}

/// Reads `--workspace PATH` or `--workspace=PATH`. Other arguments are
/// ignored with a warning, because WebKit and GTK may add their own.
fn parse_workspace_arg(mut args: impl Iterator<Item = String>) -> anyhow::Result<Option<PathBuf>> {
    let mut workspace = None;
    while let Some(arg) = args.next() {
        if arg == "--workspace" {
            let value = args
                .next()
                .ok_or_else(|| anyhow::anyhow!("--workspace needs a path, such as --workspace ~/exchange.db"))?;
            workspace = Some(PathBuf::from(value));
        } else if let Some(value) = arg.strip_prefix("--workspace=") {
            workspace = Some(PathBuf::from(value));
        } else {
            eprintln!("hopscope-app: ignoring unknown argument {arg:?}; the only option is --workspace PATH");
        }
    }
    Ok(workspace)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> anyhow::Result<Option<PathBuf>> {
        parse_workspace_arg(args.iter().map(|a| a.to_string()))
    }

    #[test]
    fn workspace_arg_forms() {
        assert_eq!(parse(&[]).unwrap(), None);
        assert_eq!(parse(&["--workspace", "/tmp/a.db"]).unwrap(), Some(PathBuf::from("/tmp/a.db")));
        assert_eq!(parse(&["--workspace=/tmp/b.db"]).unwrap(), Some(PathBuf::from("/tmp/b.db")));
        assert_eq!(parse(&["--other", "--workspace", "/tmp/c.db"]).unwrap(), Some(PathBuf::from("/tmp/c.db")));
    }

    #[test]
    fn workspace_arg_without_value() {
        let err = parse(&["--workspace"]).unwrap_err();
        assert!(err.to_string().contains("needs a path"), "{err}");
    }
}
