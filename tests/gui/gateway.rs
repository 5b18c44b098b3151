//! The steps of the gateway scenario, on a workspace with the demo network:
//! start the gateway in the app, send requests with curl, set and clear a
//! fault on int-two, and stop it. Each step starts and ends on the Gateway
//! screen.

use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, ensure, Context, Result};
use hopscope_workspace::demo::DEMO_AUTHORITY;
use hopscope_workspace::{ExportFormat, ExportRequest, Workspace};

use crate::ui::{testid, Gui};
use crate::PASSPHRASE;

/// The fixed ports of the demo network: int-one, d-corp, int-two, b-corp.
pub const DEMO_PORTS: [u16; 4] = [8443, 9443, 9444, 9445];
const D_CORP_METADATA: &str = "https://fhir.int-one.test:8443/d-corp/metadata";

/// Returns the path where `prepare` writes the demo authority's PEM, for
/// `curl --cacert`.
pub fn authorities_path(workspace: &Path) -> PathBuf {
    workspace.with_file_name("authorities.pem")
}

/// Creates a workspace with the demo network through the service API and
/// writes the demo authority's certificate beside it.
pub async fn prepare(path: &Path) -> Result<()> {
    let workspace = Workspace::create(path, PASSPHRASE).await?;
    workspace.demo().await?;
    let request = ExportRequest {
        format: ExportFormat::Pem,
        chain: true,
        key: false,
        key_in_clear: false,
        legacy: false,
        password: None,
    };
    let pem = workspace.export(DEMO_AUTHORITY, &request).await?;
    std::fs::write(authorities_path(path), pem).context("writing the demo authority's PEM")?;
    workspace.close().await;
    Ok(())
}

/// An exclusive lock on the file that the command line gateway tests lock
/// too, because the demo ports are fixed and two gateways cannot share them.
/// How long `PortLock::acquire` waits for a taken demo port to free.
const PORTS_FREE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

pub struct PortLock {
    _file: File,
}

impl PortLock {
    /// Waits for the lock, then checks that every demo port is free.
    pub async fn acquire() -> Result<PortLock> {
        let path = std::env::temp_dir().join("hopscope-demo-ports.lock");
        let file = tokio::task::spawn_blocking(move || -> Result<File> {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)
                .with_context(|| format!("cannot open the lock file {}", path.display()))?;
            file.lock().with_context(|| format!("cannot lock {}", path.display()))?;
            Ok(file)
        })
        .await??;
        // An app that the previous scenario closed may still be stopping
        // its gateway, so a taken port gets a few seconds to free.
        let deadline = std::time::Instant::now() + PORTS_FREE_TIMEOUT;
        for port in DEMO_PORTS {
            loop {
                match TcpListener::bind(("127.0.0.1", port)) {
                    Ok(_) => break,
                    Err(error) if std::time::Instant::now() > deadline => {
                        bail!("port {port} on 127.0.0.1 is taken ({error}); the demo network needs ports {DEMO_PORTS:?}, so stop what listens there");
                    }
                    Err(_) => tokio::time::sleep(std::time::Duration::from_millis(200)).await,
                }
            }
        }
        Ok(PortLock { _file: file })
    }
}

