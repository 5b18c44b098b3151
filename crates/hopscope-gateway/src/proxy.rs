//! Forwarding one request of one hop: routing, faults, the upstream call,
//! and the response with its record.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::header::{self, HeaderName, HeaderValue};
use http::{Request, Response, StatusCode, Version};
use http_body::Body as _;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use tracing::Instrument;

use crate::body::{
    millis, BodyMeter, MeteredBody, PendingRecord, PrefixedBody, ProxyBody, RecordSettings,
    RecordingBody,
};
use crate::config::{Limits, EXCHANGE_HEADER};
use crate::faults::{Fault, FaultControl};
use crate::headers::{
    append_forwarded, append_via, header_text, record_headers, remove_hop_by_hop,
};
use crate::outcome::{outcome_response, GatewayError};
use crate::record::{ExchangeRecord, RequestRecord, ResponseRecord, UpstreamRecord};
use crate::route::{Route, RouteTable};
use crate::tls::TlsInfo;
use crate::upstream::{classify, UpstreamClient, UpstreamConnection, UpstreamFailure};

/// Largest token response the replace-token fault buffers.
const MAX_TOKEN_BODY: usize = 1024 * 1024;

/// Token the replace-token fault puts in place of the destination's: an
/// unsigned JWT (`alg: none`) that no destination should accept.
const REPLACED_TOKEN: &str =
    "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJob3BzY29wZS1yZXBsYWNlZCJ9.";

/// Everything one listener (hop) needs to forward requests.
pub(crate) struct HopContext {
    pub(crate) hop: String,
    pub(crate) routes: RouteTable,
    pub(crate) client: UpstreamClient,
    pub(crate) faults: FaultControl,
    pub(crate) recording: Arc<RecordSettings>,
    pub(crate) limits: Limits,
    /// Next-hop host name (lowercase) to socket address, for records.
    pub(crate) upstream_addresses: Arc<std::collections::HashMap<String, SocketAddr>>,
}

/// Facts about the client connection a request arrived on.
pub(crate) struct ConnectionContext {
    pub(crate) peer: SocketAddr,
    pub(crate) tls: TlsInfo,
}

/// Error returned to hyper to close the connection (HTTP/2: reset the
/// stream) without a response.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DropConnection {
    #[error("connection dropped by the drop fault")]
    Fault,
    #[error("connection closed because the gateway is stopping")]
    Stopping,
}

/// Handles one request at one hop.
pub(crate) async fn handle(
    hop: Arc<HopContext>,
    conn: Arc<ConnectionContext>,
    mut request: Request<Incoming>,
) -> Result<Response<ProxyBody>, DropConnection> {
    let started = Instant::now();
    let exchange_id = match header_text(request.headers(), EXCHANGE_HEADER) {
        Some(id) if !id.is_empty() => id,
        _ => {
            let id = new_exchange_id();
            if let Ok(value) = HeaderValue::from_str(&id) {
                request.headers_mut().insert(EXCHANGE_HEADER, value);
            }
            id
        }
    };
    let span = tracing::info_span!("exchange", exchange = %exchange_id, hop = %hop.hop);
    // An empty body is complete before anything reads it; any other body is
    // recorded as it streams upstream, or stays incomplete when this hop
    // responds without reading it.
    let request_body = if request.body().is_end_stream() {
        BodyMeter::empty_record(hop.recording.capture())
    } else {
        Default::default()
    };
    let record = ExchangeRecord {
        exchange_id,
        hop: hop.hop.clone(),
        started_at_unix_ms: unix_millis(),
        client_address: conn.peer.to_string(),
        http_version: version_text(request.version()).into(),
        inbound_tls: conn.tls.clone(),
        request: RequestRecord {
            method: request.method().to_string(),
            target: request
                .uri()
                .path_and_query()
                .map(|p| p.to_string())
                .unwrap_or_else(|| "/".into()),
            authority: request_authority(&request),
            headers: record_headers(request.headers()),
            body: request_body,
        },
        ..Default::default()
    };
    let exchange = Exchange {
        hop: hop.clone(),
        pending: PendingRecord::new(record, hop.recording.clone(), started),
    };
    exchange.run(conn, request).instrument(span).await
}

/// One request in flight at one hop, with its record.
struct Exchange {
    hop: Arc<HopContext>,
    pending: PendingRecord,
}

