//! Revocation of presented certificates according to the CRLs the workspace
//! holds.

use time::OffsetDateTime;
use x509_parser::prelude::{CertificateRevocationList, FromDer, X509Certificate};

use crate::cert::{authority_key_id, rfc3339, CertFacts};
use crate::chain::position_name;
use crate::decision::{Check, CheckName};

/// Checks every presented certificate against the CRLs of its issuer: same
/// issuer name and, when both carry one, the same authority key identifier.
/// A CRL of an authority that shares the name but not the key (a rotated or
/// unrelated authority) is skipped. A CRL's signature must verify with a
/// certificate of that name among the presented certificates and `anchors`.
/// When no certificate of that name is known, the CRL is used unverified and
/// the reason mentions it. A certificate counts as revoked when its serial is on
/// the CRL with a revocation date at or before `at`.
///
/// The check fails on a revoked certificate, on a CRL that does not parse,
/// and on a CRL of the issuer whose signature does not verify, so a broken
/// CRL never lets a revoked certificate through silently.
pub(crate) fn check_revocation(
    chain: &[CertFacts],
    anchors: &[CertFacts],
    crls: &[Vec<u8>],
    at: OffsetDateTime,
) -> Check {
    if crls.is_empty() {
        return Check::not_applicable(
            CheckName::Revocation,
            "no CRL was given, so revocation was not checked".into(),
        );
    }

    let mut failures = Vec::new();
    let mut parsed = Vec::new();
    for (i, der) in crls.iter().enumerate() {
        match CertificateRevocationList::from_der(der) {
            Ok((_, crl)) => parsed.push((i, crl)),
            Err(e) => failures.push(format!(
                "CRL {} does not parse ({e}); remove or replace it",
                i + 1
            )),
        }
    }

    let mut checked = Vec::new();
    for (position, cert) in chain.iter().enumerate() {
        let certificate_label = format!("{} {}", position_name(position), cert.label());
        let of_issuer = parsed.iter().filter(|(_, crl)| is_issuers_crl(crl, cert));
        for (i, crl) in of_issuer {
            let crl_name = format!("CRL {} of \"{}\"", i + 1, crl.issuer());
            let signature = verify_crl_signature(crl, chain, anchors);
            if signature == CrlSignature::Invalid {
                failures.push(format!(
                    "the signature of {crl_name} does not verify with the key of any certificate named \"{}\"; replace the CRL",
                    crl.issuer()
                ));
                continue;
            }
            let mut notes = Vec::new();
            if signature == CrlSignature::IssuerUnknown {
                notes.push("its signature was not verified because its issuer is neither presented nor an anchor".to_string());
            }
            if let Some(next) = crl.next_update() {
                let next = next.to_datetime();
                if next < at {
                    notes.push(format!(
                        "it is stale: nextUpdate {} is before the evaluation time",
                        rfc3339(next)
                    ));
                }
            }
            let notes = if notes.is_empty() {
                String::new()
            } else {
                format!(" ({})", notes.join("; "))
            };

            let entry = crl
                .iter_revoked_certificates()
                .find(|revoked| revoked.raw_serial() == cert.serial.as_slice());
            match entry {
                Some(revoked) => {
                    let revoked_at = revoked.revocation_date.to_datetime();
                    let reason = revoked
                        .reason_code()
                        .map(|(_, code)| reason_name(code.0))
                        .unwrap_or("unspecified (no reason code)");
                    if revoked_at <= at {
                        failures.push(format!(
                            "{certificate_label} (serial {}) is revoked by {crl_name}: reason {reason}, revoked at {}{notes}",
                            hex::encode(&cert.serial),
                            rfc3339(revoked_at)
                        ));
                    } else {
                        checked.push(format!(
                            "{certificate_label} is on {crl_name} but revoked only at {}, after the evaluation time{notes}",
                            rfc3339(revoked_at)
                        ));
                    }
                }
                None => checked.push(format!("{certificate_label} is not on {crl_name}{notes}")),
            }
        }
    }

    if !failures.is_empty() {
        return Check::fail(CheckName::Revocation, failures.join(". "));
    }
    if checked.is_empty() {
        let issuers: Vec<String> = chain.iter().map(|c| format!("\"{}\"", c.issuer)).collect();
        return Check::not_applicable(
            CheckName::Revocation,
            format!(
                "none of the {} CRL(s) is issued by an issuer of the chain ({}), so revocation was not checked",
                crls.len(),
                issuers.join(", ")
            ),
        );
    }
    Check::pass(
        CheckName::Revocation,
        format!("not revoked: {}", checked.join("; ")),
    )
}

/// Returns whether `crl` comes from the issuer of `cert`: the same issuer name, and
/// the same authority key identifier unless one of them lacks it.
fn is_issuers_crl(crl: &CertificateRevocationList<'_>, cert: &CertFacts) -> bool {
    if crl.issuer().as_raw() != cert.issuer_raw.as_slice() {
        return false;
    }
    match (authority_key_id(crl.extensions()), &cert.authority_key_id) {
        (Some(crl_key), Some(cert_key)) => crl_key == *cert_key,
        _ => true,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CrlSignature {
    Verified,
    Invalid,
    /// No certificate with the CRL's issuer name is known.
    IssuerUnknown,
}

/// Verifies a CRL with each known certificate whose subject is the CRL's
/// issuer; one success is enough, since a rotated authority keeps its name.
fn verify_crl_signature(
    crl: &CertificateRevocationList<'_>,
    chain: &[CertFacts],
    anchors: &[CertFacts],
) -> CrlSignature {
    let issuer = crl.issuer().as_raw();
    let candidates: Vec<&CertFacts> = chain
        .iter()
        .chain(anchors)
        .filter(|c| c.subject_raw.as_slice() == issuer)
        .collect();
    if candidates.is_empty() {
        return CrlSignature::IssuerUnknown;
    }
    let verified = candidates.iter().any(|candidate| {
        X509Certificate::from_der(&candidate.der)
            .map(|(_, cert)| crl.verify_signature(cert.public_key()).is_ok())
            .unwrap_or(false)
    });
    if verified {
        CrlSignature::Verified
    } else {
        CrlSignature::Invalid
    }
}

/// RFC 5280 CRLReason names, in the kebab-case hopscope-pki uses.
fn reason_name(code: u8) -> &'static str {
    match code {
        0 => "unspecified",
        1 => "key-compromise",
        2 => "ca-compromise",
        3 => "affiliation-changed",
        4 => "superseded",
        5 => "cessation-of-operation",
        6 => "certificate-hold",
        8 => "remove-from-crl",
        9 => "privilege-withdrawn",
        10 => "aa-compromise",
        _ => "unknown reason code",
    }
}
