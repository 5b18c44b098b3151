//! Exchange records of a running gateway: captured bodies, and exchanges
//! that a client or Ctrl-C cut short.

use std::process::Command;
use std::time::Duration;

use hopscope_e2e::{run, Env};
use serde_json::Value;

use crate::gateway_harness::*;

#[test]
fn bodies_captured_up_to_limit() {
    let env = Env::with_demo();
    let gateway = Gateway::start_with(&env, &["--body-limit", "4096"]);
    let patient = curl(&env, &gateway, &format!("{D_CORP}/Patient/1"), "capture-json");
    let binary = curl(&env, &gateway, &format!("{B_CORP}/Binary/b1?bytes=10000"), "capture-binary");
    assert_eq!(patient.status, 200);
    assert_eq!(binary.status, 200);
    assert_eq!(binary.body.len(), 10_000);
    let (status, output) = gateway.interrupt();
    assert_eq!(status.code(), Some(0), "gateway output:\n{}", output.join("\n"));

    let records = hop_records(&env, "capture-json");
    assert_eq!(hop_names(&records), ["int-one", "int-two"]);
    for record in &records {
        let body = &record["response"]["body"];
        assert_eq!(captured_bytes(body), Some(patient.body.clone()), "at {}", record["hop"]);
        assert_eq!(body["truncated"], false, "at {}", record["hop"]);
        assert_eq!(body["captured"]["text"].as_str().map(str::len), Some(patient.body.len()), "JSON has a text form");
        assert_eq!(captured_bytes(&record["request"]["body"]), Some(Vec::new()), "empty GET body at {}", record["hop"]);
        assert_eq!(record["request"]["body"]["complete"], true, "empty GET body at {}", record["hop"]);
    }
    let binary_record = &hop_records(&env, "capture-binary")[0];
    let body = &binary_record["response"]["body"];
    assert_eq!(captured_bytes(body), Some(binary.body[..4096].to_vec()));
    assert_eq!(body["truncated"], true);
    assert_eq!(body["size"], 10_000);
    assert_eq!(body["sha256"].as_str(), Some(binary.sha256().as_str()), "digest over the whole body");

    let shown = env.ok(&["trace", "show", "capture-binary"]);
    assert!(shown.stdout.contains("(first 4096 of 10000 bytes captured)"), "{shown}");
    let shown = env.ok(&["trace", "show", "capture-json"]);
    let start = String::from_utf8_lossy(&patient.body[..40]).into_owned();
    assert!(shown.stdout.contains(&start), "the preview shows the start of the body\n{shown}");

    env.ok(&["trace", "export", "--har", "capture.har"]);
    let har: Value = serde_json::from_slice(&env.read("capture.har")).expect("the HAR file is JSON");
    check_har(&har, 2);
    let entries = har["log"]["entries"].as_array().unwrap();
    let entry = |id: &str| entries.iter().find(|e| e["_hopscope"]["exchange_id"] == id).unwrap_or_else(|| panic!("{id} not in the HAR"));
    let truncated_content = &entry("capture-binary")["response"]["content"];
    assert_eq!(truncated_content["text"].as_str().map(str::as_bytes), Some(&binary.body[..4096]));
    let comment = truncated_content["comment"].as_str().unwrap_or_default();
    assert!(comment.starts_with("first 4096 of 10000 bytes captured"), "{comment}");

    let json_content = &entry("capture-json")["response"]["content"];
    assert_eq!(json_content["text"].as_str().map(str::as_bytes), Some(patient.body.as_slice()));
    assert!(json_content.get("encoding").is_none(), "{json_content:#}");
}

#[test]
fn zero_body_limit_captures_nothing() {
    let env = Env::with_demo();
    let gateway = Gateway::start_with(&env, &["--body-limit", "0"]);
    let patient = curl(&env, &gateway, &format!("{D_CORP}/Patient/1"), "capture-off");
    assert_eq!(patient.status, 200);
    let (status, output) = gateway.interrupt();
    assert_eq!(status.code(), Some(0), "gateway output:\n{}", output.join("\n"));

    for record in hop_records(&env, "capture-off") {
        let body = &record["response"]["body"];
        assert_eq!(captured_bytes(body), None, "at {}", record["hop"]);
        assert_eq!(body["sha256"].as_str(), Some(patient.sha256().as_str()), "at {}", record["hop"]);
    }
}


/// Runs curl through the gateway and returns once curl ends, whatever its
/// outcome: it may give up on purpose.
fn curl_giving_up(gateway: &Gateway, url: &str, exchange_id: &str, extra: &[&str]) {
    let authority = url.trim_start_matches("https://").split('/').next().unwrap();
    let mut command = Command::new("curl");
    command
        .args(["--silent", "--http1.1", "--output", "/dev/null"])
        .arg("--resolve")
        .arg(format!("{authority}:127.0.0.1"))
        .arg("--cacert")
        .arg(&gateway.cacert)
        .arg("--header")
        .arg(format!("x-hopscope-exchange: {exchange_id}"))
        .args(extra)
        .arg(url);
    run(command);
}

