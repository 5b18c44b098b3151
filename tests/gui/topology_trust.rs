//! The steps of the topology and trust list scenario, on a workspace with
//! the demo network. Each step starts and ends on a screen the next one
//! expects.

use std::path::{Path, PathBuf};

use anyhow::{ensure, Context, Result};
use hopscope_pki::KeyType;
use hopscope_workspace::{ExportFormat, ExportRequest, NewAuthority, Workspace};

use crate::ui::{testid, Gui};
use crate::PASSPHRASE;

/// The demo originator's client URI, a SAN URI of its certificate.
const CLINIC_A_URI: &str = "https://clinic-a.test/apps/scheduler";
const DENY_NOTE: &str = "scheduler key reported lost";
/// A second root, so that an anchor can be added by picking an authority
/// the demo trust lists do not anchor yet.
const PARTNER_ROOT: &str = "partner-root";

/// Returns the path where `prepare_demo_network` writes clinic-a's PEM
/// chain, leaf first.
pub fn clinic_a_chain_path(workspace: &Path) -> PathBuf {
    workspace.with_file_name("clinic-a-chain.pem")
}

/// Creates a workspace with the demo network and a second root authority
/// through the service API, and writes clinic-a's chain beside it.
pub async fn prepare_demo_network(path: &Path) -> Result<()> {
    let workspace = Workspace::create(path, PASSPHRASE).await?;
    workspace.demo().await?;
    workspace
        .create_authority(&NewAuthority {
            name: PARTNER_ROOT.into(),
            parent: None,
            key_type: KeyType::EcdsaP256,
            validity_seconds: 3650 * 86_400,
            path_len: None,
        })
        .await?;
    let request = ExportRequest {
        format: ExportFormat::Pem,
        chain: true,
        key: false,
        key_in_clear: false,
        legacy: false,
        password: None,
    };
    let chain = workspace.export("clinic-a", &request).await?;
    std::fs::write(clinic_a_chain_path(path), chain).context("writing clinic-a's chain")?;
    workspace.close().await;
    Ok(())
}

fn entry(kind: &str) -> String {
    format!("[data-testid=\"trust-entry\"][data-kind=\"{kind}\"]")
}

async fn wait_version(gui: &Gui, version: u32) -> Result<()> {
    gui.css(&format!("[data-testid=\"trust-version\"][data-version=\"{version}\"]"))
        .await
        .with_context(|| format!("the trust list should be at version {version}"))?;
    Ok(())
}

/// Scrolls the element into view, so a screenshot of the window shows it.
async fn scroll_to(gui: &Gui, id: &str) -> Result<()> {
    let script = format!("document.querySelector('{}').scrollIntoView({{block: 'start'}});", testid(id));
    gui.client.execute(&script, vec![]).await.with_context(|| format!("scrolling to {id}"))?;
    Ok(())
}

/// Puts `text` into a field as a paste does: the whole value at once, line
/// breaks kept, then one `input` event. Typing it through WebDriver would
/// turn each line break into an Enter key press and take longer.
async fn paste(gui: &Gui, id: &str, text: &str) -> Result<()> {
    let field = gui.find(id).await?;
    let script = "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input', { bubbles: true }));";
    let field = serde_json::to_value(&field).context("passing the field to the paste script")?;
    gui.client.execute(script, vec![field, text.into()]).await.with_context(|| format!("pasting into {id}"))?;
    Ok(())
}

pub async fn unlock(gui: &Gui) -> Result<()> {
    gui.type_into("passphrase", PASSPHRASE).await?;
    gui.click("unlock").await?;
    gui.find("app-shell").await?;
    Ok(())
}

