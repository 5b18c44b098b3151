use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;
use hopscope_workspace::{
    DestinationUpdate, DestinationView, IntermediaryUpdate, NewDestination, NewIntermediary, Topology, TopologyFinding,
};

use super::{open, open_unlocked};
use crate::cli::{DestinationCommand, IntermediaryCommand, JsonFlag, RouteCommand, TopologyCommand};
use crate::output;

pub async fn destination(path: &Path, command: DestinationCommand) -> Result<()> {
    let args = match command {
        DestinationCommand::Add(args) => args,
        DestinationCommand::Update(args) => {
            let update = DestinationUpdate {
                public_url: args.public_url,
                private_url: args.private_url,
                endpoint_credential: args.endpoint_cert,
                signing_credential: args.signing_cert,
                external: args.external,
                external_address: args.address,
            };
            let view = open(path).await?.update_destination(&args.name, &update).await?;
            println!(
                "updated destination {}: {} -> {} (endpoint {}, signing {})",
                view.name,
                view.public_url,
                view.private_url,
                view.endpoint_credential.as_deref().unwrap_or("none"),
                view.signing_credential.as_deref().unwrap_or("none")
            );
            print_external(&view);
            return Ok(());
        }
    };
    let workspace = open(path).await?;
    let view = workspace
        .add_destination(&NewDestination {
            name: args.name,
            public_url: args.public_url,
            private_url: args.private_url,
            endpoint_credential: args.endpoint_cert,
            signing_credential: args.signing_cert,
            external: args.external,
            external_address: args.address,
        })
        .await?;
    println!("added destination {}: {} -> {}", view.name, view.public_url, view.private_url);
    print_external(&view);
    Ok(())
}

/// Says where an external destination is reached, and warns on stderr when
/// that address is not a loopback address.
fn print_external(view: &DestinationView) {
    let Some(address) = view.external_address.as_deref().filter(|_| view.external) else {
        return;
    };
    println!("{} is external: the gateway forwards to {} at {address} and starts nothing for it", view.name, view.private_url);
    let loopback = address.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if !loopback {
        eprintln!(
            "hopscope: warning: {address} is not a loopback address, so the gateway will send {}'s requests off this machine; use --address 127.0.0.1 unless you mean it",
            view.name
        );
    }
}

pub async fn intermediary(path: &Path, command: IntermediaryCommand) -> Result<()> {
    let args = match command {
        IntermediaryCommand::Add(args) => args,
        IntermediaryCommand::Update(args) => {
            let update = IntermediaryUpdate {
                listen_urls: (!args.listen.is_empty()).then_some(args.listen),
                credentials: (!args.cert.is_empty()).then_some(args.cert),
                add_forwarded: args.forwarded,
                add_via: args.via_header,
            };
            let view = open(path).await?.update_intermediary(&args.name, &update).await?;
            println!(
                "updated {} {}: listening on {}, certificates {}, Forwarded {}, Via {}",
                view.kind.as_str(),
                view.name,
                view.listen_urls.join(", "),
                view.credentials.join(", "),
                if view.add_forwarded { "on" } else { "off" },
                if view.add_via { "on" } else { "off" }
            );
            return Ok(());
        }
    };
    let workspace = open(path).await?;
    let (forwarded, via) = (args.forwarded, args.via_header);
    let mut view = workspace
        .add_intermediary(&NewIntermediary {
            kind: args.kind.parse()?,
            name: args.name,
            listen_urls: args.listen,
            credentials: args.cert,
        })
        .await?;
    if forwarded || via {
        let update = IntermediaryUpdate {
            add_forwarded: Some(forwarded),
            add_via: Some(via),
            ..Default::default()
        };
        view = workspace.update_intermediary(&view.name, &update).await?;
    }
    println!("added {} {} listening on {}", view.kind.as_str(), view.name, view.listen_urls.join(", "));
    Ok(())
}

pub async fn route(path: &Path, command: RouteCommand) -> Result<()> {
    let RouteCommand::Add(args) = command;
    let workspace = open(path).await?;
    let view = workspace.set_route(&args.destination, &args.via).await?;
    println!("route of {}: {} -> {} -> {}", view.name, view.public_url, view.route.join(" -> "), view.private_url);
    Ok(())
}

/// `topology show` and `topology check`; check exits 1 when it finds a
/// mistake, so scripts can gate on it.
pub async fn topology(path: &Path, command: TopologyCommand) -> Result<ExitCode> {
    let workspace = open(path).await?;
    match command {
        TopologyCommand::Show(args) => {
            let topology = workspace.topology().await?;
            if args.json {
                output::json(&topology)?;
            } else {
                print_topology(&topology);
            }
            Ok(ExitCode::SUCCESS)
        }
        TopologyCommand::Check(args) => {
            let findings = workspace.check_topology().await?;
            if args.json {
                output::json(&findings)?;
            } else {
                print_findings(&findings);
            }
            Ok(if findings.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
    }
}

pub async fn demo(path: &Path, args: JsonFlag) -> Result<()> {
    let workspace = if path.exists() {
        open_unlocked(path).await?
    } else {
        let passphrase = crate::secrets::passphrase(true)?;
        hopscope_workspace::Workspace::create(path, &passphrase).await?
    };
    let outcome = workspace.demo().await?;
    if args.json {
        output::json(&outcome)?;
    } else if outcome.created {
        println!("created the demo network in {}: destinations {}", path.display(), outcome.destinations.join(", "));
    } else {
        println!("the demo network is already in {}", path.display());
    }
    Ok(())
}

fn print_topology(topology: &Topology) {
    if topology.destinations.is_empty() && topology.intermediaries.is_empty() {
        println!("the topology is empty; add destinations with `hopscope destination add`, or run `hopscope demo`");
        return;
    }
    println!("destinations:");
    for d in &topology.destinations {
        println!("  {}", d.name);
        println!("    public   {}", d.public_url);
        println!("    private  {}", d.private_url);
        println!("    route    {}", if d.route.is_empty() { "(none)".to_string() } else { d.route.join(" -> ") });
        println!("    endpoint {}", d.endpoint_credential.as_deref().unwrap_or("(none)"));
        println!("    signing  {}", d.signing_credential.as_deref().unwrap_or("(none)"));
        if let Some(address) = d.external_address.as_deref().filter(|_| d.external) {
            println!("    external at {address} (not started by Hopscope)");
        }
    }
    println!("intermediaries:");
    for i in &topology.intermediaries {
        println!("  {} ({})", i.name, i.kind.as_str());
        println!("    listen   {}", i.listen_urls.join(", "));
        println!("    certs    {}", if i.credentials.is_empty() { "(none)".to_string() } else { i.credentials.join(", ") });
    }
}

fn print_findings(findings: &[TopologyFinding]) {
    if findings.is_empty() {
        println!("the topology is valid");
        return;
    }
    for f in findings {
        println!("{} {} [{}]: {}", f.element_kind, f.element, f.code, f.message);
        println!("  fix: {}", f.fix);
    }
    println!("{} finding(s)", findings.len());
}
