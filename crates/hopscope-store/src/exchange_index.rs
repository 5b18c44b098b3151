//! Queries behind the app's exchange list and live figures: list rows with
//! their originator, destination and cached verdict, header search, the
//! verdict cache, and the hop records of the last minutes.
//!
//! Triggers on `hop_records` fill `exchange_facts` (migration
//! `0008_exchange_index.sql`), so every writer of records keeps it current
//! without knowing it. `exchange_headers` is filled afterwards by
//! [`index_headers`], which keeps the cost off the record writer.

use sqlx::{FromRow, QueryBuilder, Sqlite, SqliteConnection};

use crate::Result;

/// One exchange as the list shows it.
#[derive(Debug, Clone, FromRow, PartialEq)]
pub struct ExchangeListRow {
    /// Row id of `exchanges`: grows with each new exchange.
    pub id: i64,
    pub exchange_id: String,
    pub started_at_ms: i64,
    pub method: String,
    pub target: String,
    pub status: Option<i64>,
    pub duration_ms: f64,
    pub hop_count: i64,
    pub originator: Option<String>,
    pub destination: Option<String>,
    /// `hop_count` of the exchange when its cached verdict was computed;
    /// `None` when it has none.
    pub verdict_hop_count: Option<i64>,
    pub passed: Option<bool>,
    pub failed_hop: Option<String>,
    pub failed_checks: Option<String>,
}

/// Returns the exchanges with a row id above `after_id`, newest first.
pub async fn list_rows(conn: &mut SqliteConnection, after_id: i64) -> Result<Vec<ExchangeListRow>> {
    Ok(sqlx::query_as(
        "SELECT e.id, e.exchange_id, e.started_at_ms, e.method, e.target, e.status, e.duration_ms, e.hop_count,
                f.originator, f.destination,
                v.hop_count AS verdict_hop_count, v.passed, v.failed_hop, v.failed_checks
         FROM exchanges e
         LEFT JOIN exchange_facts f ON f.exchange_rowid = e.id
         LEFT JOIN verdicts v ON v.exchange_rowid = e.id
         WHERE e.id > ?
         ORDER BY e.id DESC",
    )
    .bind(after_id)
    .fetch_all(conn)
    .await?)
}

/// A destination's public URL, to find the destination of an exchange that
/// no destination simulator recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl {
    pub destination: String,
    /// The public URL without a trailing slash, as the originator simulator
    /// builds the URLs it records.
    pub url: String,
    /// Its path without a trailing slash; empty for a root URL.
    pub path: String,
}

/// Which rows [`list_rows_json`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowSelection {
    /// Every exchange with a row id above this one.
    After(i64),
    /// The exchange with this row id.
    Only(i64),
}

