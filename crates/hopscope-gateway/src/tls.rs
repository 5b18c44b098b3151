//! Server certificates chosen by SNI and swapped atomically, TLS session
//! details for records, and the client-side TLS handshake of a listener.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use rustls::crypto::CryptoProvider;
use rustls::server::{ClientHello, ResolvesServerCert, StoresServerSessions};
use rustls::sign::CertifiedKey;
use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::net::TcpStream;
use tokio_rustls::server::TlsStream;
use tokio_rustls::LazyConfigAcceptor;

use crate::config::ServerCertificate;
use crate::error::{Error, Result};

/// ALPN protocols offered to clients, HTTP/2 first.
const SERVER_ALPN: [&[u8]; 2] = [b"h2", b"http/1.1"];

/// Returns the crypto provider of every TLS session, client and server:
/// ring, as in the rest of the workspace.
// NOTE: rustls 0.23.48 deprecates ring's default_provider because ring has
// no post-quantum key exchange; the workspace standardises on ring anyway.
#[allow(deprecated)]
pub(crate) fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Hex SHA-256 of a DER certificate, the fingerprint used in records.
pub fn certificate_sha256(der: &[u8]) -> String {
    hex::encode(Sha256::digest(der))
}

/// A certificate ready to serve, with the fingerprint of its leaf.
#[derive(Debug)]
pub(crate) struct ServingCertificate {
    pub(crate) key: Arc<CertifiedKey>,
    pub(crate) leaf_sha256: String,
}

/// The server certificates of one listener, by host name.
///
/// Cloning gives another handle to the same store. `replace` swaps one entry
/// atomically: handshakes that start afterwards get the new certificate, and
/// connections already established keep theirs.
#[derive(Clone, Debug, Default)]
pub struct CertificateStore {
    entries: Arc<RwLock<Arc<CertificateMap>>>,
}

/// Certificates by lowercase host name. The map is replaced whole, never
/// changed in place, so a handshake reads one consistent snapshot.
type CertificateMap = HashMap<String, Arc<ServingCertificate>>;

impl CertificateStore {
    /// Builds a store from configured certificates, checking each key
    /// against its leaf.
    pub fn new(certificates: &[ServerCertificate]) -> Result<Self> {
        let store = Self::default();
        for certificate in certificates {
            store.replace(
                &certificate.host,
                &certificate.chain_pem,
                &certificate.key_pkcs8_der,
            )?;
        }
        Ok(store)
    }

    /// Installs or replaces the certificate of `host`: `chain_pem` is the
    /// leaf first, then its issuers; `key_pkcs8_der` the leaf's key.
    pub fn replace(&self, host: &str, chain_pem: &str, key_pkcs8_der: &[u8]) -> Result<()> {
        let serving = Arc::new(load_certificate(host, chain_pem, key_pkcs8_der)?);
        let host = host.to_ascii_lowercase();
        let mut guard = self.entries.write().unwrap_or_else(|e| e.into_inner());
        let mut next = HashMap::clone(&guard);
        next.insert(host.clone(), serving.clone());
        *guard = Arc::new(next);
        drop(guard);
        tracing::info!(host = %host, certificate_sha256 = %serving.leaf_sha256, "server certificate installed");
        Ok(())
    }

    /// Host names this store serves, sorted.
    pub fn hosts(&self) -> Vec<String> {
        let mut hosts: Vec<String> = self.snapshot().keys().cloned().collect();
        hosts.sort();
        hosts
    }

    /// Hex SHA-256 of the leaf currently served for `host`.
    pub fn fingerprint(&self, host: &str) -> Option<String> {
        self.snapshot()
            .get(&host.to_ascii_lowercase())
            .map(|c| c.leaf_sha256.clone())
    }

    fn snapshot(&self) -> Arc<CertificateMap> {
        self.entries
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Chooses the certificate for an SNI host name, falling back to the only
    /// certificate when the name is absent or unknown.
    pub(crate) fn select(&self, sni: Option<&str>) -> Option<Arc<ServingCertificate>> {
        let entries = self.snapshot();
        if let Some(found) = sni.and_then(|name| entries.get(&name.to_ascii_lowercase())) {
            return Some(found.clone());
        }
        if entries.len() == 1 {
            return entries.values().next().cloned();
        }
        None
    }
}

impl ResolvesServerCert for CertificateStore {
    fn resolve(&self, client_hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.select(client_hello.server_name())
            .map(|c| c.key.clone())
    }
}

fn load_certificate(host: &str, chain_pem: &str, key_der: &[u8]) -> Result<ServingCertificate> {
    let invalid_chain = |reason: String| Error::InvalidCertificate {
        host: host.to_string(),
        reason,
    };
    let chain = CertificateDer::pem_slice_iter(chain_pem.as_bytes())
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| invalid_chain(format!("the PEM cannot be read: {e}")))?;
    let leaf = chain
        .first()
        .ok_or_else(|| invalid_chain("it contains no CERTIFICATE block".into()))?;
    let leaf_sha256 = certificate_sha256(leaf);

    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key_der.to_vec()));
    let key = CertifiedKey::from_der(chain, key, &provider()).map_err(|e| Error::InvalidKey {
        host: host.to_string(),
        reason: e.to_string(),
    })?;
    Ok(ServingCertificate {
        key: Arc::new(key),
        leaf_sha256,
    })
}

