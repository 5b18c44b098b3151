//! The contract scripts rely on: JSON output keys, exit statuses of help and
//! usage errors, and an audit log free of secrets.

use hopscope_e2e::{Env, PASSPHRASE, PASSPHRASE_FILE, WORKSPACE_FILE};
use serde_json::Value;

/// Keys of every credential summary: `authority list`, `cert list`,
/// `cert due` and the `summary` of `cert show`.
const SUMMARY_KEYS: &[&str] = &[
    "name",
    "role",
    "url",
    "authority",
    "subject",
    "serial",
    "not_before",
    "not_after",
    "days_left",
    "status",
    "key_type",
    "has_key",
    "sha256_fingerprint",
    "rotation_due_at",
    "auto_rotate",
    "versions",
];

const SHOW_KEYS: &[&str] = &["summary", "inspection", "findings", "chain", "history", "policy"];

const HISTORY_KEYS: &[&str] = &[
    "serial",
    "sha256_fingerprint",
    "spki_sha256",
    "not_before",
    "not_after",
    "created_at",
    "current",
    "revoked_at",
    "revocation_reason",
];

const AUDIT_KEYS: &[&str] = &["id", "at", "action", "subject", "serial", "sha256_fingerprint", "detail"];

/// Asserts that the JSON object `value` has every key in `keys`.
fn assert_keys(value: &Value, keys: &[&str], what: &str) {
    let object = value.as_object().unwrap_or_else(|| panic!("{what} should be a JSON object: {value:#}"));
    for key in keys {
        assert!(object.contains_key(*key), "{what} should have the key {key:?}: {value:#}");
    }
}

/// Asserts that `value` is an RFC 3339 UTC timestamp such as
/// `2026-12-04T20:26:47Z`.
fn assert_timestamp(value: &Value, what: &str) {
    let text = value.as_str().unwrap_or_else(|| panic!("{what} should be a string: {value}"));
    let shape: String = text.chars().map(|c| if c.is_ascii_digit() { '0' } else { c }).collect();
    assert_eq!(shape, "0000-00-00T00:00:00Z", "{what} should be an RFC 3339 UTC timestamp: {text}");
}

fn as_array<'a>(value: &'a Value, what: &str) -> &'a Vec<Value> {
    value.as_array().unwrap_or_else(|| panic!("{what} should be a JSON array: {value:#}"))
}

#[test]
fn authority_list_json() {
    let env = Env::with_authorities();
    let listing = env.json(&["authority", "list", "--json"]);
    let authorities = as_array(&listing, "authority list --json");
    let names: Vec<&str> = authorities.iter().filter_map(|a| a["name"].as_str()).collect();
    assert_eq!(names, ["inter", "root"], "authority list --json should list both authorities by name");

    for authority in authorities {
        assert_keys(authority, SUMMARY_KEYS, "an authority list entry");
        assert_eq!(authority["role"], "authority", "role of an authority: {authority:#}");
        assert_eq!(authority["url"], Value::Null, "an authority has no URL: {authority:#}");
        assert_eq!(authority["has_key"], true, "a created authority has its key: {authority:#}");
    }
    assert_eq!(authorities[0]["authority"], "root", "inter is issued by root: {listing:#}");
    assert_eq!(authorities[1]["authority"], Value::Null, "a root has no issuing authority: {listing:#}");
}

#[test]
fn cert_list_json() {
    let env = Env::with_authorities();
    env.issue("d-corp-public", "public-endpoint", "https://fhir.int-one.test:8443/d-corp");
    let listing = env.json(&["cert", "list", "--json"]);
    let credentials = as_array(&listing, "cert list --json");
    assert_eq!(credentials.len(), 1, "cert list should list the credential and no authority: {listing:#}");

    let credential = &credentials[0];
    assert_keys(credential, SUMMARY_KEYS, "a cert list entry");
    assert_eq!(credential["name"], "d-corp-public", "name: {credential:#}");
    assert_eq!(credential["role"], "public-endpoint", "role: {credential:#}");
    assert_eq!(credential["url"], "https://fhir.int-one.test:8443/d-corp", "url: {credential:#}");
    assert_eq!(credential["authority"], "inter", "authority: {credential:#}");
    assert_eq!(credential["subject"], "CN=d-corp-public", "subject: {credential:#}");
    assert_eq!(credential["status"], "valid", "status: {credential:#}");
    assert_eq!(credential["key_type"], "ecdsa-p256", "key_type: {credential:#}");
    assert_eq!(credential["has_key"], true, "has_key: {credential:#}");
    assert_eq!(credential["auto_rotate"], false, "auto_rotate: {credential:#}");
    assert_eq!(credential["versions"], 1, "versions: {credential:#}");
    // days_left counts whole days, so a 90-day certificate shows 90 in the
    // second it was issued and 89 after that.
    let days_left = credential["days_left"].as_i64().unwrap_or_else(|| panic!("days_left should be an integer: {credential:#}"));
    assert!((89..=90).contains(&days_left), "days_left of a new 90-day certificate: {credential:#}");
    for key in ["not_before", "not_after", "rotation_due_at"] {
        assert_timestamp(&credential[key], key);
    }
    let fingerprint = credential["sha256_fingerprint"].as_str().unwrap_or_default();
    assert_eq!(fingerprint.len(), 64, "sha256_fingerprint should be 64 hex digits: {credential:#}");
    assert!(fingerprint.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()), "sha256_fingerprint should be lowercase hex: {credential:#}");
}

