//! The destination's TLS server: accepting connections, routing requests to
//! UDAP or FHIR, signing every response and recording every exchange.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use hopscope_fhir::FhirRequest;
use hopscope_gateway::accept::accept_until_shutdown;
use hopscope_gateway::tls::TlsAcceptor;
use hopscope_gateway::{
    record_headers, ExchangeRecord, Participant, RequestRecord, ResponseRecord, Timings, TlsInfo,
    EXCHANGE_HEADER,
};
use http::header::{HeaderValue, CONTENT_TYPE};
use http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::{http1, http2};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::{Map, Value};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use super::{State, MAX_REQUEST_BODY};
use crate::record::body_record;
use crate::udap;

/// A response before it is signed and sent.
pub(crate) struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    /// Builds a reply with a JSON body of the given content type.
    pub fn json(status: StatusCode, content_type: &'static str, value: &Value) -> Reply {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        Reply {
            status,
            headers,
            body: Bytes::from(serde_json::to_vec(value).unwrap_or_default()),
        }
    }

    /// Builds a reply with a FHIR `OperationOutcome` of one issue.
    pub fn outcome(status: StatusCode, code: &str, diagnostics: &str) -> Reply {
        let outcome = hopscope_fhir::operation_outcome("error", code, diagnostics);
        Reply::json(status, "application/fhir+json; charset=utf-8", &outcome)
    }
}

pub(crate) async fn accept_loop(
    socket: TcpListener,
    acceptor: TlsAcceptor,
    state: Arc<State>,
    shutdown: watch::Receiver<bool>,
) {
    // Every response is built in memory before it is sent, so no request is
    // cut short by more than the time to write one body.
    let server = format!("destination simulator {}", state.name);
    accept_until_shutdown(socket, shutdown, &server, |tcp, peer| {
        serve_connection(tcp, peer, acceptor.clone(), state.clone())
    })
    .await;
}

