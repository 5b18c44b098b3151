//! Gateway configuration: listeners with their certificates and routes, the
//! upstream connection settings, and the limits that protect the operator's
//! machine.

use std::collections::HashMap;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use crate::error::{Error, Result};

/// Request header that correlates the hops of one exchange. The first
/// gateway adds it when the request has none, and every hop forwards it.
pub const EXCHANGE_HEADER: &str = "x-hopscope-exchange";

/// The whole configuration of one running gateway.
#[derive(Clone, Debug, Default)]
pub struct GatewayConfig {
    pub listeners: Vec<ListenerConfig>,
    pub upstream: UpstreamConfig,
    pub limits: Limits,
}

/// One intermediary (a hop) listening on one socket.
#[derive(Clone, Debug)]
pub struct ListenerConfig {
    /// Hop name, used in logs, records, faults and error bodies (`int-one`).
    pub hop: String,
    pub bind: SocketAddr,
    /// Must be set to bind anything but a loopback address, so that a typo
    /// cannot expose a test gateway on the network.
    pub allow_non_loopback: bool,
    /// Server certificates chosen by the TLS SNI host name. A client that
    /// sends no SNI, or an unknown one, gets the only certificate when there
    /// is exactly one; otherwise its handshake fails.
    pub certificates: Vec<ServerCertificate>,
    pub routes: Vec<RouteConfig>,
}

impl ListenerConfig {
    /// Creates a listener on 127.0.0.1:`port` (0 picks a free port) with no
    /// certificates and no routes.
    pub fn loopback(hop: impl Into<String>, port: u16) -> Self {
        Self {
            hop: hop.into(),
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
            allow_non_loopback: false,
            certificates: Vec::new(),
            routes: Vec::new(),
        }
    }
}

/// A server certificate for one host name.
#[derive(Clone)]
pub struct ServerCertificate {
    /// DNS name matched against the TLS SNI, case-insensitively.
    pub host: String,
    /// Leaf first, then the intermediates, as PEM.
    pub chain_pem: String,
    /// The leaf's private key as PKCS#8 DER.
    pub key_pkcs8_der: Vec<u8>,
}

// Hand-written so that the private key never reaches a log.
impl fmt::Debug for ServerCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerCertificate")
            .field("host", &self.host)
            .field("chain_pem_len", &self.chain_pem.len())
            .finish_non_exhaustive()
    }
}

/// A route: requests whose host and path match go to `next_hop`.
#[derive(Clone, Debug)]
pub struct RouteConfig {
    /// Host name matched against the `Host` header (HTTP/1.1) or the
    /// `:authority` (HTTP/2), port ignored, case-insensitively.
    pub host: String,
    /// Path prefix matched on whole segments: `/d-corp` matches `/d-corp` and
    /// `/d-corp/Patient`, not `/d-corpx`. `/` or empty matches every path.
    pub path_prefix: String,
    /// Base URL of the next hop (`https://int-two.internal.test:9444/d-corp`).
    /// The matched prefix is replaced by this URL's path; the rest of the path
    /// and the query pass unchanged.
    pub next_hop: String,
    /// Adds a `Forwarded` header (RFC 7239) to forwarded requests.
    pub forwarded: bool,
    /// Adds a `Via` header (RFC 9110, section 7.6.3) to requests and responses.
    pub via: bool,
    /// Overrides `UpstreamConfig::response_timeout` for this route.
    pub response_timeout: Option<Duration>,
}

impl RouteConfig {
    /// Creates a route with `Forwarded` and `Via` off and the default timeout.
    pub fn new(
        host: impl Into<String>,
        path_prefix: impl Into<String>,
        next_hop: impl Into<String>,
    ) -> Self {
        Self {
            host: host.into(),
            path_prefix: path_prefix.into(),
            next_hop: next_hop.into(),
            forwarded: false,
            via: false,
            response_timeout: None,
        }
    }
}

/// Connection settings toward next hops.
#[derive(Clone, Debug)]
pub struct UpstreamConfig {
    /// Socket address of each next-hop host name. Names under `.test` are
    /// resolved by the topology, so the gateway never queries DNS, and a
    /// host missing here cannot be reached (502).
    pub addresses: HashMap<String, SocketAddr>,
    /// DER CA certificates that next-hop certificates must chain to. Neither
    /// the system store nor a built-in root list is used.
    pub trust_roots: Vec<Vec<u8>>,
    /// Limit for the TCP connect plus the TLS handshake to a next hop.
    pub connect_timeout: Duration,
    /// Limit from sending a request to receiving the next hop's response
    /// headers. Past it the gateway responds 504.
    pub response_timeout: Duration,
    /// How long an idle upstream connection stays in the pool for reuse.
    pub pool_idle_timeout: Duration,
}

