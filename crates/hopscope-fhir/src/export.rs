//! Bulk export with the FHIR asynchronous request pattern: kick-off, status
//! polling, file download and cancellation.
//!
//! A job takes its snapshot of the store at kick-off, so later writes do not
//! change its files, and reports itself in progress until the configured
//! export delay has passed.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use http::header::{CONTENT_LOCATION, CONTENT_TYPE, RETRY_AFTER};
use http::{HeaderName, StatusCode};
use serde_json::{json, Value};

use crate::outcome::{operation_outcome, FhirError};
use crate::request::{FhirResponse, FHIR_NDJSON};
use crate::sample::SampleRng;
use crate::search_params::split_reference;
use crate::server::Context;
use crate::store::{supported_type, Store, RESOURCE_TYPES};
use crate::time_format::{format_instant, now, parse_instant};

/// Resource types in the Patient compartment, with the elements that refer
/// to the patient. `Patient` itself is matched by id.
const PATIENT_COMPARTMENT: &[(&str, &str)] = &[
    ("Coverage", "beneficiary"),
    ("Encounter", "subject"),
    ("Observation", "subject"),
    ("Patient", "id"),
];

/// `_outputFormat` values that name NDJSON, as the Bulk Data specification lists them.
const NDJSON_FORMATS: &[&str] = &["application/fhir+ndjson", "application/ndjson", "ndjson"];

/// Scope of a kick-off: the resources it exports.
#[derive(Debug, Clone)]
pub(crate) enum ExportScope {
    /// `/$export`: every resource.
    System,
    /// `/Patient/$export`: the Patient compartment of every patient.
    Patient,
    /// `/Group/<id>/$export`: the Patient compartment of the group's members.
    Group(String),
}

#[derive(Debug)]
struct ExportFile {
    resource_type: &'static str,
    ndjson: String,
    count: usize,
}

#[derive(Debug)]
struct ExportJob {
    kicked_off: Instant,
    transaction_time: String,
    /// Kick-off path and query relative to the base, for the manifest's `request`.
    request: String,
    files: Vec<ExportFile>,
}

/// Export jobs by id. Cancelled jobs are removed.
#[derive(Debug)]
pub(crate) struct ExportJobs {
    jobs: BTreeMap<String, ExportJob>,
    ids: SampleRng,
    delay: Duration,
}

/// Parameters of a kick-off, checked against the scope.
struct KickOff {
    types: Vec<&'static str>,
    since: Option<time::OffsetDateTime>,
    ignored: Vec<String>,
}

fn parse_kick_off(scope: &ExportScope, context: &Context) -> Result<KickOff, FhirError> {
    let scope_types: Vec<&'static str> = match scope {
        ExportScope::System => RESOURCE_TYPES.iter().map(|(t, _)| *t).collect(),
        ExportScope::Patient | ExportScope::Group(_) => {
            PATIENT_COMPARTMENT.iter().map(|(t, _)| *t).collect()
        }
    };
    let mut kick_off = KickOff {
        types: scope_types.clone(),
        since: None,
        ignored: Vec::new(),
    };
    for (name, value) in &context.params {
        match name.as_str() {
            "_outputFormat" => {
                // A `+` in the query decodes to a space unless encoded as %2B.
                let format = value.replace(' ', "+");
                if !NDJSON_FORMATS.contains(&format.as_str()) {
                    return Err(FhirError::Invalid(format!(
                        "_outputFormat={value} is not supported; use application/fhir+ndjson or leave it out"
                    )));
                }
            }
            "_type" => {
                let mut types = Vec::new();
                for name in value.split(',').map(str::trim).filter(|t| !t.is_empty()) {
                    let resource_type = supported_type(name)
                        .filter(|t| scope_types.contains(t))
                        .ok_or_else(|| {
                            FhirError::Invalid(format!(
                                "_type {name} cannot be exported at this level; choose from {}",
                                scope_types.join(", ")
                            ))
                        })?;
                    types.push(resource_type);
                }
                kick_off.types.retain(|t| types.contains(t));
            }
            "_since" => {
                let since = parse_instant(value).ok_or_else(|| {
                    FhirError::Invalid(format!("_since={value} is not a FHIR instant; use one such as 2024-01-31T09:30:00Z"))
                })?;
                kick_off.since = Some(since);
            }
            "_format" | "_pretty" => {}
            other => {
                if context.prefer.strict {
                    return Err(FhirError::Invalid(format!(
                        "export parameter {other} is not supported; remove it, or leave out Prefer: handling=strict to have it ignored"
                    )));
                }
                kick_off.ignored.push(format!(
                    "export parameter {other} is not supported; it was ignored"
                ));
            }
        }
    }
    Ok(kick_off)
}

