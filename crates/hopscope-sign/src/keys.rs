//! Signing and verifying keys, the RFC 9421 algorithms they serve, and the
//! `keyid` the destination puts in its signatures.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::hmac;
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair, UnparsedPublicKey};
use sha2::{Digest, Sha256};

use crate::der;

/// An algorithm of the RFC 9421 "HTTP Signature Algorithms" registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// RSASSA-PSS with SHA-512, MGF1 SHA-512 and a 64-byte salt.
    RsaPssSha512,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RsaV1_5Sha256,
    HmacSha256,
    /// ECDSA P-256 with SHA-256; the signature is r||s, 32 bytes each.
    EcdsaP256Sha256,
    /// ECDSA P-384 with SHA-384; the signature is r||s, 48 bytes each.
    EcdsaP384Sha384,
    Ed25519,
}

impl Algorithm {
    /// Returns the registry name, as written in the `alg` signature parameter.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::RsaPssSha512 => "rsa-pss-sha512",
            Algorithm::RsaV1_5Sha256 => "rsa-v1_5-sha256",
            Algorithm::HmacSha256 => "hmac-sha256",
            Algorithm::EcdsaP256Sha256 => "ecdsa-p256-sha256",
            Algorithm::EcdsaP384Sha384 => "ecdsa-p384-sha384",
            Algorithm::Ed25519 => "ed25519",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        [
            Algorithm::RsaPssSha512,
            Algorithm::RsaV1_5Sha256,
            Algorithm::HmacSha256,
            Algorithm::EcdsaP256Sha256,
            Algorithm::EcdsaP384Sha384,
            Algorithm::Ed25519,
        ]
        .into_iter()
        .find(|algorithm| algorithm.name() == name)
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The kind of key material, which fixes the algorithms it can serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    EcdsaP256,
    EcdsaP384,
    Ed25519,
    /// RSA with the modulus size in bits.
    Rsa(usize),
    /// A shared secret for HMAC.
    Hmac,
}

impl KeyType {
    /// Algorithms this key can sign or verify with, the default first.
    pub fn algorithms(self) -> &'static [Algorithm] {
        match self {
            KeyType::EcdsaP256 => &[Algorithm::EcdsaP256Sha256],
            KeyType::EcdsaP384 => &[Algorithm::EcdsaP384Sha384],
            KeyType::Ed25519 => &[Algorithm::Ed25519],
            // RFC 9421 lists rsa-pss-sha512 first, and its examples with RSA
            // keys and no `alg` parameter use it.
            KeyType::Rsa(_) => &[Algorithm::RsaPssSha512, Algorithm::RsaV1_5Sha256],
            KeyType::Hmac => &[Algorithm::HmacSha256],
        }
    }
}

impl fmt::Display for KeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyType::EcdsaP256 => f.write_str("EC P-256 key"),
            KeyType::EcdsaP384 => f.write_str("EC P-384 key"),
            KeyType::Ed25519 => f.write_str("Ed25519 key"),
            // Zero bits means the size is unknown, as for a rejected key.
            KeyType::Rsa(0) => f.write_str("RSA key"),
            KeyType::Rsa(bits) => write!(f, "RSA {bits}-bit key"),
            KeyType::Hmac => f.write_str("HMAC shared secret"),
        }
    }
}

/// A key that was rejected or could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("the private key is not DER PKCS#8 (PrivateKeyInfo); convert it with `openssl pkcs8 -topk8 -nocrypt -outform DER`")]
    NotPkcs8,
    #[error("the public key is not a DER SubjectPublicKeyInfo")]
    NotSpki,
    #[error("the certificate is not a valid DER X.509 certificate: {0}")]
    InvalidCertificate(String),
    #[error("unsupported key algorithm {oid}; use an EC P-256, EC P-384, Ed25519 or RSA key")]
    UnsupportedKeyAlgorithm { oid: String },
    #[error("the {key_type} was rejected: {reason}")]
    Rejected { key_type: KeyType, reason: String },
    #[error("algorithm {algorithm} cannot be used with an {key_type}; it allows {allowed}")]
    AlgorithmMismatch {
        algorithm: Algorithm,
        key_type: KeyType,
        allowed: String,
    },
    #[error("signing with {algorithm} failed")]
    SigningFailed { algorithm: Algorithm },
}