impl Default for UpstreamConfig {
    fn default() -> Self {
        Self {
            addresses: HashMap::new(),
            trust_roots: Vec::new(),
            connect_timeout: Duration::from_secs(10),
            response_timeout: Duration::from_secs(30),
            pool_idle_timeout: Duration::from_secs(90),
        }
    }
}

/// Limits that protect the operator's machine. They apply per listener.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Limit for the TLS handshake and, on HTTP/1.1, for reading each
    /// request's headers, idle keep-alive time included.
    pub header_read_timeout: Duration,
    /// Maximum size of a request head in bytes. Larger requests get 431,
    /// on HTTP/2 too, where the h2 crate sends it per stream.
    /// NOTE: only the HTTP/1.1 case is logged, because hyper reports the
    /// HTTP/2 rejection to no caller. At least 8192, because hyper's read
    /// buffer cannot be smaller.
    pub max_header_bytes: usize,
    /// Maximum number of open client connections; further connections are
    /// closed right after accept.
    pub max_connections: usize,
    /// How long `shutdown` waits for open requests before closing the rest.
    pub shutdown_grace: Duration,
    /// How long the `Hold` fault keeps a request before the hop responds 504
    /// itself, unless the previous hop gives up first.
    pub hold_timeout: Duration,
    /// Bytes of each request and response body that a record keeps; the
    /// rest streams on uncopied. 0 turns body capture off.
    pub body_capture_bytes: usize,
    /// Bytes of captured bodies the gateway holds at once, in open exchanges
    /// and in records not yet consumed. A body that would exceed it is
    /// captured only up to it and marked truncated, so a slow record
    /// consumer cannot exhaust memory.
    pub max_captured_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(30),
            max_header_bytes: 64 * 1024,
            max_connections: 1024,
            shutdown_grace: Duration::from_secs(10),
            hold_timeout: Duration::from_secs(120),
            body_capture_bytes: DEFAULT_BODY_CAPTURE_BYTES,
            max_captured_bytes: 128 * 1024 * 1024,
        }
    }
}

/// Default of `Limits::body_capture_bytes`: 1 MiB per body.
pub const DEFAULT_BODY_CAPTURE_BYTES: usize = 1024 * 1024;

/// Smallest `Limits::max_header_bytes` that hyper accepts.
pub const MIN_HEADER_BYTES: usize = 8192;

impl GatewayConfig {
    /// Checks what can be checked without binding sockets or parsing keys.
    pub fn validate(&self) -> Result<()> {
        if self.listeners.is_empty() {
            return Err(Error::InvalidConfig(
                "no listener configured; add at least one".into(),
            ));
        }
        let mut hops = std::collections::HashSet::new();
        for listener in &self.listeners {
            if listener.hop.is_empty() {
                return Err(Error::InvalidConfig(format!(
                    "listener on {} has an empty hop name; name it",
                    listener.bind
                )));
            }
            if !hops.insert(listener.hop.as_str()) {
                return Err(Error::InvalidConfig(format!(
                    "hop name {} is used by two listeners; give each its own",
                    listener.hop
                )));
            }
            if !listener.bind.ip().is_loopback() && !listener.allow_non_loopback {
                return Err(Error::NonLoopbackBind {
                    hop: listener.hop.clone(),
                    addr: listener.bind,
                });
            }
            if listener.certificates.is_empty() {
                return Err(Error::InvalidConfig(format!(
                    "listener {} has no server certificate; add one per host name",
                    listener.hop
                )));
            }
        }
        if self.limits.max_header_bytes < MIN_HEADER_BYTES {
            return Err(Error::InvalidConfig(format!(
                "max_header_bytes {} is below {MIN_HEADER_BYTES}; raise it",
                self.limits.max_header_bytes
            )));
        }
        if self.limits.max_connections == 0 {
            return Err(Error::InvalidConfig(
                "max_connections is 0; allow at least one connection".into(),
            ));
        }
        Ok(())
    }
}
