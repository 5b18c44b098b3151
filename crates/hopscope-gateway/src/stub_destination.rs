//! A minimal FHIR destination over TLS, so that a topology runs end to end
//! before the full destination simulator exists.
//!
//! It serves, under the base path of its private URL:
//! - `GET <base>/metadata`: an R4 `CapabilityStatement`;
//! - `GET <base>/Patient/<id>`: a `Patient` with that id and a fixed
//!   narrative, about 2 KB of JSON;
//! - `GET <base>/Patient[?_count=N]`: a `searchset` Bundle of N such
//!   Patients (default 1, at most 10,000), so `_count=500` is about 1 MB;
//! - `GET <base>/Binary/<id>?bytes=N`: N bytes of `application/octet-stream`
//!   generated while they are sent, never held in memory, for streaming
//!   large bodies;
//! - anything else: 404 with an `OperationOutcome`, and 400 for an invalid
//!   `_count` or `bytes`.
//!
//! Every FHIR body is `application/fhir+json`, and every URL in it is built
//! from the destination's public base URL, never its private one, as a
//! destination behind intermediaries must.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::{CONTENT_LOCATION, CONTENT_TYPE};
use http::{Method, Request, Response, StatusCode};
use http_body::{Body, Frame, SizeHint};
use http_body_util::{Either, Full};
use hyper::body::Incoming;
use hyper::server::conn::{http1, http2};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::accept::accept_until_shutdown;
use crate::config::ServerCertificate;
use crate::error::{Error, Result};
use crate::tls::{CertificateStore, TlsAcceptor};

const FHIR_JSON: &str = "application/fhir+json";
/// Largest `_count` a Patient search accepts.
const MAX_SEARCH_COUNT: usize = 10_000;
/// Distinct `_count` values whose serialized Bundle a site keeps, so a load
/// test measures the hops rather than the destination's JSON encoding.
const CACHED_BUNDLES: usize = 8;
/// Size of each frame of a generated `Binary` body.
const GENERATED_CHUNK: usize = 64 * 1024;
/// Bytes that generated bodies repeat, all printable ASCII so that a body
/// can be checked by eye.
static GENERATED_PATTERN: [u8; GENERATED_CHUNK] = generated_pattern();

/// Body of a stub response: a serialized FHIR resource or a generated one.
type StubBody = Either<Full<Bytes>, GeneratedBody>;

/// Configuration of one stub destination: its address, base path, public URL and certificate.
#[derive(Clone, Debug)]
pub struct StubDestinationConfig {
    /// Destination name, used in logs and bodies (`d-corp`).
    pub name: String,
    /// Must be a loopback address.
    pub bind: SocketAddr,
    /// Path of the private URL it serves under (`/fhir`); empty or `/` for
    /// the root.
    pub base_path: String,
    /// Public FHIR base URL, without a trailing slash, used in every URL the
    /// bodies contain (`https://fhir.int-one.test:8443/d-corp`).
    pub public_base_url: String,
    /// Certificate of the private URL's host.
    pub certificate: ServerCertificate,
}

