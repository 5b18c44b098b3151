//! The simulators' use of `hopscope-sign`: signing responses and JWTs with
//! a credential's key, and checking what the destination signed.

use std::sync::Arc;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hopscope_sign::digest::{content_digest_sha256, verify_content_digest};
use hopscope_sign::message::{self, ComponentId, HttpMessage, SignatureParams};
use hopscope_sign::{SigningKey, VerifyingKey};
use http::header::HeaderValue;
use http::{HeaderMap, StatusCode};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::error::{Error, Result};
use crate::originator::OriginatorCheck;
use crate::{SIGNATURE_LABEL, SIGNED_COMPONENTS};

/// A credential's private key with its certificate chain: the destination's
/// signing identity, or the originator's.
#[derive(Clone)]
pub struct SigningIdentity {
    key: Arc<SigningKey>,
    /// DER certificates, leaf first.
    chain: Arc<Vec<Vec<u8>>>,
    keyid: String,
}

impl std::fmt::Debug for SigningIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningIdentity")
            .field("keyid", &self.keyid)
            .field("certificates", &self.chain.len())
            .finish()
    }
}

impl SigningIdentity {
    /// Builds an identity from a DER PKCS#8 key and its chain, leaf first.
    /// `owner` names the credential in errors.
    pub fn new(
        owner: &str,
        key_pkcs8_der: &[u8],
        chain_der: Vec<Vec<u8>>,
    ) -> Result<SigningIdentity> {
        let key = SigningKey::from_pkcs8_der(key_pkcs8_der).map_err(|e| Error::SigningKey {
            owner: owner.to_string(),
            reason: e.to_string(),
        })?;
        let leaf = chain_der.first().ok_or_else(|| Error::SigningKey {
            owner: owner.to_string(),
            reason: "it has no certificate".into(),
        })?;
        let certificate_key =
            VerifyingKey::from_certificate_der(leaf).map_err(|e| Error::SigningKey {
                owner: owner.to_string(),
                reason: format!("its certificate's public key cannot be read: {e}"),
            })?;
        if key.spki_der().as_deref() != certificate_key.spki_der() {
            return Err(Error::SigningKey {
                owner: owner.to_string(),
                reason: "the private key does not belong to the certificate".into(),
            });
        }
        let keyid = key.keyid().unwrap_or_default();
        Ok(SigningIdentity {
            key: Arc::new(key),
            chain: Arc::new(chain_der),
            keyid,
        })
    }

    /// Returns the base64url SHA-256 of the key's SubjectPublicKeyInfo, the
    /// `keyid` of the destination's signatures.
    pub fn keyid(&self) -> &str {
        &self.keyid
    }

    /// Returns the hex SHA-256 of the leaf certificate.
    pub fn certificate_sha256(&self) -> String {
        hex::encode(Sha256::digest(&self.chain[0]))
    }

    pub fn chain_der(&self) -> &[Vec<u8>] {
        &self.chain
    }

    /// Adds `Content-Digest` (sha-256) and an RFC 9421 signature labelled
    /// [`SIGNATURE_LABEL`] over [`SIGNED_COMPONENTS`], `created`, `keyid`
    /// and `alg`, replacing any the headers had.
    pub fn sign_response(&self, status: StatusCode, headers: &mut HeaderMap, body: &[u8]) {
        let digest = content_digest_sha256(body);
        headers.insert(
            "content-digest",
            HeaderValue::from_str(&digest).expect("a digest is a valid header value"),
        );
        if !headers.contains_key(http::header::CONTENT_TYPE) {
            headers.insert(
                http::header::CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            );
        }
        let message = response_message(status.as_u16(), headers);
        let components = SIGNED_COMPONENTS.iter().map(|name| {
            if name.starts_with('@') {
                ComponentId::derived(name)
            } else {
                ComponentId::field(name)
            }
        });
        let params = SignatureParams::new(components)
            .with_created(OffsetDateTime::now_utc().unix_timestamp())
            .with_keyid(&self.keyid)
            .with_alg(self.key.algorithm());
        match message::sign(&message, SIGNATURE_LABEL, &params, &self.key) {
            Ok(signed) => {
                headers.insert(
                    "signature-input",
                    HeaderValue::from_str(&signed.signature_input)
                        .expect("a signature input is a valid header value"),
                );
                headers.insert(
                    "signature",
                    HeaderValue::from_str(&signed.signature)
                        .expect("a signature is a valid header value"),
                );
            }
            // Unreachable with the keys `new` accepts; a response without a
            // signature is still sent, and the verdict reports it missing.
            Err(error) => {
                tracing::error!(keyid = %self.keyid, error = %error, "signing a response failed")
            }
        }
    }

