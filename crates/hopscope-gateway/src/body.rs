//! Body wrappers that stream: request and response bodies are measured and
//! hashed as their frames pass, never buffered whole.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{ready, Context, Poll};
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use http_body::{Body, Frame, SizeHint};
use http_body_util::combinators::UnsyncBoxBody;
use sha2::{Digest, Sha256};

use crate::capture::{Capture, CaptureBudget};
use crate::record::{BodyRecord, ExchangeRecord, RecordSink};

pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Body type of every request sent upstream and every response sent to a
/// client.
pub(crate) type ProxyBody = UnsyncBoxBody<Bytes, BoxError>;

/// Running size, SHA-256 and captured prefix of a body.
#[derive(Default)]
pub(crate) struct BodyMeter {
    size: u64,
    hasher: Sha256,
    complete: bool,
    capture: Option<Capture>,
}

impl BodyMeter {
    pub(crate) fn new(capture: Option<Capture>) -> Self {
        Self {
            capture,
            ..Self::default()
        }
    }

    /// Returns the record of an empty body, which is complete unread.
    pub(crate) fn empty_record(capture: Option<Capture>) -> BodyRecord {
        let mut meter = Self::new(capture);
        meter.complete = true;
        meter.take_record()
    }

    fn update(&mut self, data: &[u8]) {
        self.size += data.len() as u64;
        self.hasher.update(data);
        if let Some(capture) = self.capture.as_mut() {
            capture.update(data);
        }
    }

    /// Returns the figures so far and moves the captured bytes out, so a
    /// second call has no captured bytes.
    pub(crate) fn take_record(&mut self) -> BodyRecord {
        let captured = self.capture.take().map(Capture::into_bytes);
        let truncated = captured
            .as_ref()
            .is_some_and(|bytes| (bytes.len() as u64) < self.size);
        BodyRecord {
            size: self.size,
            sha256: self
                .complete
                .then(|| hex::encode(self.hasher.clone().finalize())),
            complete: self.complete,
            captured,
            truncated,
        }
    }
}

/// Request body on its way upstream. The meter is shared because the record
/// is written when the response ends, by the response body.
pub(crate) struct MeteredBody<B> {
    inner: B,
    meter: Arc<Mutex<BodyMeter>>,
}

impl<B: Body> MeteredBody<B> {
    pub(crate) fn new(inner: B, capture: Option<Capture>) -> (Self, Arc<Mutex<BodyMeter>>) {
        let mut meter = BodyMeter::new(capture);
        // An empty body (a GET) is never polled, so it is complete now.
        meter.complete = inner.is_end_stream();
        let meter = Arc::new(Mutex::new(meter));
        (
            Self {
                inner,
                meter: meter.clone(),
            },
            meter,
        )
    }
}

impl<B> Body for MeteredBody<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let polled = ready!(Pin::new(&mut self.inner).poll_frame(cx));
        let end = self.inner.is_end_stream();
        let mut meter = self.meter.lock().unwrap_or_else(|e| e.into_inner());
        match polled {
            Some(Ok(frame)) => {
                if let Some(data) = frame.data_ref() {
                    meter.update(data);
                }
                meter.complete |= end;
                Poll::Ready(Some(Ok(frame)))
            }
            Some(Err(error)) => Poll::Ready(Some(Err(error.into()))),
            None => {
                meter.complete = true;
                Poll::Ready(None)
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// What the records of one gateway share: where they go, how much of each
/// body they capture, and whether the gateway is stopping.
pub(crate) struct RecordSettings {
    pub(crate) sink: Option<RecordSink>,
    pub(crate) body_capture_bytes: usize,
    pub(crate) capture_budget: Arc<CaptureBudget>,
    /// Set when shutdown starts, so exchanges cut short by it are recorded
    /// as interrupted instead of as failures of a hop.
    pub(crate) stopping: Arc<AtomicBool>,
}

impl RecordSettings {
    pub(crate) fn capture(&self) -> Option<Capture> {
        Capture::new(self.body_capture_bytes, &self.capture_budget)
    }

    pub(crate) fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::Acquire)
    }
}

/// A record waiting for its response body to end. Dropped unsent (the
/// client went away, or shutdown aborted the exchange), it sends itself
/// with the reason, so every exchange a hop accepted leaves a record.
pub(crate) struct PendingRecord {
    pub(crate) record: ExchangeRecord,
    pub(crate) settings: Arc<RecordSettings>,
    pub(crate) started: Instant,
    /// Meter of the request body, when it was forwarded.
    pub(crate) request_meter: Option<Arc<Mutex<BodyMeter>>>,
    sent: bool,
}

impl PendingRecord {
    pub(crate) fn new(record: ExchangeRecord, settings: Arc<RecordSettings>, started: Instant) -> Self {
        Self {
            record,
            settings,
            started,
            request_meter: None,
            sent: false,
        }
    }

    /// Marks the record as cut short by shutdown, with `error` as the reason.
    pub(crate) fn interrupt(&mut self, error: String) {
        self.record.interrupted = true;
        self.record.error = Some(error);
    }

    /// Completes the record with the body and timing figures, logs the
    /// exchange and sends the record.
    pub(crate) fn finish(mut self, response_body: BodyRecord, error: Option<String>) {
        self.send(response_body, error);
    }

