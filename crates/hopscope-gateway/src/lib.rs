//! The engine of Hopscope's embedded test gateway.
//!
//! A [`Gateway`] runs intermediaries of a FHIR exchange on loopback. Each
//! listener is one hop with TLS server certificates chosen by SNI. It routes
//! by host and path prefix to a next hop over verified TLS, and passes
//! status, end-to-end headers and bodies through unchanged while streaming. Errors
//! of its own are answered with a FHIR `OperationOutcome` that names the hop.
//! Faults are set per hop through [`FaultControl`], and every exchange
//! produces an [`ExchangeRecord`] per hop on a bounded channel.
//!
//! The crate knows nothing of the workspace database, the CLI or the app:
//! callers build a [`GatewayConfig`] from their topology and consume the
//! records.
//!
//! ```no_run
//! # async fn run(config: hopscope_gateway::GatewayConfig) -> hopscope_gateway::Result<()> {
//! use hopscope_gateway::{Fault, Gateway, RecordSink};
//!
//! let (sink, mut records) = RecordSink::channel(10_000);
//! let gateway = Gateway::start_with_records(config, sink).await?;
//! for listener in gateway.listeners() {
//!     println!("{} listens on {}", listener.hop, listener.local_addr);
//! }
//! gateway.faults().set("int-two", Fault::Delay { ms: 200 })?;
//! while let Some(record) = records.recv().await {
//!     println!("{} {} {:?}", record.exchange_id, record.hop, record.response.map(|r| r.status));
//! }
//! gateway.shutdown().await;
//! # Ok(()) }
//! ```

pub mod accept;
mod body;
mod capture;
pub mod config;
pub mod error;
pub mod faults;
mod headers;
mod outcome;
mod proxy;
pub mod record;
mod route;
mod server;
pub mod stub_destination;
pub mod tls;
mod upstream;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use capture::utf8_text;
pub use config::{
    GatewayConfig, Limits, ListenerConfig, RouteConfig, ServerCertificate, UpstreamConfig,
    DEFAULT_BODY_CAPTURE_BYTES, EXCHANGE_HEADER,
};
pub use error::{Error, Result};
pub use faults::{Fault, FaultControl};
pub use record::{
    BodyRecord, ExchangeRecord, Participant, RecordSink, RequestRecord, ResponseRecord, Timings,
    UpstreamRecord,
};
pub use headers::record_headers;
pub use route::RouteRecord;
pub use stub_destination::{StubDestination, StubDestinationConfig};
pub use tls::{certificate_sha256, CertificateStore, TlsInfo};

use body::RecordSettings;
use capture::CaptureBudget;
use proxy::HopContext;
use route::RouteTable;
use tls::TlsAcceptor;

/// Starts gateways.
pub struct Gateway;

impl Gateway {
    /// Binds every listener and starts serving, without exchange records.
    pub async fn start(config: GatewayConfig) -> Result<RunningGateway> {
        start(config, None).await
    }

    /// Binds every listener and starts serving; records go to `records`.
    pub async fn start_with_records(
        config: GatewayConfig,
        records: RecordSink,
    ) -> Result<RunningGateway> {
        start(config, Some(records)).await
    }
}

/// One listener of a running gateway.
#[derive(Clone, Debug)]
pub struct ListenerInfo {
    pub hop: String,
    /// The bound address, with the real port when the configuration gave port 0.
    pub local_addr: SocketAddr,
    pub certificates: CertificateStore,
}

