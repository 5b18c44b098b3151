//! Errors of the simulators.

use std::net::SocketAddr;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "the destination simulator {destination} must listen on a loopback address, not {addr}"
    )]
    NonLoopbackBind {
        destination: String,
        addr: SocketAddr,
    },

    #[error("cannot listen on {addr} for destination {destination}: {source}; stop what uses the port or change the private URL")]
    Bind {
        destination: String,
        addr: SocketAddr,
        source: std::io::Error,
    },

    #[error("invalid {what} URL {url:?}: {reason}")]
    InvalidUrl {
        what: &'static str,
        url: String,
        reason: String,
    },

    #[error("the destination-signing key of {owner} cannot be used: {reason}")]
    SigningKey { owner: String, reason: String },

    #[error("the originator's credential cannot be used: {0}")]
    OriginatorCredential(String),

    #[error("unknown scenario {name:?}; run `hopscope exchange scenarios` to list them")]
    UnknownScenario { name: String },

    #[error("the originator's HTTP client cannot be built: {0}")]
    Client(String),

    #[error(transparent)]
    Gateway(#[from] hopscope_gateway::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
