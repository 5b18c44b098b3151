//! Chain building to the anchors of a trust list, and the per-certificate
//! checks on validity period and key strength.

use rustls_pki_types::{CertificateDer, TrustAnchor, UnixTime};
use time::OffsetDateTime;

use crate::cert::{rfc3339, CertFacts, KeyKind, MIN_RSA_BITS};
use crate::decision::{Check, CheckName};
use crate::list::{Anchor, TrustList};

/// Most intermediates rustls-webpki 0.103 puts between a leaf and an anchor
/// (its `MAX_SUB_CA_COUNT`).
pub const MAX_INTERMEDIATES: usize = 6;

/// The result of chain building: the check and, when a path was found, the
/// anchor it ends at.
pub(crate) struct ChainResult<'l> {
    pub check: Check,
    pub anchor: Option<(&'l Anchor, CertFacts)>,
}

/// Builds a path from the leaf (`chain[0]`) through the other presented
/// certificates to an anchor of `list`, with rustls-webpki: signatures, key
/// usage, basic constraints, path length, name constraints and validity at
/// `at`. The leaf's extended key usage must include clientAuth when it has
/// the extension. A leaf whose key is pinned passes without an anchor.
pub(crate) fn check_chain<'l>(
    list: &'l TrustList,
    chain: &[CertFacts],
    at: OffsetDateTime,
) -> ChainResult<'l> {
    let leaf = &chain[0];
    let built = build_path(list, chain, at);
    let pinned = list.pinned_by_spki(&leaf.spki_sha256);
    let anchor = built
        .as_ref()
        .ok()
        .map(|(anchor, facts)| (*anchor, facts.clone()));

    let check = match (pinned, &built) {
        (Some(pin), Ok((anchor, _))) => Check::pass(
            CheckName::Chain,
            format!(
                "pinned: the leaf's key (SPKI SHA-256 {}) is pinned as {}; the chain also builds to anchor {} \"{}\"",
                leaf.spki_sha256, pin.id, anchor.id, anchor.subject
            ),
        ),
        (Some(pin), Err(_)) => Check::pass(
            CheckName::Chain,
            format!(
                "pinned: the leaf's key (SPKI SHA-256 {}) is pinned as {}, so no anchor is needed",
                leaf.spki_sha256, pin.id
            ),
        ),
        (None, Ok((anchor, _))) => {
            let via = match chain.len() {
                1 => "directly".to_string(),
                n => format!("through {} presented certificate(s) after the leaf", n - 1),
            };
            Check::pass(
                CheckName::Chain,
                format!(
                    "the chain builds from the leaf {} {via} to anchor {} \"{}\"",
                    leaf.label(),
                    anchor.id,
                    anchor.subject
                ),
            )
        }
        (None, Err(reason)) => Check::fail(CheckName::Chain, reason.clone()),
    };
    ChainResult { check, anchor }
}

/// Checks that every presented certificate, and the anchor the path ends at,
/// is within its validity period at `at`.
pub(crate) fn check_validity(
    chain: &[CertFacts],
    anchor: Option<&CertFacts>,
    at: OffsetDateTime,
) -> Check {
    let mut problems = Vec::new();
    for (position, cert) in positioned(chain, anchor) {
        if at > cert.not_after {
            problems.push(format!(
                "{position} {} expired: notAfter {} is before the evaluation time {}",
                cert.label(),
                rfc3339(cert.not_after),
                rfc3339(at)
            ));
        } else if at < cert.not_before {
            problems.push(format!(
                "{position} {} is not yet valid: notBefore {} is after the evaluation time {}",
                cert.label(),
                rfc3339(cert.not_before),
                rfc3339(at)
            ));
        }
    }
    if !problems.is_empty() {
        return Check::fail(CheckName::Validity, join_sentences(&problems));
    }
    let count = chain.len() + usize::from(anchor.is_some());
    let soonest = positioned(chain, anchor)
        .min_by_key(|(_, cert)| cert.not_after)
        .map(|(position, cert)| {
            format!(
                "; the first to expire is {position} {}, at {}",
                cert.label(),
                rfc3339(cert.not_after)
            )
        })
        .unwrap_or_default();
    Check::pass(
        CheckName::Validity,
        format!(
            "all {count} certificate(s) are valid at {}{soonest}",
            rfc3339(at)
        ),
    )
}