/// Returns exchanges as one JSON array, newest first, each row an array of
/// row id, exchange id, start (ms), originator, destination, method, path
/// and query, status, duration (ms), hop records, verdict (`passed`,
/// `failed` or `unjudged`), failed hop and failed checks (comma-separated).
///
/// SQLite builds the JSON, which for 100,000 rows takes a fraction of the
/// time that decoding them row by row does. The destination is the
/// destination simulator's, else the one whose public URL is the longest
/// prefix of the target (the whole URL the originator simulator records,
/// or the path a hop records), when exactly one is. The path is the target
/// from the first slash after a whole URL's authority.
pub async fn list_rows_json(conn: &mut SqliteConnection, selection: RowSelection, public_urls: &[PublicUrl]) -> Result<String> {
    let mut query = QueryBuilder::<Sqlite>::new("WITH prefixes(destination, url, path) AS (");
    if public_urls.is_empty() {
        query.push("SELECT NULL, NULL, NULL WHERE 0");
    } else {
        query.push("VALUES ");
        let mut values = query.separated(", ");
        for prefix in public_urls {
            values.push("(");
            values.push_bind_unseparated(prefix.destination.clone());
            values.push_unseparated(", ");
            values.push_bind_unseparated(prefix.url.clone());
            values.push_unseparated(", ");
            values.push_bind_unseparated(prefix.path.clone());
            values.push_unseparated(")");
        }
    }
    query.push(
        ")
         SELECT json_group_array(json_array(
             e.id, e.exchange_id, e.started_at_ms, f.originator,
             COALESCE(f.destination, (
                 SELECT destination FROM (
                     SELECT m.destination, m.len, max(m.len) OVER () AS longest, count(*) OVER (PARTITION BY m.len) AS ties
                     FROM (
                         SELECT p.destination, length(p.path) AS len FROM prefixes p
                         WHERE CASE WHEN e.target LIKE 'http://%' OR e.target LIKE 'https://%'
                             THEN lower(substr(e.target, 1, length(p.url))) = lower(p.url)
                                  AND substr(e.target, length(p.url) + 1, 1) IN ('', '/', '?')
                             ELSE substr(e.target, 1, length(p.path)) = p.path
                                  AND substr(e.target, length(p.path) + 1, 1) IN ('', '/', '?')
                         END
                     ) m
                 ) WHERE len = longest AND ties = 1
             )),
             e.method,
             CASE WHEN e.target LIKE 'http://%' OR e.target LIKE 'https://%' THEN
                 CASE WHEN instr(substr(e.target, instr(e.target, '://') + 3), '/') > 0
                     THEN substr(substr(e.target, instr(e.target, '://') + 3), instr(substr(e.target, instr(e.target, '://') + 3), '/'))
                     ELSE '/'
                 END
                 ELSE e.target
             END,
             e.status, e.duration_ms, e.hop_count,
             CASE WHEN v.hop_count = e.hop_count THEN CASE WHEN v.passed THEN 'passed' ELSE 'failed' END ELSE 'unjudged' END,
             CASE WHEN v.hop_count = e.hop_count THEN v.failed_hop END,
             CASE WHEN v.hop_count = e.hop_count THEN v.failed_checks ELSE '' END
         ) ORDER BY e.id DESC)
         FROM exchanges e
         LEFT JOIN exchange_facts f ON f.exchange_rowid = e.id
         LEFT JOIN verdicts v ON v.exchange_rowid = e.id
         WHERE ",
    );
    match selection {
        RowSelection::After(id) => query.push("e.id > ").push_bind(id),
        RowSelection::Only(id) => query.push("e.id = ").push_bind(id),
    };
    let (json,): (String,) = query.build_query_as().fetch_one(conn).await?;
    Ok(json)
}

/// Returns the list rows of the given exchange row ids, in no particular order.
pub async fn rows_by_id(conn: &mut SqliteConnection, ids: &[i64]) -> Result<Vec<ExchangeListRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut query = QueryBuilder::<Sqlite>::new(
        "SELECT e.id, e.exchange_id, e.started_at_ms, e.method, e.target, e.status, e.duration_ms, e.hop_count,
                f.originator, f.destination,
                v.hop_count AS verdict_hop_count, v.passed, v.failed_hop, v.failed_checks
         FROM exchanges e
         LEFT JOIN exchange_facts f ON f.exchange_rowid = e.id
         LEFT JOIN verdicts v ON v.exchange_rowid = e.id
         WHERE e.id IN (",
    );
    let mut separated = query.separated(", ");
    for id in ids {
        separated.push_bind(*id);
    }
    separated.push_unseparated(")");
    Ok(query.build_query_as().fetch_all(conn).await?)
}

/// Meta key of the highest hop record id whose headers are in
/// `exchange_headers`.
const HEADERS_INDEXED_TO: &str = "exchange_headers_indexed_to";

/// How far the header index has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderIndexState {
    /// Highest hop record id indexed.
    pub indexed_to: i64,
    /// Highest hop record id stored.
    pub last_record: i64,
}

