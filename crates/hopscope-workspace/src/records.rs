//! The record writer: drains the gateway's record channel into the
//! workspace in batched transactions and keeps the retention limit.
//!
//! Forwarding never waits for it: the engine's channel is bounded and drops
//! (and counts) records when it is full, so a slow disk loses records
//! instead of slowing requests.
//!
//! Captured bodies go to their own table (`hop_bodies`), not into the
//! record JSON, so listing exchanges does not read them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hopscope_gateway::ExchangeRecord;
use hopscope_store::exchanges::NewHopRecord;
use hopscope_store::record_batch::{self, NewHopBody};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::Workspace;

/// Batch size, flush interval and retention limit of the record writer.
#[derive(Debug, Clone)]
pub struct RecordWriterOptions {
    /// Maximum records per transaction. Each commit syncs the file to disk,
    /// so larger batches write more records per second under load. The
    /// record writer benchmark (`tests/record_writer.rs`) measured about
    /// twice the rate at 1000 as at 200.
    pub batch_size: usize,
    /// Maximum time a record waits for its batch to fill.
    pub flush_interval: Duration,
    /// Exchanges kept; older ones are deleted with their hop records.
    pub retention: i64,
}

impl Default for RecordWriterOptions {
    fn default() -> Self {
        Self {
            batch_size: 1000,
            flush_interval: Duration::from_millis(100),
            retention: 100_000,
        }
    }
}

/// Totals of a record writer, once its channel closed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecordWriterStats {
    /// Hop records stored.
    pub written: u64,
    /// Hop records lost because a transaction failed.
    pub failed: u64,
    /// Exchanges deleted by the retention limit.
    pub expired: u64,
}

/// A running record writer.
pub struct RecordWriter {
    task: JoinHandle<RecordWriterStats>,
    counts: RecordWriterCounts,
}

/// Live totals of a running record writer; clones share them.
#[derive(Debug, Clone, Default)]
pub struct RecordWriterCounts {
    written: Arc<AtomicU64>,
    failed: Arc<AtomicU64>,
}

impl RecordWriterCounts {
    /// Hop records stored so far.
    pub fn written(&self) -> u64 {
        self.written.load(Ordering::Relaxed)
    }

    /// Hop records lost so far because a transaction failed.
    pub fn failed(&self) -> u64 {
        self.failed.load(Ordering::Relaxed)
    }
}

impl RecordWriter {
    /// Returns the live totals, which grow after each batch.
    pub fn counts(&self) -> RecordWriterCounts {
        self.counts.clone()
    }

    /// Waits until every sender of the channel is gone and every record
    /// received is written, then returns the totals.
    pub async fn finish(self) -> RecordWriterStats {
        match self.task.await {
            Ok(stats) => stats,
            Err(error) => {
                tracing::error!(error = %error, "record writer task failed");
                RecordWriterStats::default()
            }
        }
    }
}

impl Workspace {
    /// Starts a task that writes the records of `receiver` into the
    /// workspace until the channel closes.
    pub fn spawn_record_writer(
        &self,
        receiver: mpsc::Receiver<ExchangeRecord>,
        options: RecordWriterOptions,
    ) -> RecordWriter {
        let workspace = self.clone();
        let counts = RecordWriterCounts::default();
        let live = counts.clone();
        RecordWriter {
            task: tokio::spawn(async move { workspace.write_records(receiver, options, live).await }),
            counts,
        }
    }

    async fn write_records(
        &self,
        mut receiver: mpsc::Receiver<ExchangeRecord>,
        options: RecordWriterOptions,
        counts: RecordWriterCounts,
    ) -> RecordWriterStats {
        let batch_size = options.batch_size.max(1);
        let mut stats = RecordWriterStats::default();
        let mut batch = Vec::with_capacity(batch_size);
        while let Some(first) = receiver.recv().await {
            batch.push(first);
            let deadline = Instant::now() + options.flush_interval;
            while batch.len() < batch_size {
                match tokio::time::timeout_at(deadline, receiver.recv()).await {
                    Ok(Some(record)) => batch.push(record),
                    // The channel closed or the interval is over: write what
                    // there is; the outer loop ends on a closed channel.
                    Ok(None) | Err(_) => break,
                }
            }
            match self.insert_batch(&mut batch, options.retention).await {
                Ok(expired) => {
                    stats.written += batch.len() as u64;
                    stats.expired += expired;
                    counts.written.store(stats.written, Ordering::Relaxed);
                }
                Err(error) => {
                    stats.failed += batch.len() as u64;
                    counts.failed.store(stats.failed, Ordering::Relaxed);
                    tracing::error!(records = batch.len(), error = %error, "writing exchange records failed; they are lost");
                }
            }
            batch.clear();
        }
        tracing::info!(written = stats.written, failed = stats.failed, expired = stats.expired, "record writer stopped");
        stats
    }

