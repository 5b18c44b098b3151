//! `hopscope gateway run --demo` as a real process on the demo network's
//! fixed ports, with curl as the originator, faults set from a second
//! process, and the records read back with `trace`. The harness is in
//! `gateway_harness.rs`.

use std::process::{Command, Stdio};
use std::time::Duration;

use hopscope_e2e::{run, Env};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::gateway_harness::*;

#[test]
fn demo_passthrough_records_and_har() {
    let env = Env::new();
    let gateway = Gateway::start(&env);
    let requests = [
        ("b-metadata", format!("{B_CORP}/metadata"), "CapabilityStatement"),
        ("b-patient", format!("{B_CORP}/Patient/1"), "Patient"),
        ("d-metadata", format!("{D_CORP}/metadata"), "CapabilityStatement"),
        ("d-patient", format!("{D_CORP}/Patient/1"), "Patient"),
    ];
    let mut fetched = Vec::new();
    for (id, url, resource_type) in &requests {
        let response = curl(&env, &gateway, url, id);
        assert_eq!(response.status, 200, "{url}: {}", String::from_utf8_lossy(&response.body));
        assert_eq!(response.json()["resourceType"], *resource_type, "{url}");
        fetched.push((*id, response));
    }
    let patient = fetched[3].1.json();
    assert_eq!(patient["meta"]["source"], format!("{D_CORP}/Patient/1"));
    let body = String::from_utf8_lossy(&fetched[3].1.body).into_owned();
    assert!(!body.contains("internal.test"), "the Patient names a private URL: {body}");
    let unknown = curl(&env, &gateway, "https://fhir.int-one.test:8443/nowhere/metadata", "unknown");
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.json()["resourceType"], "OperationOutcome");
    assert_eq!(unknown.json()["issue"][0]["code"], "not-found");

    let (status, output) = gateway.interrupt();
    assert_eq!(status.code(), Some(0), "gateway output:\n{}", output.join("\n"));

    let listed = env.json(&["trace", "list", "--json"]);
    let listed = listed.as_array().expect("trace list --json is an array");
    assert_eq!(listed.len(), 5, "{listed:#?}");
    for (id, response) in &fetched {
        let records = hop_records(&env, id);
        let expected_hops = if id.starts_with('d') { ["int-one", "int-two"].as_slice() } else { ["int-one"].as_slice() };
        assert_eq!(hop_names(&records), expected_hops, "{id}");
        for record in &records {
            assert_eq!(response_sha256(record), response.sha256(), "{id} at {}", record["hop"]);
        }
        let summary = listed.iter().find(|e| e["exchange_id"] == *id).unwrap_or_else(|| panic!("{id} not listed"));
        assert_eq!(summary["hops"].as_array().map(Vec::len), Some(expected_hops.len()), "{id}");
        assert_eq!(summary["status"], 200, "{id}");
    }
    let unknown_records = hop_records(&env, "unknown");
    assert_eq!(hop_names(&unknown_records), ["int-one"]);
    assert_eq!(unknown_records[0]["response"]["status"], 404);

    env.ok(&["trace", "export", "--har", "trace.har"]);
    let har: Value = serde_json::from_slice(&env.read("trace.har")).expect("the HAR file is JSON");
    check_har(&har, 5);
}

#[test]
fn faults_set_from_second_process() {
    let env = Env::with_demo();
    let gateway = Gateway::start(&env);
    let url = format!("{D_CORP}/Patient/1");
    let clean = curl(&env, &gateway, &url, "before");
    assert_eq!(clean.status, 200);

    set_fault(&env, &["int-two", "--status", "503"]);
    let failed = curl(&env, &gateway, &url, "status-fault");
    assert_eq!(failed.status, 503);
    assert_eq!(failed.json()["resourceType"], "OperationOutcome");

    set_fault(&env, &["int-two", "--clear"]);
    let restored = curl(&env, &gateway, &url, "cleared");
    assert_eq!(restored.status, 200);
    assert_eq!(restored.sha256(), clean.sha256());

    set_fault(&env, &["int-two", "--tamper-body"]);
    let tampered = curl(&env, &gateway, &url, "tampered");
    assert_eq!(tampered.status, 200);
    assert_ne!(tampered.sha256(), clean.sha256());
    set_fault(&env, &["int-two", "--clear"]);

    let (status, output) = gateway.interrupt();
    assert_eq!(status.code(), Some(0), "gateway output:\n{}", output.join("\n"));
    let status_records = hop_records(&env, "status-fault");
    assert_eq!(hop_names(&status_records), ["int-one", "int-two"]);
    assert_eq!(status_records[1]["response"]["status"], 503);
    assert!(status_records[1]["fault"].as_str().is_some_and(|f| f.contains("503")), "{:#?}", status_records[1]);
    // int-two flips the body, so from int-two outward the digest is the
    // tampered one; the destination's digest is the clean one.
    let tampered_records = hop_records(&env, "tampered");
    assert_eq!(hop_names(&tampered_records), ["int-one", "int-two"]);
    for record in &tampered_records {
        assert_eq!(response_sha256(record), tampered.sha256(), "at {}", record["hop"]);
    }
    let audit = env.json(&["audit", "--limit", "1", "--json"]);
    assert_eq!(audit[0]["action"], "clear-fault");
}

#[test]
fn fault_on_unknown_hop_names_known_hops() {
    let env = Env::with_demo();

    env.assert_rejected(&["gateway", "fault", "int-nine", "--delay", "10"], 1, &["int-nine", "known hops: int-one, int-two"]);
}

#[test]
fn fault_needs_exactly_one_kind() {
    let env = Env::with_demo();

    env.assert_rejected(&["gateway", "fault", "int-two"], 2, &[]);
    env.assert_rejected(&["gateway", "fault", "int-two", "--hold", "--drop"], 2, &[]);
}

