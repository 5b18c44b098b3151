//! Bare chain decisions agree with `openssl verify` on the same PEM files.
//!
//! The 7-intermediate chain of the decisions table is left out on purpose:
//! rustls-webpki stops at 6 intermediates while OpenSSL's default depth is
//! 100, so the two differ there by design.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;
use hopscope_pki::revocation::{build_crl, RevocationReason, RevokedEntry};
use hopscope_pki::KeyType;
use hopscope_trust::{decide, Presented, TrustList};
use time::{Duration, OffsetDateTime};

struct Case {
    name: &'static str,
    /// Leaf first.
    chain: Vec<Vec<u8>>,
    anchors: Vec<Vec<u8>>,
    crl: Option<Vec<u8>>,
    /// The outcome both must reach.
    trusted: bool,
    /// Text of OpenSSL's verdict, so it fails for the same reason.
    openssl_message: &'static str,
}

#[test]
fn chain_decisions_agree_with_openssl() {
    let at = now();
    let dir = tempfile::tempdir().unwrap();
    for case in cases(at) {
        let list = anchored_list(&case.anchors);
        let mut ctx = context(at);
        ctx.crls = case.crl.iter().cloned().collect();
        let decision = decide(&list, &Presented::Chain(case.chain.clone()), &ctx);
        let (openssl_ok, openssl_output) = openssl_verify(dir.path(), &case, at);
        let name = case.name;
        let report = serde_json::to_string_pretty(&decision.checks).unwrap();

        assert_eq!(decision.trusted, case.trusted, "{name}: Hopscope\n{report}");
        assert_eq!(
            openssl_ok, case.trusted,
            "{name}: openssl verify said\n{openssl_output}"
        );
        assert!(
            openssl_output.contains(case.openssl_message),
            "{name}: openssl verify did not say {:?}:\n{openssl_output}",
            case.openssl_message
        );
    }
}

fn cases(at: OffsetDateTime) -> Vec<Case> {
    let start = at - Duration::days(1);
    let community = Community::new(KeyType::EcdsaP256);
    let root = vec![community.root.cert.clone()];
    let mut cases = vec![Case {
        name: "trusted through an intermediate",
        chain: community.chain(),
        anchors: root.clone(),
        crl: None,
        trusted: true,
        openssl_message: ": OK",
    }];

    let expired_leaf = originator(
        Some(&community.intermediate),
        KeyType::EcdsaP256,
        at - Duration::days(60),
        30,
    );
    cases.push(Case {
        name: "expired leaf",
        chain: vec![expired_leaf.cert, community.intermediate.cert.clone()],
        anchors: root.clone(),
        crl: None,
        trusted: false,
        openssl_message: "certificate has expired",
    });

    let stranger = Community::named("other-community", KeyType::EcdsaP256);
    cases.push(Case {
        name: "unknown root",
        chain: stranger.chain(),
        anchors: root.clone(),
        crl: None,
        trusted: false,
        openssl_message: "unable to get local issuer certificate",
    });

    let old_intermediate = authority(
        "old-issuing",
        Some(&community.root),
        at - Duration::days(400),
        100,
        None,
    );
    let leaf_of_old = originator(Some(&old_intermediate), KeyType::EcdsaP256, start, 30);
    cases.push(Case {
        name: "expired intermediate",
        chain: vec![leaf_of_old.cert, old_intermediate.cert.clone()],
        anchors: root.clone(),
        crl: None,
        trusted: false,
        openssl_message: "certificate has expired",
    });

    let revoking = |revoked: &[u8]| {
        let entries = [RevokedEntry {
            serial: serial(revoked),
            revoked_at: at - Duration::hours(2),
            reason: RevocationReason::KeyCompromise,
        }];
        let issuer = community.intermediate.issuer();
        build_crl(
            &issuer,
            &entries,
            1,
            at - Duration::hours(1),
            at + Duration::days(7),
        )
        .unwrap()
    };
    cases.push(Case {
        name: "revoked leaf",
        chain: community.chain(),
        anchors: root.clone(),
        crl: Some(revoking(&community.leaf.cert)),
        trusted: false,
        openssl_message: "certificate revoked",
    });
    let sibling = originator(Some(&community.intermediate), KeyType::EcdsaP256, start, 30);
    cases.push(Case {
        name: "CRL that revokes another leaf",
        chain: community.chain(),
        anchors: root.clone(),
        crl: Some(revoking(&sibling.cert)),
        trusted: true,
        openssl_message: ": OK",
    });

    let capped = authority("capped-issuing", Some(&community.root), start, 180, Some(0));
    let below_capped = authority("below-capped", Some(&capped), start, 90, None);
    let capped_leaf = originator(Some(&below_capped), KeyType::EcdsaP256, start, 30);
    cases.push(Case {
        name: "chain deeper than an intermediate's path length",
        chain: vec![capped_leaf.cert, below_capped.cert, capped.cert],
        anchors: root.clone(),
        crl: None,
        trusted: false,
        openssl_message: "path length constraint exceeded",
    });

    let leaf_only_root = authority("leaf-only-root", None, start, 365, Some(0));
    let below = authority("below-leaf-only", Some(&leaf_only_root), start, 180, None);
    let deep_leaf = originator(Some(&below), KeyType::EcdsaP256, start, 30);
    cases.push(Case {
        name: "chain deeper than the root's path length",
        chain: vec![deep_leaf.cert, below.cert],
        anchors: vec![leaf_only_root.cert],
        crl: None,
        trusted: false,
        openssl_message: "path length constraint exceeded",
    });

    let constrained = name_constrained_intermediate(&community.root);
    let outside = originator_with_dns_name(&constrained);
    cases.push(Case {
        name: "name constraints violated",
        chain: vec![outside.cert, constrained.cert],
        anchors: root,
        crl: None,
        trusted: false,
        openssl_message: "permitted subtree violation",
    });
    cases
}

fn anchored_list(anchors: &[Vec<u8>]) -> TrustList {
    let refs: Vec<&[u8]> = anchors.iter().map(Vec::as_slice).collect();
    anchored(&refs)
}

/// Runs `openssl verify` at `at` on the case's files, with the client
/// purpose that matches the clientAuth check of a decision. Returns whether
/// it verified, and its output.
fn openssl_verify(dir: &Path, case: &Case, at: OffsetDateTime) -> (bool, String) {
    let leaf = dir.join("leaf.pem");
    let untrusted = dir.join("untrusted.pem");
    let anchors = dir.join("anchors.pem");
    let crl = dir.join("crl.pem");
    std::fs::write(&leaf, pem_of(&case.chain[..1])).unwrap();
    std::fs::write(&untrusted, pem_of(&case.chain[1..])).unwrap();
    std::fs::write(&anchors, pem_of(&case.anchors)).unwrap();

    let mut command = Command::new("openssl");
    command
        .arg("verify")
        .args(["-attime", &at.unix_timestamp().to_string()])
        .args(["-purpose", "sslclient"])
        .arg("-CAfile")
        .arg(&anchors);
    if case.chain.len() > 1 {
        command.arg("-untrusted").arg(&untrusted);
    }
    if let Some(der) = &case.crl {
        let block = pem::Pem::new("X509 CRL", der.clone());
        std::fs::write(&crl, pem::encode(&block)).unwrap();
        command.arg("-crl_check").arg("-CRLfile").arg(&crl);
    }
    command.arg(&leaf);
    let output = command
        .output()
        .expect("openssl could not be started; install it (Debian package openssl)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}