impl Exchange {
    async fn run(
        mut self,
        conn: Arc<ConnectionContext>,
        request: Request<Incoming>,
    ) -> Result<Response<ProxyBody>, DropConnection> {
        let host = request_host(&request, conn.tls.sni.as_deref());
        let path = request.uri().path().to_string();
        let Some(route) = self.hop.routes.find(&host, &path).cloned() else {
            let message = format!("no route matches host {host} and path {path}");
            tracing::info!(host = %host, path = %path, "no route: responding 404");
            return Ok(self.answer(GatewayError::NoRoute, message));
        };
        self.pending.record.route = Some(route.record());

        let fault = self.hop.faults.get(&self.hop.hop);
        if let Some(fault) = &fault {
            self.pending.record.fault = Some(fault.to_string());
            tracing::info!(fault = %fault, "applying fault");
        }
        match &fault {
            Some(Fault::Delay { ms }) => tokio::time::sleep(Duration::from_millis(*ms)).await,
            Some(Fault::Hold) => {
                tokio::time::sleep(self.hop.limits.hold_timeout).await;
                let message = format!(
                    "request held by the hold fault for {} ms",
                    self.hop.limits.hold_timeout.as_millis()
                );
                return Ok(self.answer(GatewayError::Timeout, message));
            }
            Some(Fault::Drop) => {
                self.pending.record.error = Some("connection dropped by the drop fault".into());
                self.pending.finish(Default::default(), None);
                return Err(DropConnection::Fault);
            }
            Some(Fault::Status { code }) => {
                let status = StatusCode::from_u16(*code).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
                let message = format!("status {code} set by the status fault");
                return Ok(self.answer(GatewayError::FaultStatus(status), message));
            }
            _ => {}
        }

        let upstream_request = match self.upstream_request(&conn, &route, &host, request) {
            Ok(upstream_request) => upstream_request,
            Err(message) => {
                tracing::error!(error = %message, "building the upstream request failed");
                return Ok(self.answer(GatewayError::Internal, message));
            }
        };
        let url = upstream_request.uri().to_string();
        let address = self
            .hop
            .client_address(&route.next_host)
            .map(|a| a.to_string())
            .unwrap_or_default();
        self.pending.record.upstream = Some(UpstreamRecord {
            url: url.clone(),
            address,
            tls: None,
            connection_reused: false,
        });

        let sent = tokio::time::timeout(
            route.response_timeout,
            self.hop.client.request(upstream_request),
        )
        .await;
        let response = match sent {
            Err(_) => {
                let message = format!(
                    "next hop {url} did not answer within {} ms",
                    route.response_timeout.as_millis()
                );
                tracing::warn!(next_hop = %url, "next hop timed out: responding 504");
                return Ok(self.answer(GatewayError::Timeout, message));
            }
            Ok(Err(error)) if self.hop.recording.is_stopping() => {
                // Inner hops stop accepting at the same moment, so this is
                // the shutdown, not a failure of the next hop.
                tracing::info!(next_hop = %url, error = %error, "next hop closed while the gateway stops");
                self.pending.interrupt(format!(
                    "interrupted: the gateway stopped before next hop {url} answered"
                ));
                self.pending.finish(Default::default(), None);
                return Err(DropConnection::Stopping);
            }
            Ok(Err(error)) => {
                return Ok(match classify(&error) {
                    UpstreamFailure::Timeout(message) => {
                        tracing::warn!(next_hop = %url, error = %message, "next hop timed out: responding 504");
                        self.answer(
                            GatewayError::Timeout,
                            format!("next hop {url} timed out: {message}"),
                        )
                    }
                    UpstreamFailure::Unreachable(message) => {
                        tracing::warn!(next_hop = %url, error = %message, "next hop failed: responding 502");
                        self.answer(
                            GatewayError::BadGateway,
                            format!("next hop {url} failed: {message}"),
                        )
                    }
                });
            }
            Ok(Ok(response)) => response,
        };
        self.record_upstream_connection(&response);
        Ok(self.respond(response, route.via, fault).await)
    }

    /// Builds the request for the next hop: mapped URI, hop-by-hop headers
    /// removed, `Host` left for the client to set from the URI, optional
    /// `Forwarded` and `Via`, and the body streamed through a meter.
    fn upstream_request(
        &mut self,
        conn: &ConnectionContext,
        route: &Route,
        host: &str,
        request: Request<Incoming>,
    ) -> Result<Request<ProxyBody>, String> {
        let (parts, body) = request.into_parts();
        let uri = route
            .upstream_uri(parts.uri.path(), parts.uri.query())
            .map_err(|e| format!("mapping {} onto {} failed: {e}", parts.uri, route.next_hop))?;
        let mut headers = parts.headers;
        remove_hop_by_hop(&mut headers);
        headers.remove(header::HOST);
        if route.forwarded {
            append_forwarded(&mut headers, conn.peer, host);
        }
        if route.via {
            append_via(&mut headers, parts.version, &self.hop.hop);
        }

        let (metered, meter) = MeteredBody::new(body, self.hop.recording.capture());
        self.pending.request_meter = Some(meter);
        let mut upstream = Request::new(metered.boxed_unsync());
        *upstream.method_mut() = parts.method;
        *upstream.uri_mut() = uri;
        *upstream.version_mut() = Version::HTTP_11;
        *upstream.headers_mut() = headers;
        Ok(upstream)
    }