async fn serve_connection(
    tcp: TcpStream,
    peer: SocketAddr,
    acceptor: TlsAcceptor,
    state: Arc<State>,
) {
    let (tls, info) = match acceptor.accept(tcp).await {
        Ok(accepted) => accepted,
        Err(error) => {
            tracing::warn!(destination = %state.name, peer = %peer, error = %error, "TLS handshake failed");
            return;
        }
    };
    let io = TokioIo::new(tls);
    let name = state.name.clone();
    let http2_client = info.alpn.as_deref() == Some("h2");
    let service = service_fn(move |request| {
        let state = state.clone();
        let info = info.clone();
        async move { Ok::<_, Infallible>(handle(&state, request, info, peer).await) }
    });
    let result = if http2_client {
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

async fn handle(
    state: &State,
    request: Request<Incoming>,
    tls: TlsInfo,
    peer: SocketAddr,
) -> Response<Full<Bytes>> {
    let started = Instant::now();
    let started_at_unix_ms = unix_millis();
    let (parts, body) = request.into_parts();
    let exchange_id = parts
        .headers
        .get(EXCHANGE_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .unwrap_or_else(new_exchange_id);
    let span = tracing::info_span!("exchange", exchange = %exchange_id, hop = %state.name);
    let _entered = span.enter();

    let mut facts = Map::new();
    let (reply, request_body) = match Limited::new(body, MAX_REQUEST_BODY).collect().await {
        Ok(collected) => {
            let body = collected.to_bytes();
            (route(state, &parts, &body, &mut facts), body)
        }
        Err(error) => {
            let reply = Reply::outcome(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too-costly",
                &format!(
                    "the request body could not be read ({error}); the destination {} accepts at most {MAX_REQUEST_BODY} bytes",
                    state.name
                ),
            );
            (reply, Bytes::new())
        }
    };

    let mut reply = reply;
    let signing = state
        .signing
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    signing.sign_response(reply.status, &mut reply.headers, &reply.body);
    facts.insert(
        "signing_keyid".into(),
        Value::String(signing.keyid().to_string()),
    );
    facts.insert(
        "signing_certificate_sha256".into(),
        Value::String(signing.certificate_sha256()),
    );
    facts.insert(
        "leak_private_url".into(),
        Value::Bool(state.fhir.leak_private_url()),
    );

    let mut response = Response::new(Full::new(reply.body.clone()));
    *response.status_mut() = reply.status;
    *response.headers_mut() = reply.headers.clone();

    if let Some(records) = &state.records {
        let total_ms = started.elapsed().as_secs_f64() * 1000.0;
        let request_record = RequestRecord {
            method: parts.method.to_string(),
            target: parts
                .uri
                .path_and_query()
                .map(|p| p.to_string())
                .unwrap_or_else(|| "/".into()),
            headers: record_headers(&parts.headers),
            body: body_record(&request_body, state.capture_bytes),
            ..Default::default()
        };
        let header_text = |name: &str| {
            reply
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let response_record = ResponseRecord {
            status: reply.status.as_u16(),
            from_gateway: false,
            headers: record_headers(&reply.headers),
            body: body_record(&reply.body, state.capture_bytes),
            content_digest: header_text("content-digest"),
            signature_input: header_text("signature-input"),
            signature: header_text("signature"),
        };
        records.send(ExchangeRecord {
            exchange_id,
            hop: state.name.clone(),
            participant: Participant::Destination,
            started_at_unix_ms,
            client_address: peer.to_string(),
            http_version: version_text(parts.version).into(),
            inbound_tls: tls,
            request: request_record,
            response: Some(response_record),
            timings: Timings {
                first_byte_ms: Some(total_ms),
                total_ms,
                ..Default::default()
            },
            details: Some(Value::Object(facts)),
            ..Default::default()
        });
    }
    response
}

/// Chooses the endpoint for a request and returns its unsigned response.
fn route(
    state: &State,
    parts: &http::request::Parts,
    body: &Bytes,
    facts: &mut Map<String, Value>,
) -> Reply {
    let path = parts.uri.path();
    let relative = match path.strip_prefix(state.base_path.as_str()) {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => rest,
        _ => {
            return Reply::outcome(
                StatusCode::NOT_FOUND,
                "not-found",
                &format!(
                    "{path} is not under the base path {:?} of destination {}",
                    state.base_path, state.name
                ),
            )
        }
    };
    let method = &parts.method;
    match relative {
        "/.well-known/udap" if method == Method::GET => return udap::metadata(state),
        "/register" if method == Method::POST => return udap::register(state, body, facts),
        "/token" if method == Method::POST => return udap::token(state, body, facts),
        "/.well-known/udap" | "/register" | "/token" => {
            return Reply::outcome(
                StatusCode::METHOD_NOT_ALLOWED,
                "not-supported",
                &format!("{method} is not allowed on {path}"),
            )
        }
        _ => {}
    }
    let public = relative == "/metadata" && method == Method::GET;
    if !public {
        if let Err(reply) = udap::authorize(state, &parts.headers, facts) {
            return *reply;
        }
    }
    let response = state.fhir.handle(FhirRequest {
        method: parts.method.clone(),
        path: relative.to_string(),
        query: parts.uri.query().map(str::to_string),
        headers: parts.headers.clone(),
        body: body.clone(),
    });
    Reply {
        status: response.status,
        headers: response.headers,
        body: response.body,
    }
}

fn version_text(version: http::Version) -> &'static str {
    match version {
        http::Version::HTTP_2 => "HTTP/2",
        http::Version::HTTP_10 => "HTTP/1.0",
        _ => "HTTP/1.1",
    }
}

pub(crate) fn unix_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Returns 32 random hex digits, the form the gateway gives exchange ids.
pub(crate) fn new_exchange_id() -> String {
    let mut bytes = [0u8; 16];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes)
        .expect("the system random number generator failed");
    hex::encode(bytes)
}
