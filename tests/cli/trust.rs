//! Trust lists and trust decisions on the demo network: edits with their
//! history, diff and revert, every kind of entry, revocation, anchors from
//! another workspace, export to openssl, JWT client assertions signed by
//! PyJWT, and commands that must fail.

use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

use hopscope_e2e::{pyjwt_python, pyjwt_sign_script, Env, Run, Snapshot};
use serde_json::{json, Value};

/// Exit status of `trust check` when the originator is not trusted.
const NOT_TRUSTED: i32 = 3;

/// The client URI of the demo originator `clinic-a`, a SAN URI of its
/// certificate.
const CLIENT_URI: &str = "https://clinic-a.test/apps/scheduler";

/// The token endpoint under d-corp's public base URL.
const PUBLIC_TOKEN_URL: &str = "https://fhir.int-one.test:8443/d-corp/token";

/// The token path under d-corp's private URL, which originators must not
/// use.
const PRIVATE_TOKEN_URL: &str = "https://d-corp.internal.test:9443/fhir/token";

/// Returns the demo network with clinic-a's files next to the workspace:
/// `clinic-a-chain.pem` (leaf and demo-community), `clinic-a.pem` (the leaf
/// alone) and `clinic-a-key.pem` (the leaf and its key in clear).
fn fixture() -> &'static Snapshot {
    static FIXTURE: OnceLock<Snapshot> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let env = Env::with_demo();
        env.ok(&["cert", "export", "clinic-a", "--format", "pem", "--chain", "--out", "clinic-a-chain.pem"]);
        env.ok(&["cert", "export", "clinic-a", "--format", "pem", "--out", "clinic-a.pem"]);
        env.ok(&["cert", "export", "clinic-a", "--format", "pem", "--key", "--key-in-clear", "--out", "clinic-a-key.pem"]);
        env.write("notes.txt", "this text is neither a JWT nor a PEM chain\n");
        env.snapshot()
    })
}

/// Runs `trust check DESTINATION --json` with `args` (such as `--chain F`),
/// whatever its exit status, and parses the decision.
fn decide(env: &Env, destination: &str, args: &[&str]) -> (Run, Value) {
    let mut all = vec!["trust", "check", destination, "--json"];
    all.extend_from_slice(args);
    let outcome = env.run(&all);
    let decision = serde_json::from_str(&outcome.stdout).unwrap_or_else(|e| panic!("stdout is not JSON: {e}\n{outcome}"));
    (outcome, decision)
}

/// Returns the check named `name` of a decision.
fn check<'a>(decision: &'a Value, name: &str) -> &'a Value {
    decision["checks"]
        .as_array()
        .and_then(|checks| checks.iter().find(|c| c["name"] == name))
        .unwrap_or_else(|| panic!("the decision should have the check {name}: {decision:#}"))
}

/// Asserts that `trust check d-corp --chain clinic-a-chain.pem` exits 0 and
/// that the decision is trusted.
fn assert_chain_trusted(env: &Env, situation: &str) {
    let (outcome, decision) = decide(env, "d-corp", &["--chain", "clinic-a-chain.pem"]);
    assert_eq!(outcome.code(), Some(0), "{situation}: trust check should exit 0\n{outcome}");
    assert_eq!(decision["trusted"], true, "{situation}: the decision should be trusted\n{outcome}");
}

/// Asserts that `trust check DESTINATION ARGS` exits 3 and that the check
/// `failing` fails; returns the decision.
fn assert_not_trusted(env: &Env, destination: &str, args: &[&str], failing: &str) -> Value {
    let (outcome, decision) = decide(env, destination, args);
    assert_eq!(outcome.code(), Some(NOT_TRUSTED), "trust check should exit {NOT_TRUSTED} (not trusted)\n{outcome}");
    assert_eq!(decision["trusted"], false, "the decision should not be trusted\n{outcome}");
    assert_eq!(check(&decision, failing)["outcome"], "fail", "the {failing} check should fail\n{outcome}");
    decision
}

/// Returns the trust list of `destination` from `trust list --json`.
fn trust_list(env: &Env, destination: &str) -> Value {
    env.json(&["trust", "list", destination, "--json"])
}

/// Returns the id of the demo-community anchor on d-corp's trust list.
fn demo_anchor_id(env: &Env) -> String {
    let view = trust_list(env, "d-corp");
    view["list"]["anchors"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("d-corp should have an anchor with an id: {view:#}"))
        .to_string()
}

