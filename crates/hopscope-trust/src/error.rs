use thiserror::Error;

/// Errors of trust list editing, trust list import and reading presented
/// input. `decide` returns no error, because problems with what an
/// originator presented become failed checks.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// Bytes that are not a DER X.509 certificate, or one webpki cannot use.
    #[error("invalid certificate for {what}: {reason}")]
    InvalidCertificate { what: String, reason: String },
    /// An entry whose certificate, key or match is already on the list.
    #[error("{kind} \"{id}\" is already on the trust list with the same {matched_by}; remove it first or edit its note")]
    Duplicate {
        kind: &'static str,
        id: String,
        matched_by: &'static str,
    },
    /// An entry id that is not on the list.
    #[error("no trust list entry \"{id}\"; the list has {available}")]
    EntryNotFound { id: String, available: String },
    /// A SHA-256 value that is not 32 bytes of hex.
    #[error("invalid SHA-256 {what} \"{value}\"; write 64 hex digits, with or without colons")]
    InvalidSha256 { what: &'static str, value: String },
    /// A SAN URI to deny that cannot match any certificate.
    #[error("invalid SAN URI \"{0}\"; write an absolute URI such as https://clinic-a.test/apps/scheduler")]
    InvalidSanUri(String),
    /// Trust list JSON that does not parse or does not match its certificates.
    #[error("invalid trust list JSON: {0}")]
    InvalidJson(String),
    /// A PEM bundle of anchors that does not parse.
    #[error("invalid anchor PEM bundle: {0}")]
    InvalidPem(String),
    /// Text that is neither a compact JWT nor a PEM certificate chain.
    #[error("unrecognised presented input: {0}")]
    UnrecognisedInput(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
