//! Destinations, intermediaries and routes: the demo network, a topology
//! built by hand with the three public URL shapes, one table of mistakes
//! that `topology check` must find, and commands that must fail.

use std::sync::OnceLock;

use hopscope_e2e::{sha256_file, Env, Run, Snapshot};
use serde_json::{json, Value};

/// Public URLs of the hand-built topology, one per shape in use: the
/// gateway's host with a path segment per destination, a host of the
/// destination's own, and a subdomain of the gateway's domain.
const PATH_SEGMENT_URL: &str = "https://fhir.gw.test/a-corp";
const OWN_HOST_URL: &str = "https://fhir.o-corp.test/";
const SUBDOMAIN_URL: &str = "https://s-corp.gw.test/";

fn as_array<'a>(value: &'a Value, what: &str) -> &'a Vec<Value> {
    value.as_array().unwrap_or_else(|| panic!("{what} should be a JSON array: {value:#}"))
}

/// Returns the entry named `name` of a JSON array of named objects.
fn named<'a>(entries: &'a Value, name: &str, what: &str) -> &'a Value {
    as_array(entries, what)
        .iter()
        .find(|entry| entry["name"] == name)
        .unwrap_or_else(|| panic!("{what} should contain {name}: {entries:#}"))
}

/// Runs `topology check --json`, whatever its exit status, and parses
/// stdout.
fn check_json(env: &Env) -> (Run, Value) {
    let outcome = env.run(&["topology", "check", "--json"]);
    let findings = serde_json::from_str(&outcome.stdout).unwrap_or_else(|e| panic!("stdout is not JSON: {e}\n{outcome}"));
    (outcome, findings)
}

#[test]
fn demo_topology() {
    let env = Env::with_demo();
    let topology = env.json(&["topology", "show", "--json"]);
    let destinations = &topology["destinations"];
    let intermediaries = &topology["intermediaries"];
    assert_eq!(as_array(destinations, "destinations").len(), 2, "the demo network has two destinations: {topology:#}");
    assert_eq!(as_array(intermediaries, "intermediaries").len(), 2, "the demo network has two intermediaries: {topology:#}");

    let d_corp = named(destinations, "d-corp", "destinations");
    assert_eq!(d_corp["public_url"], "https://fhir.int-one.test:8443/d-corp", "public URL of d-corp: {d_corp:#}");
    assert_eq!(d_corp["private_url"], "https://d-corp.internal.test:9443/fhir", "private URL of d-corp: {d_corp:#}");
    assert_eq!(d_corp["route"], json!(["int-one", "int-two"]), "route of d-corp: {d_corp:#}");
    assert_eq!(d_corp["endpoint_credential"], "d-corp-private", "endpoint credential of d-corp: {d_corp:#}");
    assert_eq!(d_corp["signing_credential"], "d-corp-signing", "signing credential of d-corp: {d_corp:#}");

    let b_corp = named(destinations, "b-corp", "destinations");
    assert_eq!(b_corp["public_url"], "https://fhir.b-corp.test:8443/r4", "public URL of b-corp: {b_corp:#}");
    assert_eq!(b_corp["private_url"], "https://b-corp.internal.test:9445/fhir", "private URL of b-corp: {b_corp:#}");
    assert_eq!(b_corp["route"], json!(["int-one"]), "route of b-corp: {b_corp:#}");
    assert_eq!(b_corp["endpoint_credential"], "b-corp-private", "endpoint credential of b-corp: {b_corp:#}");
    assert_eq!(b_corp["signing_credential"], "b-corp-signing", "signing credential of b-corp: {b_corp:#}");

    let int_one = named(intermediaries, "int-one", "intermediaries");
    assert_eq!(int_one["kind"], "inbound-gateway", "kind of int-one: {int_one:#}");
    assert_eq!(
        int_one["listen_urls"],
        json!(["https://fhir.int-one.test:8443/", "https://fhir.b-corp.test:8443/"]),
        "int-one listens on port 8443 for both public hosts: {int_one:#}"
    );
    assert_eq!(int_one["credentials"], json!(["b-corp-public", "d-corp-public"]), "int-one holds both public certificates: {int_one:#}");

    let int_two = named(intermediaries, "int-two", "intermediaries");
    assert_eq!(int_two["kind"], "delegated", "kind of int-two: {int_two:#}");
    assert_eq!(int_two["listen_urls"], json!(["https://int-two.internal.test:9444/"]), "listen URL of int-two: {int_two:#}");
    assert_eq!(int_two["credentials"], json!(["int-two-private"]), "credential of int-two: {int_two:#}");
}

