//! Rows and queries of the gateway's exchange records and of the faults set
//! per hop.

use sqlx::{FromRow, SqliteConnection};

use crate::Result;

/// One hop record to insert: the indexed columns and the whole record as JSON.
#[derive(Debug, Clone)]
pub struct NewHopRecord<'a> {
    pub exchange_id: &'a str,
    pub hop: &'a str,
    pub started_at_ms: i64,
    pub method: &'a str,
    pub target: &'a str,
    pub status: Option<i64>,
    pub duration_ms: f64,
    pub record_json: &'a str,
}

/// A row of `exchanges`.
#[derive(Debug, Clone, FromRow)]
pub struct ExchangeRow {
    pub id: i64,
    pub exchange_id: String,
    pub started_at_ms: i64,
    pub method: String,
    pub target: String,
    pub status: Option<i64>,
    pub duration_ms: f64,
    pub hop_count: i64,
}

/// A row of `hop_records`.
#[derive(Debug, Clone, FromRow)]
pub struct HopRecordRow {
    pub id: i64,
    pub exchange_rowid: i64,
    pub exchange_id: String,
    pub hop: String,
    pub started_at_ms: i64,
    pub method: String,
    pub target: String,
    pub status: Option<i64>,
    pub duration_ms: f64,
    pub record: String,
}

/// A row of `gateway_faults`.
#[derive(Debug, Clone, FromRow, PartialEq, Eq)]
pub struct FaultRow {
    pub hop: String,
    pub fault: String,
    pub set_at: i64,
}

