//! Benchmark, not a test: opens the app on a large workspace and prints the
//! time to an interactive list, the memory of the app and its WebKit
//! processes, and the time a filter takes. `make bench` runs it on a
//! workspace that bench/run.sh seeds; it is ignored in `make test`.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{ensure, Context, Result};

use crate::driver::{artifacts_dir, check_prerequisites, TauriDriver};
use crate::ui::Gui;

/// Workspace to open, seeded by bench/run.sh, and its passphrase.
const WORKSPACE_ENV: &str = "HOPSCOPE_BENCH_WORKSPACE";
const PASSPHRASE_ENV: &str = "HOPSCOPE_BENCH_PASSPHRASE";

/// Measures the filter in the page: sets the search box, then counts
/// animation frames until the list shows the filtered count. Returns
/// milliseconds from the input event to the first frame after the update.
const MEASURE_FILTER: &str = r#"
const [text, expected, done] = arguments;
const box = document.querySelector('[data-testid="cert-search"]');
const list = document.querySelector('[data-testid="cert-list"]');
const start = performance.now();
box.value = text;
box.dispatchEvent(new Event('input', { bubbles: true }));
function poll() {
  if (list.getAttribute('data-count') === String(expected)) {
    requestAnimationFrame(() => done(performance.now() - start));
  } else if (performance.now() - start > 10000) {
    done(-1);
  } else {
    requestAnimationFrame(poll);
  }
}
poll();
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: make bench runs it with HOPSCOPE_BENCH_WORKSPACE set"]
async fn bench_open_large_workspace() -> Result<()> {
    check_prerequisites()?;
    let source = PathBuf::from(std::env::var(WORKSPACE_ENV).with_context(|| format!("set {WORKSPACE_ENV}"))?);
    let passphrase = std::env::var(PASSPHRASE_ENV).with_context(|| format!("set {PASSPHRASE_ENV}"))?;
    let temp = tempfile::tempdir()?;
    let workspace = temp.path().join("workspace.db");
    std::fs::copy(&source, &workspace).with_context(|| format!("copying {}", source.display()))?;
    let credentials = hopscope_workspace::Workspace::open(&workspace).await?.list_credentials(None).await?.len();
    let total = credentials + hopscope_workspace::Workspace::open(&workspace).await?.list_authorities().await?.len();

    let artifacts = artifacts_dir();
    std::fs::create_dir_all(&artifacts)?;
    let data_home = temp.path().join("data");
    let driver = TauriDriver::start(&artifacts.join("bench-tauri-driver.log"), &[("XDG_DATA_HOME", &data_home)])?;

    let start = Instant::now();
    let client = driver.session(&workspace).await?;
    let gui = Gui::new(client, artifacts, "bench");
    gui.find("passphrase").await?;
    let window_ready = start.elapsed();
    gui.type_into("passphrase", &passphrase).await?;
    let unlock_clicked = Instant::now();
    gui.click("unlock").await?;
    gui.css(&format!("[data-testid=\"cert-list\"][data-count=\"{total}\"]")).await?;
    gui.css("[data-testid=\"cert-row\"]").await?;
    let list_after_unlock = unlock_clicked.elapsed();
    let to_list = start.elapsed();
    gui.screenshot("01-large-list").await?;

    let rss = rss_of_app_processes();
    let matching = (0..credentials).filter(|n| format!("credential-{n:05}").starts_with("credential-0999")).count();
    let filter_ms = gui
        .client
        .execute_async(MEASURE_FILTER, vec!["credential-0999".into(), matching.into()])
        .await?
        .as_f64()
        .context("the filter script returns milliseconds")?;
    ensure!(filter_ms >= 0.0, "the filter did not show {matching} rows within 10 s");

    println!("rows in the list: {total}");
    println!("window to unlock screen: {:.2} s", window_ready.as_secs_f64());
    println!("unlock to interactive list: {:.2} s (scrypt unlock included)", list_after_unlock.as_secs_f64());
    println!("start to interactive list (typing the passphrase included): {:.2} s", to_list.as_secs_f64());
    for (name, kib) in &rss {
        println!("RSS {name}: {:.1} MiB", *kib as f64 / 1024.0);
    }
    println!("RSS total: {:.1} MiB", rss.iter().map(|(_, k)| *k).sum::<u64>() as f64 / 1024.0);
    println!("filter to {matching} rows: {filter_ms:.1} ms");
    gui.client.close().await?;
    drop(driver);
    Ok(())
}

/// Resident memory (KiB) of every hopscope-app process and the WebKit
/// processes it started, by process name.
pub(crate) fn rss_of_app_processes() -> Vec<(String, u64)> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else { return found };
    for entry in entries.flatten() {
        let Ok(status) = std::fs::read_to_string(entry.path().join("status")) else { continue };
        let name = status.lines().find_map(|l| l.strip_prefix("Name:")).unwrap_or("").trim().to_string();
        if !(name.starts_with("hopscope-app") || name.starts_with("WebKit")) || name == "WebKitWebDriver" {
            continue;
        }
        let rss = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or(0);
        found.push((format!("{name} (pid {})", entry.file_name().to_string_lossy()), rss));
    }
    found
}