#[test]
fn demo_credentials() {
    let env = Env::with_demo();
    let authorities = env.json(&["authority", "list", "--json"]);
    let community = named(&authorities, "demo-community", "authority list --json");
    assert_eq!(community["authority"], Value::Null, "demo-community is a root: {community:#}");
    assert_eq!(community["key_type"], "ecdsa-p256", "key type of demo-community: {community:#}");

    let credentials = env.json(&["cert", "list", "--json"]);
    let expected = [
        ("d-corp-public", "public-endpoint", "https://fhir.int-one.test:8443/d-corp"),
        ("d-corp-private", "private-endpoint", "https://d-corp.internal.test:9443/fhir"),
        ("d-corp-signing", "destination-signing", "https://fhir.int-one.test:8443/d-corp"),
        ("b-corp-public", "public-endpoint", "https://fhir.b-corp.test:8443/r4"),
        ("b-corp-private", "private-endpoint", "https://b-corp.internal.test:9445/fhir"),
        ("b-corp-signing", "destination-signing", "https://fhir.b-corp.test:8443/r4"),
        ("int-two-private", "private-endpoint", "https://int-two.internal.test:9444/"),
        ("clinic-a", "originator", "https://clinic-a.test/apps/scheduler"),
    ];
    assert_eq!(as_array(&credentials, "cert list --json").len(), expected.len(), "the demo network has {} credentials: {credentials:#}", expected.len());
    for (name, role, url) in expected {
        let credential = named(&credentials, name, "cert list --json");
        assert_eq!(credential["role"], role, "role of {name}: {credential:#}");
        assert_eq!(credential["url"], url, "URL of {name}: {credential:#}");
        assert_eq!(credential["authority"], "demo-community", "issuer of {name}: {credential:#}");
        assert_eq!(credential["status"], "valid", "status of {name}: {credential:#}");
    }

    let clinic = env.json(&["cert", "show", "clinic-a", "--json"]);
    assert_eq!(clinic["inspection"]["san_uri"], json!(["https://clinic-a.test/apps/scheduler"]), "SAN URI of clinic-a: {:#}", clinic["inspection"]);
    let d_public = env.json(&["cert", "show", "d-corp-public", "--json"]);
    assert_eq!(d_public["inspection"]["san_dns"], json!(["fhir.int-one.test"]), "SAN DNS of d-corp-public: {:#}", d_public["inspection"]);
    let b_public = env.json(&["cert", "show", "b-corp-public", "--json"]);
    assert_eq!(b_public["inspection"]["san_dns"], json!(["fhir.b-corp.test"]), "SAN DNS of b-corp-public: {:#}", b_public["inspection"]);
}

#[test]
fn demo_trust_lists() {
    let env = Env::with_demo();
    let community = env.json(&["authority", "list", "--json"]);
    let fingerprint = &named(&community, "demo-community", "authority list --json")["sha256_fingerprint"];
    for destination in ["d-corp", "b-corp"] {
        let view = env.json(&["trust", "list", destination, "--json"]);
        let anchors = as_array(&view["list"]["anchors"], "anchors");
        assert_eq!(anchors.len(), 1, "the trust list of {destination} has one anchor: {view:#}");
        assert_eq!(anchors[0]["source"], json!({"kind": "authority", "name": "demo-community"}), "{destination} anchors demo-community: {view:#}");
        assert_eq!(&anchors[0]["sha256_fingerprint"], fingerprint, "{destination} anchors the current demo-community certificate: {view:#}");
        assert_eq!(view["list"]["pinned"], json!([]), "the trust list of {destination} pins nothing: {view:#}");
        assert_eq!(view["list"]["denied"], json!([]), "the trust list of {destination} denies nothing: {view:#}");
    }
}

#[test]
fn demo_check_valid() {
    let env = Env::with_demo();
    let (outcome, findings) = check_json(&env);
    assert_eq!(outcome.code(), Some(0), "topology check --json should exit 0 on the demo network\n{outcome}");
    assert_eq!(findings, json!([]), "the demo network should have no findings\n{outcome}");
    let text = env.run(&["topology", "check"]);
    assert_eq!(text.code(), Some(0), "topology check should exit 0 on the demo network\n{text}");
    assert!(text.stdout.contains("the topology is valid"), "topology check should say the topology is valid\n{text}");
}

