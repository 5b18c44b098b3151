//! Batched inserts of hop records, for the gateway's record writer: one
//! multi-row statement per table and chunk instead of a statement per row,
//! which is what lets the writer keep up with a loaded gateway.

use std::collections::HashMap;

use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use crate::exchanges::NewHopRecord;
use crate::Result;

/// Rows per multi-row INSERT. SQLite takes at most 32,766 bound parameters
/// per statement (since 3.32); 100 rows of 10 columns stay far below that,
/// and a fixed chunk size keeps the number of distinct statements that sqlx
/// caches per connection small.
const ROWS_PER_STATEMENT: usize = 100;

/// Captured body bytes per INSERT into `hop_bodies`. sqlx copies every bound
/// value before SQLite copies it again, so a statement of 100 bodies of
/// 1 MiB would hold hundreds of MiB at once.
const BODY_BYTES_PER_STATEMENT: usize = 4 * 1024 * 1024;

/// The captured bytes of one body of the `index`-th record of a batch.
#[derive(Debug, Clone, Copy)]
pub struct NewHopBody<'a> {
    /// Position of the hop record in the batch.
    pub index: usize,
    /// `request` or `response`.
    pub direction: &'a str,
    pub body: &'a [u8],
}

/// The outcome of a batch insert.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InsertedBatch {
    /// Ids of the hop records, in the order of the batch.
    pub hop_record_ids: Vec<i64>,
    /// Exchanges the batch created (the others already had hop records).
    pub new_exchanges: u64,
}

/// The summary of one exchange in a batch: its hop records' count and the
/// record with the longest duration, which is the outermost hop.
struct ExchangeSummary<'a> {
    record: &'a NewHopRecord<'a>,
    hops: i64,
}

