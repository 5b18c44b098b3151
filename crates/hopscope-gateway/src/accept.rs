//! The accept loop of the simple TLS servers beside the hops: the stub
//! destinations and the destination simulators.

use std::future::Future;
use std::net::SocketAddr;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;

/// Accepts connections on `socket` and spawns `serve` for each, until
/// `shutdown` changes. Open connections are then aborted without waiting:
/// these servers build or generate responses with no request worth
/// finishing, and a generated body may be arbitrarily long. `server` names
/// the server in log lines.
pub async fn accept_until_shutdown<F, Fut>(
    socket: TcpListener,
    mut shutdown: watch::Receiver<bool>,
    server: &str,
    mut serve: F,
) where
    F: FnMut(TcpStream, SocketAddr) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = socket.accept() => match accepted {
                Ok((tcp, peer)) => {
                    connections.spawn(serve(tcp, peer));
                }
                Err(error) => {
                    tracing::warn!(server, error = %error, "accepting a connection failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            }
        }
    }
    connections.abort_all();
    while connections.join_next().await.is_some() {}
    tracing::info!(server, "server stopped");
}
