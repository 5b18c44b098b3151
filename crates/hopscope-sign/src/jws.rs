//! Compact JWS (RFC 7515) signing and verifying with the keys of this
//! crate: ES256 and ES384 (r||s), EdDSA (Ed25519), RS256 and HS256.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;

use crate::keys::{Algorithm, KeyError, KeyType, SigningKey, VerifyingKey};

/// A failure to sign or verify a JWS.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwsError {
    #[error("the JWS {part} must be a JSON object")]
    NotAnObject { part: &'static str },
    #[error("the JWS is not compact serialisation (three base64url parts separated by `.`)")]
    Malformed,
    #[error("the JWS {part} is not valid base64url JSON: {reason}")]
    InvalidPart { part: &'static str, reason: String },
    #[error("the JWS header has alg `{alg}`, but the verifying key is an {key_type}, which verifies {expected}")]
    AlgorithmMismatch {
        alg: String,
        key_type: KeyType,
        expected: &'static str,
    },
    #[error("the JWS signature does not verify with the {key_type}")]
    BadSignature { key_type: KeyType },
    #[error(transparent)]
    Key(#[from] KeyError),
}

/// Returns the JWS `alg` a key type signs with, and the RFC 9421 algorithm
/// that computes it.
fn jws_algorithm(key_type: KeyType) -> (&'static str, Algorithm) {
    match key_type {
        KeyType::EcdsaP256 => ("ES256", Algorithm::EcdsaP256Sha256),
        KeyType::EcdsaP384 => ("ES384", Algorithm::EcdsaP384Sha384),
        KeyType::Ed25519 => ("EdDSA", Algorithm::Ed25519),
        KeyType::Rsa(_) => ("RS256", Algorithm::RsaV1_5Sha256),
        KeyType::Hmac => ("HS256", Algorithm::HmacSha256),
    }
}

/// Signs `claims` as a compact JWS. `alg` in `header` is set from the key
/// (ES256, ES384, EdDSA, RS256 or HS256), replacing any value given; the
/// other header members are kept.
pub fn sign_compact(header: &Value, claims: &Value, key: &SigningKey) -> Result<String, JwsError> {
    let Value::Object(header) = header else {
        return Err(JwsError::NotAnObject { part: "header" });
    };
    if !claims.is_object() {
        return Err(JwsError::NotAnObject { part: "claims" });
    }
    let (alg, algorithm) = jws_algorithm(key.key_type());
    let mut header = header.clone();
    header.insert("alg".into(), Value::String(alg.into()));

    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(Value::Object(header).to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = key.sign_with(algorithm, signing_input.as_bytes())?;
    Ok(format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(signature)
    ))
}

/// A JWS that verified.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedJws {
    pub header: Value,
    pub claims: Value,
}

/// Verifies a compact JWS with `key`. The header's `alg` must be the one the
/// key type signs with (so `none` and algorithm substitution are rejected).
/// Claims such as `exp` are returned, not judged.
pub fn verify_compact(token: &str, key: &VerifyingKey) -> Result<VerifiedJws, JwsError> {
    let parts: Vec<&str> = token.split('.').collect();
    let [header_part, claims_part, signature_part] = parts.as_slice() else {
        return Err(JwsError::Malformed);
    };
    let header = decode_json(header_part, "header")?;
    let claims = decode_json(claims_part, "claims")?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature_part)
        .map_err(|e| JwsError::InvalidPart {
            part: "signature",
            reason: e.to_string(),
        })?;

    let (expected, algorithm) = jws_algorithm(key.key_type());
    let alg = header
        .get("alg")
        .and_then(Value::as_str)
        .unwrap_or("(missing)");
    if alg != expected {
        return Err(JwsError::AlgorithmMismatch {
            alg: alg.to_string(),
            key_type: key.key_type(),
            expected,
        });
    }
    let signing_input = &token[..header_part.len() + 1 + claims_part.len()];
    if !key.verify(algorithm, signing_input.as_bytes(), &signature)? {
        return Err(JwsError::BadSignature {
            key_type: key.key_type(),
        });
    }
    Ok(VerifiedJws { header, claims })
}

fn decode_json(part: &str, name: &'static str) -> Result<Value, JwsError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|e| JwsError::InvalidPart {
            part: name,
            reason: e.to_string(),
        })?;
    let value: Value = serde_json::from_slice(&bytes).map_err(|e| JwsError::InvalidPart {
        part: name,
        reason: e.to_string(),
    })?;
    if !value.is_object() {
        return Err(JwsError::NotAnObject { part: name });
    }
    Ok(value)
}
