//! Connections to next hops: the address map instead of DNS, TLS verified
//! against the configured roots only, and a keep-alive pool.

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use http::Uri;
use hyper_util::client::legacy::connect::{Connected, Connection};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use rustls::{ClientConfig, RootCertStore};
use rustls_pki_types::{CertificateDer, ServerName};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

use crate::body::ProxyBody;
use crate::config::UpstreamConfig;
use crate::error::{Error, Result};
use crate::tls::{certificate_sha256, provider, TlsInfo};

/// The pooled HTTP client every hop of a gateway uses toward next hops.
pub(crate) type UpstreamClient = Client<UpstreamConnector, ProxyBody>;

pub(crate) fn build_client(config: &UpstreamConfig) -> Result<UpstreamClient> {
    let connector = UpstreamConnector::new(config)?;
    Ok(Client::builder(TokioExecutor::new())
        .pool_idle_timeout(config.pool_idle_timeout)
        .pool_timer(TokioTimer::new())
        .timer(TokioTimer::new())
        .build(connector))
}

/// Opens TLS connections to next hops by host name.
#[derive(Clone)]
pub(crate) struct UpstreamConnector {
    addresses: Arc<HashMap<String, SocketAddr>>,
    tls: TlsConnector,
    connect_timeout: Duration,
}

impl UpstreamConnector {
    fn new(config: &UpstreamConfig) -> Result<Self> {
        let mut roots = RootCertStore::empty();
        for (index, der) in config.trust_roots.iter().enumerate() {
            roots
                .add(CertificateDer::from(der.clone()))
                .map_err(|e| Error::InvalidTrustRoot {
                    index,
                    reason: e.to_string(),
                })?;
        }
        let mut tls = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::InvalidConfig(format!("TLS client set-up failed: {e}")))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        // HTTP/1.1 only toward next hops: hop-by-hop semantics stay those of
        // RFC 9112, and hyper's pool reuses connections across requests.
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        let addresses = config
            .addresses
            .iter()
            .map(|(host, addr)| (host.to_ascii_lowercase(), *addr))
            .collect();
        Ok(Self {
            addresses: Arc::new(addresses),
            tls: TlsConnector::from(Arc::new(tls)),
            connect_timeout: config.connect_timeout,
        })
    }

    pub(crate) fn address(&self, host: &str) -> Option<SocketAddr> {
        self.addresses.get(&host.to_ascii_lowercase()).copied()
    }

    async fn connect(self, uri: Uri) -> std::result::Result<UpstreamStream, ConnectError> {
        let host = uri.host().unwrap_or_default().to_ascii_lowercase();
        let addr = self
            .address(&host)
            .ok_or_else(|| ConnectError::UnknownHost(host.clone()))?;
        let started = Instant::now();
        let deadline = started + self.connect_timeout;
        let timed_out = || ConnectError::Timeout {
            host: host.clone(),
            addr,
            ms: self.connect_timeout.as_millis(),
        };

        let tcp = tokio::time::timeout_at(deadline.into(), TcpStream::connect(addr))
            .await
            .map_err(|_| timed_out())?
            .map_err(|source| ConnectError::Connect {
                host: host.clone(),
                addr,
                source,
            })?;
        let _ = tcp.set_nodelay(true);
        let connected = Instant::now();

        let server_name = ServerName::try_from(host.clone()).map_err(|e| ConnectError::Tls {
            host: host.clone(),
            addr,
            source: std::io::Error::new(std::io::ErrorKind::InvalidInput, e),
        })?;
        let tls = tokio::time::timeout_at(deadline.into(), self.tls.connect(server_name, tcp))
            .await
            .map_err(|_| timed_out())?
            .map_err(|source| ConnectError::Tls {
                host: host.clone(),
                addr,
                source,
            })?;
        let handshaken = Instant::now();

        let conn = tls.get_ref().1;
        let leaf = conn
            .peer_certificates()
            .and_then(|chain| chain.first())
            .map(|leaf| certificate_sha256(leaf));
        let info = UpstreamConnection {
            tls: TlsInfo::from_connection(conn, Some(host.clone()), leaf),
            address: addr,
            connect: connected - started,
            handshake: handshaken - connected,
            used: Arc::new(AtomicBool::new(false)),
        };
        tracing::debug!(host = %host, addr = %addr, "connected to next hop");
        Ok(UpstreamStream {
            io: TokioIo::new(tls),
            info,
        })
    }
}

impl tower_service::Service<Uri> for UpstreamConnector {
    type Response = UpstreamStream;
    type Error = ConnectError;
    type Future =
        Pin<Box<dyn Future<Output = std::result::Result<UpstreamStream, ConnectError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<std::result::Result<(), ConnectError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        Box::pin(self.clone().connect(uri))
    }
}

/// Failure to connect to a next hop.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ConnectError {
    #[error("no address is configured for next-hop host {0}; add it to the upstream address map")]
    UnknownHost(String),
    #[error("connecting to {host} at {addr} failed: {source}")]
    Connect {
        host: String,
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("connecting to {host} at {addr} timed out after {ms} ms")]
    Timeout {
        host: String,
        addr: SocketAddr,
        ms: u128,
    },
    #[error("TLS handshake with {host} at {addr} failed: {source}")]
    Tls {
        host: String,
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// Facts about one upstream connection, attached by the pool to every
/// response that the connection carries.
#[derive(Clone, Debug)]
pub(crate) struct UpstreamConnection {
    pub(crate) tls: TlsInfo,
    pub(crate) address: SocketAddr,
    pub(crate) connect: Duration,
    pub(crate) handshake: Duration,
    used: Arc<AtomicBool>,
}

impl UpstreamConnection {
    /// Returns true for the first response on this connection only, so that
    /// connect and handshake times are charged to one exchange.
    pub(crate) fn take_first_use(&self) -> bool {
        !self.used.swap(true, Ordering::Relaxed)
    }
}

/// A TLS connection to a next hop, in the form hyper's pool uses.
pub(crate) struct UpstreamStream {
    io: TokioIo<TlsStream<TcpStream>>,
    info: UpstreamConnection,
}

impl Connection for UpstreamStream {
    fn connected(&self) -> Connected {
        Connected::new().extra(self.info.clone())
    }
}

impl hyper::rt::Read for UpstreamStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl hyper::rt::Write for UpstreamStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }
}

/// Status class for a failed upstream request.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum UpstreamFailure {
    /// 504.
    Timeout(String),
    /// 502.
    Unreachable(String),
}

/// Classifies an error of the pooled client into 502 or 504, with a message
/// that walks the error's sources.
pub(crate) fn classify(error: &hyper_util::client::legacy::Error) -> UpstreamFailure {
    let mut message = error.to_string();
    let mut source = std::error::Error::source(error);
    let mut timeout = false;
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        if let Some(connect) = cause.downcast_ref::<ConnectError>() {
            timeout |= matches!(connect, ConnectError::Timeout { .. });
        }
        if let Some(hyper_error) = cause.downcast_ref::<hyper::Error>() {
            if hyper_error.is_parse() {
                message.push_str(" (the next hop answered something that is not HTTP)");
            }
            timeout |= hyper_error.is_timeout();
        }
        source = cause.source();
    }
    if timeout {
        UpstreamFailure::Timeout(message)
    } else {
        UpstreamFailure::Unreachable(message)
    }
}
