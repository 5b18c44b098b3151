//! The services behind the app's exchange screens, on the demo network: the
//! list rows with their facts and cached verdicts, the detail view, curl and
//! HAR exports, header search, live figures and clearing.
//!
//! The demo network listens on fixed ports (8443, 9443, 9444, 9445), so
//! these tests hold the same lock file as the other tests that run it.

use std::process::Command;
use std::time::Duration;

use hopscope_workspace::{
    ExchangeRunRequest, ExchangeView, Fault, FiguresRequest, GatewayEvent, LaneKind, VerdictState, Workspace,
};
use sha2::{Digest, Sha256};

const PASSPHRASE: &str = "correct horse battery staple";

mod common;

use common::lock_demo_ports;

fn scenario_to(scenario: &str, destination: &str) -> ExchangeRunRequest {
    ExchangeRunRequest {
        scenario: Some(scenario.into()),
        destination: Some(destination.into()),
        ..Default::default()
    }
}

fn step_exchange(run: &hopscope_workspace::ExchangeRun, step: &str) -> String {
    run.exchanges
        .iter()
        .find(|e| e.report.step == step)
        .unwrap_or_else(|| panic!("no {step} exchange in {:#?}", run.exchanges))
        .report
        .exchange_id
        .clone()
}

fn lane<'a>(view: &'a ExchangeView, name: &str) -> &'a hopscope_workspace::Lane {
    view.lanes.iter().find(|l| l.name == name).unwrap_or_else(|| panic!("no lane {name} in {:#?}", view.lanes))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exchange_screens_on_demo_network() {
    let _ports = lock_demo_ports();
    let dir = tempfile::tempdir().unwrap();
    // The curl command names the authorities file in the data directory.
    std::env::set_var("XDG_DATA_HOME", dir.path().join("data"));
    let workspace = Workspace::create(&dir.path().join("ws.db"), PASSPHRASE).await.unwrap();
    workspace.demo().await.unwrap();
    let gateway = workspace.start_gateway().await.unwrap();
    let mut events = gateway.events();

    // A passing run, then one with int-two tampering with response bodies.
    let passing = workspace.run_scenario(&scenario_to("default", "d-corp"), |_| {}).await.unwrap();
    assert!(passing.passed, "{:#?}", passing.exchanges);
    gateway.set_fault("int-two", &Fault::TamperBody).await.unwrap();
    let tampered = workspace.run_scenario(&scenario_to("read", "d-corp"), |_| {}).await.unwrap();
    assert!(!tampered.passed);
    gateway.clear_fault("int-two").await.unwrap();

    // The runtime announced the stored records.
    let announced = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            if let Ok(GatewayEvent::RecordsWritten { written }) = events.recv().await {
                return written;
            }
        }
    })
    .await
    .expect("a RecordsWritten event within 5 s");
    assert!(announced > 0);

    list_rows_have_facts_and_verdicts(&workspace, &passing, &tampered).await;
    detail_marks_tampering_hop(&workspace, &tampered).await;
    curl_repeats_recorded_request(&workspace).await;
    har_export_holds_selection(&workspace, &passing, dir.path()).await;
    header_search_finds_exchange(&workspace, &passing).await;
    live_figures_count_requests(&workspace).await;

    let judged = workspace.judge_exchanges(1000).await.unwrap();
    assert_eq!(judged.remaining, 0);
    assert!(workspace.clear_exchanges().await.unwrap() > 0);
    assert!(workspace.exchange_rows(0).await.unwrap().is_empty());
    gateway.stop().await;
}

