//! Shared test fixtures: certificates issued with hopscope-pki, a test
//! destination over real TLS, gateway chains on loopback, and clients.

#![allow(dead_code)]

pub mod destination;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use hopscope_gateway::{
    GatewayConfig, Limits, ListenerConfig, RecordSink, RouteConfig, RunningGateway,
    ServerCertificate, UpstreamConfig,
};
use hopscope_pki::issue::{issue, IssueRequest, Issuer};
use hopscope_pki::{FhirBaseUrl, KeyType, PrivateKey, Role};
use sha2::{Digest, Sha256};

pub use destination::Destination;

pub const PUBLIC_HOST: &str = "fhir.int-one.test";
pub const INT_TWO_HOST: &str = "int-two.internal.test";
pub const D_CORP_HOST: &str = "d-corp.internal.test";

/// A root authority that issues TLS leaves.
pub struct Pki {
    pub root_der: Vec<u8>,
    root_key: PrivateKey,
    /// root.pem written for curl's --cacert.
    pub root_pem_path: PathBuf,
    _dir: tempfile::TempDir,
}

/// A leaf certificate with its key, ready for a server.
#[derive(Clone)]
pub struct Leaf {
    pub host: String,
    pub der: Vec<u8>,
    pub chain_pem: String,
    pub key_der: Vec<u8>,
}

impl Leaf {
    pub fn server_certificate(&self) -> ServerCertificate {
        ServerCertificate {
            host: self.host.clone(),
            chain_pem: self.chain_pem.clone(),
            key_pkcs8_der: self.key_der.clone(),
        }
    }

    pub fn sha256(&self) -> String {
        hex::encode(Sha256::digest(&self.der))
    }
}

impl Pki {
    pub fn new() -> Self {
        let root_key = PrivateKey::generate(KeyType::EcdsaP256).unwrap();
        let root_der = issue(
            &IssueRequest {
                role: Role::Authority,
                common_name: "demo-community",
                url: None,
                key: &root_key,
                not_before: time::OffsetDateTime::now_utc() - time::Duration::hours(1),
                validity: time::Duration::days(30),
                path_len: None,
            },
            None,
        )
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let root_pem_path = dir.path().join("root.pem");
        std::fs::write(
            &root_pem_path,
            hopscope_pki::export::certificates_to_pem(std::slice::from_ref(&root_der)),
        )
        .unwrap();
        Self {
            root_der,
            root_key,
            root_pem_path,
            _dir: dir,
        }
    }

    /// Issues a TLS server leaf for `host` with a fresh key.
    pub fn leaf(&self, host: &str) -> Leaf {
        let key = PrivateKey::generate(KeyType::EcdsaP256).unwrap();
        let url = FhirBaseUrl::parse(&format!("https://{host}/")).unwrap();
        let der = issue(
            &IssueRequest {
                role: Role::PrivateEndpoint,
                common_name: host,
                url: Some(&url),
                key: &key,
                not_before: time::OffsetDateTime::now_utc() - time::Duration::hours(1),
                validity: time::Duration::days(7),
                path_len: None,
            },
            Some(&Issuer {
                cert_der: &self.root_der,
                key: &self.root_key,
            }),
        )
        .unwrap();
        Leaf {
            host: host.to_string(),
            chain_pem: hopscope_pki::export::certificates_to_pem(std::slice::from_ref(&der)),
            der,
            key_der: key.pkcs8_der().to_vec(),
        }
    }
}

/// Limits with short timeouts, so failing tests end quickly.
pub fn test_limits() -> Limits {
    Limits {
        header_read_timeout: Duration::from_secs(5),
        shutdown_grace: Duration::from_secs(2),
        hold_timeout: Duration::from_secs(10),
        ..Limits::default()
    }
}