/// Returns the ids of the patients whose compartments a scope exports, or
/// `None` for every resource.
fn scope_patients(scope: &ExportScope, store: &Store) -> Result<Option<Vec<String>>, FhirError> {
    match scope {
        ExportScope::System => Ok(None),
        ExportScope::Patient => Ok(Some(
            store
                .all("Patient")
                .filter_map(|p| p["id"].as_str().map(str::to_string))
                .collect(),
        )),
        ExportScope::Group(id) => {
            let group = store
                .current("Group", id)
                .ok_or_else(|| FhirError::NotFound(format!("Group/{id} was not found")))?;
            let members = group["member"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|m| m["entity"]["reference"].as_str())
                .filter_map(|reference| match split_reference(reference) {
                    (Some("Patient"), id) => Some(id.to_string()),
                    _ => None,
                })
                .collect();
            Ok(Some(members))
        }
    }
}

fn in_compartment(resource_type: &str, resource: &Value, patients: &[String]) -> bool {
    let Some((_, element)) = PATIENT_COMPARTMENT
        .iter()
        .find(|(t, _)| *t == resource_type)
    else {
        return false;
    };
    let id = if *element == "id" {
        resource["id"].as_str()
    } else {
        resource[*element]["reference"]
            .as_str()
            .map(|r| split_reference(r).1)
    };
    id.is_some_and(|id| patients.iter().any(|p| p == id))
}

impl ExportJobs {
    pub fn new(seed: u64, delay: Duration) -> Self {
        Self {
            jobs: BTreeMap::new(),
            ids: SampleRng::new(seed ^ 0x6578_706f_7274),
            delay,
        }
    }

    /// Starts a job and returns the 202 kick-off response.
    // NOTE: jobs stay until cancelled, so a client that never sends DELETE
    // keeps its snapshot in memory for the server's lifetime.
    pub fn kick_off(
        &mut self,
        store: &Store,
        scope: ExportScope,
        path: &str,
        query: Option<&str>,
        context: &Context,
    ) -> Result<FhirResponse, FhirError> {
        if !context.prefer.respond_async {
            return Err(FhirError::Invalid(
                "bulk export is asynchronous and requires the header Prefer: respond-async".into(),
            ));
        }
        let kick_off = parse_kick_off(&scope, context)?;
        let patients = scope_patients(&scope, store)?;
        let files = kick_off
            .types
            .iter()
            .filter_map(|resource_type| {
                let lines: Vec<String> = store
                    .all(resource_type)
                    .filter(|r| {
                        patients
                            .as_ref()
                            .is_none_or(|p| in_compartment(resource_type, r, p))
                    })
                    .filter(|r| {
                        let updated = r["meta"]["lastUpdated"].as_str().and_then(parse_instant);
                        kick_off
                            .since
                            .is_none_or(|since| updated.is_some_and(|u| u > since))
                    })
                    .map(Value::to_string)
                    .collect();
                // The manifest lists no file for a type without resources.
                (!lines.is_empty()).then(|| ExportFile {
                    resource_type,
                    count: lines.len(),
                    ndjson: lines.join("\n") + "\n",
                })
            })
            .collect();

        let job_id = loop {
            let id = format!("{:016x}", self.ids.next_u64());
            if !self.jobs.contains_key(&id) {
                break id;
            }
        };
        let request = match query {
            Some(query) if !query.is_empty() => format!("{path}?{query}"),
            _ => path.to_string(),
        };
        self.jobs.insert(
            job_id.clone(),
            ExportJob {
                kicked_off: Instant::now(),
                transaction_time: format_instant(now()),
                request,
                files,
            },
        );

        let mut outcome = operation_outcome(
            "information",
            "informational",
            &format!(
                "export job {job_id} accepted; poll the Content-Location URL until it returns 200"
            ),
        );
        for reason in &kick_off.ignored {
            outcome["issue"]
                .as_array_mut()
                .expect("operation_outcome builds an issue array")
                .push(json!({ "severity": "warning", "code": "not-supported", "diagnostics": reason }));
        }
        let mut response = FhirResponse::json(StatusCode::ACCEPTED, &outcome, context.pretty);
        response.set_header(
            CONTENT_LOCATION,
            &format!("{}/$export-status/{job_id}", context.base),
        );
        Ok(response)
    }

    fn job(&self, job_id: &str) -> Result<&ExportJob, FhirError> {
        self.jobs.get(job_id).ok_or_else(|| {
            FhirError::NotFound(format!("export job {job_id} was not found; it may have been cancelled, so kick off a new export"))
        })
    }