#[test]
fn cert_show_json() {
    let env = Env::with_authorities();
    env.issue("shown", "public-endpoint", "https://shown.test/fhir");
    let detail = env.json(&["cert", "show", "shown", "--json"]);
    assert_keys(&detail, SHOW_KEYS, "cert show --json");
    assert_keys(&detail["summary"], SUMMARY_KEYS, "the summary of cert show --json");

    let inspection = &detail["inspection"];
    assert_eq!(inspection["subject"], "CN=shown", "inspection subject: {inspection:#}");
    assert_eq!(inspection["san_dns"], serde_json::json!(["shown.test"]), "inspection SAN DNS: {inspection:#}");
    assert_eq!(inspection["sha256_fingerprint"], detail["summary"]["sha256_fingerprint"], "inspection and summary should show one certificate: {detail:#}");
    assert!(detail["findings"].is_array(), "findings should be an array: {detail:#}");

    let chain: Vec<&Value> = as_array(&detail["chain"], "chain").iter().map(|link| &link["credential"]).collect();
    assert_eq!(chain, ["shown", "inter", "root"], "chain should run from the leaf to the root: {detail:#}");

    let history = as_array(&detail["history"], "history");
    assert_eq!(history.len(), 1, "a new credential has one certificate: {detail:#}");
    assert_keys(&history[0], HISTORY_KEYS, "a history entry");
    assert_eq!(history[0]["current"], true, "the only certificate is current: {detail:#}");
    assert_eq!(history[0]["revoked_at"], Value::Null, "a new certificate is not revoked: {detail:#}");

    let policy = &detail["policy"];
    let fraction = policy["remaining_fraction"].as_f64().unwrap_or_else(|| panic!("remaining_fraction should be a number: {policy:#}"));
    assert!((fraction - 1.0 / 3.0).abs() < 1e-9, "the default policy rotates with a third left: {policy:#}");
    assert_eq!(policy["auto_rotate"], false, "automatic rotation is off by default: {policy:#}");
}

#[test]
fn audit_json() {
    let env = Env::with_authorities();
    env.issue("audited", "originator", "https://client.test/app");
    env.ok(&["cert", "export", "audited", "--format", "pem", "--out", "audited.pem"]);

    let log = env.json(&["audit", "--json"]);
    let entries = as_array(&log, "audit --json");
    for entry in entries {
        assert_keys(entry, AUDIT_KEYS, "an audit entry");
        assert_timestamp(&entry["at"], "audit at");
    }
    let actions: Vec<&str> = entries.iter().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(actions, ["export", "issue", "create-authority", "create-authority", "init"], "audit actions, newest first: {log:#}");
    let ids: Vec<i64> = entries.iter().filter_map(|e| e["id"].as_i64()).collect();
    assert!(ids.windows(2).all(|pair| pair[0] > pair[1]), "audit ids should descend, newest first: {ids:?}");

    let issue = &entries[1];
    assert_eq!(issue["subject"], "audited", "the issue entry names the credential: {issue:#}");
    let summary = env.json(&["cert", "show", "audited", "--json"]);
    assert_eq!(issue["serial"], summary["summary"]["serial"], "the issue entry records the serial: {issue:#}");
    assert_eq!(issue["sha256_fingerprint"], summary["summary"]["sha256_fingerprint"], "the issue entry records the fingerprint: {issue:#}");

    let limited = env.json(&["audit", "--json", "--limit", "2"]);
    assert_eq!(as_array(&limited, "audit --limit 2").len(), 2, "audit --limit 2 should show two entries: {limited:#}");
}

#[test]
fn inspect_json() {
    let env = Env::with_authorities();
    env.issue("inspected", "private-endpoint", "https://127.0.0.1:9443/fhir");
    env.ok(&["cert", "export", "inspected", "--format", "pem", "--chain", "--out", "chain.pem"]);

    let inspected = env.json(&["inspect", "chain.pem", "--json"]);
    let certificates = as_array(&inspected, "inspect --json");
    let subjects: Vec<&Value> = certificates.iter().map(|c| &c["inspection"]["subject"]).collect();
    assert_eq!(subjects, ["CN=inspected", "CN=inter", "CN=root"], "inspect should show every certificate in file order: {inspected:#}");
    for certificate in certificates {
        assert_keys(certificate, &["inspection", "findings"], "an inspect entry");
    }
    assert_eq!(certificates[0]["inspection"]["san_ip"], serde_json::json!(["127.0.0.1"]), "SAN IP of the leaf: {inspected:#}");
    assert_eq!(certificates[2]["inspection"]["self_signed"], true, "the root is self-signed: {inspected:#}");
}

