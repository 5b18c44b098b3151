//! Exchange records: one per request and hop, sent to the caller through a
//! bounded channel that never slows forwarding.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use crate::route::RouteRecord;
use crate::tls::TlsInfo;

/// Record of one exchange at one hop.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ExchangeRecord {
    /// Value of the exchange header, equal on every hop of one exchange.
    pub exchange_id: String,
    /// Name of the participant that wrote the record: an intermediary, or
    /// the originator or destination when a simulator wrote it.
    pub hop: String,
    /// Kind of participant that wrote the record.
    #[serde(default)]
    pub participant: Participant,
    /// Wall-clock start, milliseconds since the Unix epoch.
    pub started_at_unix_ms: u64,
    pub client_address: String,
    /// `HTTP/1.1` or `HTTP/2`, as the client spoke to this hop.
    pub http_version: String,
    /// The TLS leg from the client (or previous hop) to this hop; its
    /// certificate is the one this hop presented.
    pub inbound_tls: TlsInfo,
    pub route: Option<RouteRecord>,
    /// The next hop, when the request was forwarded.
    pub upstream: Option<UpstreamRecord>,
    pub request: RequestRecord,
    /// Absent when the hop dropped the connection without a response.
    pub response: Option<ResponseRecord>,
    pub timings: Timings,
    /// The fault applied to this exchange, described in words.
    pub fault: Option<String>,
    /// Reason the exchange failed at this hop, when it did.
    pub error: Option<String>,
    /// True when the gateway was stopping and cut the exchange short, so
    /// `error` describes the shutdown rather than a fault of a hop.
    #[serde(default)]
    pub interrupted: bool,
    /// Facts a simulator adds about its side of the exchange, such as the
    /// destination's trust decision or a digest of the token it issued.
    /// Intermediaries leave it empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
}

/// The kind of participant that wrote an [`ExchangeRecord`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Participant {
    #[default]
    Intermediary,
    Originator,
    Destination,
}

/// The next hop of a forwarded request.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct UpstreamRecord {
    /// URL the request was sent to.
    pub url: String,
    /// Socket address the next hop's host name maps to.
    pub address: String,
    /// The TLS leg to the next hop; its certificate is the next hop's.
    /// Absent when no connection was made.
    pub tls: Option<TlsInfo>,
    /// True when a pooled keep-alive connection carried the request.
    pub connection_reused: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RequestRecord {
    pub method: String,
    /// Path and query as received.
    pub target: String,
    /// Host and port the client addressed: the `:authority` on HTTP/2, the
    /// `Host` header on HTTP/1.1. Empty when the request named neither.
    #[serde(default)]
    pub authority: String,
    /// Headers as received, in order; `Authorization` and
    /// `Proxy-Authorization` are replaced by `sha256:<hex>` of their value.
    pub headers: Vec<(String, String)>,
    pub body: BodyRecord,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ResponseRecord {
    pub status: u16,
    /// True when this hop made the response itself (routing error, timeout,
    /// fault) instead of passing on the next hop's.
    pub from_gateway: bool,
    /// Headers as sent to the client, in order.
    pub headers: Vec<(String, String)>,
    pub body: BodyRecord,
    /// RFC 9530 `Content-Digest` value, when present.
    pub content_digest: Option<String>,
    /// RFC 9421 `Signature-Input` value, when present.
    pub signature_input: Option<String>,
    /// RFC 9421 `Signature` value, when present.
    pub signature: Option<String>,
}

/// Size, digest and captured bytes of a body as it streamed through this hop.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BodyRecord {
    /// Bytes that passed, complete or not.
    pub size: u64,
    /// Hex SHA-256 of the whole body; absent when the body did not complete.
    pub sha256: Option<String>,
    pub complete: bool,
    /// The first bytes of the body, up to `Limits::body_capture_bytes`.
    /// `None` when capture is off or the body was not read. In JSON an
    /// object with `base64` and, for UTF-8 bytes, `text`.
    #[serde(default, with = "crate::capture::serde_captured")]
    pub captured: Option<Bytes>,
    /// True when `captured` holds fewer bytes than passed: the body was
    /// longer than the capture limit, or the gateway's capture budget was
    /// exhausted.
    #[serde(default)]
    pub truncated: bool,
}

/// Durations in milliseconds from the moment the request head arrived.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Timings {
    /// TCP connect to the next hop; absent on a reused connection.
    pub connect_ms: Option<f64>,
    /// TLS handshake with the next hop; absent on a reused connection.
    pub tls_handshake_ms: Option<f64>,
    /// Until the response head was ready to send to the client.
    pub first_byte_ms: Option<f64>,
    /// Until the last response byte was handed to the client connection.
    pub total_ms: f64,
}

/// Sending end of the record channel, shared by all listeners.
///
/// Sending never waits: when the channel is full the record is dropped and
/// counted, so a slow consumer cannot slow forwarding.
#[derive(Clone, Debug)]
pub struct RecordSink {
    sender: mpsc::Sender<ExchangeRecord>,
    dropped: Arc<AtomicU64>,
}

impl RecordSink {
    /// Creates a channel that holds up to `capacity` records (at least 1).
    pub fn channel(capacity: usize) -> (Self, mpsc::Receiver<ExchangeRecord>) {
        let (sender, receiver) = mpsc::channel(capacity.max(1));
        let sink = Self {
            sender,
            dropped: Arc::default(),
        };
        (sink, receiver)
    }

    /// Returns how many records were dropped because the channel was full or
    /// its receiver was gone.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Sends a record without waiting. Simulators that take part in an
    /// exchange use it to add their own hop's record to the gateway's.
    pub fn send(&self, record: ExchangeRecord) {
        if self.sender.try_send(record).is_err() {
            let dropped = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            // Logs the first drop and then every 1000th, so a stalled
            // consumer does not flood the log.
            if dropped == 1 || dropped.is_multiple_of(1000) {
                tracing::warn!(
                    dropped,
                    "exchange record dropped: the record channel is full or closed"
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_channel_counts_drops() {
        let (sink, mut receiver) = RecordSink::channel(1);
        sink.send(ExchangeRecord::default());
        sink.send(ExchangeRecord::default());
        sink.send(ExchangeRecord::default());
        assert_eq!(sink.dropped(), 2);
        assert!(receiver.try_recv().is_ok());
        assert!(receiver.try_recv().is_err());
    }
}