/// Fetches d-corp's capability statement through the gateway and returns
/// the HTTP status.
async fn curl_d_corp(workspace: &Path) -> Result<u16> {
    let cacert = authorities_path(workspace);
    let output = tokio::task::spawn_blocking(move || {
        Command::new("curl")
            .args(["--silent", "--show-error", "--max-time", "20"])
            .args(["--resolve", "fhir.int-one.test:8443:127.0.0.1", "--cacert"])
            .arg(&cacert)
            .args(["--output", "/dev/null", "--write-out", "%{http_code}", D_CORP_METADATA])
            .output()
    })
    .await?
    .context("running curl; install it (Debian package curl)")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    ensure!(
        output.status.success(),
        "curl {D_CORP_METADATA} failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout.trim().parse().with_context(|| format!("curl printed no HTTP status, got {stdout:?}"))
}

fn line(hop: &str) -> String {
    format!("[data-testid=\"listener-line\"][data-hop=\"{hop}\"]")
}

fn fault_part(hop: &str, part: &str) -> String {
    format!("[data-testid=\"fault-control\"][data-hop=\"{hop}\"] [data-testid=\"{part}\"]")
}

pub async fn open_gateway_screen(gui: &Gui) -> Result<()> {
    gui.click("nav-gateway").await?;
    gui.css("[data-testid=\"gateway-view\"][data-running=\"false\"]").await?;
    gui.find("gateway-start").await?;
    gui.screenshot("01-stopped").await
}

/// Holds b-corp's port while Start is clicked: the start fails with an
/// error that names the port, and nothing keeps running.
pub async fn start_fails_on_taken_port(gui: &Gui) -> Result<()> {
    let taken = TcpListener::bind(("127.0.0.1", 9445)).context("binding b-corp's port 9445 for the test")?;
    gui.click("gateway-start").await?;
    let error = gui.text("gateway-error").await?;
    ensure!(error.contains("9445"), "the start error should name the taken port 9445, got: {error}");
    gui.screenshot("02-port-taken").await?;
    drop(taken);
    ensure!(
        gui.count("[data-testid=\"gateway-view\"][data-running=\"false\"]").await? == 1,
        "the gateway should stay stopped after a failed start"
    );
    for port in DEMO_PORTS {
        TcpListener::bind(("127.0.0.1", port))
            .with_context(|| format!("port {port} should be free again after the failed start"))?;
    }
    Ok(())
}

/// Starts the gateway and checks the status line of each listener.
pub async fn start(gui: &Gui) -> Result<()> {
    gui.click("gateway-start").await?;
    gui.css("[data-testid=\"gateway-view\"][data-running=\"true\"]").await?;
    gui.wait_gone("gateway-error").await?;
    for (hop, port) in [("int-one", 8443), ("int-two", 9444), ("d-corp", 9443), ("b-corp", 9445)] {
        let address = gui.text_of(&format!("{} [data-testid=\"listener-address\"]", line(hop))).await?;
        ensure!(address == format!("127.0.0.1:{port}"), "{hop} should listen on 127.0.0.1:{port}, got {address}");
    }
    gui.css(&format!("{}[data-requests=\"0\"]", line("int-one"))).await?;
    let fingerprint = gui.text_of(&format!("{} [data-testid=\"listener-fingerprint\"]", line("int-one"))).await?;
    ensure!(fingerprint.starts_with("sha256 "), "int-one's line should show its certificate fingerprint, got {fingerprint}");
    let curl = gui
        .css("[data-testid=\"endpoint\"][data-destination=\"d-corp\"] [data-testid=\"endpoint-curl\"]")
        .await?
        .prop("value")
        .await?
        .unwrap_or_default();
    ensure!(
        curl.starts_with("curl --resolve fhir.int-one.test:8443:127.0.0.1 --cacert ") && curl.ends_with(D_CORP_METADATA),
        "d-corp's curl command should fetch its metadata through int-one, got {curl}"
    );
    gui.screenshot("03-running").await
}

/// Sends a request through the gateway and waits for int-one's request count to rise.
pub async fn request_counts(gui: &Gui, workspace: &Path) -> Result<()> {
    let status = curl_d_corp(workspace).await?;
    ensure!(status == 200, "d-corp's metadata through the gateway should return 200, got {status}");
    gui.css(&format!("{}[data-requests=\"1\"][data-errors=\"0\"]", line("int-one")))
        .await
        .context("int-one's line should count one request and no error")?;
    gui.css(&format!("{}[data-requests=\"1\"]", line("d-corp"))).await?;
    gui.screenshot("04-one-request").await
}

/// Sets a status-503 fault on int-two in the app, which fails the next
/// request, then clears it, after which requests pass again.
pub async fn fault_on_int_two(gui: &Gui, workspace: &Path) -> Result<()> {
    gui.css(&fault_part("int-two", "fault-kind")).await?.select_by_value("status").await?;
    let value = gui.css(&fault_part("int-two", "fault-value")).await?;
    value.clear().await?;
    value.send_keys("503").await?;
    gui.css(&fault_part("int-two", "fault-apply")).await?.click().await?;
    gui.css("[data-testid=\"fault-control\"][data-hop=\"int-two\"] [data-testid=\"fault-current\"][data-kind=\"status\"]").await?;
    let current = gui.text_of(&fault_part("int-two", "fault-current")).await?;
    ensure!(current.contains("503"), "int-two's fault should show status 503, got {current}");

    let status = curl_d_corp(workspace).await?;
    ensure!(status == 503, "with the fault on int-two the request should get 503, got {status}");
    gui.css(&format!("{}[data-requests=\"2\"][data-errors=\"1\"]", line("int-two")))
        .await
        .context("int-two's line should count the faulted request as an error")?;
    gui.screenshot("05-fault").await?;

    gui.css(&fault_part("int-two", "fault-clear")).await?.click().await?;
    gui.css("[data-testid=\"fault-control\"][data-hop=\"int-two\"] [data-testid=\"fault-current\"][data-kind=\"none\"]").await?;
    let status = curl_d_corp(workspace).await?;
    ensure!(status == 200, "after clearing the fault the request should get 200, got {status}");
    gui.css(&format!("{}[data-requests=\"3\"]", line("int-one"))).await?;
    Ok(())
}

/// Stops the gateway; the demo ports are free afterwards.
pub async fn stop(gui: &Gui) -> Result<()> {
    gui.click("gateway-stop").await?;
    gui.css("[data-testid=\"gateway-view\"][data-running=\"false\"]").await?;
    gui.find("gateway-start").await?;
    ensure!(gui.count(&testid("listener-line")).await? == 0, "no status line should remain after Stop");
    for port in DEMO_PORTS {
        TcpListener::bind(("127.0.0.1", port)).with_context(|| format!("port {port} should be free after Stop"))?;
    }
    gui.screenshot("06-stopped").await
}
