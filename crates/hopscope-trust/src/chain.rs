//! Chain building to the anchors of a trust list, and the per-certificate
//! checks on validity period and key strength.

use rustls_pki_types::{CertificateDer, TrustAnchor, UnixTime};
use time::OffsetDateTime;

use crate::cert::{rfc3339, CertFacts, KeyKind, MIN_RSA_BITS};
use crate::decision::{Check, CheckName};
use crate::list::{Anchor, TrustList};

/// Maximum number of intermediates rustls-webpki 0.103 accepts between a
/// leaf and an anchor (its `MAX_SUB_CA_COUNT`).
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

    let check = match (pinned, &built) {
        (Some(pin), Ok(path)) => Check::pass(
            CheckName::Chain,
            format!(
                "pinned: the leaf's key (SPKI SHA-256 {}) is pinned as {}; the chain also builds to anchor {} \"{}\"",
                leaf.spki_sha256, pin.id, path.anchor.id, path.anchor.subject
            ),
        ),
        (Some(pin), Err(_)) => Check::pass(
            CheckName::Chain,
            format!(
                "pinned: the leaf's key (SPKI SHA-256 {}) is pinned as {}, so no anchor is needed",
                leaf.spki_sha256, pin.id
            ),
        ),
        (None, Ok(path)) => {
            let via = if path.intermediates.is_empty() {
                "directly".to_string()
            } else {
                format!("through {}", path.intermediates.join(", "))
            };
            Check::pass(
                CheckName::Chain,
                format!(
                    "the chain builds from the leaf {} {via} to anchor {} \"{}\"",
                    leaf.label(),
                    path.anchor.id,
                    path.anchor.subject
                ),
            )
        }
        (None, Err(reason)) => Check::fail(CheckName::Chain, reason.clone()),
    };
    let anchor = built.ok().map(|path| (path.anchor, path.anchor_facts));
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

/// A path rustls-webpki found.
struct Path<'l> {
    anchor: &'l Anchor,
    anchor_facts: CertFacts,
    /// Subjects of the intermediates, from the leaf's issuer up.
    intermediates: Vec<String>,
}

