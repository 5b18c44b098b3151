//! A minimal FHIR destination over TLS, so that a topology runs end to end
//! before the full destination simulator exists.
//!
//! It serves, under the base path of its private URL:
//! - `GET <base>/metadata`: an R4 `CapabilityStatement`;
//! - `GET <base>/Patient/<id>`: a small `Patient` with that id;
//! - `GET <base>/Patient`: a `searchset` Bundle with one Patient;
//! - anything else: 404 with an `OperationOutcome`.
//!
//! Every body is `application/fhir+json`, and every URL in it is built from
//! the destination's public base URL, never its private one, as a
//! destination behind intermediaries must.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http::header::{CONTENT_LOCATION, CONTENT_TYPE};
use http::{Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::{http1, http2};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use crate::config::ServerCertificate;
use crate::error::{Error, Result};
use crate::tls::{CertificateStore, TlsAcceptor};

const FHIR_JSON: &str = "application/fhir+json";

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
}

async fn accept_loop(
    socket: TcpListener,
    acceptor: TlsAcceptor,
    site: Arc<Site>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = socket.accept() => match accepted {
                Ok((tcp, peer)) => {
                    connections.spawn(serve_connection(tcp, peer, acceptor.clone(), site.clone()));
                }
                Err(error) => {
                    tracing::warn!(destination = %site.name, error = %error, "accepting a connection failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            }
        }
    }
    // Every response is small and immediate, so open connections are idle
    // keep-alives that can be closed without waiting.
    connections.abort_all();
    while connections.join_next().await.is_some() {}
    tracing::info!(destination = %site.name, "stub destination stopped");
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

fn respond(site: &Site, request: &Request<Incoming>) -> Response<Full<Bytes>> {
    let path = request.uri().path();
    let relative = match path.strip_prefix(site.base_path.as_str()) {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => rest.trim_start_matches('/'),
        _ => return not_found(site, path),
    };
    if request.method() != Method::GET {
        return not_found(site, path);
    }
    let segments: Vec<&str> = relative.split('/').collect();
    match segments.as_slice() {
        ["metadata"] => fhir_json(StatusCode::OK, capability_statement(site), None),
        ["Patient"] => fhir_json(StatusCode::OK, patient_bundle(site), None),
        ["Patient", id] if is_fhir_id(id) => {
            let location = format!("{}/Patient/{id}", site.public_base_url);
            fhir_json(StatusCode::OK, patient(site, id), Some(location))
        }
        _ => not_found(site, path),
    }
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
        "identifier": [{
            "system": format!("{}/patient-ids", site.public_base_url),
            "value": id
        }],
        "name": [{ "family": "Chalmers", "given": ["Peter"] }],
        "gender": "male",
        "birthDate": "1974-12-25"
    })
}

fn patient_bundle(site: &Site) -> Value {
    json!({
        "resourceType": "Bundle",
        "type": "searchset",
        "total": 1,
        "link": [{ "relation": "self", "url": format!("{}/Patient", site.public_base_url) }],
        "entry": [{
            "fullUrl": format!("{}/Patient/1", site.public_base_url),
            "resource": patient(site, "1"),
            "search": { "mode": "match" }
        }]
    })
}

fn not_found(site: &Site, path: &str) -> Response<Full<Bytes>> {
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

fn fhir_json(status: StatusCode, body: Value, content_location: Option<String>) -> Response<Full<Bytes>> {
    let mut builder = Response::builder()
        .status(status)
        .header(CONTENT_TYPE, FHIR_JSON);
    if let Some(location) = content_location {
        builder = builder.header(CONTENT_LOCATION, location);
    }
    builder
        .body(Full::new(Bytes::from(body.to_string())))
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
        }
    }

    #[test]
    fn patient_refers_to_public_url_only() {
        let bundle = patient_bundle(&site());

        assert_eq!(bundle["entry"][0]["fullUrl"], "https://fhir.int-one.test:8443/d-corp/Patient/1");
        assert_eq!(bundle["link"][0]["url"], "https://fhir.int-one.test:8443/d-corp/Patient");
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
}
