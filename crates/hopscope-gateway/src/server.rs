//! Listeners: accept loop, connection limit, TLS, HTTP/1.1 or HTTP/2 by
//! ALPN, and graceful shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::{http1, http2};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;

use crate::proxy::{self, ConnectionContext, DropConnection, HopContext};
use crate::tls::TlsAcceptor;

/// Pause after a failed accept (for example when the process is out of file
/// descriptors), so the loop does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Runs one listener until `shutdown` changes or its sender is dropped, then
/// lets open connections finish for `Limits::shutdown_grace` and closes the
/// rest.
pub(crate) async fn run_listener(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    hop: Arc<HopContext>,
    mut shutdown: watch::Receiver<bool>,
) {
    let limits = hop.limits.clone();
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((tcp, peer)) => {
                    let Ok(permit) = permits.clone().try_acquire_owned() else {
                        tracing::warn!(
                            hop = %hop.hop, peer = %peer, max_connections = limits.max_connections,
                            "connection rejected: the listener has max_connections open"
                        );
                        drop(tcp);
                        continue;
                    };
                    connections.spawn(serve_connection(
                        tcp, peer, acceptor.clone(), hop.clone(), shutdown.clone(), permit,
                    ));
                }
                Err(error) => {
                    tracing::warn!(hop = %hop.hop, error = %error, "accepting a connection failed");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                }
            }
        }
    }
    drop(listener);
    tracing::info!(hop = %hop.hop, open = connections.len(), "listener stopped; waiting for open connections");
    let drained = tokio::time::timeout(limits.shutdown_grace, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            hop = %hop.hop, open = connections.len(), grace_ms = limits.shutdown_grace.as_millis() as u64,
            "closing connections still open after the shutdown grace period"
        );
        connections.abort_all();
        while connections.join_next().await.is_some() {}
    }
    tracing::info!(hop = %hop.hop, "listener stopped");
}

/// Serves hyper's connection future until it ends, or tells it to finish its
/// open requests and close when `shutdown` changes.
macro_rules! drive {
    ($connection:expr, $shutdown:expr) => {{
        let mut connection = std::pin::pin!($connection);
        tokio::select! {
            result = connection.as_mut() => result,
            _ = $shutdown.changed() => {
                connection.as_mut().graceful_shutdown();
                connection.await
            }
        }
    }};
}

async fn serve_connection(
    tcp: TcpStream,
    peer: SocketAddr,
    acceptor: TlsAcceptor,
    hop: Arc<HopContext>,
    mut shutdown: watch::Receiver<bool>,
    _permit: OwnedSemaphorePermit,
) {
    let limits = hop.limits.clone();
    let _ = tcp.set_nodelay(true);
    let (tls, info) = match tokio::time::timeout(limits.header_read_timeout, acceptor.accept(tcp))
        .await
    {
        Err(_) => {
            tracing::warn!(
                hop = %hop.hop, peer = %peer, timeout_ms = limits.header_read_timeout.as_millis() as u64,
                "TLS handshake timed out: closing the connection"
            );
            return;
        }
        Ok(Err(error)) if error.is_closed_before_hello() => {
            tracing::debug!(hop = %hop.hop, peer = %peer, "connection closed before a TLS ClientHello");
            return;
        }
        Ok(Err(error)) => {
            tracing::warn!(hop = %hop.hop, peer = %peer, error = %error, "TLS handshake failed");
            return;
        }
        Ok(Ok(accepted)) => accepted,
    };

    let http2 = info.alpn.as_deref() == Some("h2");
    let connection = Arc::new(ConnectionContext { peer, tls: info });
    let hop_name = hop.hop.clone();
    let service =
        service_fn(move |request| proxy::handle(hop.clone(), connection.clone(), request));
    let io = TokioIo::new(tls);

    let result = if http2 {
        let builder = {
            let mut builder = http2::Builder::new(TokioExecutor::new());
            builder
                .timer(TokioTimer::new())
                .max_header_list_size(u32::try_from(limits.max_header_bytes).unwrap_or(u32::MAX));
            builder
        };
        drive!(builder.serve_connection(io, service), shutdown)
    } else {
        let builder = {
            let mut builder = http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_read_timeout)
                .max_buf_size(limits.max_header_bytes);
            builder
        };
        drive!(builder.serve_connection(io, service), shutdown)
    };
    if let Err(error) = result {
        log_connection_error(&hop_name, peer, &limits, &error);
    }
}

fn log_connection_error(
    hop: &str,
    peer: SocketAddr,
    limits: &crate::config::Limits,
    error: &hyper::Error,
) {
    let dropped = std::error::Error::source(error)
        .and_then(|source| source.downcast_ref::<DropConnection>());
    if error.is_timeout() {
        tracing::warn!(
            hop = %hop, peer = %peer, timeout_ms = limits.header_read_timeout.as_millis() as u64,
            "request header read timed out: closing the connection"
        );
    } else if error.is_parse_too_large() {
        tracing::warn!(
            hop = %hop, peer = %peer, max_header_bytes = limits.max_header_bytes,
            "request header too large: answered 431 and closed the connection"
        );
    } else if let Some(reason) = dropped {
        tracing::info!(hop = %hop, peer = %peer, "{reason}");
    } else {
        tracing::debug!(hop = %hop, peer = %peer, error = %error, "client connection ended with an error");
    }
}
