//! Signed exchanges from the command line: `exchange run` and its exit
//! status, and `trace verdict`. Tools that are not Hopscope's check the
//! destination simulator: curl with the Python package
//! `http-message-signatures` verifies RFC 9421 signatures, and a UDAP client
//! built with PyJWT reads and searches with the fhirpy library.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use hopscope_e2e::{python_virtualenv, run, Env, Run};
use serde_json::Value;

use crate::gateway_harness::{Gateway, PortLock, D_CORP};

const CLIENT_URI: &str = "https://clinic-a.test/apps/scheduler";

/// Packages of the virtualenv these tests run their Python peers in.
const PYTHON_PACKAGES: &[&str] = &[
    "http-message-signatures>=3,<4",
    "cryptography>=41",
    "pyjwt>=2.8,<3",
    "requests>=2.31",
    "fhirpy>=2,<3",
];

/// Returns the python of `<target dir>/pyenv-exchange`, created with pip on
/// first use.
fn python() -> PathBuf {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON
        .get_or_init(|| {
            // CARGO_TARGET_TMPDIR is <target dir>/tmp.
            let target = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().expect("the target tmp dir has a parent");
            python_virtualenv(target, "pyenv-exchange", PYTHON_PACKAGES)
        })
        .clone()
}

fn verify_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/hopscope-sign/tests/python/verify_response.py")
}

fn udap_client_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("cli/udap_client.py")
}

/// Runs `exchange run` with `args` while holding the demo ports, since it
/// starts its own gateway.
fn exchange_run(env: &Env, args: &[&str]) -> Run {
    let _lock = PortLock::acquire();
    let mut all = vec!["exchange", "run"];
    all.extend_from_slice(args);
    env.run(&all)
}

fn stdout_json(run: &Run) -> Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{run}"))
}

