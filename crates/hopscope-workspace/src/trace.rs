//! Reading the stored exchange records: recent exchanges with a line per
//! hop, and one exchange with its whole hop records.

use bytes::Bytes;
use hopscope_gateway::ExchangeRecord;
use hopscope_store::exchanges::{self, ExchangeRow, HopRecordRow};
use serde::Serialize;
use sqlx::SqliteConnection;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::{Error, Result, Workspace};

/// One exchange as listed: the outermost hop's view, and each hop's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct ExchangeSummary {
    pub exchange_id: String,
    /// RFC 3339 with milliseconds, UTC.
    pub started_at: String,
    pub method: String,
    /// Path and query the originator sent.
    pub target: String,
    /// Status the originator got; `None` when the connection was dropped.
    pub status: Option<u16>,
    pub duration_ms: f64,
    /// Outermost hop first.
    pub hops: Vec<HopSummary>,
}

/// One hop of an exchange as listed.
#[derive(Debug, Clone, Serialize)]
pub struct HopSummary {
    pub hop: String,
    pub status: Option<u16>,
    pub duration_ms: f64,
    /// Hex SHA-256 of the response body as it left this hop, when complete.
    pub response_sha256: Option<String>,
    pub fault: Option<String>,
    pub error: Option<String>,
    /// True when the gateway stopped before the exchange ended at this hop.
    pub interrupted: bool,
}

/// One exchange with every hop record.
#[derive(Debug, Clone, Serialize)]
pub struct ExchangeDetail {
    #[serde(flatten)]
    pub summary: ExchangeSummary,
    /// Outermost hop first.
    pub records: Vec<ExchangeRecord>,
}

impl Workspace {
    /// Returns the newest `limit` exchanges, newest first.
    pub async fn exchanges(&self, limit: u32) -> Result<Vec<ExchangeSummary>> {
        Ok(self
            .exchange_details(limit)
            .await?
            .into_iter()
            .map(|detail| detail.summary)
            .collect())
    }

    /// Returns the newest `limit` exchanges with their hop records, newest first.
    pub async fn exchange_details(&self, limit: u32) -> Result<Vec<ExchangeDetail>> {
        let mut conn = self.conn().await?;
        let mut details = Vec::new();
        for row in exchanges::recent_exchanges(&mut conn, i64::from(limit)).await? {
            details.push(detail(&mut conn, row).await?);
        }
        Ok(details)
    }

    /// Returns one exchange by its id (the `x-hopscope-exchange` value).
    pub async fn exchange(&self, exchange_id: &str) -> Result<ExchangeDetail> {
        let mut conn = self.conn().await?;
        let row = exchanges::exchange_by_id(&mut conn, exchange_id)
            .await?
            .ok_or_else(|| Error::NotFound {
                kind: "exchange",
                name: exchange_id.to_string(),
                hint: "list recent exchanges with `hopscope trace list`; the oldest are deleted past the retention limit".into(),
            })?;
        detail(&mut conn, row).await
    }
}

async fn detail(conn: &mut SqliteConnection, row: ExchangeRow) -> Result<ExchangeDetail> {
    let hop_rows = exchanges::hop_records(conn, row.id).await?;
    let mut bodies = exchanges::hop_bodies(conn, row.id).await?;
    let mut records = Vec::with_capacity(hop_rows.len());
    let mut hops = Vec::with_capacity(hop_rows.len());
    for hop_row in hop_rows {
        let mut record = parse_record(&hop_row)?;
        for body in bodies.iter_mut().filter(|b| b.hop_record_id == hop_row.id) {
            let captured = Some(Bytes::from(std::mem::take(&mut body.body)));
            match body.direction.as_str() {
                "request" => record.request.body.captured = captured,
                _ => {
                    if let Some(response) = record.response.as_mut() {
                        response.body.captured = captured;
                    }
                }
            }
        }
        hops.push(HopSummary {
            hop: record.hop.clone(),
            status: record.response.as_ref().map(|r| r.status),
            duration_ms: record.timings.total_ms,
            response_sha256: record.response.as_ref().and_then(|r| r.body.sha256.clone()),
            fault: record.fault.clone(),
            error: record.error.clone(),
            interrupted: record.interrupted,
        });
        records.push(record);
    }
    Ok(ExchangeDetail {
        summary: ExchangeSummary {
            exchange_id: row.exchange_id,
            started_at: format_unix_ms(row.started_at_ms),
            method: row.method,
            target: row.target,
            status: row.status.and_then(|s| u16::try_from(s).ok()),
            duration_ms: row.duration_ms,
            hops,
        },
        records,
    })
}

fn parse_record(row: &HopRecordRow) -> Result<ExchangeRecord> {
    serde_json::from_str(&row.record).map_err(|e| {
        Error::Invalid(format!(
            "the stored record of exchange {} at hop {} is not valid JSON ({e}); the workspace file may be damaged",
            row.exchange_id, row.hop
        ))
    })
}

/// Formats milliseconds since the Unix epoch as RFC 3339 with milliseconds.
pub(crate) fn format_unix_ms(ms: i64) -> String {
    let at = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let at = at.replace_nanosecond((ms.rem_euclid(1000) as u32) * 1_000_000).unwrap_or(at);
    at.format(&Rfc3339).unwrap_or_else(|_| at.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_ms_formats_with_milliseconds() {
        assert_eq!(format_unix_ms(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
    }
}
