//! The originator simulator: walks a scenario through a destination's public
//! URL and checks every response it receives against the destination's
//! signed metadata.
//!
//! Every request goes to the inbound gateway's loopback address, whatever
//! host a URL names: the client resolves only the public host, follows no
//! redirects, uses no proxy, and follows a link only when it lies under the
//! public base URL.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hopscope_gateway::{
    record_headers, ExchangeRecord, Participant, RecordSink, RequestRecord, ResponseRecord,
    Timings, EXCHANGE_HEADER,
};
use http::header::{
    HeaderName, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_LOCATION, CONTENT_TYPE, LOCATION,
};
use http::{HeaderMap, Method};

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use url::Url;

use crate::destination::server::{new_exchange_id, unix_millis};
use crate::error::{Error, Result};
use crate::record::body_record;
use crate::scenario::{Scenario, Step};
use crate::signing::{check_digest, verify_jwt_with_certificate, verify_response, SigningIdentity};
use crate::udap::{x5c_chain, JWT_BEARER_ASSERTION};

/// Maximum time an export may stay in progress before the originator gives
/// up polling.
const EXPORT_POLL_LIMIT: Duration = Duration::from_secs(30);

/// Configuration of the originator simulator.
#[derive(Clone)]
pub struct OriginatorConfig {
    /// Originator name (`clinic-a`), written as the hop of its records.
    pub name: String,
    /// The originator's client URI, a SAN URI of its certificate; the `iss`
    /// and `sub` of its software statement and client assertions.
    pub client_uri: String,
    /// Key and chain of the originator credential.
    pub identity: SigningIdentity,
    /// Destination name, for reports.
    pub destination: String,
    /// The destination's public base URL.
    pub public_base: Url,
    /// Address of the inbound gateway that serves the public host.
    pub gateway_addr: SocketAddr,
    /// DER certificates the TLS client trusts: the workspace's authorities.
    pub trust_roots: Vec<Vec<u8>>,
    /// Private URLs of the topology; finding one in a response is a leak.
    pub private_urls: Vec<String>,
    /// SHA-256 (hex) of the destination-signing certificate the workspace
    /// holds, compared with the one in the signed metadata.
    pub expected_signing_sha256: Option<String>,
    /// Sink for the records of its exchanges.
    pub records: Option<RecordSink>,
    /// Speak HTTP/2 to the gateway instead of HTTP/1.1.
    pub http2: bool,
    /// Bytes of each request and response body its records keep; 0 keeps
    /// none.
    pub body_capture_bytes: usize,
}

mod report;
mod steps;

pub use report::{OriginatorCheck, StepOutcome, StepReport};

/// Findings of earlier steps that later steps need.
#[derive(Default)]
struct RunState {
    /// DER destination-signing certificate from the signed metadata.
    signing_certificate: Option<Vec<u8>>,
    registered: bool,
    access_token: Option<String>,
    patient_id: Option<String>,
    /// Set when a step that later steps need failed; they are skipped.
    blocked_by: Option<String>,
}

/// A response as the originator received it.
struct Received {
    status: u16,
    headers: HeaderMap,
    body: Bytes,
}

/// An originator ready to run scenarios against one destination.
pub struct Originator {
    config: OriginatorConfig,
    client: reqwest::Client,
    /// The record of the exchange in progress. `exchange` fills it and
    /// `record_report` sends it once the step has added its checks, since
    /// the record carries the report as its details.
    pending_record: std::sync::Mutex<Option<ExchangeRecord>>,
}

impl Originator {
    pub fn new(config: OriginatorConfig) -> Result<Originator> {
        let client = build_client(&config)?;
        Ok(Originator {
            config,
            client,
            pending_record: Default::default(),
        })
    }

    /// Runs every step of a scenario and returns one report per exchange,
    /// calling `on_report` as each one completes.
    pub async fn run(
        &self,
        scenario: &Scenario,
        mut on_report: impl FnMut(&StepReport),
    ) -> Vec<StepReport> {
        let mut state = RunState::default();
        let mut reports = Vec::new();
        for step in scenario.steps {
            let step = *step;
            if let Some(blocker) = &state.blocked_by {
                let report = self.skipped(step, blocker);
                on_report(&report);
                reports.push(report);
                continue;
            }
            for report in self.run_step(step, &mut state).await {
                on_report(&report);
                reports.push(report);
            }
        }
        reports
    }

    async fn run_step(&self, step: Step, state: &mut RunState) -> Vec<StepReport> {
        match step {
            Step::UdapMetadata => vec![self.udap_metadata(state).await],
            Step::Register => vec![self.register(state).await],
            Step::Token => vec![self.token(state).await],
            Step::Capabilities => {
                let url = self.url("metadata");
                vec![self.fhir_get(step, url, state, &[200]).await.0]
            }
            Step::SearchPaging { pages } => self.search(state, pages).await,
            Step::Read => self.read(state).await,
            Step::Create => vec![self.create(state).await],
            Step::Export => self.export(state).await,
        }
    }