#[test]
fn exchange_run_passes_through_two_hops() {
    let env = Env::with_demo();

    let run = exchange_run(&env, &["--destination", "d-corp", "--json"]);

    assert_eq!(run.code(), Some(0), "{run}");
    let report = stdout_json(&run);
    assert_eq!(report["passed"], true);
    assert_eq!(report["started_gateway"], true);
    let exchanges = report["exchanges"].as_array().unwrap();
    assert!(exchanges.len() >= 10, "{report:#}");
    for exchange in exchanges {
        let path: Vec<&str> = exchange["verdict"]["path"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
        assert_eq!(path, ["clinic-a", "int-one", "int-two", "d-corp"], "{exchange:#}");
    }
}

#[test]
fn exchange_scenarios_lists_default_first() {
    let env = Env::new();
    let list = env.json(&["exchange", "scenarios", "--json"]);
    let names: Vec<&str> = list.as_array().unwrap().iter().filter_map(|s| s["name"].as_str()).collect();
    assert_eq!(names.first(), Some(&"default"));
    assert!(names.contains(&"register"), "{names:?}");
    let env = Env::init();
    let unknown = env.run(&["exchange", "run", "--scenario", "nope"]);
    assert_eq!(unknown.code(), Some(1), "{unknown}");
    assert!(unknown.stderr.contains("hopscope exchange scenarios"), "{unknown}");
}

#[test]
fn tampered_body_fails_with_exit_three() {
    let env = Env::with_demo();
    env.ok(&["gateway", "fault", "int-two", "--tamper-body"]);

    let run = exchange_run(&env, &["--destination", "d-corp", "--scenario", "read"]);

    assert_eq!(run.code(), Some(3), "{run}");
    assert!(run.stdout.contains("FAIL"), "{run}");
    assert!(run.stdout.contains("body-unchanged at int-two"), "{run}");
    let id = run
        .stdout
        .lines()
        .find(|l| l.starts_with("FAIL"))
        .and_then(|l| l.split_whitespace().last())
        .expect("a FAIL line ends with the exchange id")
        .to_string();

    let verdict = env.run(&["trace", "verdict", &id]);
    assert_eq!(verdict.code(), Some(3), "{verdict}");
    assert!(verdict.stdout.contains("FAIL  body-unchanged (at int-two)"), "{verdict}");
    let json = env.run(&["trace", "verdict", &id, "--json"]);
    let json = stdout_json(&json);
    assert_eq!(json["passed"], false);
    let unknown = env.run(&["trace", "verdict", "0000"]);
    assert_eq!(unknown.code(), Some(1), "{unknown}");
}

#[test]
fn trust_list_decides_registration() {
    let env = Env::with_demo();
    let run = exchange_run(&env, &["--destination", "d-corp", "--scenario", "register"]);
    assert_eq!(run.code(), Some(0), "{run}");

    // A rotated originator certificate registers again.
    env.ok(&["cert", "rotate", "clinic-a"]);
    let run = exchange_run(&env, &["--destination", "d-corp", "--scenario", "register"]);
    assert_eq!(run.code(), Some(0), "{run}");

    // A denied originator is refused at registration, with the failed check.
    env.ok(&["trust", "add", "d-corp", "--deny-uri", CLIENT_URI, "--note", "test"]);
    let run = exchange_run(&env, &["--destination", "d-corp", "--scenario", "register", "--json"]);
    assert_eq!(run.code(), Some(3), "{run}");
    let report = stdout_json(&run);
    let register = report["exchanges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["report"]["step"] == "register")
        .expect("a register exchange");
    assert_eq!(register["report"]["status"], 400, "{register:#}");
}

/// Fetches `url` through the running gateway with curl, saving headers and
/// body to `<name>.headers` and `<name>.body`.
fn curl_saved(env: &Env, gateway: &Gateway, url: &str, name: &str) {
    let authority = url.trim_start_matches("https://").split('/').next().unwrap();
    let mut command = Command::new("curl");
    command
        .args(["--silent", "--show-error", "--http1.1"])
        .arg("--resolve")
        .arg(format!("{authority}:127.0.0.1"))
        .arg("--cacert")
        .arg(&gateway.cacert)
        .arg("-D")
        .arg(env.path(&format!("{name}.headers")))
        .arg("-o")
        .arg(env.path(&format!("{name}.body")))
        .arg(url);
    let fetched = run(command);
    assert!(fetched.success(), "curl {url} failed\n{fetched}");
}

fn verify(env: &Env, name: &str, status: u16) -> Run {
    let mut command = Command::new(python());
    command
        .arg(verify_script())
        .args(["--status", &status.to_string()])
        .arg("--headers")
        .arg(env.path(&format!("{name}.headers")))
        .arg("--body")
        .arg(env.path(&format!("{name}.body")))
        .arg("--cert")
        .arg(env.path("d-corp-signing.pem"));
    run(command)
}

#[test]
fn independent_verifier_accepts_gateway_responses() {
    let env = Env::with_demo();
    env.ok(&["cert", "export", "d-corp-signing", "--format", "pem", "--out", "d-corp-signing.pem"]);
    let gateway = Gateway::start_simulators(&env);

    curl_saved(&env, &gateway, &format!("{D_CORP}/metadata"), "metadata");
    curl_saved(&env, &gateway, &format!("{D_CORP}/.well-known/udap"), "udap");
    // A resource read without a token: the destination's signed 401.
    curl_saved(&env, &gateway, &format!("{D_CORP}/Patient/pat-0001"), "unauthorized");

    for (name, status) in [("metadata", 200), ("udap", 200), ("unauthorized", 401)] {
        let verified = verify(&env, name, status);
        assert_eq!(verified.code(), Some(0), "{name}: {verified}");
        let report: Value = serde_json::from_str(&verified.stdout).unwrap();
        assert_eq!(report["verified"], true, "{name}: {report:#}");
    }

    // One changed byte of the saved body fails the digest.
    let mut body = env.read("metadata.body");
    body[0] ^= 1;
    env.write("metadata.body", body);
    let tampered = verify(&env, "metadata", 200);
    assert_eq!(tampered.code(), Some(1), "{tampered}");
    drop(gateway);
}

fn udap_client(env: &Env, gateway: &Gateway, key: &str, chain: &str, refused: bool) -> Run {
    let mut command = Command::new(python());
    command
        .arg(udap_client_script())
        .args(["--base", D_CORP, "--resolve", "fhir.int-one.test:8443:127.0.0.1"])
        .arg("--cacert")
        .arg(&gateway.cacert)
        .arg("--key")
        .arg(env.path(key))
        .arg("--chain")
        .arg(env.path(chain))
        .args(["--client-uri", CLIENT_URI]);
    if refused {
        command.arg("--expect-refused");
    }
    run(command)
}

#[test]
fn external_udap_client_reads_with_fhirpy() {
    let env = Env::with_demo();
    env.ok(&["cert", "export", "clinic-a", "--format", "pem", "--out", "clinic-a-chain.pem", "--chain"]);
    env.ok(&["cert", "export", "clinic-a", "--format", "pem", "--out", "clinic-a-key.pem", "--key", "--key-in-clear"]);
    env.ok(&["authority", "create", "foreign"]);
    env.ok(&["cert", "issue", "foreign-clinic", "--role", "originator", "--authority", "foreign", "--url", CLIENT_URI]);
    env.ok(&["cert", "export", "foreign-clinic", "--format", "pem", "--out", "foreign-chain.pem", "--chain"]);
    env.ok(&["cert", "export", "foreign-clinic", "--format", "pem", "--out", "foreign-key.pem", "--key", "--key-in-clear"]);
    let gateway = Gateway::start_simulators(&env);

    let trusted = udap_client(&env, &gateway, "clinic-a-key.pem", "clinic-a-chain.pem", false);
    assert_eq!(trusted.code(), Some(0), "{trusted}");
    let result: Value = serde_json::from_str(&trusted.stdout).unwrap();
    assert_eq!(result["register_status"], 201, "{result:#}");
    let full_urls = result["full_urls"].as_array().unwrap();
    assert!(!full_urls.is_empty(), "{result:#}");
    for url in full_urls {
        assert!(url.as_str().unwrap().starts_with(&format!("{D_CORP}/Patient/")), "{url}");
    }

    let foreign = udap_client(&env, &gateway, "foreign-key.pem", "foreign-chain.pem", true);
    assert_eq!(foreign.code(), Some(0), "the foreign originator should be refused: {foreign}");
    let result: Value = serde_json::from_str(&foreign.stdout).unwrap();
    let failed: Vec<&str> = result["register_body"]["failed_checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["check"].as_str())
        .collect();
    assert!(failed.contains(&"chain"), "{result:#}");
    drop(gateway);
}

#[test]
fn leaking_destination_fails_private_url_check() {
    let env = Env::with_demo();
    env.ok(&["gateway", "misbehave", "d-corp", "--leak-private-url", "true"]);

    let run = exchange_run(&env, &["--destination", "d-corp", "--scenario", "read"]);
    assert_eq!(run.code(), Some(3), "{run}");
    assert!(run.stdout.contains("no-private-url"), "{run}");

    env.ok(&["gateway", "misbehave", "d-corp", "--leak-private-url", "false"]);
    let run = exchange_run(&env, &["--destination", "d-corp", "--scenario", "read"]);
    assert_eq!(run.code(), Some(0), "{run}");
    let unknown = env.run(&["gateway", "misbehave", "nowhere", "--leak-private-url", "true"]);
    assert_eq!(unknown.code(), Some(1), "{unknown}");
}

#[test]
fn exchange_run_uses_running_gateway() {
    let env = Env::with_demo();
    let gateway = Gateway::start_simulators(&env);

    // The gateway has the demo ports, so the runs must use it. Both
    // processes write records into the one workspace file at once, which
    // must make neither lose any; several runs make that likely.
    for _ in 0..4 {
        let run = env.run(&["exchange", "run", "--destination", "d-corp", "--json"]);

        assert_eq!(run.code(), Some(0), "{run}");
        assert!(!run.stderr.contains("database is locked"), "{run}");
        let report = stdout_json(&run);
        assert_eq!(report["started_gateway"], false);
        for exchange in report["exchanges"].as_array().unwrap() {
            let path: Vec<&str> = exchange["verdict"]["path"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
            assert_eq!(path, ["clinic-a", "int-one", "int-two", "d-corp"], "{exchange:#}");
        }
    }
    drop(gateway);
}

#[test]
fn gateway_of_another_workspace_is_named() {
    // A fresh demo network has its own authority, unlike the template that
    // `Env::with_demo` copies.
    let other = Env::init();
    let gateway = Gateway::start_simulators(&other);
    let env = Env::with_demo();

    let run = env.run(&["exchange", "run", "--destination", "d-corp", "--scenario", "read"]);

    assert_eq!(run.code(), Some(1), "{run}");
    assert!(run.stderr.contains("probably runs another workspace"), "{run}");
    assert!(run.stderr.contains("127.0.0.1:8443"), "{run}");
    drop(gateway);
}
