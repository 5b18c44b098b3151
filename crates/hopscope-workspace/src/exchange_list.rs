//! The desktop app's exchange list: every stored exchange as a row with its
//! originator, destination and verdict badge, the header search, verdicts
//! computed on demand and cached, and clearing the stored exchanges.
//!
//! A verdict reads every hop record of its exchange, so the list never
//! judges all rows at once. It shows the cached verdicts and requests the
//! verdicts of the rows in view ([`Workspace::exchange_verdicts`]), or for
//! the "failed only" filter, of the rest in batches
//! ([`Workspace::judge_exchanges`]). A
//! cached verdict remembers the exchange's hop count, so a hop record that
//! arrives after judging makes it stale and it is computed again.

use std::collections::HashMap;

use hopscope_gateway::{ExchangeRecord, Participant};
use hopscope_sim::StepOutcome;
use hopscope_store::exchange_index::{self, ExchangeListRow as StoredRow, NewVerdict, PublicUrl, RowSelection};
use hopscope_store::{exchanges, rows};
use serde::ser::SerializeTuple;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sqlx::SqliteConnection;

use crate::exchange_run::{ExchangeRun, ExchangeRunRequest, ExchangeOutcome};
use crate::verdict::{judge, KnownCertificate, Verdict};
use crate::{now_unix, Error, Result, Topology, Workspace};

/// Hop records whose header lines a search indexes before it searches. The
/// budget keeps a search after a burst of traffic quick, and
/// [`Workspace::index_exchange_headers`] indexes the rest.
const SEARCH_INDEX_BUDGET: i64 = 5_000;

/// Names of the fields of a serialized [`ExchangeListRow`], in order.
pub const EXCHANGE_ROW_FIELDS: [&str; 13] = [
    "id",
    "exchange_id",
    "started_at_ms",
    "originator",
    "destination",
    "method",
    "target",
    "status",
    "duration_ms",
    "hops",
    "verdict",
    "failed_hop",
    "failed_checks",
];

/// One exchange as the app's list shows it. Serialized as a JSON array in
/// the order of [`EXCHANGE_ROW_FIELDS`], because the list loads up to
/// 100,000 rows and field names would double the transfer.
#[derive(Debug, Clone, PartialEq)]
pub struct ExchangeListRow {
    /// Row id in the workspace; newer exchanges have higher ids.
    pub id: i64,
    pub exchange_id: String,
    /// Milliseconds since the Unix epoch, from the outermost record.
    pub started_at_ms: i64,
    /// The originator simulator's name; `None` for another client.
    pub originator: Option<String>,
    /// The destination simulator's name, else the destination whose public
    /// URL the target falls under; `None` when neither is known.
    pub destination: Option<String>,
    pub method: String,
    /// Path and query the originator requested.
    pub target: String,
    /// Status the originator received; `None` when it received none.
    pub status: Option<u16>,
    pub duration_ms: f64,
    /// Hop records stored so far.
    pub hops: i64,
    pub verdict: VerdictBadge,
}

/// The verdict column of a row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerdictBadge {
    pub state: VerdictState,
    /// Participant where the first failed check failed.
    pub failed_hop: Option<String>,
    /// Names of the failed checks.
    pub failed_checks: Vec<String>,
}

/// Whether an exchange has a current verdict, and its outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VerdictState {
    Passed,
    Failed,
    /// No verdict yet, or one computed before a hop record arrived.
    Unjudged,
}

impl VerdictBadge {
    fn unjudged() -> VerdictBadge {
        VerdictBadge { state: VerdictState::Unjudged, failed_hop: None, failed_checks: Vec::new() }
    }

    fn of(verdict: &Verdict) -> VerdictBadge {
        let failed: Vec<_> = verdict.checks.iter().filter(|c| c.outcome == StepOutcome::Fail).collect();
        VerdictBadge {
            state: if verdict.passed { VerdictState::Passed } else { VerdictState::Failed },
            failed_hop: failed.iter().find_map(|c| c.hop.clone()),
            failed_checks: failed.iter().map(|c| c.name.as_str().to_string()).collect(),
        }
    }
}