    fn skipped(&self, step: Step, blocker: &str) -> StepReport {
        StepReport {
            exchange_id: String::new(),
            step: step.name().into(),
            method: String::new(),
            url: String::new(),
            status: None,
            expected_status: Vec::new(),
            body_size: 0,
            body_sha256: None,
            token_received_sha256: None,
            checks: BTreeMap::new(),
            error: Some(format!("skipped because {blocker}")),
        }
    }

    fn url(&self, relative: &str) -> String {
        format!(
            "{}/{relative}",
            self.config.public_base.as_str().trim_end_matches('/')
        )
    }

    // The step functions are in steps.rs.

    async fn fhir_get(
        &self,
        step: Step,
        url: String,
        state: &mut RunState,
        expected: &[u16],
    ) -> (StepReport, Option<Received>) {
        let mut headers = self.bearer(state);
        headers.push((ACCEPT, "application/fhir+json".into()));
        let (report, received) = self
            .exchange(step, Method::GET, url, headers, None, expected, state)
            .await;
        self.record_report(&report);
        (report, received)
    }

    fn bearer(&self, state: &RunState) -> Vec<(HeaderName, String)> {
        state
            .access_token
            .as_ref()
            .map(|token| vec![(AUTHORIZATION, format!("Bearer {token}"))])
            .unwrap_or_default()
    }

    fn is_public(&self, url: &str) -> bool {
        let base = self.config.public_base.as_str().trim_end_matches('/');
        url == base || url.starts_with(&format!("{base}/")) || url.starts_with(&format!("{base}?"))
    }

