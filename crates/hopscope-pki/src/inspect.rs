//! Reading any certificate as far as it parses, and linting it against a role.

use serde::Serialize;
use time::OffsetDateTime;

use crate::{FhirBaseUrl, Role};

/// Everything Hopscope shows about one certificate. Fields that could not be
/// parsed are `None` and named in `unparsed`; inspection never panics.
#[derive(Debug, Clone, Serialize)]
pub struct Inspection {
    /// X.509 version as written (1, 2 or 3).
    pub version: u32,
    pub subject: String,
    pub issuer: String,
    /// Serial as lowercase hex of the DER integer content bytes, so negative
    /// and 20-byte serials show as written.
    pub serial_hex: String,
    #[serde(with = "time::serde::rfc3339::option")]
    pub not_before: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub not_after: Option<OffsetDateTime>,
    pub san_dns: Vec<String>,
    pub san_ip: Vec<String>,
    pub san_uri: Vec<String>,
    pub san_email: Vec<String>,
    /// Names such as `digitalSignature`, `keyCertSign`.
    pub key_usage: Vec<String>,
    /// Names such as `serverAuth`, `clientAuth`, or the dotted OID.
    pub extended_key_usage: Vec<String>,
    pub is_ca: bool,
    pub path_len: Option<u32>,
    /// `ecdsa-p256`, `rsa`, `ed25519`, or the algorithm OID.
    pub key_algorithm: String,
    pub key_bits: Option<u32>,
    pub signature_algorithm: String,
    pub sha256_fingerprint: String,
    pub spki_sha256: String,
    pub subject_key_id: Option<String>,
    pub authority_key_id: Option<String>,
    pub self_signed: bool,
    /// Critical extensions Hopscope does not understand, by OID.
    pub unknown_critical_extensions: Vec<String>,
    /// Parts that could not be parsed, each with the parser's reason.
    pub unparsed: Vec<String>,
}

/// How serious a lint finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

/// One lint finding, with a stable machine-readable code such as
/// `san-mismatch`, `validity-too-long`, `weak-key`, `expired`,
/// `not-yet-valid`, `role-mismatch`.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
}

/// Inspects a DER certificate. Returns `Err` only when the outer structure is
/// not a certificate at all; partly broken certificates come back with
/// `unparsed` filled.
pub fn inspect(der: &[u8]) -> crate::Result<Inspection> {
    let _ = der;
    todo!()
}

/// Lints an inspected certificate. With a role, checks the role's profile;
/// with a URL, checks that the SANs cover its host (DNS or IP for endpoint
/// roles, URI for originator and destination-signing). Also flags a
/// public-endpoint validity over 398 days, RSA keys under 2048 bits, expired
/// and not yet valid.
pub fn lint(
    inspection: &Inspection,
    role: Option<Role>,
    url: Option<&FhirBaseUrl>,
    now: OffsetDateTime,
) -> Vec<Finding> {
    let _ = (inspection, role, url, now);
    todo!()
}