/// Both destinations with their routes drawn hop by hop, and no findings.
pub async fn see_topology(gui: &Gui) -> Result<()> {
    gui.click("nav-topology").await?;
    gui.find("topology-view").await?;
    gui.css("[data-testid=\"destination-card\"][data-name=\"d-corp\"]").await?;
    gui.css("[data-testid=\"destination-card\"][data-name=\"b-corp\"]").await?;
    gui.css("[data-testid=\"topology-summary\"][data-findings=\"0\"]").await?;
    ensure!(gui.count(&testid("topology-finding")).await? == 0, "the demo network should have no findings");

    let d_corp_hops = "[data-testid=\"route\"][data-destination=\"d-corp\"] [data-testid=\"route-hop\"]";
    gui.wait_count(d_corp_hops, 4).await?;
    for kind in ["public-url", "inbound-gateway", "delegated", "private-url"] {
        let hop = format!("[data-testid=\"route\"][data-destination=\"d-corp\"] [data-kind=\"{kind}\"]");
        ensure!(gui.count(&hop).await? == 1, "d-corp's route should have one {kind} hop");
    }
    let b_corp_hops = "[data-testid=\"route\"][data-destination=\"b-corp\"] [data-testid=\"route-hop\"]";
    gui.wait_count(b_corp_hops, 3).await?;
    let route = gui.text_of("[data-testid=\"route\"][data-destination=\"d-corp\"]").await?;
    ensure!(
        route.contains("https://fhir.int-one.test:8443/d-corp") && route.contains("int-two") && route.contains("https://d-corp.internal.test:9443/fhir"),
        "d-corp's route should show its public URL, int-two and its private URL, got: {route}"
    );
    gui.css("[data-testid=\"intermediary-card\"][data-name=\"int-one\"]").await?;
    gui.css("[data-testid=\"intermediary-card\"][data-name=\"int-two\"]").await?;
    gui.screenshot("01-topology").await
}

/// Opens d-corp's trust list from its card. The demo anchored demo-community.
pub async fn open_d_corp_trust_list(gui: &Gui) -> Result<()> {
    gui.css("[data-testid=\"destination-card\"][data-name=\"d-corp\"] [data-testid=\"destination-trust\"]")
        .await?
        .click()
        .await?;
    gui.css("[data-testid=\"trust-view\"][data-destination=\"d-corp\"]").await?;
    wait_version(gui, 1).await?;
    gui.wait_count(&entry("anchor"), 1).await?;
    let anchor = gui.text_of(&entry("anchor")).await?;
    ensure!(anchor.contains("demo-community"), "d-corp should anchor demo-community, got: {anchor}");
    Ok(())
}

/// Denies clinic-a by its SAN URI, with a note.
pub async fn deny_by_uri(gui: &Gui, version_after: u32, screenshot: Option<&str>) -> Result<()> {
    gui.click("trust-tab-entries").await?;
    gui.click("trust-add-deny").await?;
    gui.find("trust-add-dialog").await?;
    gui.click("trust-source-uri").await?;
    gui.type_into("trust-uri", CLINIC_A_URI).await?;
    gui.type_into("trust-note", DENY_NOTE).await?;
    if let Some(name) = screenshot {
        gui.screenshot(name).await?;
    }
    gui.click("dialog-submit").await?;
    gui.wait_gone("trust-add-dialog").await?;
    wait_version(gui, version_after).await?;
    gui.wait_count(&entry("denied"), 1).await?;
    let denied = gui.text_of(&entry("denied")).await?;
    ensure!(denied.contains(CLINIC_A_URI), "the denied entry should show the URI, got: {denied}");
    ensure!(denied.contains(DENY_NOTE), "the denied entry should show its note, got: {denied}");
    Ok(())
}

/// Two versions with who and what, and the diff between two chosen ones.
pub async fn see_history(gui: &Gui) -> Result<()> {
    gui.click("trust-tab-history").await?;
    gui.wait_count("[data-testid=\"history-version\"]", 2).await?;
    let newest = gui.text_of("[data-testid=\"history-version\"][data-version=\"2\"]").await?;
    ensure!(newest.contains("denied"), "version 2 should say what it denied, got: {newest}");
    // The default comparison is version 1 → 2: one addition.
    gui.css("[data-testid=\"diff-changes\"][data-count=\"1\"]").await?;
    gui.find("diff-from").await?.select_by_value("0").await?;
    gui.css("[data-testid=\"diff-changes\"][data-count=\"2\"]").await?;
    let diff = gui.text("diff-changes").await?;
    ensure!(diff.contains("demo-community") && diff.contains(CLINIC_A_URI), "the diff 0 → 2 should add the anchor and the deny rule, got: {diff}");
    gui.screenshot("03-history-diff").await
}

