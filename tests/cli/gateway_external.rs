//! An external destination: a FHIR server that is not Hopscope's (the
//! Python script `tests/support/fhir_server.py`, standard library only) with a
//! certificate issued and exported by the CLI, reached through the gateway.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use hopscope_e2e::{run, Env};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::gateway_harness::*;

const EXTERNAL_HOST: &str = "ext-fhir.internal.test";
const PUBLIC_BASE: &str = "https://fhir.int-one.test:8443/ext";

/// The Python FHIR server, stopped when dropped.
struct ExternalServer {
    child: Child,
    port: u16,
}

impl ExternalServer {
    /// Starts the server with the certificate and key in `pem` and waits
    /// for the port it prints.
    fn start(env: &Env, pem: &str) -> ExternalServer {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("support/fhir_server.py");
        let mut child = Command::new("python3")
            .arg(&script)
            .args(["--cert", pem, "--public-base", PUBLIC_BASE])
            .current_dir(env.dir())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("cannot start python3; install it to run this test");
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).expect("cannot read the server's output");
        let port = line
            .trim()
            .strip_prefix("listening on ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("fhir_server.py printed {line:?} instead of its port"));
        ExternalServer { child, port }
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ExternalServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One response through the gateway, with its headers.
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    fn sha256(&self) -> String {
        hex::encode(Sha256::digest(&self.body))
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
}

/// GETs `url` through the gateway with curl, with `extra` headers.
fn get(env: &Env, cacert: &Path, url: &str, exchange_id: &str, extra_headers: &[&str]) -> Response {
    let body_file = env.path(&format!("{exchange_id}.body"));
    let headers_file = env.path(&format!("{exchange_id}.headers"));
    let mut command = Command::new("curl");
    command
        .args(["--silent", "--show-error", "--http1.1"])
        .args(["--resolve", "fhir.int-one.test:8443:127.0.0.1", "--cacert"])
        .arg(cacert)
        .arg("--header")
        .arg(format!("x-hopscope-exchange: {exchange_id}"));
    for header in extra_headers {
        command.args(["--header", header]);
    }
    command
        .arg("--output")
        .arg(&body_file)
        .arg("--dump-header")
        .arg(&headers_file)
        .args(["--write-out", "%{http_code}"])
        .arg(url);
    let outcome = run(command);
    assert!(outcome.success(), "curl failed\n{outcome}");
    let headers = std::fs::read_to_string(&headers_file)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_string(), value.trim().to_string()))
        .collect();
    Response {
        status: outcome.stdout.trim().parse().unwrap_or_else(|_| panic!("curl printed no status\n{outcome}")),
        headers,
        body: std::fs::read(&body_file).unwrap_or_default(),
    }
}

/// Asserts a 200 whose body is byte for byte what the server sent.
fn assert_unchanged(response: &Response, what: &str) {
    assert_eq!(response.status, 200, "{what}: {}", String::from_utf8_lossy(&response.body));
    assert_eq!(Some(response.sha256().as_str()), response.header("x-body-sha256"), "{what}: body SHA-256");
}

/// Adds the external destination `ext` behind int-one and int-two, with a
/// private-endpoint certificate for its host exported with its key.
fn add_external_destination(env: &Env) -> ExternalServer {
    env.ok(&[
        "cert", "issue", "ext-private", "--role", "private-endpoint", "--authority", "demo-community",
        "--url", &format!("https://{EXTERNAL_HOST}/fhir"),
    ]);
    env.ok(&["cert", "export", "ext-private", "--format", "pem", "--chain", "--key", "--key-in-clear", "--out", "ext.pem"]);
    let server = ExternalServer::start(env, "ext.pem");
    let private_url = format!("https://{EXTERNAL_HOST}:{}/fhir", server.port);
    let added = env.ok(&[
        "destination", "add", "ext", "--public-url", PUBLIC_BASE, "--private-url", &private_url,
        "--endpoint-cert", "ext-private", "--external",
    ]);
    assert!(added.stdout.contains("ext is external"), "{added}");
    assert!(added.stderr.is_empty(), "no warning for a loopback address\n{added}");
    env.ok(&["route", "add", "ext", "--via", "int-one", "int-two"]);
    server
}