/// Inserts hop records and their captured bodies, and creates or updates
/// their exchanges, as [`crate::exchanges::insert_hop_record`] does for one
/// record. Run it in a transaction: the hop record ids are assigned after
/// the exchanges are written, while the transaction holds SQLite's write
/// lock, so no other writer can take them.
pub async fn insert_hop_records(
    conn: &mut SqliteConnection,
    records: &[NewHopRecord<'_>],
    bodies: &[NewHopBody<'_>],
) -> Result<InsertedBatch> {
    if records.is_empty() {
        return Ok(InsertedBatch::default());
    }
    let (exchange_rowids, new_exchanges) = upsert_exchanges(conn, records).await?;

    let (last_id,): (i64,) = sqlx::query_as("SELECT COALESCE(MAX(id), 0) FROM hop_records")
        .fetch_one(&mut *conn)
        .await?;
    let hop_record_ids: Vec<i64> = (1..=records.len() as i64).map(|n| last_id + n).collect();
    for (chunk_index, chunk) in records.chunks(ROWS_PER_STATEMENT).enumerate() {
        let first = chunk_index * ROWS_PER_STATEMENT;
        let mut insert = QueryBuilder::<Sqlite>::new(
            "INSERT INTO hop_records (id, exchange_rowid, exchange_id, hop, started_at_ms, method, target, status, duration_ms, record) ",
        );
        insert.push_values(chunk.iter().enumerate(), |mut row, (offset, record)| {
            row.push_bind(hop_record_ids[first + offset])
                .push_bind(exchange_rowids[record.exchange_id])
                .push_bind(record.exchange_id)
                .push_bind(record.hop)
                .push_bind(record.started_at_ms)
                .push_bind(record.method)
                .push_bind(record.target)
                .push_bind(record.status)
                .push_bind(record.duration_ms)
                .push_bind(record.record_json);
        });
        insert.build().execute(&mut *conn).await?;
    }

    for chunk in body_chunks(bodies) {
        let mut insert = QueryBuilder::<Sqlite>::new("INSERT INTO hop_bodies (hop_record_id, direction, body) ");
        insert.push_values(chunk, |mut row, body| {
            row.push_bind(hop_record_ids[body.index])
                .push_bind(body.direction)
                .push_bind(body.body);
        });
        insert.build().execute(&mut *conn).await?;
    }
    Ok(InsertedBatch {
        hop_record_ids,
        new_exchanges,
    })
}

/// Splits `bodies` into runs of at most `ROWS_PER_STATEMENT` bodies and,
/// unless one body alone is larger, `BODY_BYTES_PER_STATEMENT` bytes.
fn body_chunks<'a>(bodies: &'a [NewHopBody<'a>]) -> Vec<&'a [NewHopBody<'a>]> {
    let mut chunks = Vec::new();
    let mut start = 0;
    let mut bytes = 0;
    for (index, body) in bodies.iter().enumerate() {
        let rows = index - start;
        if rows > 0 && (rows == ROWS_PER_STATEMENT || bytes + body.body.len() > BODY_BYTES_PER_STATEMENT) {
            chunks.push(&bodies[start..index]);
            start = index;
            bytes = 0;
        }
        bytes += body.body.len();
    }
    if start < bodies.len() {
        chunks.push(&bodies[start..]);
    }
    chunks
}

/// Creates or updates the exchanges of a batch, one row each, and returns
/// their row ids by exchange id with the number of exchanges created.
async fn upsert_exchanges<'a>(
    conn: &mut SqliteConnection,
    records: &'a [NewHopRecord<'a>],
) -> Result<(HashMap<&'a str, i64>, u64)> {
    let mut order: Vec<&str> = Vec::new();
    let mut summaries: HashMap<&str, ExchangeSummary> = HashMap::new();
    for record in records {
        match summaries.get_mut(record.exchange_id) {
            Some(summary) => {
                summary.hops += 1;
                // Strictly longer, as the single-row upsert decides.
                if record.duration_ms > summary.record.duration_ms {
                    summary.record = record;
                }
            }
            None => {
                order.push(record.exchange_id);
                summaries.insert(record.exchange_id, ExchangeSummary { record, hops: 1 });
            }
        }
    }

    let mut rowids = HashMap::with_capacity(order.len());
    let mut created = 0;
    for chunk in order.chunks(ROWS_PER_STATEMENT) {
        let mut upsert = QueryBuilder::<Sqlite>::new(
            "INSERT INTO exchanges (exchange_id, started_at_ms, method, target, status, duration_ms, hop_count) ",
        );
        upsert.push_values(chunk, |mut row, exchange_id| {
            let summary = &summaries[exchange_id];
            row.push_bind(summary.record.exchange_id)
                .push_bind(summary.record.started_at_ms)
                .push_bind(summary.record.method)
                .push_bind(summary.record.target)
                .push_bind(summary.record.status)
                .push_bind(summary.record.duration_ms)
                .push_bind(summary.hops);
        });
        upsert.push(
            " ON CONFLICT (exchange_id) DO UPDATE SET
                 hop_count = hop_count + excluded.hop_count,
                 started_at_ms = CASE WHEN excluded.duration_ms > duration_ms THEN excluded.started_at_ms ELSE started_at_ms END,
                 method = CASE WHEN excluded.duration_ms > duration_ms THEN excluded.method ELSE method END,
                 target = CASE WHEN excluded.duration_ms > duration_ms THEN excluded.target ELSE target END,
                 status = CASE WHEN excluded.duration_ms > duration_ms THEN excluded.status ELSE status END,
                 duration_ms = MAX(duration_ms, excluded.duration_ms)
             RETURNING id, exchange_id, hop_count",
        );
        // RETURNING gives rows in no promised order, so they are matched
        // by exchange id. An exchange whose count equals this batch's hops
        // had no row before.
        let returned: Vec<(i64, String, i64)> = upsert.build_query_as().fetch_all(&mut *conn).await?;
        for (id, exchange_id, hop_count) in returned {
            let Some((key, summary)) = summaries.get_key_value(exchange_id.as_str()) else {
                continue;
            };
            if hop_count == summary.hops {
                created += 1;
            }
            rowids.insert(*key, id);
        }
    }
    Ok((rowids, created))
}

/// Deletes the exchanges older than the newest `keep` (by row id) with
/// their hop records and bodies, and returns how many it deleted. Unlike
/// [`crate::exchanges::apply_retention`], it reads only the rows it
/// deletes, because it takes the cut from the highest row id. Row ids have
/// no gaps when exchanges are deleted only from the oldest end (this
/// limit) or all at once, and then exactly `keep` remain; after a deletion
/// in the middle, fewer remain.
pub async fn keep_newest_exchanges(conn: &mut SqliteConnection, keep: i64) -> Result<u64> {
    let deleted = sqlx::query("DELETE FROM exchanges WHERE id <= (SELECT MAX(id) FROM exchanges) - ?")
        .bind(keep.max(0))
        .execute(conn)
        .await?
        .rows_affected();
    Ok(deleted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::{exchange_by_id, hop_bodies, hop_records, insert_hop_record};
    use crate::Store;

    fn record<'a>(exchange_id: &'a str, hop: &'a str, status: i64, duration_ms: f64) -> NewHopRecord<'a> {
        NewHopRecord {
            exchange_id,
            hop,
            started_at_ms: 1_700_000_000_000,
            method: "GET",
            target: if hop == "int-one" { "/d-corp/metadata" } else { "/d-corp/inner" },
            status: Some(status),
            duration_ms,
            record_json: "{}",
        }
    }

    #[tokio::test]
    async fn batch_matches_single_inserts() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::create(&dir.path().join("ws.db")).await.unwrap();
        let mut conn = store.pool().acquire().await.unwrap();
        // x1 already has its inner hop from an earlier batch.
        insert_hop_record(&mut conn, &record("x1", "int-two", 503, 4.0)).await.unwrap();
        let batch = [
            record("x2", "int-two", 200, 1.0),
            record("x1", "int-one", 502, 9.0),
            record("x2", "int-one", 200, 3.0),
            record("x3", "int-one", 404, 1.0),
        ];
        let bodies = [
            NewHopBody { index: 1, direction: "response", body: b"x1 outer" },
            NewHopBody { index: 3, direction: "request", body: b"" },
        ];

        let inserted = insert_hop_records(&mut conn, &batch, &bodies).await.unwrap();

        assert_eq!(inserted.new_exchanges, 2);
        assert_eq!(inserted.hop_record_ids.len(), 4);
        let x1 = exchange_by_id(&mut conn, "x1").await.unwrap().unwrap();
        assert_eq!(x1.hop_count, 2);
        assert_eq!(x1.status, Some(502));
        assert_eq!(x1.target, "/d-corp/metadata");
        let x2 = exchange_by_id(&mut conn, "x2").await.unwrap().unwrap();
        assert_eq!(x2.hop_count, 2);
        assert_eq!(x2.duration_ms, 3.0);
        let x1_hops = hop_records(&mut conn, x1.id).await.unwrap();
        let names: Vec<&str> = x1_hops.iter().map(|h| h.hop.as_str()).collect();
        assert_eq!(names, ["int-one", "int-two"]);
        assert_eq!(x1_hops[0].id, inserted.hop_record_ids[1]);
        let x1_bodies = hop_bodies(&mut conn, x1.id).await.unwrap();
        assert_eq!(x1_bodies.len(), 1);
        assert_eq!(x1_bodies[0].body, b"x1 outer");
        assert_eq!(x1_bodies[0].hop_record_id, inserted.hop_record_ids[1]);
    }

    #[tokio::test]
    async fn batch_larger_than_one_statement() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::create(&dir.path().join("ws.db")).await.unwrap();
        let mut conn = store.pool().acquire().await.unwrap();
        let ids: Vec<String> = (0..250).map(|n| format!("x{n}")).collect();
        let batch: Vec<NewHopRecord> = ids.iter().map(|id| record(id, "int-one", 200, 1.0)).collect();

        let inserted = insert_hop_records(&mut conn, &batch, &[]).await.unwrap();

        assert_eq!(inserted.new_exchanges, 250);
        let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM hop_records").fetch_one(&mut *conn).await.unwrap();
        assert_eq!(count, 250);
    }

    #[test]
    fn body_chunks_bounded_by_rows_and_bytes() {
        let large = vec![0u8; BODY_BYTES_PER_STATEMENT / 2 + 1];
        let bodies: Vec<NewHopBody> = (0..5).map(|index| NewHopBody { index, direction: "response", body: &large }).collect();
        let lengths: Vec<usize> = body_chunks(&bodies).iter().map(|c| c.len()).collect();
        assert_eq!(lengths, [1, 1, 1, 1, 1]);

        let small: Vec<NewHopBody> = (0..250).map(|index| NewHopBody { index, direction: "request", body: b"" }).collect();
        let lengths: Vec<usize> = body_chunks(&small).iter().map(|c| c.len()).collect();
        assert_eq!(lengths, [100, 100, 50]);
        assert!(body_chunks(&[]).is_empty());
    }

    #[tokio::test]
    async fn oldest_exchanges_deleted_with_bodies() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::create(&dir.path().join("ws.db")).await.unwrap();
        let mut conn = store.pool().acquire().await.unwrap();
        let batch = [record("a", "int-one", 200, 1.0), record("b", "int-one", 200, 1.0), record("c", "int-one", 200, 1.0)];
        let bodies = [NewHopBody { index: 0, direction: "response", body: b"a" }];
        insert_hop_records(&mut conn, &batch, &bodies).await.unwrap();

        assert_eq!(keep_newest_exchanges(&mut conn, 1).await.unwrap(), 2);
        assert_eq!(keep_newest_exchanges(&mut conn, 1).await.unwrap(), 0);

        assert!(exchange_by_id(&mut conn, "a").await.unwrap().is_none());
        assert!(exchange_by_id(&mut conn, "b").await.unwrap().is_none());
        assert!(exchange_by_id(&mut conn, "c").await.unwrap().is_some());
        let (bodies,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM hop_bodies").fetch_one(&mut *conn).await.unwrap();
        assert_eq!(bodies, 0);
    }
}
