//! GUI end-to-end tests: the real app window under Xvfb, driven through
//! tauri-driver and WebKitWebDriver. Run them under `xvfb-run -a`; they find
//! the app, tauri-driver and the artifacts folder through HOPSCOPE_APP_BIN,
//! TAURI_DRIVER and HOPSCOPE_ARTIFACTS (see driver.rs for the defaults).

mod driver;
mod ui;

use std::path::Path;
use std::process::Command;
use std::sync::Mutex;
use std::time::Duration;

use anyhow::{ensure, Context, Result};
use fantoccini::key::Key;
use hopscope_pki::{KeyType, Role};
use hopscope_workspace::{NewAuthority, NewCredential, Workspace};

use crate::driver::{artifacts_dir, check_prerequisites, TauriDriver};
use crate::ui::{testid, Gui};

const PASSPHRASE: &str = "correct horse battery staple";
const PUBLIC_URL: &str = "https://fhir.int-one.test:8443/d-corp";
/// Upper bound for one whole scenario, so a stuck window fails the test
/// instead of hanging CI.
const SCENARIO_TIMEOUT: Duration = Duration::from_secs(300);

/// Upper bound for the failure screenshot and for closing the session.
const CLEANUP_TIMEOUT: Duration = Duration::from_secs(20);

/// The app windows share one X display and two CPU cores; one at a time keeps
/// the timings of each scenario predictable.
static ONE_WINDOW_AT_A_TIME: Mutex<()> = Mutex::new(());

/// What the app finds at its workspace path when it starts.
#[derive(PartialEq, Eq)]
enum Start {
    /// No file: the app offers to create the workspace.
    NoWorkspace,
    /// A workspace made by `prepare_locked_workspace`.
    PreparedWorkspace,
    /// A workspace made by `prepare_many_credentials`.
    ManyCredentials,
}

/// Runs `scenario` with a fresh temp folder, tauri-driver and a session on a
/// workspace at `<temp>/workspace.db`, then closes the session and stops the
/// driver even when the scenario fails.
async fn with_app<F>(name: &'static str, start: Start, scenario: F) -> Result<()>
where
    F: AsyncFnOnce(&Gui, &Path) -> Result<()>,
{
    let _window_slot = ONE_WINDOW_AT_A_TIME.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    check_prerequisites()?;
    let artifacts = artifacts_dir();
    std::fs::create_dir_all(&artifacts).with_context(|| format!("creating {}", artifacts.display()))?;

    let temp = tempfile::tempdir()?;
    let workspace = temp.path().join("workspace.db");
    match start {
        Start::NoWorkspace => {}
        Start::PreparedWorkspace => prepare_locked_workspace(&workspace).await?,
        Start::ManyCredentials => prepare_many_credentials(&workspace).await?,
    }
    // The app logs to $XDG_DATA_HOME/hopscope; keep that inside the temp folder.
    let data_home = temp.path().join("data");
    // NOTE: WEBKIT_DISABLE_COMPOSITING_MODE=1 made animation frames under
    // Xvfb about 10 times faster, but WebKitWebDriver then never answered the
    // click that leaves the create-workspace screen, so it stays unset.
    let env = [("XDG_DATA_HOME", data_home.as_path())];
    let driver = TauriDriver::start(&artifacts.join(format!("{name}-tauri-driver.log")), &env)?;
    let client = driver.session(&workspace).await?;
    let gui = Gui::new(client, artifacts, name);

    let outcome = tokio::time::timeout(SCENARIO_TIMEOUT, scenario(&gui, temp.path())).await;
    // WebDriver requests have no timeout of their own, and a hung window
    // would hang these too.
    if !matches!(outcome, Ok(Ok(()))) {
        // A picture of the window as it was when the scenario failed.
        let _ = tokio::time::timeout(CLEANUP_TIMEOUT, gui.screenshot("failure")).await;
    }
    let closed = tokio::time::timeout(CLEANUP_TIMEOUT, gui.client.close()).await;
    drop(driver);
    outcome.with_context(|| format!("scenario {name} took longer than {SCENARIO_TIMEOUT:?}"))??;
    closed.context("closing the WebDriver session timed out")?.context("closing the WebDriver session")?;
    Ok(())
}

/// Creates a workspace through the service API, with one root authority, so the
/// unlock test starts from a file the app did not create.
async fn prepare_locked_workspace(path: &Path) -> Result<()> {
    let workspace = Workspace::create(path, PASSPHRASE).await?;
    workspace
        .create_authority(&NewAuthority {
            name: "prepared-root".into(),
            parent: None,
            key_type: KeyType::EcdsaP256,
            validity_seconds: 3650 * 86_400,
            path_len: None,
        })
        .await?;
    workspace.close().await;
    Ok(())
}

/// Number of credentials for the long-list test, unless HOPSCOPE_GUI_ROWS
/// sets another. Issuing one costs a key generation and a SQLite
/// transaction, about 40 ms in a debug build on a 2-core machine, so the
/// default keeps the test under a minute; 10,000 takes about 7 minutes.
const DEFAULT_ROWS: usize = 1000;

fn row_count() -> usize {
    std::env::var("HOPSCOPE_GUI_ROWS").ok().and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_ROWS)
}

