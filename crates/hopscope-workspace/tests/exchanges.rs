//! Signed exchanges on the demo network: the originator simulator through
//! the gateway to the destination simulators, with the verdict of every
//! exchange, and each gateway fault against the checks it must turn red.
//!
//! The demo network listens on fixed ports (8443, 9443, 9444, 9445), so
//! these tests hold the same lock file as the other tests that run it.

use std::collections::BTreeSet;

use hopscope_workspace::{
    ExchangeRun, ExchangeRunRequest, Fault, GatewayRuntime, StepOutcome, VerdictCheckName, Workspace,
};

const PASSPHRASE: &str = "correct horse battery staple";

mod common;

use common::lock_demo_ports;

async fn demo_workspace(dir: &tempfile::TempDir) -> Workspace {
    let workspace = Workspace::create(&dir.path().join("ws.db"), PASSPHRASE).await.unwrap();
    workspace.demo().await.unwrap();
    workspace
}

fn request(scenario: &str, destination: &str) -> ExchangeRunRequest {
    ExchangeRunRequest {
        scenario: Some(scenario.into()),
        destination: Some(destination.into()),
        ..Default::default()
    }
}

fn failures(run: &ExchangeRun) -> Vec<String> {
    run.exchanges
        .iter()
        .filter(|e| !e.passed())
        .map(|e| format!("{:?}\n{:#?}", e.report, e.verdict.as_ref().map(|v| &v.checks)))
        .collect()
}

/// Names of the failed checks of one exchange of a run.
fn failed_checks(run: &ExchangeRun, step: &str) -> BTreeSet<VerdictCheckName> {
    let exchange = run
        .exchanges
        .iter()
        .find(|e| e.report.step == step)
        .unwrap_or_else(|| panic!("no {step} exchange in {:#?}", run.exchanges));
    let verdict = exchange.verdict.as_ref().expect("the exchange has a verdict");
    verdict
        .checks
        .iter()
        .filter(|c| c.outcome == StepOutcome::Fail)
        .map(|c| c.name)
        .collect()
}

