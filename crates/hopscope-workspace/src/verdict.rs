//! Verdicts: whether an exchange crossed every intermediary unchanged, check
//! by check, computed from its hop records and the originator's checks.
//!
//! The records of one exchange are ordered originator, intermediaries from
//! the outermost (the inbound gateway, whose record lasts longest) inwards,
//! then the destination. What the destination sent is the reference that
//! every hop and the originator are compared with.

use std::collections::HashMap;

use hopscope_gateway::{ExchangeRecord, Participant};
use hopscope_sim::{StepOutcome, StepReport};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{Result, Workspace};

/// The conformance result of one exchange.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    pub exchange_id: String,
    /// True when no check failed.
    pub passed: bool,
    /// Scenario step of the originator, when the originator simulator sent it.
    pub step: Option<String>,
    pub method: String,
    pub target: String,
    /// Status the originator received.
    pub status: Option<u16>,
    /// Participants in order: originator, intermediaries, destination.
    pub path: Vec<String>,
    pub checks: Vec<VerdictCheck>,
}

/// One check of a verdict with the hop where it failed and the values it
/// compared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerdictCheck {
    pub name: VerdictCheckName,
    pub outcome: StepOutcome,
    /// The participant where the check failed first.
    pub hop: Option<String>,
    pub reason: String,
    /// The value each participant had, in path order.
    pub compared: Vec<ComparedValue>,
}

/// A value seen at one participant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComparedValue {
    pub hop: String,
    pub value: Option<String>,
}

/// The checks of a verdict, in the order they are reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VerdictCheckName {
    /// The response body has the destination's SHA-256 at every hop and at
    /// the originator.
    BodyUnchanged,
    /// `Content-Digest`, `Signature-Input` and `Signature` are the
    /// destination's at every hop and at the originator.
    SignatureHeadersUnchanged,
    /// The originator verified `Content-Digest` and the signature with the
    /// destination-signing certificate of the signed metadata.
    SignatureValid,
    /// The access token the originator received is the one the destination
    /// issued.
    TokenUnchanged,
    /// The originator received the status the destination sent.
    StatusUnchanged,
    /// No private URL of the topology appears in a body, `Location` or
    /// `Content-Location` the originator received.
    NoPrivateUrl,
    /// Each hop presented a certificate of the role its host requires,
    /// valid at that moment.
    Certificates,
    /// The request's `Authorization` reached the destination unchanged.
    AuthorizationUnchanged,
    /// Only the destination decided on trust: no intermediary responded
    /// 401 or 403 itself, and the destination decided with its trust list.
    TrustDecidedByDestination,
    /// The originator received the status its scenario step expects.
    ExpectedStatus,
}

impl VerdictCheckName {
    pub fn as_str(self) -> &'static str {
        match self {
            VerdictCheckName::BodyUnchanged => "body-unchanged",
            VerdictCheckName::SignatureHeadersUnchanged => "signature-headers-unchanged",
            VerdictCheckName::SignatureValid => "signature-valid",
            VerdictCheckName::TokenUnchanged => "token-unchanged",
            VerdictCheckName::StatusUnchanged => "status-unchanged",
            VerdictCheckName::NoPrivateUrl => "no-private-url",
            VerdictCheckName::Certificates => "certificates",
            VerdictCheckName::AuthorizationUnchanged => "authorization-unchanged",
            VerdictCheckName::TrustDecidedByDestination => "trust-decided-by-destination",
            VerdictCheckName::ExpectedStatus => "expected-status",
        }
    }
}

/// Facts about a certificate a hop presented, as a verdict needs them.
#[derive(Debug, Clone)]
pub struct KnownCertificate {
    pub credential: String,
    /// Role of the credential (`public-endpoint`, `private-endpoint`, …).
    pub role: String,
    /// Host of the credential's FHIR URL, which the certificate names.
    pub host: Option<String>,
    /// Unix seconds.
    pub not_before: i64,
    pub not_after: i64,
    pub revoked_at: Option<i64>,
}