fn certificate_fingerprint(env: &Env, credential: &str) -> String {
    let detail = env.json(&["cert", "show", credential, "--json"]);
    detail["summary"]["sha256_fingerprint"].as_str().unwrap_or_default().to_string()
}

#[test]
fn external_destination_through_two_hops() {
    let env = Env::with_demo();
    let mut server = add_external_destination(&env);
    let topology = env.json(&["topology", "show", "--json"]);
    let ext = topology["destinations"].as_array().and_then(|all| all.iter().find(|d| d["name"] == "ext")).cloned().unwrap_or_default();
    assert_eq!(ext["external"], true, "{ext:#}");
    assert_eq!(ext["external_address"], "127.0.0.1", "{ext:#}");

    let gateway = Gateway::start(&env);
    assert!(
        gateway.output.iter().any(|l| l.starts_with("ext (external destination)")),
        "gateway run names the external destination:\n{}",
        gateway.output.join("\n")
    );
    let cacert = gateway.cacert.clone();

    let metadata = get(&env, &cacert, &format!("{PUBLIC_BASE}/metadata"), "ext-metadata", &[]);
    assert_unchanged(&metadata, "metadata");
    assert_eq!(metadata.json()["resourceType"], "CapabilityStatement");
    let patient = get(&env, &cacert, &format!("{PUBLIC_BASE}/Patient/7"), "ext-patient", &[]);
    assert_unchanged(&patient, "Patient read");
    assert_eq!(patient.json()["id"], "7");
    let search = get(&env, &cacert, &format!("{PUBLIC_BASE}/Patient?family=Chalmers&_count=3"), "ext-search", &[]);
    assert_unchanged(&search, "search");
    assert_eq!(search.json()["type"], "searchset");
    assert_eq!(search.json()["link"][0]["url"], format!("{PUBLIC_BASE}/Patient?family=Chalmers&_count=3"));
    let binary = get(&env, &cacert, &format!("{PUBLIC_BASE}/Binary/b?bytes=300"), "ext-binary", &[]);
    assert_unchanged(&binary, "binary");
    assert_eq!(binary.body.len(), 300);

    // The FHIR asynchronous pattern: 202 with Content-Location, polling, download.
    let kickoff = get(&env, &cacert, &format!("{PUBLIC_BASE}/$export"), "ext-kickoff", &["Prefer: respond-async"]);
    assert_eq!(kickoff.status, 202, "{}", String::from_utf8_lossy(&kickoff.body));
    let status_url = format!("{PUBLIC_BASE}/$export-status/job-1");
    assert_eq!(kickoff.header("content-location"), Some(status_url.as_str()), "Content-Location unchanged");
    let pending = get(&env, &cacert, &status_url, "ext-poll-1", &[]);
    assert_eq!(pending.status, 202);
    assert_eq!(pending.header("x-progress"), Some("in progress"));
    let done = get(&env, &cacert, &status_url, "ext-poll-2", &[]);
    assert_unchanged(&done, "export manifest");
    let file_url = done.json()["output"][0]["url"].as_str().expect("manifest output url").to_string();
    assert_eq!(file_url, format!("{PUBLIC_BASE}/$export-file/job-1/Patient.ndjson"));
    let ndjson = get(&env, &cacert, &file_url, "ext-download", &[]);
    assert_unchanged(&ndjson, "NDJSON download");
    assert_eq!(ndjson.header("content-type"), Some("application/fhir+ndjson"));
    assert_eq!(String::from_utf8_lossy(&ndjson.body).lines().count(), 3);

    // A dead external server: the last hop responds 502, naming itself and the address.
    server.stop();
    let dead = get(&env, &cacert, &format!("{PUBLIC_BASE}/metadata"), "ext-dead", &[]);
    assert_eq!(dead.status, 502, "{}", String::from_utf8_lossy(&dead.body));
    assert_eq!(dead.header("content-type"), Some("application/fhir+json"));
    let diagnostics = dead.json()["issue"][0]["diagnostics"].as_str().unwrap_or_default().to_string();
    assert!(diagnostics.starts_with("int-two: "), "{diagnostics}");
    assert!(diagnostics.contains(&format!("127.0.0.1:{}", server.port)), "{diagnostics}");
    let (status, output) = gateway.interrupt();
    assert_eq!(status.code(), Some(0), "gateway output:\n{}", output.join("\n"));

    let records = hop_records(&env, "ext-metadata");
    assert_eq!(hop_names(&records), ["int-one", "int-two"]);
    let upstream = &records[1]["upstream"];
    assert_eq!(upstream["address"], format!("127.0.0.1:{}", server.port));
    assert_eq!(upstream["tls"]["sni"], EXTERNAL_HOST);
    assert_eq!(upstream["tls"]["certificate_sha256"], certificate_fingerprint(&env, "ext-private"), "the server's certificate was verified and recorded");
    for record in &records {
        assert_eq!(record["response"]["body"]["sha256"].as_str(), metadata.header("x-body-sha256"), "at {}", record["hop"]);
    }
    let kickoff_records = hop_records(&env, "ext-kickoff");
    assert_eq!(kickoff_records[0]["response"]["status"], 202);

    env.ok(&["trace", "export", "--har", "ext.har"]);
    let har: Value = serde_json::from_slice(&env.read("ext.har")).expect("the HAR file is JSON");
    let entries = har["log"]["entries"].as_array().expect("log.entries");
    check_har(&har, entries.len());
    let binary_entry = entries.iter().find(|e| e["_hopscope"]["exchange_id"] == "ext-binary").expect("ext-binary in the HAR");
    let content = &binary_entry["response"]["content"];
    assert_eq!(content["encoding"], "base64", "{content:#}");
    let decoded = BASE64.decode(content["text"].as_str().expect("content.text")).expect("content.text is base64");
    assert_eq!(decoded, binary.body);
}

