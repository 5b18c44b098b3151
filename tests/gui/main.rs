//! GUI end-to-end tests: the real app window under Xvfb, driven through
//! tauri-driver and WebKitWebDriver. Run them under `xvfb-run -a`; they find
//! the app, tauri-driver and the artifacts folder through HOPSCOPE_APP_BIN,
//! TAURI_DRIVER and HOPSCOPE_ARTIFACTS (see driver.rs for the defaults).

mod bench;
mod bench_exchanges;
mod driver;
mod exchanges;
mod gateway;
mod lifecycle;
mod topology_trust;
mod ui;

use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use anyhow::{ensure, Context, Result};
use fantoccini::key::Key;
use hopscope_pki::{KeyType, Role};
use hopscope_workspace::{NewAuthority, NewCredential, Workspace};

use crate::driver::{artifacts_dir, check_prerequisites, TauriDriver};
use crate::ui::{testid, Gui};

pub(crate) const PASSPHRASE: &str = "correct horse battery staple";
pub(crate) const PUBLIC_URL: &str = "https://fhir.int-one.test:8443/d-corp";
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
    /// A workspace made by `topology_trust::prepare_demo_network`.
    DemoNetwork,
    /// A workspace made by `gateway::prepare`.
    GatewayDemo,
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
        Start::DemoNetwork => topology_trust::prepare_demo_network(&workspace).await?,
        Start::GatewayDemo => gateway::prepare(&workspace).await?,
    }
    // The app logs to $XDG_DATA_HOME/hopscope; keep that inside the temp folder.
    let data_home = temp.path().join("data");
    // NOTE: WEBKIT_DISABLE_COMPOSITING_MODE=1 made animation frames under
    // Xvfb about 10 times faster, but WebKitWebDriver then never returned a
    // response to the click that leaves the create-workspace screen, so it
    // stays unset.
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
// Each frame takes 200 to 350 ms under Xvfb on 2 cores, more when the
// machine is loaded, and WebDriver's script timeout is 30 s: 20 frames keep
// the scroll well inside it.
const SCROLL_STEPS: usize = 20;

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
        lifecycle::create_workspace(gui).await?;
        lifecycle::create_root_authority(gui).await?;
        lifecycle::issue_public_endpoint(gui).await?;
        lifecycle::open_from_list_with_keyboard(gui).await?;
        lifecycle::rotate_current(gui).await?;
        lifecycle::export_pem(gui, temp).await?;
        lifecycle::import_pem(gui, temp).await?;
        lifecycle::set_rotation_policy(gui).await?;
        let serial = lifecycle::revoke_current(gui).await?;
        lifecycle::export_crl(gui, temp, &serial).await?;
        lifecycle::visit_other_screens(gui).await?;
        check_log_has_no_secrets(temp, &[PASSPHRASE])
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topology_and_trust_lists() -> Result<()> {
    with_app("trust", Start::DemoNetwork, async |gui, temp| {
        topology_trust::unlock(gui).await?;
        topology_trust::see_topology(gui).await?;
        topology_trust::open_d_corp_trust_list(gui).await?;
        topology_trust::deny_by_uri(gui, 2, Some("02-deny-dialog")).await?;
        topology_trust::see_history(gui).await?;
        topology_trust::revert_to_first(gui).await?;
        topology_trust::add_anchor_by_authority(gui).await?;
        topology_trust::try_clinic_a(gui, temp).await?;
        check_log_has_no_secrets(temp, &[PASSPHRASE])
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_start_fault_stop() -> Result<()> {
    // Held for the whole scenario, app start and exit included.
    let _ports = gateway::PortLock::acquire().await?;
    with_app("gateway", Start::GatewayDemo, async |gui, temp| {
        let workspace = temp.join("workspace.db");
        topology_trust::unlock(gui).await?;
        gateway::open_gateway_screen(gui).await?;
        gateway::start_fails_on_taken_port(gui).await?;
        gateway::start(gui).await?;
        gateway::request_counts(gui, &workspace).await?;
        gateway::fault_on_int_two(gui, &workspace).await?;
        gateway::stop(gui).await?;
        check_log_has_no_secrets(temp, &[PASSPHRASE])
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exchanges_run_inspect_export() -> Result<()> {
    // Held for the whole scenario: the app's gateway runs on the demo ports.
    let _ports = gateway::PortLock::acquire().await?;
    with_app("exchanges", Start::GatewayDemo, async |gui, temp| {
        let workspace = temp.join("workspace.db");
        topology_trust::unlock(gui).await?;
        exchanges::run_default_from_empty_list(gui).await?;
        exchanges::open_exchange_with_every_hop(gui).await?;
        exchanges::set_fault_in_topology(gui, Some("tamper-body"), Some("04-topology")).await?;
        exchanges::run_read_to_d_corp(gui).await?;
        exchanges::see_tampered_exchange(gui, &workspace).await?;
        exchanges::set_fault_in_topology(gui, None, None).await?;
        gui.click("nav-exchanges").await?;
        exchanges::repeat_with_curl(gui, &workspace, &gateway::authorities_path(&workspace)).await?;
        exchanges::export_marked_as_har(gui, temp).await?;
        // The scenario run started the app's gateway; stopping it frees the
        // demo ports before the next scenario takes them.
        gui.click("nav-gateway").await?;
        gui.css("[data-testid=\"gateway-view\"][data-running=\"true\"]").await?;
        gateway::stop(gui).await?;
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