#[test]
fn list_expiring_filters() {
    let env = Env::with_authorities();
    let issue = |name: &str, validity: &str| {
        env.ok(&["cert", "issue", name, "--role", "public-endpoint", "--authority", "inter", "--url", "https://expiring.test/", "--validity", validity]);
    };
    issue("ten-days", "10d");
    issue("ninety-days", "90d");

    let names = |within: &str| -> Vec<String> {
        let listing = env.json(&["cert", "list", "--expiring", within, "--json"]);
        as_array(&listing, "cert list --expiring").iter().filter_map(|c| c["name"].as_str().map(str::to_string)).collect()
    };
    assert_eq!(names("30d"), ["ten-days"], "--expiring 30d should list only the 10-day certificate");
    assert_eq!(names("100d"), ["ninety-days", "ten-days"], "--expiring 100d should list both certificates");
    assert!(names("1h").is_empty(), "--expiring 1h should list nothing");
}

#[test]
fn help_exits_zero() {
    let env = Env::new();
    for args in [&["--help"][..], &["cert", "--help"], &["cert", "issue", "--help"], &["import", "--help"]] {
        let help = env.run(args);
        assert_eq!(help.code(), Some(0), "help should exit 0\n{help}");
        assert!(help.stdout.contains("Usage: hopscope"), "help should print the usage on stdout\n{help}");
    }
}

#[test]
fn unknown_subcommand_exits_two() {
    let env = Env::new();
    for args in [&["frobnicate"][..], &["cert", "frobnicate"], &["authority", "remove", "root"]] {
        let usage = env.run(args);
        assert_eq!(usage.code(), Some(2), "an unknown subcommand is a usage error\n{usage}");
        assert!(usage.stderr.contains("unrecognized subcommand"), "the error should name the subcommand\n{usage}");
    }
}

#[test]
fn reads_need_no_passphrase() {
    let env = Env::with_authorities();
    env.issue("readable", "public-endpoint", "https://readable.test/fhir");
    std::fs::remove_file(env.path(PASSPHRASE_FILE)).expect("cannot remove the passphrase file");
    for args in [
        &["authority", "list", "--json"][..],
        &["cert", "list", "--json"],
        &["cert", "show", "readable", "--json"],
        &["cert", "due", "--json"],
        &["audit", "--json"],
        &["cert", "export", "readable", "--format", "pem", "--chain", "--out", "readable.pem"],
    ] {
        let mut command = env.command(args);
        command.env_remove("HOPSCOPE_PASSPHRASE_FILE");
        let read = hopscope_e2e::run(command);
        assert!(read.success(), "reading without the passphrase should work\n{read}");
    }
}

#[test]
fn audit_has_no_secrets() {
    let env = Env::with_authorities();
    env.issue("secretive", "public-endpoint", "https://secretive.test/fhir");
    let export_password = "export-password-6620 do-not-log";
    env.write("export-password", format!("{export_password}\n"));
    env.ok(&["cert", "export", "secretive", "--format", "pem", "--key", "--key-in-clear", "--out", "clear.pem"]);
    env.ok(&["cert", "export", "secretive", "--format", "p12", "--password-file", "export-password", "--out", "secretive.p12"]);
    env.ok(&["cert", "export", "secretive", "--format", "p12", "--legacy", "--password-file", "export-password", "--out", "legacy.p12"]);
    env.openssl_ok(&["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "outside-key.pem"]);
    env.openssl_ok(&["req", "-x509", "-key", "outside-key.pem", "-out", "outside.pem", "-subj", "/CN=outside", "-days", "30"]);
    env.write("outside-bundle.pem", [env.read("outside.pem"), env.read("outside-key.pem")].concat());
    env.ok(&["import", "outside-bundle.pem", "--role", "public-endpoint"]);
    env.ok(&["cert", "rotate", "secretive"]);

    let json = env.ok(&["audit", "--json"]).stdout;
    let text = env.ok(&["audit"]).stdout;
    let log_file = String::from_utf8_lossy(&env.read("data/hopscope/hopscope.log")).into_owned();
    let workspace = String::from_utf8_lossy(&env.read(WORKSPACE_FILE)).into_owned();
    for (what, content) in [("audit --json", &json), ("audit", &text), ("hopscope.log", &log_file)] {
        assert!(!content.contains("PRIVATE KEY"), "{what} must not contain key material:\n{content}");
        assert!(!content.contains(PASSPHRASE), "{what} must not contain the workspace passphrase:\n{content}");
        assert!(!content.contains(export_password), "{what} must not contain an export password:\n{content}");
    }
    assert!(!workspace.contains(PASSPHRASE), "the workspace file must not contain the passphrase in clear");
    assert!(!workspace.contains("PRIVATE KEY"), "the workspace file must not contain PEM keys in clear");
}