impl Serialize for ExchangeListRow {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let mut tuple = serializer.serialize_tuple(EXCHANGE_ROW_FIELDS.len())?;
        tuple.serialize_element(&self.id)?;
        tuple.serialize_element(&self.exchange_id)?;
        tuple.serialize_element(&self.started_at_ms)?;
        tuple.serialize_element(&self.originator)?;
        tuple.serialize_element(&self.destination)?;
        tuple.serialize_element(&self.method)?;
        tuple.serialize_element(&self.target)?;
        tuple.serialize_element(&self.status)?;
        tuple.serialize_element(&self.duration_ms)?;
        tuple.serialize_element(&self.hops)?;
        tuple.serialize_element(&self.verdict.state)?;
        tuple.serialize_element(&self.verdict.failed_hop)?;
        tuple.serialize_element(&self.verdict.failed_checks.join(","))?;
        tuple.end()
    }
}

impl<'de> Deserialize<'de> for ExchangeListRow {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        type Fields = (
            i64,
            String,
            i64,
            Option<String>,
            Option<String>,
            String,
            String,
            Option<u16>,
            f64,
            i64,
            VerdictState,
            Option<String>,
            String,
        );
        let (id, exchange_id, started_at_ms, originator, destination, method, target, status, duration_ms, hops, state, failed_hop, failed_checks) =
            Fields::deserialize(deserializer)?;
        Ok(ExchangeListRow {
            id,
            exchange_id,
            started_at_ms,
            originator,
            destination,
            method,
            target,
            status,
            duration_ms,
            hops,
            verdict: VerdictBadge {
                state,
                failed_hop,
                failed_checks: failed_checks.split(',').filter(|c| !c.is_empty()).map(str::to_string).collect(),
            },
        })
    }
}

/// The verdict badge of one row, as [`Workspace::exchange_verdicts`] returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowVerdict {
    pub id: i64,
    #[serde(flatten)]
    pub verdict: VerdictBadge,
}

/// Progress of [`Workspace::judge_exchanges`]: the verdicts of one call.
#[derive(Debug, Clone, Serialize)]
pub struct JudgeProgress {
    pub verdicts: Vec<RowVerdict>,
    /// Exchanges still without a current verdict.
    pub remaining: i64,
}

/// The result of a header search.
#[derive(Debug, Clone, Serialize)]
pub struct HeaderSearch {
    /// Row ids of the matching exchanges, newest first.
    pub ids: Vec<i64>,
    /// Hop records whose headers are not indexed yet, so the search did not
    /// see them.
    pub unindexed_records: i64,
}

/// A scenario the originator simulator can run, for the app's run dialog.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioSummary {
    pub name: &'static str,
    pub description: &'static str,
    /// Steps of the scenario; a paged search or an export makes several
    /// exchanges in one step.
    pub steps: usize,
}

/// Returns the scenarios of `hopscope exchange scenarios`, the default first.
pub fn scenarios() -> Vec<ScenarioSummary> {
    hopscope_sim::SCENARIOS
        .iter()
        .map(|s| ScenarioSummary { name: s.name, description: s.description, steps: s.steps.len() })
        .collect()
}

impl Workspace {
    /// Returns the exchanges with a row id above `after_id`, newest first.
    /// Pass 0 for all of them. The list passes the id of an older row to get
    /// the rows after it again with their current facts and verdicts, so it
    /// picks up hop records that arrived late.
    pub async fn exchange_rows(&self, after_id: i64) -> Result<Vec<ExchangeListRow>> {
        parse_rows(&self.exchange_rows_json(after_id).await?)
    }

    /// Returns what [`Workspace::exchange_rows`] returns as the JSON text
    /// the app receives. SQLite writes it, which for 100,000 rows takes a
    /// fraction of the time of decoding and serializing them row by row.
    pub async fn exchange_rows_json(&self, after_id: i64) -> Result<String> {
        self.rows_json(RowSelection::After(after_id)).await
    }