/// Runs rustls-webpki and returns the path it found, or a plain reason why
/// there is none.
fn build_path<'l>(
    list: &'l TrustList,
    chain: &[CertFacts],
    at: OffsetDateTime,
) -> Result<Path<'l>, String> {
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

    // rustls-webpki treats an anchor as a bare name and key, so the anchor
    // certificate's own pathLenConstraint is enforced here, as OpenSSL does.
    // Rejecting a path in this callback makes webpki try the other paths.
    let anchor_path_lens: Vec<(&[u8], u32, &Anchor)> = anchors
        .iter()
        .filter_map(|(i, ta)| {
            let anchor = &list.anchors[*i];
            let path_len = CertFacts::parse(&anchor.certificate_der).ok()?.path_len?;
            Some((ta.subject_public_key_info.as_ref(), path_len, anchor))
        })
        .collect();
    // The last anchor path length this callback rejected, for the reason.
    let anchor_path_len_violation = std::cell::Cell::new(None);
    let anchor_path_len_holds = |path: &webpki::VerifiedPath<'_>| {
        let spki = path.anchor().subject_public_key_info.as_ref();
        let intermediates = path.intermediate_certificates().count();
        match anchor_path_lens
            .iter()
            .position(|(anchor_spki, _, _)| *anchor_spki == spki)
        {
            Some(i) if intermediates > anchor_path_lens[i].1 as usize => {
                anchor_path_len_violation.set(Some((i, intermediates)));
                Err(webpki::Error::PathLenConstraintViolated)
            }
            _ => Ok(()),
        }
    };

    let path = leaf
        .verify_for_usage(
            webpki::ALL_VERIFICATION_ALGS,
            &trust_anchors,
            &intermediates,
            time,
            webpki::KeyUsage::client_auth(),
            None,
            Some(&anchor_path_len_holds),
        )
        .map_err(|e| match (&e, anchor_path_len_violation.get()) {
            (webpki::Error::PathLenConstraintViolated, Some((i, intermediates))) => {
                let (_, max, anchor) = anchor_path_lens[i];
                format!(
                    "chain too deep for a path length constraint: anchor {} \"{}\" has pathLenConstraint {max}, and the path below it has {}",
                    anchor.id,
                    anchor.subject,
                    count_noun(intermediates, "intermediate")
                )
            }
            _ => explain_webpki_error(&e, list, chain),
        })?;

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
    let anchor_facts = CertFacts::parse(&anchor.certificate_der)
        .map_err(|e| format!("anchor {} does not parse: {e}", anchor.id))?;
    let intermediates = path
        .intermediate_certificates()
        .map(|cert| match CertFacts::parse(cert.der().as_ref()) {
            Ok(facts) => facts.label(),
            Err(_) => "an unreadable certificate".to_string(),
        })
        .collect();
    Ok(Path {
        anchor,
        anchor_facts,
        intermediates,
    })
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
            let anchors: Vec<CertFacts> = list
                .anchors
                .iter()
                .filter_map(|a| CertFacts::parse(&a.certificate_der).ok())
                .collect();
            let constraining: Vec<String> = positioned(chain, None)
                .chain(anchors.iter().map(|a| ("the anchor".to_string(), a)))
                .filter(|(_, c)| c.has_name_constraints)
                .map(|(position, c)| format!("{position} {}", c.label()))
                .collect();
            let mut reason = format!(
                "name constraints violated: a name of a certificate in the chain is outside the permitted subtrees, or inside the excluded subtrees, of {}",
                if constraining.is_empty() { "an authority above it".to_string() } else { constraining.join(", ") }
            );
            let by_form = chain.iter().chain(&anchors).any(|c| c.has_uri_or_dirname_constraint);
            if by_form {
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
        E::PathLenConstraintViolated => {
            // Presented certificate j has j - 1 intermediates below it.
            let capped = chain.iter().enumerate().skip(1).find(|(j, c)| {
                c.path_len.is_some_and(|max| j - 1 > max as usize)
            });
            match capped {
                Some((j, c)) => format!(
                    "chain too deep for a path length constraint: {} {} has pathLenConstraint {}, and the chain has {} below it",
                    position_name(j),
                    c.label(),
                    c.path_len.unwrap_or_default(),
                    count_noun(j - 1, "intermediate")
                ),
                None => "chain too deep for a path length constraint: an authority's basicConstraints pathLenConstraint allows fewer intermediates below it than this chain has".into(),
            }
        }
        E::CaUsedAsEndEntity => format!(
            "the leaf {} is a CA certificate (basicConstraints cA TRUE); an originator presents an end-entity certificate",
            chain[0].label()
        ),
        E::EndEntityUsedAsCa => "a certificate that issues another one in the chain is not a CA (basicConstraints cA is not TRUE)".into(),
        E::RequiredEkuNotFoundContext(_) => format!(
            "the leaf {} has an extended key usage without clientAuth (1.3.6.1.5.5.7.3.2)",
            chain[0].label()
        ),
        E::InvalidSignatureForPublicKey if same_name_other_key(top, list) => format!(
            "no anchor of the trust list issued this chain: the last presented certificate {} names the issuer \"{}\", and an anchor has that name but its key does not verify the certificate's signature (another authority with the same name, or an altered certificate)",
            top.label(),
            top.issuer
        ),
        E::InvalidSignatureForPublicKey => "a certificate's signature does not verify with the key of the certificate that names it as issuer".into(),
        E::UnsupportedSignatureAlgorithmContext(_)
        | E::UnsupportedSignatureAlgorithmForPublicKeyContext(_) => "a certificate is signed with an algorithm or key that rustls-webpki does not accept, such as SHA-1 or an RSA key under 2048 bits".into(),
        E::UnsupportedCriticalExtension => "a certificate has a critical extension that rustls-webpki does not understand".into(),
        E::CertDistrusted => "a certificate's key is on rustls-webpki's built-in distrust list".into(),
        other => format!("no path to an anchor: rustls-webpki reports {other}"),
    }
}

/// Returns whether some anchor has the subject `cert` names as its issuer but none
/// of them verifies the signature of `cert`.
fn same_name_other_key(cert: &CertFacts, list: &TrustList) -> bool {
    use x509_parser::prelude::{FromDer, X509Certificate};
    let Ok((_, parsed)) = X509Certificate::from_der(&cert.der) else {
        return false;
    };
    let named: Vec<_> = list
        .anchors
        .iter()
        .filter_map(|a| CertFacts::parse(&a.certificate_der).ok())
        .filter(|a| a.subject_raw == cert.issuer_raw)
        .collect();
    let verifies = |anchor: &CertFacts| {
        X509Certificate::from_der(&anchor.der)
            .map(|(_, a)| parsed.verify_signature(Some(a.public_key())).is_ok())
            .unwrap_or(false)
    };
    !named.is_empty() && !named.iter().any(verifies)
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

/// "1 intermediate", "2 intermediates".
fn count_noun(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

fn join_sentences(parts: &[String]) -> String {
    parts.join(". ")
}
