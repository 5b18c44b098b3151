//! One exchange as the app's detail view shows it (its records, verdict,
//! the participants as sequence diagram lanes, and the credentials behind
//! the certificates its hops presented), and the exports of the exchange
//! list: a curl command that repeats an exchange, and HAR files.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hopscope_gateway::{ExchangeRecord, Participant};
use hopscope_sim::StepOutcome;
use serde::Serialize;

use crate::exchange_list::known_certificate;
use crate::gateway_runtime::shell_word;
use crate::paths::data_dir;
use crate::trace::ExchangeDetail;
use crate::verdict::Verdict;
use crate::{har_log, Error, IntermediaryKind, Result, Topology, Workspace};

/// File in the data directory with the workspace's authority certificates;
/// the running gateway writes the same file at start.
const AUTHORITIES_FILE: &str = "gateway-authorities.pem";
/// Exchanges one HAR export may hold. Each carries its captured bodies (up
/// to 1 MiB each by default) in memory while the file is written.
pub const HAR_EXPORT_LIMIT: usize = 10_000;
/// Request headers the curl command leaves out: curl sets the framing
/// headers itself, hop-by-hop headers do not travel end to end, and
/// `x-hopscope-exchange` would file the repeat under the recorded exchange.
const CURL_SKIPPED_HEADERS: &[&str] = &[
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "te",
    "trailer",
    "upgrade",
    "proxy-connection",
    "x-hopscope-exchange",
];

/// One exchange with everything the detail view shows.
#[derive(Debug, Clone, Serialize)]
pub struct ExchangeView {
    /// Row id of the exchange in the workspace.
    pub id: i64,
    /// The summary fields and every hop record with its captured bodies.
    #[serde(flatten)]
    pub detail: ExchangeDetail,
    /// Computed from the records just now, and cached for the list.
    pub verdict: Verdict,
    /// The participants in path order, one lane each in the sequence diagram.
    pub lanes: Vec<Lane>,
    /// The workspace credential of each certificate a hop presented, by
    /// hex SHA-256 fingerprint. Certificates the workspace lacks are absent.
    pub certificates: BTreeMap<String, PresentedCertificate>,
}

/// One participant of an exchange.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Lane {
    pub name: String,
    pub kind: LaneKind,
    /// Index of the participant's record in `records`. `None` for a
    /// participant that writes no record: a client other than the
    /// originator simulator, or a stub or external destination.
    pub record: Option<usize>,
    /// Names of the verdict checks that failed at this participant.
    pub failed_checks: Vec<String>,
}

/// The role of a participant in an exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LaneKind {
    /// The originator simulator.
    Originator,
    /// Another HTTP client, such as curl.
    Client,
    InboundGateway,
    Delegated,
    Destination,
}

/// The credential of a presented certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PresentedCertificate {
    pub credential: String,
    pub role: String,
}

/// A shell command that sends an exchange's request again.
#[derive(Debug, Clone, Serialize)]
pub struct CurlCommand {
    pub command: String,
    /// Reasons the command may not repeat the exchange exactly.
    pub notes: Vec<String>,
}

/// The file a HAR export wrote and how many exchanges it holds.
#[derive(Debug, Clone, Serialize)]
pub struct HarExport {
    pub path: PathBuf,
    pub exchanges: usize,
}

impl Workspace {
    /// Returns one exchange with its records, its verdict (computed now and
    /// cached), its lanes and the credentials of the presented certificates.
    pub async fn exchange_view(&self, exchange_id: &str) -> Result<ExchangeView> {
        let detail = self.exchange(exchange_id).await?;
        let verdict = self.exchange_verdict(exchange_id).await?;
        let topology = self.topology().await?;
        let mut conn = self.conn().await?;
        let stored = hopscope_store::exchanges::exchange_by_id(&mut conn, exchange_id)
            .await?
            .ok_or_else(|| Error::NotFound {
                kind: "exchange",
                name: exchange_id.to_string(),
                hint: "it may have been deleted by the retention limit or by clearing the exchanges".into(),
            })?;
        let destination = self.exchange_row(stored.id).await?.and_then(|row| row.destination);

        let mut certificates = BTreeMap::new();
        for record in &detail.records {
            let presented = [
                record.inbound_tls.certificate_sha256.as_ref(),
                record.upstream.as_ref().and_then(|u| u.tls.as_ref()).and_then(|t| t.certificate_sha256.as_ref()),
            ];
            for fingerprint in presented.into_iter().flatten() {
                if certificates.contains_key(fingerprint) {
                    continue;
                }
                if let Some(known) = known_certificate(&mut conn, fingerprint).await? {
                    certificates.insert(fingerprint.clone(), PresentedCertificate { credential: known.credential, role: known.role });
                }
            }
        }
        let lanes = lanes(&detail.records, &verdict, &topology, destination.as_deref());
        Ok(ExchangeView { id: stored.id, detail, verdict, lanes, certificates })
    }