#[test]
fn demo_twice_unchanged() {
    let env = Env::with_demo();
    let before = sha256_file(&env.workspace());
    let topology = env.ok(&["topology", "show", "--json"]).stdout;
    let credentials = certificate_ids(&env);

    let again = env.ok(&["demo"]);
    assert!(again.stdout.contains("already"), "a second demo should say the network is already there\n{again}");
    let outcome = env.json(&["demo", "--json"]);
    assert_eq!(outcome["created"], false, "demo --json on the demo network should report created false: {outcome:#}");

    assert_eq!(sha256_file(&env.workspace()), before, "a second demo should leave the workspace file unchanged");
    assert_eq!(env.ok(&["topology", "show", "--json"]).stdout, topology, "a second demo should leave the topology unchanged");
    assert_eq!(certificate_ids(&env), credentials, "a second demo should leave the credentials and their certificates unchanged");
}

/// Returns each credential of `cert list --json` as its name, serial and
/// fingerprint. `days_left` is left out because it changes with the clock.
fn certificate_ids(env: &Env) -> Vec<(Value, Value, Value)> {
    let listing = env.json(&["cert", "list", "--json"]);
    as_array(&listing, "cert list --json")
        .iter()
        .map(|c| (c["name"].clone(), c["serial"].clone(), c["sha256_fingerprint"].clone()))
        .collect()
}

/// The hand-built topology every case below starts from, valid as built.
/// Under the authorities `root` and `inter`, the inbound gateway `gw` holds
/// `a-corp-public`, `o-corp-public` and `s-corp-public`, and the delegated
/// intermediary `relay` holds `relay-private`. The destinations are `a-corp`
/// (path segment, via gw and relay), `o-corp` (own host, via gw) and
/// `s-corp` (subdomain, via gw and relay). Each has a private endpoint at
/// `https://NAME.internal.test:9443/fhir` and a signing credential.
fn hand_built() -> &'static Snapshot {
    static FIXTURE: OnceLock<Snapshot> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let env = Env::with_authorities();
        let shapes = [("a-corp", PATH_SEGMENT_URL), ("o-corp", OWN_HOST_URL), ("s-corp", SUBDOMAIN_URL)];
        for (name, public_url) in shapes {
            let private_url = format!("https://{name}.internal.test:9443/fhir");
            env.issue(&format!("{name}-public"), "public-endpoint", public_url);
            env.issue(&format!("{name}-private"), "private-endpoint", &private_url);
            env.issue(&format!("{name}-signing"), "destination-signing", public_url);
        }
        env.issue("relay-private", "private-endpoint", "https://relay.internal.test:9444/");

        env.ok(&[
            "intermediary", "add", "gw", "--kind", "inbound-gateway",
            "--listen", "https://fhir.gw.test/", OWN_HOST_URL, SUBDOMAIN_URL,
            "--cert", "a-corp-public", "o-corp-public", "s-corp-public",
        ]);
        env.ok(&["intermediary", "add", "relay", "--kind", "delegated", "--listen", "https://relay.internal.test:9444/", "--cert", "relay-private"]);
        for (name, public_url) in shapes {
            let private_url = format!("https://{name}.internal.test:9443/fhir");
            let endpoint = format!("{name}-private");
            let signing = format!("{name}-signing");
            env.ok(&[
                "destination", "add", name, "--public-url", public_url, "--private-url", &private_url,
                "--endpoint-cert", &endpoint, "--signing-cert", &signing,
            ]);
        }
        env.ok(&["route", "add", "a-corp", "--via", "gw", "relay"]);
        env.ok(&["route", "add", "o-corp", "--via", "gw"]);
        env.ok(&["route", "add", "s-corp", "--via", "gw", "relay"]);
        env.snapshot()
    })
}

