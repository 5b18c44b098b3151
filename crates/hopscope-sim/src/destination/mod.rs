//! The destination simulator: a FHIR R4 test server behind a destination's
//! private URL that decides trust with its own trust list and signs every
//! response.
//!
//! Under the base path of the private URL it serves:
//! - `GET .well-known/udap`: UDAP metadata with `signed_metadata`, a JWT
//!   whose `iss` is the public base URL and whose `x5c` is the
//!   destination-signing chain;
//! - `POST register`: UDAP dynamic client registration of a software
//!   statement, decided with the trust list (201, or 400 with every failed
//!   check);
//! - `POST token`: a client-credentials grant with a `private_key_jwt` client
//!   assertion, decided again with the trust list; the access token is a JWT
//!   signed by the destination (ES256 with a P-256 key);
//! - `GET metadata` and everything of [`hopscope_fhir::FhirServer`], the
//!   resource endpoints needing a valid access token (401 without one, 403
//!   when the trust list now denies its client).
//!
//! Registered clients get their client URI (the `iss` of the software
//! statement, a SAN URI of its certificate) as `client_id`, so a client
//! assertion's `iss` = `sub` = `client_id` is also a SAN URI of its leaf
//! and passes the same trust checks as the software statement.

pub(crate) mod server;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};

use hopscope_fhir::{FhirConfig, FhirServer};
use hopscope_gateway::tls::{CertificateStore, TlsAcceptor};
use hopscope_gateway::{RecordSink, ServerCertificate};
use hopscope_trust::TrustList;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use url::Url;

use crate::error::{Error, Result};
use crate::signing::SigningIdentity;

/// Largest request body the destination reads, in bytes.
pub const MAX_REQUEST_BODY: usize = 16 * 1024 * 1024;

/// Configuration of a destination simulator.
#[derive(Clone)]
pub struct DestinationConfig {
    /// Destination name (`d-corp`), written as the hop of its records.
    pub name: String,
    /// Must be a loopback address.
    pub bind: SocketAddr,
    /// The private URL it serves (`https://d-corp.internal.test:9443/fhir`).
    pub private_base: Url,
    /// The public URL it names itself by (`https://fhir.int-one.test:8443/d-corp`).
    pub public_base: Url,
    /// Private URLs of the topology, named in trust-decision reasons when an
    /// originator addresses one of them.
    pub private_urls: Vec<String>,
    /// TLS certificate of the private URL's host.
    pub certificate: ServerCertificate,
    /// Key and chain of the destination-signing credential.
    pub signing: SigningIdentity,
    pub trust: DestinationTrust,
    /// Sink for the records of its exchanges; none keeps no records.
    pub records: Option<RecordSink>,
    /// Seed of the sample resources, so that runs are repeatable.
    pub seed: u64,
    /// Bytes of each request and response body its records keep; 0 keeps
    /// none.
    pub body_capture_bytes: usize,
}

/// The trust list a destination decides with, and what the decisions need
/// besides it.
#[derive(Clone, Debug)]
pub struct DestinationTrust {
    pub list: TrustList,
    /// Version of the list in the workspace, reported in decisions.
    pub version: i64,
    /// DER CRLs of the workspace's authorities.
    pub crls: Vec<Vec<u8>>,
}

/// A running destination simulator. Its trust list, signing identity and
/// misbehaviours can be changed while it runs; requests after the change
/// see the new values.
pub struct Destination {
    name: String,
    local_addr: SocketAddr,
    certificates: CertificateStore,
    state: Arc<State>,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<()>,
}

/// State shared by every request of one destination.
pub(crate) struct State {
    pub name: String,
    /// Path of the private URL without a trailing slash (`/fhir`), empty for
    /// the root.
    pub base_path: String,
    /// Public base URL without a trailing slash.
    pub public_base: String,
    pub private_urls: Vec<String>,
    pub fhir: FhirServer,
    pub signing: RwLock<SigningIdentity>,
    pub trust: RwLock<DestinationTrust>,
    /// Registered clients by `client_id`.
    pub clients: RwLock<HashMap<String, Registration>>,
    pub records: Option<RecordSink>,
    pub capture_bytes: usize,
}