fn allowed_names(key_type: KeyType) -> String {
    key_type
        .algorithms()
        .iter()
        .map(|a| a.name())
        .collect::<Vec<_>>()
        .join(", ")
}

fn check_algorithm(key_type: KeyType, algorithm: Algorithm) -> Result<(), KeyError> {
    if key_type.algorithms().contains(&algorithm) {
        Ok(())
    } else {
        Err(KeyError::AlgorithmMismatch {
            algorithm,
            key_type,
            allowed: allowed_names(key_type),
        })
    }
}

enum PrivateKey {
    EcdsaP256(EcdsaKeyPair),
    EcdsaP384(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
    Rsa(RsaKeyPair),
    Hmac { key: hmac::Key, secret: Vec<u8> },
}

/// A private key (or HMAC secret) with the algorithm it signs with.
pub struct SigningKey {
    key: PrivateKey,
    algorithm: Algorithm,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print key material.
        f.debug_struct("SigningKey")
            .field("key_type", &self.key_type())
            .field("algorithm", &self.algorithm)
            .finish()
    }
}

impl SigningKey {
    /// Reads a DER PKCS#8 private key, detecting EC P-256, EC P-384, Ed25519
    /// (PKCS#8 v1 or v2) or RSA (2048 to 8192 bits). The algorithm is the
    /// key type's default: RSA keys sign with rsa-pss-sha512 until
    /// [`SigningKey::with_algorithm`] picks rsa-v1_5-sha256.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, KeyError> {
        let identifier = der::pkcs8_algorithm(der).ok_or(KeyError::NotPkcs8)?;
        let rng = SystemRandom::new();
        let rejected = |key_type: KeyType| {
            move |e: ring::error::KeyRejected| KeyError::Rejected {
                key_type,
                reason: e.to_string(),
            }
        };

