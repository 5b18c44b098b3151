//! The facts about one certificate that trust lists and decisions compare.

use sha2::{Digest, Sha256};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use x509_parser::extensions::{GeneralName, ParsedExtension, X509Extension};
use x509_parser::oid_registry::{OID_EC_P256, OID_NIST_EC_P384, OID_SIG_ED25519};
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::public_key::PublicKey;

/// Smallest RSA modulus accepted anywhere in a chain, in bits.
pub const MIN_RSA_BITS: usize = 2048;

/// The public key algorithm of a certificate, with the size where it varies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KeyKind {
    Rsa {
        bits: usize,
    },
    EcdsaP256,
    EcdsaP384,
    Ed25519,
    /// Any other algorithm or curve, by OID.
    Other(String),
}

impl std::fmt::Display for KeyKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyKind::Rsa { bits } => write!(f, "RSA {bits}-bit"),
            KeyKind::EcdsaP256 => f.write_str("ECDSA P-256"),
            KeyKind::EcdsaP384 => f.write_str("ECDSA P-384"),
            KeyKind::Ed25519 => f.write_str("Ed25519"),
            KeyKind::Other(oid) => write!(f, "key algorithm {oid}"),
        }
    }
}

/// Parsed facts of one DER certificate. Fingerprints are lowercase hex
/// without separators, as hopscope-pki writes them.
#[derive(Debug, Clone)]
pub(crate) struct CertFacts {
    pub der: Vec<u8>,
    pub subject: String,
    pub issuer: String,
    /// DER of the subject and issuer names, for byte-exact matching.
    pub subject_raw: Vec<u8>,
    pub issuer_raw: Vec<u8>,
    /// Serial as the DER integer's content bytes.
    pub serial: Vec<u8>,
    /// The key identifier of the authority key identifier extension.
    pub authority_key_id: Option<Vec<u8>>,
    pub sha256_fingerprint: String,
    pub spki_sha256: String,
    /// The SubjectPublicKeyInfo's BIT STRING contents: an EC point, an
    /// RSAPublicKey DER or a raw Ed25519 key, as ring verifies with it.
    pub public_key: Vec<u8>,
    pub key: KeyKind,
    /// The basicConstraints pathLenConstraint of a CA certificate.
    pub path_len: Option<u32>,
    pub san_uris: Vec<String>,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    /// Whether the certificate has a name constraints extension.
    pub has_name_constraints: bool,
    /// Whether a name constraints extension names a URI or directory name
    /// subtree, which rustls-webpki 0.103 rejects whatever the names are.
    pub has_uri_or_dirname_constraint: bool,
}

impl CertFacts {
    /// Parses a DER certificate. The error is x509-parser's reason.
    pub fn parse(der: &[u8]) -> Result<CertFacts, String> {
        let (rest, cert) = X509Certificate::from_der(der).map_err(|e| e.to_string())?;
        if !rest.is_empty() {
            return Err(format!("{} bytes follow the certificate", rest.len()));
        }
        let spki = cert.public_key();
        let key = key_kind(&cert);
        let san_uris = match cert.subject_alternative_name() {
            Ok(Some(san)) => san
                .value
                .general_names
                .iter()
                .filter_map(|name| match name {
                    GeneralName::URI(uri) => Some(uri.to_string()),
                    _ => None,
                })
                .collect(),
            Ok(None) => Vec::new(),
            Err(e) => return Err(format!("its subject alternative name is invalid: {e}")),
        };
        let has_uri_or_dirname_constraint = match cert.name_constraints() {
            Ok(Some(nc)) => nc
                .value
                .permitted_subtrees
                .iter()
                .chain(nc.value.excluded_subtrees.iter())
                .flatten()
                .any(|subtree| {
                    matches!(
                        subtree.base,
                        GeneralName::URI(_) | GeneralName::DirectoryName(_)
                    )
                }),
            _ => false,
        };
        let has_name_constraints = matches!(cert.name_constraints(), Ok(Some(_)));
        Ok(CertFacts {
            der: der.to_vec(),
            subject: cert.subject().to_string(),
            issuer: cert.issuer().to_string(),
            subject_raw: cert.subject().as_raw().to_vec(),
            issuer_raw: cert.issuer().as_raw().to_vec(),
            serial: cert.raw_serial().to_vec(),
            authority_key_id: authority_key_id(cert.extensions()),
            sha256_fingerprint: sha256_hex(der),
            spki_sha256: sha256_hex(spki.raw),
            public_key: spki.subject_public_key.data.to_vec(),
            key,
            path_len: path_len(&cert),
            san_uris,
            not_before: cert.validity().not_before.to_datetime(),
            not_after: cert.validity().not_after.to_datetime(),
            has_name_constraints,
            has_uri_or_dirname_constraint,
        })
    }

