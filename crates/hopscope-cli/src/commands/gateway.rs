//! `gateway run` (the embedded test gateway in the foreground) and
//! `gateway fault` (set or clear a hop's fault, from any process).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{ArgGroup, Args, Subcommand};
use hopscope_workspace::paths::data_dir;
use hopscope_workspace::{Fault, FaultControl, GatewayPlan, RecordWriterOptions, Workspace};
use tokio::signal::unix::{signal, Signal, SignalKind};

use super::{open, open_unlocked};

/// How often a running gateway reads the stored faults.
const FAULT_POLL_INTERVAL: Duration = Duration::from_millis(200);
/// How often the running gateway looks for rotated certificates; a rotation
/// reaches new handshakes within this time.
const CERTIFICATE_POLL_INTERVAL: Duration = Duration::from_secs(1);
/// Records the engine may queue before it drops new ones.
const RECORD_CHANNEL_CAPACITY: usize = 10_000;
/// File in the data directory that receives the workspace's authority
/// certificates, for `curl --cacert`.
const AUTHORITIES_FILE: &str = "gateway-authorities.pem";

#[derive(Debug, Subcommand)]
pub enum GatewayCommand {
    /// Run the topology on 127.0.0.1 in the foreground until Ctrl-C or SIGTERM
    Run(GatewayRunArgs),
    /// Set or clear the fault of a hop; a running gateway applies it within 200 ms
    Fault(GatewayFaultArgs),
}

#[derive(Debug, Args)]
pub struct GatewayRunArgs {
    /// Add the demo network first when it is missing (creating the workspace if needed)
    #[arg(long)]
    pub demo: bool,
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("fault").required(true).args(
    ["delay", "hold", "drop", "status", "tamper_body", "strip_header", "replace_token", "clear"]
)))]
pub struct GatewayFaultArgs {
    /// Intermediary name, such as int-one
    pub hop: String,
    /// Wait this many milliseconds before forwarding
    #[arg(long, value_name = "MS")]
    pub delay: Option<u64>,
    /// Never forward; the hop responds 504 when its hold timeout passes
    #[arg(long)]
    pub hold: bool,
    /// Close the client connection without a response
    #[arg(long)]
    pub drop: bool,
    /// Respond with this HTTP status and an OperationOutcome instead of forwarding
    #[arg(long, value_name = "CODE")]
    pub status: Option<u16>,
    /// Flip one bit of the first response body byte
    #[arg(long)]
    pub tamper_body: bool,
    /// Remove this header from responses
    #[arg(long, value_name = "NAME")]
    pub strip_header: Option<String>,
    /// Replace the access_token of JSON token responses
    #[arg(long)]
    pub replace_token: bool,
    /// Remove the hop's fault
    #[arg(long)]
    pub clear: bool,
}

impl GatewayFaultArgs {
    /// Returns the requested fault, or `None` for `--clear`.
    fn fault(&self) -> Option<Fault> {
        if let Some(ms) = self.delay {
            Some(Fault::Delay { ms })
        } else if self.hold {
            Some(Fault::Hold)
        } else if self.drop {
            Some(Fault::Drop)
        } else if let Some(code) = self.status {
            Some(Fault::Status { code })
        } else if self.tamper_body {
            Some(Fault::TamperBody)
        } else if let Some(name) = &self.strip_header {
            Some(Fault::StripHeader { name: name.clone() })
        } else if self.replace_token {
            Some(Fault::ReplaceToken)
        } else {
            None
        }
    }
}

pub async fn run(path: &Path, command: GatewayCommand) -> Result<()> {
    match command {
        GatewayCommand::Run(args) => {
            // The command runtime has one thread; the gateway gets a runtime
            // with a worker per core so hops forward in parallel.
            let path = path.to_path_buf();
            tokio::task::spawn_blocking(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .enable_all()
                    .build()
                    .context("cannot start the gateway's async runtime")?;
                runtime.block_on(run_gateway(&path, args))
            })
            .await
            .context("the gateway thread failed")?
        }
        GatewayCommand::Fault(args) => fault(path, args).await,
    }
}

async fn fault(path: &Path, args: GatewayFaultArgs) -> Result<()> {
    let workspace = open(path).await?;
    let fault = args.fault();
    workspace.set_fault(&args.hop, fault.as_ref()).await?;
    match fault {
        Some(fault) => println!("fault of {} set: {fault}", args.hop),
        None => println!("fault of {} cleared", args.hop),
    }
    Ok(())
}

async fn run_gateway(path: &Path, args: GatewayRunArgs) -> Result<()> {
    let workspace = if args.demo && !path.exists() {
        let passphrase = crate::secrets::passphrase(true)?;
        Workspace::create(path, &passphrase).await?
    } else {
        open_unlocked(path).await?
    };
    if args.demo && workspace.demo().await?.created {
        println!("created the demo network in {}", path.display());
    }
    let plan = workspace.gateway_plan().await?;
    let authorities_file = write_authorities(&plan)?;

    let mut destinations = Vec::new();
    for config in plan.destinations.clone() {
        match hopscope_gateway::StubDestination::start(config).await {
            Ok(destination) => destinations.push(destination),
            Err(error) => {
                stop_destinations(destinations).await;
                return Err(error.into());
            }
        }
    }
    let (sink, receiver) = hopscope_gateway::RecordSink::channel(RECORD_CHANNEL_CAPACITY);
    let writer = workspace.spawn_record_writer(receiver, RecordWriterOptions::default());
    // A clone of the sink outlives the gateway so the dropped count can be
    // read after shutdown; dropping it afterwards closes the channel.
    let sink_handle = sink.clone();
    let gateway = match hopscope_gateway::Gateway::start_with_records(plan.config.clone(), sink).await {
        Ok(gateway) => gateway,
        Err(error) => {
            stop_destinations(destinations).await;
            drop(sink_handle);
            writer.finish().await;
            return Err(error.into());
        }
    };

    let control = gateway.faults();
    let mut applied = BTreeMap::new();
    let initial = workspace.sync_faults(&control, &mut applied).await?;
    // Handlers are installed before the ready line, so a signal sent as soon
    // as it appears stops the gateway cleanly instead of killing it.
    let signals = StopSignals::install()?;
    print_ready(&plan, &authorities_file, &initial);

    let served = Workspace::served_fingerprints(&plan);
    wait_for_stop(signals, &workspace, &gateway, &control, &mut applied, served).await;

    println!("stopping: finishing open requests and writing records");
    gateway.shutdown().await;
    stop_destinations(destinations).await;
    let dropped = sink_handle.dropped();
    drop(sink_handle);
    let stats = writer.finish().await;
    println!(
        "stopped: {} hop records written, {} dropped (record queue full), {} lost (write failed)",
        stats.written, dropped, stats.failed
    );
    workspace.close().await;
    Ok(())
}