/// A running stub destination.
pub struct StubDestination {
    name: String,
    local_addr: SocketAddr,
    certificates: CertificateStore,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl StubDestination {
    /// Binds the listener and starts serving.
    pub async fn start(config: StubDestinationConfig) -> Result<Self> {
        if !config.bind.ip().is_loopback() {
            return Err(Error::NonLoopbackBind {
                hop: config.name.clone(),
                addr: config.bind,
            });
        }
        let certificates = CertificateStore::new(std::slice::from_ref(&config.certificate))?;
        let socket = TcpListener::bind(config.bind)
            .await
            .map_err(|source| Error::Bind {
                hop: config.name.clone(),
                addr: config.bind,
                source,
            })?;
        let local_addr = socket.local_addr().map_err(|source| Error::Bind {
            hop: config.name.clone(),
            addr: config.bind,
            source,
        })?;
        let (shutdown, receiver) = watch::channel(false);
        let site = Arc::new(Site {
            name: config.name.clone(),
            base_path: config.base_path.trim_end_matches('/').to_string(),
            public_base_url: config.public_base_url.trim_end_matches('/').to_string(),
            bundles: Mutex::new(HashMap::new()),
        });
        let acceptor = TlsAcceptor::new(certificates.clone());
        tracing::info!(destination = %config.name, addr = %local_addr, "stub destination started");
        let task = tokio::spawn(accept_loop(socket, acceptor, site, receiver));
        Ok(Self {
            name: config.name,
            local_addr,
            certificates,
            shutdown,
            task,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Returns the certificate store, to read or replace its certificate.
    pub fn certificates(&self) -> CertificateStore {
        self.certificates.clone()
    }

    /// Stops accepting and closes open connections.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        if let Err(error) = self.task.await {
            tracing::error!(destination = %self.name, error = %error, "stub destination task failed");
        }
    }
}

/// The names and paths a stub destination builds its responses from.
struct Site {
    name: String,
    base_path: String,
    public_base_url: String,
    /// Serialized searchset Bundles by `_count`, at most `CACHED_BUNDLES`.
    bundles: Mutex<HashMap<usize, Bytes>>,
}

async fn accept_loop(
    socket: TcpListener,
    acceptor: TlsAcceptor,
    site: Arc<Site>,
    shutdown: watch::Receiver<bool>,
) {
    let server = format!("stub destination {}", site.name);
    accept_until_shutdown(socket, shutdown, &server, |tcp, peer| {
        serve_connection(tcp, peer, acceptor.clone(), site.clone())
    })
    .await;
}

async fn serve_connection(
    tcp: tokio::net::TcpStream,
    peer: SocketAddr,
    acceptor: TlsAcceptor,
    site: Arc<Site>,
) {
    let (tls, info) = match acceptor.accept(tcp).await {
        Ok(accepted) => accepted,
        Err(error) => {
            tracing::warn!(destination = %site.name, peer = %peer, error = %error, "TLS handshake failed");
            return;
        }
    };
    let io = TokioIo::new(tls);
    let name = site.name.clone();
    let service = service_fn(move |request| {
        let site = site.clone();
        async move { Ok::<_, Infallible>(respond(&site, &request)) }
    });
    let result = if info.alpn.as_deref() == Some("h2") {
        http2::Builder::new(TokioExecutor::new())
            .serve_connection(io, service)
            .await
    } else {
        http1::Builder::new().serve_connection(io, service).await
    };
    if let Err(error) = result {
        tracing::debug!(destination = %name, peer = %peer, error = %error, "client connection ended with an error");
    }
}

fn respond(site: &Site, request: &Request<Incoming>) -> Response<StubBody> {
    let path = request.uri().path();
    let relative = match path.strip_prefix(site.base_path.as_str()) {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => rest.trim_start_matches('/'),
        _ => return not_found(site, path),
    };
    if request.method() != Method::GET {
        return not_found(site, path);
    }
    let query = request.uri().query().unwrap_or("");
    let segments: Vec<&str> = relative.split('/').collect();
    match segments.as_slice() {
        ["metadata"] => fhir_json(StatusCode::OK, capability_statement(site), None),
        ["Patient"] => match query_value(query, "_count").map_or(Ok(1), str::parse::<usize>) {
            Ok(count) if (1..=MAX_SEARCH_COUNT).contains(&count) => {
                fhir_body(StatusCode::OK, patient_bundle_bytes(site, count), None)
            }
            _ => invalid(
                site,
                &format!("_count must be a whole number from 1 to {MAX_SEARCH_COUNT}, in {query:?}"),
            ),
        },
        ["Patient", id] if is_fhir_id(id) => {
            let location = format!("{}/Patient/{id}", site.public_base_url);
            fhir_json(StatusCode::OK, patient(site, id), Some(location))
        }
        ["Binary", id] if is_fhir_id(id) => match query_value(query, "bytes").map(str::parse::<u64>) {
            Some(Ok(size)) => generated_binary(size),
            _ => invalid(site, &format!("bytes must be a whole number of bytes, in {query:?}")),
        },
        _ => not_found(site, path),
    }
}

/// Returns the value of the first query parameter called `name`, without
/// percent-decoding, which the numbers this stub reads do not need.
fn query_value<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// Checks the FHIR id syntax: 1 to 64 of `A-Z a-z 0-9 - .`.
fn is_fhir_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
}

fn capability_statement(site: &Site) -> Value {
    json!({
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": "2024-01-01",
        "kind": "instance",
        "software": { "name": "Hopscope stub destination" },
        "implementation": {
            "description": format!("{} (Hopscope stub destination)", site.name),
            "url": site.public_base_url,
        },
        "fhirVersion": "4.0.1",
        "format": [FHIR_JSON],
        "rest": [{
            "mode": "server",
            "resource": [{
                "type": "Patient",
                "interaction": [{ "code": "read" }, { "code": "search-type" }]
            }]
        }]
    })
}

fn patient(site: &Site, id: &str) -> Value {
    json!({
        "resourceType": "Patient",
        "id": id,
        "meta": { "source": format!("{}/Patient/{id}", site.public_base_url) },
        "text": { "status": "generated", "div": patient_narrative() },
        "identifier": [{
            "system": format!("{}/patient-ids", site.public_base_url),
            "value": id
        }],
        "name": [{ "family": "Chalmers", "given": ["Peter"] }],
        "gender": "male",
        "birthDate": "1974-12-25"
    })
}

/// Builds the XHTML narrative of every Patient, a fixed visit table that
/// brings a Patient to about 2 KB of JSON (the gateway benchmark's read).
fn patient_narrative() -> String {
    let mut div = String::from(
        "<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>Peter Chalmers, male, born 25 December 1974.</p>\
         <table><tr><th>Date</th><th>Visit</th><th>Outcome</th></tr>",
    );
    for month in 1..=12 {
        div.push_str(&format!(
            "<tr><td>2023-{month:02}-15</td><td>Routine review at the outpatient clinic, blood pressure normal</td>\
             <td>No change in medication</td></tr>"
        ));
    }
    div.push_str("</table></div>");
    div
}

/// Returns the serialized searchset Bundle of `count` Patients, from the
/// site's cache when it has it.
fn patient_bundle_bytes(site: &Site, count: usize) -> Bytes {
    let mut bundles = site.bundles.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(bytes) = bundles.get(&count) {
        return bytes.clone();
    }
    let bytes = Bytes::from(patient_bundle(site, count).to_string());
    if bundles.len() < CACHED_BUNDLES {
        bundles.insert(count, bytes.clone());
    }
    bytes
}

fn patient_bundle(site: &Site, count: usize) -> Value {
    let entries: Vec<Value> = (1..=count)
        .map(|n| {
            json!({
                "fullUrl": format!("{}/Patient/{n}", site.public_base_url),
                "resource": patient(site, &n.to_string()),
                "search": { "mode": "match" }
            })
        })
        .collect();
    json!({
        "resourceType": "Bundle",
        "type": "searchset",
        "total": count,
        "link": [{ "relation": "self", "url": format!("{}/Patient?_count={count}", site.public_base_url) }],
        "entry": entries
    })
}

fn generated_binary(size: u64) -> Response<StubBody> {
    Response::builder()
        .status(StatusCode::OK)
        .header(CONTENT_TYPE, "application/octet-stream")
        .body(Either::Right(GeneratedBody { remaining: size }))
        .expect("static status and valid header values")
}

const fn generated_pattern() -> [u8; GENERATED_CHUNK] {
    let mut pattern = [0u8; GENERATED_CHUNK];
    let mut i = 0;
    while i < GENERATED_CHUNK {
        pattern[i] = b'!' + (i % 94) as u8;
        i += 1;
    }
    pattern
}

/// A body of `remaining` bytes sent in frames of `GENERATED_CHUNK` that
/// share one static buffer, so its size does not change the memory used.
pub struct GeneratedBody {
    remaining: u64,
}

impl Body for GeneratedBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _context: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.remaining == 0 {
            return Poll::Ready(None);
        }
        let length = self.remaining.min(GENERATED_CHUNK as u64) as usize;
        self.remaining -= length as u64;
        let chunk = Bytes::from_static(&GENERATED_PATTERN[..length]);
        Poll::Ready(Some(Ok(Frame::data(chunk))))
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

fn invalid(site: &Site, diagnostics: &str) -> Response<StubBody> {
    let outcome = json!({
        "resourceType": "OperationOutcome",
        "issue": [{
            "severity": "error",
            "code": "invalid",
            "diagnostics": format!("{}: {diagnostics}", site.name)
        }]
    });
    fhir_json(StatusCode::BAD_REQUEST, outcome, None)
}

fn not_found(site: &Site, path: &str) -> Response<StubBody> {
    let outcome = json!({
        "resourceType": "OperationOutcome",
        "issue": [{
            "severity": "error",
            "code": "not-found",
            "diagnostics": format!("{}: no resource at {path}", site.name)
        }]
    });
    fhir_json(StatusCode::NOT_FOUND, outcome, None)
}

fn fhir_json(status: StatusCode, body: Value, content_location: Option<String>) -> Response<StubBody> {
    fhir_body(status, Bytes::from(body.to_string()), content_location)
}

fn fhir_body(status: StatusCode, body: Bytes, content_location: Option<String>) -> Response<StubBody> {
    let mut builder = Response::builder()
        .status(status)
        .header(CONTENT_TYPE, FHIR_JSON);
    if let Some(location) = content_location {
        builder = builder.header(CONTENT_LOCATION, location);
    }
    builder
        .body(Either::Left(Full::new(body)))
        .expect("static status and valid header values")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> Site {
        Site {
            name: "d-corp".into(),
            base_path: "/fhir".into(),
            public_base_url: "https://fhir.int-one.test:8443/d-corp".into(),
            bundles: Mutex::new(HashMap::new()),
        }
    }

    #[test]
    fn patient_refers_to_public_url_only() {
        let bundle = patient_bundle(&site(), 1);

        assert_eq!(bundle["entry"][0]["fullUrl"], "https://fhir.int-one.test:8443/d-corp/Patient/1");
        assert_eq!(bundle["link"][0]["url"], "https://fhir.int-one.test:8443/d-corp/Patient?_count=1");
        assert_eq!(
            bundle["entry"][0]["resource"]["meta"]["source"],
            "https://fhir.int-one.test:8443/d-corp/Patient/1"
        );
    }

    #[test]
    fn fhir_id_syntax() {
        assert!(is_fhir_id("1"));
        assert!(is_fhir_id("a-b.C"));
        assert!(!is_fhir_id(""));
        assert!(!is_fhir_id("a_b"));
        assert!(!is_fhir_id(&"x".repeat(65)));
    }

    #[test]
    fn patient_is_about_two_kilobytes() {
        let size = patient(&site(), "1").to_string().len();

        assert!((1900..=2200).contains(&size), "Patient/1 is {size} bytes");
    }

    #[test]
    fn bundle_has_count_entries() {
        let bundle = patient_bundle(&site(), 3);

        assert_eq!(bundle["total"], 3);
        assert_eq!(bundle["entry"].as_array().unwrap().len(), 3);
        assert_eq!(bundle["entry"][2]["fullUrl"], "https://fhir.int-one.test:8443/d-corp/Patient/3");
    }

    #[test]
    fn bundle_cache_is_bounded() {
        let site = site();
        for count in 1..=CACHED_BUNDLES + 2 {
            let bytes = patient_bundle_bytes(&site, count);
            assert_eq!(bytes, Bytes::from(patient_bundle(&site, count).to_string()));
        }

        assert_eq!(site.bundles.lock().unwrap().len(), CACHED_BUNDLES);
    }

    #[test]
    fn query_value_lookup() {
        assert_eq!(query_value("", "_count"), None);
        assert_eq!(query_value("_count=500", "_count"), Some("500"));
        assert_eq!(query_value("a=b&_count=7&_count=8", "_count"), Some("7"));
        assert_eq!(query_value("x_count=7", "_count"), None);
    }

    #[test]
    fn generated_body_sends_exact_size() {
        let mut body = GeneratedBody { remaining: 2 * GENERATED_CHUNK as u64 + 5 };
        let waker = std::task::Waker::noop();
        let mut context = Context::from_waker(waker);
        let mut sizes = Vec::new();
        while let Poll::Ready(Some(frame)) = Pin::new(&mut body).poll_frame(&mut context) {
            sizes.push(frame.unwrap().into_data().unwrap().len());
        }

        assert_eq!(sizes, vec![GENERATED_CHUNK, GENERATED_CHUNK, 5]);
        assert!(body.is_end_stream());
        assert_eq!(GENERATED_PATTERN[0], b'!');
        assert_eq!(GENERATED_PATTERN[93], b'~');
    }
}
