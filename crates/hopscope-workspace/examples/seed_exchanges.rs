//! Seeds a workspace with many recorded exchanges for the exchange list
//! benchmark (`bench/exchanges.sh`, see BENCHMARKS.md).
//!
//! `seed_exchanges PATH COUNT PASSPHRASE` creates a workspace at PATH with
//! the demo network, runs the default scenario to d-corp and the read
//! scenario with int-two tampering with bodies, then stores COUNT copies of
//! those exchanges (19 in 20 from the passing run) under new exchange ids,
//! through the gateway's record writer, keeping the first 16 KiB of each
//! captured body. The copies start one millisecond apart from the first
//! template on, because a verdict checks each certificate against the time
//! of its exchange and the demo certificates are only seconds old. It
//! indexes their headers as the app does after recording, and times the
//! verdicts of 1,000 exchanges.
//!
//! It runs the demo network on ports 8443, 9443, 9444 and 9445; hold
//! `$TMPDIR/hopscope-demo-ports.lock` (`flock`) while it runs.

use std::path::Path;
use std::time::Instant;

use hopscope_gateway::ExchangeRecord;
use hopscope_workspace::{ExchangeRunRequest, Fault, RecordWriterOptions, Workspace};
use tokio::sync::mpsc;

/// Copies from the failing run among every 20 exchanges.
const FAILING_PER_20: usize = 1;
/// Captured bytes kept per body in the copies. The export's NDJSON files
/// are up to a megabyte each, and 100,000 copies with whole bodies make a
/// 10 GB workspace; the app shows a longer body as cut short.
const COPY_CAPTURE_BYTES: usize = 16 * 1024;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [command, path] = args.as_slice() {
        if command == "rows" {
            return time_rows(Path::new(path)).await;
        }
    }
    let [path, count, passphrase] = args.as_slice() else {
        eprintln!("usage: seed_exchanges PATH COUNT PASSPHRASE | seed_exchanges rows PATH");
        std::process::exit(2);
    };
    let count: usize = count.parse()?;
    let workspace = Workspace::create(Path::new(path), passphrase).await?;
    workspace.demo().await?;

    let (passing, failing) = record_templates(&workspace).await?;
    workspace.clear_exchanges().await?;

    let started = Instant::now();
    let written = write_copies(&workspace, &passing, &failing, count).await?;
    println!(
        "stored {count} exchanges ({written} hop records) in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let started = Instant::now();
    let mut remaining = workspace.index_exchange_headers(50_000).await?;
    while remaining > 0 {
        remaining = workspace.index_exchange_headers(50_000).await?;
    }
    println!("indexed the headers of {written} hop records in {:.1} s", started.elapsed().as_secs_f64());

    let started = Instant::now();
    let judged = workspace.judge_exchanges(1000).await?;
    println!(
        "judged {} exchanges in {:.2} s ({:.2} ms each); {} still without a verdict",
        judged.verdicts.len(),
        started.elapsed().as_secs_f64(),
        started.elapsed().as_secs_f64() * 1000.0 / judged.verdicts.len().max(1) as f64,
        judged.remaining
    );
    workspace.close().await;
    Ok(())
}

/// Times what the app's exchange list asks of the service at start: every
/// row as JSON.
async fn time_rows(path: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let workspace = Workspace::open(path).await?;
    let started = Instant::now();
    let json = workspace.exchange_rows_json(0).await?;
    println!("read every row as {} bytes of JSON in {:.0} ms", json.len(), started.elapsed().as_secs_f64() * 1000.0);
    workspace.close().await;
    Ok(())
}

/// Runs the two scenarios through the demo network and returns the hop
/// records of each run's exchanges, with their captured bodies.
async fn record_templates(workspace: &Workspace) -> Result<(Vec<Vec<ExchangeRecord>>, Vec<Vec<ExchangeRecord>>), Box<dyn std::error::Error>> {
    let gateway = workspace.start_gateway().await?;
    let request = |scenario: &str| ExchangeRunRequest {
        scenario: Some(scenario.into()),
        destination: Some("d-corp".into()),
        ..Default::default()
    };
    let passing = workspace.run_scenario(&request("default"), |_| {}).await?;
    gateway.set_fault("int-two", &Fault::TamperBody).await?;
    let failing = workspace.run_scenario(&request("read"), |_| {}).await?;
    gateway.clear_fault("int-two").await?;
    gateway.stop().await;

    let mut templates = (Vec::new(), Vec::new());
    for (run, into) in [(&passing, &mut templates.0), (&failing, &mut templates.1)] {
        for outcome in &run.exchanges {
            if outcome.report.exchange_id.is_empty() {
                continue;
            }
            into.push(workspace.exchange(&outcome.report.exchange_id).await?.records);
        }
    }
    if templates.0.is_empty() || templates.1.is_empty() {
        return Err("a scenario run recorded no exchange".into());
    }
    Ok(templates)
}

fn cut_captured(body: &mut hopscope_gateway::BodyRecord) {
    if let Some(captured) = &body.captured {
        if captured.len() > COPY_CAPTURE_BYTES {
            body.captured = Some(captured.slice(..COPY_CAPTURE_BYTES));
            body.truncated = true;
        }
    }
}

/// Writes `count` copies of the templates with new exchange ids, the n-th
/// starting n milliseconds after the first template; returns the hop
/// records written.
async fn write_copies(
    workspace: &Workspace,
    passing: &[Vec<ExchangeRecord>],
    failing: &[Vec<ExchangeRecord>],
    count: usize,
) -> Result<u64, Box<dyn std::error::Error>> {
    let (sender, receiver) = mpsc::channel(10_000);
    let writer = workspace.spawn_record_writer(receiver, RecordWriterOptions { batch_size: 1000, ..Default::default() });
    let first_ms = passing.iter().flatten().map(|r| r.started_at_unix_ms).min().unwrap_or(0);
    for n in 0..count {
        let template = if n % 20 < FAILING_PER_20 { &failing[n % failing.len()] } else { &passing[n % passing.len()] };
        let exchange_id = format!("{n:032x}");
        let start = template.iter().map(|r| r.started_at_unix_ms).min().unwrap_or(0);
        let at = first_ms + n as u64;
        for record in template {
            let mut copy = record.clone();
            for (name, value) in &mut copy.request.headers {
                if name.eq_ignore_ascii_case("x-hopscope-exchange") {
                    value.clone_from(&exchange_id);
                }
            }
            copy.exchange_id.clone_from(&exchange_id);
            cut_captured(&mut copy.request.body);
            if let Some(response) = copy.response.as_mut() {
                cut_captured(&mut response.body);
            }
            copy.started_at_unix_ms = at + (record.started_at_unix_ms - start);
            sender.send(copy).await?;
        }
    }
    drop(sender);
    let stats = writer.finish().await;
    if stats.failed > 0 {
        return Err(format!("{} hop records could not be written", stats.failed).into());
    }
    Ok(stats.written)
}