    /// Returns the list row of one exchange by its row id.
    pub(crate) async fn exchange_row(&self, id: i64) -> Result<Option<ExchangeListRow>> {
        Ok(parse_rows(&self.rows_json(RowSelection::Only(id)).await?)?.into_iter().next())
    }

    async fn rows_json(&self, selection: RowSelection) -> Result<String> {
        let public_urls = stored_public_urls(&self.topology().await?);
        let mut conn = self.conn().await?;
        Ok(exchange_index::list_rows_json(&mut conn, selection, &public_urls).await?)
    }

    /// Returns the verdict badge of each of the rows `ids`, computing and
    /// caching the verdicts that are missing or stale. Unknown ids are left
    /// out.
    pub async fn exchange_verdicts(&self, ids: &[i64]) -> Result<Vec<RowVerdict>> {
        let mut conn = self.conn().await?;
        let stored = exchange_index::rows_by_id(&mut conn, ids).await?;
        let mut badges = Vec::with_capacity(stored.len());
        let mut to_judge = Vec::new();
        for row in stored {
            if row.verdict_hop_count == Some(row.hop_count) {
                badges.push(RowVerdict { id: row.id, verdict: cached_badge(&row) });
            } else {
                to_judge.push((row.id, row.exchange_id));
            }
        }
        drop(conn);
        for (id, verdict) in self.judge_and_cache(&to_judge).await? {
            badges.push(RowVerdict { id, verdict: VerdictBadge::of(&verdict) });
        }
        Ok(badges)
    }

    /// Computes and caches the verdicts of up to `limit` exchanges that have
    /// none or a stale one, newest first, and returns them with the number
    /// still left.
    pub async fn judge_exchanges(&self, limit: u32) -> Result<JudgeProgress> {
        let mut conn = self.conn().await?;
        let pending: Vec<(i64, String)> = exchange_index::unjudged(&mut conn, i64::from(limit))
            .await?
            .into_iter()
            .map(|row| (row.id, row.exchange_id))
            .collect();
        drop(conn);
        let verdicts = self
            .judge_and_cache(&pending)
            .await?
            .into_iter()
            .map(|(id, verdict)| RowVerdict { id, verdict: VerdictBadge::of(&verdict) })
            .collect();
        let mut conn = self.conn().await?;
        let remaining = exchange_index::count_unjudged(&mut conn).await?;
        Ok(JudgeProgress { verdicts, remaining })
    }

    /// Computes the verdict of one exchange from its stored records, caches
    /// it, and returns it.
    pub async fn exchange_verdict(&self, exchange_id: &str) -> Result<Verdict> {
        let mut conn = self.conn().await?;
        let row = exchanges::exchange_by_id(&mut conn, exchange_id)
            .await?
            .ok_or_else(|| exchange_not_found(exchange_id))?;
        drop(conn);
        let mut judged = self.judge_and_cache(&[(row.id, row.exchange_id)]).await?;
        judged.pop().map(|(_, verdict)| verdict).ok_or_else(|| exchange_not_found(exchange_id))
    }

    /// Runs a scenario as [`Workspace::run_exchanges`] does, then judges its
    /// exchanges again from the workspace and caches those verdicts. The run's
    /// own verdicts may have been computed before the last hop's record was
    /// written; the cached ones record which records they saw.
    pub async fn run_scenario(
        &self,
        request: &ExchangeRunRequest,
        on_exchange: impl FnMut(&ExchangeOutcome),
    ) -> Result<ExchangeRun> {
        let run = self.run_exchanges(request, on_exchange).await?;
        let mut conn = self.conn().await?;
        let mut recorded = Vec::new();
        for outcome in &run.exchanges {
            if outcome.report.exchange_id.is_empty() {
                continue;
            }
            if let Some(row) = exchanges::exchange_by_id(&mut conn, &outcome.report.exchange_id).await? {
                recorded.push((row.id, row.exchange_id));
            }
        }
        drop(conn);
        self.judge_and_cache(&recorded).await?;
        Ok(run)
    }