    /// Inserts one batch in a transaction and applies the retention limit;
    /// returns how many exchanges the limit deleted.
    async fn insert_batch(&self, batch: &mut [ExchangeRecord], retention: i64) -> crate::Result<u64> {
        // Serialized before the transaction starts, so the database's write
        // lock is held for the inserts only.
        let mut captured = Vec::new();
        let mut jsons = Vec::with_capacity(batch.len());
        for (index, record) in batch.iter_mut().enumerate() {
            if let Some(body) = record.request.body.captured.take() {
                captured.push((index, "request", body));
            }
            if let Some(body) = record.response.as_mut().and_then(|r| r.body.captured.take()) {
                captured.push((index, "response", body));
            }
            let json = serde_json::to_string(&*record)
                .map_err(|e| crate::Error::Invalid(format!("exchange record {} is not serializable: {e}", record.exchange_id)))?;
            jsons.push(json);
        }
        let rows: Vec<NewHopRecord> = batch
            .iter()
            .zip(&jsons)
            .map(|(record, json)| NewHopRecord {
                exchange_id: &record.exchange_id,
                hop: &record.hop,
                started_at_ms: i64::try_from(record.started_at_unix_ms).unwrap_or(i64::MAX),
                method: &record.request.method,
                target: &record.request.target,
                status: record.response.as_ref().map(|r| i64::from(r.status)),
                duration_ms: record.timings.total_ms,
                record_json: json,
            })
            .collect();
        let bodies: Vec<NewHopBody> = captured
            .iter()
            .map(|(index, direction, body)| NewHopBody { index: *index, direction, body })
            .collect();

        let mut tx = self.store.begin().await?;
        record_batch::insert_hop_records(&mut tx, &rows, &bodies).await?;
        let expired = record_batch::keep_newest_exchanges(&mut tx, retention).await?;
        tx.commit().await.map_err(hopscope_store::Error::from)?;
        Ok(expired)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hopscope_gateway::ResponseRecord;

    fn record(exchange_id: &str, hop: &str, total_ms: f64) -> ExchangeRecord {
        let mut record = ExchangeRecord {
            exchange_id: exchange_id.into(),
            hop: hop.into(),
            started_at_unix_ms: 1_700_000_000_000,
            response: Some(ResponseRecord {
                status: 200,
                ..Default::default()
            }),
            ..Default::default()
        };
        record.request.method = "GET".into();
        record.request.target = "/d-corp/metadata".into();
        record.timings.total_ms = total_ms;
        record
    }

    #[tokio::test]
    async fn writer_stores_captured_bodies_apart() {
        let dir = tempfile::tempdir().unwrap();
        let workspace = Workspace::create(&dir.path().join("ws.db"), "pass phrase").await.unwrap();
        let (sender, receiver) = mpsc::channel(10);
        let writer = workspace.spawn_record_writer(receiver, RecordWriterOptions::default());
        let mut captured = record("x1", "int-one", 2.0);
        captured.request.body.captured = Some(bytes::Bytes::from_static(b""));
        let response = captured.response.as_mut().unwrap();
        response.body.captured = Some(bytes::Bytes::from_static(&[0, 159, 146, 150]));
        response.body.size = 10;
        response.body.truncated = true;
        let mut uncaptured = record("x1", "int-two", 1.0);
        uncaptured.response.as_mut().unwrap().body.size = 10;

        sender.send(captured).await.unwrap();
        sender.send(uncaptured).await.unwrap();
        drop(sender);
        writer.finish().await;

        let detail = workspace.exchange("x1").await.unwrap();
        let int_one = &detail.records[0];
        assert_eq!(int_one.hop, "int-one");
        assert_eq!(int_one.request.body.captured.as_deref(), Some(&b""[..]));
        let body = &int_one.response.as_ref().unwrap().body;
        assert_eq!(body.captured.as_deref(), Some(&[0u8, 159, 146, 150][..]));
        assert!(body.truncated);
        let int_two = &detail.records[1];
        assert_eq!(int_two.response.as_ref().unwrap().body.captured, None);
        let mut conn = workspace.conn().await.unwrap();
        let (json,): (String,) = sqlx::query_as("SELECT record FROM hop_records WHERE hop = 'int-one'")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert!(!json.contains("base64"), "the record JSON holds no body: {json}");
    }

    #[tokio::test]
    async fn writer_stores_every_record_and_keeps_retention() {
        let dir = tempfile::tempdir().unwrap();
        let workspace = Workspace::create(&dir.path().join("ws.db"), "pass phrase").await.unwrap();
        let (sender, receiver) = mpsc::channel(1000);
        let options = RecordWriterOptions {
            batch_size: 7,
            retention: 20,
            ..Default::default()
        };
        let writer = workspace.spawn_record_writer(receiver, options);

        for n in 0..30 {
            sender.send(record(&format!("x{n}"), "int-two", 1.0)).await.unwrap();
            sender.send(record(&format!("x{n}"), "int-one", 2.0)).await.unwrap();
        }
        drop(sender);
        let stats = writer.finish().await;

        assert_eq!(stats.written, 60);
        assert_eq!(stats.failed, 0);
        assert_eq!(stats.expired, 10);
        let exchanges = workspace.exchanges(100).await.unwrap();
        assert_eq!(exchanges.len(), 20);
        assert!(exchanges.iter().all(|e| e.hops.len() == 2), "{exchanges:?}");
        assert!(exchanges.iter().all(|e| e.hops[0].hop == "int-one"), "{exchanges:?}");
    }
}