    /// Signs claims as a compact JWS with the chain in `x5c`.
    pub fn sign_jwt(&self, claims: &Value) -> String {
        let x5c: Vec<String> = self.chain.iter().map(|der| STANDARD.encode(der)).collect();
        let header = json!({ "typ": "JWT", "x5c": x5c, "kid": self.keyid });
        hopscope_sign::jws::sign_compact(&header, claims, &self.key)
            .expect("signing with a key `new` accepted does not fail")
    }

    /// Verifies a compact JWS signed by this identity's key and returns its
    /// claims.
    pub fn verify_jwt(&self, jwt: &str) -> Result<Map<String, Value>, String> {
        verify_jwt_with_certificate(jwt, &self.chain[0])
    }
}

/// Verifies a compact JWS with the key of a DER certificate and returns its
/// claims.
pub fn verify_jwt_with_certificate(
    jwt: &str,
    certificate_der: &[u8],
) -> Result<Map<String, Value>, String> {
    let key = VerifyingKey::from_certificate_der(certificate_der).map_err(|e| e.to_string())?;
    let verified = hopscope_sign::jws::verify_compact(jwt, &key).map_err(|e| e.to_string())?;
    match verified.claims {
        Value::Object(claims) => Ok(claims),
        _ => Err("the JWT payload is not a JSON object".into()),
    }
}

/// Checks a response as the originator received it: its `Content-Digest`
/// against the body, then its signature with the destination-signing
/// certificate. Returns the two checks.
pub fn verify_response(
    certificate_der: &[u8],
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
) -> (OriginatorCheck, OriginatorCheck) {
    let digest = check_digest(headers, body);
    let signature = match (headers.get("signature-input"), headers.get("signature")) {
        (None, _) => {
            OriginatorCheck::fail("missing signature: the response has no Signature-Input header")
        }
        (_, None) => {
            OriginatorCheck::fail("missing signature: the response has no Signature header")
        }
        (Some(input), Some(signature)) => {
            let key = match VerifyingKey::from_certificate_der(certificate_der) {
                Ok(key) => key,
                Err(error) => {
                    return (
                        digest,
                        OriginatorCheck::fail(format!(
                            "the destination-signing certificate cannot be used: {error}"
                        )),
                    )
                }
            };
            let message = response_message(status, headers);
            match message::verify(
                &message,
                input.to_str().unwrap_or_default(),
                signature.to_str().unwrap_or_default(),
                Some(SIGNATURE_LABEL),
                &key,
            ) {
                Ok(_) => OriginatorCheck::pass(format!(
                    "signature {SIGNATURE_LABEL} over {} verifies with the destination-signing certificate",
                    SIGNED_COMPONENTS.join(", ")
                )),
                Err(error) => OriginatorCheck::fail(format!("signature {SIGNATURE_LABEL} does not verify: {error}")),
            }
        }
    };
    (digest, signature)
}

fn response_message(status: u16, headers: &HeaderMap) -> HttpMessage {
    let mut message = HttpMessage::response(status);
    for (name, value) in headers {
        message.append_header(name.as_str(), &String::from_utf8_lossy(value.as_bytes()));
    }
    message
}

/// Checks a response's `Content-Digest` against the body received.
pub fn check_digest(headers: &HeaderMap, body: &[u8]) -> OriginatorCheck {
    match headers.get("content-digest").and_then(|v| v.to_str().ok()) {
        None => OriginatorCheck::fail("the response has no Content-Digest header"),
        Some(value) => match verify_content_digest(value, body) {
            Ok(algorithm) => OriginatorCheck::pass(format!(
                "Content-Digest {} matches the body received ({} bytes)",
                algorithm.key(),
                body.len()
            )),
            Err(error) => OriginatorCheck::fail(format!("{error}")),
        },
    }
}