/// Reverts to version 1 after confirmation and waits for version 3.
pub async fn revert_to_first(gui: &Gui) -> Result<()> {
    gui.css("[data-testid=\"history-version\"][data-version=\"1\"] [data-testid=\"version-revert\"]")
        .await?
        .click()
        .await?;
    gui.find("trust-revert-dialog").await?;
    gui.css("[data-testid=\"revert-changes\"] [data-change=\"removed\"]").await?;
    gui.screenshot("04-revert-dialog").await?;
    gui.click("dialog-submit").await?;
    gui.wait_gone("trust-revert-dialog").await?;
    gui.wait_count("[data-testid=\"history-version\"]", 3).await?;
    gui.css("[data-testid=\"history-version\"][data-version=\"3\"] [data-testid=\"version-current\"]").await?;
    let reverted = gui.text_of("[data-testid=\"history-version\"][data-version=\"3\"]").await?;
    ensure!(reverted.contains("reverted to version 1"), "version 3 should be the revert, got: {reverted}");
    wait_version(gui, 3).await?;
    gui.click("trust-tab-entries").await?;
    gui.wait_count(&entry("denied"), 0).await
}

/// Adds an anchor by picking an authority. The one already anchored is
/// rejected first, with the error inside the dialog.
pub async fn add_anchor_by_authority(gui: &Gui) -> Result<()> {
    gui.click("trust-add-anchor").await?;
    gui.find("trust-add-dialog").await?;
    gui.click("trust-source-authority").await?;
    gui.find("trust-authority").await?.select_by_value("demo-community").await?;
    gui.click("dialog-submit").await?;
    let error = gui.text("dialog-error").await?;
    ensure!(error.contains("already on the trust list"), "anchoring demo-community twice should fail, got: {error}");

    gui.find("trust-authority").await?.select_by_value(PARTNER_ROOT).await?;
    gui.type_into("trust-note", "partner community root").await?;
    gui.click("dialog-submit").await?;
    gui.wait_gone("trust-add-dialog").await?;
    wait_version(gui, 4).await?;
    gui.wait_count(&entry("anchor"), 2).await?;
    let anchors = gui.text("trust-anchors").await?;
    ensure!(anchors.contains(PARTNER_ROOT), "the anchors should list {PARTNER_ROOT}, got: {anchors}");
    gui.screenshot("05-trust-editor").await
}

/// Pastes clinic-a's chain into "try an originator" and checks it.
async fn check_chain(gui: &Gui, chain: &str, trusted: bool) -> Result<()> {
    gui.click("trust-tab-try").await?;
    gui.find("try-originator").await?;
    paste(gui, "try-text", chain).await?;
    gui.click("try-check").await?;
    gui.css(&format!("[data-testid=\"decision\"][data-trusted=\"{trusted}\"]")).await?;
    scroll_to(gui, "decision-verdict").await
}

/// Checks clinic-a's chain: trusted through the demo-community anchor, then
/// not trusted once denied again.
pub async fn try_clinic_a(gui: &Gui, temp: &Path) -> Result<()> {
    let chain_file = clinic_a_chain_path(&temp.join("workspace.db"));
    let chain = std::fs::read_to_string(&chain_file).with_context(|| format!("reading {}", chain_file.display()))?;

    check_chain(gui, &chain, true).await?;
    gui.css("[data-testid=\"decision-check\"][data-name=\"chain\"][data-outcome=\"pass\"]").await?;
    gui.css("[data-testid=\"decision-check\"][data-name=\"denied\"][data-outcome=\"pass\"]").await?;
    // A bare chain carries no JWT, so the JWT checks do not apply.
    gui.css("[data-testid=\"decision-check\"][data-name=\"signature\"][data-outcome=\"not_applicable\"]").await?;
    let version = gui.text("decision-version").await?;
    ensure!(version == "4", "the decision should use trust list version 4, got {version}");
    gui.screenshot("06-decision-trusted").await?;

    deny_by_uri(gui, 5, None).await?;
    check_chain(gui, &chain, false).await?;
    let denied = gui.text_of("[data-testid=\"decision-check\"][data-name=\"denied\"][data-outcome=\"fail\"]").await?;
    ensure!(denied.contains(CLINIC_A_URI), "the denied check should name the URI, got: {denied}");
    gui.css("[data-testid=\"decision-check\"][data-name=\"chain\"][data-outcome=\"pass\"]").await?;
    let verdict = gui.text("decision-verdict").await?;
    ensure!(verdict.contains("Not trusted"), "the verdict should be not trusted, got: {verdict}");
    let version = gui.text("decision-version").await?;
    ensure!(version == "5", "the decision should use trust list version 5, got {version}");
    gui.screenshot("07-decision-denied").await
}