/// Rejects RSA keys under 2048 bits anywhere in the chain or the anchor.
/// rustls-webpki rejects such keys only where they sign a certificate, so a
/// weak leaf key would otherwise go unnoticed on a bare chain.
pub(crate) fn check_key_strength(chain: &[CertFacts], anchor: Option<&CertFacts>) -> Check {
    let mut weak = Vec::new();
    let mut keys = Vec::new();
    for (position, cert) in positioned(chain, anchor) {
        keys.push(format!("{position} {}", cert.key));
        if let KeyKind::Rsa { bits } = cert.key {
            if bits < MIN_RSA_BITS {
                weak.push(format!(
                    "{position} {} has an RSA key of {bits} bits, under the {MIN_RSA_BITS}-bit minimum; reissue it with a 2048-bit or larger RSA key or an ECDSA key",
                    cert.label()
                ));
            }
        }
    }
    if weak.is_empty() {
        Check::pass(
            CheckName::KeyStrength,
            format!("no RSA key under {MIN_RSA_BITS} bits: {}", keys.join(", ")),
        )
    } else {
        Check::fail(CheckName::KeyStrength, join_sentences(&weak))
    }
}

/// Runs rustls-webpki and returns the anchor the path ends at, or a plain
/// reason why no path was found.
fn build_path<'l>(
    list: &'l TrustList,
    chain: &[CertFacts],
    at: OffsetDateTime,
) -> Result<(&'l Anchor, CertFacts), String> {
    let anchor_ders: Vec<CertificateDer<'_>> = list
        .anchors
        .iter()
        .map(|a| CertificateDer::from(a.certificate_der.as_slice()))
        .collect();
    // Anchors that webpki cannot read were rejected when added; skipping one
    // here only makes a decision stricter.
    let anchors: Vec<(usize, TrustAnchor<'_>)> = anchor_ders
        .iter()
        .enumerate()
        .filter_map(|(i, der)| webpki::anchor_from_trusted_cert(der).ok().map(|ta| (i, ta)))
        .collect();
    if anchors.is_empty() {
        return Err("the trust list has no anchors, and the leaf is not pinned".into());
    }
    let trust_anchors: Vec<TrustAnchor<'_>> = anchors.iter().map(|(_, ta)| ta.clone()).collect();

    let leaf_der = CertificateDer::from(chain[0].der.as_slice());
    let leaf = webpki::EndEntityCert::try_from(&leaf_der)
        .map_err(|e| format!("webpki cannot read the leaf {}: {e}", chain[0].label()))?;
    let intermediates: Vec<CertificateDer<'_>> = chain[1..]
        .iter()
        .map(|c| CertificateDer::from(c.der.as_slice()))
        .collect();
    let seconds = u64::try_from(at.unix_timestamp()).unwrap_or(0);
    let time = UnixTime::since_unix_epoch(std::time::Duration::from_secs(seconds));

    let path = leaf
        .verify_for_usage(
            webpki::ALL_VERIFICATION_ALGS,
            &trust_anchors,
            &intermediates,
            time,
            webpki::KeyUsage::client_auth(),
            None,
            None,
        )
        .map_err(|e| explain_webpki_error(&e, list, chain))?;

    let used = path.anchor();
    let index = anchors
        .iter()
        .find(|(_, ta)| {
            ta.subject.as_ref() == used.subject.as_ref()
                && ta.subject_public_key_info.as_ref() == used.subject_public_key_info.as_ref()
        })
        .map(|(i, _)| *i)
        .ok_or("webpki returned an anchor that is not on the trust list")?;
    let anchor = &list.anchors[index];
    let facts = CertFacts::parse(&anchor.certificate_der)
        .map_err(|e| format!("anchor {} does not parse: {e}", anchor.id))?;
    Ok((anchor, facts))
}

/// Turns a webpki error into a sentence that names the certificate at fault
/// where the error allows.
fn explain_webpki_error(error: &webpki::Error, list: &TrustList, chain: &[CertFacts]) -> String {
    use webpki::Error as E;
    let top = chain.last().expect("chains are never empty");
    let by_time = |when: UnixTime| {
        chain
            .iter()
            .enumerate()
            .find(|(_, c)| {
                let seconds = when.as_secs() as i64;
                c.not_after.unix_timestamp() == seconds || c.not_before.unix_timestamp() == seconds
            })
            .map(|(i, c)| format!("{} {}", position_name(i), c.label()))
            .unwrap_or_else(|| "a certificate of the chain".into())
    };
    match error {
        E::UnknownIssuer => format!(
            "no anchor of the trust list issued this chain: the last presented certificate {} names the issuer \"{}\", and no anchor ({}) or presented certificate has that subject with a key that verifies it",
            top.label(),
            top.issuer,
            list.anchors.iter().map(|a| format!("{} \"{}\"", a.id, a.subject)).collect::<Vec<_>>().join(", ")
        ),
        E::CertExpired { time, not_after } => format!(
            "{} expired at {}, before the evaluation time {}",
            by_time(*not_after),
            unix_text(*not_after),
            unix_text(*time)
        ),
        E::CertNotValidYet { time, not_before } => format!(
            "{} is not valid until {}, after the evaluation time {}",
            by_time(*not_before),
            unix_text(*not_before),
            unix_text(*time)
        ),
        E::NameConstraintViolation => {
            let mut reason = "name constraints violated: a name of a certificate in the chain is outside the permitted subtrees, or inside the excluded subtrees, of an authority above it".to_string();
            let anchors = list.anchors.iter().filter_map(|a| CertFacts::parse(&a.certificate_der).ok());
            let constrained_by_form = chain.iter().cloned().chain(anchors).any(|c| c.has_uri_or_dirname_constraint);
            if constrained_by_form {
                // NOTE: rustls-webpki 0.103 implements only DNS and IP
                // address constraints and rejects every URI or directory
                // name subtree, even one the names satisfy.
                reason.push_str(". An authority here constrains URIs or directory names, which rustls-webpki rejects whatever the names are; use DNS or IP address constraints");
            }
            reason
        }
        E::MaximumPathDepthExceeded => format!(
            "chain too deep: more than {MAX_INTERMEDIATES} intermediate certificates between the leaf and an anchor ({} presented)",
            chain.len()
        ),
        E::PathLenConstraintViolated => "chain too deep for a path length constraint: an authority's basicConstraints pathLenConstraint allows fewer intermediates below it than this chain has".into(),
        E::CaUsedAsEndEntity => format!(
            "the leaf {} is a CA certificate (basicConstraints cA TRUE); an originator presents an end-entity certificate",
            chain[0].label()
        ),
        E::EndEntityUsedAsCa => "a certificate that issues another one in the chain is not a CA (basicConstraints cA is not TRUE)".into(),
        E::RequiredEkuNotFoundContext(_) => format!(
            "the leaf {} has an extended key usage without clientAuth (1.3.6.1.5.5.7.3.2)",
            chain[0].label()
        ),
        E::InvalidSignatureForPublicKey => "a certificate's signature does not verify with the key of the certificate that names it as issuer".into(),
        E::UnsupportedSignatureAlgorithmContext(_)
        | E::UnsupportedSignatureAlgorithmForPublicKeyContext(_) => "a certificate is signed with an algorithm or key that rustls-webpki does not accept, such as SHA-1 or an RSA key under 2048 bits".into(),
        E::UnsupportedCriticalExtension => "a certificate has a critical extension that rustls-webpki does not understand".into(),
        E::CertDistrusted => "a certificate's key is on rustls-webpki's built-in distrust list".into(),
        other => format!("no path to an anchor: rustls-webpki reports {other}"),
    }
}

/// Labels for the presented certificates followed by the anchor.
fn positioned<'a>(
    chain: &'a [CertFacts],
    anchor: Option<&'a CertFacts>,
) -> impl Iterator<Item = (String, &'a CertFacts)> {
    let presented = chain.iter().enumerate().map(|(i, c)| (position_name(i), c));
    presented.chain(anchor.map(|a| ("the anchor".to_string(), a)))
}

/// "the leaf" for index 0, then "presented certificate 2", and so on.
pub(crate) fn position_name(index: usize) -> String {
    match index {
        0 => "the leaf".into(),
        i => format!("presented certificate {}", i + 1),
    }
}

fn unix_text(time: UnixTime) -> String {
    match OffsetDateTime::from_unix_timestamp(time.as_secs() as i64) {
        Ok(t) => rfc3339(t),
        Err(_) => format!("{} s after the epoch", time.as_secs()),
    }
}

fn join_sentences(parts: &[String]) -> String {
    parts.join(". ")
}