impl Workspace {
    /// Computes the verdict of a recorded exchange.
    pub async fn verdict(&self, exchange_id: &str) -> Result<Verdict> {
        let detail = self.exchange(exchange_id).await?;
        let mut certificates = HashMap::new();
        for record in &detail.records {
            for fingerprint in presented_fingerprints(record) {
                if certificates.contains_key(&fingerprint) {
                    continue;
                }
                if let Some(known) = self.known_certificate(&fingerprint).await? {
                    certificates.insert(fingerprint, known);
                }
            }
        }
        Ok(judge(&detail.records, &certificates))
    }

    async fn known_certificate(&self, fingerprint: &str) -> Result<Option<KnownCertificate>> {
        let mut conn = self.conn().await?;
        crate::exchange_list::known_certificate(&mut conn, fingerprint).await
    }
}

fn presented_fingerprints(record: &ExchangeRecord) -> Vec<String> {
    let mut fingerprints = Vec::new();
    if record.participant != Participant::Originator {
        fingerprints.extend(record.inbound_tls.certificate_sha256.clone());
    }
    if let Some(tls) = record.upstream.as_ref().and_then(|u| u.tls.as_ref()) {
        fingerprints.extend(tls.certificate_sha256.clone());
    }
    fingerprints
}

/// The records of one exchange in path order.
struct Path<'a> {
    originator: Option<&'a ExchangeRecord>,
    report: Option<StepReport>,
    /// Outermost first.
    intermediaries: Vec<&'a ExchangeRecord>,
    destination: Option<&'a ExchangeRecord>,
}

impl<'a> Path<'a> {
    fn new(records: &'a [ExchangeRecord]) -> Path<'a> {
        let originator = records.iter().find(|r| r.participant == Participant::Originator);
        let destination = records.iter().find(|r| r.participant == Participant::Destination);
        let mut intermediaries: Vec<&ExchangeRecord> = records
            .iter()
            .filter(|r| r.participant == Participant::Intermediary)
            .collect();
        // An outer hop's record spans the inner hops' records.
        intermediaries.sort_by(|a, b| b.timings.total_ms.total_cmp(&a.timings.total_ms));
        let report = originator
            .and_then(|r| r.details.clone())
            .and_then(|details| serde_json::from_value::<StepReport>(details).ok());
        Path { originator, report, intermediaries, destination }
    }

    /// Returns every participant that sent the response on, innermost
    /// first after the destination: the order a changed value travels in.
    fn outward(&self) -> Vec<&'a ExchangeRecord> {
        let mut hops: Vec<&ExchangeRecord> = self.intermediaries.iter().rev().copied().collect();
        hops.extend(self.originator);
        hops
    }

    fn names(&self) -> Vec<String> {
        let mut names = Vec::new();
        names.extend(self.originator.map(|r| r.hop.clone()));
        names.extend(self.intermediaries.iter().map(|r| r.hop.clone()));
        names.extend(self.destination.map(|r| r.hop.clone()));
        names
    }

    /// Returns the record whose response is the reference: the destination's, or
    /// for a destination without a simulator (an external server) the
    /// innermost intermediary's, which passed on what the server sent.
    fn reference(&self) -> Option<&'a ExchangeRecord> {
        self.destination.or_else(|| {
            self.intermediaries
                .last()
                .copied()
                .filter(|r| r.response.as_ref().is_some_and(|resp| !resp.from_gateway))
        })
    }

    /// Returns the intermediary that made the response the originator got,
    /// if one did: the innermost that responded itself, or else the innermost that
    /// sent no response at all.
    fn answered_by_intermediary(&self) -> Option<&'a ExchangeRecord> {
        let answered = self
            .intermediaries
            .iter()
            .rev()
            .find(|r| r.response.as_ref().is_some_and(|resp| resp.from_gateway));
        answered
            .or_else(|| self.intermediaries.iter().rev().find(|r| r.response.is_none()))
            .copied()
    }

    /// Returns the innermost intermediary that sent no response, such as one
    /// that dropped the connection.
    fn silent_intermediary(&self) -> Option<&'a ExchangeRecord> {
        self.intermediaries.iter().rev().find(|r| r.response.is_none()).copied()
    }
}