    /// Builds a curl command that sends the exchange's request again
    /// through the gateway on 127.0.0.1, as the originator sent it, and
    /// writes the authorities file it names for `--cacert`.
    pub async fn exchange_curl(&self, exchange_id: &str) -> Result<CurlCommand> {
        let detail = self.exchange(exchange_id).await?;
        let authorities_file = self.write_authorities_file().await?;
        curl_command(&detail.records, &authorities_file)
    }

    /// Writes a HAR 1.2 file of the exchanges `exchange_ids` (the order of
    /// the list, newest first, becomes oldest first in the file). At most
    /// [`HAR_EXPORT_LIMIT`] exchanges; ids no longer stored are skipped.
    pub async fn export_exchanges_har(&self, exchange_ids: &[String], path: &Path) -> Result<HarExport> {
        if exchange_ids.is_empty() {
            return Err(Error::Invalid("no exchange to export; select exchanges or clear the filters".into()));
        }
        if exchange_ids.len() > HAR_EXPORT_LIMIT {
            return Err(Error::Invalid(format!(
                "{} exchanges are too many for one HAR file (at most {HAR_EXPORT_LIMIT}); narrow the filters, or run `hopscope trace export --har FILE --limit N`",
                exchange_ids.len()
            )));
        }
        let mut details = Vec::with_capacity(exchange_ids.len());
        for exchange_id in exchange_ids.iter().rev() {
            match self.exchange(exchange_id).await {
                Ok(detail) => details.push(detail),
                Err(Error::NotFound { .. }) => tracing::info!(exchange_id, "skipped in the HAR export: no longer stored"),
                Err(error) => return Err(error),
            }
        }
        let har = har_log(&details);
        let io_error = |source| Error::Io { action: "write the HAR file", path: path.display().to_string(), source };
        let file = std::fs::File::create(path).map_err(io_error)?;
        let mut writer = std::io::BufWriter::new(file);
        serde_json::to_writer_pretty(&mut writer, &har).map_err(|e| io_error(e.into()))?;
        writer.flush().map_err(io_error)?;
        tracing::info!(path = %path.display(), exchanges = details.len(), "HAR written");
        Ok(HarExport { path: path.to_path_buf(), exchanges: details.len() })
    }

    /// Writes every authority certificate of the workspace into the data
    /// directory, for `curl --cacert`, and returns the file's path.
    async fn write_authorities_file(&self) -> Result<PathBuf> {
        let mut conn = self.conn().await?;
        let authorities = self.authority_certificates(&mut conn).await?;
        drop(conn);
        let dir = data_dir();
        std::fs::create_dir_all(&dir).map_err(|source| Error::Io {
            action: "create the data directory",
            path: dir.display().to_string(),
            source,
        })?;
        let file = dir.join(AUTHORITIES_FILE);
        std::fs::write(&file, hopscope_pki::export::certificates_to_pem(&authorities)).map_err(|source| Error::Io {
            action: "write",
            path: file.display().to_string(),
            source,
        })?;
        Ok(file)
    }
}

