//! A realistic session against the server: capability, paged search, reads,
//! create and update of an Observation, and a bulk export.

mod common;

use std::collections::BTreeSet;

use common::*;
use hopscope_fhir::{FhirRequest, FHIR_JSON, LOINC_SYSTEM};
use serde_json::json;

#[test]
fn capability_statement() {
    let server = server();
    let response = server.handle(FhirRequest::get("/metadata"));
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-type"), Some(FHIR_JSON));
    let statement = body(&response);
    assert_eq!(statement["resourceType"], "CapabilityStatement");
    assert_eq!(statement["fhirVersion"], "4.0.1");
    assert_eq!(statement["implementation"]["url"], PUBLIC_BASE);
    assert_eq!(
        statement["format"],
        json!(["application/fhir+json", "json"])
    );
}

#[test]
fn whole_session() {
    let server = server();
    let family = most_common_family(&server);

    // Search by family two at a time, following `next` to the end.
    let mut url = format!("{PUBLIC_BASE}/Patient?family={family}&_count=2");
    let mut ids = Vec::new();
    let mut totals = BTreeSet::new();
    let mut pages = 0;
    loop {
        let response = server.handle(FhirRequest::get(relative(&url)));
        assert_eq!(response.status, 200, "{url}");
        let bundle = body(&response);
        assert_eq!(bundle["type"], "searchset");
        totals.insert(bundle["total"].as_u64().unwrap() as usize);
        assert!(link(&bundle, "self").unwrap().starts_with(PUBLIC_BASE));
        if pages > 0 {
            assert!(link(&bundle, "previous").unwrap().starts_with(PUBLIC_BASE));
        }
        for entry in entries(&bundle) {
            assert_eq!(entry["search"]["mode"], "match");
            assert_eq!(entry["resource"]["name"][0]["family"], family.as_str());
            let id = entry["resource"]["id"].as_str().unwrap().to_string();
            assert_eq!(entry["fullUrl"], format!("{PUBLIC_BASE}/Patient/{id}"));
            ids.push(id);
        }
        pages += 1;
        match link(&bundle, "next") {
            Some(next) => url = next.to_string(),
            None => break,
        }
    }
    assert_eq!(totals.len(), 1, "total changed between pages: {totals:?}");
    let total = totals.into_iter().next().unwrap();
    assert!(
        total >= 3,
        "family {family} has {total} patients; the paging check needs at least 3"
    );
    assert_eq!(ids.len(), total);
    assert_eq!(
        ids.iter().collect::<BTreeSet<_>>().len(),
        total,
        "a patient appeared on two pages"
    );
    assert_eq!(pages, total.div_ceil(2));

    // The same search as a form POST.
    let posted = server.handle(FhirRequest::post_form(
        "/Patient/_search",
        &format!("family={family}&_count=2"),
    ));
    assert_eq!(posted.status, 200);
    assert_eq!(body(&posted)["total"].as_u64(), Some(total as u64));

    // Read every patient found.
    for id in &ids {
        let response = server.handle(FhirRequest::get(&format!("/Patient/{id}")));
        assert_eq!(response.status, 200, "Patient/{id}");
        assert_eq!(response.header("etag"), Some("W/\"1\""));
        assert!(response.header("last-modified").unwrap().ends_with(" GMT"));
        let patient = body(&response);
        assert_eq!(patient["id"], id.as_str());
        assert!(patient["identifier"][0]["value"]
            .as_str()
            .unwrap()
            .starts_with("MRN"));
    }

    // Create an Observation for the first patient.
    let patient = &ids[0];
    let observation = json!({
        "resourceType": "Observation",
        "status": "final",
        "code": { "coding": [{ "system": LOINC_SYSTEM, "code": "8867-4", "display": "Heart rate" }] },
        "subject": { "reference": format!("Patient/{patient}") },
        "effectiveDateTime": "2024-06-02T09:30:00Z",
        "valueQuantity": { "value": 71, "unit": "/min", "system": "http://unitsofmeasure.org", "code": "/min" },
    });
    let created = server.handle(FhirRequest::post_json("/Observation", &observation));
    assert_eq!(created.status, 201);
    let stored = body(&created);
    let observation_id = stored["id"].as_str().unwrap().to_string();
    assert_eq!(
        created.header("location"),
        Some(format!("{PUBLIC_BASE}/Observation/{observation_id}/_history/1").as_str())
    );
    assert_eq!(created.header("etag"), Some("W/\"1\""));
    assert!(created.header("last-modified").is_some());
    assert_eq!(stored["meta"]["versionId"], "1");
    let read_back = server.handle(FhirRequest::get(relative(
        created.header("location").unwrap(),
    )));
    assert_eq!(body(&read_back), stored);

    // Update it with the version just read.
    let mut changed = stored.clone();
    changed["valueQuantity"]["value"] = json!(74);
    let updated = server.handle(
        FhirRequest::put_json(&format!("/Observation/{observation_id}"), &changed)
            .with_header("if-match", "W/\"1\""),
    );
    assert_eq!(updated.status, 200);
    assert_eq!(updated.header("etag"), Some("W/\"2\""));
    assert_eq!(body(&updated)["valueQuantity"]["value"], 74);
    let first = server.handle(FhirRequest::get(&format!(
        "/Observation/{observation_id}/_history/1"
    )));
    assert_eq!(body(&first)["valueQuantity"]["value"], 71);

    // The patient's observations include the new one.
    let search = server.handle(FhirRequest::get(&format!(
        "/Observation?patient={patient}&code={LOINC_SYSTEM}|8867-4&_count=500"
    )));
    let found: Vec<String> = entries(&body(&search))
        .iter()
        .map(|e| e["resource"]["id"].as_str().unwrap().to_string())
        .collect();
    assert!(found.contains(&observation_id), "{found:?}");

    // Export everything and check each file against the manifest and the store.
    let counts = server.counts();
    let (status_url, manifest, in_progress) = export_until_done(&server, "/$export");
    assert!(in_progress >= 1, "the job was never seen in progress");
    assert_eq!(manifest["requiresAccessToken"], true);
    assert_eq!(manifest["error"], json!([]));
    assert!(manifest["transactionTime"].as_str().unwrap().ends_with('Z'));
    let outputs = manifest["output"].as_array().unwrap();
    assert_eq!(outputs.len(), counts.len());
    for output in outputs {
        let resource_type = output["type"].as_str().unwrap();
        let url = output["url"].as_str().unwrap();
        assert_eq!(
            url,
            format!(
                "{PUBLIC_BASE}/$export-file/{}/{resource_type}.ndjson",
                relative(&status_url).rsplit('/').next().unwrap()
            )
        );
        let file = server.handle(
            FhirRequest::get(relative(url)).with_header("accept", "application/fhir+ndjson"),
        );
        assert_eq!(file.status, 200, "{url}");
        assert_eq!(file.header("content-type"), Some("application/fhir+ndjson"));
        let text = std::str::from_utf8(&file.body).unwrap();
        let mut lines = 0;
        for line in text.lines() {
            let resource: serde_json::Value = serde_json::from_str(line).unwrap();
            assert_eq!(resource["resourceType"], resource_type);
            if resource["id"] == observation_id.as_str() {
                assert_eq!(resource["meta"]["versionId"], "2");
            }
            lines += 1;
        }
        assert_eq!(
            lines,
            output["count"].as_u64().unwrap() as usize,
            "{resource_type}"
        );
        assert_eq!(lines, counts[resource_type], "{resource_type}");
    }

    // Deleting the status URL ends the job.
    assert_eq!(
        server
            .handle(FhirRequest::delete(relative(&status_url)))
            .status,
        202
    );
    assert_eq!(
        server
            .handle(FhirRequest::get(relative(&status_url)))
            .status,
        404
    );
}