/// Runs `hopscope ARGS` as the operating-system user `user`, which the trust
/// list history records as the actor.
fn run_as(env: &Env, user: &str, args: &[&str]) -> Run {
    let mut command = env.command(args);
    command.env("USER", user);
    let outcome = hopscope_e2e::run(command);
    assert!(outcome.success(), "expected success\n{outcome}");
    outcome
}

#[test]
fn demo_chain_trusted() {
    let env = fixture().restore();
    let (outcome, decision) = decide(&env, "d-corp", &["--chain", "clinic-a-chain.pem"]);
    assert_eq!(outcome.code(), Some(0), "the demo originator should be trusted by d-corp\n{outcome}");
    assert_eq!(decision["trusted"], true, "the decision should be trusted\n{outcome}");
    assert_eq!(check(&decision, "chain")["outcome"], "pass", "the chain check should pass\n{outcome}");
    assert_eq!(decision["anchor_id"], demo_anchor_id(&env).as_str(), "the chain should build to the demo-community anchor\n{outcome}");
    assert_eq!(decision["leaf"]["san_uris"], json!([CLIENT_URI]), "the decision should show the leaf's client URI\n{outcome}");
    assert_eq!(decision["trust_list_version"], 1, "the decision should name the trust list version it used\n{outcome}");
}

#[test]
fn deny_uri_not_trusted() {
    let env = fixture().restore();
    env.ok(&["trust", "add", "d-corp", "--deny-uri", CLIENT_URI, "--note", "scheduler retired"]);
    let decision = assert_not_trusted(&env, "d-corp", &["--chain", "clinic-a-chain.pem"], "denied");
    let reason = check(&decision, "denied")["reason"].as_str().unwrap_or_default().to_string();
    assert!(reason.contains(CLIENT_URI), "the denied reason should name the URI: {reason}");
    assert!(reason.contains("scheduler retired"), "the denied reason should show the note: {reason}");
    assert_eq!(check(&decision, "chain")["outcome"], "pass", "only the deny entry should fail: {decision:#}");
}

#[test]
fn history_actor_and_changes() {
    let env = fixture().restore();
    run_as(&env, "e2e-operator", &["trust", "add", "d-corp", "--deny-uri", CLIENT_URI]);
    let denied_id = trust_list(&env, "d-corp")["list"]["denied"][0]["id"].clone();

    let history = env.json(&["trust", "history", "d-corp", "--json"]);
    let versions: Vec<&Value> = history.as_array().map(|h| h.iter().map(|v| &v["version"]).collect()).unwrap_or_default();
    assert_eq!(versions, [2, 1], "history should list versions newest first: {history:#}");

    let newest = &history[0];
    assert_eq!(newest["actor"], "e2e-operator", "the actor should be the user that made the change: {newest:#}");
    assert_eq!(
        newest["changes"],
        json!([{"change": "added", "kind": "denied", "id": denied_id, "label": format!("SAN URI \"{CLIENT_URI}\"")}]),
        "version 2 should record the added deny entry: {newest:#}"
    );
    assert!(newest["change"].as_str().unwrap_or_default().starts_with("denied"), "version 2 should describe the edit: {newest:#}");

    let first = &history[1];
    assert!(!first["actor"].as_str().unwrap_or_default().is_empty(), "version 1 should have an actor: {first:#}");
    assert_eq!(first["changes"][0]["change"], "added", "version 1 should add the anchor: {first:#}");
    assert_eq!(first["changes"][0]["kind"], "anchor", "version 1 should add the anchor: {first:#}");
    assert_eq!(first["changes"][0]["label"], "CN=demo-community", "version 1 should add demo-community: {first:#}");
}

#[test]
fn diff_between_versions() {
    let env = fixture().restore();
    env.ok(&["trust", "add", "d-corp", "--deny-uri", CLIENT_URI]);
    let denied_id = trust_list(&env, "d-corp")["list"]["denied"][0]["id"].as_str().unwrap_or_default().to_string();

    let forward = env.json(&["trust", "diff", "d-corp", "1", "2", "--json"]);
    assert_eq!(
        forward,
        json!([{"change": "added", "kind": "denied", "id": denied_id, "label": format!("SAN URI \"{CLIENT_URI}\"")}]),
        "diff 1 2 should show the added deny entry"
    );
    let backward = env.json(&["trust", "diff", "d-corp", "2", "1", "--json"]);
    assert_eq!(backward[0]["change"], "removed", "diff 2 1 should show the deny entry removed: {backward:#}");

    let text = env.ok(&["trust", "diff", "d-corp", "1", "2"]);
    assert_eq!(text.stdout.trim(), format!("+ denied {denied_id} SAN URI \"{CLIENT_URI}\""), "diff 1 2 should print one added line\n{text}");
    let same = env.ok(&["trust", "diff", "d-corp", "1", "1"]);
    assert!(same.stdout.contains("the same"), "diff of a version with itself should say they are the same\n{same}");
}

