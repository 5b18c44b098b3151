//! Exchange records over real TLS: captured bodies, and the records of
//! exchanges that a client or the shutdown cut short.

mod common;

use std::time::Duration;

use common::destination::{fixed_body, LARGE_BODY_BYTES};
use common::{collect_records, curl, sha256_hex, start_chain, test_limits, ChainOptions};
use hopscope_gateway::{ExchangeRecord, Fault, Limits};

fn record<'a>(records: &'a [ExchangeRecord], hop: &str) -> &'a ExchangeRecord {
    records
        .iter()
        .find(|r| r.hop == hop)
        .unwrap_or_else(|| panic!("no record of {hop} in {records:#?}"))
}

fn limits_capturing(bytes: usize) -> Limits {
    Limits {
        body_capture_bytes: bytes,
        ..test_limits()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn captured_bodies_equal_what_curl_got() {
    let mut chain = start_chain(ChainOptions {
        two_hops: true,
        ..Default::default()
    })
    .await;
    let upload: Vec<u8> = (0..3000u32).map(|i| (i % 251) as u8).collect();
    let dir = tempfile::tempdir().unwrap();
    let upload_path = dir.path().join("upload");
    std::fs::write(&upload_path, &upload).unwrap();

    let echoed = curl(
        &chain,
        "/d-corp/echo",
        &["--http1.1", "--data-binary", &format!("@{}", upload_path.display())],
    )
    .await;
    assert_eq!(echoed.status, 200);
    let records = collect_records(&mut chain.records, 2).await;

    for hop in ["int-one", "int-two"] {
        let hop_record = record(&records, hop);
        let request = &hop_record.request.body;
        assert_eq!(request.captured.as_deref(), Some(upload.as_slice()), "{hop}: request body");
        assert!(!request.truncated, "{hop}: request not truncated");
        assert_eq!(request.sha256.as_deref(), Some(sha256_hex(&upload).as_str()), "{hop}");
        let response = &hop_record.response.as_ref().unwrap().body;
        assert_eq!(response.captured.as_deref(), Some(echoed.body.as_slice()), "{hop}: response body");
        assert!(!response.truncated, "{hop}: response not truncated");
    }
    chain.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn capture_truncates_at_limit() {
    let mut chain = start_chain(ChainOptions {
        limits: limits_capturing(1000),
        ..Default::default()
    })
    .await;

    let large = curl(&chain, "/d-corp/large", &["--http1.1"]).await;
    assert_eq!(large.body.len() as u64, LARGE_BODY_BYTES);
    let records = collect_records(&mut chain.records, 1).await;

    let body = &record(&records, "int-one").response.as_ref().unwrap().body;
    assert_eq!(body.size, LARGE_BODY_BYTES);
    assert_eq!(body.captured.as_deref(), Some(&large.body[..1000]));
    assert!(body.truncated);
    assert_eq!(body.sha256.as_deref(), Some(sha256_hex(&large.body).as_str()), "digest over the whole body");
    chain.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zero_limit_turns_capture_off() {
    let mut chain = start_chain(ChainOptions {
        limits: limits_capturing(0),
        ..Default::default()
    })
    .await;

    let fetched = curl(&chain, "/d-corp/Patient/1", &[]).await;
    assert_eq!(fetched.status, 200);
    let records = collect_records(&mut chain.records, 1).await;

    let int_one = record(&records, "int-one");
    let response = &int_one.response.as_ref().unwrap().body;
    assert_eq!(response.captured, None);
    assert!(!response.truncated);
    assert_eq!(response.sha256.as_deref(), Some(sha256_hex(&fixed_body("Patient/1")).as_str()));
    assert_eq!(int_one.request.body.captured, None);
    chain.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_get_body_is_complete() {
    let mut chain = start_chain(ChainOptions {
        two_hops: true,
        ..Default::default()
    })
    .await;

    assert_eq!(curl(&chain, "/d-corp/Patient/1", &["--http1.1"]).await.status, 200);
    assert_eq!(curl(&chain, "/nowhere", &["--http1.1"]).await.status, 404);
    let records = collect_records(&mut chain.records, 3).await;

    assert_eq!(records.len(), 3, "{records:#?}");
    for hop_record in &records {
        let body = &hop_record.request.body;
        assert!(body.complete, "{} {}: request body complete", hop_record.hop, hop_record.request.target);
        assert_eq!(body.size, 0);
        assert_eq!(body.sha256.as_deref(), Some(sha256_hex(b"").as_str()));
        assert_eq!(body.captured.as_deref(), Some(&b""[..]));
    }
    chain.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_record_keeps_port() {
    let mut chain = start_chain(ChainOptions::default()).await;

    let fetched = curl(&chain, "/d-corp/Patient/1", &["--http2"]).await;
    assert_eq!(fetched.http_version, "2");
    let records = collect_records(&mut chain.records, 1).await;

    let int_one = record(&records, "int-one");
    assert_eq!(int_one.http_version, "HTTP/2");
    assert_eq!(
        int_one.request.authority,
        format!("{}:{}", common::PUBLIC_HOST, chain.public_addr().port())
    );
    chain.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn held_hop_records_client_giving_up() {
    let mut chain = start_chain(ChainOptions {
        two_hops: true,
        ..Default::default()
    })
    .await;
    chain.int_two.as_ref().unwrap().faults().set("int-two", Fault::Hold).unwrap();

    let gave_up = curl(&chain, "/d-corp/Patient/1", &["--max-time", "1"]).await;
    assert_eq!(gave_up.status, 0, "curl gave up without a response");
    let records = collect_records(&mut chain.records, 2).await;

    for hop in ["int-one", "int-two"] {
        let hop_record = record(&records, hop);
        assert!(hop_record.response.is_none(), "{hop}: no response");
        let error = hop_record.error.as_deref().unwrap_or_default();
        assert!(error.contains("client closed the connection"), "{hop}: {error}");
        assert!(!hop_record.interrupted, "{hop}");
    }
    assert_eq!(record(&records, "int-two").fault.as_deref(), Some("hold until timeout"));
    chain.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_abandoning_response_is_recorded() {
    let mut chain = start_chain(ChainOptions {
        two_hops: true,
        ..Default::default()
    })
    .await;

    // curl reads a little of the 50 MB body and then stops reading.
    let abandoned = curl(&chain, "/d-corp/large", &["--http1.1", "--limit-rate", "100K", "--max-time", "1"]).await;
    assert_ne!(abandoned.body.len() as u64, LARGE_BODY_BYTES, "curl stopped early");
    let records = collect_records(&mut chain.records, 2).await;

    for hop in ["int-one", "int-two"] {
        let hop_record = record(&records, hop);
        assert_eq!(hop_record.response.as_ref().map(|r| r.status), Some(200), "{hop}");
        let body = &hop_record.response.as_ref().unwrap().body;
        assert!(!body.complete, "{hop}: body incomplete");
        assert!(body.size < LARGE_BODY_BYTES, "{hop}: {} bytes", body.size);
        assert!(hop_record.error.is_some(), "{hop}: error recorded");
    }
    chain.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_records_interrupted() {
    let mut chain = start_chain(ChainOptions {
        two_hops: true,
        ..Default::default()
    })
    .await;
    chain.int_two.as_ref().unwrap().faults().set("int-two", Fault::Hold).unwrap();
    let url = chain.url("/d-corp/Patient/1");
    let client = common::reqwest_client(&chain, false);
    let open = tokio::spawn(async move { client.get(url).send().await.map(|r| r.status().as_u16()) });
    tokio::time::sleep(Duration::from_millis(300)).await;

    // int-one waits its shutdown grace for the held request, then closes it.
    chain.int_one.shutdown().await;
    let records = collect_records(&mut chain.records, 1).await;

    let int_one = record(&records, "int-one");
    assert!(int_one.interrupted, "{int_one:#?}");
    assert!(int_one.response.is_none());
    let error = int_one.error.as_deref().unwrap_or_default();
    assert!(error.starts_with("interrupted: the gateway stopped"), "{error}");
    assert!(open.await.unwrap().is_err(), "the client got no response");
    if let Some(int_two) = chain.int_two {
        int_two.shutdown().await;
    }
    chain.destination.shutdown();
}
