//! `Content-Digest` (RFC 9530): a digest of the message content as sent,
//! which a signature covers so that the body is protected too.

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sha2::{Digest, Sha256, Sha512};

use crate::sf::{self, BareItem, Member};

/// A digest algorithm of the IANA "Hash Algorithms for HTTP Digest Fields"
/// registry that this crate computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DigestAlgorithm {
    Sha256,
    Sha512,
}

impl DigestAlgorithm {
    /// Returns the registry key, as written in the field.
    pub fn key(self) -> &'static str {
        match self {
            DigestAlgorithm::Sha256 => "sha-256",
            DigestAlgorithm::Sha512 => "sha-512",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        match key {
            "sha-256" => Some(DigestAlgorithm::Sha256),
            "sha-512" => Some(DigestAlgorithm::Sha512),
            _ => None,
        }
    }

    pub fn digest(self, body: &[u8]) -> Vec<u8> {
        match self {
            DigestAlgorithm::Sha256 => Sha256::digest(body).to_vec(),
            DigestAlgorithm::Sha512 => Sha512::digest(body).to_vec(),
        }
    }
}

impl fmt::Display for DigestAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// Returns the `Content-Digest` value `sha-256=:<base64>:` for `body`.
pub fn content_digest_sha256(body: &[u8]) -> String {
    content_digest(DigestAlgorithm::Sha256, body)
}

/// Returns the `Content-Digest` value `sha-512=:<base64>:` for `body`.
pub fn content_digest_sha512(body: &[u8]) -> String {
    content_digest(DigestAlgorithm::Sha512, body)
}

pub fn content_digest(algorithm: DigestAlgorithm, body: &[u8]) -> String {
    format!(
        "{}=:{}:",
        algorithm.key(),
        STANDARD.encode(algorithm.digest(body))
    )
}

/// A `Content-Digest` value that does not vouch for a body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DigestError {
    #[error("Content-Digest `{value}` is not a valid structured field dictionary: {reason}")]
    Malformed { value: String, reason: String },
    #[error(
        "Content-Digest `{value}` has no sha-256 or sha-512 member (found: {found}); \
         the sender must add one of these algorithms"
    )]
    UnsupportedAlgorithm { value: String, found: String },
    #[error(
        "Content-Digest {algorithm} does not match the body: the field has `{expected}` \
         but the body digests to `{actual}`; the body changed after the digest was computed"
    )]
    Mismatch {
        algorithm: DigestAlgorithm,
        /// Base64 digest from the field.
        expected: String,
        /// Base64 digest of the body received.
        actual: String,
    },
}

/// Checks a `Content-Digest` field value against `body`.
///
/// Every sha-256 and sha-512 member is checked and all must match. Members
/// with other algorithms are ignored (RFC 9530 lets a recipient choose), but
/// at least one supported member must be present. Returns the strongest
/// algorithm checked.
pub fn verify_content_digest(
    header_value: &str,
    body: &[u8],
) -> Result<DigestAlgorithm, DigestError> {
    let dictionary = sf::parse_dictionary(header_value).map_err(|e| DigestError::Malformed {
        value: header_value.to_string(),
        reason: e.to_string(),
    })?;

    let mut strongest = None;
    for (key, member) in dictionary.iter() {
        let Some(algorithm) = DigestAlgorithm::from_key(key) else {
            continue;
        };
        let expected = match member {
            Member::Item(item) => match &item.bare {
                BareItem::ByteSequence(bytes) => bytes.clone(),
                _ => {
                    return Err(DigestError::Malformed {
                        value: header_value.to_string(),
                        reason: format!("member {key} is not a byte sequence (`:<base64>:`)"),
                    })
                }
            },
            Member::InnerList(_) => {
                return Err(DigestError::Malformed {
                    value: header_value.to_string(),
                    reason: format!("member {key} is an inner list, not a byte sequence"),
                })
            }
        };
        let actual = algorithm.digest(body);
        if actual != expected {
            return Err(DigestError::Mismatch {
                algorithm,
                expected: STANDARD.encode(&expected),
                actual: STANDARD.encode(&actual),
            });
        }
        strongest = match (strongest, algorithm) {
            (Some(DigestAlgorithm::Sha512), _) => Some(DigestAlgorithm::Sha512),
            (_, algorithm) => Some(algorithm),
        };
    }

    strongest.ok_or_else(|| DigestError::UnsupportedAlgorithm {
        value: header_value.to_string(),
        found: if dictionary.is_empty() {
            "no members".to_string()
        } else {
            dictionary.keys().collect::<Vec<_>>().join(", ")
        },
    })
}
