//! Every error status, each with an `OperationOutcome` body that names the
//! problem, and the response options that change a successful body.

mod common;

use common::*;
use hopscope_fhir::{FhirRequest, FHIR_JSON};
use serde_json::json;

/// Checks status, content type, issue code and that the diagnostics contain `expected`.
fn assert_outcome(request: FhirRequest, status: u16, code: &str, expected: &str) {
    let label = format!(
        "{} {}?{}",
        request.method,
        request.path,
        request.query.clone().unwrap_or_default()
    );
    let response = server().handle(request);
    assert_eq!(
        response.status.as_u16(),
        status,
        "{label}: {:?}",
        response.json_body()
    );
    assert_eq!(response.header("content-type"), Some(FHIR_JSON), "{label}");
    let outcome = body(&response);
    assert_eq!(outcome["resourceType"], "OperationOutcome", "{label}");
    assert_eq!(outcome["issue"][0]["severity"], "error", "{label}");
    assert_eq!(outcome["issue"][0]["code"], code, "{label}");
    let diagnostics = outcome["issue"][0]["diagnostics"].as_str().unwrap();
    assert!(
        diagnostics.contains(expected),
        "{label}: {diagnostics:?} lacks {expected:?}"
    );
}

#[test]
fn not_found() {
    assert_outcome(
        FhirRequest::get("/Patient/nobody"),
        404,
        "not-found",
        "Patient/nobody",
    );
    assert_outcome(
        FhirRequest::get("/Invoice/1"),
        404,
        "not-found",
        "/Invoice/1",
    );
    assert_outcome(FhirRequest::get("/Invoice"), 404, "not-found", "Invoice");
    assert_outcome(
        FhirRequest::get("/Patient/pat-0001/_history/9"),
        404,
        "not-found",
        "version 9",
    );
    assert_outcome(
        FhirRequest::get("/Patient/nobody/_history/1"),
        404,
        "not-found",
        "Patient/nobody",
    );
    assert_outcome(
        FhirRequest::get("/Patient/1/2/3/4/5"),
        404,
        "not-found",
        "/Patient/1/2/3/4/5",
    );
    assert_outcome(
        FhirRequest::get("/$export-status/0000"),
        404,
        "not-found",
        "0000",
    );
    assert_outcome(
        FhirRequest::get("/$export-file/0000/Patient.ndjson"),
        404,
        "not-found",
        "0000",
    );
    assert_outcome(
        FhirRequest::get("/Group/grp-9999/$export").with_header("prefer", "respond-async"),
        404,
        "not-found",
        "Group/grp-9999",
    );
}

#[test]
fn percent_encoded_path() {
    let response = server().handle(FhirRequest::get("/Patient/pat%2D0001"));
    assert_eq!(response.status, 200);
    let response =
        server().handle(FhirRequest::get("/%24export").with_header("prefer", "respond-async"));
    assert_eq!(response.status, 202);
}

#[test]
fn bad_request() {
    assert_outcome(
        FhirRequest::get("/Patient?shoe-size=42").with_header("prefer", "handling=strict"),
        400,
        "invalid",
        "shoe-size",
    );
    assert_outcome(
        FhirRequest::get("/Patient?birthdate=soon"),
        400,
        "invalid",
        "soon",
    );
    assert_outcome(
        FhirRequest::get("/Patient?_count=many"),
        400,
        "invalid",
        "_count",
    );
    assert_outcome(
        FhirRequest::get("/$export"),
        400,
        "invalid",
        "Prefer: respond-async",
    );
    assert_outcome(
        FhirRequest::get("/$export?_outputFormat=text/csv").with_header("prefer", "respond-async"),
        400,
        "invalid",
        "_outputFormat",
    );
    assert_outcome(
        FhirRequest::get("/Observation/$export"),
        400,
        "not-supported",
        "Observation/$export",
    );
    assert_outcome(FhirRequest::get(""), 400, "not-supported", "system-level");
    assert_outcome(
        FhirRequest::get("/Patient/pat-0001/_history"),
        400,
        "not-supported",
        "history",
    );
}

#[test]
fn bad_create_and_update_bodies() {
    let mut invalid_json = FhirRequest::put_json("/Patient/pat-0001", &json!({}));
    invalid_json.body = bytes::Bytes::from_static(b"{\"resourceType\": ");
    assert_outcome(invalid_json, 400, "invalid", "not valid JSON");

    let wrong_type = json!({ "resourceType": "Observation", "id": "pat-0001" });
    assert_outcome(
        FhirRequest::put_json("/Patient/pat-0001", &wrong_type),
        400,
        "invalid",
        "Observation",
    );
    assert_outcome(
        FhirRequest::post_json("/Patient", &wrong_type),
        400,
        "invalid",
        "Observation",
    );

    let other_id = json!({ "resourceType": "Patient", "id": "pat-0002" });
    assert_outcome(
        FhirRequest::put_json("/Patient/pat-0001", &other_id),
        400,
        "invalid",
        "pat-0002",
    );
    let no_id = json!({ "resourceType": "Patient" });
    assert_outcome(
        FhirRequest::put_json("/Patient/pat-0001", &no_id),
        400,
        "invalid",
        "no id",
    );
    let bad_id = json!({ "resourceType": "Patient", "id": "a_b" });
    assert_outcome(
        FhirRequest::put_json("/Patient/a_b", &bad_id),
        400,
        "invalid",
        "a_b",
    );
    let bad_if_match = json!({ "resourceType": "Patient", "id": "pat-0001" });
    assert_outcome(
        FhirRequest::put_json("/Patient/pat-0001", &bad_if_match)
            .with_header("if-match", "yesterday"),
        400,
        "invalid",
        "If-Match",
    );
}