async fn run_default(destination: &str) {
    let _lock = lock_demo_ports();
    let dir = tempfile::tempdir().unwrap();
    let workspace = demo_workspace(&dir).await;

    let run = workspace.run_exchanges(&request("default", destination), |_| {}).await.unwrap();

    assert!(run.started_gateway);
    assert!(failures(&run).is_empty(), "{}", failures(&run).join("\n\n"));
    assert!(run.passed);
    assert!(run.exchanges.len() >= 10, "{}", run.exchanges.len());
    let token = run.exchanges.iter().find(|e| e.report.step == "token").unwrap();
    let verdict = token.verdict.as_ref().unwrap();
    let token_check = verdict.checks.iter().find(|c| c.name == VerdictCheckName::TokenUnchanged).unwrap();
    assert_eq!(token_check.outcome, StepOutcome::Pass, "{token_check:?}");
    for exchange in &run.exchanges {
        let verdict = exchange.verdict.as_ref().unwrap();
        let signature = verdict.checks.iter().find(|c| c.name == VerdictCheckName::SignatureValid).unwrap();
        assert_eq!(signature.outcome, StepOutcome::Pass, "{:?}", exchange.report);
        let certificates = verdict.checks.iter().find(|c| c.name == VerdictCheckName::Certificates).unwrap();
        assert_eq!(certificates.outcome, StepOutcome::Pass, "{certificates:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_scenario_through_two_intermediaries() {
    run_default("d-corp").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_scenario_through_one_intermediary() {
    run_default("b-corp").await;
}

/// Runs `scenario` to d-corp with the gateway started here, `prepare`
/// setting a fault or misbehaviour first.
async fn run_with(scenario: &str, prepare: impl AsyncFnOnce(&Workspace, &GatewayRuntime)) -> ExchangeRun {
    let dir = tempfile::tempdir().unwrap();
    let workspace = demo_workspace(&dir).await;
    let runtime = workspace.start_gateway().await.unwrap();
    prepare(&workspace, &runtime).await;
    let run = workspace.run_exchanges(&request(scenario, "d-corp"), |_| {}).await.unwrap();
    runtime.stop().await;
    assert!(!run.started_gateway, "the run should use the gateway started by the test");
    run
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_fault_turns_its_checks_red() {
    use VerdictCheckName::*;
    let _lock = lock_demo_ports();
    // (fault on int-two, step whose exchange is judged, checks that must fail)
    let table: Vec<(Fault, &str, BTreeSet<VerdictCheckName>)> = vec![
        // The flipped byte changes the body from int-two on, so the
        // signature over its digest fails at the originator.
        (Fault::TamperBody, "udap-metadata", BTreeSet::from([BodyUnchanged, SignatureValid])),
        (
            Fault::StripHeader { name: "Signature".into() },
            "udap-metadata",
            BTreeSet::from([SignatureHeadersUnchanged, SignatureValid]),
        ),
        // The token is in the signed body, so replacing it also changes the
        // body and breaks the signature.
        (Fault::ReplaceToken, "token", BTreeSet::from([TokenUnchanged, BodyUnchanged, SignatureValid])),
        (Fault::Delay { ms: 50 }, "read", BTreeSet::new()),
    ];
    for (fault, step, expected) in table {
        let run = run_with("read", async |workspace, runtime| {
            let _ = workspace;
            runtime.set_fault("int-two", &fault).await.unwrap();
        })
        .await;
        assert_eq!(failed_checks(&run, step), expected, "fault {fault:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leaking_destination_fails_private_url_check() {
    use VerdictCheckName::*;
    let _lock = lock_demo_ports();
    let run = run_with("read", async |_, runtime| {
        runtime.set_leak_private_url("d-corp", true).await.unwrap();
    })
    .await;
    assert_eq!(failed_checks(&run, "read"), BTreeSet::from([NoPrivateUrl]));
    assert!(!run.passed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_fault_is_reported_at_its_hop() {
    let _lock = lock_demo_ports();
    let run = run_with("read", async |_, runtime| {
        runtime.set_fault("int-two", &Fault::Status { code: 503 }).await.unwrap();
    })
    .await;
    let first = &run.exchanges[0];
    let verdict = first.verdict.as_ref().unwrap();
    let status = verdict.checks.iter().find(|c| c.name == VerdictCheckName::StatusUnchanged).unwrap();
    assert_eq!(status.outcome, StepOutcome::Fail);
    assert_eq!(status.hop.as_deref(), Some("int-two"), "{status:?}");
    assert!(!run.passed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trust_list_change_applies_without_restart() {
    let _lock = lock_demo_ports();
    let dir = tempfile::tempdir().unwrap();
    let workspace = demo_workspace(&dir).await;
    let anchor = workspace.trust_list("d-corp").await.unwrap().list.anchors[0].id.clone();
    workspace.trust_remove("d-corp", &anchor).await.unwrap();
    let runtime = workspace.start_gateway().await.unwrap();

    let refused = workspace.run_exchanges(&request("register", "d-corp"), |_| {}).await.unwrap();
    let register = refused.exchanges.iter().find(|e| e.report.step == "register").unwrap();
    assert_eq!(register.report.status, Some(400), "{:?}", register.report);
    let verdict = register.verdict.as_ref().unwrap();
    let decided = verdict.checks.iter().find(|c| c.name == VerdictCheckName::TrustDecidedByDestination).unwrap();
    assert_eq!(decided.outcome, StepOutcome::Pass, "{decided:?}");
    assert!(decided.reason.contains("did not trust"), "{decided:?}");

    workspace
        .trust_add("d-corp", &hopscope_workspace::trust::TrustAddition::AnchorAuthority { name: "demo-community".into() }, "back")
        .await
        .unwrap();
    // The running gateway picks up trust-list versions every second.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let accepted = workspace.run_exchanges(&request("register", "d-corp"), |_| {}).await.unwrap();
    assert!(failures(&accepted).is_empty(), "{}", failures(&accepted).join("\n\n"));
    runtime.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_scenario_over_http2() {
    let _lock = lock_demo_ports();
    let dir = tempfile::tempdir().unwrap();
    let workspace = demo_workspace(&dir).await;
    let request = ExchangeRunRequest {
        http2: true,
        ..request("search", "d-corp")
    };

    let run = workspace.run_exchanges(&request, |_| {}).await.unwrap();

    assert!(failures(&run).is_empty(), "{}", failures(&run).join("\n\n"));
    let detail = workspace.exchange(&run.exchanges[0].report.exchange_id).await.unwrap();
    let inbound = detail.records.iter().find(|r| r.hop == "int-one").unwrap();
    assert_eq!(inbound.http_version, "HTTP/2");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_connection_leaves_no_response() {
    use VerdictCheckName::*;
    let _lock = lock_demo_ports();
    let run = run_with("read", async |_, runtime| {
        runtime.set_fault("int-two", &Fault::Drop).await.unwrap();
    })
    .await;

    let first = &run.exchanges[0];
    assert_eq!(first.report.status, Some(502), "{:?}", first.report);
    // int-one's 502 OperationOutcome names int-two's URL, a private URL
    // of the topology, which the originator must not see either.
    assert_eq!(
        failed_checks(&run, "udap-metadata"),
        BTreeSet::from([StatusUnchanged, SignatureValid, NoPrivateUrl, ExpectedStatus])
    );
    let verdict = first.verdict.as_ref().unwrap();
    let leak = verdict.checks.iter().find(|c| c.name == NoPrivateUrl).unwrap();
    assert_eq!(leak.hop.as_deref(), Some("int-one"), "{leak:?}");
}
