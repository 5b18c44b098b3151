//! The steps of the exchange scenario, on a workspace with the demo network:
//! run the default scenario from the empty list, open an exchange, set a
//! tamper fault on int-two from the traffic screen, run again and find the
//! failed verdict, the marked hop and the changed byte, export HAR, and
//! repeat an exchange with its curl command.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use hopscope_workspace::Workspace;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::ui::{testid, Gui, WAIT};

/// A scenario run through the debug app: the default scenario takes a few
/// seconds alone, more on a loaded 2-core machine.
const RUN_TIMEOUT: Duration = Duration::from_secs(120);

/// Stores `Date.now()` in `window.hopscopeRowSeen` when a row with the
/// target `arguments[0]` is rendered.
const WATCH_FOR_ROW: &str = r#"
const selector = `[data-testid="exchange-row"][data-target="${arguments[0]}"]`;
window.hopscopeRowSeen = null;
const observer = new MutationObserver(() => {
  if (window.hopscopeRowSeen === null && document.querySelector(selector)) {
    window.hopscopeRowSeen = Date.now();
    observer.disconnect();
  }
});
observer.observe(document.body, { subtree: true, childList: true, attributes: true });
"#;

fn row(target: &str) -> String {
    format!("[data-testid=\"exchange-row\"][data-target=\"{target}\"]")
}

fn lane(name: &str) -> String {
    format!("[data-testid=\"sequence-lane\"][data-lane=\"{name}\"]")
}

async fn attribute(gui: &Gui, selector: &str, name: &str) -> Result<String> {
    gui.css(selector).await?.attr(name).await?.with_context(|| format!("{selector} has no {name} attribute"))
}

