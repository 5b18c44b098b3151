/// Commands the UI may call. Listing them makes tauri-build generate one
/// `allow-<command>` permission each, and the capability in
/// `capabilities/main.json` grants exactly these.
const COMMANDS: &[&str] = &[
    "workspace_status",
    "create_workspace",
    "unlock",
    "create_authority",
    "list_authorities",
    "export_crl",
    "list_credentials",
    "credential",
    "issue",
    "rotate",
    "due_for_rotation",
    "set_rotation_policy",
    "revoke",
    "export_credential",
    "import_file",
    "inspect_file",
    "audit",
    "topology",
    "check_topology",
    "add_destination",
    "add_intermediary",
    "set_route",
    "destination",
    "demo",
    "trust_list",
    "trust_add",
    "trust_remove",
    "trust_set_note",
    "trust_history",
    "trust_diff",
    "trust_revert",
    "trust_export",
    "trust_import",
    "trust_check",
    "read_presented_file",
    "gateway_start",
    "gateway_stop",
    "gateway_status",
    "gateway_set_fault",
    "gateway_clear_fault",
];

fn main() {
    let manifest = tauri_build::AppManifest::new().commands(COMMANDS);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
        .expect("tauri-build failed; check tauri.conf.json and capabilities/");
}