fn text(value: &Value) -> &str {
    value.as_str().unwrap_or_default()
}

#[test]
fn cut_short_exchanges_are_recorded() {
    let env = Env::with_demo();
    env.ok(&["gateway", "fault", "int-two", "--hold"]);
    let gateway = Gateway::start(&env);

    // The client gives up while int-two holds the request.
    curl_giving_up(&gateway, &format!("{D_CORP}/Patient/1"), "held", &["--max-time", "1"]);
    // The client stops reading a 500 MB body early.
    curl_giving_up(&gateway, &format!("{B_CORP}/Binary/big?bytes=500000000"), "abandoned", &["--max-time", "0.5"]);
    // HTTP/2 carries the host and port in :authority, not in Host.
    let http2 = curl_with(&env, &gateway, &format!("{B_CORP}/metadata"), "over-http2", &["--http2"]);
    assert_eq!(http2.status, 200);
    std::thread::sleep(Duration::from_millis(300));
    let (status, output) = gateway.interrupt();
    assert_eq!(status.code(), Some(0), "gateway output:\n{}", output.join("\n"));

    let held = hop_records(&env, "held");
    assert_eq!(hop_names(&held), ["int-one", "int-two"], "{held:#?}");
    for record in &held {
        assert!(record["response"].is_null(), "no response at {}", record["hop"]);
        assert!(text(&record["error"]).contains("client closed the connection"), "{record:#}");
        assert_eq!(record["interrupted"], false);
    }
    assert_eq!(held[1]["fault"], "hold until timeout");

    let abandoned = hop_records(&env, "abandoned");
    assert_eq!(hop_names(&abandoned), ["int-one"], "{abandoned:#?}");
    let body = &abandoned[0]["response"]["body"];
    assert_eq!(abandoned[0]["response"]["status"], 200);
    assert_eq!(body["complete"], false);
    assert!(body["size"].as_u64().is_some_and(|size| size < 500_000_000), "{body:#}");
    assert!(text(&abandoned[0]["error"]).contains("before the response body ended"), "{:#}", abandoned[0]);

    env.ok(&["trace", "export", "--har", "cut.har"]);
    let har: Value = serde_json::from_slice(&env.read("cut.har")).expect("the HAR file is JSON");
    check_har(&har, 3);
    let entries = har["log"]["entries"].as_array().unwrap();
    let http2_entry = entries.iter().find(|e| e["_hopscope"]["exchange_id"] == "over-http2").expect("over-http2 in the HAR");
    assert_eq!(http2_entry["request"]["httpVersion"], "HTTP/2");
    assert_eq!(http2_entry["request"]["url"], format!("{B_CORP}/metadata"));
}

#[test]
fn interrupted_exchange_recorded_as_interrupted() {
    let env = Env::with_demo();
    env.ok(&["gateway", "fault", "int-two", "--hold"]);
    let gateway = Gateway::start(&env);
    let cacert = gateway.cacert.clone();
    let client = std::thread::spawn(move || {
        let mut command = Command::new("curl");
        command
            .args(["--silent", "--http1.1", "--max-time", "60", "--output", "/dev/null", "--write-out", "%{http_code}"])
            .args(["--resolve", "fhir.int-one.test:8443:127.0.0.1", "--cacert"])
            .arg(cacert)
            .args(["--header", "x-hopscope-exchange: cut-by-stop"])
            .arg(format!("{D_CORP}/Patient/1"));
        run(command)
    });
    std::thread::sleep(Duration::from_secs(1));

    // Stopping waits the shutdown grace period (10 s) for the held request.
    let (status, output) = gateway.interrupt();
    assert_eq!(status.code(), Some(0), "gateway output:\n{}", output.join("\n"));
    let curl = client.join().expect("the curl thread panicked");
    assert_ne!(curl.stdout.trim(), "502", "the client got no 502\n{curl}");

    let records = hop_records(&env, "cut-by-stop");
    assert_eq!(hop_names(&records), ["int-one", "int-two"], "{records:#?}");
    for record in &records {
        assert_eq!(record["interrupted"], true, "{record:#}");
        assert!(record["response"].is_null(), "{record:#}");
        assert!(text(&record["error"]).starts_with("interrupted: the gateway stopped"), "{record:#}");
    }
    let listed = env.ok(&["trace", "list"]);
    assert!(listed.stdout.contains("int-one interrupted, int-two interrupted"), "{listed}");
}