#[test]
fn precondition_failed() {
    let patient = json!({ "resourceType": "Patient", "id": "pat-0001" });
    assert_outcome(
        FhirRequest::put_json("/Patient/pat-0001", &patient).with_header("if-match", "W/\"7\""),
        412,
        "conflict",
        "current version is 1",
    );
}

#[test]
fn method_not_allowed() {
    let cases = [
        (FhirRequest::delete("/Patient/pat-0001"), "GET, PUT"),
        (FhirRequest::post_json("/metadata", &json!({})), "GET"),
        (FhirRequest::delete("/Patient"), "GET, POST"),
        (FhirRequest::post_json("/$export", &json!({})), "GET"),
        (
            FhirRequest::put_json("/$export-status/0000", &json!({})),
            "GET, DELETE",
        ),
    ];
    for (request, allow) in cases {
        let label = format!("{} {}", request.method, request.path);
        let response = server().handle(request);
        assert_eq!(response.status, 405, "{label}");
        assert_eq!(response.header("allow"), Some(allow), "{label}");
        assert_eq!(
            body(&response)["issue"][0]["code"],
            "not-supported",
            "{label}"
        );
    }
}

#[test]
fn not_acceptable() {
    assert_outcome(
        FhirRequest::get("/Patient?_format=xml"),
        406,
        "not-supported",
        "_format=xml",
    );
    assert_outcome(
        FhirRequest::post_form("/Patient/_search", "family=Smith&_format=xml"),
        406,
        "not-supported",
        "_format=xml",
    );
    assert_outcome(
        FhirRequest::get("/metadata").with_header("accept", "application/fhir+xml"),
        406,
        "not-supported",
        "application/fhir+xml",
    );
    let json_format = server().handle(
        FhirRequest::get("/Patient/pat-0001?_format=json")
            .with_header("accept", "application/fhir+xml"),
    );
    assert_eq!(json_format.status, 200);
}

#[test]
fn unsupported_media_type() {
    let request = FhirRequest::post_json("/Patient", &json!({ "resourceType": "Patient" }));
    let mut xml = request.clone();
    xml.headers
        .insert("content-type", "application/fhir+xml".parse().unwrap());
    assert_outcome(xml, 415, "not-supported", "application/fhir+xml");
}

#[test]
fn pretty_printing() {
    let server = server();
    let compact = server.handle(FhirRequest::get("/Patient/pat-0001"));
    let pretty = server.handle(FhirRequest::get("/Patient/pat-0001?_pretty=true"));
    assert!(!compact.body.contains(&b'\n'));
    assert!(pretty.body.contains(&b'\n'));
    assert_eq!(compact.json_body(), pretty.json_body());
}

#[test]
fn prefer_return() {
    let server = server();
    let patient = json!({ "resourceType": "Patient", "gender": "unknown" });
    let minimal = server.handle(
        FhirRequest::post_json("/Patient", &patient).with_header("prefer", "return=minimal"),
    );
    assert_eq!(minimal.status, 201);
    assert!(minimal.body.is_empty());
    assert!(minimal.header("location").is_some());

    let outcome = server.handle(
        FhirRequest::post_json("/Patient", &patient)
            .with_header("prefer", "return=OperationOutcome"),
    );
    assert_eq!(outcome.status, 201);
    let outcome = body(&outcome);
    assert_eq!(outcome["resourceType"], "OperationOutcome");
    assert_eq!(outcome["issue"][0]["severity"], "information");
}

#[test]
fn put_creates_when_absent() {
    let server = server();
    let patient = json!({ "resourceType": "Patient", "id": "walk-in-1" });
    let created = server.handle(FhirRequest::put_json("/Patient/walk-in-1", &patient));
    assert_eq!(created.status, 201);
    assert_eq!(
        created.header("location"),
        Some(format!("{PUBLIC_BASE}/Patient/walk-in-1/_history/1").as_str())
    );
    let updated = server.handle(FhirRequest::put_json("/Patient/walk-in-1", &patient));
    assert_eq!(updated.status, 200);
    assert_eq!(updated.header("etag"), Some("W/\"2\""));
}

#[test]
fn lenient_search_reports_ignored_parameters() {
    let response = server().handle(FhirRequest::get(
        "/Patient?shoe-size=42&gender:not=male&_sort=family",
    ));
    assert_eq!(response.status, 200);
    let bundle = body(&response);
    let outcome = entries(&bundle)
        .into_iter()
        .find(|e| e["search"]["mode"] == "outcome")
        .unwrap();
    let issues = outcome["resource"]["issue"].as_array().unwrap();
    assert_eq!(issues.len(), 3);
    assert_eq!(issues[0]["severity"], "warning");
    assert!(issues[1]["diagnostics"].as_str().unwrap().contains(":not"));
}
