use thiserror::Error;

/// Errors of key, certificate and URL handling. Messages name the value at
/// fault and, where there is one, the fix.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// A key type name that is not one of the supported types.
    #[error("unknown key type \"{0}\"; expected one of ecdsa-p256, ecdsa-p384, ed25519, rsa-2048, rsa-3072, rsa-4096")]
    UnknownKeyType(String),
    /// A role name that is not one of the supported roles.
    #[error("unknown role \"{0}\"; expected one of public-endpoint, private-endpoint, originator, destination-signing, authority")]
    UnknownRole(String),
    /// A URL that cannot be a FHIR base URL.
    #[error("invalid FHIR base URL \"{url}\": {reason}")]
    InvalidUrl { url: String, reason: String },
    /// A role that needs a URL was issued without one.
    #[error(
        "the {0} role needs a URL; pass the FHIR base URL or client URI the certificate is for"
    )]
    MissingUrl(crate::Role),
    /// A duration such as `90d` that does not parse.
    #[error("invalid duration \"{0}\"; use a number followed by h, d, w or y, such as 90d or 2y")]
    InvalidDuration(String),
    /// Input that is neither valid PEM nor DER of the expected kind.
    #[error("malformed {what}: {reason}")]
    Malformed { what: &'static str, reason: String },
    /// A password that does not decrypt an encrypted key or PKCS#12 file.
    #[error("wrong password for {what}")]
    WrongPassword { what: &'static str },
    /// A private key whose public key is not the certificate's.
    #[error("the private key does not match the certificate \"{subject}\" (certificate SPKI SHA-256 {cert_spki}, key SPKI SHA-256 {key_spki})")]
    KeyMismatch {
        subject: String,
        cert_spki: String,
        key_spki: String,
    },
    /// A key algorithm or format this crate does not handle.
    #[error("unsupported {0}")]
    Unsupported(String),
    /// Failure inside certificate generation or signing.
    #[error("signing failed: {0}")]
    Signing(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