/// Orders the participants as the verdict's path does, adds a client lane
/// when no originator simulator took part and a destination lane when the
/// destination wrote no record, and names the failed checks of each.
fn lanes(records: &[ExchangeRecord], verdict: &Verdict, topology: &Topology, destination: Option<&str>) -> Vec<Lane> {
    let failed = |name: &str| -> Vec<String> {
        verdict
            .checks
            .iter()
            .filter(|c| c.outcome == StepOutcome::Fail && c.hop.as_deref() == Some(name))
            .map(|c| c.name.as_str().to_string())
            .collect()
    };
    let mut lanes = Vec::new();
    for name in &verdict.path {
        let Some(index) = records.iter().position(|r| &r.hop == name) else { continue };
        let kind = match records[index].participant {
            Participant::Originator => LaneKind::Originator,
            Participant::Destination => LaneKind::Destination,
            Participant::Intermediary => match topology.intermediaries.iter().find(|i| &i.name == name).map(|i| i.kind) {
                Some(IntermediaryKind::Delegated) => LaneKind::Delegated,
                // The outermost hop of a path is the inbound gateway, also
                // when the intermediary was removed from the topology since.
                _ if lanes.iter().any(|l: &Lane| matches!(l.kind, LaneKind::InboundGateway)) => LaneKind::Delegated,
                _ => LaneKind::InboundGateway,
            },
        };
        lanes.push(Lane { name: name.clone(), kind, record: Some(index), failed_checks: failed(name) });
    }
    if !lanes.iter().any(|l| l.kind == LaneKind::Originator) {
        lanes.insert(0, Lane { name: "client".into(), kind: LaneKind::Client, record: None, failed_checks: Vec::new() });
    }
    if !lanes.iter().any(|l| l.kind == LaneKind::Destination) {
        if let Some(name) = destination {
            lanes.push(Lane { name: name.to_string(), kind: LaneKind::Destination, record: None, failed_checks: failed(name) });
        }
    }
    lanes
}