#[test]
fn hand_built_valid() {
    let env = hand_built().restore();
    let (outcome, findings) = check_json(&env);
    assert_eq!(outcome.code(), Some(0), "topology check should exit 0 on the hand-built topology\n{outcome}");
    assert_eq!(findings, json!([]), "the hand-built topology should have no findings\n{outcome}");

    let topology = env.json(&["topology", "show", "--json"]);
    let destinations = &topology["destinations"];
    for (name, public_url, route) in [
        ("a-corp", PATH_SEGMENT_URL, json!(["gw", "relay"])),
        ("o-corp", OWN_HOST_URL, json!(["gw"])),
        ("s-corp", SUBDOMAIN_URL, json!(["gw", "relay"])),
    ] {
        let destination = named(destinations, name, "destinations");
        assert_eq!(destination["public_url"], public_url, "public URL of {name}: {destination:#}");
        assert_eq!(destination["route"], route, "route of {name}: {destination:#}");
    }
}

/// One mistake: commands that add it to the hand-built topology, and every
/// finding `topology check --json` must then report, as
/// (code, element kind, element, value).
struct Mistake {
    setup: &'static [&'static [&'static str]],
    findings: &'static [(&'static str, &'static str, &'static str, &'static str)],
}

fn check_mistake(mistake: &Mistake) {
    let env = hand_built().restore();
    for args in mistake.setup {
        env.ok(args);
    }
    let (outcome, findings) = check_json(&env);
    assert_eq!(outcome.code(), Some(1), "topology check --json should exit 1 when it finds a mistake\n{outcome}");
    let text = env.run(&["topology", "check"]);
    assert_eq!(text.code(), Some(1), "topology check should exit 1 when it finds a mistake\n{text}");

    let findings = as_array(&findings, "topology check --json");
    let mut reported: Vec<(String, String, String, String)> = findings
        .iter()
        .map(|f| {
            let field = |key: &str| f[key].as_str().unwrap_or_else(|| panic!("finding {key} should be a string: {f:#}")).to_string();
            (field("code"), field("element_kind"), field("element"), field("value"))
        })
        .collect();
    reported.sort();
    let mut expected: Vec<(String, String, String, String)> = mistake
        .findings
        .iter()
        .map(|(code, kind, element, value)| (code.to_string(), kind.to_string(), element.to_string(), value.to_string()))
        .collect();
    expected.sort();
    assert_eq!(reported, expected, "findings as (code, element kind, element, value)\n{outcome}");

    for finding in findings {
        let value = finding["value"].as_str().unwrap_or_default();
        let message = finding["message"].as_str().unwrap_or_default();
        assert!(message.contains(value), "the message of a finding should name its value {value:?}: {finding:#}");
        let fix = finding["fix"].as_str().unwrap_or_default();
        assert!(!fix.is_empty(), "every finding should say how to fix it: {finding:#}");
        let code = finding["code"].as_str().unwrap_or_default();
        assert!(text.stdout.contains(&format!("[{code}]")), "topology check should print the code {code}\n{text}");
    }
}

macro_rules! mistake_table {
    ($($name:ident: $mistake:expr,)*) => {
        $(
            #[test]
            fn $name() {
                check_mistake(&$mistake);
            }
        )*
    };
}

mistake_table! {
    // No certificate of gw is for fhir.x-corp.test.
    public_url_not_covered: Mistake {
        setup: &[
            &["destination", "add", "x-corp", "--public-url", "https://fhir.x-corp.test/r4", "--private-url", "https://a-corp.internal.test:9443/x",
              "--endpoint-cert", "a-corp-private", "--signing-cert", "a-corp-signing"],
            &["route", "add", "x-corp", "--via", "gw"],
        ],
        findings: &[("public-url-not-covered", "destination", "x-corp", "https://fhir.x-corp.test/r4")],
    },
    // a-corp-private is for a-corp.internal.test, not y-corp.internal.test.
    private_url_not_covered: Mistake {
        setup: &[
            &["destination", "add", "y-corp", "--public-url", "https://fhir.gw.test/y-corp", "--private-url", "https://y-corp.internal.test:9443/fhir",
              "--endpoint-cert", "a-corp-private", "--signing-cert", "a-corp-signing"],
            &["route", "add", "y-corp", "--via", "gw"],
        ],
        findings: &[("private-url-not-covered", "destination", "y-corp", "https://y-corp.internal.test:9443/fhir")],
    },
    duplicate_public_url: Mistake {
        setup: &[
            &["destination", "add", "dup-corp", "--public-url", PATH_SEGMENT_URL, "--private-url", "https://a-corp.internal.test:9443/dup",
              "--endpoint-cert", "a-corp-private", "--signing-cert", "a-corp-signing"],
            &["route", "add", "dup-corp", "--via", "gw", "relay"],
        ],
        findings: &[
            ("duplicate-public-url", "destination", "a-corp", PATH_SEGMENT_URL),
            ("duplicate-public-url", "destination", "dup-corp", PATH_SEGMENT_URL),
        ],
    },
    // A trailing slash does not make a public URL another one.
    duplicate_public_url_trailing_slash: Mistake {
        setup: &[
            &["destination", "add", "dup-corp", "--public-url", "https://fhir.gw.test/a-corp/", "--private-url", "https://a-corp.internal.test:9443/dup",
              "--endpoint-cert", "a-corp-private", "--signing-cert", "a-corp-signing"],
            &["route", "add", "dup-corp", "--via", "gw", "relay"],
        ],
        findings: &[
            ("duplicate-public-url", "destination", "a-corp", PATH_SEGMENT_URL),
            ("duplicate-public-url", "destination", "dup-corp", "https://fhir.gw.test/a-corp/"),
        ],
    },
    route_loop: Mistake {
        setup: &[&["route", "add", "a-corp", "--via", "gw", "relay", "relay"]],
        findings: &[("route-loop", "route", "a-corp", "relay")],
    },
    // The loop back to the gateway also puts an inbound gateway past the
    // first hop.
    route_loop_to_gateway: Mistake {
        setup: &[&["route", "add", "a-corp", "--via", "gw", "relay", "gw"]],
        findings: &[("route-loop", "route", "a-corp", "gw"), ("route-wrong-kind", "route", "a-corp", "gw")],
    },
    route_missing: Mistake {
        setup: &[&["destination", "add", "z-corp", "--public-url", "https://fhir.gw.test/z-corp", "--private-url", "https://a-corp.internal.test:9443/z",
                   "--endpoint-cert", "a-corp-private", "--signing-cert", "a-corp-signing"]],
        findings: &[("route-missing", "route", "z-corp", "z-corp")],
    },
    route_from_delegated: Mistake {
        setup: &[&["route", "add", "a-corp", "--via", "relay"]],
        findings: &[("route-not-from-gateway", "route", "a-corp", "relay")],
    },
    revoked_hop_certificate: Mistake {
        setup: &[&["cert", "revoke", "relay-private", "--reason", "key-compromise"]],
        findings: &[("certificate-revoked", "intermediary", "relay", "relay-private")],
    },
}

#[test]
fn nested_public_url_found() {
    let env = hand_built().restore();
    let nested = "https://fhir.gw.test/a-corp/metadata";
    env.ok(&[
        "destination", "add", "n-corp", "--public-url", nested, "--private-url", "https://a-corp.internal.test:9443/n",
        "--endpoint-cert", "a-corp-private", "--signing-cert", "a-corp-signing",
    ]);
    env.ok(&["route", "add", "n-corp", "--via", "gw"]);

    // The gateway routes on host and path prefix, so requests for a-corp's
    // own /metadata would match n-corp as well.
    let (outcome, findings) = check_json(&env);
    assert_eq!(outcome.code(), Some(1), "a public URL below another destination's public URL should be a finding\n{outcome}");
    let named_nested = as_array(&findings, "topology check --json").iter().any(|f| f["element"] == "n-corp" && f["value"] == nested);
    assert!(named_nested, "a finding should name n-corp and its public URL {nested}\n{outcome}");
}

/// Topology commands that must fail: each runs in a fresh copy of the
/// hand-built topology and must exit 1 with one stderr line naming the
/// value, leaving the workspace file unchanged.
macro_rules! bad_topology_table {
    ($($name:ident: ($args:expr, $message:expr),)*) => {
        $(
            #[test]
            fn $name() {
                hand_built().restore().assert_rejected($args, 1, $message);
            }
        )*
    };
}

bad_topology_table! {
    route_unknown_intermediary: (
        &["route", "add", "a-corp", "--via", "gw", "nosuch"],
        &["intermediary \"nosuch\" not found"]
    ),
    route_unknown_destination: (
        &["route", "add", "nosuch", "--via", "gw"],
        &["destination \"nosuch\" not found"]
    ),
    gateway_private_cert: (
        &["intermediary", "add", "gw2", "--kind", "inbound-gateway", "--listen", "https://gw2.test/", "--cert", "relay-private"],
        &["\"relay-private\"", "private-endpoint", "must be a public-endpoint credential"]
    ),
    delegated_public_cert: (
        &["intermediary", "add", "relay2", "--kind", "delegated", "--listen", "https://relay2.test/", "--cert", "a-corp-public"],
        &["\"a-corp-public\"", "public-endpoint", "must be a private-endpoint credential"]
    ),
    destination_public_endpoint_cert: (
        &["destination", "add", "h-corp", "--public-url", "https://fhir.gw.test/h-corp", "--private-url", "https://a-corp.internal.test:9443/h",
          "--endpoint-cert", "a-corp-public"],
        &["\"a-corp-public\"", "public-endpoint", "must be a private-endpoint credential"]
    ),
    destination_private_signing_cert: (
        &["destination", "add", "h-corp", "--public-url", "https://fhir.gw.test/h-corp", "--private-url", "https://a-corp.internal.test:9443/h",
          "--signing-cert", "a-corp-private"],
        &["\"a-corp-private\"", "private-endpoint", "must be a destination-signing credential"]
    ),
    intermediary_unknown_kind: (
        &["intermediary", "add", "gw3", "--kind", "outbound", "--listen", "https://gw3.test/"],
        &["unknown intermediary kind \"outbound\""]
    ),
    public_url_http: (
        &["destination", "add", "h-corp", "--public-url", "http://fhir.gw.test/h-corp", "--private-url", "https://a-corp.internal.test:9443/h"],
        &["\"http://fhir.gw.test/h-corp\"", "https"]
    ),
    private_url_http: (
        &["destination", "add", "h-corp", "--public-url", "https://fhir.gw.test/h-corp", "--private-url", "http://a-corp.internal.test:9443/h"],
        &["\"http://a-corp.internal.test:9443/h\"", "https"]
    ),
    destination_duplicate_name: (
        &["destination", "add", "a-corp", "--public-url", "https://fhir.gw.test/new", "--private-url", "https://a-corp.internal.test:9443/new"],
        &["a destination named \"a-corp\" already exists"]
    ),
    intermediary_duplicate_name: (
        &["intermediary", "add", "gw", "--kind", "inbound-gateway", "--listen", "https://gw.test/"],
        &["an intermediary named \"gw\" already exists"]
    ),
}

#[test]
fn update_fixes_private_url_finding() {
    let env = Env::with_demo();
    env.ok(&["destination", "update", "d-corp", "--private-url", "https://d-corp2.internal.test:9446/fhir"]);
    let (broken, findings) = check_json(&env);
    assert_eq!(broken.code(), Some(1), "the changed private URL is not covered\n{broken}");
    let fix = findings[0]["fix"].as_str().unwrap_or_default().to_string();
    assert!(fix.contains("hopscope destination update d-corp --endpoint-cert"), "the fix names a command that works: {fix}");

    env.ok(&[
        "cert", "issue", "d-corp-private-2", "--role", "private-endpoint", "--authority", "demo-community",
        "--url", "https://d-corp2.internal.test:9446/fhir",
    ]);
    env.ok(&["destination", "update", "d-corp", "--endpoint-cert", "d-corp-private-2"]);
    env.ok(&["intermediary", "update", "int-two", "--cert", "int-two-private"]);

    let (fixed, findings) = check_json(&env);
    assert_eq!(fixed.code(), Some(0), "{findings:#}");
    let topology = env.json(&["topology", "show", "--json"]);
    assert_eq!(named(&topology["destinations"], "d-corp", "destinations")["route"], json!(["int-one", "int-two"]));
    assert_eq!(env.json(&["trust", "list", "d-corp", "--json"])["version"], 1, "the trust list is kept");
}

#[test]
fn update_rejects_unknown_and_empty() {
    let env = Env::with_demo();

    env.assert_rejected(&["destination", "update", "x-corp", "--private-url", "https://x.internal.test/"], 1, &["x-corp"]);
    env.assert_rejected(&["intermediary", "update", "int-nine", "--cert", "int-two-private"], 1, &["int-nine"]);
    env.assert_rejected(&["destination", "update", "d-corp"], 2, &[]);
    env.assert_rejected(&["intermediary", "update", "int-two", "--cert", "d-corp-public"], 1, &["must be a private-endpoint credential"]);
}