    /// Returns the quoted subject for messages, or the fingerprint when the
    /// subject is empty.
    pub fn label(&self) -> String {
        if self.subject.is_empty() {
            format!("SHA-256 {}", self.sha256_fingerprint)
        } else {
            format!("\"{}\"", self.subject)
        }
    }
}

/// Lowercase hex SHA-256.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Formats a time as RFC 3339, the form used in every reason.
pub(crate) fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339)
        .unwrap_or_else(|_| format!("{at} (outside the RFC 3339 range)"))
}

/// Normalises a SHA-256 hex value written with or without colons and in any
/// case; `None` unless it is 64 hex digits.
pub(crate) fn normalise_sha256(value: &str) -> Option<String> {
    let digits: String = value.trim().chars().filter(|c| *c != ':').collect();
    let valid = digits.len() == 64 && digits.chars().all(|c| c.is_ascii_hexdigit());
    valid.then(|| digits.to_ascii_lowercase())
}

/// Reads the key identifier of an authority key identifier extension, in a
/// certificate or a CRL.
pub(crate) fn authority_key_id(extensions: &[X509Extension<'_>]) -> Option<Vec<u8>> {
    extensions
        .iter()
        .find_map(|ext| match ext.parsed_extension() {
            ParsedExtension::AuthorityKeyIdentifier(aki) => {
                aki.key_identifier.as_ref().map(|id| id.0.to_vec())
            }
            _ => None,
        })
}

fn path_len(cert: &X509Certificate<'_>) -> Option<u32> {
    match cert.basic_constraints() {
        Ok(Some(bc)) if bc.value.ca => bc.value.path_len_constraint,
        _ => None,
    }
}

fn key_kind(cert: &X509Certificate<'_>) -> KeyKind {
    let spki = cert.public_key();
    let algorithm = &spki.algorithm.algorithm;
    if *algorithm == OID_SIG_ED25519 {
        return KeyKind::Ed25519;
    }
    match spki.parsed() {
        Ok(PublicKey::RSA(rsa)) => KeyKind::Rsa {
            bits: rsa.key_size(),
        },
        Ok(PublicKey::EC(_)) => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok());
            match curve {
                Some(oid) if oid == OID_EC_P256 => KeyKind::EcdsaP256,
                Some(oid) if oid == OID_NIST_EC_P384 => KeyKind::EcdsaP384,
                Some(oid) => KeyKind::Other(format!("EC curve {oid}")),
                None => KeyKind::Other("EC with no named curve".into()),
            }
        }
        _ => KeyKind::Other(algorithm.to_id_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_normalised() {
        let colons = "AB:".repeat(31) + "AB";
        assert_eq!(normalise_sha256(&colons), Some("ab".repeat(32)));
        assert_eq!(normalise_sha256(&"0f".repeat(32)), Some("0f".repeat(32)));
        assert_eq!(normalise_sha256("abcd"), None);
        assert_eq!(normalise_sha256(&"zz".repeat(32)), None);
    }
}