/// Returns the highest hop record id indexed and the highest one stored. An
/// index mark above every stored record means the records were deleted and
/// their ids start again, so it reads as 0.
pub async fn header_index_state(conn: &mut SqliteConnection) -> Result<HeaderIndexState> {
    let indexed_to = crate::rows::get_meta(&mut *conn, HEADERS_INDEXED_TO)
        .await?
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.parse::<i64>().ok())
        .unwrap_or(0);
    let (last_record,): (i64,) = sqlx::query_as("SELECT COALESCE(MAX(id), 0) FROM hop_records").fetch_one(&mut *conn).await?;
    let indexed_to = if indexed_to > last_record { 0 } else { indexed_to };
    Ok(HeaderIndexState { indexed_to, last_record })
}

/// Adds the header lines of the hop records with ids in `(after, up_to]`
/// to `exchange_headers` and moves the index mark to `up_to`. Run it in a
/// transaction so that the lines and the mark move together. A line already
/// indexed from an earlier call may be added again, which only costs space.
pub async fn index_headers(conn: &mut SqliteConnection, after: i64, up_to: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO exchange_headers (exchange_rowid, headers)
         SELECT exchange_rowid, group_concat(line, char(10)) || char(10)
         FROM (
             SELECT h.exchange_rowid, lower(json_extract(j.value, '$[0]') || ': ' || json_extract(j.value, '$[1]')) AS line
             FROM hop_records h, json_each(h.record, '$.request.headers') AS j
             WHERE h.id > ?1 AND h.id <= ?2
             UNION
             SELECT h.exchange_rowid, lower(json_extract(j.value, '$[0]') || ': ' || json_extract(j.value, '$[1]')) AS line
             FROM hop_records h, json_each(h.record, '$.response.headers') AS j
             WHERE h.id > ?1 AND h.id <= ?2
         )
         WHERE true
         GROUP BY exchange_rowid
         ON CONFLICT (exchange_rowid) DO UPDATE SET headers = headers || excluded.headers",
    )
    .bind(after)
    .bind(up_to)
    .execute(&mut *conn)
    .await?;
    crate::rows::set_meta(conn, HEADERS_INDEXED_TO, up_to.to_string().as_bytes()).await
}

/// Returns the row ids of the exchanges whose indexed header lines contain
/// `needle`, newest first. The lines are stored in lower case, so pass
/// `needle` in lower case for a case-insensitive search.
pub async fn search_headers(conn: &mut SqliteConnection, needle: &str) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT exchange_rowid FROM exchange_headers WHERE instr(headers, ?) > 0 ORDER BY exchange_rowid DESC",
    )
    .bind(needle)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// A verdict to cache.
#[derive(Debug, Clone)]
pub struct NewVerdict<'a> {
    pub exchange_rowid: i64,
    pub hop_count: i64,
    pub passed: bool,
    pub failed_hop: Option<&'a str>,
    pub failed_checks: &'a str,
    pub verdict_json: &'a str,
    pub computed_at_ms: i64,
}

/// Stores a computed verdict, replacing an older one of the exchange. Does
/// nothing when the exchange was deleted in the meantime.
pub async fn store_verdict(conn: &mut SqliteConnection, verdict: &NewVerdict<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO verdicts (exchange_rowid, hop_count, passed, failed_hop, failed_checks, verdict, computed_at_ms)
         SELECT ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM exchanges WHERE id = ?)
         ON CONFLICT (exchange_rowid) DO UPDATE SET
             hop_count = excluded.hop_count,
             passed = excluded.passed,
             failed_hop = excluded.failed_hop,
             failed_checks = excluded.failed_checks,
             verdict = excluded.verdict,
             computed_at_ms = excluded.computed_at_ms",
    )
    .bind(verdict.exchange_rowid)
    .bind(verdict.hop_count)
    .bind(verdict.passed)
    .bind(verdict.failed_hop)
    .bind(verdict.failed_checks)
    .bind(verdict.verdict_json)
    .bind(verdict.computed_at_ms)
    .bind(verdict.exchange_rowid)
    .execute(conn)
    .await?;
    Ok(())
}

/// An exchange whose verdict is missing or stale.
#[derive(Debug, Clone, FromRow, PartialEq, Eq)]
pub struct UnjudgedExchange {
    pub id: i64,
    pub exchange_id: String,
}