/// Computes a verdict from the records of one exchange and the workspace's
/// certificates by SHA-256 fingerprint.
pub fn judge(records: &[ExchangeRecord], certificates: &HashMap<String, KnownCertificate>) -> Verdict {
    let path = Path::new(records);
    let outermost = path.originator.or(path.intermediaries.first().copied()).or(path.destination);
    let checks = vec![
        body_unchanged(&path),
        signature_headers_unchanged(&path),
        signature_valid(&path),
        token_unchanged(&path),
        status_unchanged(&path),
        no_private_url(&path),
        certificates_by_role(&path, certificates),
        authorization_unchanged(&path),
        trust_decided_by_destination(&path),
        expected_status(&path),
    ];
    Verdict {
        exchange_id: outermost.map(|r| r.exchange_id.clone()).unwrap_or_default(),
        passed: checks.iter().all(|c| c.outcome != StepOutcome::Fail),
        step: path.report.as_ref().map(|r| r.step.clone()),
        method: outermost.map(|r| r.request.method.clone()).unwrap_or_default(),
        target: outermost.map(|r| r.request.target.clone()).unwrap_or_default(),
        status: outermost.and_then(|r| r.response.as_ref().map(|resp| resp.status)),
        path: path.names(),
        checks,
    }
}

fn check(name: VerdictCheckName, outcome: StepOutcome, hop: Option<String>, reason: String, compared: Vec<ComparedValue>) -> VerdictCheck {
    VerdictCheck { name, outcome, hop, reason, compared }
}

fn not_applicable(name: VerdictCheckName, reason: impl Into<String>) -> VerdictCheck {
    check(name, StepOutcome::NotApplicable, None, reason.into(), Vec::new())
}

fn did_not_reach(path: &Path<'_>) -> String {
    let silent = path
        .silent_intermediary()
        .map(|hop| format!(" after {} sent no response", hop.hop))
        .unwrap_or_default();
    match path.answered_by_intermediary() {
        Some(hop) => match &hop.response {
            Some(response) => format!(
                "the exchange did not reach the destination: {} answered {} itself{silent}",
                hop.hop, response.status
            ),
            None => format!("the exchange did not reach the destination: {} sent no response", hop.hop),
        },
        None => "the exchange has no record of the destination's response".into(),
    }
}

/// Compares one response value at every participant with the reference's,
/// outward from the destination, and fails at the first that differs.
fn compare_outward(
    name: VerdictCheckName,
    path: &Path<'_>,
    what: &str,
    value: impl Fn(&ExchangeRecord) -> Option<String>,
) -> VerdictCheck {
    let Some(reference) = path.reference() else {
        return not_applicable(name, did_not_reach(path));
    };
    let expected = value(reference);
    let mut compared = vec![ComparedValue { hop: reference.hop.clone(), value: expected.clone() }];
    let mut first_difference = None;
    for record in path.outward() {
        if std::ptr::eq(record, reference) {
            continue;
        }
        let seen = value(record);
        if seen != expected && first_difference.is_none() {
            first_difference = Some((record.hop.clone(), seen.clone()));
        }
        compared.push(ComparedValue { hop: record.hop.clone(), value: seen });
    }
    compared.reverse();
    match first_difference {
        None => check(
            name,
            StepOutcome::Pass,
            None,
            format!("{what}: the same at every hop as {} sent it", reference.hop),
            compared,
        ),
        Some((hop, seen)) => check(
            name,
            StepOutcome::Fail,
            Some(hop.clone()),
            format!(
                "{what} differs from {hop} on: {} sent {}, {hop} passed on {}",
                reference.hop,
                shown(&expected),
                shown(&seen)
            ),
            compared,
        ),
    }
}

