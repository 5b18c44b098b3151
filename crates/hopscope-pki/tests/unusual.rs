//! Certificates that real deployments contain but that strict parsers trip
//! on: inspect must return what it can read and never panic. The fixtures
//! are built here as DER, so each one differs from a normal certificate in
//! exactly the way its test names.

use hopscope_pki::inspect::inspect;
use hopscope_pki::{Error, KeyType, PrivateKey};

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

fn seq(items: &[Vec<u8>]) -> Vec<u8> {
    tlv(0x30, &items.concat())
}

fn set(items: &[Vec<u8>]) -> Vec<u8> {
    tlv(0x31, &items.concat())
}

fn oid(dotted: &str) -> Vec<u8> {
    let arcs: Vec<u64> = dotted.split('.').map(|a| a.parse().unwrap()).collect();
    let mut body = Vec::new();
    let mut push_arc = |mut value: u64| {
        let mut bytes = vec![(value & 0x7f) as u8];
        value >>= 7;
        while value > 0 {
            bytes.push(0x80 | (value & 0x7f) as u8);
            value >>= 7;
        }
        bytes.reverse();
        body.extend(bytes);
    };
    push_arc(arcs[0] * 40 + arcs[1]);
    for arc in &arcs[2..] {
        push_arc(*arc);
    }
    tlv(0x06, &body)
}

/// A name with one attribute per RDN; `tag` is the string type.
fn name(attributes: &[(&str, u8, Vec<u8>)]) -> Vec<u8> {
    let rdns: Vec<Vec<u8>> = attributes
        .iter()
        .map(|(attr_oid, tag, value)| set(&[seq(&[oid(attr_oid), tlv(*tag, value)])]))
        .collect();
    seq(&rdns)
}

fn utf8_cn(value: &str) -> Vec<u8> {
    name(&[("2.5.4.3", 0x0c, value.as_bytes().to_vec())])
}

fn validity() -> Vec<u8> {
    seq(&[tlv(0x17, b"250101000000Z"), tlv(0x17, b"350101000000Z")])
}

fn extension(ext_oid: &str, critical: bool, value: Vec<u8>) -> Vec<u8> {
    let mut items = vec![oid(ext_oid)];
    if critical {
        items.push(vec![0x01, 0x01, 0xff]);
    }
    items.push(tlv(0x04, &value));
    seq(&items)
}

struct Tbs {
    version: Option<u8>,
    serial: Vec<u8>,
    issuer: Vec<u8>,
    validity: Vec<u8>,
    subject: Vec<u8>,
    extensions: Vec<Vec<u8>>,
}

impl Tbs {
    fn new() -> Self {
        Tbs {
            version: Some(2),
            serial: vec![0x01, 0x02, 0x03, 0x04],
            issuer: utf8_cn("Unusual Test CA"),
            validity: validity(),
            subject: utf8_cn("unusual.x.test"),
            extensions: Vec::new(),
        }
    }
}

/// Signs `tbs` with a fresh P-256 key (ECDSA with SHA-256).
fn certificate(tbs: &Tbs) -> Vec<u8> {
    let key = PrivateKey::generate(KeyType::EcdsaP256).unwrap();
    let sig_alg = seq(&[oid("1.2.840.10045.4.3.2")]);
    let mut items = Vec::new();
    if let Some(v) = tbs.version {
        items.push(tlv(0xa0, &tlv(0x02, &[v])));
    }
    items.push(tlv(0x02, &tbs.serial));
    items.push(sig_alg.clone());
    items.push(tbs.issuer.clone());
    items.push(tbs.validity.clone());
    items.push(tbs.subject.clone());
    items.push(key.public_key_der());
    if !tbs.extensions.is_empty() {
        items.push(tlv(0xa3, &seq(&tbs.extensions)));
    }
    let tbs_der = seq(&items);

    let rng = ring::rand::SystemRandom::new();
    let signer = ring::signature::EcdsaKeyPair::from_pkcs8(
        &ring::signature::ECDSA_P256_SHA256_ASN1_SIGNING,
        key.pkcs8_der(),
        &rng,
    )
    .unwrap();
    let signature = signer.sign(&rng, &tbs_der).unwrap();
    let mut bits = vec![0u8];
    bits.extend_from_slice(signature.as_ref());
    seq(&[tbs_der, sig_alg, tlv(0x03, &bits)])
}

#[test]
fn version_1_certificate() {
    let mut tbs = Tbs::new();
    tbs.version = None;
    let inspection = inspect(&certificate(&tbs)).unwrap();
    assert_eq!(inspection.version, 1);
    assert_eq!(inspection.subject, "CN=unusual.x.test");
    assert!(!inspection.is_ca);
    assert!(inspection.subject_key_id.is_none());
    assert_eq!(inspection.key_algorithm, "ecdsa-p256");
}

