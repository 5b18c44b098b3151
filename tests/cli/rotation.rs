//! `cert rotate`, killed at each failpoint and run normally, and the rotation
//! policy behind `cert due`.

use hopscope_e2e::{pem_blocks, Env};
use serde_json::Value;

/// Returns the history of `cert show NAME --json`, newest first.
fn history(env: &Env, name: &str) -> Vec<Value> {
    let detail = env.json(&["cert", "show", name, "--json"]);
    detail["history"]
        .as_array()
        .unwrap_or_else(|| panic!("`cert show {name} --json` should have a history array: {detail:#}"))
        .clone()
}

/// Exports the current certificate and key of `name` in clear and asserts
/// that the key belongs to the certificate and that the certificate is the
/// `current` history entry.
fn assert_current_key_matches(env: &Env, name: &str, current: &Value) {
    env.ok(&["cert", "export", name, "--format", "pem", "--key", "--key-in-clear", "--out", "current.pem"]);
    let labels: Vec<String> = pem_blocks(&env.read_text("current.pem")).into_iter().map(|(label, _)| label).collect();
    assert_eq!(labels, ["CERTIFICATE", "PRIVATE KEY"], "the export of {name} should contain its certificate and key");
    assert_eq!(
        env.private_key_public_key("current.pem", None),
        env.certificate_public_key("current.pem"),
        "the key of {name}'s current certificate should match it"
    );
    let fingerprint = env.openssl_ok(&["x509", "-in", "current.pem", "-noout", "-fingerprint", "-sha256"]).stdout;
    let fingerprint = fingerprint.trim().rsplit('=').next().unwrap_or_default().replace(':', "").to_lowercase();
    assert_eq!(current["sha256_fingerprint"], fingerprint.as_str(), "export should write the current certificate of {name}");
}

/// Kills `cert rotate` at `failpoint` and checks that the workspace shows
/// one consistent current certificate with its key, the old one before the
/// commit and the new one after it, and that a later rotation succeeds.
fn check_failpoint(failpoint: &str, committed: bool) {
    let env = Env::with_authorities();
    env.issue("rotating", "public-endpoint", "https://rotating.test/fhir");
    let original = history(&env, "rotating");
    let original_serial = original[0]["serial"].clone();

    let mut rotate = env.command(&["cert", "rotate", "rotating"]);
    rotate.env("HOPSCOPE_FAILPOINT", failpoint);
    let killed = hopscope_e2e::run(rotate);
    assert!(!killed.success(), "cert rotate should abort at {failpoint}\n{killed}");
    assert!(killed.stderr.contains(&format!("failpoint {failpoint} reached")), "cert rotate should reach {failpoint}\n{killed}");

    let entries = history(&env, "rotating");
    let expected_entries = if committed { 2 } else { 1 };
    assert_eq!(entries.len(), expected_entries, "history after a kill at {failpoint}: {entries:#?}");
    let current: Vec<&Value> = entries.iter().filter(|entry| entry["current"] == true).collect();
    assert_eq!(current.len(), 1, "exactly one certificate should be current after a kill at {failpoint}: {entries:#?}");
    let current = current[0];
    if committed {
        assert_ne!(current["serial"], original_serial, "the successor should be current after a kill at {failpoint}");
    } else {
        assert_eq!(current["serial"], original_serial, "the original should stay current after a kill at {failpoint}");
    }
    assert_current_key_matches(&env, "rotating", current);

    env.ok(&["cert", "rotate", "rotating"]);
    let after = history(&env, "rotating");
    assert_eq!(after.len(), expected_entries + 1, "a rotation after the kill at {failpoint} should add one entry: {after:#?}");
    assert_eq!(after.iter().filter(|entry| entry["current"] == true).count(), 1, "one current entry after the next rotation: {after:#?}");
    assert_current_key_matches(&env, "rotating", &after[0]);
}

macro_rules! failpoint_tests {
    ($($name:ident: $failpoint:literal, committed = $committed:literal;)*) => {
        $(
            #[test]
            fn $name() {
                check_failpoint($failpoint, $committed);
            }
        )*
    };
}

failpoint_tests! {
    killed_after_key: "rotate-after-key", committed = false;
    killed_after_certificate: "rotate-after-certificate", committed = false;
    killed_after_clear: "rotate-after-clear", committed = false;
    killed_after_promote: "rotate-after-promote", committed = false;
    killed_before_commit: "rotate-before-commit", committed = false;
    killed_after_commit: "rotate-after-commit", committed = true;
}