    /// Sends one request with a new exchange id and checks the response.
    /// The caller records the report after adding step-specific checks.
    #[allow(clippy::too_many_arguments)]
    async fn exchange(
        &self,
        step: Step,
        method: Method,
        url: String,
        headers: Vec<(HeaderName, String)>,
        body: Option<(&'static str, Bytes)>,
        expected: &[u16],
        state: &RunState,
    ) -> (StepReport, Option<Received>) {
        let exchange_id = new_exchange_id();
        let mut request_headers = HeaderMap::new();
        request_headers.insert(
            EXCHANGE_HEADER,
            HeaderValue::from_str(&exchange_id).expect("hex is a valid header value"),
        );
        for (name, value) in headers {
            if let Ok(value) = HeaderValue::from_str(&value) {
                request_headers.append(name, value);
            }
        }
        let request_body = body
            .as_ref()
            .map(|(_, bytes)| bytes.clone())
            .unwrap_or_default();
        if let Some((content_type, _)) = &body {
            request_headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        }

        let mut report = StepReport {
            exchange_id: exchange_id.clone(),
            step: step.name().into(),
            method: method.to_string(),
            url: url.clone(),
            status: None,
            expected_status: expected.to_vec(),
            body_size: 0,
            body_sha256: None,
            token_received_sha256: None,
            checks: BTreeMap::new(),
            error: None,
        };
        let started = Instant::now();
        let started_at_unix_ms = unix_millis();
        let sent = self
            .client
            .request(method.clone(), &url)
            .headers(request_headers.clone())
            .body(request_body.clone())
            .send()
            .await;
        let received = match sent {
            Ok(response) => {
                let status = response.status().as_u16();
                let headers = response.headers().clone();
                let first_byte_ms = started.elapsed().as_secs_f64() * 1000.0;
                match response.bytes().await {
                    Ok(body) => Some((
                        Received {
                            status,
                            headers,
                            body,
                        },
                        first_byte_ms,
                    )),
                    Err(error) => {
                        report.error = Some(format!(
                            "the response body from {url} could not be read: {}",
                            error_chain(&error)
                        ));
                        None
                    }
                }
            }
            Err(error) => {
                report.error = Some(format!("{method} {url} failed: {}", error_chain(&error)));
                None
            }
        };
        let total_ms = started.elapsed().as_secs_f64() * 1000.0;

        let mut record = ExchangeRecord {
            exchange_id,
            hop: self.config.name.clone(),
            participant: Participant::Originator,
            started_at_unix_ms,
            http_version: if self.config.http2 {
                "HTTP/2"
            } else {
                "HTTP/1.1"
            }
            .into(),
            request: RequestRecord {
                method: method.to_string(),
                target: url.clone(),
                headers: record_headers(&request_headers),
                body: body_record(&request_body, self.config.body_capture_bytes),
                ..Default::default()
            },
            timings: Timings {
                total_ms,
                ..Default::default()
            },
            error: report.error.clone(),
            ..Default::default()
        };
        let Some((received, first_byte_ms)) = received else {
            *self
                .pending_record
                .lock()
                .unwrap_or_else(|e| e.into_inner()) = Some(record);
            return (report, None);
        };
        record.timings.first_byte_ms = Some(first_byte_ms);

        report.status = Some(received.status);
        report.body_size = received.body.len() as u64;
        report.body_sha256 = Some(hex::encode(Sha256::digest(&received.body)));
        report.checks.insert(
            "expected-status".into(),
            expected_status_check(received.status, expected),
        );
        // The digest needs no certificate, so it is checked even before the
        // signed metadata named the signing certificate.
        let (digest, signature) = match &state.signing_certificate {
            Some(certificate) => verify_response(
                certificate,
                received.status,
                &received.headers,
                &received.body,
            ),
            None => (
                check_digest(&received.headers, &received.body),
                OriginatorCheck::not_applicable("no destination-signing certificate is known yet"),
            ),
        };
        report.checks.insert("content-digest".into(), digest);
        report.checks.insert("signature".into(), signature);
        report
            .checks
            .insert("private-url".into(), self.private_url_check(&received));

        let header_text = |name: &str| {
            received
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        record.response = Some(ResponseRecord {
            status: received.status,
            from_gateway: false,
            headers: record_headers(&received.headers),
            body: body_record(&received.body, self.config.body_capture_bytes),
            content_digest: header_text("content-digest"),
            signature_input: header_text("signature-input"),
            signature: header_text("signature"),
        });
        *self
            .pending_record
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some(record);
        (report, Some(received))
    }

    fn private_url_check(&self, received: &Received) -> OriginatorCheck {
        let mut found = Vec::new();
        let body = String::from_utf8_lossy(&received.body);
        for private in &self.config.private_urls {
            let Some(host) = Url::parse(private)
                .ok()
                .and_then(|u| u.host_str().map(str::to_string))
            else {
                continue;
            };
            if body.contains(&host) {
                found.push(format!("{host} in the body"));
            }
            for name in [LOCATION, CONTENT_LOCATION] {
                if let Some(value) = received.headers.get(&name).and_then(|v| v.to_str().ok()) {
                    if value.contains(&host) {
                        found.push(format!("{host} in {name}: {value}"));
                    }
                }
            }
        }
        if found.is_empty() {
            OriginatorCheck::pass("no private URL in the body, Location or Content-Location")
        } else {
            OriginatorCheck::fail(format!("private URL found: {}", found.join("; ")))
        }
    }

    /// Sends the record of the last exchange with the report as its details.
    fn record_report(&self, report: &StepReport) {
        let Some(mut record) = self
            .pending_record
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        else {
            return;
        };
        record.details = serde_json::to_value(report).ok();
        if let Some(records) = &self.config.records {
            records.send(record);
        }
    }
}

fn build_client(config: &OriginatorConfig) -> Result<reqwest::Client> {
    let mut roots = rustls::RootCertStore::empty();
    for der in &config.trust_roots {
        roots
            .add(rustls_pki_types::CertificateDer::from(der.clone()))
            .map_err(|e| {
                Error::Client(format!(
                    "an authority certificate cannot be used as a TLS root: {e}"
                ))
            })?;
    }
    // The gateway's hops use ring's provider too; the deprecation concerns
    // post-quantum key exchange, which this test client does not need.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Client(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    tls.alpn_protocols = if config.http2 {
        vec![b"h2".to_vec()]
    } else {
        vec![b"http/1.1".to_vec()]
    };
    let host = config
        .public_base
        .host_str()
        .ok_or_else(|| Error::InvalidUrl {
            what: "public",
            url: config.public_base.to_string(),
            reason: "it has no host".into(),
        })?;
    let mut builder = reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .resolve(host, config.gateway_addr)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(Duration::from_secs(60));
    builder = if config.http2 {
        builder.http2_prior_knowledge()
    } else {
        builder.http1_only()
    };
    builder.build().map_err(|e| Error::Client(error_chain(&e)))
}

fn expected_status_check(status: u16, expected: &[u16]) -> OriginatorCheck {
    let expected_text = expected
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(" or ");
    if expected.contains(&status) {
        OriginatorCheck::pass(format!("status {status}, as expected"))
    } else {
        OriginatorCheck::fail(format!("status {status}; expected {expected_text}"))
    }
}

fn first_resource_id(bundle: &Value, resource_type: &str) -> Option<String> {
    bundle
        .get("entry")?
        .as_array()?
        .iter()
        .filter_map(|entry| entry.get("resource"))
        .find(|resource| {
            resource.get("resourceType").and_then(Value::as_str) == Some(resource_type)
        })
        .and_then(|resource| {
            resource
                .get("id")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
}

fn link(bundle: &Value, relation: &str) -> Option<String> {
    bundle
        .get("link")?
        .as_array()?
        .iter()
        .find(|link| link.get("relation").and_then(Value::as_str) == Some(relation))
        .and_then(|link| link.get("url").and_then(Value::as_str).map(str::to_string))
}

fn retry_after(headers: &HeaderMap) -> Duration {
    headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
        .unwrap_or(Duration::from_millis(500))
}

/// Returns the error text of an OAuth or OperationOutcome body, or the
/// start of the body.
fn error_text(body: &[u8]) -> String {
    let value: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    if let Some(description) = value.get("error_description").and_then(Value::as_str) {
        return description.to_string();
    }
    if let Some(diagnostics) = value
        .pointer("/issue/0/diagnostics")
        .and_then(Value::as_str)
    {
        return diagnostics.to_string();
    }
    String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned()
}

/// Joins an error with its sources, since reqwest's top-level message
/// hides the cause (a refused connection, a certificate error).
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