/// TLS details of one leg, as seen by the gateway.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsInfo {
    /// SNI host name the client sent (for an upstream leg, the one we sent).
    pub sni: Option<String>,
    /// `TLSv1.3` or `TLSv1.2`.
    pub protocol_version: Option<String>,
    /// IANA name of the negotiated cipher suite.
    pub cipher_suite: Option<String>,
    pub alpn: Option<String>,
    /// Hex SHA-256 of the leaf certificate presented by the server of the leg.
    pub certificate_sha256: Option<String>,
}

impl TlsInfo {
    pub(crate) fn from_connection(
        conn: &rustls::CommonState,
        sni: Option<String>,
        certificate_sha256: Option<String>,
    ) -> Self {
        let protocol_version = conn.protocol_version().map(|v| match v {
            rustls::ProtocolVersion::TLSv1_3 => "TLSv1.3".to_string(),
            rustls::ProtocolVersion::TLSv1_2 => "TLSv1.2".to_string(),
            other => format!("{other:?}"),
        });
        let cipher_suite = conn
            .negotiated_cipher_suite()
            .and_then(|s| s.suite().as_str().map(str::to_string));
        let alpn = conn
            .alpn_protocol()
            .map(|p| String::from_utf8_lossy(p).into_owned());
        Self {
            sni,
            protocol_version,
            cipher_suite,
            alpn,
            certificate_sha256,
        }
    }
}

/// Accepts TLS connections for one listener.
///
/// The certificate is chosen from the ClientHello before the handshake
/// continues, so the record names exactly the certificate this connection
/// got even while `replace` runs.
#[derive(Clone)]
pub struct TlsAcceptor {
    store: CertificateStore,
    provider: Arc<CryptoProvider>,
    sessions: Arc<dyn StoresServerSessions>,
}

impl TlsAcceptor {
    pub fn new(store: CertificateStore) -> Self {
        Self {
            store,
            provider: provider(),
            sessions: rustls::server::ServerSessionMemoryCache::new(1024),
        }
    }

    pub async fn accept(
        &self,
        tcp: TcpStream,
    ) -> std::result::Result<(TlsStream<TcpStream>, TlsInfo), AcceptError> {
        let start = LazyConfigAcceptor::new(rustls::server::Acceptor::default(), tcp)
            .await
            .map_err(AcceptError::Handshake)?;
        let sni = start.client_hello().server_name().map(str::to_string);
        let serving = self
            .store
            .select(sni.as_deref())
            .ok_or_else(|| AcceptError::NoCertificate(sni.clone()))?;

        let mut config = ServerConfig::builder_with_provider(self.provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(AcceptError::Config)?
            .with_no_client_auth()
            .with_cert_resolver(Arc::new(PinnedCertificate(serving.key.clone())));
        config.alpn_protocols = SERVER_ALPN.iter().map(|p| p.to_vec()).collect();
        config.session_storage = self.sessions.clone();

        let stream = start
            .into_stream(Arc::new(config))
            .await
            .map_err(AcceptError::Handshake)?;
        let info =
            TlsInfo::from_connection(stream.get_ref().1, sni, Some(serving.leaf_sha256.clone()));
        Ok((stream, info))
    }
}

/// Reason a TLS connection was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum AcceptError {
    #[error("TLS handshake failed: {0}")]
    Handshake(std::io::Error),
    #[error("no server certificate for SNI {0:?}; configure one for this host")]
    NoCertificate(Option<String>),
    #[error("TLS configuration failed: {0}")]
    Config(rustls::Error),
}

impl AcceptError {
    /// True when the peer closed the connection before its ClientHello, as
    /// a port probe does; not worth a warning.
    pub fn is_closed_before_hello(&self) -> bool {
        matches!(self, AcceptError::Handshake(error) if error.kind() == std::io::ErrorKind::UnexpectedEof)
    }
}

/// Serves one certificate chosen before the handshake.
#[derive(Debug)]
struct PinnedCertificate(Arc<CertifiedKey>);

impl ResolvesServerCert for PinnedCertificate {
    fn resolve(&self, _client_hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }
}
