//! One table of trust decisions over real chains and JWTs: each case names
//! whether the originator is trusted or which check fails with what reason.

mod common;

use common::*;
use hopscope_pki::revocation::{build_crl, RevocationReason, RevokedEntry};
use hopscope_pki::{KeyType, PrivateKey};
use hopscope_trust::{
    decide, CheckName, DecisionContext, DeniedOriginator, DenyMatch, Outcome, PinnedOriginator,
    Presented, TrustList,
};
use serde_json::json;
use time::Duration;

enum Expect {
    Trusted,
    /// Not trusted because this check failed with a reason containing the
    /// text.
    Fails(CheckName, &'static str),
}

struct Case {
    name: &'static str,
    list: TrustList,
    presented: Presented,
    ctx: DecisionContext,
    expect: Expect,
}

#[test]
fn decision_table() {
    let cases = cases();
    assert!(cases.len() >= 25, "the table lost cases: {}", cases.len());
    for case in &cases {
        assert_case(case);
    }
}

fn assert_case(case: &Case) {
    let decision = decide(&case.list, &case.presented, &case.ctx);
    let name = case.name;
    let report = serde_json::to_string_pretty(&decision).unwrap();

    assert_eq!(
        decision.checks.len(),
        CheckName::ALL.len(),
        "{name}: {report}"
    );
    assert_eq!(
        decision.trust_list_version, case.ctx.trust_list_version,
        "{name}"
    );
    match case.expect {
        Expect::Trusted => {
            assert!(decision.trusted, "{name}: expected trusted\n{report}");
            assert_eq!(decision.failed().count(), 0, "{name}: {report}");
        }
        Expect::Fails(check, text) => {
            assert!(!decision.trusted, "{name}: expected not trusted\n{report}");
            let found = decision.check(check);
            assert_eq!(
                found.outcome,
                Outcome::Fail,
                "{name}: {check} should fail\n{report}"
            );
            assert!(
                found.reason.contains(text),
                "{name}: the {check} reason does not contain {text:?}: {}",
                found.reason
            );
        }
    }
}

fn cases() -> Vec<Case> {
    let at = now();
    let start = at - Duration::days(1);
    let claims = claims(at);
    let ctx = context(at);
    let mut cases = Vec::new();

    // One community for most cases: root -> intermediate -> clinic-a.
    let community = Community::new(KeyType::EcdsaP256);
    let chain = community.chain();
    let list = anchored(&[&community.root.cert]);
    let jwt =
        |claims: &serde_json::Value| Presented::Jwt(udap_jwt(&chain, &community.leaf.key, claims));
    let case = |name, list: &TrustList, presented, expect| Case {
        name,
        list: list.clone(),
        presented,
        ctx: ctx.clone(),
        expect,
    };

    cases.push(case(
        "trusted through an intermediate",
        &list,
        jwt(&claims),
        Expect::Trusted,
    ));
    cases.push(case(
        "bare chain trusted through an intermediate",
        &list,
        Presented::Chain(chain.clone()),
        Expect::Trusted,
    ));
    for key_type in [KeyType::EcdsaP384, KeyType::Ed25519, KeyType::Rsa2048] {
        let other = Community::new(key_type);
        let jwt = udap_jwt(&other.chain(), &other.leaf.key, &claims);
        cases.push(Case {
            name: match key_type {
                KeyType::EcdsaP384 => "trusted with an ES384 leaf",
                KeyType::Ed25519 => "trusted with an EdDSA leaf",
                _ => "trusted with an RS256 leaf",
            },
            list: anchored(&[&other.root.cert]),
            presented: Presented::Jwt(jwt),
            ctx: ctx.clone(),
            expect: Expect::Trusted,
        });
    }

    // Validity periods.
    let expired_leaf = originator(
        Some(&community.intermediate),
        KeyType::EcdsaP256,
        at - Duration::days(60),
        30,
    );
    let presented = Presented::Jwt(udap_jwt(
        &[
            expired_leaf.cert.clone(),
            community.intermediate.cert.clone(),
        ],
        &expired_leaf.key,
        &claims,
    ));
    cases.push(case(
        "expired leaf",
        &list,
        presented,
        Expect::Fails(
            CheckName::Validity,
            "the leaf \"CN=clinic-a\" expired: notAfter",
        ),
    ));

    let future_leaf = originator(
        Some(&community.intermediate),
        KeyType::EcdsaP256,
        at + Duration::days(2),
        30,
    );
    let presented = Presented::Jwt(udap_jwt(
        &[
            future_leaf.cert.clone(),
            community.intermediate.cert.clone(),
        ],
        &future_leaf.key,
        &claims,
    ));
    cases.push(case(
        "leaf not yet valid",
        &list,
        presented,
        Expect::Fails(CheckName::Validity, "is not yet valid: notBefore"),
    ));

    let old_intermediate = authority(
        "old-issuing",
        Some(&community.root),
        at - Duration::days(400),
        100,
        None,
    );
    let leaf_of_old = originator(Some(&old_intermediate), KeyType::EcdsaP256, start, 30);
    let presented = Presented::Jwt(udap_jwt(
        &[leaf_of_old.cert.clone(), old_intermediate.cert.clone()],
        &leaf_of_old.key,
        &claims,
    ));
    cases.push(case(
        "expired intermediate",
        &list,
        presented,
        Expect::Fails(
            CheckName::Validity,
            "presented certificate 2 \"CN=old-issuing\" expired",
        ),
    ));

    // Anchors.
    let stranger = Community::new(KeyType::EcdsaP256);
    let presented = Presented::Jwt(udap_jwt(&stranger.chain(), &stranger.leaf.key, &claims));
    cases.push(case(
        "unknown root with the anchor's name",
        &list,
        presented,
        Expect::Fails(
            CheckName::Chain,
            "an anchor has that name but its key does not verify",
        ),
    ));
    let other = Community::named("other-community", KeyType::EcdsaP256);
    let presented = Presented::Jwt(udap_jwt(&other.chain(), &other.leaf.key, &claims));
    cases.push(case(
        "unknown root",
        &list,
        presented,
        Expect::Fails(
            CheckName::Chain,
            "no anchor of the trust list issued this chain: the last presented certificate \"CN=other-community-issuing\" names the issuer \"CN=other-community\"",
        ),
    ));
    cases.push(case(
        "empty trust list",
        &TrustList::new(),
        jwt(&claims),
        Expect::Fails(CheckName::Chain, "the trust list has no anchors"),
    ));

    // Revocation.
    let crl = build_crl(
        &community.intermediate.issuer(),
        &[RevokedEntry {
            serial: serial(&community.leaf.cert),
            revoked_at: at - Duration::hours(2),
            reason: RevocationReason::KeyCompromise,
        }],
        1,
        at - Duration::hours(1),
        at + Duration::days(7),
    )
    .unwrap();
    cases.push(Case {
        name: "revoked leaf",
        list: list.clone(),
        presented: jwt(&claims),
        ctx: DecisionContext {
            crls: vec![crl.clone()],
            ..ctx.clone()
        },
        expect: Expect::Fails(
            CheckName::Revocation,
            "is revoked by CRL 1 of \"CN=demo-community-issuing\": reason key-compromise",
        ),
    });
    let forged_crl = build_crl(
        &stranger.intermediate.issuer(),
        &[],
        1,
        at - Duration::hours(1),
        at + Duration::days(7),
    )
    .unwrap();
    let unrelated_crl = build_crl(
        &stranger.root.issuer(),
        &[],
        1,
        at - Duration::hours(1),
        at + Duration::days(7),
    )
    .unwrap();
    cases.push(Case {
        name: "CRLs of other authorities with the same name",
        list: list.clone(),
        presented: jwt(&claims),
        ctx: DecisionContext {
            crls: vec![unrelated_crl, forged_crl],
            ..ctx.clone()
        },
        expect: Expect::Trusted,
    });
    let mut tampered_crl = crl.clone();
    *tampered_crl.last_mut().unwrap() ^= 0x01;
    cases.push(Case {
        name: "CRL with a broken signature",
        list: list.clone(),
        presented: jwt(&claims),
        ctx: DecisionContext {
            crls: vec![tampered_crl],
            ..ctx.clone()
        },
        expect: Expect::Fails(
            CheckName::Revocation,
            "does not verify with the key of any certificate named",
        ),
    });

    // Deny entries win over anchors and pins.
    let deny_rules = [
        (
            "denied by certificate though anchored",
            DenyMatch::Certificate {
                sha256_fingerprint: sha256_fingerprint(&community.leaf.cert),
            },
            "certificate SHA-256",
        ),
        (
            "denied by SPKI though anchored",
            DenyMatch::Spki {
                spki_sha256: spki_sha256(&community.leaf.cert),
            },
            "SPKI SHA-256",
        ),
        (
            "denied by SAN URI though anchored",
            DenyMatch::SanUri {
                uri: CLIENT_URI.into(),
            },
            "SAN URI \"https://clinic-a.test/apps/scheduler\"",
        ),
        (
            "intermediate denied by certificate",
            DenyMatch::Certificate {
                sha256_fingerprint: sha256_fingerprint(&community.intermediate.cert),
            },
            "presented certificate 2",
        ),
    ];
    for (name, rule, text) in deny_rules {
        let mut denying = list.clone();
        denying
            .add_denied(DeniedOriginator::new(rule, "compromised", at).unwrap())
            .unwrap();
        cases.push(case(
            name,
            &denying,
            jwt(&claims),
            Expect::Fails(CheckName::Denied, text),
        ));
    }

    // Pinned self-signed originator, alone and denied.
    let self_signed = originator(None, KeyType::EcdsaP256, start, 30);
    let mut pinning = anchored(&[&stranger.root.cert]);
    pinning
        .add_pinned(PinnedOriginator::new(&self_signed.cert, "clinic-a test key", at).unwrap())
        .unwrap();
    let presented = Presented::Jwt(udap_jwt(
        std::slice::from_ref(&self_signed.cert),
        &self_signed.key,
        &claims,
    ));
    cases.push(case(
        "pinned self-signed",
        &pinning,
        presented.clone(),
        Expect::Trusted,
    ));
    cases.push(case(
        "self-signed without pin",
        &anchored(&[&stranger.root.cert]),
        presented.clone(),
        Expect::Fails(
            CheckName::Chain,
            "no anchor of the trust list issued this chain",
        ),
    ));
    let mut pinned_and_denied = pinning.clone();
    let rule = DenyMatch::SanUri {
        uri: CLIENT_URI.into(),
    };
    pinned_and_denied
        .add_denied(DeniedOriginator::new(rule, "", at).unwrap())
        .unwrap();
    cases.push(case(
        "pinned but denied",
        &pinned_and_denied,
        presented,
        Expect::Fails(CheckName::Denied, "is denied by entry d"),
    ));

    // Claims.
    let mut wrong_iss = claims.clone();
    wrong_iss["iss"] = json!("https://clinic-b.test/apps/portal");
    wrong_iss["sub"] = json!("https://clinic-b.test/apps/portal");
    cases.push(case(
        "iss not a SAN URI",
        &list,
        jwt(&wrong_iss),
        Expect::Fails(
            CheckName::Issuer,
            "iss is \"https://clinic-b.test/apps/portal\", which is not a SAN URI of the leaf",
        ),
    ));
    let mut private_aud = claims.clone();
    private_aud["aud"] = json!(format!("{PRIVATE_URL}/token"));
    cases.push(case(
        "aud at a private URL",
        &list,
        jwt(&private_aud),
        Expect::Fails(
            CheckName::Audience,
            "aud is \"https://d-corp.internal.test:9443/fhir/token\", a private URL",
        ),
    ));
    let mut long_lived = claims.clone();
    long_lived["exp"] = json!(long_lived["iat"].as_i64().unwrap() + 600);
    cases.push(case(
        "exp 10 minutes after iat",
        &list,
        jwt(&long_lived),
        Expect::Fails(CheckName::Lifetime, "exp is 600 s after iat"),
    ));
    let mut no_jti = claims.clone();
    no_jti.as_object_mut().unwrap().remove("jti");
    cases.push(case(
        "missing jti",
        &list,
        jwt(&no_jti),
        Expect::Fails(CheckName::TokenId, "the JWT has no jti"),
    ));

    // JWS header and signature.
    let other_key = PrivateKey::generate(KeyType::EcdsaP256).unwrap();
    let presented = Presented::Jwt(udap_jwt(&chain, &other_key, &claims));
    cases.push(case(
        "signed by a key not the x5c leaf's",
        &list,
        presented,
        Expect::Fails(
            CheckName::Signature,
            "does not verify with the key of the x5c leaf",
        ),
    ));
    let unsigned = jws(&json!({"alg": "none", "x5c": x5c(&chain)}), &claims, |_| {
        Vec::new()
    });
    cases.push(case(
        "alg none",
        &list,
        Presented::Jwt(unsigned),
        Expect::Fails(CheckName::Signature, "alg is \"none\""),
    ));
    let no_x5c = jws(
        &json!({"alg": "ES256"}),
        &claims,
        sign_with(&community.leaf.key),
    );
    cases.push(case(
        "missing x5c",
        &list,
        Presented::Jwt(no_x5c),
        Expect::Fails(CheckName::Signature, "the JWT header has no x5c"),
    ));
    let wrong_alg = jws(
        &json!({"alg": "ES384", "x5c": x5c(&chain)}),
        &claims,
        sign_with(&community.leaf.key),
    );
    cases.push(case(
        "alg ES384 on a P-256 key",
        &list,
        Presented::Jwt(wrong_alg),
        Expect::Fails(
            CheckName::Signature,
            "alg is \"ES384\" but the leaf's key is ECDSA P-256",
        ),
    ));

    // Constraints on the path.
    let constrained = name_constrained_intermediate(&community.root);
    let outside = originator_with_dns_name(&constrained);
    let presented = Presented::Jwt(udap_jwt(
        &[outside.cert.clone(), constrained.cert.clone()],
        &outside.key,
        &claims,
    ));
    cases.push(case(
        "name constraints violated",
        &list,
        presented,
        Expect::Fails(CheckName::Chain, "name constraints violated: a name of a certificate in the chain is outside the permitted subtrees, or inside the excluded subtrees, of presented certificate 2 \"CN=partner-issuing\""),
    ));

    let leaf_only_root = authority("leaf-only-root", None, start, 365, Some(0));
    let below = authority("below-leaf-only", Some(&leaf_only_root), start, 180, None);
    let deep_leaf = originator(Some(&below), KeyType::EcdsaP256, start, 30);
    let presented = Presented::Jwt(udap_jwt(
        &[deep_leaf.cert.clone(), below.cert.clone()],
        &deep_leaf.key,
        &claims,
    ));
    cases.push(case(
        "chain deeper than the root's path length",
        &anchored(&[&leaf_only_root.cert]),
        presented,
        Expect::Fails(
            CheckName::Chain,
            "\"CN=leaf-only-root\" has pathLenConstraint 0, and the path below it has 1 intermediate",
        ),
    ));

    let capped = authority("capped-issuing", Some(&community.root), start, 180, Some(0));
    let below_capped = authority("below-capped", Some(&capped), start, 90, None);
    let capped_leaf = originator(Some(&below_capped), KeyType::EcdsaP256, start, 30);
    let presented = Presented::Jwt(udap_jwt(
        &[
            capped_leaf.cert.clone(),
            below_capped.cert.clone(),
            capped.cert.clone(),
        ],
        &capped_leaf.key,
        &claims,
    ));
    cases.push(case(
        "chain deeper than an intermediate's path length",
        &list,
        presented,
        Expect::Fails(
            CheckName::Chain,
            "presented certificate 3 \"CN=capped-issuing\" has pathLenConstraint 0, and the chain has 1 intermediate below it",
        ),
    ));

    let mut issuers = vec![authority("deep-root", None, start, 365, None)];
    for i in 0..7 {
        let next = authority(&format!("deep-{i}"), Some(&issuers[i]), start, 180, None);
        issuers.push(next);
    }
    let long_leaf = originator(issuers.last(), KeyType::EcdsaP256, start, 30);
    let mut long_chain = vec![long_leaf.cert.clone()];
    long_chain.extend(issuers[1..].iter().rev().map(|ca| ca.cert.clone()));
    let presented = Presented::Jwt(udap_jwt(&long_chain, &long_leaf.key, &claims));
    cases.push(case(
        "chain with 7 intermediates",
        &anchored(&[&issuers[0].cert]),
        presented,
        Expect::Fails(
            CheckName::Chain,
            "chain too deep: more than 6 intermediate certificates",
        ),
    ));

    // Weak key: an RSA-1024 leaf under a sound intermediate.
    let (weak_cert, weak_key) = rsa_1024_originator(&community.intermediate);
    let weak_chain = vec![weak_cert, community.intermediate.cert.clone()];
    let header = json!({"alg": "RS256", "x5c": x5c(&weak_chain)});
    let presented = Presented::Jwt(jws(&header, &claims, sign_rsa(&weak_key)));
    cases.push(case(
        "RSA-1024 leaf",
        &list,
        presented,
        Expect::Fails(CheckName::KeyStrength, "has an RSA key of 1024 bits"),
    ));
    cases.push(case(
        "RSA-1024 leaf as a bare chain",
        &list,
        Presented::Chain(weak_chain),
        Expect::Fails(CheckName::KeyStrength, "under the 2048-bit minimum"),
    ));

    cases
}

#[test]
fn bare_chain_reports_jwt_checks_not_applicable() {
    let community = Community::new(KeyType::EcdsaP256);
    let list = anchored(&[&community.root.cert]);
    let decision = decide(&list, &Presented::Chain(community.chain()), &context(now()));
    for name in [
        CheckName::Signature,
        CheckName::Issuer,
        CheckName::Audience,
        CheckName::Lifetime,
        CheckName::TokenId,
    ] {
        assert_eq!(
            decision.check(name).outcome,
            Outcome::NotApplicable,
            "{name}"
        );
    }
    assert!(decision.trusted);
    assert_eq!(
        decision.anchor_id.as_deref(),
        Some(list.anchors[0].id.as_str())
    );
    let leaf = decision.leaf.expect("the leaf summary");
    assert_eq!(leaf.san_uris, vec![CLIENT_URI.to_string()]);
}