    /// Indexes the header lines of up to `max_records` hop records not
    /// indexed yet, in one transaction, and returns how many remain.
    pub async fn index_exchange_headers(&self, max_records: u32) -> Result<i64> {
        let mut tx = self.store.begin().await?;
        let state = exchange_index::header_index_state(&mut tx).await?;
        let up_to = state.last_record.min(state.indexed_to + i64::from(max_records));
        if up_to > state.indexed_to {
            exchange_index::index_headers(&mut tx, state.indexed_to, up_to).await?;
        }
        tx.commit().await.map_err(hopscope_store::Error::from)?;
        Ok(state.last_record - up_to)
    }

    /// Returns the exchanges whose request or response headers, at any hop,
    /// contain `text` (ignoring ASCII case), after indexing the newest hop
    /// records' headers up to a budget.
    pub async fn search_exchange_headers(&self, text: &str) -> Result<HeaderSearch> {
        let needle = text.trim().to_ascii_lowercase();
        if needle.is_empty() {
            return Err(Error::Invalid("the header search text is empty; type part of a header name or value".into()));
        }
        let unindexed_records = self.index_exchange_headers(SEARCH_INDEX_BUDGET as u32).await?;
        let mut conn = self.conn().await?;
        let ids = exchange_index::search_headers(&mut conn, &needle).await?;
        Ok(HeaderSearch { ids, unindexed_records })
    }

    /// Deletes every stored exchange with its hop records, bodies and cached
    /// verdicts, writes an audit entry, and returns how many it deleted.
    pub async fn clear_exchanges(&self) -> Result<u64> {
        let mut tx = self.store.begin().await?;
        let deleted = exchange_index::delete_all_exchanges(&mut tx).await?;
        rows::insert_audit(&mut tx, now_unix(), "clear-exchanges", "exchanges", None, None, &format!("{deleted} exchanges deleted"))
            .await?;
        tx.commit().await.map_err(hopscope_store::Error::from)?;
        tracing::info!(deleted, "stored exchanges cleared");
        Ok(deleted)
    }

    /// Judges the exchanges `(row id, exchange id)` from their stored
    /// records and caches each verdict in one transaction.
    async fn judge_and_cache(&self, exchanges_to_judge: &[(i64, String)]) -> Result<Vec<(i64, Verdict)>> {
        if exchanges_to_judge.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.conn().await?;
        let mut certificates: HashMap<String, Option<KnownCertificate>> = HashMap::new();
        let mut judged = Vec::with_capacity(exchanges_to_judge.len());
        for (id, exchange_id) in exchanges_to_judge {
            // The count is read before the records, so a record that arrives
            // in between makes the cached verdict stale rather than wrong.
            let Some(row) = exchanges::exchange_by_id(&mut conn, exchange_id).await? else { continue };
            let records = stored_records(&mut conn, row.id).await?;
            let known = known_certificates(&mut conn, &records, &mut certificates).await?;
            judged.push((*id, row.hop_count, judge(&records, &known)));
        }
        drop(conn);

        let computed_at_ms = time::OffsetDateTime::now_utc().unix_timestamp() * 1000;
        let mut tx = self.store.begin().await?;
        for (id, hop_count, verdict) in &judged {
            let badge = VerdictBadge::of(verdict);
            let json = serde_json::to_string(verdict)
                .map_err(|e| Error::Invalid(format!("the verdict of exchange {} is not serializable: {e}", verdict.exchange_id)))?;
            let failed_checks = badge.failed_checks.join(",");
            exchange_index::store_verdict(
                &mut tx,
                &NewVerdict {
                    exchange_rowid: *id,
                    hop_count: *hop_count,
                    passed: verdict.passed,
                    failed_hop: badge.failed_hop.as_deref(),
                    failed_checks: &failed_checks,
                    verdict_json: &json,
                    computed_at_ms,
                },
            )
            .await?;
        }
        tx.commit().await.map_err(hopscope_store::Error::from)?;
        Ok(judged.into_iter().map(|(id, _, verdict)| (id, verdict)).collect())
    }
}

fn exchange_not_found(exchange_id: &str) -> Error {
    Error::NotFound {
        kind: "exchange",
        name: exchange_id.to_string(),
        hint: "it may have been deleted by the retention limit or by clearing the exchanges".into(),
    }
}