        let key = match (identifier.oid, identifier.parameter_oid) {
            (der::OID_EC_PUBLIC_KEY, Some(der::OID_PRIME256V1)) => PrivateKey::EcdsaP256(
                EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, der, &rng)
                    .map_err(rejected(KeyType::EcdsaP256))?,
            ),
            (der::OID_EC_PUBLIC_KEY, Some(der::OID_SECP384R1)) => PrivateKey::EcdsaP384(
                EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P384_SHA384_FIXED_SIGNING, der, &rng)
                    .map_err(rejected(KeyType::EcdsaP384))?,
            ),
            (der::OID_EC_PUBLIC_KEY, curve) => {
                return Err(KeyError::UnsupportedKeyAlgorithm {
                    oid: format!("ecPublicKey on curve {}", curve.map(oid_to_string).unwrap_or_else(|| "(none)".into())),
                })
            }
            (der::OID_ED25519, _) => PrivateKey::Ed25519(
                Ed25519KeyPair::from_pkcs8_maybe_unchecked(der).map_err(rejected(KeyType::Ed25519))?,
            ),
            (der::OID_RSA_ENCRYPTION, _) => {
                PrivateKey::Rsa(RsaKeyPair::from_pkcs8(der).map_err(rejected(KeyType::Rsa(0)))?)
            }
            (der::OID_RSASSA_PSS, _) => {
                return Err(KeyError::UnsupportedKeyAlgorithm {
                    oid: "RSASSA-PSS (1.2.840.113549.1.1.10) private keys; re-encode the key as rsaEncryption".into(),
                })
            }
            (oid, _) => return Err(KeyError::UnsupportedKeyAlgorithm { oid: oid_to_string(oid) }),
        };
        let mut signing_key = SigningKey {
            key,
            algorithm: Algorithm::Ed25519,
        };
        signing_key.algorithm = signing_key.key_type().algorithms()[0];
        Ok(signing_key)
    }

    /// Uses `secret` as an hmac-sha256 key.
    pub fn hmac_sha256(secret: &[u8]) -> Self {
        SigningKey {
            key: PrivateKey::Hmac {
                key: hmac::Key::new(hmac::HMAC_SHA256, secret),
                secret: secret.to_vec(),
            },
            algorithm: Algorithm::HmacSha256,
        }
    }

    /// Picks the algorithm, which must suit the key (only RSA keys have a
    /// choice).
    pub fn with_algorithm(mut self, algorithm: Algorithm) -> Result<Self, KeyError> {
        check_algorithm(self.key_type(), algorithm)?;
        self.algorithm = algorithm;
        Ok(self)
    }

    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    pub fn key_type(&self) -> KeyType {
        match &self.key {
            PrivateKey::EcdsaP256(_) => KeyType::EcdsaP256,
            PrivateKey::EcdsaP384(_) => KeyType::EcdsaP384,
            PrivateKey::Ed25519(_) => KeyType::Ed25519,
            PrivateKey::Rsa(key) => KeyType::Rsa(key.public().modulus_len() * 8),
            PrivateKey::Hmac { .. } => KeyType::Hmac,
        }
    }

    /// Signs `message` with the key's algorithm.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        self.sign_with(self.algorithm, message)
    }

    /// Signs `message` with `algorithm`, which must suit the key. JWS uses
    /// this to sign RS256 with a key whose HTTP algorithm is rsa-pss-sha512.
    pub fn sign_with(&self, algorithm: Algorithm, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        check_algorithm(self.key_type(), algorithm)?;
        let failed = |_| KeyError::SigningFailed { algorithm };
        let rng = SystemRandom::new();
        match &self.key {
            PrivateKey::EcdsaP256(key) | PrivateKey::EcdsaP384(key) => {
                Ok(key.sign(&rng, message).map_err(failed)?.as_ref().to_vec())
            }
            PrivateKey::Ed25519(key) => Ok(key.sign(message).as_ref().to_vec()),
            PrivateKey::Rsa(key) => {
                let padding: &dyn signature::RsaEncoding = match algorithm {
                    Algorithm::RsaPssSha512 => &signature::RSA_PSS_SHA512,
                    _ => &signature::RSA_PKCS1_SHA256,
                };
                let mut out = vec![0u8; key.public().modulus_len()];
                key.sign(padding, &rng, message, &mut out).map_err(failed)?;
                Ok(out)
            }
            PrivateKey::Hmac { key, .. } => Ok(hmac::sign(key, message).as_ref().to_vec()),
        }
    }

    /// Returns the DER SubjectPublicKeyInfo of the public key, or `None` for
    /// an HMAC secret.
    pub fn spki_der(&self) -> Option<Vec<u8>> {
        let named_curve = |curve: &[u8]| Some(der::write_tlv(der::TAG_OID, curve));
        match &self.key {
            PrivateKey::EcdsaP256(key) => Some(der::build_spki(
                der::OID_EC_PUBLIC_KEY,
                named_curve(der::OID_PRIME256V1),
                key.public_key().as_ref(),
            )),
            PrivateKey::EcdsaP384(key) => Some(der::build_spki(
                der::OID_EC_PUBLIC_KEY,
                named_curve(der::OID_SECP384R1),
                key.public_key().as_ref(),
            )),
            PrivateKey::Ed25519(key) => Some(der::build_spki(
                der::OID_ED25519,
                None,
                key.public_key().as_ref(),
            )),
            PrivateKey::Rsa(key) => Some(der::build_spki(
                der::OID_RSA_ENCRYPTION,
                Some(der::write_tlv(der::TAG_NULL, &[])),
                key.public().as_ref(),
            )),
            PrivateKey::Hmac { .. } => None,
        }
    }

    /// Returns the [`keyid_for_spki`] of the public key, or `None` for an
    /// HMAC secret.
    pub fn keyid(&self) -> Option<String> {
        self.spki_der().map(|spki| keyid_for_spki(&spki))
    }

    /// Returns the matching verifying key, with the same algorithm.
    pub fn verifying_key(&self) -> VerifyingKey {
        let verifying_key = match &self.key {
            PrivateKey::Hmac { secret, .. } => VerifyingKey::hmac_sha256(secret),
            _ => {
                let spki = self.spki_der().expect("asymmetric keys have an SPKI");
                VerifyingKey::from_spki_der(&spki)
                    .expect("an SPKI built from a ring key pair parses")
            }
        };
        verifying_key
            .with_algorithm(self.algorithm)
            .expect("the signing key's algorithm suits its own public key")
    }
}