#[test]
fn external_address_flags() {
    let env = Env::with_demo();
    let private_url = format!("https://{EXTERNAL_HOST}:9500/fhir");

    env.assert_rejected(
        &["destination", "add", "ext", "--public-url", PUBLIC_BASE, "--private-url", &private_url, "--address", "127.0.0.1"],
        2,
        &["required arguments"],
    );
    env.assert_rejected(
        &["destination", "add", "ext", "--public-url", PUBLIC_BASE, "--private-url", &private_url, "--external", "--address", "not-an-ip"],
        1,
        &["not-an-ip", "IP address"],
    );
    env.assert_rejected(&["destination", "update", "d-corp", "--address", "127.0.0.2"], 1, &["127.0.0.2", "not one", "--external"]);

    // Only an explicit choice names another address, and it is warned about.
    let added = env.ok(&[
        "destination", "add", "ext", "--public-url", PUBLIC_BASE, "--private-url", &private_url, "--external", "--address", "192.0.2.10",
    ]);
    assert!(added.stderr.starts_with("hopscope: warning: 192.0.2.10 is not a loopback address"), "{added}");
    let shown = env.ok(&["topology", "show"]);
    assert!(shown.stdout.contains("external at 192.0.2.10"), "{shown}");

    let updated = env.ok(&["destination", "update", "ext", "--address", "127.0.0.1"]);
    assert!(updated.stderr.is_empty(), "{updated}");
    env.ok(&["destination", "update", "ext", "--external", "false"]);
    let topology = env.json(&["topology", "show", "--json"]);
    let ext = topology["destinations"].as_array().and_then(|all| all.iter().find(|d| d["name"] == "ext")).cloned().unwrap_or_default();
    assert_eq!(ext["external"], false, "{ext:#}");
    assert!(ext["external_address"].is_null(), "{ext:#}");
    let audit = env.json(&["audit", "--limit", "3", "--json"]);
    assert_eq!(audit[1]["action"], "update-destination");
    assert!(audit[1]["detail"].as_str().is_some_and(|d| d.contains("external=127.0.0.1")), "{audit:#}");
}