/// Builds the configuration of one hop listening on a free loopback port.
pub fn hop_config(
    pki: &Pki,
    hop: &str,
    leaf: &Leaf,
    routes: Vec<RouteConfig>,
    addresses: HashMap<String, SocketAddr>,
) -> GatewayConfig {
    let mut listener = ListenerConfig::loopback(hop, 0);
    listener.certificates = vec![leaf.server_certificate()];
    listener.routes = routes;
    GatewayConfig {
        listeners: vec![listener],
        upstream: UpstreamConfig {
            addresses,
            trust_roots: vec![pki.root_der.clone()],
            connect_timeout: Duration::from_secs(5),
            response_timeout: Duration::from_secs(20),
            ..UpstreamConfig::default()
        },
        limits: test_limits(),
    }
}

/// Originator → int-one → (int-two →) d-corp, every hop a real TLS
/// listener on 127.0.0.1.
pub struct Chain {
    pub pki: Pki,
    pub public_leaf: Leaf,
    pub destination: Destination,
    pub int_one: RunningGateway,
    pub int_two: Option<RunningGateway>,
    pub records: tokio::sync::mpsc::Receiver<hopscope_gateway::ExchangeRecord>,
}

impl Chain {
    pub fn public_addr(&self) -> SocketAddr {
        self.int_one.local_addr("int-one").unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("https://{PUBLIC_HOST}:{}{path}", self.public_addr().port())
    }

    pub async fn shutdown(self) {
        self.int_one.shutdown().await;
        if let Some(int_two) = self.int_two {
            int_two.shutdown().await;
        }
        self.destination.shutdown();
    }
}

/// Options of a chain.
#[derive(Clone)]
pub struct ChainOptions {
    pub two_hops: bool,
    pub forwarded_and_via: bool,
    pub response_timeout: Option<Duration>,
    pub limits: Limits,
    pub record_capacity: usize,
}

impl Default for ChainOptions {
    fn default() -> Self {
        Self {
            two_hops: false,
            forwarded_and_via: false,
            response_timeout: None,
            limits: test_limits(),
            record_capacity: 1024,
        }
    }
}

pub async fn start_chain(options: ChainOptions) -> Chain {
    let pki = Pki::new();
    let destination = Destination::start(&pki.leaf(D_CORP_HOST)).await;
    let (sink, records) = RecordSink::channel(options.record_capacity);

    let mut addresses = HashMap::new();
    addresses.insert(D_CORP_HOST.to_string(), destination.addr);
    let route = |host: &str, prefix: &str, next: String| {
        let mut route = RouteConfig::new(host, prefix, next);
        route.forwarded = options.forwarded_and_via;
        route.via = options.forwarded_and_via;
        route.response_timeout = options.response_timeout;
        route
    };

    let int_two = if options.two_hops {
        let next = format!("https://{D_CORP_HOST}:{}/fhir", destination.addr.port());
        let mut config = hop_config(
            &pki,
            "int-two",
            &pki.leaf(INT_TWO_HOST),
            vec![route(INT_TWO_HOST, "/d-corp", next)],
            addresses.clone(),
        );
        config.limits = options.limits.clone();
        let gateway = hopscope_gateway::Gateway::start_with_records(config, sink.clone())
            .await
            .unwrap();
        addresses.insert(
            INT_TWO_HOST.to_string(),
            gateway.local_addr("int-two").unwrap(),
        );
        Some(gateway)
    } else {
        None
    };

    let next = match &int_two {
        Some(gateway) => format!(
            "https://{INT_TWO_HOST}:{}/d-corp",
            gateway.local_addr("int-two").unwrap().port()
        ),
        None => format!("https://{D_CORP_HOST}:{}/fhir", destination.addr.port()),
    };
    let public_leaf = pki.leaf(PUBLIC_HOST);
    let mut config = hop_config(
        &pki,
        "int-one",
        &public_leaf,
        vec![route(PUBLIC_HOST, "/d-corp", next)],
        addresses,
    );
    config.limits = options.limits.clone();
    let int_one = hopscope_gateway::Gateway::start_with_records(config, sink)
        .await
        .unwrap();
    Chain {
        pki,
        public_leaf,
        destination,
        int_one,
        int_two,
        records,
    }
}