/// A gateway that serves until [`RunningGateway::shutdown`]. Dropping it
/// also stops the listeners, but their open connections then drain in the
/// background and nothing waits for them.
pub struct RunningGateway {
    listeners: Vec<ListenerInfo>,
    faults: FaultControl,
    records: Option<RecordSink>,
    stopping: Arc<AtomicBool>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl RunningGateway {
    pub fn listeners(&self) -> &[ListenerInfo] {
        &self.listeners
    }

    /// Returns the bound address of `hop`.
    pub fn local_addr(&self, hop: &str) -> Option<SocketAddr> {
        self.listener(hop).map(|l| l.local_addr)
    }

    /// Returns the certificate store of `hop`, to replace its certificates.
    pub fn certificates(&self, hop: &str) -> Option<CertificateStore> {
        self.listener(hop).map(|l| l.certificates.clone())
    }

    /// Replaces the certificate of `host` on every listener that serves it
    /// and returns how many listeners that was. New handshakes get the new
    /// certificate; open connections keep theirs.
    pub fn replace_certificate(
        &self,
        host: &str,
        chain_pem: &str,
        key_pkcs8_der: &[u8],
    ) -> Result<usize> {
        let serving: Vec<&ListenerInfo> = self
            .listeners
            .iter()
            .filter(|l| l.certificates.fingerprint(host).is_some())
            .collect();
        if serving.is_empty() {
            return Err(Error::UnknownHost {
                host: host.to_string(),
            });
        }
        for listener in &serving {
            listener
                .certificates
                .replace(host, chain_pem, key_pkcs8_der)?;
        }
        Ok(serving.len())
    }

    /// Returns the handle that sets faults per hop.
    pub fn faults(&self) -> FaultControl {
        self.faults.clone()
    }

    /// Returns how many records were dropped because the channel was full.
    pub fn dropped_records(&self) -> u64 {
        self.records.as_ref().map(RecordSink::dropped).unwrap_or(0)
    }

    /// Stops accepting, lets open requests finish for up to
    /// `Limits::shutdown_grace`, then closes what is left. Records of the
    /// finished requests are sent before this returns.
    pub async fn shutdown(self) {
        // Set first, so that exchanges the shutdown cuts short are recorded
        // as interrupted.
        self.stopping.store(true, Ordering::Release);
        let _ = self.shutdown.send(true);
        for task in self.tasks {
            if let Err(error) = task.await {
                tracing::error!(error = %error, "listener task failed");
            }
        }
    }

    fn listener(&self, hop: &str) -> Option<&ListenerInfo> {
        self.listeners.iter().find(|l| l.hop == hop)
    }
}

async fn start(config: GatewayConfig, records: Option<RecordSink>) -> Result<RunningGateway> {
    config.validate()?;
    if config.upstream.trust_roots.is_empty()
        && config.listeners.iter().any(|l| !l.routes.is_empty())
    {
        return Err(Error::InvalidConfig(
            "no upstream trust roots; add the CA certificates that issue the next hops' certificates".into(),
        ));
    }
    let client = upstream::build_client(&config.upstream)?;
    let faults = FaultControl::new(config.listeners.iter().map(|l| l.hop.clone()));
    let addresses: Arc<HashMap<String, SocketAddr>> = Arc::new(
        config
            .upstream
            .addresses
            .iter()
            .map(|(host, addr)| (host.to_ascii_lowercase(), *addr))
            .collect(),
    );

    // Everything that can fail is checked before the first bind, so a bad
    // listener does not leave others running.
    let mut prepared = Vec::new();
    for listener in &config.listeners {
        let store = CertificateStore::new(&listener.certificates)?;
        let routes = RouteTable::new(&listener.routes, &config.upstream)?;
        if routes.is_empty() {
            tracing::warn!(hop = %listener.hop, "listener has no routes: every request gets 404");
        }
        prepared.push((listener, store, routes));
    }

    let stopping = Arc::new(AtomicBool::new(false));
    let recording = Arc::new(RecordSettings {
        sink: records.clone(),
        body_capture_bytes: config.limits.body_capture_bytes,
        capture_budget: CaptureBudget::new(config.limits.max_captured_bytes),
        stopping: stopping.clone(),
    });
    let (shutdown, shutdown_receiver) = watch::channel(false);
    let mut listeners = Vec::new();
    let mut tasks = Vec::new();
    for (listener, store, routes) in prepared {
        let socket = TcpListener::bind(listener.bind)
            .await
            .map_err(|source| Error::Bind {
                hop: listener.hop.clone(),
                addr: listener.bind,
                source,
            })?;
        let local_addr = socket.local_addr().map_err(|source| Error::Bind {
            hop: listener.hop.clone(),
            addr: listener.bind,
            source,
        })?;
        let hop = Arc::new(HopContext {
            hop: listener.hop.clone(),
            routes,
            client: client.clone(),
            faults: faults.clone(),
            recording: recording.clone(),
            limits: config.limits.clone(),
            upstream_addresses: addresses.clone(),
        });
        tracing::info!(hop = %listener.hop, addr = %local_addr, hosts = ?store.hosts(), "listener started");
        tasks.push(tokio::spawn(server::run_listener(
            socket,
            TlsAcceptor::new(store.clone()),
            hop,
            shutdown_receiver.clone(),
        )));
        listeners.push(ListenerInfo {
            hop: listener.hop.clone(),
            local_addr,
            certificates: store,
        });
    }
    Ok(RunningGateway {
        listeners,
        faults,
        records,
        stopping,
        shutdown,
        tasks,
    })
}