fn shown(value: &Option<String>) -> String {
    match value {
        Some(value) => format!("{value:?}"),
        None => "none".into(),
    }
}

fn body_unchanged(path: &Path<'_>) -> VerdictCheck {
    compare_outward(VerdictCheckName::BodyUnchanged, path, "the response body's SHA-256", |record| {
        record.response.as_ref().and_then(|r| r.body.sha256.clone())
    })
}

fn signature_headers_unchanged(path: &Path<'_>) -> VerdictCheck {
    let signs = path
        .reference()
        .and_then(|r| r.response.as_ref())
        .is_some_and(|r| r.signature.is_some() || r.content_digest.is_some());
    if path.reference().is_some() && !signs {
        return not_applicable(
            VerdictCheckName::SignatureHeadersUnchanged,
            "the destination's response has no Content-Digest or Signature: it does not sign",
        );
    }
    compare_outward(
        VerdictCheckName::SignatureHeadersUnchanged,
        path,
        "Content-Digest, Signature-Input and Signature",
        |record| {
            record.response.as_ref().map(|r| {
                format!(
                    "Content-Digest: {}; Signature-Input: {}; Signature: {}",
                    r.content_digest.as_deref().unwrap_or("(missing)"),
                    r.signature_input.as_deref().unwrap_or("(missing)"),
                    r.signature.as_deref().unwrap_or("(missing)")
                )
            })
        },
    )
}

fn signature_valid(path: &Path<'_>) -> VerdictCheck {
    let name = VerdictCheckName::SignatureValid;
    let Some(report) = &path.report else {
        return not_applicable(name, "no originator simulator checked this exchange");
    };
    let destination_signs = path
        .reference()
        .and_then(|r| r.response.as_ref())
        .is_some_and(|r| r.signature.is_some());
    if path.destination.is_none() && path.reference().is_some() && !destination_signs {
        return not_applicable(name, "the destination does not sign its responses");
    }
    if report.status.is_none() {
        return check(name, StepOutcome::Fail, path.originator.map(|r| r.hop.clone()), format!(
            "the originator received no response: {}",
            report.error.as_deref().unwrap_or("no reason recorded")
        ), Vec::new());
    }
    let mut failed = Vec::new();
    let mut passed = Vec::new();
    for key in ["content-digest", "signature"] {
        match report.checks.get(key) {
            Some(c) if c.outcome == StepOutcome::Fail => failed.push(c.detail.clone()),
            Some(c) if c.outcome == StepOutcome::Pass => passed.push(c.detail.clone()),
            _ => {}
        }
    }
    let originator = path.originator.map(|r| r.hop.clone());
    if !failed.is_empty() {
        check(name, StepOutcome::Fail, originator, failed.join("; "), Vec::new())
    } else if passed.len() == 2 {
        check(name, StepOutcome::Pass, None, passed.join("; "), Vec::new())
    } else {
        not_applicable(name, "the originator knew no destination-signing certificate to check with")
    }
}