async fn list_rows_have_facts_and_verdicts(
    workspace: &Workspace,
    passing: &hopscope_workspace::ExchangeRun,
    tampered: &hopscope_workspace::ExchangeRun,
) {
    // The gateway's writer may still be flushing the last hop records.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let rows = workspace.exchange_rows(0).await.unwrap();
    assert!(rows.len() > passing.exchanges.len(), "the passing run and the tampered one: {rows:#?}");
    assert!(rows.windows(2).all(|w| w[0].id > w[1].id), "newest first");
    for row in &rows {
        assert_eq!(row.originator.as_deref(), Some("clinic-a"), "{row:?}");
        assert_eq!(row.hops, 4, "{row:?}");
        assert_eq!(row.destination.as_deref(), Some("d-corp"), "{row:?}");
        assert!(row.target.starts_with("/d-corp/"), "the path without the host: {row:?}");
    }

    let metadata = step_exchange(tampered, "udap-metadata");
    let row = rows.iter().find(|r| r.exchange_id == metadata).unwrap();
    let badges = workspace.exchange_verdicts(&[row.id]).await.unwrap();
    assert_eq!(badges.len(), 1);
    assert_eq!(badges[0].verdict.state, VerdictState::Failed);
    assert_eq!(badges[0].verdict.failed_hop.as_deref(), Some("int-two"));
    assert!(badges[0].verdict.failed_checks.contains(&"body-unchanged".to_string()), "{badges:?}");

    let read = step_exchange(passing, "read");
    let row = rows.iter().find(|r| r.exchange_id == read).unwrap();
    let badges = workspace.exchange_verdicts(&[row.id]).await.unwrap();
    assert_eq!(badges[0].verdict.state, VerdictState::Passed);
    // Cached now: the rows carry the verdict without judging again.
    let again = workspace.exchange_rows(row.id - 1).await.unwrap();
    let cached = again.iter().find(|r| r.id == row.id).unwrap();
    assert_eq!(cached.verdict.state, VerdictState::Passed);
}

async fn detail_marks_tampering_hop(workspace: &Workspace, tampered: &hopscope_workspace::ExchangeRun) {
    let view = workspace.exchange_view(&step_exchange(tampered, "udap-metadata")).await.unwrap();
    let names: Vec<(&str, LaneKind)> = view.lanes.iter().map(|l| (l.name.as_str(), l.kind)).collect();
    assert_eq!(
        names,
        [
            ("clinic-a", LaneKind::Originator),
            ("int-one", LaneKind::InboundGateway),
            ("int-two", LaneKind::Delegated),
            ("d-corp", LaneKind::Destination)
        ]
    );
    assert!(lane(&view, "int-two").failed_checks.contains(&"body-unchanged".to_string()), "{:#?}", view.lanes);
    assert!(lane(&view, "int-one").failed_checks.is_empty(), "{:#?}", view.lanes);
    let credentials: Vec<&str> = view.certificates.values().map(|c| c.credential.as_str()).collect();
    for expected in ["d-corp-public", "int-two-private", "d-corp-private"] {
        assert!(credentials.contains(&expected), "{expected} missing from {credentials:?}");
    }

    // What d-corp sent and what clinic-a received differ in the first byte.
    let body = |name: &str| {
        let record = &view.detail.records[lane(&view, name).record.unwrap()];
        record.response.as_ref().unwrap().body.captured.clone().unwrap()
    };
    let sent = body("d-corp");
    let received = body("clinic-a");
    assert_eq!(sent.len(), received.len());
    let differing: Vec<usize> = (0..sent.len()).filter(|&i| sent[i] != received[i]).collect();
    assert_eq!(differing, [0]);
}

