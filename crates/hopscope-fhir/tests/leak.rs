//! The private URL stays out of every response unless the leak misbehaviour
//! is on, and then it replaces the public URL everywhere a URL is written.

mod common;

use common::*;
use hopscope_fhir::{FhirRequest, FhirResponse, FhirServer};
use serde_json::{json, Value};

/// Walks read, search with paging, create, update, errors and a bulk export,
/// following the URLs the server writes, and returns every response.
fn walk(server: &FhirServer) -> Vec<FhirResponse> {
    let mut responses = Vec::new();
    let mut keep = |response: FhirResponse| -> FhirResponse {
        responses.push(response.clone());
        response
    };

    keep(server.handle(FhirRequest::get("/metadata")));

    let mut url = format!("{PUBLIC_BASE}/Patient?gender=female&_count=7&unknown-param=1");
    loop {
        let bundle = body(&keep(server.handle(FhirRequest::get(relative(&url)))));
        match link(&bundle, "next") {
            Some(next) => url = next.to_string(),
            None => break,
        }
    }
    keep(server.handle(FhirRequest::post_form(
        "/Observation/_search",
        "patient=pat-0001&_pretty=true",
    )));
    keep(server.handle(FhirRequest::get("/Patient/pat-0001")));
    keep(server.handle(FhirRequest::get("/Patient/pat-0001/_history/1")));

    let observation = json!({ "resourceType": "Observation", "status": "final", "code": { "text": "leak walk" } });
    let created = keep(server.handle(FhirRequest::post_json("/Observation", &observation)));
    let location = created.header("location").unwrap().to_string();
    let mut stored = body(&created);
    stored["status"] = json!("amended");
    let id = stored["id"].as_str().unwrap().to_string();
    keep(server.handle(FhirRequest::put_json(
        &format!("/Observation/{id}"),
        &stored,
    )));
    keep(server.handle(FhirRequest::put_json(
        "/Patient/new-1",
        &json!({ "resourceType": "Patient", "id": "new-1" }),
    )));
    keep(
        server.handle(
            FhirRequest::post_json("/Patient", &json!({ "resourceType": "Patient" }))
                .with_header("prefer", "return=minimal"),
        ),
    );
    keep(server.handle(FhirRequest::get(relative(&location))));
    keep(server.handle(FhirRequest::get("/Patient/missing")));
    keep(server.handle(FhirRequest::delete("/Patient/pat-0001")));

    let kick_off = keep(
        server.handle(
            FhirRequest::get("/$export?_type=Patient,Observation")
                .with_header("prefer", "respond-async"),
        ),
    );
    let status_url = kick_off.header("content-location").unwrap().to_string();
    let manifest = loop {
        let status = keep(server.handle(FhirRequest::get(relative(&status_url))));
        if status.status == 200 {
            break body(&status);
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    for output in manifest["output"].as_array().unwrap() {
        keep(server.handle(FhirRequest::get(relative(output["url"].as_str().unwrap()))));
    }
    keep(server.handle(FhirRequest::delete(relative(&status_url))));
    responses
}

/// Returns every header value and the body of a response as text.
fn texts(response: &FhirResponse) -> Vec<String> {
    let mut texts: Vec<String> = response
        .headers
        .iter()
        .map(|(name, value)| format!("{name}: {}", String::from_utf8_lossy(value.as_bytes())))
        .collect();
    texts.push(String::from_utf8_lossy(&response.body).into_owned());
    texts
}

#[test]
fn private_url_never_written_when_off() {
    let server = server();
    assert!(!server.leak_private_url());
    let responses = walk(&server);
    assert!(
        responses.len() > 20,
        "the walk made only {} requests",
        responses.len()
    );
    let mut public_seen = 0;
    for response in &responses {
        for text in texts(response) {
            assert!(!text.contains(PRIVATE_BASE), "private base in: {text}");
            assert!(
                !text.contains("d-corp.internal.test"),
                "private host in: {text}"
            );
            public_seen += usize::from(text.contains(PUBLIC_BASE));
        }
    }
    assert!(
        public_seen >= 10,
        "public base written in only {public_seen} headers and bodies"
    );
}

#[test]
fn private_url_everywhere_when_on() {
    let server = server();
    server.set_leak_private_url(true);
    assert!(server.leak_private_url());
    for response in walk(&server) {
        for text in texts(&response) {
            assert!(!text.contains(PUBLIC_BASE), "public base in: {text}");
        }
    }

    let statement = body(&server.handle(FhirRequest::get("/metadata")));
    assert_eq!(statement["implementation"]["url"], PRIVATE_BASE);

    let bundle = body(&server.handle(FhirRequest::get("/Patient?_count=5&_offset=5")));
    for relation in ["self", "next", "previous"] {
        assert!(
            link(&bundle, relation).unwrap().starts_with(PRIVATE_BASE),
            "{relation}"
        );
    }
    let full_url = entries(&bundle)[0]["fullUrl"].as_str().unwrap().to_string();
    assert!(
        full_url.starts_with(&format!("{PRIVATE_BASE}/Patient/")),
        "{full_url}"
    );

    let created = server.handle(FhirRequest::post_json(
        "/Patient",
        &json!({ "resourceType": "Patient" }),
    ));
    assert!(created
        .header("location")
        .unwrap()
        .starts_with(PRIVATE_BASE));

    let (status_url, manifest, _) = export_until_done(&server, "/$export?_type=Organization");
    assert!(status_url.starts_with(PRIVATE_BASE));
    assert!(manifest["request"]
        .as_str()
        .unwrap()
        .starts_with(PRIVATE_BASE));
    let urls: Vec<&Value> = manifest["output"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| &o["url"])
        .collect();
    assert!(!urls.is_empty());
    for url in urls {
        assert!(url.as_str().unwrap().starts_with(PRIVATE_BASE), "{url}");
    }

    server.set_leak_private_url(false);
    let statement = body(&server.handle(FhirRequest::get("/metadata")));
    assert_eq!(statement["implementation"]["url"], PUBLIC_BASE);
}