fn token_unchanged(path: &Path<'_>) -> VerdictCheck {
    let name = VerdictCheckName::TokenUnchanged;
    let issued = path
        .destination
        .and_then(|r| r.details.as_ref())
        .and_then(|d| d.get("token_issued_sha256"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let Some(issued) = issued else {
        return not_applicable(name, "the destination issued no token in this exchange");
    };
    let received = path.report.as_ref().and_then(|r| r.token_received_sha256.clone());
    let destination = path.destination.map(|r| r.hop.clone()).unwrap_or_default();
    let originator = path.originator.map(|r| r.hop.clone()).unwrap_or_else(|| "the originator".into());
    let compared = vec![
        ComparedValue { hop: originator.clone(), value: received.clone() },
        ComparedValue { hop: destination.clone(), value: Some(issued.clone()) },
    ];
    match received {
        Some(received) if received == issued => check(
            name,
            StepOutcome::Pass,
            None,
            format!("the token {originator} received has the SHA-256 of the token {destination} issued ({issued})"),
            compared,
        ),
        Some(received) => {
            // The first hop whose response body differs from the
            // destination's is where the token was changed.
            let changed_at = body_unchanged(path).hop.unwrap_or_else(|| originator.clone());
            check(
                name,
                StepOutcome::Fail,
                Some(changed_at.clone()),
                format!("token changed: {destination} issued a token with SHA-256 {issued}, {originator} received one with {received}; the body first differs at {changed_at}"),
                compared,
            )
        }
        None => check(
            name,
            StepOutcome::Fail,
            Some(originator.clone()),
            format!("{destination} issued a token (SHA-256 {issued}) but {originator} received none"),
            compared,
        ),
    }
}

fn status_unchanged(path: &Path<'_>) -> VerdictCheck {
    let name = VerdictCheckName::StatusUnchanged;
    let received = path
        .originator
        .or(path.intermediaries.first().copied())
        .and_then(|r| r.response.as_ref().map(|resp| resp.status));
    let Some(reference) = path.reference() else {
        let hop = path.answered_by_intermediary().map(|r| r.hop.clone());
        return check(name, StepOutcome::Fail, hop, did_not_reach(path), Vec::new());
    };
    let sent = reference.response.as_ref().map(|r| r.status);
    let mut result = compare_outward(name, path, "the status", |record| {
        record.response.as_ref().map(|r| r.status.to_string())
    });
    if let (StepOutcome::Pass, Some(sent), Some(received)) = (result.outcome, sent, received) {
        result.reason = format!("{} sent {sent} and the originator received {received}", reference.hop);
    }
    result
}

fn no_private_url(path: &Path<'_>) -> VerdictCheck {
    let name = VerdictCheckName::NoPrivateUrl;
    match path.report.as_ref().and_then(|r| r.checks.get("private-url")) {
        Some(c) if c.outcome == StepOutcome::Fail => match path.answered_by_intermediary() {
            // A hop's own error (a 502 naming the next hop's URL, say)
            // leaks the URL, not the destination.
            Some(hop) => check(
                name,
                StepOutcome::Fail,
                Some(hop.hop.clone()),
                format!("{} answered itself and its response names a private URL: {}", hop.hop, c.detail),
                Vec::new(),
            ),
            None => check(
                name,
                StepOutcome::Fail,
                path.reference().map(|r| r.hop.clone()),
                c.detail.clone(),
                Vec::new(),
            ),
        },
        Some(c) => check(name, c.outcome, None, c.detail.clone(), Vec::new()),
        None => not_applicable(name, "no originator simulator read this response"),
    }
}

fn certificates_by_role(path: &Path<'_>, certificates: &HashMap<String, KnownCertificate>) -> VerdictCheck {
    let name = VerdictCheckName::Certificates;
    let mut legs: Vec<&ExchangeRecord> = path.intermediaries.clone();
    legs.extend(path.destination);
    if legs.is_empty() {
        return not_applicable(name, "no hop recorded a TLS connection");
    }
    let mut compared = Vec::new();
    for (index, record) in legs.iter().enumerate() {
        let expected_role = if index == 0 { "public-endpoint" } else { "private-endpoint" };
        let sni = record.inbound_tls.sni.clone().unwrap_or_default().to_ascii_lowercase();
        let fingerprint = presented_certificate(&legs, index);
        compared.push(ComparedValue { hop: record.hop.clone(), value: fingerprint.clone() });
        let at = (record.started_at_unix_ms / 1000) as i64;
        let problem = match fingerprint.as_ref().and_then(|f| certificates.get(f)) {
            None => Some(format!(
                "{} presented certificate {} for {sni:?}, which is not in the workspace",
                record.hop,
                fingerprint.as_deref().unwrap_or("(none recorded)")
            )),
            Some(known) if known.role != expected_role => Some(format!(
                "{} presented {} ({}) for {sni:?}; that host needs a {expected_role} certificate",
                record.hop, known.credential, known.role
            )),
            Some(known) if known.host.as_deref().is_some_and(|host| !sni.is_empty() && host != sni) => Some(format!(
                "{} presented {} for {sni:?}, but that credential is for {:?}",
                record.hop,
                known.credential,
                known.host.as_deref().unwrap_or_default()
            )),
            Some(known) if at < known.not_before || at > known.not_after => Some(format!(
                "{} presented {}, which was not valid at that moment",
                record.hop, known.credential
            )),
            Some(known) if known.revoked_at.is_some_and(|revoked| revoked <= at) => Some(format!(
                "{} presented {}, which was revoked",
                record.hop, known.credential
            )),
            Some(_) => None,
        };
        if let Some(problem) = problem {
            return check(name, StepOutcome::Fail, Some(record.hop.clone()), problem, compared);
        }
    }
    let names: Vec<String> = legs
        .iter()
        .enumerate()
        .map(|(index, record)| {
            let credential = presented_certificate(&legs, index)
                .as_ref()
                .and_then(|f| certificates.get(f))
                .map(|k| k.credential.clone())
                .unwrap_or_default();
            let role = if index == 0 { "public-endpoint" } else { "private-endpoint" };
            format!("{} presented {credential} ({role})", record.hop)
        })
        .collect();
    check(name, StepOutcome::Pass, None, format!("{}, each valid at that moment", names.join(", ")), compared)
}

/// Returns the fingerprint of the certificate the hop at `index` presented.
///
/// The client's view wins: the previous hop's record of the upstream leg
/// names the certificate it verified. On a resumed TLS session the server
/// presents no certificate and records the one it would present now, while
/// the client still has the one the session was made with, which after a
/// rotation is the older one.
fn presented_certificate(legs: &[&ExchangeRecord], index: usize) -> Option<String> {
    let upstream_view = index
        .checked_sub(1)
        .and_then(|previous| legs[previous].upstream.as_ref())
        .and_then(|upstream| upstream.tls.as_ref())
        .and_then(|tls| tls.certificate_sha256.clone());
    upstream_view.or_else(|| legs[index].inbound_tls.certificate_sha256.clone())
}

fn authorization_unchanged(path: &Path<'_>) -> VerdictCheck {
    let name = VerdictCheckName::AuthorizationUnchanged;
    let Some(destination) = path.destination.or_else(|| path.intermediaries.last().copied()) else {
        return not_applicable(name, "no hop recorded the request");
    };
    let authorization = |record: &ExchangeRecord| {
        record
            .request
            .headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("authorization"))
            .map(|(_, value)| value.clone())
    };
    let Some(first) = path.originator.or(path.intermediaries.first().copied()) else {
        return not_applicable(name, "no hop recorded the request");
    };
    if path.destination.is_none() && path.answered_by_intermediary().is_some() {
        return not_applicable(name, did_not_reach(path));
    }
    let sent = authorization(first);
    let arrived = authorization(destination);
    let compared = vec![
        ComparedValue { hop: first.hop.clone(), value: sent.clone() },
        ComparedValue { hop: destination.hop.clone(), value: arrived.clone() },
    ];
    if sent == arrived {
        let reason = if sent.is_some() {
            format!("the Authorization header (compared by SHA-256) left {} and reached {} unchanged", first.hop, destination.hop)
        } else {
            format!("{} sent no Authorization header and none reached {}", first.hop, destination.hop)
        };
        return check(name, StepOutcome::Pass, None, reason, compared);
    }
    // The first hop where the value differs from what the originator sent.
    let changed_at = path
        .intermediaries
        .iter()
        .chain(path.destination.iter())
        .find(|r| authorization(r) != sent)
        .map(|r| r.hop.clone());
    check(
        name,
        StepOutcome::Fail,
        changed_at.clone(),
        format!(
            "the Authorization header changed on the way: {} sent {}, {} received {}",
            first.hop,
            shown(&sent),
            changed_at.as_deref().unwrap_or(&destination.hop),
            shown(&arrived)
        ),
        compared,
    )
}

fn trust_decided_by_destination(path: &Path<'_>) -> VerdictCheck {
    let name = VerdictCheckName::TrustDecidedByDestination;
    if let Some(hop) = path.intermediaries.iter().find(|r| {
        r.response
            .as_ref()
            .is_some_and(|resp| resp.from_gateway && (resp.status == 401 || resp.status == 403))
    }) {
        return check(
            name,
            StepOutcome::Fail,
            Some(hop.hop.clone()),
            format!("{} answered {} itself; only the destination may decide on trust", hop.hop, hop.response.as_ref().map(|r| r.status).unwrap_or_default()),
            Vec::new(),
        );
    }
    let Some(destination) = path.destination else {
        return not_applicable(name, did_not_reach(path));
    };
    let details = destination.details.as_ref();
    if let Some(decision) = details.and_then(|d| d.get("trust_decision")) {
        let trusted = decision.get("trusted").and_then(Value::as_bool).unwrap_or(false);
        let version = decision.get("trust_list_version").and_then(Value::as_i64).unwrap_or_default();
        let outcome = if trusted { "trusted" } else { "did not trust" };
        return check(
            name,
            StepOutcome::Pass,
            None,
            format!("{} {outcome} the originator, deciding with trust list version {version}", destination.hop),
            Vec::new(),
        );
    }
    match details.and_then(|d| d.get("authorization")).and_then(|a| a.get("outcome")).and_then(Value::as_str) {
        Some(outcome) => check(
            name,
            StepOutcome::Pass,
            None,
            format!("{} checked the access token itself ({outcome})", destination.hop),
            Vec::new(),
        ),
        None => not_applicable(name, format!("{} made no trust decision for this request", destination.hop)),
    }
}

fn expected_status(path: &Path<'_>) -> VerdictCheck {
    let name = VerdictCheckName::ExpectedStatus;
    match path.report.as_ref() {
        None => not_applicable(name, "no originator simulator sent this request"),
        Some(report) => match report.checks.get("expected-status") {
            Some(c) => check(
                name,
                c.outcome,
                path.originator
                    .filter(|_| c.outcome == StepOutcome::Fail)
                    .map(|r| r.hop.clone()),
                format!("step {}: {}", report.step, c.detail),
                Vec::new(),
            ),
            None => check(
                name,
                StepOutcome::Fail,
                path.originator.map(|r| r.hop.clone()),
                format!(
                    "step {} received no response: {}",
                    report.step,
                    report.error.as_deref().unwrap_or("no reason recorded")
                ),
                Vec::new(),
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use hopscope_gateway::{ResponseRecord, TlsInfo};

    use super::*;

    fn record(hop: &str, participant: Participant, total_ms: f64, sha256: &str, signed: bool) -> ExchangeRecord {
        ExchangeRecord {
            exchange_id: "x1".into(),
            hop: hop.into(),
            participant,
            inbound_tls: TlsInfo {
                sni: Some(format!("{hop}.test")),
                certificate_sha256: Some(format!("cert-{hop}")),
                ..Default::default()
            },
            response: Some(ResponseRecord {
                status: 200,
                body: hopscope_gateway::BodyRecord {
                    size: 10,
                    sha256: Some(sha256.into()),
                    complete: true,
                    ..Default::default()
                },
                signature: signed.then(|| "sig1=:AAAA:".to_string()),
                content_digest: signed.then(|| "sha-256=:AAAA:".to_string()),
                signature_input: signed.then(|| "sig1=(\"@status\")".to_string()),
                ..Default::default()
            }),
            timings: hopscope_gateway::Timings { total_ms, ..Default::default() },
            ..Default::default()
        }
    }

    fn outcome(verdict: &Verdict, name: VerdictCheckName) -> &VerdictCheck {
        verdict.checks.iter().find(|c| c.name == name).unwrap()
    }

    #[test]
    fn unsigned_external_destination_skips_signature_checks() {
        // Two hops in front of an external server: no destination record.
        let records = vec![
            record("int-one", Participant::Intermediary, 20.0, "aa", false),
            record("int-two", Participant::Intermediary, 10.0, "aa", false),
        ];

        let verdict = judge(&records, &HashMap::new());

        assert_eq!(verdict.path, ["int-one", "int-two"]);
        assert_eq!(outcome(&verdict, VerdictCheckName::BodyUnchanged).outcome, StepOutcome::Pass);
        assert_eq!(
            outcome(&verdict, VerdictCheckName::SignatureHeadersUnchanged).outcome,
            StepOutcome::NotApplicable
        );
        assert_eq!(outcome(&verdict, VerdictCheckName::SignatureValid).outcome, StepOutcome::NotApplicable);
        assert_eq!(outcome(&verdict, VerdictCheckName::StatusUnchanged).outcome, StepOutcome::Pass);
    }

    #[test]
    fn changed_body_fails_at_first_hop_that_differs() {
        let records = vec![
            record("d-corp", Participant::Destination, 2.0, "aa", true),
            record("int-one", Participant::Intermediary, 20.0, "bb", true),
            record("int-two", Participant::Intermediary, 10.0, "bb", true),
        ];

        let verdict = judge(&records, &HashMap::new());

        let body = outcome(&verdict, VerdictCheckName::BodyUnchanged);
        assert_eq!(body.outcome, StepOutcome::Fail);
        assert_eq!(body.hop.as_deref(), Some("int-two"), "{body:?}");
        assert_eq!(body.compared.len(), 3);
        assert!(!verdict.passed);
    }

    #[test]
    fn unknown_certificate_fails_certificates_check() {
        let records = vec![record("int-one", Participant::Intermediary, 20.0, "aa", false)];

        let verdict = judge(&records, &HashMap::new());

        let certificates = outcome(&verdict, VerdictCheckName::Certificates);
        assert_eq!(certificates.outcome, StepOutcome::Fail);
        assert!(certificates.reason.contains("not in the workspace"), "{certificates:?}");
    }

    #[test]
    fn gateway_answering_401_takes_trust_decision() {
        let mut answered = record("int-one", Participant::Intermediary, 5.0, "aa", false);
        if let Some(response) = answered.response.as_mut() {
            response.status = 401;
            response.from_gateway = true;
        }

        let verdict = judge(&[answered], &HashMap::new());

        let trust = outcome(&verdict, VerdictCheckName::TrustDecidedByDestination);
        assert_eq!(trust.outcome, StepOutcome::Fail);
        assert_eq!(trust.hop.as_deref(), Some("int-one"));
    }

    #[test]
    fn resumed_session_is_judged_by_client_view() {
        let mut outer = record("int-one", Participant::Intermediary, 20.0, "aa", false);
        outer.upstream = Some(hopscope_gateway::UpstreamRecord {
            tls: Some(TlsInfo {
                certificate_sha256: Some("old".into()),
                ..Default::default()
            }),
            ..Default::default()
        });
        let mut inner = record("int-two", Participant::Intermediary, 10.0, "aa", false);
        inner.inbound_tls.certificate_sha256 = Some("new".into());
        let known = |credential: &str, role: &str, revoked_at: Option<i64>| KnownCertificate {
            credential: credential.into(),
            role: role.into(),
            host: None,
            not_before: 0,
            not_after: i64::MAX,
            revoked_at,
        };
        let certificates = HashMap::from([
            ("cert-int-one".to_string(), known("int-one-public", "public-endpoint", None)),
            ("old".to_string(), known("int-two-private", "private-endpoint", Some(0))),
            ("new".to_string(), known("int-two-private", "private-endpoint", None)),
        ]);

        let verdict = judge(&[outer, inner], &certificates);

        let check = outcome(&verdict, VerdictCheckName::Certificates);
        assert_eq!(check.outcome, StepOutcome::Fail, "{check:?}");
        assert!(check.reason.contains("revoked"), "{check:?}");
        assert_eq!(check.hop.as_deref(), Some("int-two"));
    }

}