    fn record_upstream_connection(&mut self, response: &Response<Incoming>) {
        let Some(connection) = response.extensions().get::<UpstreamConnection>() else {
            return;
        };
        let first_use = connection.take_first_use();
        if first_use {
            self.pending.record.timings.connect_ms = Some(millis(connection.connect));
            self.pending.record.timings.tls_handshake_ms = Some(millis(connection.handshake));
        }
        if let Some(upstream) = self.pending.record.upstream.as_mut() {
            upstream.tls = Some(connection.tls.clone());
            upstream.address = connection.address.to_string();
            upstream.connection_reused = !first_use;
        }
    }

    /// Passes the next hop's response on: status and end-to-end headers
    /// unchanged, body streamed, with the response faults applied.
    async fn respond(
        mut self,
        response: Response<Incoming>,
        via: bool,
        fault: Option<Fault>,
    ) -> Response<ProxyBody> {
        let (mut parts, body) = response.into_parts();
        remove_hop_by_hop(&mut parts.headers);
        if via {
            append_via(&mut parts.headers, parts.version, &self.hop.hop);
        }
        parts.version = Version::default();
        parts.extensions = Default::default();

        let mut body = body.map_err(box_hyper_error).boxed_unsync();
        let mut tamper = false;
        match fault {
            Some(Fault::StripHeader { name }) => {
                if let Ok(name) = HeaderName::from_bytes(name.as_bytes()) {
                    parts.headers.remove(name);
                }
            }
            Some(Fault::TamperBody) => tamper = true,
            Some(Fault::ReplaceToken) => {
                body = self.replace_token(&mut parts.headers, body).await;
            }
            _ => {}
        }

        self.pending.record.timings.first_byte_ms = Some(millis(self.pending.started.elapsed()));
        self.pending.record.response = Some(response_record(parts.status, &parts.headers, false));
        let body = RecordingBody::new(body, tamper, self.pending).boxed_unsync();
        Response::from_parts(parts, body)
    }

    /// Buffers a token response and replaces its `access_token`. Bodies that
    /// are too large or not JSON objects with that member pass unchanged,
    /// and the record's fault text states that the fault did not apply. A body that
    /// fails while buffering is replaced by an empty one.
    async fn replace_token(&mut self, headers: &mut http::HeaderMap, body: ProxyBody) -> ProxyBody {
        let collected = match collect_limited(body, MAX_TOKEN_BODY).await {
            Ok(Collected::Whole(collected)) => collected,
            Ok(Collected::TooLarge(prefix, rest)) => {
                self.pending.record.fault = Some(format!(
                    "replace the access token (not applied: the body exceeds {MAX_TOKEN_BODY} bytes)"
                ));
                return PrefixedBody::new(prefix, rest).boxed_unsync();
            }
            Err(error) => {
                // NOTE: part of the body is already consumed, so the client
                // gets an empty body; the record carries the reason.
                headers.remove(header::CONTENT_LENGTH);
                self.pending.record.error =
                    Some(format!("reading the token response failed: {error}"));
                return full_body(Bytes::new());
            }
        };
        let mut value: serde_json::Value = match serde_json::from_slice(&collected) {
            Ok(value) => value,
            Err(_) => return self.token_not_replaced(collected, "the body is not JSON"),
        };
        let Some(token) = value.get_mut("access_token") else {
            return self.token_not_replaced(collected, "the body has no access_token");
        };
        *token = serde_json::Value::String(REPLACED_TOKEN.into());
        let replaced = Bytes::from(value.to_string());
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(replaced.len()));
        full_body(replaced)
    }

    fn token_not_replaced(&mut self, body: Bytes, reason: &str) -> ProxyBody {
        self.pending.record.fault =
            Some(format!("replace the access token (not applied: {reason})"));
        full_body(body)
    }

    /// Responds with the gateway's own `OperationOutcome` and records it.
    fn answer(mut self, error: GatewayError, message: String) -> Response<ProxyBody> {
        let response = outcome_response(error, &self.hop.hop, &message);
        self.pending.record.error = Some(message);
        self.pending.record.timings.first_byte_ms = Some(millis(self.pending.started.elapsed()));
        self.pending.record.response =
            Some(response_record(response.status(), response.headers(), true));
        let (parts, body) = response.into_parts();
        let body = RecordingBody::new(body, false, self.pending).boxed_unsync();
        Response::from_parts(parts, body)
    }
}