    /// Returns 202 with progress while the job runs, then 200 with the manifest.
    pub fn status(&self, job_id: &str, context: &Context) -> Result<FhirResponse, FhirError> {
        let job = self.job(job_id)?;
        let elapsed = job.kicked_off.elapsed();
        if elapsed < self.delay {
            let percent = (elapsed.as_secs_f64() / self.delay.as_secs_f64() * 100.0) as u32;
            let mut response = FhirResponse::empty(StatusCode::ACCEPTED);
            response.set_header(
                HeaderName::from_static("x-progress"),
                &format!("in progress, {percent}%"),
            );
            response.set_header(RETRY_AFTER, "1");
            return Ok(response);
        }
        let output: Vec<Value> = job
            .files
            .iter()
            .map(|file| {
                json!({
                    "type": file.resource_type,
                    "url": format!("{}/$export-file/{job_id}/{}.ndjson", context.base, file.resource_type),
                    "count": file.count,
                })
            })
            .collect();
        let manifest = json!({
            "transactionTime": job.transaction_time,
            "request": format!("{}{}", context.base, job.request),
            "requiresAccessToken": true,
            "output": output,
            "error": [],
        });
        let mut response = FhirResponse::json(StatusCode::OK, &manifest, context.pretty);
        // The manifest is plain JSON, not a FHIR resource, as the Bulk Data
        // Access specification (v2.0.0) requires.
        response.set_header(CONTENT_TYPE, "application/json");
        Ok(response)
    }

    /// Deletes a job, running or finished, and returns 202.
    pub fn cancel(&mut self, job_id: &str) -> Result<FhirResponse, FhirError> {
        self.job(job_id)?;
        self.jobs.remove(job_id);
        Ok(FhirResponse::empty(StatusCode::ACCEPTED))
    }