#[test]
fn revert_is_new_version() {
    let env = fixture().restore();
    env.ok(&["trust", "add", "d-corp", "--deny-uri", CLIENT_URI]);
    assert_not_trusted(&env, "d-corp", &["--chain", "clinic-a-chain.pem"], "denied");

    let reverted = env.ok(&["trust", "revert", "d-corp", "1"]);
    assert!(reverted.stdout.contains("now version 3"), "revert should make version 3\n{reverted}");
    assert_chain_trusted(&env, "after reverting to version 1");

    let view = trust_list(&env, "d-corp");
    assert_eq!(view["version"], 3, "the revert should be the current version: {view:#}");
    assert_eq!(view["list"]["denied"], json!([]), "the reverted list should deny nothing: {view:#}");
    let history = env.json(&["trust", "history", "d-corp", "--json"]);
    assert_eq!(history[0]["change"], "reverted to version 1", "history should record the revert: {history:#}");
    assert_eq!(history[0]["changes"][0]["change"], "removed", "the revert should remove the deny entry: {history:#}");
    assert_eq!(env.json(&["trust", "diff", "d-corp", "1", "3", "--json"]), json!([]), "version 3 should equal version 1");
}

#[test]
fn remove_anchor_not_trusted() {
    let env = fixture().restore();
    let anchor = demo_anchor_id(&env);
    env.ok(&["trust", "remove", "d-corp", &anchor]);
    let decision = assert_not_trusted(&env, "d-corp", &["--chain", "clinic-a-chain.pem"], "chain");
    assert_eq!(decision["anchor_id"], Value::Null, "no anchor should be named: {decision:#}");

    let (outcome, decision) = decide(&env, "b-corp", &["--chain", "clinic-a-chain.pem"]);
    assert_eq!(outcome.code(), Some(0), "b-corp's trust list should be unaffected\n{outcome}");
    assert_eq!(decision["trusted"], true, "b-corp should still trust clinic-a\n{outcome}");
}

#[test]
fn pin_self_signed_trusted() {
    let env = fixture().restore();
    env.openssl_ok(&[
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-noenc",
        "-keyout", "self-key.pem", "-out", "self.pem", "-subj", "/CN=clinic-self", "-days", "30",
        "-addext", "basicConstraints=critical,CA:FALSE",
        "-addext", "subjectAltName=URI:https://clinic-self.test/app",
    ]);
    assert_not_trusted(&env, "d-corp", &["--chain", "self.pem"], "chain");

    env.ok(&["trust", "add", "d-corp", "--pin", "self.pem", "--note", "self-signed pilot"]);
    let anchor = demo_anchor_id(&env);
    env.ok(&["trust", "remove", "d-corp", &anchor]);
    let view = trust_list(&env, "d-corp");
    assert_eq!(view["list"]["anchors"], json!([]), "the list should have no anchor left: {view:#}");

    let (outcome, decision) = decide(&env, "d-corp", &["--chain", "self.pem"]);
    assert_eq!(outcome.code(), Some(0), "a pinned originator should be trusted without an anchor\n{outcome}");
    assert_eq!(check(&decision, "chain")["outcome"], "pass", "the chain check should pass by the pin\n{outcome}");
    assert_eq!(decision["pinned_id"], view["list"]["pinned"][0]["id"], "the decision should name the pin\n{outcome}");
}

#[test]
fn deny_certificate_file() {
    let env = fixture().restore();
    env.ok(&["trust", "add", "d-corp", "--deny", "clinic-a.pem"]);
    let decision = assert_not_trusted(&env, "d-corp", &["--chain", "clinic-a-chain.pem"], "denied");
    let reason = check(&decision, "denied")["reason"].as_str().unwrap_or_default().to_string();
    let denied_id = trust_list(&env, "d-corp")["list"]["denied"][0]["id"].as_str().unwrap_or_default().to_string();
    assert!(reason.contains(&denied_id), "the denied reason should name the entry {denied_id}: {reason}");
}

