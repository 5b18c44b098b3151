//! Trust list editing, the JSON shape and the PEM bundle of anchors.

mod common;

use common::*;
use hopscope_pki::KeyType;
use hopscope_trust::{
    Anchor, AnchorSource, DeniedOriginator, DenyMatch, Entry, EntryKind, Error, PinnedOriginator,
    TrustList, TrustListChange,
};
use time::macros::datetime;
use time::OffsetDateTime;

const ADDED_AT: OffsetDateTime = datetime!(2026-01-05 09:00 UTC);

/// Builds a list with two anchors, a pinned originator and one deny entry of each
/// kind.
fn full_list() -> (TrustList, Community) {
    let community = Community::new(KeyType::EcdsaP256);
    let other = Community::named("other-community", KeyType::EcdsaP256);
    let mut list = TrustList::new();
    let source = AnchorSource::Authority {
        name: "demo-community".into(),
    };
    list.add_anchor(Anchor::new(&community.root.cert, source, "community root", ADDED_AT).unwrap())
        .unwrap();
    list.add_anchor(
        Anchor::new(
            &other.intermediate.cert,
            AnchorSource::Imported,
            "",
            ADDED_AT,
        )
        .unwrap(),
    )
    .unwrap();
    list.add_pinned(PinnedOriginator::new(&other.leaf.cert, "pilot", ADDED_AT).unwrap())
        .unwrap();
    let rules = [
        DenyMatch::Certificate {
            sha256_fingerprint: sha256_fingerprint(&community.leaf.cert).to_uppercase(),
        },
        DenyMatch::Spki {
            spki_sha256: spki_sha256(&community.leaf.cert),
        },
        DenyMatch::SanUri {
            uri: " https://clinic-b.test/app ".into(),
        },
    ];
    for rule in rules {
        list.add_denied(DeniedOriginator::new(rule, "key leaked", ADDED_AT).unwrap())
            .unwrap();
    }
    (list, community)
}

#[test]
fn json_round_trip() {
    let (list, _) = full_list();
    let json = list.to_json();
    let back = TrustList::from_json(&json).unwrap();
    assert_eq!(back, list);
}

#[test]
fn json_shape_matches_module_docs() {
    let (list, community) = full_list();
    let value: serde_json::Value = serde_json::from_str(&list.to_json()).unwrap();
    let anchor = &value["anchors"][0];
    let fingerprint = sha256_fingerprint(&community.root.cert);

    assert_eq!(anchor["id"], format!("a{}", &fingerprint[..8]));
    assert_eq!(anchor["added_at"], "2026-01-05T09:00:00Z");
    assert_eq!(anchor["source"]["kind"], "authority");
    assert_eq!(anchor["source"]["name"], "demo-community");
    assert_eq!(anchor["subject"], "CN=demo-community");
    assert_eq!(anchor["sha256_fingerprint"], fingerprint);
    assert!(anchor["certificate_der"]
        .as_str()
        .unwrap()
        .starts_with("MII"));
    assert_eq!(value["anchors"][1]["source"]["kind"], "imported");
    assert_eq!(value["pinned"][0]["subject"], "CN=clinic-a");
    assert_eq!(value["denied"][0]["rule"]["kind"], "certificate");
    assert_eq!(
        value["denied"][0]["rule"]["sha256_fingerprint"],
        sha256_fingerprint(&community.leaf.cert),
        "fingerprints are stored lowercase"
    );
    assert_eq!(value["denied"][1]["rule"]["kind"], "spki");
    assert_eq!(value["denied"][2]["rule"]["kind"], "san_uri");
    assert_eq!(
        value["denied"][2]["rule"]["uri"],
        "https://clinic-b.test/app"
    );
}

#[test]
fn json_rejects_inconsistent_lists() {
    let (list, _) = full_list();
    let mut value: serde_json::Value = serde_json::from_str(&list.to_json()).unwrap();
    value["anchors"][0]["sha256_fingerprint"] = "00".repeat(32).into();
    let err = TrustList::from_json(&value.to_string()).unwrap_err();
    assert!(matches!(err, Error::InvalidJson(_)), "{err:?}");
    assert!(
        err.to_string().contains("sha256_fingerprint is \"0000"),
        "{err}"
    );

    let mut value: serde_json::Value = serde_json::from_str(&list.to_json()).unwrap();
    value["pinned"][0]["certificate_der"] = "AQID".into();
    let err = TrustList::from_json(&value.to_string()).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("invalid certificate for a pinned originator"),
        "{err}"
    );

    let err = TrustList::from_json("{\"anchors\": 3}").unwrap_err();
    assert!(
        err.to_string().starts_with("invalid trust list JSON: "),
        "{err}"
    );
}