/// A client the destination registered.
#[derive(Clone, Debug)]
pub(crate) struct Registration {
    /// DER certificates of the software statement's `x5c`, leaf first.
    pub chain: Vec<Vec<u8>>,
    pub client_name: Option<String>,
    pub scope: Option<String>,
}

impl Destination {
    /// Binds the listener and starts serving.
    pub async fn start(config: DestinationConfig) -> Result<Destination> {
        if !config.bind.ip().is_loopback() {
            return Err(Error::NonLoopbackBind {
                destination: config.name,
                addr: config.bind,
            });
        }
        let certificates = CertificateStore::new(std::slice::from_ref(&config.certificate))?;
        let bind_error = |source| Error::Bind {
            destination: config.name.clone(),
            addr: config.bind,
            source,
        };
        let socket = TcpListener::bind(config.bind).await.map_err(bind_error)?;
        let local_addr = socket.local_addr().map_err(bind_error)?;

        let public_base = trimmed_url(&config.public_base);
        let fhir = FhirServer::new(FhirConfig {
            public_base: config.public_base.clone(),
            private_base: config.private_base.clone(),
            seed: config.seed,
            export_delay: std::time::Duration::from_secs(1),
        });
        let state = Arc::new(State {
            name: config.name.clone(),
            base_path: config.private_base.path().trim_end_matches('/').to_string(),
            public_base,
            private_urls: config.private_urls,
            fhir,
            signing: RwLock::new(config.signing),
            trust: RwLock::new(config.trust),
            clients: RwLock::default(),
            records: config.records,
            capture_bytes: config.body_capture_bytes,
        });

        let (shutdown, receiver) = watch::channel(false);
        let acceptor = TlsAcceptor::new(certificates.clone());
        tracing::info!(destination = %config.name, addr = %local_addr, "destination simulator started");
        let task = tokio::spawn(server::accept_loop(
            socket,
            acceptor,
            state.clone(),
            receiver,
        ));
        Ok(Destination {
            name: config.name,
            local_addr,
            certificates,
            state,
            shutdown,
            task,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Returns the TLS certificate store, to read or replace the private
    /// URL's certificate.
    pub fn certificates(&self) -> CertificateStore {
        self.certificates.clone()
    }

    /// Replaces the trust list; the next registration or token request is
    /// decided with it.
    pub fn set_trust(&self, trust: DestinationTrust) {
        *self.state.trust.write().unwrap_or_else(|e| e.into_inner()) = trust;
    }

    /// Returns the version of the trust list in use.
    pub fn trust_version(&self) -> i64 {
        self.state
            .trust
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .version
    }

    /// Replaces the destination-signing identity after a rotation. Access
    /// tokens signed with the previous key stop being accepted.
    pub fn set_signing(&self, signing: SigningIdentity) {
        *self
            .state
            .signing
            .write()
            .unwrap_or_else(|e| e.into_inner()) = signing;
    }

    /// Returns the SHA-256 fingerprint (hex) of the signing certificate in use.
    pub fn signing_fingerprint(&self) -> String {
        self.state
            .signing
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .certificate_sha256()
    }

    /// Switches the "leak private URL" misbehaviour: when on, the URLs the
    /// destination writes name its private base URL, which a verdict must
    /// catch.
    pub fn set_leak_private_url(&self, on: bool) {
        self.state.fhir.set_leak_private_url(on);
    }

    pub fn leak_private_url(&self) -> bool {
        self.state.fhir.leak_private_url()
    }

    /// Returns a handle on the FHIR server, which stays usable (to switch
    /// misbehaviours) while the destination runs elsewhere.
    pub fn fhir_server(&self) -> FhirServer {
        self.state.fhir.clone()
    }

    /// Stops accepting and closes open connections.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        if let Err(error) = self.task.await {
            tracing::error!(destination = %self.name, error = %error, "destination simulator task failed");
        }
    }
}

fn trimmed_url(url: &Url) -> String {
    url.as_str().trim_end_matches('/').to_string()
}