/// Inserts a hop record and creates or updates its exchange. The exchange
/// takes its summary columns from the hop record with the longest duration,
/// which is the outermost hop whatever order the records arrive in.
pub async fn insert_hop_record(conn: &mut SqliteConnection, record: &NewHopRecord<'_>) -> Result<i64> {
    let (exchange_rowid,): (i64,) = sqlx::query_as(
        "INSERT INTO exchanges (exchange_id, started_at_ms, method, target, status, duration_ms, hop_count)
         VALUES (?, ?, ?, ?, ?, ?, 1)
         ON CONFLICT (exchange_id) DO UPDATE SET
             hop_count = hop_count + 1,
             started_at_ms = CASE WHEN excluded.duration_ms > duration_ms THEN excluded.started_at_ms ELSE started_at_ms END,
             method = CASE WHEN excluded.duration_ms > duration_ms THEN excluded.method ELSE method END,
             target = CASE WHEN excluded.duration_ms > duration_ms THEN excluded.target ELSE target END,
             status = CASE WHEN excluded.duration_ms > duration_ms THEN excluded.status ELSE status END,
             duration_ms = MAX(duration_ms, excluded.duration_ms)
         RETURNING id",
    )
    .bind(record.exchange_id)
    .bind(record.started_at_ms)
    .bind(record.method)
    .bind(record.target)
    .bind(record.status)
    .bind(record.duration_ms)
    .fetch_one(&mut *conn)
    .await?;

    let id = sqlx::query(
        "INSERT INTO hop_records (exchange_rowid, exchange_id, hop, started_at_ms, method, target, status, duration_ms, record)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(exchange_rowid)
    .bind(record.exchange_id)
    .bind(record.hop)
    .bind(record.started_at_ms)
    .bind(record.method)
    .bind(record.target)
    .bind(record.status)
    .bind(record.duration_ms)
    .bind(record.record_json)
    .execute(conn)
    .await?
    .last_insert_rowid();
    Ok(id)
}

/// A row of `hop_bodies`: the captured bytes of one body of a hop record.
#[derive(Debug, Clone, FromRow)]
pub struct HopBodyRow {
    pub hop_record_id: i64,
    /// `request` or `response`.
    pub direction: String,
    pub body: Vec<u8>,
}

/// Stores the captured bytes of the `direction` body (`request` or
/// `response`) of a hop record.
pub async fn insert_hop_body(conn: &mut SqliteConnection, hop_record_id: i64, direction: &str, body: &[u8]) -> Result<()> {
    sqlx::query("INSERT INTO hop_bodies (hop_record_id, direction, body) VALUES (?, ?, ?)")
        .bind(hop_record_id)
        .bind(direction)
        .bind(body)
        .execute(conn)
        .await?;
    Ok(())
}

/// Returns the captured bodies of the hop records of one exchange.
pub async fn hop_bodies(conn: &mut SqliteConnection, exchange_rowid: i64) -> Result<Vec<HopBodyRow>> {
    Ok(sqlx::query_as(
        "SELECT b.hop_record_id, b.direction, b.body FROM hop_bodies b
         JOIN hop_records h ON h.id = b.hop_record_id
         WHERE h.exchange_rowid = ?",
    )
    .bind(exchange_rowid)
    .fetch_all(conn)
    .await?)
}

/// Deletes the oldest exchanges (by insertion) beyond the newest `keep`,
/// with their hop records, and returns how many exchanges it deleted.
pub async fn apply_retention(conn: &mut SqliteConnection, keep: i64) -> Result<u64> {
    let deleted = sqlx::query(
        "DELETE FROM exchanges WHERE id IN (SELECT id FROM exchanges ORDER BY id DESC LIMIT -1 OFFSET ?)",
    )
    .bind(keep.max(0))
    .execute(conn)
    .await?
    .rows_affected();
    Ok(deleted)
}

/// Returns the newest `limit` exchanges, newest first.
pub async fn recent_exchanges(conn: &mut SqliteConnection, limit: i64) -> Result<Vec<ExchangeRow>> {
    Ok(sqlx::query_as("SELECT * FROM exchanges ORDER BY started_at_ms DESC, id DESC LIMIT ?")
        .bind(limit)
        .fetch_all(conn)
        .await?)
}

pub async fn exchange_by_id(conn: &mut SqliteConnection, exchange_id: &str) -> Result<Option<ExchangeRow>> {
    Ok(sqlx::query_as("SELECT * FROM exchanges WHERE exchange_id = ?")
        .bind(exchange_id)
        .fetch_optional(conn)
        .await?)
}

/// Returns the hop records of one exchange, outermost hop first (by start
/// time, then longest duration).
pub async fn hop_records(conn: &mut SqliteConnection, exchange_rowid: i64) -> Result<Vec<HopRecordRow>> {
    Ok(sqlx::query_as(
        "SELECT * FROM hop_records WHERE exchange_rowid = ? ORDER BY started_at_ms, duration_ms DESC, id",
    )
    .bind(exchange_rowid)
    .fetch_all(conn)
    .await?)
}

pub async fn count_exchanges(conn: &mut SqliteConnection) -> Result<i64> {
    let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM exchanges").fetch_one(conn).await?;
    Ok(count)
}

/// Sets the fault of `hop`, replacing any fault it had.
pub async fn set_fault(conn: &mut SqliteConnection, hop: &str, fault_json: &str, set_at: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO gateway_faults (hop, fault, set_at) VALUES (?, ?, ?)
         ON CONFLICT (hop) DO UPDATE SET fault = excluded.fault, set_at = excluded.set_at",
    )
    .bind(hop)
    .bind(fault_json)
    .bind(set_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Clears the fault of `hop` and returns whether it had one.
pub async fn clear_fault(conn: &mut SqliteConnection, hop: &str) -> Result<bool> {
    let deleted = sqlx::query("DELETE FROM gateway_faults WHERE hop = ?")
        .bind(hop)
        .execute(conn)
        .await?
        .rows_affected();
    Ok(deleted > 0)
}

/// Returns every fault, ordered by hop name.
pub async fn faults(conn: &mut SqliteConnection) -> Result<Vec<FaultRow>> {
    Ok(sqlx::query_as("SELECT * FROM gateway_faults ORDER BY hop").fetch_all(conn).await?)
}

#[cfg(test)]
mod tests {
    use super::*;
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
    async fn exchange_summary_comes_from_outermost_hop() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::create(&dir.path().join("ws.db")).await.unwrap();
        let mut conn = store.pool().acquire().await.unwrap();

        // The inner hop finishes first, so its record arrives first.
        insert_hop_record(&mut conn, &record("x1", "int-two", 503, 4.0)).await.unwrap();
        insert_hop_record(&mut conn, &record("x1", "int-one", 502, 9.0)).await.unwrap();

        let exchange = exchange_by_id(&mut conn, "x1").await.unwrap().unwrap();
        assert_eq!(exchange.hop_count, 2);
        assert_eq!(exchange.status, Some(502));
        assert_eq!(exchange.target, "/d-corp/metadata");
        assert_eq!(exchange.duration_ms, 9.0);
        let hops = hop_records(&mut conn, exchange.id).await.unwrap();
        let names: Vec<&str> = hops.iter().map(|h| h.hop.as_str()).collect();
        assert_eq!(names, ["int-one", "int-two"]);
    }

    #[tokio::test]
    async fn retention_removes_oldest_with_hops() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::create(&dir.path().join("ws.db")).await.unwrap();
        let mut conn = store.pool().acquire().await.unwrap();
        for id in ["a", "b", "c"] {
            insert_hop_record(&mut conn, &record(id, "int-one", 200, 1.0)).await.unwrap();
        }

        let deleted = apply_retention(&mut conn, 2).await.unwrap();

        assert_eq!(deleted, 1);
        assert_eq!(count_exchanges(&mut conn).await.unwrap(), 2);
        assert!(exchange_by_id(&mut conn, "a").await.unwrap().is_none());
        let (hops,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM hop_records").fetch_one(&mut *conn).await.unwrap();
        assert_eq!(hops, 2);
    }

    #[tokio::test]
    async fn retention_removes_bodies() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::create(&dir.path().join("ws.db")).await.unwrap();
        let mut conn = store.pool().acquire().await.unwrap();
        for id in ["a", "b"] {
            let hop_record = insert_hop_record(&mut conn, &record(id, "int-one", 200, 1.0)).await.unwrap();
            insert_hop_body(&mut conn, hop_record, "request", b"").await.unwrap();
            insert_hop_body(&mut conn, hop_record, "response", id.as_bytes()).await.unwrap();
        }

        apply_retention(&mut conn, 1).await.unwrap();

        let kept = exchange_by_id(&mut conn, "b").await.unwrap().unwrap();
        let bodies = hop_bodies(&mut conn, kept.id).await.unwrap();
        assert_eq!(bodies.len(), 2);
        assert!(bodies.iter().any(|b| b.direction == "response" && b.body == b"b"));
        let (all,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM hop_bodies").fetch_one(&mut *conn).await.unwrap();
        assert_eq!(all, 2, "the deleted exchange's bodies are gone");
    }

    #[tokio::test]
    async fn fault_set_replace_clear() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::create(&dir.path().join("ws.db")).await.unwrap();
        let mut conn = store.pool().acquire().await.unwrap();

        set_fault(&mut conn, "int-two", r#"{"kind":"hold"}"#, 1).await.unwrap();
        set_fault(&mut conn, "int-two", r#"{"kind":"drop"}"#, 2).await.unwrap();
        let rows = faults(&mut conn).await.unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].fault, r#"{"kind":"drop"}"#);

        assert!(clear_fault(&mut conn, "int-two").await.unwrap());
        assert!(!clear_fault(&mut conn, "int-two").await.unwrap());
        assert!(faults(&mut conn).await.unwrap().is_empty());
    }
}