/// Builds the curl command from the originator's record, or from the
/// outermost hop's when no originator simulator took part.
fn curl_command(records: &[ExchangeRecord], authorities_file: &Path) -> Result<CurlCommand> {
    let originator = records.iter().find(|r| r.participant == Participant::Originator);
    let outermost = records
        .iter()
        .filter(|r| r.participant == Participant::Intermediary)
        .max_by(|a, b| a.timings.total_ms.total_cmp(&b.timings.total_ms));
    let Some(record) = originator.or(outermost) else {
        return Err(Error::Invalid(
            "the exchange has no record of the originator or of an intermediary, so its request is unknown".into(),
        ));
    };
    let request = &record.request;
    let url_text = if request.target.starts_with("https://") || request.target.starts_with("http://") {
        request.target.clone()
    } else {
        let authority = Some(request.authority.clone())
            .filter(|a| !a.is_empty())
            .or_else(|| header(&request.headers, "host").map(str::to_string))
            .ok_or_else(|| Error::Invalid(format!("the record of {} names no host for {}", record.hop, request.target)))?;
        format!("https://{authority}{}", request.target)
    };
    let url = url::Url::parse(&url_text).map_err(|e| Error::Invalid(format!("the recorded URL {url_text} is invalid: {e}")))?;
    let host = url.host_str().ok_or_else(|| Error::Invalid(format!("the recorded URL {url_text} has no host")))?;
    let port = url.port_or_known_default().unwrap_or(443);

    let mut notes = Vec::new();
    let mut words = vec![
        "curl".to_string(),
        "--resolve".to_string(),
        shell_word(&format!("{host}:{port}:127.0.0.1")),
        "--cacert".to_string(),
        shell_word(&authorities_file.display().to_string()),
    ];
    if record.http_version == "HTTP/2" {
        words.push("--http2".into());
    }
    match request.method.as_str() {
        "GET" => {}
        "HEAD" => words.push("--head".into()),
        method => {
            words.push("--request".into());
            words.push(shell_word(method));
        }
    }
    for (name, value) in &request.headers {
        let lower = name.to_ascii_lowercase();
        if CURL_SKIPPED_HEADERS.contains(&lower.as_str()) || lower.starts_with(':') {
            continue;
        }
        if lower == "authorization" || lower == "proxy-authorization" {
            notes.push(format!("the {name} header is recorded only as its SHA-256, so the command sends none"));
            continue;
        }
        words.push("--header".into());
        words.push(shell_word(&format!("{name}: {value}")));
    }

    let body = &request.body;
    let mut pipe = None;
    if body.size > 0 {
        match &body.captured {
            None => notes.push(format!("the request body ({} bytes) was not captured, so the command sends none", body.size)),
            Some(captured) => {
                if body.truncated {
                    notes.push(format!(
                        "only the first {} of {} request body bytes were captured, and the command sends only those",
                        captured.len(),
                        body.size
                    ));
                }
                match std::str::from_utf8(captured) {
                    Ok(text) => {
                        words.push("--data-binary".into());
                        words.push(shell_word(text));
                    }
                    Err(_) => {
                        pipe = Some(format!("printf '%s' {} | base64 -d |", shell_word(&STANDARD.encode(captured))));
                        words.push("--data-binary".into());
                        words.push("@-".into());
                    }
                }
            }
        }
    }
    words.push(shell_word(url.as_str()));
    let command = match pipe {
        Some(pipe) => format!("{pipe} {}", words.join(" ")),
        None => words.join(" "),
    };
    Ok(CurlCommand { command, notes })
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use hopscope_gateway::{BodyRecord, RequestRecord};

    fn originator(target: &str, method: &str, body: Option<&[u8]>) -> ExchangeRecord {
        ExchangeRecord {
            exchange_id: "x1".into(),
            hop: "clinic-a".into(),
            participant: Participant::Originator,
            http_version: "HTTP/1.1".into(),
            request: RequestRecord {
                method: method.into(),
                target: target.into(),
                headers: vec![
                    ("accept".into(), "application/fhir+json".into()),
                    ("x-hopscope-exchange".into(), "x1".into()),
                    ("authorization".into(), "sha256:00".into()),
                    ("content-length".into(), "2".into()),
                ],
                body: BodyRecord {
                    size: body.map_or(0, |b| b.len() as u64),
                    captured: body.map(bytes::Bytes::copy_from_slice),
                    ..Default::default()
                },
                ..Default::default()
            },
            ..Default::default()
        }
    }

    #[test]
    fn curl_repeats_a_get() {
        let records = [originator("https://fhir.int-one.test:8443/d-corp/metadata", "GET", None)];
        let curl = curl_command(&records, Path::new("/data/gateway-authorities.pem")).unwrap();
        assert_eq!(
            curl.command,
            "curl --resolve fhir.int-one.test:8443:127.0.0.1 --cacert /data/gateway-authorities.pem \
             --header 'accept: application/fhir+json' https://fhir.int-one.test:8443/d-corp/metadata"
        );
        assert_eq!(curl.notes.len(), 1, "{:?}", curl.notes);
        assert!(curl.notes[0].contains("authorization"), "{:?}", curl.notes);
    }

    #[test]
    fn curl_sends_text_body() {
        let records = [originator("https://fhir.int-one.test:8443/d-corp/Observation", "POST", Some(b"{\"a\":'b'}"))];
        let curl = curl_command(&records, Path::new("/ca.pem")).unwrap();
        assert!(curl.command.contains(r#"--request POST"#), "{}", curl.command);
        assert!(curl.command.contains(r#"--data-binary '{"a":'\''b'\''}'"#), "{}", curl.command);
    }

    #[test]
    fn curl_pipes_binary_body() {
        let records = [originator("https://fhir.int-one.test:8443/d-corp/Binary", "PUT", Some(&[0xff, 0x00]))];
        let curl = curl_command(&records, Path::new("/ca.pem")).unwrap();
        assert!(curl.command.starts_with("printf '%s' /wA= | base64 -d | curl "), "{}", curl.command);
        assert!(curl.command.contains("--data-binary @-"), "{}", curl.command);
    }

    #[test]
    fn curl_from_outermost_hop() {
        let mut inner = originator("/d-corp/metadata", "GET", None);
        inner.participant = Participant::Intermediary;
        inner.hop = "int-two".into();
        inner.request.authority = "int-two.internal.test:9444".into();
        inner.timings.total_ms = 1.0;
        let mut outer = inner.clone();
        outer.hop = "int-one".into();
        outer.request.authority = "fhir.int-one.test:8443".into();
        outer.timings.total_ms = 2.0;

        let curl = curl_command(&[inner, outer], Path::new("/ca.pem")).unwrap();

        assert!(curl.command.contains("--resolve fhir.int-one.test:8443:127.0.0.1"), "{}", curl.command);
        assert!(curl.command.ends_with(" https://fhir.int-one.test:8443/d-corp/metadata"), "{}", curl.command);
    }
}