/// Sends a request without a token with curl, to which d-corp responds with a
/// 401 OperationOutcome whose body does not change between requests, then
/// repeats it with the exchange's curl command and compares the digests.
/// The scenario's exchanges cannot be repeated to the same digest: their
/// tokens are recorded only as digests, and bodies such as the
/// CapabilityStatement carry the time.
async fn curl_repeats_recorded_request(workspace: &Workspace) {
    let authorities = workspace.exchange_curl(&workspace.exchange_rows(0).await.unwrap()[0].exchange_id).await.unwrap();
    let cacert = authorities.command.split_whitespace().nth(4).unwrap().to_string();
    let sent = Command::new("curl")
        .args(["--silent", "--show-error", "--resolve", "fhir.int-one.test:8443:127.0.0.1", "--cacert", &cacert])
        .arg("https://fhir.int-one.test:8443/d-corp/Patient/pat-0001")
        .output()
        .expect("curl runs");
    assert!(sent.status.success(), "{}", String::from_utf8_lossy(&sent.stderr));
    let row = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let rows = workspace.exchange_rows(0).await.unwrap();
            if let Some(row) = rows.into_iter().find(|r| r.originator.is_none() && r.hops >= 3) {
                return row;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("the curl exchange is recorded within 5 s");
    assert_eq!(row.status, Some(401));
    assert_eq!(row.destination.as_deref(), Some("d-corp"));

    let view = workspace.exchange_view(&row.exchange_id).await.unwrap();
    assert_eq!(view.lanes[0].kind, LaneKind::Client);
    let outermost = &view.detail.records[lane(&view, "int-one").record.unwrap()];
    let expected = outermost.response.as_ref().unwrap().body.sha256.clone().unwrap();
    assert_eq!(hex::encode(Sha256::digest(&sent.stdout)), expected);

    let curl = workspace.exchange_curl(&row.exchange_id).await.unwrap();
    let repeated = Command::new("sh").arg("-c").arg(&curl.command).output().expect("sh runs curl");
    assert!(repeated.status.success(), "{}: {}", curl.command, String::from_utf8_lossy(&repeated.stderr));
    assert_eq!(hex::encode(Sha256::digest(&repeated.stdout)), expected, "{}", curl.command);

    // The repeat is an exchange of its own, not another record of this one.
    tokio::time::timeout(Duration::from_secs(5), async {
        while workspace.exchange_rows(0).await.unwrap().iter().filter(|r| r.originator.is_none()).count() < 2 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("the repeated request is recorded within 5 s");
    assert_eq!(workspace.exchange_view(&row.exchange_id).await.unwrap().detail.records.len(), view.detail.records.len());
}

async fn har_export_holds_selection(workspace: &Workspace, passing: &hopscope_workspace::ExchangeRun, dir: &std::path::Path) {
    let selection = [step_exchange(passing, "read"), step_exchange(passing, "token")];
    let path = dir.join("selection.har");
    let export = workspace.export_exchanges_har(&selection, &path).await.unwrap();
    assert_eq!(export.exchanges, 2);
    let har: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(har["log"]["version"], "1.2");
    let ids: Vec<&str> = har["log"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["_hopscope"]["exchange_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [selection[1].as_str(), selection[0].as_str()], "oldest first");
    let url = har["log"]["entries"][1]["request"]["url"].as_str().unwrap();
    assert!(url.starts_with("https://fhir.int-one.test:8443/d-corp/Patient/"), "{url}");

    let empty = workspace.export_exchanges_har(&[], &path).await.unwrap_err();
    assert!(empty.to_string().contains("no exchange to export"), "{empty}");
}

async fn header_search_finds_exchange(workspace: &Workspace, passing: &hopscope_workspace::ExchangeRun) {
    let read = step_exchange(passing, "read");
    let search = workspace.search_exchange_headers(&format!("X-Hopscope-Exchange: {read}")).await.unwrap();
    assert_eq!(search.unindexed_records, 0);
    let rows = workspace.exchange_rows(0).await.unwrap();
    let row = rows.iter().find(|r| r.exchange_id == read).unwrap();
    assert_eq!(search.ids, [row.id]);
    let none = workspace.search_exchange_headers("no-such-header: at all").await.unwrap();
    assert!(none.ids.is_empty());
}

async fn live_figures_count_requests(workspace: &Workspace) {
    let live = workspace.live_topology(300).await.unwrap();
    let edge = |from: &str, to: &str| live.edges.iter().find(|e| e.from == from && e.to == to).map(|e| e.requests);
    let to_gateway = edge("clinic-a", "int-one").unwrap();
    assert!(to_gateway >= 12, "the default scenario and one of 4 steps: {:#?}", live.edges);
    assert_eq!(edge("other clients", "int-one"), Some(2), "the curl request and its repeat");
    assert_eq!(edge("int-one", "int-two"), Some(to_gateway + 2));
    assert_eq!(edge("int-two", "d-corp"), Some(to_gateway + 2));
    assert_eq!(edge("clinic-a", "b-corp"), None);

    let figures = workspace.hop_figures(&FiguresRequest { window_seconds: 120, bucket_seconds: 5 }).await.unwrap();
    assert_eq!(figures.buckets.len(), 24);
    let int_one = figures.series.iter().find(|s| s.hop == "int-one").expect("int-one has records");
    let total: f64 = int_one.requests_per_second.iter().map(|r| r * 5.0).sum();
    assert_eq!(total.round() as u64, to_gateway + 2);
    assert!(int_one.p99_ms.iter().flatten().all(|ms| *ms > 0.0));
}