impl HopContext {
    fn client_address(&self, host: &str) -> Option<SocketAddr> {
        self.upstream_addresses.get(host).copied()
    }
}

fn response_record(
    status: StatusCode,
    headers: &http::HeaderMap,
    from_gateway: bool,
) -> ResponseRecord {
    ResponseRecord {
        status: status.as_u16(),
        from_gateway,
        headers: record_headers(headers),
        body: Default::default(),
        content_digest: header_text(headers, "content-digest"),
        signature_input: header_text(headers, "signature-input"),
        signature: header_text(headers, "signature"),
    }
}

/// A body read up to a limit.
enum Collected {
    Whole(Bytes),
    /// The bytes read before the limit, and the unread rest.
    TooLarge(Bytes, ProxyBody),
}

/// Reads a whole body of at most `limit` bytes, or stops at the limit and
/// hands back what it read and the rest.
async fn collect_limited(mut body: ProxyBody, limit: usize) -> Result<Collected, String> {
    let mut collected = bytes::BytesMut::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| e.to_string())?;
        if let Some(data) = frame.data_ref() {
            collected.extend_from_slice(data);
            if collected.len() > limit {
                return Ok(Collected::TooLarge(collected.freeze(), body));
            }
        }
    }
    Ok(Collected::Whole(collected.freeze()))
}

fn box_hyper_error(error: hyper::Error) -> crate::body::BoxError {
    Box::new(error)
}

fn full_body(bytes: Bytes) -> ProxyBody {
    Full::new(bytes)
        .map_err(|never| match never {})
        .boxed_unsync()
}

/// Returns the host a request asked for, lowercase and without port: the
/// URI authority (HTTP/2, absolute-form), else `Host`, else the TLS SNI.
fn request_host<B>(request: &Request<B>, sni: Option<&str>) -> String {
    let authority = request
        .uri()
        .host()
        .map(str::to_string)
        .or_else(|| header_text(request.headers(), "host").map(|h| strip_port(&h).to_string()))
        .or_else(|| sni.map(str::to_string))
        .unwrap_or_default();
    authority.to_ascii_lowercase()
}

/// Returns the host and port the client addressed: the URI authority
/// (HTTP/2 `:authority`, absolute-form), else the `Host` header.
fn request_authority<B>(request: &Request<B>) -> String {
    request
        .uri()
        .authority()
        .map(|authority| authority.to_string())
        .or_else(|| header_text(request.headers(), "host"))
        .unwrap_or_default()
}

fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host.split(']').next().map(|h| &h[1..]).unwrap_or(host);
    }
    host.rsplit_once(':').map(|(h, _)| h).unwrap_or(host)
}

fn version_text(version: Version) -> &'static str {
    match version {
        Version::HTTP_09 => "HTTP/0.9",
        Version::HTTP_10 => "HTTP/1.0",
        Version::HTTP_2 => "HTTP/2",
        Version::HTTP_3 => "HTTP/3",
        _ => "HTTP/1.1",
    }
}

fn unix_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Draws a new exchange id: 16 random bytes in hex.
fn new_exchange_id() -> String {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; 16];
    // ring's system random source fails only when the OS has none, and then
    // TLS cannot work either. A time-based id still correlates the hops.
    if ring::rand::SystemRandom::new().fill(&mut bytes).is_err() {
        bytes[..8].copy_from_slice(&unix_millis().to_be_bytes());
    }
    hex::encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_comes_from_host_header_without_port() {
        let request = Request::builder()
            .uri("/d-corp/Patient/1")
            .header("host", "FHIR.int-one.test:8443")
            .body(())
            .unwrap();
        assert_eq!(request_host(&request, None), "fhir.int-one.test");
    }

    #[test]
    fn authority_keeps_port() {
        let http2 = Request::builder()
            .uri("https://fhir.int-one.test:8443/d-corp/metadata")
            .body(())
            .unwrap();
        assert_eq!(request_authority(&http2), "fhir.int-one.test:8443");
        let http1 = Request::builder()
            .uri("/d-corp/metadata")
            .header("host", "fhir.int-one.test:8443")
            .body(())
            .unwrap();
        assert_eq!(request_authority(&http1), "fhir.int-one.test:8443");
    }

    #[test]
    fn host_falls_back_to_sni() {
        let request = Request::builder().uri("/x").body(()).unwrap();
        assert_eq!(request_host(&request, Some("a.test")), "a.test");
    }

    #[test]
    fn exchange_ids_differ() {
        assert_ne!(new_exchange_id(), new_exchange_id());
        assert_eq!(new_exchange_id().len(), 32);
    }
}
