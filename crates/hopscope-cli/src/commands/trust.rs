use std::path::Path;
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context, Result};
use hopscope_workspace::trust::{TrustAddition, TrustExportFormat, TrustListView, TrustListVersion};
use hopscope_workspace::{Presented, TrustDecision, TrustListChange};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::{open, open_unlocked, write_output};
use crate::cli::{TrustCommand, TrustFormat};
use crate::output;

/// Exit status of `trust check` when the originator is not trusted.
const NOT_TRUSTED: u8 = 3;

pub async fn run(path: &Path, command: TrustCommand) -> Result<ExitCode> {
    match command {
        TrustCommand::List(args) => {
            let view = open(path).await?.trust_list(&args.destination).await?;
            if args.json {
                output::json(&view)?;
            } else {
                print_list(&view);
            }
        }
        TrustCommand::Add(args) => {
            let addition = if let Some(anchor) = args.anchor {
                let file = Path::new(&anchor);
                if file.is_file() {
                    TrustAddition::AnchorFile { bytes: read(file)? }
                } else {
                    TrustAddition::AnchorAuthority { name: anchor }
                }
            } else if let Some(file) = args.pin {
                TrustAddition::Pin { bytes: read(&file)? }
            } else if let Some(file) = args.deny {
                TrustAddition::DenyCertificate { bytes: read(&file)? }
            } else if let Some(spki_sha256) = args.deny_spki {
                TrustAddition::DenySpki { spki_sha256 }
            } else if let Some(uri) = args.deny_uri {
                TrustAddition::DenyUri { uri }
            } else {
                unreachable!("clap requires one of the entry flags")
            };
            let view = open(path).await?.trust_add(&args.destination, &addition, &args.note).await?;
            println!("trust list of {} is now version {}", view.destination, view.version);
        }
        TrustCommand::Remove(args) => {
            let view = open(path).await?.trust_remove(&args.destination, &args.entry).await?;
            println!("removed {}; trust list of {} is now version {}", args.entry, view.destination, view.version);
        }
        TrustCommand::Note(args) => {
            let view = open(path).await?.trust_set_note(&args.destination, &args.entry, &args.note).await?;
            println!("trust list of {} is now version {}", view.destination, view.version);
        }
        TrustCommand::History(args) => {
            let history = open(path).await?.trust_history(&args.destination).await?;
            if args.json {
                output::json(&history)?;
            } else {
                print_history(&args.destination, &history);
            }
        }
        TrustCommand::Diff(args) => {
            let changes = open(path).await?.trust_diff(&args.destination, args.from, args.to).await?;
            if args.json {
                output::json(&changes)?;
            } else if changes.is_empty() {
                println!("versions {} and {} are the same", args.from, args.to);
            } else {
                changes.iter().for_each(|c| println!("{}", change_line(c)));
            }
        }
        TrustCommand::Revert(args) => {
            let view = open(path).await?.trust_revert(&args.destination, args.version).await?;
            println!(
                "reverted {} to version {}; the trust list is now version {}",
                view.destination, args.version, view.version
            );
        }
        TrustCommand::Check(args) => {
            let presented = read_presented(args.jwt.as_deref(), args.chain.as_deref())?;
            let at = args
                .at
                .as_deref()
                .map(|t| {
                    OffsetDateTime::parse(t, &Rfc3339).map_err(|e| {
                        anyhow!("invalid --at \"{t}\" ({e}); write RFC 3339 such as 2027-01-31T12:00:00Z")
                    })
                })
                .transpose()?;
            let workspace = open_unlocked(path).await?;
            let decision = workspace.trust_check(&args.destination, &presented, at).await?;
            if args.json {
                output::json(&decision)?;
            } else {
                print_decision(&args.destination, &decision);
            }
            if !decision.trusted {
                return Ok(ExitCode::from(NOT_TRUSTED));
            }
        }
        TrustCommand::Export(args) => {
            let format = match args.format {
                TrustFormat::Pem => TrustExportFormat::Pem,
                TrustFormat::Json => TrustExportFormat::Json,
            };
            let bytes = open(path).await?.trust_export(&args.destination, format).await?;
            write_output(&args.out, &bytes, false)?;
            println!("wrote {}", args.out.display());
        }
        TrustCommand::Import(args) => {
            let bytes = read(&args.file)?;
            let view = open(path)
                .await?
                .trust_import(&args.destination, &bytes)
                .await
                .with_context(|| format!("cannot import {}", args.file.display()))?;
            println!("trust list of {} is now version {}", view.destination, view.version);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Reads what the originator presented from the file given to `--jwt` or
/// `--chain`, and rejects a file whose content is the other kind, so a
/// script that checks a client assertion never passes on a bare chain.
fn read_presented(jwt: Option<&Path>, chain: Option<&Path>) -> Result<Presented> {
    let (file, want_jwt) = match (jwt, chain) {
        (Some(file), _) => (file, true),
        (None, Some(file)) => (file, false),
        (None, None) => bail!("pass --jwt FILE or --chain FILE"),
    };
    let text = std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let presented = Presented::from_text(&text).with_context(|| format!("cannot read {}", file.display()))?;
    match (&presented, want_jwt) {
        (Presented::Jwt(_), true) | (Presented::Chain(_), false) => Ok(presented),
        (Presented::Chain(_), true) => bail!(
            "{} contains a certificate chain, not a JWT; pass it with --chain, or give --jwt the compact JWT",
            file.display()
        ),
        (Presented::Jwt(_), false) => bail!(
            "{} contains a JWT, not a PEM certificate chain; pass it with --jwt",
            file.display()
        ),
    }
}

fn read(file: &Path) -> Result<Vec<u8>> {
    std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))
}

fn print_list(view: &TrustListView) {
    let list = &view.list;
    println!("trust list of {} (version {})", view.destination, view.version);
    if list.anchors.is_empty() && list.pinned.is_empty() && list.denied.is_empty() {
        println!("  empty: this destination trusts no originator; add an anchor with `hopscope trust add {} --anchor AUTHORITY`", view.destination);
        return;
    }
    for a in &list.anchors {
        println!("  anchor  {}  {}  {}", a.id, a.subject, a.note);
    }
    for p in &list.pinned {
        println!("  pinned  {}  {}  {}", p.id, p.subject, p.note);
    }
    for d in &list.denied {
        println!("  denied  {}  {}  {}", d.id, d.rule, d.note);
    }
}

fn print_history(destination: &str, history: &[TrustListVersion]) {
    if history.is_empty() {
        println!("the trust list of {destination} has never been edited");
        return;
    }
    for v in history {
        println!("version {}  {}  {}  {}", v.version, output::timestamp(v.created_at), v.actor, v.change);
        for c in &v.changes {
            println!("    {}", change_line(c));
        }
    }
}

fn change_line(change: &TrustListChange) -> String {
    match change {
        TrustListChange::Added { kind, id, label } => format!("+ {} {id} {label}", json_name(kind)),
        TrustListChange::Removed { kind, id, label } => format!("- {} {id} {label}", json_name(kind)),
        TrustListChange::NoteChanged { kind, id, from, to } => {
            format!("~ {} {id} note \"{from}\" -> \"{to}\"", json_name(kind))
        }
    }
}

/// The name a value has in the JSON output, such as `anchor` or `pass`.
fn json_name<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn print_decision(destination: &str, decision: &TrustDecision) {
    let verdict = if decision.trusted { "TRUSTED" } else { "NOT TRUSTED" };
    println!("{verdict} by {destination} (trust list version {})", decision.trust_list_version);
    for check in &decision.checks {
        let mark = match json_name(&check.outcome).as_str() {
            "pass" => "pass",
            "fail" => "FAIL",
            _ => "n/a ",
        };
        let name = json_name(&check.name);
        println!("  {mark}  {name:<22} {}", check.reason);
    }
}