/// Reads the hop records of one exchange without their captured bodies,
/// which a verdict does not need.
async fn stored_records(conn: &mut SqliteConnection, exchange_rowid: i64) -> Result<Vec<ExchangeRecord>> {
    exchanges::hop_records(conn, exchange_rowid)
        .await?
        .iter()
        .map(|row| {
            serde_json::from_str(&row.record).map_err(|e| {
                Error::Invalid(format!(
                    "the stored record of exchange {} at hop {} is not valid JSON ({e}); the workspace file may be damaged",
                    row.exchange_id, row.hop
                ))
            })
        })
        .collect()
}

/// Looks up the certificates the records' hops presented, by SHA-256
/// fingerprint, and keeps each lookup's result in `seen` across exchanges.
async fn known_certificates(
    conn: &mut SqliteConnection,
    records: &[ExchangeRecord],
    seen: &mut HashMap<String, Option<KnownCertificate>>,
) -> Result<HashMap<String, KnownCertificate>> {
    let mut known = HashMap::new();
    for record in records {
        let mut fingerprints = Vec::new();
        if record.participant != Participant::Originator {
            fingerprints.extend(record.inbound_tls.certificate_sha256.clone());
        }
        if let Some(tls) = record.upstream.as_ref().and_then(|u| u.tls.as_ref()) {
            fingerprints.extend(tls.certificate_sha256.clone());
        }
        for fingerprint in fingerprints {
            if !seen.contains_key(&fingerprint) {
                let certificate = known_certificate(conn, &fingerprint).await?;
                seen.insert(fingerprint.clone(), certificate);
            }
            if let Some(Some(certificate)) = seen.get(&fingerprint) {
                known.insert(fingerprint, certificate.clone());
            }
        }
    }
    Ok(known)
}

/// Returns what a verdict needs of the workspace certificate with this
/// SHA-256 fingerprint, or `None` when the workspace has none.
pub(crate) async fn known_certificate(conn: &mut SqliteConnection, fingerprint: &str) -> Result<Option<KnownCertificate>> {
    let Some(row) = rows::certificate_by_fingerprint(&mut *conn, fingerprint).await? else {
        return Ok(None);
    };
    let Some(credential) = rows::credential_by_id(&mut *conn, row.credential_id).await? else {
        return Ok(None);
    };
    let host = credential
        .url
        .as_deref()
        .and_then(|url| url::Url::parse(url).ok())
        .and_then(|url| url.host_str().map(str::to_ascii_lowercase));
    Ok(Some(KnownCertificate {
        credential: credential.name,
        role: credential.role,
        host,
        not_before: row.not_before,
        not_after: row.not_after,
        revoked_at: row.revoked_at,
    }))
}

fn cached_badge(row: &StoredRow) -> VerdictBadge {
    match row.passed {
        Some(passed) if row.verdict_hop_count == Some(row.hop_count) => VerdictBadge {
            state: if passed { VerdictState::Passed } else { VerdictState::Failed },
            failed_hop: row.failed_hop.clone(),
            failed_checks: row
                .failed_checks
                .as_deref()
                .unwrap_or_default()
                .split(',')
                .filter(|name| !name.is_empty())
                .map(str::to_string)
                .collect(),
        },
        _ => VerdictBadge::unjudged(),
    }
}

/// A destination's public URL split for matching targets: host and port
/// (lower case) and the path without a trailing slash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PublicUrlPrefix {
    destination: String,
    authority: String,
    path: String,
}

pub(crate) fn public_url_prefixes(topology: &Topology) -> Vec<PublicUrlPrefix> {
    topology
        .destinations
        .iter()
        .filter_map(|destination| {
            let url = url::Url::parse(&destination.public_url).ok()?;
            let host = url.host_str()?.to_ascii_lowercase();
            let authority = match url.port_or_known_default() {
                Some(port) => format!("{host}:{port}"),
                None => host,
            };
            Some(PublicUrlPrefix {
                destination: destination.name.clone(),
                authority,
                path: url.path().trim_end_matches('/').to_string(),
            })
        })
        .collect()
}

