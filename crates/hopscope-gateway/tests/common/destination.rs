//! A small FHIR destination over real TLS (HTTP/1.1), written with hyper
//! and tokio-rustls, that serves the bodies the pass-through tests compare.

use std::convert::Infallible;
use std::io::Write;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use super::Leaf;

pub const LARGE_BODY_BYTES: u64 = 50 * 1024 * 1024;
const LARGE_CHUNK: usize = 64 * 1024;
pub const SLOW_DELAY: Duration = Duration::from_secs(3);
pub const ACCESS_TOKEN: &str = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJjbGluaWMtYSJ9.c2lnbmF0dXJl";

pub struct Destination {
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Destination {
    pub async fn start(leaf: &Leaf) -> Self {
        let chain: Vec<CertificateDer<'static>> =
            CertificateDer::pem_slice_iter(leaf.chain_pem.as_bytes())
                .collect::<Result<_, _>>()
                .unwrap();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf.key_der.clone()));
        #[allow(deprecated)]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .unwrap();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(tls), service_fn(serve))
                        .await;
                });
            }
        });
        Self { addr, task }
    }

    pub fn shutdown(self) {
        self.task.abort();
    }
}

/// Body of each fixed resource, by the path under `/fhir`.
pub fn fixed_body(name: &str) -> Vec<u8> {
    match name {
        "Patient/1" => br#"{"resourceType":"Patient","id":"1","name":[{"family":"Chalmers","given":["Peter"]}]}"#.to_vec(),
        "xml" => br#"<Patient xmlns="http://hl7.org/fhir"><id value="1"/></Patient>"#.to_vec(),
        "gzip" => {
            let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            encoder.write_all(&fixed_body("Patient/1").repeat(50)).unwrap();
            encoder.finish().unwrap()
        }
        "chunked" => (0..5).flat_map(chunk).collect(),
        "missing" => br#"{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"not-found","diagnostics":"d-corp: Patient/404 not found"}]}"#.to_vec(),
        "boom" => br#"{"resourceType":"OperationOutcome","issue":[{"severity":"fatal","code":"exception","diagnostics":"d-corp: database down"}]}"#.to_vec(),
        "token" => format!(r#"{{"access_token":"{ACCESS_TOKEN}","token_type":"Bearer","expires_in":300}}"#).into_bytes(),
        _ => b"slow answer".to_vec(),
    }
}

fn chunk(index: usize) -> Vec<u8> {
    format!(
        "{{\"chunk\":{index},\"pad\":\"{}\"}}\n",
        "x".repeat(100 * (index + 1))
    )
    .into_bytes()
}

/// SHA-256 of the large body, computed from the same generator.
pub fn large_body_sha256() -> String {
    let mut hasher = Sha256::new();
    let mut body = LargeBody::new();
    while let Some(chunk) = body.next_chunk() {
        hasher.update(&chunk);
    }
    hex::encode(hasher.finalize())
}

/// Value the destination puts in `Content-Digest` for `Patient/1`
/// (RFC 9530: `sha-256=:<base64>:`). The tests only compare it as text.
pub const PATIENT_CONTENT_DIGEST: &str = "sha-256=:dGVzdC1kaWdlc3Q=:";
pub const PATIENT_SIGNATURE_INPUT: &str = r#"sig1=("@status" "content-type" "content-digest");created=1700000000;keyid="d-corp-signing";alg="ecdsa-p256-sha256""#;
pub const PATIENT_SIGNATURE: &str = "sig1=:c2lnbmF0dXJl:";

async fn serve(request: Request<Incoming>) -> Result<Response<TestBody>, Infallible> {
    let path = request.uri().path().to_string();
    let name = path.strip_prefix("/fhir/").unwrap_or("").to_string();
    let response = match name.as_str() {
        "Patient/1" => fixed(StatusCode::OK, "application/fhir+json", &name)
            .header("content-digest", PATIENT_CONTENT_DIGEST)
            .header("signature-input", PATIENT_SIGNATURE_INPUT)
            .header("signature", PATIENT_SIGNATURE)
            .header("x-destination", "d-corp")
            .body(TestBody::Fixed(Some(Bytes::from(fixed_body(&name))))),
        "xml" => fixed(StatusCode::OK, "application/fhir+xml", &name).body(body_of(&name)),
        "gzip" => fixed(StatusCode::OK, "application/fhir+json", &name)
            .header("content-encoding", "gzip")
            .body(body_of(&name)),
        "missing" => {
            fixed(StatusCode::NOT_FOUND, "application/fhir+json", &name).body(body_of(&name))
        }
        "boom" => fixed(
            StatusCode::INTERNAL_SERVER_ERROR,
            "application/fhir+json",
            &name,
        )
        .body(body_of(&name)),
        "token" => fixed(StatusCode::OK, "application/json", &name)
            .header("cache-control", "no-store")
            .body(body_of(&name)),
        "slow" => {
            tokio::time::sleep(SLOW_DELAY).await;
            fixed(StatusCode::OK, "text/plain", &name).body(body_of(&name))
        }
        "chunked" => {
            let (sender, receiver) = mpsc::channel(1);
            tokio::spawn(async move {
                for index in 0..5 {
                    if sender.send(Bytes::from(chunk(index))).await.is_err() {
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            });
            Response::builder()
                .header("content-type", "application/fhir+ndjson")
                .body(TestBody::Channel(receiver))
        }
        "large" => Response::builder()
            .header("content-type", "application/octet-stream")
            .header("content-length", LARGE_BODY_BYTES.to_string())
            .body(TestBody::Large(LargeBody::new())),
        "echo" => {
            let headers: Vec<(String, String)> = request
                .headers()
                .iter()
                .map(|(n, v)| {
                    (
                        n.to_string(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect();
            let uri = request.uri().to_string();
            let method = request.method().to_string();
            let body = request
                .into_body()
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            let echoed = serde_json::json!({
                "method": method,
                "uri": uri,
                "headers": headers,
                "body_sha256": hex::encode(Sha256::digest(&body)),
                "body_size": body.len(),
            });
            Response::builder()
                .header("content-type", "application/json")
                .body(TestBody::Fixed(Some(Bytes::from(echoed.to_string()))))
        }
        _ => Response::builder()
            .status(StatusCode::NOT_FOUND)
            .body(TestBody::Fixed(Some(Bytes::from_static(
                b"unknown test path",
            )))),
    };
    Ok(response.unwrap())
}

fn fixed(status: StatusCode, content_type: &str, name: &str) -> http::response::Builder {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .header("content-length", fixed_body(name).len().to_string())
}

fn body_of(name: &str) -> TestBody {
    TestBody::Fixed(Some(Bytes::from(fixed_body(name))))
}

/// 50 MB generated chunk by chunk: seven different 64 KiB chunks in turn,
/// so reordering or loss changes the digest.
pub struct LargeBody {
    chunks: Vec<Bytes>,
    sent: u64,
    index: usize,
}

impl LargeBody {
    fn new() -> Self {
        let chunks = (0..7u8)
            .map(|seed| {
                Bytes::from(
                    (0..LARGE_CHUNK)
                        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
                        .collect::<Vec<u8>>(),
                )
            })
            .collect();
        Self {
            chunks,
            sent: 0,
            index: 0,
        }
    }

    fn next_chunk(&mut self) -> Option<Bytes> {
        if self.sent >= LARGE_BODY_BYTES {
            return None;
        }
        let left = (LARGE_BODY_BYTES - self.sent) as usize;
        let chunk = self.chunks[self.index % 7].slice(..left.min(LARGE_CHUNK));
        self.sent += chunk.len() as u64;
        self.index += 1;
        Some(chunk)
    }
}

pub enum TestBody {
    Fixed(Option<Bytes>),
    Channel(mpsc::Receiver<Bytes>),
    Large(LargeBody),
}

impl Body for TestBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        match self.get_mut() {
            TestBody::Fixed(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            TestBody::Channel(receiver) => receiver
                .poll_recv(cx)
                .map(|c| c.map(|b| Ok(Frame::data(b)))),
            TestBody::Large(large) => Poll::Ready(large.next_chunk().map(|b| Ok(Frame::data(b)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            TestBody::Fixed(bytes) => bytes.is_none(),
            _ => false,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            TestBody::Fixed(Some(bytes)) => SizeHint::with_exact(bytes.len() as u64),
            _ => SizeHint::default(),
        }
    }
}
