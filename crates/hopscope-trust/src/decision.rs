//! Trust decisions: every check on what an originator presented, with its
//! reason.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::cert::CertFacts;
use crate::chain::{check_chain, check_key_strength, check_validity, position_name};
use crate::jwt::{
    check_audience, check_issuer, check_lifetime, check_signature, check_token_id, DecodedJwt,
};
use crate::list::{DenyMatch, TrustList};
use crate::presented::Presented;
use crate::revocation::check_revocation;

/// Inputs of a decision besides the trust list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionContext {
    /// Evaluation time for validity periods, revocation dates and `exp`.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// The destination's public FHIR base URL; `aud` must be its `/register`
    /// or `/token` endpoint. A trailing slash is ignored.
    pub public_base_url: String,
    /// Private URLs of the destination and its intermediaries, named in the
    /// reason when `aud` points at one of them.
    pub private_urls: Vec<String>,
    /// DER CRLs the workspace holds.
    #[serde(with = "crls_base64")]
    pub crls: Vec<Vec<u8>>,
    /// Version of the trust list the decision used, copied into the result.
    pub trust_list_version: i64,
}

/// The outcome of evaluating an originator against a trust list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustDecision {
    /// True when no check failed and the chain builds to an anchor or the
    /// leaf is pinned.
    pub trusted: bool,
    /// Every check in `CheckName::ALL` order, applicable or not.
    pub checks: Vec<Check>,
    pub trust_list_version: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// The presented leaf, when one could be read.
    pub leaf: Option<LeafSummary>,
    /// Id of the anchor the chain builds to, if any.
    pub anchor_id: Option<String>,
    /// Id of the pinned entry that matches the leaf's key, if any.
    pub pinned_id: Option<String>,
}

/// One check with its outcome and a sentence naming the values compared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    pub name: CheckName,
    pub outcome: Outcome,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Pass,
    Fail,
    /// The check does not apply to this input, such as JWT claims on a bare
    /// chain. The reason gives the cause.
    NotApplicable,
}

/// The checks of a decision, in the order they are reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckName {
    /// `alg` is accepted and fits the leaf key, `x5c` is present, and the JWT
    /// signature verifies with the leaf key.
    Signature,
    /// The chain builds to an anchor (rustls-webpki), or the leaf is pinned.
    Chain,
    /// Every certificate is within its validity period.
    Validity,
    /// No certificate is revoked by the CRLs given.
    Revocation,
    /// No RSA key under 2048 bits.
    KeyStrength,
    /// No deny entry matches the chain.
    Denied,
    /// `iss` equals `sub` and a SAN URI of the leaf.
    Issuer,
    /// `aud` is the destination's registration or token endpoint at its
    /// public URL.
    Audience,
    /// `exp` is at most 5 minutes after `iat` and not past, and `iat` is not
    /// in the future.
    Lifetime,
    /// `jti` is present.
    TokenId,
}

/// The presented leaf certificate, for display next to the decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeafSummary {
    pub subject: String,
    pub issuer: String,
    /// Serial as lowercase hex of the DER integer content bytes.
    pub serial_hex: String,
    pub sha256_fingerprint: String,
    pub spki_sha256: String,
    pub san_uris: Vec<String>,
    /// Such as `ECDSA P-256` or `RSA 2048-bit`.
    pub key: String,
    #[serde(with = "time::serde::rfc3339")]
    pub not_before: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub not_after: OffsetDateTime,
}

