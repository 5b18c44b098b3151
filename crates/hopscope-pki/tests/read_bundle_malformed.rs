//! Truncated and malformed input for read_bundle: each case is
//! `Error::Malformed` with a message naming what was expected, and no input
//! panics.

use hopscope_pki::export::{certificates_to_pem, pkcs12, Pkcs12Profile};
use hopscope_pki::import::read_bundle;
use hopscope_pki::issue::{issue, IssueRequest};
use hopscope_pki::{Error, KeyType, PrivateKey, Role};
use time::{Duration, OffsetDateTime};

fn self_signed() -> (PrivateKey, Vec<u8>) {
    let key = PrivateKey::generate(KeyType::EcdsaP256).unwrap();
    let request = IssueRequest {
        role: Role::Authority,
        common_name: "Malformed Test CA",
        url: None,
        key: &key,
        not_before: OffsetDateTime::now_utc(),
        validity: Duration::days(30),
        path_len: None,
    };
    let cert = issue(&request, None).unwrap();
    (key, cert)
}

#[test]
fn malformed_table() {
    let (key, cert) = self_signed();
    let cert_pem = certificates_to_pem(std::slice::from_ref(&cert));
    let truncated_pem = cert_pem[..cert_pem.len() / 2].to_string();
    let key_pem = key.to_pkcs8_pem().to_string();
    let bad_base64 = "-----BEGIN CERTIFICATE-----\n!!!!not base64!!!!\n-----END CERTIFICATE-----\n";
    let garbage_cert = "-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n-----END CERTIFICATE-----\n";
    let garbage_key = "-----BEGIN PRIVATE KEY-----\naGVsbG8gd29ybGQ=\n-----END PRIVATE KEY-----\n";
    let garbage_csr =
        "-----BEGIN CERTIFICATE REQUEST-----\naGVsbG8gd29ybGQ=\n-----END CERTIFICATE REQUEST-----\n";
    let end_only = "-----END CERTIFICATE-----\n";
    let mismatched = "-----BEGIN CERTIFICATE-----\naGVsbG8=\n-----END PRIVATE KEY-----\n";
    let no_blocks = "-----BEGIN \n just text\n";
    let key_then_truncated = format!("{key_pem}{truncated_pem}");

    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "empty",
            Vec::new(),
            "malformed input: not PEM, DER certificate, DER key, CSR or PKCS#12 (the input is empty)",
        ),
        (
            "text",
            b"hello world".to_vec(),
            "malformed input: not PEM, DER certificate, DER key, CSR or PKCS#12",
        ),
        (
            "truncated PEM certificate",
            truncated_pem.into_bytes(),
            "malformed PEM: block \"CERTIFICATE\" at line 1 is truncated",
        ),
        (
            "truncated second block",
            key_then_truncated.clone().into_bytes(),
            "malformed PEM: block \"CERTIFICATE\" at line 6 is truncated",
        ),
        (
            "bad base64",
            bad_base64.into(),
            "malformed PEM: block \"CERTIFICATE\" at line 1 does not decode",
        ),
        (
            "garbage certificate",
            garbage_cert.into(),
            "malformed certificate: ",
        ),
        ("garbage key", garbage_key.into(), "malformed PKCS#8 private key: "),
        (
            "garbage CSR",
            garbage_csr.into(),
            "malformed certificate signing request: ",
        ),
        (
            "END without BEGIN",
            end_only.into(),
            "malformed PEM: END \"CERTIFICATE\" at line 1 has no BEGIN",
        ),
        (
            "mismatched END",
            mismatched.into(),
            "malformed PEM: block \"CERTIFICATE\" at line 1 ends with END \"PRIVATE KEY\" at line 3",
        ),
        (
            "no complete block",
            no_blocks.into(),
            "malformed PEM: no certificate, key or certificate request block found",
        ),
        (
            "truncated DER certificate",
            cert[..cert.len() - 10].to_vec(),
            "malformed input: not PEM, DER certificate, DER key, CSR or PKCS#12 (the DER is truncated)",
        ),
        (
            "DER with trailing garbage",
            [cert.clone(), b"junk".to_vec()].concat(),
            "malformed input: not PEM, DER certificate, DER key, CSR or PKCS#12",
        ),
    ];
    for (name, input, expected) in cases {
        let err = read_bundle(&input, None).expect_err(name);
        assert!(matches!(err, Error::Malformed { .. }), "{name}: {err:?}");
        assert!(
            err.to_string().starts_with(expected),
            "{name}: {err}\nexpected it to start with: {expected}"
        );
    }
}

#[test]
fn pem_prefixes_never_panic() {
    let (key, cert) = self_signed();
    let text = format!(
        "{}{}",
        certificates_to_pem(&[cert.clone(), cert]),
        key.to_pkcs8_pem().as_str()
    );
    for len in 0..text.len() {
        match read_bundle(&text.as_bytes()[..len], None) {
            // A prefix may end right after a complete block.
            Ok(bundle) => assert!(!bundle.certificates.is_empty(), "prefix {len}"),
            Err(Error::Malformed { .. }) => {}
            Err(other) => panic!("prefix {len}: {other:?}"),
        }
    }
}

#[test]
fn der_and_pkcs12_prefixes_are_malformed() {
    let (key, cert) = self_signed();
    let p12 = pkcs12(
        &key,
        std::slice::from_ref(&cert),
        "pw",
        "test",
        Pkcs12Profile::Modern,
    )
    .unwrap();
    let encrypted = key
        .encrypt(
            b"pw",
            hopscope_pki::key::Kdf::Pbkdf2Sha256 { iterations: 1000 },
        )
        .unwrap();
    for (name, der) in [
        ("certificate", cert),
        ("PKCS#8", key.pkcs8_der().to_vec()),
        ("encrypted PKCS#8", encrypted),
        ("PKCS#12", p12),
    ] {
        for len in 0..der.len() {
            match read_bundle(&der[..len], Some(b"pw")) {
                Err(Error::Malformed { .. }) => {}
                other => panic!("{name} prefix {len}: {other:?}"),
            }
        }
    }
}

#[test]
fn wrong_pkcs12_password_is_wrong_password() {
    let (key, cert) = self_signed();
    for profile in [Pkcs12Profile::Modern, Pkcs12Profile::Legacy] {
        let p12 = pkcs12(&key, std::slice::from_ref(&cert), "right", "test", profile).unwrap();
        let err = read_bundle(&p12, Some(b"wrong")).unwrap_err();
        assert!(
            matches!(err, Error::WrongPassword { .. }),
            "{profile:?}: {err:?}"
        );
        let err = read_bundle(&p12, None).unwrap_err();
        assert!(
            err.to_string().contains("pass the file's password"),
            "{err}"
        );
        let bundle = read_bundle(&p12, Some(b"right")).unwrap();
        assert_eq!(bundle.certificates, vec![cert.clone()]);
    }
}
