//! `trace list`, `trace show` and `trace export`: the exchanges the gateway
//! recorded.

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::{Args, Subcommand};
use hopscope_gateway::{utf8_text, BodyRecord};
use hopscope_gateway::Participant;
use hopscope_workspace::{ExchangeDetail, ExchangeSummary};

use super::{open, write_output};
use crate::output;

#[derive(Debug, Subcommand)]
pub enum TraceCommand {
    /// List recent exchanges, newest first, with the status at each hop
    List(TraceListArgs),
    /// Show every hop record of one exchange
    Show(TraceShowArgs),
    /// Write recent exchanges as a HAR 1.2 file
    Export(TraceExportArgs),
    /// Check one exchange: unchanged body, signature, token and status, no private URL, right certificates; exits 0 when every check passed, 3 when one failed
    Verdict(crate::commands::exchange::TraceVerdictArgs),
}

#[derive(Debug, Args)]
pub struct TraceListArgs {
    /// Maximum number of exchanges
    #[arg(long, value_name = "N", default_value_t = 50)]
    pub limit: u32,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct TraceShowArgs {
    /// Exchange id, as `trace list` shows it
    pub id: String,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct TraceExportArgs {
    /// HAR file to write
    #[arg(long, value_name = "FILE")]
    pub har: PathBuf,
    /// Maximum number of exchanges, the newest ones
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub limit: u32,
}

pub async fn run(path: &Path, command: TraceCommand) -> Result<()> {
    let workspace = open(path).await?;
    match command {
        TraceCommand::List(args) => {
            let exchanges = workspace.exchanges(args.limit).await?;
            if args.json {
                output::json(&exchanges)?;
            } else {
                print_list(&exchanges);
            }
        }
        TraceCommand::Show(args) => {
            let detail = workspace.exchange(&args.id).await?;
            if args.json {
                output::json(&detail)?;
            } else {
                print_detail(&detail);
            }
        }
        TraceCommand::Verdict(_) => unreachable!("`trace verdict` is dispatched to commands::exchange::verdict"),
        TraceCommand::Export(args) => {
            let har = workspace.har(args.limit).await?;
            let count = har["log"]["entries"].as_array().map(Vec::len).unwrap_or(0);
            write_output(&args.har, serde_json::to_string_pretty(&har)?.as_bytes(), false)?;
            println!("wrote {count} exchanges to {}", args.har.display());
        }
    }
    Ok(())
}

fn status_text(status: Option<u16>) -> String {
    status.map(|s| s.to_string()).unwrap_or_else(|| "none".into())
}

fn print_list(exchanges: &[ExchangeSummary]) {
    if exchanges.is_empty() {
        println!("no exchanges recorded; run `hopscope gateway run` and send requests through it");
        return;
    }
    println!("{:<24}  {:<36}  {:<6}  {:>9}  {:<28}  TARGET", "TIME", "EXCHANGE", "METHOD", "MS", "STATUS PER HOP");
    for exchange in exchanges {
        let hops: Vec<String> = exchange
            .hops
            .iter()
            .map(|h| {
                let outcome = if h.interrupted { "interrupted".to_string() } else { status_text(h.status) };
                format!("{} {outcome}", h.hop)
            })
            .collect();
        println!(
            "{:<24}  {:<36}  {:<6}  {:>9.1}  {:<28}  {}",
            exchange.started_at,
            exchange.exchange_id,
            exchange.method,
            exchange.duration_ms,
            hops.join(", "),
            exchange.target
        );
    }
}

fn print_detail(detail: &ExchangeDetail) {
    let summary = &detail.summary;
    println!("exchange  {}", summary.exchange_id);
    println!("started   {}", summary.started_at);
    println!("request   {} {}", summary.method, summary.target);
    println!("status    {} in {:.1} ms", status_text(summary.status), summary.duration_ms);
    for record in &detail.records {
        println!();
        let role = match record.participant {
            Participant::Intermediary => "hop",
            Participant::Originator => "originator",
            Participant::Destination => "destination",
        };
        println!("{role} {} ({})", record.hop, record.http_version);
        let tls = &record.inbound_tls;
        println!(
            "  tls       sni {}  {}  {}  certificate sha256 {}",
            tls.sni.as_deref().unwrap_or("-"),
            tls.protocol_version.as_deref().unwrap_or("-"),
            tls.cipher_suite.as_deref().unwrap_or("-"),
            tls.certificate_sha256.as_deref().unwrap_or("-")
        );
        println!("  request   {} {}", record.request.method, record.request.target);
        println!(
            "  req body  {} bytes  sha256 {}",
            record.request.body.size,
            record.request.body.sha256.as_deref().unwrap_or("(incomplete)")
        );
        print_preview(&record.request.body);
        if let Some(upstream) = &record.upstream {
            println!("  upstream  {} ({})", upstream.url, upstream.address);
        }
        match &record.response {
            Some(response) => {
                let origin = match record.participant {
                    Participant::Originator => "received",
                    Participant::Destination => "sent",
                    Participant::Intermediary if response.from_gateway => "made by this hop",
                    Participant::Intermediary => "passed on",
                };
                println!("  response  {} ({origin})", response.status);
                println!(
                    "  res body  {} bytes  sha256 {}",
                    response.body.size,
                    response.body.sha256.as_deref().unwrap_or("(incomplete)")
                );
                print_preview(&response.body);
                if let Some(digest) = &response.content_digest {
                    println!("  content-digest {digest}");
                }
            }
            None => println!("  response  none (connection closed)"),
        }
        let timings = &record.timings;
        println!(
            "  timings   connect {}  tls {}  first byte {}  total {:.1} ms",
            optional_ms(timings.connect_ms),
            optional_ms(timings.tls_handshake_ms),
            optional_ms(timings.first_byte_ms),
            timings.total_ms
        );
        if let Some(fault) = &record.fault {
            println!("  fault     {fault}");
        }
        if let Some(error) = &record.error {
            println!("  error     {error}");
        }
    }
}

/// Characters of a captured text body that `trace show` prints.
const PREVIEW_CHARS: usize = 160;
/// Bytes of a captured binary body that `trace show` prints in hex.
const PREVIEW_BYTES: usize = 32;

/// Prints the start of a captured body on one line (text with control
/// characters as spaces, or hex for a binary body), then how much of the body
/// was captured when it was cut. Prints nothing for an empty body.
fn print_preview(body: &BodyRecord) {
    let Some(captured) = &body.captured else {
        if body.size > 0 {
            println!("            (not captured)");
        }
        return;
    };
    if captured.is_empty() {
        return;
    }
    match utf8_text(captured) {
        Some(text) => {
            let preview: String = text.chars().take(PREVIEW_CHARS).map(printable).collect();
            let cut = if text.chars().count() > PREVIEW_CHARS { "..." } else { "" };
            println!("            {preview}{cut}");
        }
        None => {
            let shown = &captured[..captured.len().min(PREVIEW_BYTES)];
            let cut = if captured.len() > PREVIEW_BYTES { "..." } else { "" };
            println!("            binary: {}{cut}", hex::encode(shown));
        }
    }
    if body.truncated {
        println!("            (first {} of {} bytes captured)", captured.len(), body.size);
    }
}

/// Replaces a control character (a newline, say) with a space, so the
/// preview stays on one line.
fn printable(c: char) -> char {
    if c.is_control() {
        ' '
    } else {
        c
    }
}

fn optional_ms(value: Option<f64>) -> String {
    value.map(|ms| format!("{ms:.1} ms")).unwrap_or_else(|| "-".into())
}