/// Waits until `check` returns true, reading the page every 100 ms.
async fn wait_until(what: &str, timeout: Duration, mut check: impl AsyncFnMut() -> Result<bool>) -> Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        if check().await? {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("{what} did not happen within {timeout:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn list_count(gui: &Gui) -> Result<usize> {
    Ok(attribute(gui, &testid("exchange-list"), "data-count").await?.parse()?)
}

/// The empty list offers the default scenario; running it fills the list
/// with exchanges whose verdicts passed.
pub async fn run_default_from_empty_list(gui: &Gui) -> Result<()> {
    gui.click("nav-exchanges").await?;
    gui.find("exchanges-empty").await?;
    gui.screenshot("01-empty").await?;
    gui.click("exchanges-empty-run").await?;
    gui.find("run-progress").await?;
    wait_until("the default scenario run", RUN_TIMEOUT, async || Ok(gui.count(&testid("run-progress")).await? == 0)).await?;
    gui.wait_gone("exchanges-empty").await?;

    // The default scenario makes 19 exchanges: metadata, registration,
    // token, capabilities, 3 search pages, a read, a create and 10 for the
    // export.
    let count = list_count(gui).await?;
    ensure!(count >= 19, "the list should show the default scenario's 19 exchanges, shows {count}");
    wait_until("every shown row's passing verdict", WAIT, async || {
        let rendered = gui.count(&testid("exchange-row")).await?;
        let passed = gui.count("[data-testid=\"exchange-row\"][data-verdict=\"passed\"]").await?;
        Ok(rendered > 0 && passed == rendered)
    })
    .await?;
    gui.screenshot("02-list").await
}

/// Opens b-corp's capabilities exchange: the diagram has a lane for the
/// originator, int-one and b-corp, and the arrows in and out of each hop.
pub async fn open_exchange_with_every_hop(gui: &Gui) -> Result<()> {
    gui.css(&format!("{} [data-testid=\"exchange-open\"]", row("/r4/metadata"))).await?.click().await?;
    gui.find("exchange-view").await?;
    gui.css("[data-testid=\"exchange-verdict\"][data-passed=\"true\"]").await?;
    for (name, kind) in [("clinic-a", "originator"), ("int-one", "inbound-gateway"), ("b-corp", "destination")] {
        let found = attribute(gui, &lane(name), "data-kind").await?;
        ensure!(found == kind, "lane {name} should be the {kind}, is {found}");
    }
    gui.wait_count(&testid("sequence-lane"), 3).await?;
    gui.wait_count(&testid("sequence-arrow"), 4).await?;
    gui.wait_count("[data-testid=\"sequence-lane\"][data-failed=\"true\"]", 0).await?;
    gui.css("[data-testid=\"byte-diff-same\"]").await?;
    gui.wait_count("[data-testid=\"verdict-check\"][data-outcome=\"fail\"]", 0).await?;
    gui.screenshot("03-detail").await?;
    gui.click("exchange-back").await?;
    gui.find("exchanges-view").await?;
    Ok(())
}

/// Sets or clears int-two's fault on the traffic screen, which shows the
/// topology with the requests of the first run.
pub async fn set_fault_in_topology(gui: &Gui, fault: Option<&str>, screenshot: Option<&str>) -> Result<()> {
    gui.click("nav-traffic").await?;
    gui.find("topology-graph").await?;
    let edge = "[data-testid=\"topology-edge\"][data-from=\"clinic-a\"][data-to=\"int-one\"]";
    let requests: usize = attribute(gui, edge, "data-requests").await?.parse()?;
    ensure!(requests >= 19, "the clinic-a to int-one leg should count the first run's 19 requests, counts {requests}");
    let node = "[data-testid=\"topology-node\"][data-node=\"int-two\"]";
    // WebKitWebDriver's element click fails on SVG shapes, so the click is
    // dispatched in the page, as a pointer click reaches the node's handler.
    let shape = gui.css(&format!("{node} rect")).await?;
    gui.client
        .execute("arguments[0].dispatchEvent(new MouseEvent('click', { bubbles: true }))", vec![serde_json::to_value(&shape)?])
        .await?;
    gui.css("[data-testid=\"hop-fault\"][data-hop=\"int-two\"]").await?;
    match fault {
        Some(kind) => {
            gui.find("hop-fault-kind").await?.select_by_value(kind).await?;
            gui.click("hop-fault-set").await?;
            gui.css(&format!("[data-testid=\"hop-fault-current\"][data-kind=\"{kind}\"]")).await?;
            gui.css(&format!("{node}[data-fault=\"{kind}\"]")).await?;
        }
        None => {
            gui.click("hop-fault-clear").await?;
            gui.css("[data-testid=\"hop-fault-current\"][data-kind=\"none\"]").await?;
            gui.css(&format!("{node}[data-fault=\"none\"]")).await?;
        }
    }
    if let Some(name) = screenshot {
        gui.screenshot(name).await?;
        // The plots of the first run: a series per participant.
        let series: usize = attribute(gui, &testid("hop-plots"), "data-series").await?.parse()?;
        ensure!(series >= 3, "the plots should have a series for clinic-a, int-one and b-corp, have {series}");
        gui.css("[data-testid=\"plot-rate\"] canvas").await?;
        gui.css("[data-testid=\"plot-latency\"] canvas").await?;
        gui.client.execute("document.querySelector('[data-testid=\"hop-plots\"]').scrollIntoView()", vec![]).await?;
        gui.screenshot("05-plots").await?;
    }
    Ok(())
}

/// Runs the read scenario to d-corp through the run dialog while int-two
/// tampers with response bodies.
pub async fn run_read_to_d_corp(gui: &Gui) -> Result<()> {
    gui.click("nav-exchanges").await?;
    let before = list_count(gui).await?;
    gui.click("exchanges-run").await?;
    gui.find("run-dialog").await?;
    gui.css("[data-testid=\"run-scenario\"] option[value=\"read\"]").await?;
    gui.find("run-scenario").await?.select_by_value("read").await?;
    gui.css("[data-testid=\"run-destination\"] option[value=\"d-corp\"]").await?;
    gui.find("run-destination").await?.select_by_value("d-corp").await?;
    gui.click("dialog-submit").await?;
    wait_until("the read scenario run", RUN_TIMEOUT, async || Ok(gui.count(&testid("run-dialog")).await? == 0)).await?;
    let after = list_count(gui).await?;
    ensure!(after > before, "the run should add exchanges to the list: {before} before, {after} after");
    Ok(())
}

/// Finds the failed metadata exchange with the failed-only filter, opens
/// it, and checks that the diagram marks int-two and the diff highlights
/// the byte that int-two changed, at the offset the records show.
pub async fn see_tampered_exchange(gui: &Gui, workspace: &Path) -> Result<()> {
    gui.click("exchange-filter-failed").await?;
    let metadata = row("/d-corp/.well-known/udap");
    gui.css(&format!("{metadata}[data-verdict=\"failed\"]")).await?;
    wait_until("only failed rows", WAIT, async || {
        let rendered = gui.count(&testid("exchange-row")).await?;
        let failed = gui.count("[data-testid=\"exchange-row\"][data-verdict=\"failed\"]").await?;
        Ok(rendered > 0 && failed == rendered)
    })
    .await?;
    gui.screenshot("06-failed-only").await?;
    let exchange_id = attribute(gui, &metadata, "data-exchange").await?;
    gui.css(&format!("{metadata} [data-testid=\"exchange-open\"]")).await?.click().await?;
    gui.css(&format!("[data-testid=\"exchange-view\"][data-exchange=\"{exchange_id}\"]")).await?;
    gui.css("[data-testid=\"exchange-verdict\"][data-passed=\"false\"]").await?;

    gui.css(&format!("{}[data-failed=\"true\"]", lane("int-two"))).await?;
    for name in ["int-one", "d-corp"] {
        let failed = attribute(gui, &lane(name), "data-failed").await?;
        ensure!(failed == "false", "lane {name} should not be marked failed");
    }
    let failure = gui.text_of(&format!("{} [data-testid=\"sequence-failure\"]", lane("int-two"))).await?;
    ensure!(failure.contains("body-unchanged"), "int-two's lane should name body-unchanged, names {failure}");
    gui.css("[data-testid=\"verdict-check\"][data-check=\"body-unchanged\"][data-outcome=\"fail\"]").await?;

    let expected = changed_offsets(workspace, &exchange_id).await?;
    ensure!(!expected.is_empty(), "the records should show a changed byte");
    let highlighted = gui
        .client
        .find_all(fantoccini::Locator::Css("[data-testid=\"byte-diff-received\"] [data-testid=\"diff-changed\"]"))
        .await?;
    let mut offsets = Vec::new();
    for cell in highlighted {
        offsets.push(cell.attr("data-offset").await?.context("a changed byte has an offset")?.parse::<usize>()?);
    }
    ensure!(offsets == expected, "the diff should highlight the bytes at {expected:?}, highlights {offsets:?}");
    gui.screenshot("07-failed-detail").await?;
    gui.client.execute("document.querySelector('[data-testid=\"byte-diff\"]').scrollIntoView()", vec![]).await?;
    gui.screenshot("08-failed-diff").await?;
    gui.client.execute("document.querySelector('[data-testid=\"timing-waterfall\"]').scrollIntoView()", vec![]).await?;
    gui.screenshot("09-failed-timing").await?;
    gui.click("exchange-back").await?;
    gui.click("exchange-filter-failed").await?;
    Ok(())
}

/// Returns the offsets where the body clinic-a received differs from the
/// one d-corp sent, read from the workspace the app writes.
async fn changed_offsets(workspace: &Path, exchange_id: &str) -> Result<Vec<usize>> {
    let workspace = Workspace::open(workspace).await?;
    let detail = workspace.exchange(exchange_id).await?;
    workspace.close().await;
    let body = |hop: &str| -> Result<Vec<u8>> {
        let record = detail.records.iter().find(|r| r.hop == hop).with_context(|| format!("no record of {hop}"))?;
        let response = record.response.as_ref().with_context(|| format!("{hop} recorded no response"))?;
        Ok(response.body.captured.clone().with_context(|| format!("{hop}'s body was not captured"))?.to_vec())
    };
    let sent = body("d-corp")?;
    let received = body("clinic-a")?;
    ensure!(sent.len() == received.len(), "a tampered body keeps its length");
    Ok((0..sent.len()).filter(|&i| sent[i] != received[i]).collect())
}

/// Marks the two newest rows (the curl request and its repeat) and exports
/// them as HAR; the file holds both, oldest first.
pub async fn export_marked_as_har(gui: &Gui, temp: &Path) -> Result<()> {
    let rows = gui.client.find_all(fantoccini::Locator::Css("[data-testid=\"exchange-row\"]")).await?;
    ensure!(rows.len() >= 2, "two rows to mark");
    let mut marked = Vec::new();
    for row in rows.iter().take(2) {
        marked.push(row.attr("data-exchange").await?.context("a row names its exchange")?);
    }
    // Found again by exchange id, so that a row the list adds meanwhile
    // cannot shift the click to another exchange.
    for exchange in &marked {
        let selector = format!("[data-testid=\"exchange-row\"][data-exchange=\"{exchange}\"]");
        gui.css(&format!("{selector} [data-testid=\"exchange-mark\"]")).await?.click().await?;
        gui.css(&format!("{selector}[aria-selected=\"true\"]")).await?;
    }
    let target = temp.join("marked.har");
    gui.click("exchanges-export").await?;
    gui.find("har-dialog").await?;
    gui.type_into("har-path", target.to_str().context("temp path is not UTF-8")?).await?;
    gui.click("dialog-submit").await?;
    gui.wait_gone("har-dialog").await?;

    let har: Value = serde_json::from_slice(&std::fs::read(&target).with_context(|| format!("reading {}", target.display()))?)?;
    ensure!(har["log"]["version"] == "1.2", "HAR version 1.2, got {}", har["log"]["version"]);
    let entries = har["log"]["entries"].as_array().context("HAR entries")?;
    let ids: Vec<&str> = entries.iter().filter_map(|e| e["_hopscope"]["exchange_id"].as_str()).collect();
    // The list is newest first; the file is oldest first.
    ensure!(ids == [marked[1].as_str(), marked[0].as_str()], "the HAR should hold the marked exchanges {marked:?} oldest first, holds {ids:?}");
    for entry in entries {
        let url = entry["request"]["url"].as_str().unwrap_or_default();
        ensure!(url.starts_with("https://fhir.int-one.test:8443/d-corp/"), "entry URL {url} should be d-corp's public URL");
        let hops = entry["_hopscope"]["hops"].as_array().map_or(0, Vec::len);
        ensure!(hops >= 3, "each entry holds the records of int-one, int-two and d-corp, has {hops}");
    }
    for exchange in &marked {
        let selector = format!("[data-testid=\"exchange-row\"][data-exchange=\"{exchange}\"] [data-testid=\"exchange-mark\"]");
        gui.css(&selector).await?.click().await?;
    }
    Ok(())
}

/// Sends a request without a token with curl, which d-corp refuses with a
/// 401 OperationOutcome that is the same every time, finds it in the list,
/// and runs its "copy as curl" command: the body has the recorded digest.
/// Scenario exchanges cannot be repeated to the same digest, because their
/// tokens are recorded only as digests and bodies such as the
/// CapabilityStatement carry the time.
pub async fn repeat_with_curl(gui: &Gui, workspace: &Path, authorities: &Path) -> Result<()> {
    let target = "/d-corp/Patient/pat-0001";
    // The page notes the time the row appears, to measure how long after
    // the exchange ended the list showed it.
    gui.client.execute(WATCH_FOR_ROW, vec![target.into()]).await?;
    let output = Command::new("curl")
        .args(["--silent", "--show-error", "--max-time", "20", "--resolve", "fhir.int-one.test:8443:127.0.0.1", "--cacert"])
        .arg(authorities)
        .arg(format!("https://fhir.int-one.test:8443{target}"))
        .output()
        .context("running curl; install it (Debian package curl)")?;
    let ended_ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_millis() as f64;
    ensure!(output.status.success(), "curl failed: {}", String::from_utf8_lossy(&output.stderr));
    gui.css(&row(target)).await?;
    let seen_ms = gui.client.execute("return window.hopscopeRowSeen", vec![]).await?.as_f64().context("the page saw the row")?;
    eprintln!("the curl exchange appeared in the list {:.0} ms after curl exited", seen_ms - ended_ms);
    let exchange_id = attribute(gui, &row(target), "data-exchange").await?;

    gui.css(&format!("{} [data-testid=\"exchange-open\"]", row(target))).await?.click().await?;
    gui.css(&format!("[data-testid=\"exchange-view\"][data-exchange=\"{exchange_id}\"]")).await?;
    gui.css(&format!("{}[data-kind=\"client\"]", lane("client"))).await?;
    gui.click("exchange-curl").await?;
    gui.find("curl-dialog").await?;
    let mut command = String::new();
    wait_until("the curl command", WAIT, async || {
        command = gui.find("curl-command").await?.prop("value").await?.unwrap_or_default();
        Ok(command.starts_with("curl "))
    })
    .await?;
    ensure!(command.contains("--resolve fhir.int-one.test:8443:127.0.0.1"), "the command should resolve to the gateway: {command}");
    ensure!(command.contains("--cacert "), "the command should name the authorities: {command}");
    gui.screenshot("10-curl").await?;
    gui.click("dialog-cancel").await?;

    let repeated = Command::new("sh").arg("-c").arg(&command).output().context("running the curl command")?;
    ensure!(repeated.status.success(), "{command} failed: {}", String::from_utf8_lossy(&repeated.stderr));
    let workspace = Workspace::open(workspace).await?;
    let detail = workspace.exchange(&exchange_id).await?;
    workspace.close().await;
    let outermost = detail.records.iter().find(|r| r.hop == "int-one").context("int-one's record")?;
    let recorded = outermost.response.as_ref().and_then(|r| r.body.sha256.clone()).context("int-one's response digest")?;
    let digest = hex::encode(Sha256::digest(&repeated.stdout));
    ensure!(digest == recorded, "the repeated request's body digest {digest} should be the recorded {recorded}");
    ensure!(hex::encode(Sha256::digest(&output.stdout)) == recorded, "the first request's body should have the recorded digest");
    gui.click("exchange-back").await?;
    // The repeat is an exchange of its own.
    gui.wait_count(&row(target), 2).await?;
    Ok(())
}