#[derive(Clone)]
enum PublicKey {
    /// Uncompressed SEC1 point.
    EcdsaP256(Vec<u8>),
    EcdsaP384(Vec<u8>),
    Ed25519(Vec<u8>),
    /// DER RSAPublicKey (PKCS#1).
    Rsa {
        der: Vec<u8>,
        bits: usize,
    },
    Hmac(Vec<u8>),
}

/// A public key (or HMAC secret) that verifies signatures, with the
/// algorithm used when a signature does not name one in `alg`.
#[derive(Clone)]
pub struct VerifyingKey {
    key: PublicKey,
    spki: Option<Vec<u8>>,
    algorithm: Algorithm,
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("key_type", &self.key_type())
            .field("algorithm", &self.algorithm)
            .field("keyid", &self.keyid())
            .finish()
    }
}

impl VerifyingKey {
    /// Reads a DER SubjectPublicKeyInfo of an EC P-256, EC P-384, Ed25519 or
    /// RSA key.
    // NOTE: an RSA key with the RSASSA-PSS OID is read like an rsaEncryption
    // key, so its PSS parameters are not enforced and rsa-v1_5-sha256 is
    // still allowed with it.
    pub fn from_spki_der(der: &[u8]) -> Result<Self, KeyError> {
        let (identifier, bits) = der::spki_parts(der).ok_or(KeyError::NotSpki)?;
        let key = match (identifier.oid, identifier.parameter_oid) {
            (der::OID_EC_PUBLIC_KEY, Some(der::OID_PRIME256V1)) => {
                PublicKey::EcdsaP256(bits.to_vec())
            }
            (der::OID_EC_PUBLIC_KEY, Some(der::OID_SECP384R1)) => {
                PublicKey::EcdsaP384(bits.to_vec())
            }
            (der::OID_EC_PUBLIC_KEY, curve) => {
                return Err(KeyError::UnsupportedKeyAlgorithm {
                    oid: format!(
                        "ecPublicKey on curve {}",
                        curve.map(oid_to_string).unwrap_or_else(|| "(none)".into())
                    ),
                })
            }
            (der::OID_ED25519, _) => PublicKey::Ed25519(bits.to_vec()),
            (der::OID_RSA_ENCRYPTION | der::OID_RSASSA_PSS, _) => PublicKey::Rsa {
                der: bits.to_vec(),
                bits: rsa_modulus_bits(bits).ok_or(KeyError::Rejected {
                    key_type: KeyType::Rsa(0),
                    reason: "the RSAPublicKey is not valid DER".into(),
                })?,
            },
            (oid, _) => {
                return Err(KeyError::UnsupportedKeyAlgorithm {
                    oid: oid_to_string(oid),
                })
            }
        };
        let mut verifying_key = VerifyingKey {
            key,
            spki: Some(der.to_vec()),
            algorithm: Algorithm::Ed25519,
        };
        verifying_key.algorithm = verifying_key.key_type().algorithms()[0];
        Ok(verifying_key)
    }

    /// Reads the subject public key of a DER X.509 certificate. The
    /// certificate's validity and issuer are not checked here: that is the
    /// trust decision's job.
    pub fn from_certificate_der(der: &[u8]) -> Result<Self, KeyError> {
        use x509_parser::prelude::{FromDer, X509Certificate};
        let (_, certificate) = X509Certificate::from_der(der)
            .map_err(|e| KeyError::InvalidCertificate(e.to_string()))?;
        Self::from_spki_der(certificate.public_key().raw)
    }

    pub fn hmac_sha256(secret: &[u8]) -> Self {
        VerifyingKey {
            key: PublicKey::Hmac(secret.to_vec()),
            spki: None,
            algorithm: Algorithm::HmacSha256,
        }
    }

    /// Sets the algorithm used for signatures without an `alg` parameter.
    pub fn with_algorithm(mut self, algorithm: Algorithm) -> Result<Self, KeyError> {
        check_algorithm(self.key_type(), algorithm)?;
        self.algorithm = algorithm;
        Ok(self)
    }

    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    pub fn key_type(&self) -> KeyType {
        match &self.key {
            PublicKey::EcdsaP256(_) => KeyType::EcdsaP256,
            PublicKey::EcdsaP384(_) => KeyType::EcdsaP384,
            PublicKey::Ed25519(_) => KeyType::Ed25519,
            PublicKey::Rsa { bits, .. } => KeyType::Rsa(*bits),
            PublicKey::Hmac(_) => KeyType::Hmac,
        }
    }