    fn send(&mut self, response_body: BodyRecord, error: Option<String>) {
        if self.sent {
            return;
        }
        self.sent = true;
        if let Some(meter) = &self.request_meter {
            self.record.request.body = meter.lock().unwrap_or_else(|e| e.into_inner()).take_record();
        }
        if let Some(response) = self.record.response.as_mut() {
            response.body = response_body;
        }
        if self.record.error.is_none() {
            self.record.error = error;
        }
        self.record.timings.total_ms = millis(self.started.elapsed());

        let record = &self.record;
        let status = record.response.as_ref().map(|r| r.status);
        match &record.error {
            Some(error) => tracing::warn!(
                exchange = %record.exchange_id, hop = %record.hop, status, error = %error,
                interrupted = record.interrupted, total_ms = record.timings.total_ms, "exchange failed"
            ),
            None => tracing::debug!(
                exchange = %record.exchange_id, hop = %record.hop, status,
                total_ms = record.timings.total_ms, "exchange completed"
            ),
        }
        if let Some(sink) = &self.settings.sink {
            sink.send(std::mem::take(&mut self.record));
        }
    }
}

impl Drop for PendingRecord {
    fn drop(&mut self) {
        if self.sent {
            return;
        }
        if self.settings.is_stopping() {
            self.interrupt("interrupted: the gateway stopped before this hop responded".into());
        } else if self.record.error.is_none() {
            self.record.error = Some("the client closed the connection before this hop responded".into());
        }
        self.send(BodyRecord::default(), None);
    }
}

pub(crate) fn millis(duration: std::time::Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// Response body on its way to the client: hashes and captures the bytes
/// that pass, applies the tamper fault, and sends the record when the body
/// ends or is dropped (a client that goes away leaves an incomplete record).
pub(crate) struct RecordingBody {
    inner: ProxyBody,
    meter: BodyMeter,
    tamper: bool,
    pending: Option<PendingRecord>,
}

impl RecordingBody {
    pub(crate) fn new(inner: ProxyBody, tamper: bool, pending: PendingRecord) -> Self {
        Self {
            inner,
            meter: BodyMeter::new(pending.settings.capture()),
            tamper,
            pending: Some(pending),
        }
    }

    fn finish(&mut self, error: Option<String>) {
        if let Some(mut pending) = self.pending.take() {
            // A body cut short while the gateway stops is an interruption,
            // not a failure of the client or the next hop.
            if error.is_some() && pending.settings.is_stopping() {
                let reason = error.unwrap_or_default();
                pending.interrupt(format!("interrupted: the gateway stopped before the response body ended ({reason})"));
                pending.finish(self.meter.take_record(), None);
            } else {
                pending.finish(self.meter.take_record(), error);
            }
        }
    }
}

impl Body for RecordingBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let polled = ready!(Pin::new(&mut self.inner).poll_frame(cx));
        match polled {
            Some(Ok(frame)) => {
                let frame = match frame.into_data() {
                    Ok(mut data) => {
                        if self.tamper && !data.is_empty() {
                            self.tamper = false;
                            data = flip_first_byte(data);
                        }
                        self.meter.update(&data);
                        Frame::data(data)
                    }
                    Err(frame) => frame,
                };
                if self.inner.is_end_stream() {
                    self.meter.complete = true;
                    self.finish(None);
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Some(Err(error)) => {
                self.finish(Some(format!("response body failed: {error}")));
                Poll::Ready(Some(Err(error)))
            }
            None => {
                self.meter.complete = true;
                self.finish(None);
                Poll::Ready(None)
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for RecordingBody {
    fn drop(&mut self) {
        if self.inner.is_end_stream() {
            self.meter.complete = true;
            self.finish(None);
        } else {
            self.finish(Some(
                "client closed the connection before the response body ended".into(),
            ));
        }
    }
}

/// A body whose first bytes were already read: it yields them, then the
/// rest, so the client gets the body unchanged.
pub(crate) struct PrefixedBody {
    prefix: Option<Bytes>,
    rest: ProxyBody,
}

impl PrefixedBody {
    pub(crate) fn new(prefix: Bytes, rest: ProxyBody) -> Self {
        Self {
            prefix: Some(prefix),
            rest,
        }
    }
}

impl Body for PrefixedBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        if let Some(prefix) = self.prefix.take() {
            return Poll::Ready(Some(Ok(Frame::data(prefix))));
        }
        Pin::new(&mut self.rest).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.prefix.is_none() && self.rest.is_end_stream()
    }
}

fn flip_first_byte(data: Bytes) -> Bytes {
    let mut bytes = BytesMut::from(&data[..]);
    bytes[0] ^= 0x01;
    bytes.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::{BodyExt, Full};

    #[tokio::test]
    async fn metered_body_hashes_what_passes() {
        let budget = CaptureBudget::new(1024);
        let (body, meter) = MeteredBody::new(
            Full::new(Bytes::from_static(b"hello")),
            Capture::new(3, &budget),
        );
        let collected = body.collect().await.unwrap().to_bytes();
        assert_eq!(&collected[..], b"hello");
        let record = meter.lock().unwrap().take_record();
        assert_eq!(record.captured.as_deref(), Some(&b"hel"[..]));
        assert!(record.truncated);
        assert_eq!(record.size, 5);
        assert_eq!(
            record.sha256.unwrap(),
            hex::encode(Sha256::digest(b"hello"))
        );
    }

    #[tokio::test]
    async fn prefixed_body_yields_prefix_then_rest() {
        let rest = Full::new(Bytes::from_static(b" world"))
            .map_err(|never| match never {})
            .boxed_unsync();
        let body = PrefixedBody::new(Bytes::from_static(b"hello"), rest);
        let collected = body.collect().await.unwrap().to_bytes();
        assert_eq!(&collected[..], b"hello world");
    }

    #[test]
    fn flip_changes_one_bit_of_first_byte() {
        assert_eq!(&flip_first_byte(Bytes::from_static(b"{}"))[..], b"z}");
    }
}
