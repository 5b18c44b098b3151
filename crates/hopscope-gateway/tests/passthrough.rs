//! End-to-end pass-through over real TLS on loopback: curl and reqwest as
//! originators, one and two intermediaries, the test destination behind.

mod common;

use std::time::Duration;

use common::destination::{
    fixed_body, large_body_sha256, LARGE_BODY_BYTES, PATIENT_CONTENT_DIGEST, PATIENT_SIGNATURE,
    PATIENT_SIGNATURE_INPUT,
};
use common::{collect_records, curl, reqwest_client, sha256_hex, start_chain, ChainOptions};
use hopscope_gateway::{Gateway, RouteConfig};

const FIXED: [&str; 4] = ["Patient/1", "xml", "gzip", "chunked"];

async fn check_curl_bodies(two_hops: bool) {
    let chain = start_chain(ChainOptions {
        two_hops,
        ..Default::default()
    })
    .await;

    for name in FIXED {
        let result = curl(&chain, &format!("/d-corp/{name}"), &["--http1.1"]).await;
        assert_eq!(result.status, 200, "{name}: status");
        assert_eq!(result.http_version, "1.1", "{name}: HTTP version");
        assert_eq!(
            sha256_hex(&result.body),
            sha256_hex(&fixed_body(name)),
            "{name}: body SHA-256"
        );
    }

    let gzip = curl(&chain, "/d-corp/gzip", &[]).await;
    assert!(
        gzip.headers
            .to_ascii_lowercase()
            .contains("content-encoding: gzip"),
        "gzip: content coding kept: {}",
        gzip.headers
    );

    let http2 = curl(&chain, "/d-corp/Patient/1", &["--http2"]).await;
    assert_eq!(http2.status, 200);
    assert_eq!(http2.http_version, "2");
    assert_eq!(
        sha256_hex(&http2.body),
        sha256_hex(&fixed_body("Patient/1"))
    );

    let large = curl(&chain, "/d-corp/large", &["--http1.1"]).await;
    assert_eq!(large.status, 200);
    assert_eq!(large.body.len() as u64, LARGE_BODY_BYTES);
    assert_eq!(sha256_hex(&large.body), large_body_sha256());

    chain.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_one_hop_bodies_unchanged() {
    check_curl_bodies(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_two_hops_bodies_unchanged() {
    check_curl_bodies(true).await;
}

async fn reqwest_body_sha256(client: &reqwest::Client, url: &str) -> (u16, u64, String) {
    let mut response = client.get(url).send().await.unwrap();
    let status = response.status().as_u16();
    let mut hasher = <sha2::Sha256 as sha2::Digest>::new();
    let mut size = 0u64;
    while let Some(chunk) = response.chunk().await.unwrap() {
        size += chunk.len() as u64;
        sha2::Digest::update(&mut hasher, &chunk);
    }
    (status, size, hex::encode(sha2::Digest::finalize(hasher)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reqwest_two_hops_bodies_unchanged() {
    let chain = start_chain(ChainOptions {
        two_hops: true,
        ..Default::default()
    })
    .await;

    for http2 in [false, true] {
        let client = reqwest_client(&chain, http2);
        for name in FIXED {
            let (status, _, sha) =
                reqwest_body_sha256(&client, &chain.url(&format!("/d-corp/{name}"))).await;
            assert_eq!(status, 200, "{name} (http2 {http2}): status");
            assert_eq!(
                sha,
                sha256_hex(&fixed_body(name)),
                "{name} (http2 {http2}): body SHA-256"
            );
        }
        let response = client
            .get(chain.url("/d-corp/Patient/1"))
            .send()
            .await
            .unwrap();
        let expected = if http2 {
            reqwest::Version::HTTP_2
        } else {
            reqwest::Version::HTTP_11
        };
        assert_eq!(response.version(), expected);
    }

    let client = reqwest_client(&chain, true);
    let (status, size, sha) = reqwest_body_sha256(&client, &chain.url("/d-corp/large")).await;
    assert_eq!(status, 200);
    assert_eq!(size, LARGE_BODY_BYTES);
    assert_eq!(sha, large_body_sha256());

    chain.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destination_errors_pass_unchanged() {
    let chain = start_chain(ChainOptions {
        two_hops: true,
        ..Default::default()
    })
    .await;

    for (name, status) in [("missing", 404), ("boom", 500)] {
        let result = curl(&chain, &format!("/d-corp/{name}"), &[]).await;
        assert_eq!(result.status, status, "{name}: status");
        assert_eq!(result.body, fixed_body(name), "{name}: body");
    }
    chain.shutdown().await;
}

fn outcome_diagnostics(body: &[u8]) -> String {
    let value: serde_json::Value = serde_json::from_slice(body).expect("body is JSON");
    assert_eq!(value["resourceType"], "OperationOutcome");
    value["issue"][0]["diagnostics"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn content_type(headers: &str) -> String {
    headers
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-type")
                .then(|| value.trim().to_string())
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_route_gets_404_outcome() {
    let chain = start_chain(ChainOptions::default()).await;

    let result = curl(&chain, "/b-corp/Patient/1", &[]).await;

    assert_eq!(result.status, 404);
    assert_eq!(content_type(&result.headers), "application/fhir+json");
    let diagnostics = outcome_diagnostics(&result.body);
    assert!(
        diagnostics.starts_with("int-one: no route"),
        "{diagnostics}"
    );
    chain.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_next_hop_gets_502_outcome() {
    let pki = common::Pki::new();
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_addr = dead.local_addr().unwrap();
    drop(dead);
    let leaf = pki.leaf(common::PUBLIC_HOST);
    let config = common::hop_config(
        &pki,
        "int-one",
        &leaf,
        vec![RouteConfig::new(
            common::PUBLIC_HOST,
            "/d-corp",
            format!("https://{}:{}/fhir", common::D_CORP_HOST, dead_addr.port()),
        )],
        [(common::D_CORP_HOST.to_string(), dead_addr)]
            .into_iter()
            .collect(),
    );
    let gateway = Gateway::start(config).await.unwrap();
    let addr = gateway.local_addr("int-one").unwrap();

    let client = reqwest::Client::builder()
        .tls_backend_preconfigured(common::client_tls(&pki, &[b"http/1.1"]))
        .resolve(common::PUBLIC_HOST, addr)
        .build()
        .unwrap();
    let url = format!(
        "https://{}:{}/d-corp/Patient/1",
        common::PUBLIC_HOST,
        addr.port()
    );
    let response = client.get(url).send().await.unwrap();

    assert_eq!(response.status().as_u16(), 502);
    assert_eq!(response.headers()["content-type"], "application/fhir+json");
    let diagnostics = outcome_diagnostics(&response.bytes().await.unwrap());
    assert!(
        diagnostics.starts_with("int-one: next hop"),
        "{diagnostics}"
    );
    assert!(diagnostics.contains("failed"), "{diagnostics}");
    gateway.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_next_hop_gets_504_outcome() {
    let chain = start_chain(ChainOptions {
        response_timeout: Some(Duration::from_millis(500)),
        ..Default::default()
    })
    .await;

    let started = std::time::Instant::now();
    let result = curl(&chain, "/d-corp/slow", &[]).await;

    assert_eq!(result.status, 504);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "answered before the destination"
    );
    let diagnostics = outcome_diagnostics(&result.body);
    assert!(
        diagnostics.starts_with("int-one: next hop"),
        "{diagnostics}"
    );
    assert!(
        diagnostics.contains("did not answer within 500 ms"),
        "{diagnostics}"
    );
    chain.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_pass_and_hop_by_hop_removed() {
    let chain = start_chain(ChainOptions {
        two_hops: true,
        forwarded_and_via: true,
        ..Default::default()
    })
    .await;
    let upload = vec![7u8; 1024 * 1024];
    let dir = tempfile::tempdir().unwrap();
    let upload_path = dir.path().join("upload");
    std::fs::write(&upload_path, &upload).unwrap();

    let result = curl(
        &chain,
        "/d-corp/echo?name=a%20b&_count=2",
        &[
            "--http1.1",
            "-H",
            "Authorization: Bearer abc.def.ghi",
            "-H",
            "Connection: x-private",
            "-H",
            "X-Private: 1",
            "-H",
            "Keep-Alive: timeout=5",
            "-H",
            "Proxy-Trace: 1",
            "-H",
            "Content-Type: application/octet-stream",
            "--data-binary",
            &format!("@{}", upload_path.display()),
        ],
    )
    .await;

    assert_eq!(result.status, 200);
    let echoed: serde_json::Value = serde_json::from_slice(&result.body).unwrap();
    assert_eq!(echoed["method"], "POST");
    assert_eq!(echoed["uri"], "/fhir/echo?name=a%20b&_count=2");
    assert_eq!(echoed["body_size"], upload.len());
    assert_eq!(echoed["body_sha256"], sha256_hex(&upload));
    let headers: Vec<(String, String)> = serde_json::from_value(echoed["headers"].clone()).unwrap();
    let values = |name: &str| -> Vec<String> {
        headers
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .collect()
    };
    assert_eq!(values("authorization"), ["Bearer abc.def.ghi"]);
    assert!(
        values("x-private").is_empty(),
        "header named by Connection removed"
    );
    assert!(values("keep-alive").is_empty());
    assert!(values("proxy-trace").is_empty());
    assert!(values("connection").is_empty());
    assert_eq!(values("via"), ["1.1 int-one", "1.1 int-two"]);
    assert_eq!(
        values("forwarded").len(),
        2,
        "one Forwarded element per hop"
    );
    assert!(values("forwarded")[0].contains("host=\"fhir.int-one.test\""));
    assert_eq!(
        values("host"),
        [format!(
            "{}:{}",
            common::D_CORP_HOST,
            chain.destination.addr.port()
        )]
    );
    assert_eq!(values(hopscope_gateway::EXCHANGE_HEADER).len(), 1);

    let via_lines: Vec<&str> = result
        .headers
        .lines()
        .filter(|l| l.to_ascii_lowercase().starts_with("via:"))
        .collect();
    assert_eq!(
        via_lines.len(),
        2,
        "response Via from both hops: {}",
        result.headers
    );
    chain.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hop_records_share_exchange_id() {
    let mut chain = start_chain(ChainOptions {
        two_hops: true,
        ..Default::default()
    })
    .await;
    let client = reqwest_client(&chain, false);

    let response = client
        .get(chain.url("/d-corp/Patient/1"))
        .header("authorization", "Bearer secret-token-value")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let body = response.bytes().await.unwrap();
    let records = collect_records(&mut chain.records, 2).await;

    assert_eq!(records.len(), 2);
    let int_one = records
        .iter()
        .find(|r| r.hop == "int-one")
        .expect("int-one record");
    let int_two = records
        .iter()
        .find(|r| r.hop == "int-two")
        .expect("int-two record");
    assert_eq!(int_one.exchange_id, int_two.exchange_id);
    assert_eq!(int_one.exchange_id.len(), 32);

    let one_response = int_one.response.as_ref().unwrap();
    let two_response = int_two.response.as_ref().unwrap();
    assert_eq!(one_response.body.sha256, two_response.body.sha256);
    assert_eq!(
        one_response.body.sha256.as_deref(),
        Some(sha256_hex(&body).as_str())
    );
    assert_eq!(
        one_response.content_digest.as_deref(),
        Some(PATIENT_CONTENT_DIGEST)
    );
    assert_eq!(
        one_response.signature_input.as_deref(),
        Some(PATIENT_SIGNATURE_INPUT)
    );
    assert_eq!(one_response.signature.as_deref(), Some(PATIENT_SIGNATURE));
    assert!(!one_response.from_gateway);

    let digest = format!("sha256:{}", sha256_hex(b"Bearer secret-token-value"));
    for record in [int_one, int_two] {
        let authorization: Vec<&String> = record
            .request
            .headers
            .iter()
            .filter(|(n, _)| n == "authorization")
            .map(|(_, v)| v)
            .collect();
        assert_eq!(
            authorization,
            [&digest],
            "{}: Authorization as digest",
            record.hop
        );
        let json = serde_json::to_string(record).unwrap();
        assert!(
            !json.contains("secret-token-value"),
            "{}: token absent from record",
            record.hop
        );
        assert_eq!(record.request.body.size, 0);
        assert!(record.timings.total_ms > 0.0);
        assert!(record.upstream.as_ref().unwrap().tls.is_some());
    }

    assert_eq!(
        int_one.inbound_tls.sni.as_deref(),
        Some(common::PUBLIC_HOST)
    );
    assert_eq!(
        int_one.inbound_tls.certificate_sha256.as_deref(),
        Some(chain.public_leaf.sha256().as_str())
    );
    assert_eq!(
        int_one.inbound_tls.protocol_version.as_deref(),
        Some("TLSv1.3")
    );
    assert_eq!(
        int_one
            .upstream
            .as_ref()
            .unwrap()
            .tls
            .as_ref()
            .unwrap()
            .certificate_sha256,
        int_two.inbound_tls.certificate_sha256,
        "int-one saw the certificate int-two presented"
    );
    assert!(
        int_one.timings.connect_ms.is_some(),
        "first request opened a connection"
    );
    chain.shutdown().await;
}