#[test]
fn patient_and_group_export() {
    let server = server();
    let (_, manifest, _) = export_until_done(&server, "/Patient/$export?_type=Patient,Coverage");
    let types: Vec<&str> = manifest["output"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["Coverage", "Patient"]);
    assert_eq!(
        manifest["request"],
        format!("{PUBLIC_BASE}/Patient/$export?_type=Patient,Coverage")
    );

    let group = body(&server.handle(FhirRequest::get("/Group/grp-0001")));
    let members = group["member"].as_array().unwrap().len() as u64;
    let (_, manifest, _) = export_until_done(&server, "/Group/grp-0001/$export");
    let patients = manifest["output"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["type"] == "Patient")
        .unwrap();
    assert_eq!(patients["count"].as_u64(), Some(members));
}

#[test]
fn concurrent_requests() {
    let server = server();
    let before = server.counts()["Observation"];
    let threads: Vec<_> = (0..8)
        .map(|thread| {
            let server = server.clone();
            std::thread::spawn(move || {
                for round in 0..25 {
                    let search = server.handle(FhirRequest::get("/Observation?_count=500"));
                    assert_eq!(search.status, 200);
                    let read =
                        server.handle(FhirRequest::get(&format!("/Patient/pat-{:04}", round + 1)));
                    assert_eq!(read.status, 200);
                    let observation = json!({
                        "resourceType": "Observation",
                        "status": "final",
                        "code": { "text": format!("thread {thread} round {round}") },
                    });
                    let created =
                        server.handle(FhirRequest::post_json("/Observation", &observation));
                    assert_eq!(created.status, 201);
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().expect("a request thread panicked");
    }
    assert_eq!(server.counts()["Observation"], before + 8 * 25);
    let all = body(&server.handle(FhirRequest::get("/Observation?_count=500&_offset=0")));
    assert_eq!(all["total"].as_u64(), Some((before + 200) as u64));
}

#[test]
fn same_seed_same_data() {
    let first = body(&server().handle(FhirRequest::get("/Patient?_count=500")));
    let second = body(&server().handle(FhirRequest::get("/Patient?_count=500")));
    assert_eq!(entries(&first), entries(&second));
}