#[test]
fn deny_spki() {
    let env = fixture().restore();
    let detail = env.json(&["cert", "show", "clinic-a", "--json"]);
    let spki = detail["history"][0]["spki_sha256"].as_str().unwrap_or_else(|| panic!("cert show should give spki_sha256: {detail:#}")).to_string();
    env.ok(&["trust", "add", "d-corp", "--deny-spki", &spki]);
    let decision = assert_not_trusted(&env, "d-corp", &["--chain", "clinic-a-chain.pem"], "denied");
    let reason = check(&decision, "denied")["reason"].as_str().unwrap_or_default().to_string();
    assert!(reason.contains(&spki), "the denied reason should name the SPKI hash: {reason}");
}

#[test]
fn revoked_originator_not_trusted() {
    let env = fixture().restore();
    env.ok(&["cert", "revoke", "clinic-a", "--reason", "key-compromise"]);
    let decision = assert_not_trusted(&env, "d-corp", &["--chain", "clinic-a-chain.pem"], "revocation");
    let reason = check(&decision, "revocation")["reason"].as_str().unwrap_or_default().to_string();
    assert!(reason.contains("key-compromise"), "the revocation reason should give the CRL reason: {reason}");
    assert_eq!(check(&decision, "chain")["outcome"], "pass", "only revocation should fail: {decision:#}");
}

#[test]
fn foreign_anchor_by_file() {
    let env = fixture().restore();
    let other = Env::init();
    other.ok(&["authority", "create", "other-root"]);
    other.ok(&["cert", "issue", "other-clinic", "--role", "originator", "--authority", "other-root", "--url", "https://other-clinic.test/app"]);
    other.ok(&["authority", "export", "other-root", "--out", "other-root.pem"]);
    other.ok(&["cert", "export", "other-clinic", "--format", "pem", "--chain", "--out", "other-chain.pem"]);
    env.write("other-root.pem", other.read("other-root.pem"));
    env.write("other-chain.pem", other.read("other-chain.pem"));
    assert_not_trusted(&env, "d-corp", &["--chain", "other-chain.pem"], "chain");

    env.ok(&["trust", "add", "d-corp", "--anchor", "other-root.pem", "--note", "other community"]);
    let view = trust_list(&env, "d-corp");
    let anchors = view["list"]["anchors"].as_array().cloned().unwrap_or_default();
    assert_eq!(anchors.len(), 2, "d-corp should have the demo and the imported anchor: {view:#}");
    assert_eq!(anchors[1]["source"], json!({"kind": "imported"}), "the file anchor should be marked imported: {view:#}");
    assert_eq!(anchors[1]["subject"], "CN=other-root", "the file anchor should be other-root: {view:#}");

    let (outcome, decision) = decide(&env, "d-corp", &["--chain", "other-chain.pem"]);
    assert_eq!(outcome.code(), Some(0), "a chain under the imported anchor should be trusted\n{outcome}");
    assert_eq!(decision["anchor_id"], anchors[1]["id"], "the chain should build to the imported anchor\n{outcome}");
    assert_chain_trusted(&env, "the demo anchor stays");
}

#[test]
fn export_pem_read_by_openssl() {
    let env = fixture().restore();
    env.ok(&["trust", "export", "d-corp", "--format", "pem", "--out", "anchors.pem"]);

    env.openssl_ok(&["crl2pkcs7", "-nocrl", "-certfile", "anchors.pem", "-out", "anchors.p7b"]);
    let printed = env.openssl_ok(&["pkcs7", "-in", "anchors.p7b", "-print_certs", "-noout"]);
    let subjects: Vec<&str> = printed.stdout.lines().filter(|l| l.starts_with("subject=")).collect();
    assert_eq!(subjects, ["subject=CN = demo-community"], "openssl should read one anchor, demo-community\n{printed}");

    let fingerprint = env.openssl_ok(&["x509", "-in", "anchors.pem", "-noout", "-fingerprint", "-sha256"]).stdout;
    let fingerprint = fingerprint.trim().rsplit('=').next().unwrap_or_default().replace(':', "").to_lowercase();
    let view = trust_list(&env, "d-corp");
    assert_eq!(view["list"]["anchors"][0]["sha256_fingerprint"], fingerprint.as_str(), "openssl should see the anchor's certificate: {view:#}");
}

