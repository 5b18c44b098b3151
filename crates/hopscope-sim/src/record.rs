//! Body records of the simulators' exchanges.

use bytes::Bytes;
use hopscope_gateway::BodyRecord;
use sha2::{Digest, Sha256};

/// Records a whole body the simulator held in memory: its size, SHA-256 and
/// its first `capture_bytes` bytes (none when `capture_bytes` is 0), as
/// the hops record the bodies they stream.
pub(crate) fn body_record(body: &Bytes, capture_bytes: usize) -> BodyRecord {
    let captured = (capture_bytes > 0).then(|| body.slice(..body.len().min(capture_bytes)));
    BodyRecord {
        size: body.len() as u64,
        sha256: Some(hex::encode(Sha256::digest(body))),
        complete: true,
        truncated: body.len() > capture_bytes && capture_bytes > 0,
        captured,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_body_is_truncated() {
        let record = body_record(&Bytes::from_static(b"0123456789"), 4);
        assert_eq!(record.captured.as_deref(), Some(b"0123".as_slice()));
        assert!(record.truncated);
        assert_eq!(record.size, 10);
    }

    #[test]
    fn zero_limit_captures_nothing() {
        let record = body_record(&Bytes::from_static(b"abc"), 0);
        assert_eq!(record.captured, None);
        assert!(!record.truncated);
    }
}