    /// Returns the DER SubjectPublicKeyInfo, or `None` for an HMAC secret.
    pub fn spki_der(&self) -> Option<&[u8]> {
        self.spki.as_deref()
    }

    /// Returns the [`keyid_for_spki`] of this key, or `None` for an HMAC secret.
    pub fn keyid(&self) -> Option<String> {
        self.spki.as_deref().map(keyid_for_spki)
    }

    /// Checks `signature` over `message` with `algorithm`, which must suit
    /// the key. Returns `Ok(false)` for a signature that does not verify.
    pub fn verify(
        &self,
        algorithm: Algorithm,
        message: &[u8],
        signature: &[u8],
    ) -> Result<bool, KeyError> {
        check_algorithm(self.key_type(), algorithm)?;
        let verified = match &self.key {
            PublicKey::EcdsaP256(point) => {
                UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
                    .verify(message, signature)
                    .is_ok()
            }
            PublicKey::EcdsaP384(point) => {
                UnparsedPublicKey::new(&signature::ECDSA_P384_SHA384_FIXED, point)
                    .verify(message, signature)
                    .is_ok()
            }
            PublicKey::Ed25519(key) => UnparsedPublicKey::new(&signature::ED25519, key)
                .verify(message, signature)
                .is_ok(),
            PublicKey::Rsa { der, .. } => {
                let parameters: &signature::RsaParameters = match algorithm {
                    Algorithm::RsaPssSha512 => &signature::RSA_PSS_2048_8192_SHA512,
                    _ => &signature::RSA_PKCS1_2048_8192_SHA256,
                };
                UnparsedPublicKey::new(parameters, der)
                    .verify(message, signature)
                    .is_ok()
            }
            PublicKey::Hmac(secret) => hmac::verify(
                &hmac::Key::new(hmac::HMAC_SHA256, secret),
                message,
                signature,
            )
            .is_ok(),
        };
        Ok(verified)
    }
}

/// Returns the key identifier the destination puts in `keyid`: the
/// base64url encoding, without padding, of the SHA-256 digest of the DER
/// SubjectPublicKeyInfo (43 characters).
pub fn keyid_for_spki(spki_der: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(spki_der))
}

/// Returns the modulus size in bits of a DER RSAPublicKey.
fn rsa_modulus_bits(der: &[u8]) -> Option<usize> {
    let (sequence, _) = der::expect(der, der::TAG_SEQUENCE)?;
    let (modulus, _) = der::expect(sequence, der::TAG_INTEGER)?;
    let significant = modulus.iter().skip_while(|b| **b == 0).count();
    Some(significant * 8)
}

/// Formats OID content octets in dotted decimal, for error messages.
fn oid_to_string(oid: &[u8]) -> String {
    let Some((&first, rest)) = oid.split_first() else {
        return "(empty OID)".into();
    };
    let mut parts = vec![
        (first / 40).min(2) as u64,
        (first as u64).saturating_sub(40 * (first / 40).min(2) as u64),
    ];
    let mut value = 0u64;
    for &byte in rest {
        value = (value << 7) | (byte & 0x7f) as u64;
        if byte & 0x80 == 0 {
            parts.push(value);
            value = 0;
        }
    }
    parts
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oid_formats_dotted() {
        assert_eq!(
            oid_to_string(der::OID_RSA_ENCRYPTION),
            "1.2.840.113549.1.1.1"
        );
        assert_eq!(oid_to_string(der::OID_SECP384R1), "1.3.132.0.34");
    }

    #[test]
    fn algorithm_names_round_trip() {
        for algorithm in [
            Algorithm::RsaPssSha512,
            Algorithm::RsaV1_5Sha256,
            Algorithm::HmacSha256,
            Algorithm::EcdsaP256Sha256,
            Algorithm::EcdsaP384Sha384,
            Algorithm::Ed25519,
        ] {
            assert_eq!(Algorithm::from_name(algorithm.name()), Some(algorithm));
        }
        assert_eq!(Algorithm::from_name("rsa-sha256"), None);
    }
}