#[test]
fn anchors_pem_round_trip() {
    let (list, _) = full_list();
    let pem = list.anchors_to_pem();
    assert_eq!(pem.matches("-----BEGIN CERTIFICATE-----").count(), 2);

    let anchors = TrustList::anchors_from_pem(&pem, ADDED_AT).unwrap();
    assert_eq!(anchors.len(), 2);
    for (read, written) in anchors.iter().zip(&list.anchors) {
        assert_eq!(read.id, written.id);
        assert_eq!(read.certificate_der, written.certificate_der);
        assert_eq!(read.subject, written.subject);
        assert_eq!(read.source, AnchorSource::Imported);
    }
}

#[test]
fn anchors_pem_rejects_other_blocks() {
    let err = TrustList::anchors_from_pem("", ADDED_AT).unwrap_err();
    assert!(err.to_string().contains("no PEM block found"), "{err}");
    let key = "-----BEGIN PRIVATE KEY-----\nAQID\n-----END PRIVATE KEY-----\n";
    let err = TrustList::anchors_from_pem(key, ADDED_AT).unwrap_err();
    assert!(
        err.to_string().contains("block 1 is \"PRIVATE KEY\""),
        "{err}"
    );
}

#[test]
fn duplicates_are_rejected() {
    let (mut list, community) = full_list();
    let again = Anchor::new(&community.root.cert, AnchorSource::Imported, "", ADDED_AT).unwrap();
    let err = list.add_anchor(again).unwrap_err();
    assert!(
        matches!(err, Error::Duplicate { kind: "anchor", .. }),
        "{err:?}"
    );

    let rule = DenyMatch::SanUri {
        uri: "https://clinic-b.test/app".into(),
    };
    let err = list
        .add_denied(DeniedOriginator::new(rule, "", ADDED_AT).unwrap())
        .unwrap_err();
    assert!(err.to_string().contains("same rule"), "{err}");
}

#[test]
fn invalid_deny_values_are_rejected() {
    let cases = [
        (
            DenyMatch::Certificate {
                sha256_fingerprint: "abcd".into(),
            },
            "invalid SHA-256 certificate fingerprint \"abcd\"",
        ),
        (
            DenyMatch::Spki {
                spki_sha256: "zz".repeat(32),
            },
            "invalid SHA-256 SPKI hash",
        ),
        (
            DenyMatch::SanUri {
                uri: "clinic-a".into(),
            },
            "invalid SAN URI \"clinic-a\"",
        ),
    ];
    for (rule, message) in cases {
        let err = DeniedOriginator::new(rule.clone(), "", ADDED_AT).unwrap_err();
        assert!(err.to_string().starts_with(message), "{rule:?}: {err}");
    }
}

#[test]
fn remove_and_set_note_by_id() {
    let (mut list, _) = full_list();
    let before = list.clone();
    let pinned_id = list.pinned[0].id.clone();
    let anchor_id = list.anchors[1].id.clone();

    let removed = list.remove(&pinned_id).unwrap();
    list.set_note(&anchor_id, "imported from partner").unwrap();

    assert!(matches!(removed, Entry::Pinned(ref p) if p.id == pinned_id));
    assert_eq!(list.pinned.len(), 0);
    let err = list.remove("a00000000").unwrap_err();
    assert!(
        err.to_string()
            .starts_with("no trust list entry \"a00000000\"; the list has entries a"),
        "{err}"
    );
    assert_eq!(
        before.diff(&list),
        vec![
            TrustListChange::Removed {
                kind: EntryKind::Pinned,
                id: pinned_id,
                label: "CN=clinic-a".into(),
            },
            TrustListChange::NoteChanged {
                kind: EntryKind::Anchor,
                id: anchor_id,
                from: String::new(),
                to: "imported from partner".into(),
            },
        ]
    );
}