/// SHA-256 of the certificate that a new TLS connection to the inbound
/// gateway gets for `host`, as `openssl s_client` prints it.
fn presented_fingerprint(host: &str) -> String {
    let mut s_client = Command::new("openssl");
    s_client
        .args(["s_client", "-connect", "127.0.0.1:8443", "-servername", host])
        .stdin(Stdio::null());
    let handshake = run(s_client);
    let pem_start = handshake.stdout.find("-----BEGIN CERTIFICATE-----");
    let pem_end = handshake.stdout.find("-----END CERTIFICATE-----");
    let (Some(start), Some(end)) = (pem_start, pem_end) else {
        panic!("openssl s_client showed no server certificate\n{handshake}");
    };
    let pem = &handshake.stdout[start..end + "-----END CERTIFICATE-----".len()];
    let der = pem::parse(pem).unwrap_or_else(|e| panic!("s_client printed bad PEM ({e})")).into_contents();
    hex::encode(Sha256::digest(der))
}

fn current_fingerprint(env: &Env, credential: &str) -> String {
    let detail = env.json(&["cert", "show", credential, "--json"]);
    detail["summary"]["sha256_fingerprint"].as_str().unwrap_or_default().to_string()
}

#[test]
fn rotation_reaches_running_gateway() {
    let env = Env::with_demo();
    let mut gateway = Gateway::start(&env);
    let url = format!("{D_CORP}/metadata");
    let before = current_fingerprint(&env, "d-corp-public");
    assert_eq!(presented_fingerprint("fhir.int-one.test"), before, "the gateway serves the current certificate at start");

    env.ok(&["cert", "rotate", "d-corp-public"]);
    let after = current_fingerprint(&env, "d-corp-public");
    assert_ne!(after, before, "cert rotate made a new certificate");
    gateway.wait_for_line("rotated: fhir.int-one.test", Duration::from_secs(10));

    assert_eq!(presented_fingerprint("fhir.int-one.test"), after, "a new handshake gets the rotated certificate");
    assert_eq!(
        presented_fingerprint("fhir.b-corp.test"),
        current_fingerprint(&env, "b-corp-public"),
        "the other host keeps its certificate"
    );
    let fetched = curl(&env, &gateway, &url, "after-rotation");
    assert_eq!(fetched.status, 200, "requests keep working after the swap");
    let (status, output) = gateway.interrupt();
    assert_eq!(status.code(), Some(0), "gateway output:\n{}", output.join("\n"));
}

#[test]
fn client_hangups_do_not_kill_gateway() {
    let env = Env::with_demo();
    let mut gateway = Gateway::start(&env);
    // Clients that give up mid-body make the gateway write to closed
    // sockets; with SIGPIPE at its default disposition that killed it.
    for attempt in 0..5 {
        let mut command = Command::new("curl");
        command
            .args(["--silent", "--http1.1", "--max-time", "0.3", "--output", "/dev/null"])
            .arg("--resolve")
            .arg("fhir.b-corp.test:8443:127.0.0.1")
            .arg("--cacert")
            .arg(&gateway.cacert)
            .arg(format!("{B_CORP}/Binary/hangup-{attempt}?bytes=500000000"));
        let outcome = run(command);
        assert!(!outcome.success(), "curl should time out mid-body\n{outcome}");
    }
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        gateway.child.try_wait().expect("cannot poll the gateway").is_none(),
        "the gateway exited after clients hung up; output:\n{}",
        gateway.output.join("\n")
    );

    let after = curl(&env, &gateway, &format!("{B_CORP}/metadata"), "after-hangups");
    assert_eq!(after.status, 200);
    let (status, output) = gateway.interrupt();
    assert_eq!(status.code(), Some(0), "gateway output:\n{}", output.join("\n"));
}

#[test]
fn forwarding_headers_switch_on() {
    let env = Env::with_demo();
    env.ok(&["intermediary", "update", "int-one", "--forwarded", "true", "--via-header", "true"]);
    let topology = env.json(&["topology", "show", "--json"]);
    let int_one = topology["intermediaries"]
        .as_array()
        .and_then(|all| all.iter().find(|i| i["name"] == "int-one"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(int_one["add_forwarded"], true, "{int_one:#}");
    assert_eq!(int_one["add_via"], true, "{int_one:#}");

    let gateway = Gateway::start(&env);
    let fetched = curl(&env, &gateway, &format!("{D_CORP}/metadata"), "forwarding");
    assert_eq!(fetched.status, 200);
    let (status, output) = gateway.interrupt();
    assert_eq!(status.code(), Some(0), "gateway output:\n{}", output.join("\n"));

    // int-two records the request as int-one forwarded it.
    let records = hop_records(&env, "forwarding");
    let int_two = records.iter().find(|r| r["hop"] == "int-two").unwrap_or_else(|| panic!("{records:#?}"));
    let headers = request_header_names(int_two);
    assert!(headers.contains(&"forwarded".to_string()), "int-two received no Forwarded header: {headers:?}");
    assert!(headers.contains(&"via".to_string()), "int-two received no Via header: {headers:?}");
    let int_one = records.iter().find(|r| r["hop"] == "int-one").unwrap_or_else(|| panic!("{records:#?}"));
    let int_one_request = request_header_names(int_one);
    assert!(!int_one_request.contains(&"via".to_string()), "curl sent no Via, so int-one received none: {int_one_request:?}");
}

/// Lowercase names of the request headers a hop record shows.
fn request_header_names(record: &Value) -> Vec<String> {
    let Some(headers) = record["request"]["headers"].as_array() else { return Vec::new() };
    headers.iter().filter_map(|h| h[0].as_str().map(str::to_ascii_lowercase)).collect()
}

