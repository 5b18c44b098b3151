//! `exchange run`, `exchange scenarios` and `trace verdict`: signed
//! exchanges from the originator simulator and their verdicts.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, Subcommand};
use hopscope_workspace::{ExchangeOutcome, ExchangeRunRequest, StepOutcome, Verdict, SCENARIOS};
use serde_json::json;

use super::{open, open_unlocked};
use crate::output;

/// Exit status when the run or verdict completed but a check failed,
/// distinct from 1 for an error, as `trust check` does for an untrusted
/// originator.
const CHECK_FAILED: u8 = 3;

#[derive(Debug, Subcommand)]
pub enum ExchangeCommand {
    /// Run a scenario from an originator through the gateway and print each exchange's verdict; exits 0 only when every check passed, 3 when one failed
    Run(ExchangeRunArgs),
    /// List the scenarios `exchange run --scenario` accepts
    Scenarios(ScenariosArgs),
}

#[derive(Debug, Args)]
pub struct ExchangeRunArgs {
    /// Scenario name (see `exchange scenarios`); default: default
    #[arg(long, value_name = "NAME")]
    pub scenario: Option<String>,
    /// Originator credential; default: the first credential of role originator
    #[arg(long, value_name = "NAME")]
    pub originator: Option<String>,
    /// Destination; default: the first destination of the topology
    #[arg(long, value_name = "NAME")]
    pub destination: Option<String>,
    /// Speak HTTP/2 to the inbound gateway instead of HTTP/1.1
    #[arg(long)]
    pub http2: bool,
    /// Print the run and every verdict as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ScenariosArgs {
    /// Print the scenarios as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct TraceVerdictArgs {
    /// Exchange id, as `trace list` or `exchange run` shows it
    pub id: String,
    /// Print the verdict as JSON
    #[arg(long)]
    pub json: bool,
}

pub async fn run(path: &Path, command: ExchangeCommand) -> Result<ExitCode> {
    match command {
        ExchangeCommand::Scenarios(args) => {
            scenarios(&args)?;
            Ok(ExitCode::SUCCESS)
        }
        ExchangeCommand::Run(args) => run_scenario(path, args).await,
    }
}

fn scenarios(args: &ScenariosArgs) -> Result<()> {
    if args.json {
        let list: Vec<_> = SCENARIOS
            .iter()
            .map(|s| {
                json!({
                    "name": s.name,
                    "description": s.description,
                    "steps": s.steps.iter().map(|step| step.name()).collect::<Vec<_>>(),
                })
            })
            .collect();
        return output::json(&list);
    }
    let width = SCENARIOS.iter().map(|s| s.name.len()).max().unwrap_or(0);
    for scenario in SCENARIOS {
        println!("{:width$}  {}", scenario.name, scenario.description);
    }
    Ok(())
}

async fn run_scenario(path: &Path, args: ExchangeRunArgs) -> Result<ExitCode> {
    let workspace = open_unlocked(path).await?;
    let request = ExchangeRunRequest {
        scenario: args.scenario,
        originator: args.originator,
        destination: args.destination,
        http2: args.http2,
    };
    let plan = workspace.plan_exchange_run(&request).await?;
    if !args.json {
        eprintln!(
            "running scenario {} from {} to {} at {}",
            plan.scenario, plan.originator, plan.destination, plan.public_url
        );
    }
    let json = args.json;
    let run = workspace
        .run_exchanges(&request, |outcome| {
            if !json {
                print_outcome(outcome);
            }
        })
        .await?;
    if json {
        output::json(&run)?;
    } else {
        let failed = run.exchanges.iter().filter(|e| !e.passed()).count();
        let gateway = if run.started_gateway {
            "the gateway was started for this run and stopped"
        } else {
            "through the gateway already running"
        };
        println!(
            "{} exchanges from {} to {} ({}), {} passed, {failed} failed; {gateway}",
            run.exchanges.len(),
            run.originator,
            run.destination,
            run.public_url,
            run.exchanges.len() - failed
        );
    }
    workspace.close().await;
    Ok(if run.passed { ExitCode::SUCCESS } else { ExitCode::from(CHECK_FAILED) })
}

fn print_outcome(outcome: &ExchangeOutcome) {
    let report = &outcome.report;
    let mark = if outcome.passed() { "PASS" } else { "FAIL" };
    let status = report.status.map(|s| s.to_string()).unwrap_or_else(|| "---".into());
    println!(
        "{mark}  {:<13} {:<6} {status}  {}  {}",
        report.step, report.method, report.url, report.exchange_id
    );
    if let Some(error) = &report.error {
        println!("      {error}");
    }
    if let Some(verdict) = &outcome.verdict {
        for check in verdict.checks.iter().filter(|c| c.outcome == StepOutcome::Fail) {
            let at = check.hop.as_deref().map(|h| format!(" at {h}")).unwrap_or_default();
            println!("      {}{at}: {}", check.name.as_str(), check.reason);
        }
    }
}

/// `trace verdict ID`: exits 0 when every check passed, 3 when one failed.
pub async fn verdict(path: &Path, args: TraceVerdictArgs) -> Result<ExitCode> {
    let workspace = open(path).await?;
    let verdict = workspace.verdict(&args.id).await?;
    if args.json {
        output::json(&verdict)?;
    } else {
        print_verdict(&verdict);
    }
    workspace.close().await;
    Ok(if verdict.passed { ExitCode::SUCCESS } else { ExitCode::from(CHECK_FAILED) })
}

fn print_verdict(verdict: &Verdict) {
    let result = if verdict.passed { "passed" } else { "FAILED" };
    let status = verdict.status.map(|s| s.to_string()).unwrap_or_else(|| "no response".into());
    println!("exchange {}: {result}", verdict.exchange_id);
    println!("  {} {} -> {status}", verdict.method, verdict.target);
    if let Some(step) = &verdict.step {
        println!("  step {step}");
    }
    println!("  path {}", verdict.path.join(" -> "));
    for check in &verdict.checks {
        let mark = match check.outcome {
            StepOutcome::Pass => "pass",
            StepOutcome::Fail => "FAIL",
            StepOutcome::NotApplicable => "n/a ",
        };
        let at = check.hop.as_deref().map(|h| format!(" (at {h})")).unwrap_or_default();
        println!("  {mark}  {}{at}: {}", check.name.as_str(), check.reason);
        if check.outcome == StepOutcome::Fail {
            for value in &check.compared {
                println!("          {}: {}", value.hop, value.value.as_deref().unwrap_or("none"));
            }
        }
    }
}