/// Creates a workspace with one authority and `row_count()` private-endpoint
/// credentials whose lifetimes put some in the amber and red expiry ranges.
async fn prepare_many_credentials(path: &Path) -> Result<()> {
    let workspace = Workspace::create(path, PASSPHRASE).await?;
    workspace
        .create_authority(&NewAuthority {
            name: "bulk-root".into(),
            parent: None,
            key_type: KeyType::EcdsaP256,
            validity_seconds: 3650 * 86_400,
            path_len: None,
        })
        .await?;
    let rows = row_count();
    for i in 0..rows {
        let days = match i % 10 {
            0 => 5,
            1 => 20,
            _ => 90 + i as i64 % 300,
        };
        workspace
            .issue(&NewCredential {
                name: format!("node-{i:05}"),
                role: Role::PrivateEndpoint,
                authority: "bulk-root".into(),
                url: format!("https://node-{i:05}.internal.test:9443/fhir"),
                key_type: KeyType::EcdsaP256,
                validity_seconds: days * 86_400,
            })
            .await
            .with_context(|| format!("issuing credential {i} of {rows}"))?;
    }
    workspace.close().await;
    Ok(())
}

/// Frames the scroll script takes to go from the top of the list to the end.
const SCROLL_STEPS: usize = 60;

/// Scrolls the certificate list from top to bottom in `SCROLL_STEPS` animation
/// frames and returns the elapsed milliseconds.
const SCROLL_THROUGH_LIST: &str = r#"
const done = arguments[arguments.length - 1];
const list = document.querySelector('[data-testid="cert-list"]');
const steps = arguments[0];
let step = 0;
const start = performance.now();
function next() {
  list.scrollTop = ((list.scrollHeight - list.clientHeight) * step) / steps;
  step += 1;
  if (step > steps) { done(performance.now() - start); return; }
  requestAnimationFrame(next);
}
requestAnimationFrame(next);
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_list_renders_visible_rows() -> Result<()> {
    with_app("long-list", Start::ManyCredentials, async |gui, _temp| {
        let total = row_count() + 1;
        gui.type_into("passphrase", PASSPHRASE).await?;
        gui.click("unlock").await?;
        let list = gui.find("cert-list").await?;
        gui.wait_count(&format!("[data-testid=\"cert-list\"][data-count=\"{total}\"]"), 1).await?;

        // Only the rows in view and a few around them are in the DOM.
        let rendered = gui.count("[data-testid=\"cert-row\"]").await?;
        ensure!(rendered > 0 && rendered < 60, "expected only the visible rows to be rendered, found {rendered} of {total}");
        gui.screenshot("01-certificates").await?;

        // Scroll through the whole list, one position per animation frame.
        let elapsed = gui.client.execute_async(SCROLL_THROUGH_LIST, vec![SCROLL_STEPS.into()]).await?;
        let frames = elapsed.as_f64().context("the scroll script returns milliseconds")? / SCROLL_STEPS as f64;
        eprintln!("scrolling {total} rows: {frames:.1} ms per frame over {SCROLL_STEPS} frames");
        let rendered = gui.count("[data-testid=\"cert-row\"]").await?;
        ensure!(rendered < 60, "expected only the visible rows after scrolling, found {rendered}");

        // End jumps to the last row (sorted by days left, so the longest-lived
        // authority), which must then be rendered.
        list.send_keys(&char::from(Key::End).to_string()).await?;
        gui.css("[data-testid=\"cert-row\"][data-name=\"bulk-root\"]").await?;
        let rendered = gui.count("[data-testid=\"cert-row\"]").await?;
        ensure!(rendered < 60, "expected only the visible rows after End, found {rendered}");
        gui.screenshot("02-certificates-end").await?;

        gui.find("cert-filter-status").await?.select_by_value("valid").await?;
        gui.type_into("cert-search", "node-0001").await?;
        let matching = (0..row_count()).filter(|i| format!("node-{i:05}").starts_with("node-0001")).count();
        gui.wait_count("[data-testid=\"cert-row\"]", matching).await?;

        gui.click("nav-timeline").await?;
        gui.find("timeline-view").await?;
        gui.screenshot("03-timeline").await?;
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unlock_rejects_wrong_passphrase() -> Result<()> {
    with_app("unlock", Start::PreparedWorkspace, async |gui, temp| {
        gui.find("unlock-screen").await?;
        gui.screenshot("01-unlock").await?;

        gui.type_into("passphrase", "not the passphrase").await?;
        gui.click("unlock").await?;
        let error = gui.text("unlock-error").await?;
        ensure!(error.contains("wrong passphrase"), "unlock error should name the wrong passphrase, got: {error}");
        gui.screenshot("02-wrong-passphrase").await?;
        ensure!(gui.count(&testid("unlock-screen")).await? == 1, "the unlock screen should stay after a wrong passphrase");
        ensure!(gui.count(&testid("app-shell")).await? == 0, "the workspace must stay locked after a wrong passphrase");
        ensure!(gui.count(&testid("passphrase")).await? == 1, "the passphrase field should stay for another try");

        gui.type_into("passphrase", PASSPHRASE).await?;
        gui.find("passphrase").await?.send_keys(&char::from(Key::Enter).to_string()).await?;
        gui.find("app-shell").await?;
        gui.css("[data-testid=\"cert-row\"][data-name=\"prepared-root\"]").await?;
        gui.screenshot("03-unlocked").await?;
        check_log_has_no_secrets(temp, &[PASSPHRASE, "not the passphrase"])
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_issue_rotate_export() -> Result<()> {
    with_app("lifecycle", Start::NoWorkspace, async |gui, temp| {
        create_workspace(gui).await?;
        create_root_authority(gui).await?;
        issue_public_endpoint(gui).await?;
        open_from_list_with_keyboard(gui).await?;
        rotate_current(gui).await?;
        export_pem(gui, temp).await?;
        import_pem(gui, temp).await?;
        set_rotation_policy(gui).await?;
        let serial = revoke_current(gui).await?;
        export_crl(gui, temp, &serial).await?;
        visit_other_screens(gui).await?;
        check_log_has_no_secrets(temp, &[PASSPHRASE])
    })
    .await
}

/// Checks that the app's log file exists and contains none of `secrets`.
fn check_log_has_no_secrets(temp: &Path, secrets: &[&str]) -> Result<()> {
    let log_file = temp.join("data/hopscope/hopscope.log");
    let log = std::fs::read_to_string(&log_file).with_context(|| format!("reading the app log {}", log_file.display()))?;
    ensure!(log.contains("starting Hopscope"), "the app log should record the start, got: {log:.200}");
    for secret in secrets {
        ensure!(!log.contains(secret), "the app log {} contains the secret {secret:?}", log_file.display());
    }
    Ok(())
}

async fn create_workspace(gui: &Gui) -> Result<()> {
    gui.find("create-workspace-screen").await?;
    gui.screenshot("01-create-workspace").await?;
    gui.type_into("passphrase", PASSPHRASE).await?;
    gui.type_into("passphrase-confirm", PASSPHRASE).await?;
    gui.click("create-workspace").await?;
    gui.find("app-shell").await?;
    gui.find("cert-empty").await?;
    gui.screenshot("02-certificates-empty").await
}

async fn create_root_authority(gui: &Gui) -> Result<()> {
    gui.click("nav-authorities").await?;
    gui.find("authorities-empty").await?;
    gui.click("open-create-authority").await?;
    gui.find("create-authority-dialog").await?;
    gui.type_into("authority-name", "demo-community").await?;
    gui.click("authority-kind-root").await?;
    gui.find("authority-key-type").await?.select_by_value("ecdsa-p256").await?;
    gui.screenshot("03-create-authority-dialog").await?;
    gui.click("dialog-submit").await?;
    gui.wait_gone("create-authority-dialog").await?;
    gui.css("[data-testid=\"authority-row\"][data-name=\"demo-community\"]").await?;
    gui.screenshot("04-authorities").await
}

async fn issue_public_endpoint(gui: &Gui) -> Result<()> {
    gui.click("sidebar-issue").await?;
    gui.find("issue-dialog").await?;
    gui.type_into("issue-name", "d-corp-public").await?;
    gui.find("issue-role").await?.select_by_value("public-endpoint").await?;
    gui.find("issue-authority").await?.select_by_value("demo-community").await?;

    // The backend's URL validation error shows under the URL field.
    gui.type_into("issue-url", "http://fhir.int-one.test:8443/d-corp").await?;
    gui.click("dialog-submit").await?;
    let url_error = gui.text("issue-url-error").await?;
    ensure!(url_error.contains("https"), "the URL error should ask for https, got: {url_error}");
    gui.screenshot("05-issue-url-error").await?;

    gui.type_into("issue-url", PUBLIC_URL).await?;
    gui.screenshot("06-issue-dialog").await?;
    // Enter in a field submits the dialog.
    gui.find("issue-url").await?.send_keys(&char::from(Key::Enter).to_string()).await?;
    gui.wait_gone("issue-dialog").await
}

async fn open_from_list_with_keyboard(gui: &Gui) -> Result<()> {
    gui.click("nav-certificates").await?;
    gui.type_into("cert-search", "d-corp").await?;
    gui.wait_count("[data-testid=\"cert-row\"]", 1).await?;
    gui.css("[data-testid=\"cert-row\"][data-name=\"d-corp-public\"]").await?;
    gui.screenshot("07-certificates").await?;

    let list = gui.find("cert-list").await?;
    let keys: String = [char::from(Key::Down), char::from(Key::Enter)].iter().collect();
    list.send_keys(&keys).await.context("pressing Down and Enter in the certificate list")?;
    gui.css("[data-testid=\"detail-view\"][data-name=\"d-corp-public\"]").await?;
    gui.wait_count("[data-testid=\"history-row\"]", 1).await?;
    let url = gui.text("detail-url").await?;
    ensure!(url == PUBLIC_URL, "the detail view should show the URL {PUBLIC_URL}, got {url}");
    let sans = gui.text("field-sans").await?;
    ensure!(sans.contains("fhir.int-one.test"), "the SANs should cover the URL's host, got: {sans}");
    gui.screenshot("08-detail").await
}

async fn rotate_current(gui: &Gui) -> Result<()> {
    let serial_before = gui.text("field-serial").await?;
    gui.click("detail-rotate").await?;
    gui.find("rotate-dialog").await?;
    gui.screenshot("09-rotate-dialog").await?;
    gui.click("dialog-submit").await?;
    gui.wait_gone("rotate-dialog").await?;
    gui.wait_count("[data-testid=\"history-row\"]", 2).await?;
    gui.wait_count("[data-testid=\"history-row\"][data-current=\"true\"]", 1).await?;
    let versions = gui.text("detail-versions").await?;
    ensure!(versions == "2", "the credential should have 2 versions after one rotation, got {versions}");
    let serial_after = gui.text("field-serial").await?;
    ensure!(serial_after != serial_before, "rotation should make a new certificate current (serial stayed {serial_before})");
    gui.screenshot("10-detail-rotated").await
}

async fn export_pem(gui: &Gui, temp: &Path) -> Result<()> {
    let target = temp.join("d-corp-public.pem");
    gui.click("detail-export").await?;
    gui.find("export-dialog").await?;
    gui.click("export-format-pem").await?;
    gui.type_into("export-path", target.to_str().context("temp path is not UTF-8")?).await?;
    gui.screenshot("11-export-dialog").await?;
    gui.click("dialog-submit").await?;
    gui.wait_gone("export-dialog").await?;

    let pem = std::fs::read_to_string(&target).with_context(|| format!("reading the export {}", target.display()))?;
    ensure!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "the export should be a PEM certificate, got: {pem:.80}");
    // openssl is an independent parser of what the app wrote.
    let output = Command::new("openssl")
        .args(["x509", "-noout", "-subject", "-ext", "subjectAltName", "-in"])
        .arg(&target)
        .output()
        .context("running openssl x509; install openssl")?;
    let printed = String::from_utf8_lossy(&output.stdout);
    ensure!(output.status.success(), "openssl x509 rejected the export: {}", String::from_utf8_lossy(&output.stderr));
    ensure!(printed.contains("fhir.int-one.test"), "the exported certificate should name fhir.int-one.test, openssl printed: {printed}");
    Ok(())
}

/// Imports through the dialog with typed paths: first the exported PEM,
/// which the workspace already contains, so the dialog must show the error
/// and stay open; then a certificate made by openssl, which becomes a new
/// credential.
async fn import_pem(gui: &Gui, temp: &Path) -> Result<()> {
    let duplicate = temp.join("d-corp-public.pem");
    let external = make_external_certificate(temp)?;

    gui.click("sidebar-import").await?;
    gui.find("import-dialog").await?;
    gui.type_into("import-path", duplicate.to_str().context("temp path is not UTF-8")?).await?;
    gui.find("import-role").await?.select_by_value("public-endpoint").await?;
    gui.click("dialog-submit").await?;
    let error = gui.text("dialog-error").await?;
    ensure!(error.contains("already in the workspace"), "importing a certificate twice should fail, got: {error}");
    ensure!(gui.count(&testid("import-dialog")).await? == 1, "the import dialog should stay open after an error");

    gui.type_into("import-path", external.to_str().context("temp path is not UTF-8")?).await?;
    // The dialog inspects the file before importing it.
    gui.css("[data-testid=\"import-preview\"]").await?;
    let preview = gui.text("import-preview").await?;
    ensure!(preview.contains("gw.external.test"), "the import preview should show the subject, got: {preview}");
    gui.type_into("import-name", "external-gateway").await?;
    gui.find("import-role").await?.select_by_value("private-endpoint").await?;
    gui.screenshot("12-import-dialog").await?;
    gui.click("dialog-submit").await?;
    gui.wait_gone("import-dialog").await?;

    gui.click("nav-certificates").await?;
    gui.type_into("cert-search", "external").await?;
    gui.css("[data-testid=\"cert-row\"][data-name=\"external-gateway\"]").await?.click().await?;
    gui.css("[data-testid=\"detail-view\"][data-name=\"external-gateway\"]").await?;
    gui.screenshot("13-detail-imported").await?;

    // Back to the rotated credential for the revocation that follows.
    gui.click("nav-certificates").await?;
    gui.type_into("cert-search", "d-corp-public").await?;
    gui.css("[data-testid=\"cert-row\"][data-name=\"d-corp-public\"]").await?.click().await?;
    gui.css("[data-testid=\"detail-view\"][data-name=\"d-corp-public\"]").await?;
    Ok(())
}

/// Makes a self-signed server certificate with openssl, as an operator
/// would bring from outside Hopscope, and returns the path of its PEM.
fn make_external_certificate(temp: &Path) -> Result<std::path::PathBuf> {
    let cert = temp.join("external-gateway.pem");
    let key = temp.join("external-gateway.key");
    let output = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "90"])
        .args(["-subj", "/CN=gw.external.test", "-addext", "subjectAltName=DNS:gw.external.test"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .context("running openssl req; install openssl")?;
    ensure!(output.status.success(), "openssl req failed: {}", String::from_utf8_lossy(&output.stderr));
    Ok(cert)
}

/// Saves a rotation policy of 50 % through the detail view's policy form.
async fn set_rotation_policy(gui: &Gui) -> Result<()> {
    gui.type_into("policy-percent", "50").await?;
    gui.click("policy-save").await?;
    gui.css("[data-testid=\"toast\"]").await?;
    // The form reloads with the saved policy.
    gui.wait_value("policy-percent", "50").await
}

/// Revokes the current certificate of the open credential and returns its serial.
async fn revoke_current(gui: &Gui) -> Result<String> {
    let serial = gui.text("field-serial").await?;
    gui.click("detail-revoke").await?;
    gui.find("revoke-dialog").await?;
    gui.find("revoke-reason").await?.select_by_value("superseded").await?;
    // The destructive button stays disabled until the operator confirms.
    let submit = gui.find("dialog-submit").await?;
    ensure!(!submit.is_enabled().await?, "Revoke must be disabled before the confirmation is ticked");
    gui.click("revoke-confirm").await?;
    gui.screenshot("14-revoke-dialog").await?;
    gui.click("dialog-submit").await?;
    gui.wait_gone("revoke-dialog").await?;
    gui.css("[data-testid=\"detail-view\"] [data-testid=\"status-badge\"][data-status=\"revoked\"]").await?;
    gui.screenshot("15-detail-revoked").await?;
    Ok(serial)
}

/// Exports the root's CRL as PEM and checks with openssl that it lists `serial`.
async fn export_crl(gui: &Gui, temp: &Path, serial: &str) -> Result<()> {
    let target = temp.join("demo-community.crl");
    gui.click("nav-authorities").await?;
    gui.css("[data-testid=\"authority-row\"][data-name=\"demo-community\"] [data-testid=\"authority-crl\"]")
        .await?
        .click()
        .await?;
    gui.find("crl-dialog").await?;
    gui.type_into("crl-path", target.to_str().context("temp path is not UTF-8")?).await?;
    gui.screenshot("16-crl-dialog").await?;
    gui.click("dialog-submit").await?;
    gui.wait_gone("crl-dialog").await?;

    let output = Command::new("openssl")
        .args(["crl", "-noout", "-text", "-in"])
        .arg(&target)
        .output()
        .context("running openssl crl; install openssl")?;
    ensure!(output.status.success(), "openssl crl rejected the CRL: {}", String::from_utf8_lossy(&output.stderr));
    let printed = String::from_utf8_lossy(&output.stdout).to_uppercase().replace(':', "");
    let wanted = serial.to_uppercase();
    ensure!(printed.contains(&wanted), "the CRL should list the revoked serial {wanted}, openssl printed: {printed}");
    Ok(())
}

async fn visit_other_screens(gui: &Gui) -> Result<()> {
    // Escape closes a dialog without doing anything.
    gui.click("sidebar-import").await?;
    gui.find("import-dialog").await?;
    gui.screenshot("17-escape-closes-dialog").await?;
    gui.find("import-path").await?.send_keys(&char::from(Key::Escape).to_string()).await?;
    gui.wait_gone("import-dialog").await?;

    gui.click("nav-rotation").await?;
    gui.find("rotation-view").await?;
    gui.screenshot("18-due-for-rotation").await?;

    gui.click("nav-timeline").await?;
    gui.css("[data-testid=\"timeline-row\"][data-name=\"d-corp-public\"]").await?;
    gui.screenshot("19-timeline").await?;

    gui.click("nav-audit").await?;
    gui.css("[data-testid=\"audit-row\"][data-action=\"rotate\"]").await?;
    gui.css("[data-testid=\"audit-row\"][data-action=\"export\"]").await?;
    gui.css("[data-testid=\"audit-row\"][data-action=\"revoke\"]").await?;
    gui.css("[data-testid=\"audit-row\"][data-action=\"import\"]").await?;
    gui.css("[data-testid=\"audit-row\"][data-action=\"policy\"]").await?;
    gui.screenshot("20-audit").await
}