#[test]
fn export_json_import_round_trip() {
    let env = fixture().restore();
    env.ok(&["authority", "create", "second-root"]);
    env.ok(&["trust", "add", "d-corp", "--anchor", "second-root", "--note", "second community"]);
    env.ok(&["trust", "add", "d-corp", "--deny-uri", "https://rogue.test/app", "--note", "rogue app"]);
    env.ok(&["trust", "export", "d-corp", "--format", "json", "--out", "d-corp.json"]);

    let imported = env.ok(&["trust", "import", "b-corp", "d-corp.json"]);
    assert!(imported.stdout.contains("now version 2"), "the import should be b-corp's version 2\n{imported}");
    let source = trust_list(&env, "d-corp")["list"].clone();
    let copy = trust_list(&env, "b-corp")["list"].clone();
    assert_eq!(copy["anchors"], source["anchors"], "b-corp should get d-corp's anchors unchanged");
    assert_eq!(copy["denied"], source["denied"], "b-corp should get d-corp's deny entries unchanged");
    assert_eq!(copy["pinned"], source["pinned"], "b-corp should get d-corp's pins unchanged");

    let (outcome, decision) = decide(&env, "b-corp", &["--chain", "clinic-a-chain.pem"]);
    assert_eq!(outcome.code(), Some(0), "b-corp should trust clinic-a after the import\n{outcome}");
    assert_eq!(decision["trust_list_version"], 2, "the decision should use the imported version\n{outcome}");
}

#[test]
fn at_before_issuance_not_valid() {
    let env = fixture().restore();
    let decision = assert_not_trusted(&env, "d-corp", &["--chain", "clinic-a-chain.pem", "--at", "2020-01-01T00:00:00Z"], "validity");
    let reason = check(&decision, "validity")["reason"].as_str().unwrap_or_default().to_string();
    assert!(reason.contains("2020-01-01T00:00:00Z"), "the validity reason should name the evaluation time: {reason}");
    assert!(reason.contains("not yet valid"), "the validity reason should say the certificate is not yet valid: {reason}");
    assert_eq!(decision["at"], "2020-01-01T00:00:00Z", "the decision should record the evaluation time: {decision:#}");
}

/// Signs a client assertion for clinic-a with PyJWT, with `aud` as the
/// audience, and writes the compact JWT to `out`.
fn sign_client_assertion(env: &Env, aud: &str, out: &str) {
    // CARGO_TARGET_TMPDIR is <target dir>/tmp.
    let target_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().expect("the target tmp dir has a parent");
    let mut command = Command::new(pyjwt_python(target_dir));
    command
        .arg(pyjwt_sign_script())
        .args(["clinic-a-key.pem", "clinic-a-chain.pem", CLIENT_URI, aud])
        .current_dir(env.dir());
    let signed = hopscope_e2e::run(command);
    assert!(signed.success(), "PyJWT should sign the client assertion\n{signed}");
    let jwt = signed.stdout.trim();
    assert_eq!(jwt.split('.').count(), 3, "PyJWT should print a compact JWS\n{signed}");
    env.write(out, jwt);
}

#[test]
fn jwt_client_assertion_trusted() {
    let env = fixture().restore();
    sign_client_assertion(&env, PUBLIC_TOKEN_URL, "assertion.jwt");
    let (outcome, decision) = decide(&env, "d-corp", &["--jwt", "assertion.jwt"]);
    assert_eq!(outcome.code(), Some(0), "a client assertion for the public token URL should be trusted\n{outcome}");
    for name in ["signature", "chain", "validity", "key-strength", "denied", "issuer", "audience", "lifetime", "token-id"] {
        assert_eq!(check(&decision, name)["outcome"], "pass", "the {name} check should pass\n{outcome}");
    }
}

#[test]
fn jwt_private_audience_rejected() {
    let env = fixture().restore();
    sign_client_assertion(&env, PRIVATE_TOKEN_URL, "private.jwt");
    let decision = assert_not_trusted(&env, "d-corp", &["--jwt", "private.jwt"], "audience");
    let reason = check(&decision, "audience")["reason"].as_str().unwrap_or_default().to_string();
    assert!(reason.contains(PRIVATE_TOKEN_URL), "the audience reason should quote aud: {reason}");
    assert!(reason.contains("private URL"), "the audience reason should say aud is a private URL: {reason}");
    assert!(reason.contains(PUBLIC_TOKEN_URL), "the audience reason should give the expected public URL: {reason}");
    assert_eq!(check(&decision, "signature")["outcome"], "pass", "only the audience should fail: {decision:#}");
}

