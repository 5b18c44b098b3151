//! Throughput of the record writer, measured rather than asserted:
//! `cargo test --release -p hopscope-workspace --test record_writer -- --ignored --nocapture`.

use std::time::Instant;

use bytes::Bytes;
use hopscope_gateway::{BodyRecord, ExchangeRecord, ResponseRecord};
use hopscope_workspace::{RecordWriterOptions, Workspace};
use tokio::sync::mpsc;

/// Hop records written per run: two hops per exchange.
const RECORDS: usize = 40_000;

/// Builds a record like the gateway's for a 2 KB Patient read, with the
/// response body captured.
fn record(exchange: usize, hop: &str, patient: &Bytes) -> ExchangeRecord {
    let mut record = ExchangeRecord {
        exchange_id: format!("{exchange:032x}"),
        hop: hop.into(),
        started_at_unix_ms: 1_700_000_000_000 + exchange as u64,
        client_address: "127.0.0.1:50000".into(),
        http_version: "HTTP/1.1".into(),
        ..Default::default()
    };
    record.request.method = "GET".into();
    record.request.target = "/d-corp/Patient/1".into();
    record.request.authority = "fhir.int-one.test:8443".into();
    record.request.headers = vec![
        ("host".into(), "fhir.int-one.test:8443".into()),
        ("user-agent".into(), "h2load nghttp2/1.52.0".into()),
        ("accept".into(), "*/*".into()),
        ("x-hopscope-exchange".into(), format!("{exchange:032x}")),
    ];
    record.request.body = BodyRecord {
        size: 0,
        sha256: Some("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".into()),
        complete: true,
        captured: Some(Bytes::new()),
        truncated: false,
    };
    record.response = Some(ResponseRecord {
        status: 200,
        headers: vec![
            ("content-type".into(), "application/fhir+json".into()),
            ("content-length".into(), patient.len().to_string()),
        ],
        body: BodyRecord {
            size: patient.len() as u64,
            sha256: Some("41a07c32ada5a24d55b040e7daebbd684f3e24d0835d4562a63bf5ff68947328".into()),
            complete: true,
            captured: Some(patient.clone()),
            truncated: false,
        },
        ..Default::default()
    });
    record.timings.total_ms = if hop == "int-one" { 2.0 } else { 1.0 };
    record
}

/// Writes `RECORDS` hop records through a writer with `options` and
/// prints the rate.
async fn measure(case: &str, options: RecordWriterOptions) {
    let dir = tempfile::tempdir().unwrap();
    let workspace = Workspace::create(&dir.path().join("ws.db"), "bench pass phrase").await.unwrap();
    let patient = Bytes::from(vec![b'x'; 2062]);
    let records: Vec<ExchangeRecord> = (0..RECORDS / 2)
        .flat_map(|n| [record(n, "int-two", &patient), record(n, "int-one", &patient)])
        .collect();
    let (sender, receiver) = mpsc::channel(RECORDS);
    for record in records {
        sender.try_send(record).unwrap();
    }
    drop(sender);

    let started = Instant::now();
    let writer = workspace.spawn_record_writer(receiver, options);
    let stats = writer.finish().await;
    let elapsed = started.elapsed();

    assert_eq!(stats.written, RECORDS as u64);
    println!(
        "record writer, {case}: {} hop records in {:.2} s = {:.0} records/s ({} exchanges expired)",
        stats.written,
        elapsed.as_secs_f64(),
        stats.written as f64 / elapsed.as_secs_f64(),
        stats.expired
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement; run it with --release --ignored --nocapture"]
async fn record_writer_throughput() {
    measure("default options", RecordWriterOptions::default()).await;
    let retention = RecordWriterOptions {
        retention: 5_000,
        ..Default::default()
    };
    measure("retention 5,000 exchanges", retention).await;
    let small_batches = RecordWriterOptions {
        batch_size: 200,
        ..Default::default()
    };
    measure("batches of 200", small_batches).await;
}