#[test]
fn negative_serial_shows_as_written() {
    let mut tbs = Tbs::new();
    tbs.serial = vec![0xff, 0x7f, 0x00, 0x01];
    let inspection = inspect(&certificate(&tbs)).unwrap();
    assert_eq!(inspection.serial_hex, "ff7f0001");
}

#[test]
fn twenty_byte_serial() {
    let mut tbs = Tbs::new();
    tbs.serial = (1..=20).collect();
    let inspection = inspect(&certificate(&tbs)).unwrap();
    assert_eq!(
        inspection.serial_hex,
        hex::encode((1..=20).collect::<Vec<u8>>())
    );
}

#[test]
fn bmp_and_t61_subject() {
    let mut tbs = Tbs::new();
    let bmp: Vec<u8> = "Zürich Ω"
        .encode_utf16()
        .flat_map(|u| u.to_be_bytes())
        .collect();
    tbs.subject = name(&[
        ("2.5.4.6", 0x13, b"CH".to_vec()),
        ("2.5.4.10", 0x14, b"M\xfcller AG".to_vec()),
        ("2.5.4.3", 0x1e, bmp),
    ]);
    let inspection = inspect(&certificate(&tbs)).unwrap();
    assert_eq!(inspection.subject, "C=CH, O=Müller AG, CN=Zürich Ω");
}

#[test]
fn three_thousand_sans() {
    let mut tbs = Tbs::new();
    let names: Vec<Vec<u8>> = (0..3000)
        .map(|i| tlv(0x82, format!("host{i}.x.test").as_bytes()))
        .collect();
    tbs.extensions
        .push(extension("2.5.29.17", false, seq(&names)));
    let inspection = inspect(&certificate(&tbs)).unwrap();
    assert_eq!(inspection.san_dns.len(), 3000);
    assert_eq!(inspection.san_dns[2999], "host2999.x.test");
}

#[test]
fn unknown_critical_extension_listed() {
    let mut tbs = Tbs::new();
    tbs.extensions
        .push(extension("1.3.6.1.4.1.55555.7.1", true, tlv(0x05, &[])));
    tbs.extensions
        .push(extension("1.3.6.1.4.1.55555.7.2", false, tlv(0x05, &[])));
    tbs.extensions
        .push(extension("2.5.29.19", true, seq(&[vec![0x01, 0x01, 0xff]])));
    let inspection = inspect(&certificate(&tbs)).unwrap();
    assert_eq!(
        inspection.unknown_critical_extensions,
        vec!["1.3.6.1.4.1.55555.7.1"]
    );
    assert!(inspection.is_ca);
    assert!(inspection.unparsed.is_empty(), "{:?}", inspection.unparsed);
}

#[test]
fn broken_extension_named_in_unparsed() {
    let mut tbs = Tbs::new();
    // A SAN whose value is an INTEGER instead of a SEQUENCE of names.
    tbs.extensions
        .push(extension("2.5.29.17", false, tlv(0x02, &[0x05])));
    let inspection = inspect(&certificate(&tbs)).unwrap();
    assert_eq!(inspection.subject, "CN=unusual.x.test");
    assert!(
        inspection.unparsed.iter().any(|u| u.contains("2.5.29.17")),
        "{:?}",
        inspection.unparsed
    );
}

#[test]
fn unreadable_validity_gives_partial_result() {
    let mut tbs = Tbs::new();
    tbs.validity = seq(&[tlv(0x17, b"not a time"), tlv(0x17, b"nor this")]);
    let inspection = inspect(&certificate(&tbs)).unwrap();
    assert_eq!(inspection.serial_hex, "01020304");
    assert_eq!(inspection.issuer, "CN=Unusual Test CA");
    assert_eq!(inspection.not_before, None);
    assert_eq!(inspection.signature_algorithm, "ecdsa-with-SHA256");
    assert!(!inspection.sha256_fingerprint.is_empty());
    assert!(
        inspection
            .unparsed
            .iter()
            .any(|u| u.starts_with("validity")),
        "{:?}",
        inspection.unparsed
    );
}

#[test]
fn not_a_certificate_is_malformed() {
    for input in [
        &b""[..],
        b"hello",
        &[0x30, 0x03, 0x02, 0x01, 0x05],
        &[0x30, 0x82, 0x01],
        &[0x04, 0x02, 0xab, 0xcd],
    ] {
        let err = inspect(input).unwrap_err();
        assert!(matches!(err, Error::Malformed { .. }), "{input:?}: {err:?}");
    }
}

#[test]
fn truncations_never_panic() {
    let mut tbs = Tbs::new();
    tbs.extensions.push(extension(
        "2.5.29.17",
        false,
        seq(&[tlv(0x82, b"a.x.test")]),
    ));
    let der = certificate(&tbs);
    for len in 0..der.len() {
        // Only the result's existence matters: no panic on any prefix.
        let _ = inspect(&der[..len]);
    }
    for index in 0..der.len() {
        let mut flipped = der.clone();
        flipped[index] ^= 0xff;
        let _ = inspect(&flipped);
    }
}