/// Runs a trust command that must fail in a fresh copy of the fixture, with
/// the checks of [`Env::assert_rejected`]. The error must also not repeat a
/// clause, as happens when a cause is printed twice.
fn check_rejected(args: &[&str], exit: i32, message: &[&str]) {
    let env = fixture().restore();
    let outcome = env.assert_rejected(args, exit, message);
    let line = outcome.stderr.lines().next().unwrap_or_default();
    let clauses: Vec<&str> = line.split(": ").collect();
    for (i, clause) in clauses.iter().enumerate() {
        assert!(!clauses[i + 1..].contains(clause), "the error should not repeat {clause:?}\n{outcome}");
    }
}

macro_rules! bad_trust_table {
    ($($name:ident: ($args:expr, $exit:expr, $message:expr),)*) => {
        $(
            #[test]
            fn $name() {
                check_rejected($args, $exit, $message);
            }
        )*
    };
}

bad_trust_table! {
    list_unknown_destination: (&["trust", "list", "x-corp"], 1, &["destination \"x-corp\" not found"]),
    add_unknown_destination: (&["trust", "add", "x-corp", "--deny-uri", CLIENT_URI], 1, &["destination \"x-corp\" not found"]),
    check_unknown_destination: (&["trust", "check", "x-corp", "--chain", "clinic-a-chain.pem"], 1, &["destination \"x-corp\" not found"]),
    remove_unknown_entry: (&["trust", "remove", "d-corp", "a00000000"], 1, &["\"a00000000\""]),
    deny_spki_bad_hex: (&["trust", "add", "d-corp", "--deny-spki", "not-hex"], 1, &["\"not-hex\"", "64 hex digits"]),
    deny_spki_short: (&["trust", "add", "d-corp", "--deny-spki", "abcd"], 1, &["\"abcd\"", "64 hex digits"]),
    check_chain_not_pem: (&["trust", "check", "d-corp", "--chain", "notes.txt"], 1, &["notes.txt", "no PEM block"]),
    check_jwt_not_jwt: (&["trust", "check", "d-corp", "--jwt", "notes.txt"], 1, &["notes.txt", "dot-separated segment"]),
    // A bare chain proves nothing about who sent it, so a file given as
    // --jwt must be a JWT, or a script gating on exit 0 accepts any public
    // certificate chain.
    check_jwt_given_chain: (&["trust", "check", "d-corp", "--jwt", "clinic-a-chain.pem"], 1, &["clinic-a-chain.pem", "JWT"]),
    at_not_rfc3339: (&["trust", "check", "d-corp", "--chain", "clinic-a-chain.pem", "--at", "yesterday"], 1, &["\"yesterday\"", "RFC 3339"]),
    at_invalid_month: (&["trust", "check", "d-corp", "--chain", "clinic-a-chain.pem", "--at", "2027-13-01T00:00:00Z"], 1, &["\"2027-13-01T00:00:00Z\"", "RFC 3339"]),
    diff_unknown_version: (&["trust", "diff", "d-corp", "1", "9"], 1, &["version \"9\" not found", "trust history d-corp"]),
    revert_unknown_version: (&["trust", "revert", "d-corp", "7"], 1, &["version \"7\" not found"]),
    anchor_unknown_authority: (&["trust", "add", "d-corp", "--anchor", "nosuch"], 1, &["\"nosuch\" not found"]),
    anchor_not_authority: (&["trust", "add", "d-corp", "--anchor", "clinic-a"], 1, &["\"clinic-a\" is not an authority"]),
    anchor_duplicate: (&["trust", "add", "d-corp", "--anchor", "demo-community"], 1, &["already on the trust list"]),
    deny_uri_relative: (&["trust", "add", "d-corp", "--deny-uri", "not-a-uri"], 1, &["\"not-a-uri\"", "absolute URI"]),
    import_not_trust_list: (&["trust", "import", "d-corp", "notes.txt"], 1, &["notes.txt", "no PEM block"]),
    add_without_entry: (&["trust", "add", "d-corp"], 2, &["required arguments were not provided"]),
    check_without_input: (&["trust", "check", "d-corp"], 2, &["required arguments were not provided"]),
}