/// Evaluates what an originator presented against a destination's trust
/// list. Unreadable input does not make it fail, because it becomes failed
/// checks with reasons.
pub fn decide(list: &TrustList, presented: &Presented, ctx: &DecisionContext) -> TrustDecision {
    let input = read_input(presented);
    let chain = input.chain.as_deref();
    let leaf = chain.map(|c| &c[0]);
    let no_chain = |name: CheckName| {
        let problem = input
            .chain_problem
            .as_deref()
            .unwrap_or("no certificate was presented");
        Check::not_applicable(name, format!("no certificate to check: {problem}"))
    };

    let signature = match &input.jwt {
        None => Check::not_applicable(
            CheckName::Signature,
            "a bare certificate chain carries no JWT signature".into(),
        ),
        Some(Ok(jwt)) => check_signature(jwt, leaf, input.chain_problem.as_deref()),
        Some(Err(reason)) => Check::fail(CheckName::Signature, reason.clone()),
    };

    let mut anchor_id = None;
    let mut pinned_id = None;
    let (chain_check, validity, revocation, key_strength, denied) = match chain {
        Some(chain) => {
            let built = check_chain(list, chain, ctx.at);
            let anchor = built.anchor.as_ref().map(|(_, facts)| facts);
            anchor_id = built.anchor.as_ref().map(|(a, _)| a.id.clone());
            pinned_id = list
                .pinned_by_spki(&chain[0].spki_sha256)
                .map(|p| p.id.clone());
            let anchors: Vec<CertFacts> = list
                .anchors
                .iter()
                .filter_map(|a| CertFacts::parse(&a.certificate_der).ok())
                .collect();
            (
                built.check.clone(),
                check_validity(chain, anchor, ctx.at),
                check_revocation(chain, &anchors, &ctx.crls, ctx.at),
                check_key_strength(chain, anchor),
                check_denied(list, chain),
            )
        }
        None => (
            Check::fail(
                CheckName::Chain,
                input
                    .chain_problem
                    .clone()
                    .unwrap_or_else(|| "no certificate was presented".into()),
            ),
            no_chain(CheckName::Validity),
            no_chain(CheckName::Revocation),
            no_chain(CheckName::KeyStrength),
            no_chain(CheckName::Denied),
        ),
    };

    let claim_checks = match &input.jwt {
        None => [
            CheckName::Issuer,
            CheckName::Audience,
            CheckName::Lifetime,
            CheckName::TokenId,
        ]
        .map(|name| {
            Check::not_applicable(name, "a bare certificate chain has no JWT claims".into())
        }),
        Some(Err(reason)) => [
            CheckName::Issuer,
            CheckName::Audience,
            CheckName::Lifetime,
            CheckName::TokenId,
        ]
        .map(|name| Check::fail(name, format!("the JWT cannot be read: {reason}"))),
        Some(Ok(jwt)) => match &jwt.claims {
            Ok(claims) => [
                check_issuer(claims, leaf),
                check_audience(claims, ctx),
                check_lifetime(claims, ctx.at),
                check_token_id(claims),
            ],
            Err(reason) => [
                CheckName::Issuer,
                CheckName::Audience,
                CheckName::Lifetime,
                CheckName::TokenId,
            ]
            .map(|name| Check::fail(name, reason.clone())),
        },
    };

    let mut checks = vec![
        signature,
        chain_check,
        validity,
        revocation,
        key_strength,
        denied,
    ];
    checks.extend(claim_checks);
    debug_assert!(checks.iter().map(|c| c.name).eq(CheckName::ALL));

    let chain_passed = checks
        .iter()
        .any(|c| c.name == CheckName::Chain && c.passed());
    let none_failed = checks.iter().all(|c| c.outcome != Outcome::Fail);
    TrustDecision {
        trusted: chain_passed && none_failed,
        checks,
        trust_list_version: ctx.trust_list_version,
        at: ctx.at,
        leaf: leaf.map(LeafSummary::from_facts),
        anchor_id,
        pinned_id,
    }
}

impl TrustDecision {
    /// Returns the check with this name, which every decision has.
    pub fn check(&self, name: CheckName) -> &Check {
        self.checks
            .iter()
            .find(|c| c.name == name)
            .expect("decide reports every check")
    }

    /// Returns the failed checks, in report order.
    pub fn failed(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| c.outcome == Outcome::Fail)
    }
}

impl Check {
    pub fn pass(name: CheckName, reason: String) -> Check {
        Check {
            name,
            outcome: Outcome::Pass,
            reason,
        }
    }

    pub fn fail(name: CheckName, reason: String) -> Check {
        Check {
            name,
            outcome: Outcome::Fail,
            reason,
        }
    }

    pub fn not_applicable(name: CheckName, reason: String) -> Check {
        Check {
            name,
            outcome: Outcome::NotApplicable,
            reason,
        }
    }

    pub fn passed(&self) -> bool {
        self.outcome == Outcome::Pass
    }
}

impl CheckName {
    pub const ALL: [CheckName; 10] = [
        CheckName::Signature,
        CheckName::Chain,
        CheckName::Validity,
        CheckName::Revocation,
        CheckName::KeyStrength,
        CheckName::Denied,
        CheckName::Issuer,
        CheckName::Audience,
        CheckName::Lifetime,
        CheckName::TokenId,
    ];

    /// Returns the name used in JSON and on the command line, such as
    /// `key-strength`.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckName::Signature => "signature",
            CheckName::Chain => "chain",
            CheckName::Validity => "validity",
            CheckName::Revocation => "revocation",
            CheckName::KeyStrength => "key-strength",
            CheckName::Denied => "denied",
            CheckName::Issuer => "issuer",
            CheckName::Audience => "audience",
            CheckName::Lifetime => "lifetime",
            CheckName::TokenId => "token-id",
        }
    }
}

