//! Faults per hop, protective limits, certificate rotation under load and
//! graceful shutdown, over real TLS on loopback.

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::destination::{fixed_body, ACCESS_TOKEN, PATIENT_SIGNATURE};
use common::{
    collect_records, curl, reqwest_client, sha256_hex, start_chain, tls_connect, ChainOptions,
};
use hopscope_gateway::{Fault, Limits};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn diagnostics(body: &[u8]) -> String {
    let value: serde_json::Value = serde_json::from_slice(body).expect("body is JSON");
    assert_eq!(value["resourceType"], "OperationOutcome");
    value["issue"][0]["diagnostics"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delay_fault_delays_and_is_recorded() {
    let mut chain = start_chain(ChainOptions::default()).await;
    chain
        .int_one
        .faults()
        .set("int-one", Fault::Delay { ms: 400 })
        .unwrap();

    let started = Instant::now();
    let result = curl(&chain, "/d-corp/Patient/1", &[]).await;

    assert_eq!(result.status, 200);
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(result.body, fixed_body("Patient/1"));
    let records = collect_records(&mut chain.records, 1).await;
    assert_eq!(records[0].fault.as_deref(), Some("delay 400 ms"));
    chain.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_fault_answers_status() {
    let chain = start_chain(ChainOptions {
        two_hops: true,
        ..Default::default()
    })
    .await;
    chain
        .int_two
        .as_ref()
        .unwrap()
        .faults()
        .set("int-two", Fault::Status { code: 503 })
        .unwrap();

    let result = curl(&chain, "/d-corp/Patient/1", &[]).await;

    assert_eq!(result.status, 503);
    assert_eq!(
        diagnostics(&result.body),
        "int-two: status 503 set by the status fault"
    );
    chain.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drop_fault_closes_connection() {
    let chain = start_chain(ChainOptions {
        two_hops: true,
        ..Default::default()
    })
    .await;
    let int_two = chain.int_two.as_ref().unwrap();
    int_two.faults().set("int-two", Fault::Drop).unwrap();

    let behind = curl(&chain, "/d-corp/Patient/1", &[]).await;
    assert_eq!(behind.status, 502, "previous hop answers 502");
    let text = diagnostics(&behind.body);
    assert!(text.starts_with("int-one: next hop"), "{text}");

    int_two.faults().clear("int-two").unwrap();
    chain.int_one.faults().set("int-one", Fault::Drop).unwrap();
    let client = reqwest_client(&chain, false);
    let error = client.get(chain.url("/d-corp/Patient/1")).send().await;
    assert!(
        error.is_err(),
        "the client sees a closed connection: {error:?}"
    );
    chain.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hold_fault_times_out_previous_hop() {
    let chain = start_chain(ChainOptions {
        two_hops: true,
        response_timeout: Some(Duration::from_millis(500)),
        ..Default::default()
    })
    .await;
    chain
        .int_two
        .as_ref()
        .unwrap()
        .faults()
        .set("int-two", Fault::Hold)
        .unwrap();

    let started = Instant::now();
    let result = curl(&chain, "/d-corp/Patient/1", &[]).await;

    assert_eq!(result.status, 504);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    let text = diagnostics(&result.body);
    assert!(text.starts_with("int-one: next hop"), "{text}");
    chain.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tamper_fault_flips_one_byte() {
    let mut chain = start_chain(ChainOptions {
        two_hops: true,
        ..Default::default()
    })
    .await;
    chain
        .int_one
        .faults()
        .set("int-one", Fault::TamperBody)
        .unwrap();

    let result = curl(&chain, "/d-corp/Patient/1", &[]).await;

    let original = fixed_body("Patient/1");
    assert_eq!(result.status, 200);
    assert_eq!(result.body.len(), original.len());
    let differing: Vec<usize> = (0..original.len())
        .filter(|&i| result.body[i] != original[i])
        .collect();
    assert_eq!(differing, [0]);
    let records = collect_records(&mut chain.records, 2).await;
    let hash = |hop: &str| {
        records
            .iter()
            .find(|r| r.hop == hop)
            .unwrap()
            .response
            .as_ref()
            .unwrap()
            .body
            .sha256
            .clone()
    };
    assert_eq!(hash("int-two"), Some(sha256_hex(&original)));
    assert_eq!(hash("int-one"), Some(sha256_hex(&result.body)));
    chain.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strip_header_fault_removes_header() {
    let chain = start_chain(ChainOptions::default()).await;

    let before = curl(&chain, "/d-corp/Patient/1", &[]).await;
    assert!(
        before.headers.contains(PATIENT_SIGNATURE),
        "{}",
        before.headers
    );

    chain
        .int_one
        .faults()
        .set(
            "int-one",
            Fault::StripHeader {
                name: "Signature".into(),
            },
        )
        .unwrap();
    let after = curl(&chain, "/d-corp/Patient/1", &[]).await;

    assert_eq!(after.status, 200);
    assert!(
        !after.headers.to_ascii_lowercase().contains("\nsignature:"),
        "{}",
        after.headers
    );
    assert!(
        after
            .headers
            .to_ascii_lowercase()
            .contains("signature-input:"),
        "other headers stay"
    );
    assert_eq!(after.body, fixed_body("Patient/1"));
    chain.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replace_token_fault_and_clear() {
    let chain = start_chain(ChainOptions {
        two_hops: true,
        ..Default::default()
    })
    .await;
    let faults = chain.int_one.faults();

    faults.set("int-one", Fault::ReplaceToken).unwrap();
    let replaced = curl(&chain, "/d-corp/token", &[]).await;
    let value: serde_json::Value = serde_json::from_slice(&replaced.body).unwrap();
    assert_eq!(replaced.status, 200);
    assert_ne!(value["access_token"], ACCESS_TOKEN);
    assert!(value["access_token"].as_str().unwrap().starts_with("eyJ"));
    assert_eq!(value["token_type"], "Bearer");
    assert_eq!(value["expires_in"], 300);

    let large = curl(&chain, "/d-corp/large", &[]).await;
    assert_eq!(large.status, 200);
    assert_eq!(
        sha256_hex(&large.body),
        common::destination::large_body_sha256(),
        "a body over the buffering limit passes unchanged"
    );

    assert_eq!(faults.clear("int-one").unwrap(), Some(Fault::ReplaceToken));
    let unchanged = curl(&chain, "/d-corp/token", &[]).await;
    assert_eq!(unchanged.body, fixed_body("token"));
    chain.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_headers_time_out() {
    let chain = start_chain(ChainOptions {
        limits: Limits {
            header_read_timeout: Duration::from_millis(500),
            ..common::test_limits()
        },
        ..Default::default()
    })
    .await;

    let (_, mut stream) = tls_connect(&chain.pki, chain.public_addr(), common::PUBLIC_HOST).await;
    stream
        .write_all(b"GET /d-corp/Patient/1 HTTP/1.1\r\nHost: fhir.int-one.test\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer)).await;

    assert!(read.is_ok(), "the gateway closed the connection");
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );
    let text = String::from_utf8_lossy(&answer);
    assert!(
        answer.is_empty() || text.starts_with("HTTP/1.1 408"),
        "{text}"
    );
    chain.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_headers_get_431() {
    let chain = start_chain(ChainOptions {
        limits: Limits {
            max_header_bytes: 8192,
            ..common::test_limits()
        },
        ..Default::default()
    })
    .await;
    let big = format!("X-Big: {}", "a".repeat(20_000));

    let result = curl(&chain, "/d-corp/Patient/1", &["--http1.1", "-H", &big]).await;
    assert_eq!(result.status, 431);

    let http2 = curl(&chain, "/d-corp/Patient/1", &["--http2", "-H", &big]).await;
    assert_eq!(http2.status, 431, "HTTP/2: {}", http2.headers);

    let small = curl(
        &chain,
        "/d-corp/Patient/1",
        &["--http1.1", "-H", "X-Small: 1"],
    )
    .await;
    assert_eq!(small.status, 200);
    chain.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_limit_rejects_excess() {
    let chain = start_chain(ChainOptions {
        limits: Limits {
            max_connections: 1,
            ..common::test_limits()
        },
        ..Default::default()
    })
    .await;
    let (_, held) = tls_connect(&chain.pki, chain.public_addr(), common::PUBLIC_HOST).await;

    let rejected = curl(&chain, "/d-corp/Patient/1", &[]).await;
    assert_eq!(
        rejected.status, 0,
        "second connection closed before any response"
    );

    drop(held);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let accepted = curl(&chain, "/d-corp/Patient/1", &[]).await;
    assert_eq!(accepted.status, 200);
    chain.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_under_load_no_failed_request() {
    let chain = Arc::new(start_chain(ChainOptions::default()).await);
    let old_sha = chain.public_leaf.sha256();
    let (seen_before, kept_open) =
        tls_connect(&chain.pki, chain.public_addr(), common::PUBLIC_HOST).await;
    assert_eq!(seen_before, old_sha);

    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let succeeded = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let mut workers = Vec::new();
    for worker in 0..4 {
        let (chain, stop, succeeded, failed) = (
            chain.clone(),
            stop.clone(),
            succeeded.clone(),
            failed.clone(),
        );
        workers.push(tokio::spawn(async move {
            // Even workers reuse one keep-alive connection; odd workers open
            // a new connection, and so a new handshake, per request.
            let shared = reqwest_client(&chain, worker % 4 == 2);
            let started = Instant::now();
            while !stop.load(Ordering::Relaxed) && started.elapsed() < Duration::from_secs(20) {
                let client = if worker % 2 == 0 {
                    shared.clone()
                } else {
                    reqwest_client(&chain, false)
                };
                match client.get(chain.url("/d-corp/Patient/1")).send().await {
                    Ok(response) if response.status() == 200 => {
                        let body = response.bytes().await;
                        if body
                            .map(|b| b[..] == fixed_body("Patient/1")[..])
                            .unwrap_or(false)
                        {
                            succeeded.fetch_add(1, Ordering::Relaxed);
                        } else {
                            failed.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    _ => {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }

    tokio::time::sleep(Duration::from_millis(400)).await;
    let new_leaf = chain.pki.leaf(common::PUBLIC_HOST);
    let replaced = chain
        .int_one
        .replace_certificate(common::PUBLIC_HOST, &new_leaf.chain_pem, &new_leaf.key_der)
        .unwrap();
    assert_eq!(replaced, 1);
    tokio::time::sleep(Duration::from_millis(600)).await;
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        worker.await.unwrap();
    }

    assert_eq!(failed.load(Ordering::Relaxed), 0, "failed requests");
    assert!(
        succeeded.load(Ordering::Relaxed) >= 20,
        "requests ran: {}",
        succeeded.load(Ordering::Relaxed)
    );
    let (seen_after, _) = tls_connect(&chain.pki, chain.public_addr(), common::PUBLIC_HOST).await;
    assert_eq!(
        seen_after,
        new_leaf.sha256(),
        "a new connection sees the new certificate"
    );
    assert_ne!(seen_after, old_sha);
    assert_eq!(
        chain
            .int_one
            .certificates("int-one")
            .unwrap()
            .fingerprint(common::PUBLIC_HOST),
        Some(new_leaf.sha256())
    );

    let mut kept_open = kept_open;
    kept_open
        .write_all(b"GET /d-corp/Patient/1 HTTP/1.1\r\nHost: fhir.int-one.test\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    kept_open.read_to_end(&mut answer).await.unwrap();
    assert!(
        answer.starts_with(b"HTTP/1.1 200"),
        "connection opened before the swap still works"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_finishes_open_request() {
    let chain = start_chain(ChainOptions::default()).await;
    chain
        .int_one
        .faults()
        .set("int-one", Fault::Delay { ms: 500 })
        .unwrap();
    let client = reqwest_client(&chain, false);
    let url = chain.url("/d-corp/Patient/1");
    let addr = chain.public_addr();

    let open =
        tokio::spawn(async move { client.get(url).send().await.map(|r| r.status().as_u16()) });
    tokio::time::sleep(Duration::from_millis(150)).await;
    chain.int_one.shutdown().await;

    assert_eq!(open.await.unwrap().unwrap(), 200, "open request finished");
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "listener closed"
    );
    chain.destination.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_record_channel_counts_drops() {
    let chain = start_chain(ChainOptions {
        record_capacity: 1,
        ..Default::default()
    })
    .await;

    for _ in 0..3 {
        assert_eq!(curl(&chain, "/d-corp/Patient/1", &[]).await.status, 200);
    }

    assert_eq!(chain.int_one.dropped_records(), 2);
    chain.shutdown().await;
}
