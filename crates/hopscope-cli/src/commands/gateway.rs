//! `gateway run` (the embedded test gateway in the foreground) and
//! `gateway fault` (set or clear a hop's fault, from any process).

use std::path::Path;

use anyhow::{Context, Result};
use clap::{ArgGroup, Args, Subcommand};
use hopscope_workspace::gateway_runtime::curl_command;
use hopscope_workspace::{Fault, GatewayEvent, GatewayOptions, GatewayRuntime, Topology, Workspace};
use tokio::signal::unix::{signal, Signal, SignalKind};
use tokio::sync::broadcast;

use super::{open, open_unlocked};

#[derive(Debug, Subcommand)]
pub enum GatewayCommand {
    /// Run the topology on 127.0.0.1 in the foreground until Ctrl-C or SIGTERM
    Run(GatewayRunArgs),
    /// Set or clear the fault of a hop; a running gateway applies it within 200 ms
    Fault(GatewayFaultArgs),
    /// Switch a destination simulator's misbehaviour for testing verdicts; a running gateway applies it within a second
    Misbehave(GatewayMisbehaveArgs),
}

#[derive(Debug, Args)]
pub struct GatewayMisbehaveArgs {
    /// Destination whose simulator misbehaves
    pub destination: String,
    /// Write the private URL instead of the public one in every URL of a response (fullUrl, links, Location, Content-Location)
    #[arg(long, value_name = "BOOL", required = true)]
    pub leak_private_url: Option<bool>,
}

#[derive(Debug, Args)]
pub struct GatewayRunArgs {
    /// Add the demo network first when it is missing (creating the workspace if needed)
    #[arg(long)]
    pub demo: bool,
    /// Bytes of each request and response body the exchange records keep (0 turns capture off)
    #[arg(long, value_name = "BYTES", default_value_t = hopscope_workspace::GatewayOptions::default().body_capture_bytes)]
    pub body_limit: usize,
    /// Serve destinations with minimal stubs (no UDAP, no tokens, no signatures, plus generated Binary bodies) instead of the destination simulators, for load tests
    #[arg(long)]
    pub stub_destinations: bool,
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
        GatewayCommand::Misbehave(args) => misbehave(path, args).await,
    }
}

async fn misbehave(path: &Path, args: GatewayMisbehaveArgs) -> Result<()> {
    let workspace = open(path).await?;
    if let Some(on) = args.leak_private_url {
        workspace.set_leak_private_url(&args.destination, on).await?;
        let state = if on { "on" } else { "off" };
        println!("{} leak-private-url: {state}", args.destination);
    }
    workspace.close().await;
    Ok(())
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
    let options = GatewayOptions {
        body_capture_bytes: args.body_limit,
        stub_destinations: args.stub_destinations,
    };
    let topology = workspace.topology().await?;
    let runtime = workspace.start_gateway_with(&options).await?;
    let events = runtime.events();
    // Handlers are installed before the ready line, so a signal sent as soon
    // as it appears stops the gateway cleanly instead of killing it.
    let signals = match StopSignals::install() {
        Ok(signals) => signals,
        Err(error) => {
            runtime.stop().await;
            return Err(error);
        }
    };
    let mut leaking = Vec::new();
    for destination in topology.destinations.iter().filter(|d| !d.external) {
        if workspace.leak_private_url(&destination.name).await? {
            leaking.push(destination.name.clone());
        }
    }
    print_ready(&runtime, &topology, &leaking);

    wait_for_stop(signals, events).await;

    println!("stopping: finishing open requests and writing records");
    let stopped = runtime.stop().await;
    println!(
        "stopped: {} hop records written, {} dropped (record queue full), {} lost (write failed)",
        stopped.written, stopped.dropped, stopped.failed
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

/// Prints the fault changes and certificate swaps of the running gateway
/// until SIGINT or SIGTERM arrives.
async fn wait_for_stop(mut signals: StopSignals, mut events: broadcast::Receiver<GatewayEvent>) {
    loop {
        tokio::select! {
            _ = signals.interrupt.recv() => return,
            _ = signals.terminate.recv() => return,
            event = events.recv() => match event {
                Ok(GatewayEvent::FaultChanged { hop, fault }) => print_fault(&hop, fault.as_ref()),
                Ok(GatewayEvent::CertificateSwapped(swap)) => println!(
                    "rotated: {} now serves {} with sha256 {}",
                    swap.host, swap.credential, swap.sha256_fingerprint
                ),
                // Record totals are printed once, at stop.
                Ok(GatewayEvent::RecordsWritten { .. }) => {}
                Err(broadcast::error::RecvError::Lagged(skipped)) => {
                    tracing::warn!(skipped, "gateway events came faster than they were printed; some were skipped");
                }
                // The gateway task ended on its own; only a signal stops
                // the command, as before.
                Err(broadcast::error::RecvError::Closed) => {
                    wait_for_signal(signals).await;
                    return;
                }
            },
        }
    }
}

async fn wait_for_signal(mut signals: StopSignals) {
    tokio::select! {
        _ = signals.interrupt.recv() => {}
        _ = signals.terminate.recv() => {}
    }
}

/// Prints the listeners, curl lines, stored faults and the destinations
/// whose leak-private-URL misbehaviour is on, then the ready line.
fn print_ready(runtime: &GatewayRuntime, topology: &Topology, leaking: &[String]) {
    for listener in runtime.listeners() {
        println!("{} ({}) listening on {}", listener.hop, listener.kind, listener.address);
        for certificate in &listener.certificates {
            println!(
                "  {}  {}  {}  sha256 {}",
                certificate.host, certificate.credential, certificate.subject, certificate.sha256_fingerprint
            );
        }
    }
    for destination in topology.destinations.iter().filter(|d| d.external) {
        println!(
            "{} (external destination) at {}, address {}; not started by Hopscope",
            destination.name,
            destination.private_url,
            destination.external_address.as_deref().unwrap_or("127.0.0.1")
        );
    }
    println!();
    for endpoint in runtime.public_endpoints() {
        match curl_command(endpoint, runtime.authorities_file()) {
            None => println!(
                "# {}: no route, so {} is unreachable; set one with `hopscope route add`",
                endpoint.destination, endpoint.public_url
            ),
            Some(curl) => {
                println!("# {} via {}", endpoint.destination, endpoint.route.join(" -> "));
                println!("{curl}");
            }
        }
    }
    for (hop, fault) in runtime.initial_faults() {
        print_fault(hop, fault.as_ref());
    }
    for destination in leaking {
        println!(
            "misbehaviour of {destination}: leak-private-url on (switch it off with `hopscope gateway misbehave {destination} --leak-private-url false`)"
        );
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