impl std::fmt::Display for CheckName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl LeafSummary {
    fn from_facts(facts: &CertFacts) -> LeafSummary {
        LeafSummary {
            subject: facts.subject.clone(),
            issuer: facts.issuer.clone(),
            serial_hex: hex::encode(&facts.serial),
            sha256_fingerprint: facts.sha256_fingerprint.clone(),
            spki_sha256: facts.spki_sha256.clone(),
            san_uris: facts.san_uris.clone(),
            key: facts.key.to_string(),
            not_before: facts.not_before,
            not_after: facts.not_after,
        }
    }
}

/// The presented input, decoded as far as it goes.
struct Input {
    /// `None` for a bare chain; for a JWT, the decoded JWS or why it cannot be
    /// decoded.
    jwt: Option<Result<DecodedJwt, String>>,
    /// The parsed chain, leaf first, when there is at least one certificate
    /// and all parse.
    chain: Option<Vec<CertFacts>>,
    /// The cause when `chain` is `None`.
    chain_problem: Option<String>,
}

fn read_input(presented: &Presented) -> Input {
    let (jwt, ders, source) = match presented {
        Presented::Chain(ders) => (None, Ok(ders.clone()), "certificate"),
        Presented::Jwt(text) => match DecodedJwt::decode(text) {
            Ok(jwt) => {
                let ders = match jwt.x5c() {
                    Ok(Some(ders)) => Ok(ders),
                    Ok(None) => Err("the JWT header has no x5c; the originator must put its certificate chain there (base64 DER, leaf first)".to_string()),
                    Err(reason) => Err(reason),
                };
                (Some(Ok(jwt)), ders, "x5c")
            }
            Err(reason) => (Some(Err(reason.clone())), Err(reason), "x5c"),
        },
    };
    let parsed = ders.and_then(|ders| {
        if ders.is_empty() {
            return Err("the presented chain is empty; present the leaf certificate first".into());
        }
        ders.iter()
            .enumerate()
            .map(|(i, der)| {
                CertFacts::parse(der).map_err(|e| {
                    let position = if source == "x5c" {
                        format!("x5c[{i}]")
                    } else {
                        position_name(i)
                    };
                    format!("{position} is not a valid X.509 certificate: {e}")
                })
            })
            .collect::<Result<Vec<_>, String>>()
    });
    match parsed {
        Ok(chain) => Input {
            jwt,
            chain: Some(chain),
            chain_problem: None,
        },
        Err(problem) => Input {
            jwt,
            chain: None,
            chain_problem: Some(problem),
        },
    }
}

/// Matches deny entries: certificate and SPKI rules against every presented
/// certificate, SAN URI rules against the leaf.
fn check_denied(list: &TrustList, chain: &[CertFacts]) -> Check {
    let mut hits = Vec::new();
    for entry in &list.denied {
        let position = match &entry.rule {
            DenyMatch::Certificate { sha256_fingerprint } => chain
                .iter()
                .position(|c| &c.sha256_fingerprint == sha256_fingerprint),
            DenyMatch::Spki { spki_sha256 } => {
                chain.iter().position(|c| &c.spki_sha256 == spki_sha256)
            }
            DenyMatch::SanUri { uri } => chain[0].san_uris.contains(uri).then_some(0),
        };
        if let Some(i) = position {
            let note = if entry.note.is_empty() {
                String::new()
            } else {
                format!(", note \"{}\"", entry.note)
            };
            hits.push(format!(
                "{} {} is denied by entry {} ({}{note})",
                position_name(i),
                chain[i].label(),
                entry.id,
                entry.rule
            ));
        }
    }
    if !hits.is_empty() {
        return Check::fail(CheckName::Denied, hits.join(". "));
    }
    let reason = match list.denied.len() {
        0 => "the trust list denies no originator".to_string(),
        n => format!("none of the {n} deny entries matches the chain"),
    };
    Check::pass(CheckName::Denied, reason)
}

/// Serde for a list of DER CRLs as standard base64 strings.
mod crls_base64 {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(crls: &[Vec<u8>], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(crls.iter().map(|der| STANDARD.encode(der)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<Vec<u8>>, D::Error> {
        Vec::<String>::deserialize(deserializer)?
            .iter()
            .map(|text| {
                STANDARD
                    .decode(text.trim())
                    .map_err(serde::de::Error::custom)
            })
            .collect()
    }
}
