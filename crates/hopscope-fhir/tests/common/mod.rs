//! Helpers shared by the integration tests.

#![allow(dead_code)]

use std::time::Duration;

use hopscope_fhir::{FhirConfig, FhirRequest, FhirResponse, FhirServer};
use serde_json::Value;

pub const PUBLIC_BASE: &str = "https://fhir.int-one.test:8443/d-corp";
pub const PRIVATE_BASE: &str = "https://d-corp.internal.test:9443/fhir";

/// Builds a server with seed 42 and a short export delay, so that a test
/// polls the job in progress at least once and still finishes quickly.
pub fn server() -> FhirServer {
    let mut config = FhirConfig::new(PUBLIC_BASE.parse().unwrap(), PRIVATE_BASE.parse().unwrap());
    config.seed = 42;
    config.export_delay = Duration::from_millis(300);
    FhirServer::new(config)
}

/// Turns an absolute URL written by the server into a request path and
/// query relative to the base, accepting either base.
pub fn relative(url: &str) -> &str {
    url.strip_prefix(PUBLIC_BASE)
        .or_else(|| url.strip_prefix(PRIVATE_BASE))
        .unwrap_or_else(|| panic!("{url} is under neither base"))
}

pub fn body(response: &FhirResponse) -> Value {
    response.json_body().unwrap_or_else(|| {
        panic!(
            "status {} response has no JSON body: {:?}",
            response.status, response.body
        )
    })
}

pub fn link<'a>(bundle: &'a Value, relation: &str) -> Option<&'a str> {
    bundle["link"]
        .as_array()?
        .iter()
        .find(|l| l["relation"] == relation)?["url"]
        .as_str()
}

pub fn entries(bundle: &Value) -> Vec<Value> {
    bundle["entry"].as_array().cloned().unwrap_or_default()
}

/// Returns the family name that most sample patients share.
pub fn most_common_family(server: &FhirServer) -> String {
    let bundle = body(&server.handle(FhirRequest::get("/Patient?_count=500")));
    let mut counts = std::collections::BTreeMap::new();
    for entry in entries(&bundle) {
        let family = entry["resource"]["name"][0]["family"]
            .as_str()
            .unwrap()
            .to_string();
        *counts.entry(family).or_insert(0) += 1;
    }
    counts
        .into_iter()
        .max_by_key(|(_, count)| *count)
        .unwrap()
        .0
}

/// Kicks off an export and polls its status until 200, sleeping between
/// polls. Returns the status URL, the manifest and how many polls saw 202.
pub fn export_until_done(server: &FhirServer, kick_off: &str) -> (String, Value, usize) {
    let response = server.handle(FhirRequest::get(kick_off).with_header("prefer", "respond-async"));
    assert_eq!(
        response.status,
        202,
        "kick-off {kick_off}: {:?}",
        response.json_body()
    );
    let status_url = response
        .header("content-location")
        .expect("kick-off sets Content-Location")
        .to_string();
    let mut in_progress = 0;
    for _ in 0..100 {
        let status = server.handle(FhirRequest::get(relative(&status_url)));
        match status.status.as_u16() {
            202 => {
                in_progress += 1;
                assert_eq!(status.header("retry-after"), Some("1"));
                assert!(status.header("x-progress").is_some());
                std::thread::sleep(Duration::from_millis(50));
            }
            200 => return (status_url, body(&status), in_progress),
            other => panic!("export status returned {other}: {:?}", status.json_body()),
        }
    }
    panic!("export at {status_url} did not finish within 100 polls");
}