/// Returns up to `limit` exchanges without a current verdict, newest first.
pub async fn unjudged(conn: &mut SqliteConnection, limit: i64) -> Result<Vec<UnjudgedExchange>> {
    Ok(sqlx::query_as(
        "SELECT e.id, e.exchange_id FROM exchanges e
         LEFT JOIN verdicts v ON v.exchange_rowid = e.id
         WHERE v.exchange_rowid IS NULL OR v.hop_count != e.hop_count
         ORDER BY e.id DESC LIMIT ?",
    )
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Returns how many exchanges have no current verdict.
pub async fn count_unjudged(conn: &mut SqliteConnection) -> Result<i64> {
    let (count,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM exchanges e
         LEFT JOIN verdicts v ON v.exchange_rowid = e.id
         WHERE v.exchange_rowid IS NULL OR v.hop_count != e.hop_count",
    )
    .fetch_one(conn)
    .await?;
    Ok(count)
}

/// Deletes every exchange with its hop records, bodies, facts, header lines
/// and verdicts, and resets the header index; returns how many exchanges it
/// deleted.
pub async fn delete_all_exchanges(conn: &mut SqliteConnection) -> Result<u64> {
    let deleted = sqlx::query("DELETE FROM exchanges").execute(&mut *conn).await?.rows_affected();
    crate::rows::set_meta(conn, HEADERS_INDEXED_TO, b"0").await?;
    Ok(deleted)
}

/// One hop record of a recent exchange, with what the live figures need
/// of its exchange.
#[derive(Debug, Clone, FromRow, PartialEq)]
pub struct WindowRecord {
    pub exchange_rowid: i64,
    /// The exchange's target, from its outermost record.
    pub target: String,
    pub originator: Option<String>,
    pub destination: Option<String>,
    pub hop: String,
    pub started_at_ms: i64,
    pub duration_ms: f64,
    pub status: Option<i64>,
}

/// Returns the hop records of the exchanges that started at or after
/// `since_ms`, by exchange. It reads through the exchanges' start index,
/// because hop records have no index by time.
pub async fn records_since(conn: &mut SqliteConnection, since_ms: i64) -> Result<Vec<WindowRecord>> {
    Ok(sqlx::query_as(
        "SELECT e.id AS exchange_rowid, e.target, f.originator, f.destination,
                h.hop, h.started_at_ms, h.duration_ms, h.status
         FROM exchanges e
         JOIN hop_records h ON h.exchange_rowid = e.id
         LEFT JOIN exchange_facts f ON f.exchange_rowid = e.id
         WHERE e.started_at_ms >= ?
         ORDER BY e.id, h.started_at_ms",
    )
    .bind(since_ms)
    .fetch_all(conn)
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::{insert_hop_record, NewHopRecord};
    use crate::Store;

    fn record<'a>(exchange_id: &'a str, hop: &'a str, duration_ms: f64, json: &'a str) -> NewHopRecord<'a> {
        NewHopRecord {
            exchange_id,
            hop,
            started_at_ms: 1_700_000_000_000,
            method: "GET",
            target: "/d-corp/metadata",
            status: Some(200),
            duration_ms,
            record_json: json,
        }
    }

    const ORIGINATOR: &str = r#"{"participant":"originator","request":{"headers":[["Accept","*/*"]]},"response":{"headers":[["Content-Type","application/fhir+json"]]}}"#;
    const INTERMEDIARY: &str = r#"{"participant":"intermediary","request":{"headers":[["Accept","*/*"],["Host","fhir.int-one.test:8443"]]},"response":null}"#;
    const DESTINATION: &str = r#"{"participant":"destination","request":{"headers":[]},"response":{"headers":[["Content-Type","application/fhir+json"],["Signature","sig1=:AB:"]]}}"#;

    #[tokio::test]
    async fn triggers_fill_originator_and_destination() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::create(&dir.path().join("ws.db")).await.unwrap();
        let mut conn = store.pool().acquire().await.unwrap();

        insert_hop_record(&mut conn, &record("x1", "d-corp", 1.0, DESTINATION)).await.unwrap();
        insert_hop_record(&mut conn, &record("x1", "int-one", 5.0, INTERMEDIARY)).await.unwrap();
        insert_hop_record(&mut conn, &record("x1", "clinic-a", 9.0, ORIGINATOR)).await.unwrap();
        insert_hop_record(&mut conn, &record("x2", "int-one", 5.0, INTERMEDIARY)).await.unwrap();

        let rows = list_rows(&mut conn, 0).await.unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].exchange_id, "x2");
        assert_eq!(rows[0].originator, None);
        assert_eq!(rows[0].destination, None);
        assert_eq!(rows[1].originator.as_deref(), Some("clinic-a"));
        assert_eq!(rows[1].destination.as_deref(), Some("d-corp"));
        assert_eq!(rows[1].verdict_hop_count, None);
        assert_eq!(list_rows(&mut conn, rows[1].id).await.unwrap().len(), 1, "only rows after the given id");
        let by_id = rows_by_id(&mut conn, &[rows[1].id]).await.unwrap();
        assert_eq!(by_id, [rows[1].clone()]);
    }

    fn prefix(destination: &str, url: &str, path: &str) -> PublicUrl {
        PublicUrl { destination: destination.into(), url: url.into(), path: path.into() }
    }

    #[tokio::test]
    async fn rows_json_paths_destinations_and_verdicts() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::create(&dir.path().join("ws.db")).await.unwrap();
        let mut conn = store.pool().acquire().await.unwrap();
        let mut originator = record("x1", "clinic-a", 9.0, ORIGINATOR);
        originator.target = "https://fhir.int-one.test:8443/d-corp/Patient?_count=5";
        insert_hop_record(&mut conn, &originator).await.unwrap();
        let mut by_path = record("x2", "int-one", 5.0, INTERMEDIARY);
        by_path.target = "/r4/metadata";
        insert_hop_record(&mut conn, &by_path).await.unwrap();
        let mut unknown = record("x3", "int-one", 5.0, INTERMEDIARY);
        unknown.target = "/shared/metadata";
        insert_hop_record(&mut conn, &unknown).await.unwrap();
        insert_hop_record(&mut conn, &record("x4", "d-corp", 1.0, DESTINATION)).await.unwrap();
        let ids: Vec<i64> = list_rows(&mut conn, 0).await.unwrap().iter().map(|r| r.id).collect();
        let verdict = NewVerdict {
            exchange_rowid: ids[3],
            hop_count: 1,
            passed: false,
            failed_hop: Some("int-two"),
            failed_checks: "body-unchanged,signature-valid",
            verdict_json: "{}",
            computed_at_ms: 1,
        };
        store_verdict(&mut conn, &verdict).await.unwrap();
        let prefixes = [
            prefix("d-corp", "https://fhir.int-one.test:8443/d-corp", "/d-corp"),
            prefix("b-corp", "https://fhir.b-corp.test:8443/r4", "/r4"),
            prefix("s-one", "https://one.test/shared", "/shared"),
            prefix("s-two", "https://two.test/shared", "/shared"),
        ];

        let json = list_rows_json(&mut conn, RowSelection::After(0), &prefixes).await.unwrap();

        let rows: serde_json::Value = serde_json::from_str(&json).unwrap();
        let rows = rows.as_array().unwrap();
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[0][1], "x4");
        assert_eq!(rows[0][4], "d-corp", "from the destination's record");
        assert_eq!(rows[1][4], serde_json::Value::Null, "two destinations share the path /shared");
        assert_eq!(rows[2][4], "b-corp", "by path");
        assert_eq!(rows[3][4], "d-corp", "by whole URL");
        assert_eq!(rows[3][6], "/d-corp/Patient?_count=5");
        assert_eq!(rows[3][10], "failed");
        assert_eq!(rows[3][11], "int-two");
        assert_eq!(rows[3][12], "body-unchanged,signature-valid");
        assert_eq!(rows[0][10], "unjudged");
        assert_eq!(rows[0][12], "");

        let only = list_rows_json(&mut conn, RowSelection::Only(ids[2]), &[]).await.unwrap();
        let only: serde_json::Value = serde_json::from_str(&only).unwrap();
        assert_eq!(only.as_array().unwrap().len(), 1);
        assert_eq!(only[0][4], serde_json::Value::Null, "no public URL to match");
    }

    #[tokio::test]
    async fn header_index_and_search() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::create(&dir.path().join("ws.db")).await.unwrap();
        let mut conn = store.pool().acquire().await.unwrap();
        insert_hop_record(&mut conn, &record("x1", "int-one", 5.0, INTERMEDIARY)).await.unwrap();
        insert_hop_record(&mut conn, &record("x1", "clinic-a", 9.0, ORIGINATOR)).await.unwrap();
        insert_hop_record(&mut conn, &record("x2", "d-corp", 1.0, DESTINATION)).await.unwrap();
        let state = header_index_state(&mut conn).await.unwrap();
        assert_eq!(state, HeaderIndexState { indexed_to: 0, last_record: 3 });

        index_headers(&mut conn, 0, 2).await.unwrap();
        assert_eq!(header_index_state(&mut conn).await.unwrap().indexed_to, 2);
        assert!(search_headers(&mut conn, "sig1=:ab").await.unwrap().is_empty(), "x2's record is not indexed yet");
        index_headers(&mut conn, 2, 3).await.unwrap();

        let ids: Vec<i64> = list_rows(&mut conn, 0).await.unwrap().iter().map(|r| r.id).collect();
        assert_eq!(search_headers(&mut conn, "sig1=:ab").await.unwrap(), [ids[0]]);
        assert_eq!(search_headers(&mut conn, "host: fhir.int-one").await.unwrap(), [ids[1]]);
        assert_eq!(search_headers(&mut conn, "content-type: application/fhir+json").await.unwrap(), ids);
        assert!(search_headers(&mut conn, "no such header").await.unwrap().is_empty());
        let (headers,): (String,) = sqlx::query_as("SELECT headers FROM exchange_headers WHERE exchange_rowid = ?")
            .bind(ids[1])
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        let mut lines: Vec<&str> = headers.lines().collect();
        lines.sort();
        assert_eq!(
            lines,
            ["accept: */*", "content-type: application/fhir+json", "host: fhir.int-one.test:8443"],
            "each distinct line of one batch once, in lower case"
        );
        assert!(headers.ends_with('\n'));
    }

    #[tokio::test]
    async fn header_index_restarts_after_clearing() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::create(&dir.path().join("ws.db")).await.unwrap();
        let mut conn = store.pool().acquire().await.unwrap();
        insert_hop_record(&mut conn, &record("x1", "int-one", 5.0, INTERMEDIARY)).await.unwrap();
        insert_hop_record(&mut conn, &record("x2", "int-one", 5.0, INTERMEDIARY)).await.unwrap();
        index_headers(&mut conn, 0, 2).await.unwrap();

        delete_all_exchanges(&mut conn).await.unwrap();
        insert_hop_record(&mut conn, &record("x3", "int-one", 5.0, INTERMEDIARY)).await.unwrap();

        let state = header_index_state(&mut conn).await.unwrap();
        assert_eq!(state.indexed_to, 0);
        assert_eq!(state.last_record, 1, "record ids start again after every record was deleted");
    }

    #[tokio::test]
    async fn verdict_goes_stale_when_record_arrives() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::create(&dir.path().join("ws.db")).await.unwrap();
        let mut conn = store.pool().acquire().await.unwrap();
        insert_hop_record(&mut conn, &record("x1", "int-one", 5.0, INTERMEDIARY)).await.unwrap();
        let id = list_rows(&mut conn, 0).await.unwrap()[0].id;
        let verdict = NewVerdict {
            exchange_rowid: id,
            hop_count: 1,
            passed: false,
            failed_hop: Some("int-one"),
            failed_checks: "body-unchanged",
            verdict_json: "{}",
            computed_at_ms: 1,
        };
        store_verdict(&mut conn, &verdict).await.unwrap();
        assert!(unjudged(&mut conn, 10).await.unwrap().is_empty());
        let row = &list_rows(&mut conn, 0).await.unwrap()[0];
        assert_eq!(row.passed, Some(false));
        assert_eq!(row.failed_hop.as_deref(), Some("int-one"));

        insert_hop_record(&mut conn, &record("x1", "d-corp", 1.0, DESTINATION)).await.unwrap();
        let stale = unjudged(&mut conn, 10).await.unwrap();
        assert_eq!(stale, [UnjudgedExchange { id, exchange_id: "x1".into() }]);
        assert_eq!(count_unjudged(&mut conn).await.unwrap(), 1);
    }

    #[tokio::test]
    async fn verdict_of_deleted_exchange_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::create(&dir.path().join("ws.db")).await.unwrap();
        let mut conn = store.pool().acquire().await.unwrap();
        let verdict = NewVerdict {
            exchange_rowid: 42,
            hop_count: 1,
            passed: true,
            failed_hop: None,
            failed_checks: "",
            verdict_json: "{}",
            computed_at_ms: 1,
        };
        store_verdict(&mut conn, &verdict).await.unwrap();
        let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM verdicts").fetch_one(&mut *conn).await.unwrap();
        assert_eq!(count, 0);
    }

    #[tokio::test]
    async fn clearing_deletes_facts_and_verdicts() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::create(&dir.path().join("ws.db")).await.unwrap();
        let mut conn = store.pool().acquire().await.unwrap();
        insert_hop_record(&mut conn, &record("x1", "int-one", 5.0, INTERMEDIARY)).await.unwrap();
        insert_hop_record(&mut conn, &record("x2", "int-one", 5.0, INTERMEDIARY)).await.unwrap();
        let id = list_rows(&mut conn, 0).await.unwrap()[0].id;
        let verdict = NewVerdict {
            exchange_rowid: id,
            hop_count: 1,
            passed: true,
            failed_hop: None,
            failed_checks: "",
            verdict_json: "{}",
            computed_at_ms: 1,
        };
        store_verdict(&mut conn, &verdict).await.unwrap();
        index_headers(&mut conn, 0, 2).await.unwrap();

        assert_eq!(delete_all_exchanges(&mut conn).await.unwrap(), 2);

        for table in ["exchange_facts", "exchange_headers", "verdicts", "hop_records"] {
            let (count,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM {table}")).fetch_one(&mut *conn).await.unwrap();
            assert_eq!(count, 0, "{table} should be empty");
        }
    }

    #[tokio::test]
    async fn records_since_reads_recent_exchanges() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::create(&dir.path().join("ws.db")).await.unwrap();
        let mut conn = store.pool().acquire().await.unwrap();
        let mut old = record("x1", "int-one", 5.0, INTERMEDIARY);
        old.started_at_ms = 1000;
        insert_hop_record(&mut conn, &old).await.unwrap();
        let mut outer = record("x2", "clinic-a", 7.0, ORIGINATOR);
        outer.started_at_ms = 5000;
        insert_hop_record(&mut conn, &outer).await.unwrap();
        let mut inner = record("x2", "int-one", 3.0, INTERMEDIARY);
        inner.started_at_ms = 5001;
        insert_hop_record(&mut conn, &inner).await.unwrap();

        let records = records_since(&mut conn, 2000).await.unwrap();

        let hops: Vec<(&str, i64, f64)> = records.iter().map(|r| (r.hop.as_str(), r.started_at_ms, r.duration_ms)).collect();
        assert_eq!(hops, [("clinic-a", 5000, 7.0), ("int-one", 5001, 3.0)]);
        assert!(records.iter().all(|r| r.originator.as_deref() == Some("clinic-a")), "{records:?}");
        assert!(records.iter().all(|r| r.target == "/d-corp/metadata"), "{records:?}");
        assert_eq!(records[0].status, Some(200));
    }
}
