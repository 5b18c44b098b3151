//! Errors of configuring, starting and controlling a gateway.
//!
//! Errors that happen while forwarding a request never reach the caller: the
//! gateway responds to them itself with an `OperationOutcome` (see `outcome`).

use std::net::SocketAddr;

/// Errors returned by the gateway's public API.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid gateway configuration: {0}")]
    InvalidConfig(String),

    #[error("listener {hop} would bind {addr}, which is not a loopback address; set allow_non_loopback on the listener to bind it on purpose")]
    NonLoopbackBind { hop: String, addr: SocketAddr },

    #[error("invalid certificate chain for host {host}: {reason}; pass the leaf first, then its issuers, as PEM")]
    InvalidCertificate { host: String, reason: String },

    #[error("invalid private key for host {host}: {reason}; pass the leaf's key as PKCS#8 DER")]
    InvalidKey { host: String, reason: String },

    #[error("invalid upstream trust root {index}: {reason}; pass DER-encoded CA certificates")]
    InvalidTrustRoot { index: usize, reason: String },

    #[error("invalid next-hop URL {url} in route {route}: {reason}")]
    InvalidUpstreamUrl {
        route: String,
        url: String,
        reason: String,
    },

    #[error("failed to bind listener {hop} on {addr}: {source}; choose a free port or port 0")]
    Bind {
        hop: String,
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },

    #[error("no listener serves host {host}; configure a certificate for it first")]
    UnknownHost { host: String },

    #[error("unknown hop {hop}; use the name of a configured listener")]
    UnknownHop { hop: String },

    #[error("invalid header name {name} for the strip-header fault: {reason}")]
    InvalidHeaderName { name: String, reason: String },

    #[error("invalid status {status} for the status fault; use a code from 100 to 599")]
    InvalidStatus { status: u16 },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