/// Splits a stored target into its authority (when it is a whole URL, as the
/// originator simulator records it) and its path and query. The authority
/// is in lower case and has the scheme's port when it names none. Plain
/// string work instead of a URL parser, because the list splits 100,000
/// targets at every start.
pub(crate) fn split_target(target: &str) -> (Option<String>, String) {
    let (default_port, rest) = if let Some(rest) = target.strip_prefix("https://") {
        (443, rest)
    } else if let Some(rest) = target.strip_prefix("http://") {
        (80, rest)
    } else {
        return (None, target.to_string());
    };
    let (authority, path) = match rest.find(['/', '?', '#']) {
        Some(end) => (&rest[..end], &rest[end..]),
        None => (rest, "/"),
    };
    let host_and_port = authority.rsplit('@').next().unwrap_or(authority).to_ascii_lowercase();
    // A port follows the last colon, after the closing bracket of an IPv6 host.
    let has_port = host_and_port
        .rsplit_once(':')
        .is_some_and(|(host, port)| !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) && !host.ends_with('['));
    let authority = if has_port { host_and_port } else { format!("{host_and_port}:{default_port}") };
    let path = match path.strip_prefix('#') {
        Some(_) => "/".to_string(),
        None if path.starts_with('?') => format!("/{path}"),
        None => path.split('#').next().unwrap_or(path).to_string(),
    };
    (Some(authority), path)
}

/// Finds the destination whose public URL a target falls under: by host and
/// path when the target is a whole URL, else by the path alone when exactly
/// one destination's public path matches it longest.
pub(crate) fn destination_for_target(authority: Option<&str>, path: &str, prefixes: &[PublicUrlPrefix]) -> Option<String> {
    let path_only = path.split('?').next().unwrap_or_default();
    let under = |prefix: &PublicUrlPrefix| {
        prefix.path.is_empty()
            || path_only == prefix.path
            || path_only.strip_prefix(prefix.path.as_str()).is_some_and(|rest| rest.starts_with('/'))
    };
    let mut matches: Vec<&PublicUrlPrefix> = prefixes
        .iter()
        .filter(|prefix| authority.is_none_or(|a| a == prefix.authority) && under(prefix))
        .collect();
    let longest = matches.iter().map(|p| p.path.len()).max()?;
    matches.retain(|p| p.path.len() == longest);
    match matches.as_slice() {
        [only] => Some(only.destination.clone()),
        _ => None,
    }
}

fn parse_rows(json: &str) -> Result<Vec<ExchangeListRow>> {
    serde_json::from_str(json).map_err(|e| Error::Invalid(format!("the exchange rows the workspace returned are not valid ({e}); this is a bug")))
}

