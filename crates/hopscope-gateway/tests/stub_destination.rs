//! The stub destination over real TLS: the sized responses that the gateway
//! benchmark requests (a 2 KB Patient read, a 1 MB searchset Bundle and a
//! generated Binary), fetched with reqwest.

mod common;

use std::time::Duration;

use common::{client_tls, Pki, D_CORP_HOST};
use hopscope_gateway::{StubDestination, StubDestinationConfig};

const PUBLIC_BASE_URL: &str = "https://fhir.int-one.test:8443/d-corp";

struct Stub {
    destination: StubDestination,
    client: reqwest::Client,
}

impl Stub {
    async fn start() -> Self {
        let pki = Pki::new();
        let destination = StubDestination::start(StubDestinationConfig {
            name: "d-corp".into(),
            bind: "127.0.0.1:0".parse().unwrap(),
            base_path: "/fhir".into(),
            public_base_url: PUBLIC_BASE_URL.into(),
            certificate: pki.leaf(D_CORP_HOST).server_certificate(),
        })
        .await
        .unwrap();
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(client_tls(&pki, &[b"http/1.1"]))
            .resolve(D_CORP_HOST, destination.local_addr())
            .timeout(Duration::from_secs(60))
            .http1_only()
            .build()
            .unwrap();
        Self { destination, client }
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        let port = self.destination.local_addr().port();
        self.client
            .get(format!("https://{D_CORP_HOST}:{port}/fhir/{path}"))
            .send()
            .await
            .unwrap()
    }
}

fn content_type(response: &reqwest::Response) -> String {
    response.headers()["content-type"].to_str().unwrap().to_string()
}

#[tokio::test]
async fn patient_read_is_two_kilobytes() {
    let stub = Stub::start().await;

    let response = stub.get("Patient/42").await;
    assert_eq!(response.status(), 200);
    assert_eq!(content_type(&response), "application/fhir+json");
    let body = response.bytes().await.unwrap();
    assert!((1900..=2200).contains(&body.len()), "Patient/42 is {} bytes", body.len());
    let patient: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(patient["id"], "42");
    assert_eq!(patient["text"]["status"], "generated");

    stub.destination.shutdown().await;
}

#[tokio::test]
async fn bundle_of_500_is_one_megabyte() {
    let stub = Stub::start().await;

    let response = stub.get("Patient?_count=500").await;
    assert_eq!(response.status(), 200);
    let body = response.bytes().await.unwrap();
    assert!(
        (900_000..=1_200_000).contains(&body.len()),
        "Bundle of 500 is {} bytes",
        body.len()
    );
    let bundle: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(bundle["type"], "searchset");
    assert_eq!(bundle["entry"].as_array().unwrap().len(), 500);
    assert_eq!(bundle["entry"][499]["fullUrl"], format!("{PUBLIC_BASE_URL}/Patient/500"));

    let again = stub.get("Patient?_count=500").await.bytes().await.unwrap();
    assert_eq!(again, body, "a repeated search returns the same bytes");

    stub.destination.shutdown().await;
}

#[tokio::test]
async fn binary_streams_requested_size() {
    let stub = Stub::start().await;
    let size: u64 = 10 * 1024 * 1024 + 3;

    let response = stub.get(&format!("Binary/stream?bytes={size}")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(content_type(&response), "application/octet-stream");
    assert_eq!(response.content_length(), Some(size));
    let body = response.bytes().await.unwrap();
    assert_eq!(body.len() as u64, size);
    assert!(body.iter().all(|byte| (b'!'..=b'~').contains(byte)));

    let empty = stub.get("Binary/stream?bytes=0").await;
    assert_eq!(empty.status(), 200);
    assert_eq!(empty.bytes().await.unwrap().len(), 0);

    stub.destination.shutdown().await;
}

#[tokio::test]
async fn invalid_sizes_get_400() {
    let stub = Stub::start().await;

    for path in [
        "Patient?_count=0",
        "Patient?_count=10001",
        "Patient?_count=many",
        "Binary/stream",
        "Binary/stream?bytes=-1",
    ] {
        let response = stub.get(path).await;
        assert_eq!(response.status(), 400, "{path}: status");
        let body = response.bytes().await.unwrap();
        let outcome: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(outcome["resourceType"], "OperationOutcome", "{path}: body");
        assert_eq!(outcome["issue"][0]["code"], "invalid", "{path}: issue code");
    }

    stub.destination.shutdown().await;
}