#[test]
fn reuse_key_keeps_spki() {
    let env = Env::with_authorities();
    env.issue("same-key", "private-endpoint", "https://same-key.internal.test/");
    env.ok(&["cert", "rotate", "same-key", "--reuse-key"]);

    let entries = history(&env, "same-key");
    assert_eq!(entries.len(), 2, "one rotation should leave two history entries: {entries:#?}");
    assert_eq!(entries[0]["current"], true, "the newest entry should be current: {entries:#?}");
    assert_eq!(entries[1]["current"], false, "the predecessor should not be current: {entries:#?}");
    assert_ne!(entries[0]["serial"], entries[1]["serial"], "the successor should have a new serial: {entries:#?}");
    assert_eq!(entries[0]["spki_sha256"], entries[1]["spki_sha256"], "--reuse-key should keep the public key: {entries:#?}");
    assert_current_key_matches(&env, "same-key", &entries[0]);
}

#[test]
fn plain_rotate_changes_spki() {
    let env = Env::with_authorities();
    env.issue("new-key", "originator", "https://client.test/app");
    env.ok(&["cert", "rotate", "new-key"]);

    let detail = env.json(&["cert", "show", "new-key", "--json"]);
    assert_eq!(detail["summary"]["versions"], 2, "versions after one rotation: {detail:#}");
    let entries = history(&env, "new-key");
    assert_eq!(entries.len(), 2, "one rotation should leave two history entries: {entries:#?}");
    assert_ne!(entries[0]["spki_sha256"], entries[1]["spki_sha256"], "a plain rotation should generate a new key: {entries:#?}");
    assert_current_key_matches(&env, "new-key", &entries[0]);
}

#[test]
fn rotate_revoked_gets_valid() {
    let env = Env::with_authorities();
    env.issue("replaced", "public-endpoint", "https://replaced.test/fhir");
    env.ok(&["cert", "revoke", "replaced", "--reason", "key-compromise"]);
    let revoked = env.json(&["cert", "show", "replaced", "--json"]);
    assert_eq!(revoked["summary"]["status"], "revoked", "status after revoke: {revoked:#}");

    env.ok(&["cert", "rotate", "replaced"]);
    let rotated = env.json(&["cert", "show", "replaced", "--json"]);
    assert_eq!(rotated["summary"]["status"], "valid", "the successor of a revoked certificate should be valid: {rotated:#}");
    assert_eq!(rotated["history"][1]["revocation_reason"], "key-compromise", "the predecessor should stay revoked: {rotated:#}");
}

#[test]
fn rotate_root_self_signs() {
    let env = Env::with_authorities();
    env.ok(&["cert", "rotate", "root"]);
    env.ok(&["authority", "export", "root", "--out", "root.pem"]);
    let verify = env.openssl(&["verify", "-CAfile", "root.pem", "root.pem"]);
    assert!(verify.success(), "the rotated root should verify as a self-signed CA\n{verify}");
}

/// Checks whether `cert due --json` lists `name`.
fn is_due(env: &Env, name: &str) -> bool {
    let due = env.json(&["cert", "due", "--json"]);
    let entries = due.as_array().unwrap_or_else(|| panic!("`cert due --json` should print an array: {due:#}"));
    entries.iter().any(|entry| entry["name"] == name)
}

#[test]
fn due_after_policy() {
    let env = Env::with_authorities();
    // With a one-hour lifetime, a threshold of 0.9999 leaves under a second
    // before the certificate is due, while the default third leaves 40 minutes.
    env.ok(&[
        "cert", "issue", "short-lived", "--role", "public-endpoint", "--authority", "inter",
        "--url", "https://short.test/fhir", "--validity", "1h",
    ]);
    assert!(!is_due(&env, "short-lived"), "a new certificate should not be due under the default policy");
    let text = env.ok(&["cert", "due"]);
    assert!(!text.stdout.contains("short-lived"), "`cert due` should not list a new certificate\n{text}");

    env.ok(&["cert", "policy", "short-lived", "--remaining", "0.9999"]);
    let detail = env.json(&["cert", "show", "short-lived", "--json"]);
    assert_eq!(detail["policy"]["remaining_fraction"], 0.9999, "the policy should be stored: {detail:#}");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    assert!(is_due(&env, "short-lived"), "the certificate should be due with 0.9999 of its lifetime as the threshold");
    let text = env.ok(&["cert", "due"]);
    assert!(text.stdout.contains("short-lived"), "`cert due` should list the due certificate\n{text}");
    let listed = env.json(&["cert", "show", "short-lived", "--json"]);
    assert_eq!(listed["summary"]["status"], "rotation-due", "status of a due certificate: {listed:#}");
}