/// The public URLs of the topology as the store matches targets against
/// them: without a trailing slash, with the path apart.
fn stored_public_urls(topology: &Topology) -> Vec<PublicUrl> {
    topology
        .destinations
        .iter()
        .filter_map(|destination| {
            let url = url::Url::parse(&destination.public_url).ok()?;
            Some(PublicUrl {
                destination: destination.name.clone(),
                url: url.as_str().trim_end_matches('/').to_string(),
                path: url.path().trim_end_matches('/').to_string(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DestinationView;

    fn topology() -> Topology {
        let destination = |name: &str, public_url: &str| DestinationView {
            name: name.into(),
            public_url: public_url.into(),
            private_url: format!("https://{name}.internal.test:9443/fhir"),
            endpoint_credential: None,
            signing_credential: None,
            route: vec!["int-one".into()],
            external: false,
            external_address: None,
        };
        Topology {
            destinations: vec![
                destination("d-corp", "https://fhir.int-one.test:8443/d-corp"),
                destination("b-corp", "https://fhir.b-corp.test:8443/r4"),
                destination("root", "https://fhir.root.test:8443/"),
            ],
            intermediaries: Vec::new(),
        }
    }

    #[test]
    fn whole_url_target_matches_host_and_path() {
        let prefixes = public_url_prefixes(&topology());
        let (authority, path) = split_target("https://fhir.int-one.test:8443/d-corp/Patient?_count=5");
        assert_eq!(authority.as_deref(), Some("fhir.int-one.test:8443"));
        assert_eq!(path, "/d-corp/Patient?_count=5");
        assert_eq!(destination_for_target(authority.as_deref(), &path, &prefixes).as_deref(), Some("d-corp"));
        let (authority, path) = split_target("https://fhir.root.test:8443/Patient/1");
        assert_eq!(destination_for_target(authority.as_deref(), &path, &prefixes).as_deref(), Some("root"));
    }

    #[test]
    fn whole_url_target_splits() {
        let split = |target: &str| split_target(target);
        assert_eq!(split("https://FHIR.test/r4/Patient?x=1"), (Some("fhir.test:443".into()), "/r4/Patient?x=1".into()));
        assert_eq!(split("http://fhir.test:8080"), (Some("fhir.test:8080".into()), "/".into()));
        assert_eq!(split("https://[::1]:9443/a#frag"), (Some("[::1]:9443".into()), "/a".into()));
        assert_eq!(split("https://[::1]/a"), (Some("[::1]:443".into()), "/a".into()));
        assert_eq!(split("https://fhir.test?q"), (Some("fhir.test:443".into()), "/?q".into()));
        assert_eq!(split("/d-corp/metadata"), (None, "/d-corp/metadata".into()));
    }

    #[test]
    fn path_target_matches_longest_prefix() {
        let prefixes = public_url_prefixes(&topology());
        assert_eq!(destination_for_target(None, "/r4/metadata", &prefixes).as_deref(), Some("b-corp"));
        assert_eq!(destination_for_target(None, "/d-corp", &prefixes).as_deref(), Some("d-corp"));
        assert_eq!(
            destination_for_target(None, "/d-corporate/metadata", &prefixes).as_deref(),
            Some("root"),
            "a path segment must match whole"
        );
    }

    #[test]
    fn unknown_host_matches_nothing() {
        let prefixes = public_url_prefixes(&topology());
        let (authority, path) = split_target("https://elsewhere.test/d-corp/metadata");
        assert_eq!(destination_for_target(authority.as_deref(), &path, &prefixes), None);
    }

    #[test]
    fn default_scenario_listed_first() {
        let listed = scenarios();
        assert_eq!(listed[0].name, "default");
        assert!(listed[0].steps >= 8, "{listed:?}");
    }

    #[test]
    fn row_serializes_as_array() {
        let row = ExchangeListRow {
            id: 7,
            exchange_id: "x7".into(),
            started_at_ms: 1_700_000_000_000,
            originator: Some("clinic-a".into()),
            destination: None,
            method: "GET".into(),
            target: "/d-corp/metadata".into(),
            status: Some(200),
            duration_ms: 1.5,
            hops: 3,
            verdict: VerdictBadge {
                state: VerdictState::Failed,
                failed_hop: Some("int-two".into()),
                failed_checks: vec!["body-unchanged".into(), "signature-valid".into()],
            },
        };
        let json = serde_json::to_value(&row).unwrap();
        assert_eq!(
            json,
            serde_json::json!([7, "x7", 1_700_000_000_000i64, "clinic-a", null, "GET", "/d-corp/metadata", 200, 1.5, 3, "failed", "int-two", "body-unchanged,signature-valid"])
        );
        assert_eq!(json.as_array().unwrap().len(), EXCHANGE_ROW_FIELDS.len());
        let back: ExchangeListRow = serde_json::from_value(json).unwrap();
        assert_eq!(back, row);
    }

    /// The triggers of the store's `exchange_facts` find the participant in
    /// the first 300 characters of the record JSON.
    #[test]
    fn participant_within_first_300_characters() {
        let record = ExchangeRecord {
            exchange_id: "0123456789abcdef0123456789abcdef".into(),
            hop: "h".repeat(128),
            participant: Participant::Destination,
            ..Default::default()
        };
        let json = serde_json::to_string(&record).unwrap();
        let head: String = json.chars().take(300).collect();
        assert!(head.contains(r#""participant":"destination""#), "{head}");
    }
}