/// What curl received.
pub struct CurlResult {
    pub status: u16,
    pub http_version: String,
    pub body: Vec<u8>,
    pub headers: String,
}

/// Runs curl as an independent client against the public URL.
pub async fn curl(chain: &Chain, path: &str, extra: &[&str]) -> CurlResult {
    let dir = tempfile::tempdir().unwrap();
    let body_path = dir.path().join("body");
    let headers_path = dir.path().join("headers");
    let port = chain.public_addr().port();
    let output = tokio::process::Command::new("curl")
        .arg("-sS")
        .arg("--max-time")
        .arg("60")
        .arg("--resolve")
        .arg(format!("{PUBLIC_HOST}:{port}:127.0.0.1"))
        .arg("--cacert")
        .arg(&chain.pki.root_pem_path)
        .arg("-o")
        .arg(&body_path)
        .arg("-D")
        .arg(&headers_path)
        .arg("-w")
        .arg("%{http_code} %{http_version}")
        .args(extra)
        .arg(chain.url(path))
        .output()
        .await
        .expect("curl must be installed");
    let written = String::from_utf8_lossy(&output.stdout).to_string();
    let (status, version) = written.split_once(' ').unwrap_or(("0", ""));
    CurlResult {
        status: status.parse().unwrap_or(0),
        http_version: version.to_string(),
        body: std::fs::read(&body_path).unwrap_or_default(),
        headers: std::fs::read_to_string(&headers_path).unwrap_or_default(),
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Builds a rustls client configuration that trusts only the test root.
pub fn client_tls(pki: &Pki, alpn: &[&[u8]]) -> rustls::ClientConfig {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(pki.root_der.clone().into()).unwrap();
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    config
}

/// Builds a reqwest client that resolves the public host to the gateway.
pub fn reqwest_client(chain: &Chain, http2: bool) -> reqwest::Client {
    let alpn: &[&[u8]] = if http2 {
        &[b"h2", b"http/1.1"]
    } else {
        &[b"http/1.1"]
    };
    let mut builder = reqwest::Client::builder()
        .tls_backend_preconfigured(client_tls(&chain.pki, alpn))
        .resolve(PUBLIC_HOST, chain.public_addr())
        .timeout(Duration::from_secs(60));
    builder = if http2 {
        builder.http2_prior_knowledge()
    } else {
        builder.http1_only()
    };
    builder.build().unwrap()
}

/// Opens a TLS connection to `addr` for `host` and returns the SHA-256 of
/// the leaf certificate the server presented, with the stream.
pub async fn tls_connect(
    pki: &Pki,
    addr: SocketAddr,
    host: &str,
) -> (
    String,
    tokio_rustls::client::TlsStream<tokio::net::TcpStream>,
) {
    let connector = tokio_rustls::TlsConnector::from(Arc::new(client_tls(pki, &[b"http/1.1"])));
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let name = rustls_pki_types::ServerName::try_from(host.to_string()).unwrap();
    let stream = connector.connect(name, tcp).await.unwrap();
    let leaf = stream.get_ref().1.peer_certificates().unwrap()[0].to_vec();
    (sha256_hex(&leaf), stream)
}

/// Receives records until `count` arrived or two seconds passed.
pub async fn collect_records(
    receiver: &mut tokio::sync::mpsc::Receiver<hopscope_gateway::ExchangeRecord>,
    count: usize,
) -> Vec<hopscope_gateway::ExchangeRecord> {
    let mut records = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
    while records.len() < count {
        match tokio::time::timeout_at(deadline, receiver.recv()).await {
            Ok(Some(record)) => records.push(record),
            _ => break,
        }
    }
    records
}
