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
];

fn main() {
    let manifest = tauri_build::AppManifest::new().commands(COMMANDS);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
        .expect("tauri-build failed; check tauri.conf.json and capabilities/");
}
