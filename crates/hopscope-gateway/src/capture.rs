//! Body capture: the first bytes of each body, copied into a bounded buffer
//! as the body streams, under a memory budget shared by the whole gateway.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;

/// Bytes of captured bodies held at once, across every hop of a gateway.
/// A captured body returns its share when its last copy is dropped.
#[derive(Debug)]
pub(crate) struct CaptureBudget {
    held: AtomicUsize,
    max: usize,
    /// Bodies cut short because the budget was exhausted, for rate-limited logs.
    exhausted: AtomicUsize,
}

impl CaptureBudget {
    pub(crate) fn new(max: usize) -> Arc<Self> {
        Arc::new(Self {
            held: AtomicUsize::new(0),
            max,
            exhausted: AtomicUsize::new(0),
        })
    }

    /// Reserves up to `requested` bytes and returns how many it got.
    fn reserve(&self, requested: usize) -> usize {
        let mut granted = 0;
        let _ = self
            .held
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |held| {
                granted = requested.min(self.max.saturating_sub(held));
                Some(held + granted)
            });
        if granted < requested {
            let count = self.exhausted.fetch_add(1, Ordering::Relaxed) + 1;
            // Logs the first cut body and then every 1000th.
            if count == 1 || count.is_multiple_of(1000) {
                tracing::warn!(
                    cut_bodies = count,
                    max_captured_bytes = self.max,
                    "body capture cut short: captured bodies waiting to be stored reached max_captured_bytes"
                );
            }
        }
        granted
    }

    fn release(&self, bytes: usize) {
        self.held.fetch_sub(bytes, Ordering::AcqRel);
    }

    #[cfg(test)]
    fn held(&self) -> usize {
        self.held.load(Ordering::Acquire)
    }
}

/// The captured prefix of one body while it streams.
pub(crate) struct Capture {
    buffer: Vec<u8>,
    limit: usize,
    budget: Arc<CaptureBudget>,
    /// Bytes reserved from the budget: the buffer's capacity.
    charged: usize,
    /// Set once the limit or the budget stopped the capture.
    full: bool,
}

impl Capture {
    /// Starts a capture of at most `limit` bytes, or none when `limit` is 0.
    pub(crate) fn new(limit: usize, budget: &Arc<CaptureBudget>) -> Option<Self> {
        (limit > 0).then(|| Self {
            buffer: Vec::new(),
            limit,
            budget: budget.clone(),
            charged: 0,
            full: false,
        })
    }

    /// Copies as much of `data` as the limit and the budget allow. The
    /// budget is charged for the buffer's capacity, which grows by doubling
    /// up to the limit, so it bounds the memory really held.
    pub(crate) fn update(&mut self, data: &[u8]) {
        if self.full || data.is_empty() {
            return;
        }
        let wanted = data.len().min(self.limit - self.buffer.len());
        let needed = self.buffer.len() + wanted;
        if needed > self.charged {
            let target = needed.max(self.charged * 2).min(self.limit);
            self.charged += self.budget.reserve(target - self.charged);
            self.buffer.reserve_exact(self.charged - self.buffer.len());
        }
        let copied = wanted.min(self.charged - self.buffer.len());
        self.buffer.extend_from_slice(&data[..copied]);
        self.full = self.buffer.len() == self.limit || copied < wanted;
    }

    /// Ends the capture. The returned bytes keep their share of the budget
    /// until every copy of them is dropped.
    pub(crate) fn into_bytes(self) -> Bytes {
        Bytes::from_owner(self)
    }
}

impl AsRef<[u8]> for Capture {
    fn as_ref(&self) -> &[u8] {
        &self.buffer
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        self.budget.release(self.charged);
    }
}

/// Serde form of a captured body: `{"base64": "...", "text": "..."}`, where
/// `text` is present when the bytes are UTF-8 (a character cut at the end
/// by the capture limit is left out of `text`).
pub(crate) mod serde_captured {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;
    use bytes::Bytes;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    struct Encoded {
        base64: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        text: Option<String>,
    }

    pub(crate) fn serialize<S: Serializer>(
        captured: &Option<Bytes>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        captured
            .as_ref()
            .map(|bytes| Encoded {
                base64: STANDARD.encode(bytes),
                text: super::utf8_text(bytes).map(str::to_string),
            })
            .serialize(serializer)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Bytes>, D::Error> {
        let encoded = Option::<Encoded>::deserialize(deserializer)?;
        encoded
            .map(|encoded| {
                STANDARD
                    .decode(encoded.base64.as_bytes())
                    .map(Bytes::from)
                    .map_err(|e| serde::de::Error::custom(format!("invalid base64 in a captured body: {e}")))
            })
            .transpose()
    }
}

/// Returns `bytes` as text when they are UTF-8, allowing one character cut
/// off at the end, or `None` for binary data.
pub fn utf8_text(bytes: &[u8]) -> Option<&str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Some(text),
        // `error_len() == None` means the bytes end inside a character.
        Err(error) if error.error_len().is_none() => {
            std::str::from_utf8(&bytes[..error.valid_up_to()]).ok()
        }
        Err(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_stops_at_limit() {
        let budget = CaptureBudget::new(1024);
        let mut capture = Capture::new(4, &budget).unwrap();
        capture.update(b"abc");
        capture.update(b"defg");
        let bytes = capture.into_bytes();
        assert_eq!(&bytes[..], b"abcd");
        assert_eq!(budget.held(), 4);
        drop(bytes);
        assert_eq!(budget.held(), 0);
    }

    #[test]
    fn capture_stops_at_budget() {
        let budget = CaptureBudget::new(3);
        let mut first = Capture::new(10, &budget).unwrap();
        first.update(b"hello");
        let mut second = Capture::new(10, &budget).unwrap();
        second.update(b"world");
        assert_eq!(&first.into_bytes()[..], b"hel");
        assert!(second.into_bytes().is_empty());
        assert_eq!(budget.held(), 0);
    }

    #[test]
    fn zero_limit_captures_nothing() {
        assert!(Capture::new(0, &CaptureBudget::new(10)).is_none());
    }

    #[test]
    fn utf8_text_allows_cut_character() {
        assert_eq!(utf8_text("añ".as_bytes()), Some("añ"));
        assert_eq!(utf8_text(&"añ".as_bytes()[..2]), Some("a"));
        assert_eq!(utf8_text(&[0xff, 0x00]), None);
    }
}