/// The signals that stop a running gateway.
struct StopSignals {
    interrupt: Signal,
    terminate: Signal,
}

impl StopSignals {
    fn install() -> Result<Self> {
        Ok(Self {
            interrupt: signal(SignalKind::interrupt()).context("cannot handle SIGINT")?,
            terminate: signal(SignalKind::terminate()).context("cannot handle SIGTERM")?,
        })
    }
}

/// Applies fault changes and swaps rotated certificates in until SIGINT or
/// SIGTERM arrives.
async fn wait_for_stop(
    mut signals: StopSignals,
    workspace: &Workspace,
    gateway: &hopscope_gateway::RunningGateway,
    control: &FaultControl,
    applied: &mut BTreeMap<String, Fault>,
    mut served: hopscope_workspace::gateway_rotation::ServedFingerprints,
) {
    let mut poll = tokio::time::interval(FAULT_POLL_INTERVAL);
    let mut certificate_poll = tokio::time::interval(CERTIFICATE_POLL_INTERVAL);
    let mut failing = false;
    let mut certificates_failing = false;
    loop {
        tokio::select! {
            _ = signals.interrupt.recv() => return,
            _ = signals.terminate.recv() => return,
            _ = certificate_poll.tick() => match workspace.sync_certificates(gateway, &mut served).await {
                Ok(swaps) => {
                    certificates_failing = false;
                    for swap in swaps {
                        println!(
                            "rotated: {} now serves {} with sha256 {}",
                            swap.host, swap.credential, swap.sha256_fingerprint
                        );
                    }
                }
                Err(error) if !certificates_failing => {
                    certificates_failing = true;
                    tracing::warn!(error = %error, "swapping a rotated certificate failed; retrying");
                }
                Err(_) => {}
            },
            _ = poll.tick() => match workspace.sync_faults(control, applied).await {
                Ok(changes) => {
                    failing = false;
                    for (hop, fault) in changes {
                        print_fault(&hop, fault.as_ref());
                    }
                }
                // Logged once per run of failures, so a locked database
                // does not write a line every 200 ms.
                Err(error) if !failing => {
                    failing = true;
                    tracing::warn!(error = %error, "reading the stored faults failed; retrying");
                }
                Err(_) => {}
            },
        }
    }
}

async fn stop_destinations(destinations: Vec<hopscope_gateway::StubDestination>) {
    for destination in destinations {
        destination.shutdown().await;
    }
}

/// Writes the workspace's authority certificates for `curl --cacert`.
fn write_authorities(plan: &GatewayPlan) -> Result<PathBuf> {
    let dir = data_dir();
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create the data directory {}", dir.display()))?;
    let file = dir.join(AUTHORITIES_FILE);
    super::write_output(&file, plan.authorities_pem.as_bytes(), false)?;
    Ok(file)
}

fn print_ready(plan: &GatewayPlan, authorities_file: &Path, faults: &[(String, Option<Fault>)]) {
    for listener in &plan.listeners {
        println!("{} ({}) listening on {}", listener.hop, listener.kind, listener.address);
        for certificate in &listener.certificates {
            println!(
                "  {}  {}  {}  sha256 {}",
                certificate.host, certificate.credential, certificate.subject, certificate.sha256_fingerprint
            );
        }
    }
    println!();
    for endpoint in &plan.public_endpoints {
        if endpoint.route.is_empty() {
            println!("# {}: no route, so {} is unreachable; set one with `hopscope route add`", endpoint.destination, endpoint.public_url);
            continue;
        }
        println!("# {} via {}", endpoint.destination, endpoint.route.join(" -> "));
        println!(
            "curl --resolve {host}:{port}:127.0.0.1 --cacert {cacert} {url}/metadata",
            host = endpoint.host,
            port = endpoint.port,
            cacert = shell_word(&authorities_file.display().to_string()),
            url = endpoint.public_url,
        );
    }
    for (hop, fault) in faults {
        print_fault(hop, fault.as_ref());
    }
    println!();
    println!("gateway ready; press Ctrl-C to stop");
}

fn print_fault(hop: &str, fault: Option<&Fault>) {
    match fault {
        Some(fault) => println!("fault of {hop}: {fault}"),
        None => println!("fault of {hop} cleared"),
    }
}

/// Quotes `word` for a POSIX shell when it contains anything but safe characters.
fn shell_word(word: &str) -> String {
    if !word.is_empty() && word.chars().all(|c| c.is_ascii_alphanumeric() || "-_./:=,@%+".contains(c)) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}