    /// Returns one NDJSON file of a finished job.
    pub fn file(&self, job_id: &str, file_name: &str) -> Result<FhirResponse, FhirError> {
        let job = self.job(job_id)?;
        if job.kicked_off.elapsed() < self.delay {
            return Err(FhirError::NotFound(format!(
                "export job {job_id} is still in progress; download files after its status returns 200"
            )));
        }
        let file = job
            .files
            .iter()
            .find(|f| format!("{}.ndjson", f.resource_type) == file_name)
            .ok_or_else(|| {
                FhirError::NotFound(format!(
                    "export job {job_id} has no file {file_name}; use a URL from its manifest"
                ))
            })?;
        let mut response = FhirResponse::empty(StatusCode::OK);
        response.set_header(CONTENT_TYPE, FHIR_NDJSON);
        response.body = bytes::Bytes::from(file.ndjson.clone());
        Ok(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::{parse_form, Prefer};

    const BASE: &str = "https://fhir.int-one.test:8443/d-corp";

    fn context(query: &str, respond_async: bool) -> Context {
        Context {
            base: BASE.to_string(),
            pretty: false,
            prefer: Prefer {
                respond_async,
                ..Prefer::default()
            },
            params: parse_form(query),
        }
    }

    fn store() -> Store {
        Store::with_resources(crate::sample::generate(4))
    }

    /// Kicks off a job with no delay and returns its id and manifest.
    fn export(scope: ExportScope, query: &str) -> (String, Value) {
        let mut jobs = ExportJobs::new(4, Duration::ZERO);
        let context = context(query, true);
        let response = jobs
            .kick_off(&store(), scope, "/$export", Some(query), &context)
            .unwrap();
        assert_eq!(response.status, StatusCode::ACCEPTED);
        let location = response.header("content-location").unwrap().to_string();
        let job = location.rsplit('/').next().unwrap().to_string();
        let manifest = jobs.status(&job, &context).unwrap().json_body().unwrap();
        (job, manifest)
    }

    fn exported_types(manifest: &Value) -> Vec<&str> {
        manifest["output"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["type"].as_str().unwrap())
            .collect()
    }

    #[test]
    fn system_export_lists_every_type() {
        let (job, manifest) = export(ExportScope::System, "");
        let counts = store().counts();
        for output in manifest["output"].as_array().unwrap() {
            let resource_type = output["type"].as_str().unwrap();
            assert_eq!(
                output["count"].as_u64().unwrap() as usize,
                counts[resource_type],
                "{resource_type}"
            );
            assert_eq!(
                output["url"],
                format!("{BASE}/$export-file/{job}/{resource_type}.ndjson")
            );
        }
        assert_eq!(exported_types(&manifest).len(), RESOURCE_TYPES.len());
        assert_eq!(manifest["requiresAccessToken"], true);
        assert_eq!(manifest["request"], format!("{BASE}/$export"));
    }

    #[test]
    fn type_filter() {
        let (_, manifest) = export(ExportScope::System, "_type=Patient,Observation");
        assert_eq!(exported_types(&manifest), ["Observation", "Patient"]);
    }

    #[test]
    fn patient_export_is_compartment_only() {
        let (_, manifest) = export(ExportScope::Patient, "");
        assert_eq!(
            exported_types(&manifest),
            ["Coverage", "Encounter", "Observation", "Patient"]
        );
        let mut jobs = ExportJobs::new(4, Duration::ZERO);
        let context = context("_type=Practitioner", true);
        let error = jobs
            .kick_off(
                &store(),
                ExportScope::Patient,
                "/Patient/$export",
                None,
                &context,
            )
            .unwrap_err();
        assert!(error.to_string().contains("Practitioner"), "{error}");
    }

    #[test]
    fn group_export_is_members_only() {
        let store = store();
        let group = store.current("Group", "grp-0001").unwrap();
        let members = group["member"].as_array().unwrap().len();
        let (_, manifest) = export(ExportScope::Group("grp-0001".into()), "_type=Patient");
        assert_eq!(
            manifest["output"][0]["count"].as_u64().unwrap() as usize,
            members
        );
        let mut jobs = ExportJobs::new(4, Duration::ZERO);
        let missing = jobs.kick_off(
            &store,
            ExportScope::Group("grp-9999".into()),
            "/Group/grp-9999/$export",
            None,
            &context("", true),
        );
        assert_eq!(missing.unwrap_err().status(), StatusCode::NOT_FOUND);
    }

    #[test]
    fn since_filters_by_last_updated() {
        let (_, manifest) = export(ExportScope::System, "_since=2100-01-01T00:00:00Z");
        assert!(exported_types(&manifest).is_empty());
    }

    #[test]
    fn kick_off_rejections() {
        let mut jobs = ExportJobs::new(4, Duration::ZERO);
        let cases = [
            ("", false, "Prefer: respond-async"),
            ("_outputFormat=text/csv", true, "_outputFormat"),
            ("_type=Invoice", true, "Invoice"),
            ("_since=yesterday", true, "_since"),
        ];
        for (query, respond_async, expected) in cases {
            let error = jobs
                .kick_off(
                    &store(),
                    ExportScope::System,
                    "/$export",
                    None,
                    &context(query, respond_async),
                )
                .unwrap_err();
            assert_eq!(error.status(), StatusCode::BAD_REQUEST, "{query}");
            assert!(error.to_string().contains(expected), "{query}: {error}");
        }
    }

    #[test]
    fn ndjson_output_format_spellings() {
        for format in [
            "application/fhir%2Bndjson",
            "application/fhir+ndjson",
            "application/ndjson",
            "ndjson",
        ] {
            let (_, manifest) = export(
                ExportScope::System,
                &format!("_outputFormat={format}&_type=Group"),
            );
            assert_eq!(exported_types(&manifest), ["Group"], "{format}");
        }
    }

    #[test]
    fn in_progress_until_delay() {
        let mut jobs = ExportJobs::new(4, Duration::from_secs(3600));
        let context = context("", true);
        let response = jobs
            .kick_off(&store(), ExportScope::System, "/$export", None, &context)
            .unwrap();
        let job = response
            .header("content-location")
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap()
            .to_string();
        let status = jobs.status(&job, &context).unwrap();
        assert_eq!(status.status, StatusCode::ACCEPTED);
        assert_eq!(status.header("retry-after"), Some("1"));
        assert!(status
            .header("x-progress")
            .unwrap()
            .starts_with("in progress"));
        assert_eq!(
            jobs.file(&job, "Patient.ndjson").unwrap_err().status(),
            StatusCode::NOT_FOUND
        );
    }

    #[test]
    fn file_and_cancel() {
        let mut jobs = ExportJobs::new(4, Duration::ZERO);
        let context = context("", true);
        let response = jobs
            .kick_off(&store(), ExportScope::System, "/$export", None, &context)
            .unwrap();
        let job = response
            .header("content-location")
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap()
            .to_string();
        let file = jobs.file(&job, "Organization.ndjson").unwrap();
        assert_eq!(file.header("content-type"), Some(FHIR_NDJSON));
        let text = std::str::from_utf8(&file.body).unwrap();
        for line in text.lines() {
            let resource: Value = serde_json::from_str(line).unwrap();
            assert_eq!(resource["resourceType"], "Organization");
        }
        assert_eq!(
            jobs.file(&job, "Invoice.ndjson").unwrap_err().status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(jobs.cancel(&job).unwrap().status, StatusCode::ACCEPTED);
        assert_eq!(
            jobs.status(&job, &context).unwrap_err().status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            jobs.cancel(&job).unwrap_err().status(),
            StatusCode::NOT_FOUND
        );
    }
}
