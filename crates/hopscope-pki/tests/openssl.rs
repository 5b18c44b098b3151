//! The openssl command-line tool (3.0) as an independent peer: it verifies
//! what this crate writes, and writes what this crate must read.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use hopscope_pki::export::{certificates_to_pem, pkcs12, Pkcs12Profile};
use hopscope_pki::import::{check_key_matches, read_bundle};
use hopscope_pki::inspect::{inspect, lint};
use hopscope_pki::issue::{issue, issue_successor, sign_csr, IssueRequest, Issuer};
use hopscope_pki::revocation::{build_crl, RevocationReason, RevokedEntry};
use hopscope_pki::{Error, FhirBaseUrl, KeyType, PrivateKey, Role};
use time::{Duration, OffsetDateTime};

fn openssl(dir: &Path, args: &[&str]) -> Output {
    Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the openssl command must be installed for these tests")
}

/// Runs openssl and fails the test with its output when it exits non-zero.
fn openssl_ok(dir: &Path, args: &[&str]) -> String {
    let out = openssl(dir, args);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "openssl {args:?} failed:\n{text}");
    text
}

fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn read(dir: &Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(name)).unwrap()
}

fn now() -> OffsetDateTime {
    // Whole seconds, as certificates store them; a minute back so that a
    // peer whose clock reads the same second sees the certificate valid.
    let now = OffsetDateTime::now_utc() - Duration::minutes(1);
    now.replace_nanosecond(0).unwrap()
}

struct Authority {
    key: PrivateKey,
    cert: Vec<u8>,
}

impl Authority {
    fn issuer(&self) -> Issuer<'_> {
        Issuer {
            cert_der: &self.cert,
            key: &self.key,
        }
    }
}

fn authority(
    name: &str,
    key_type: KeyType,
    path_len: Option<u8>,
    parent: Option<&Authority>,
) -> Authority {
    let key = PrivateKey::generate(key_type).unwrap();
    let request = IssueRequest {
        role: Role::Authority,
        common_name: name,
        url: None,
        key: &key,
        not_before: now(),
        validity: Duration::days(3650),
        path_len,
    };
    let issuer = parent.map(Authority::issuer);
    let cert = issue(&request, issuer.as_ref()).unwrap();
    Authority { key, cert }
}

/// Root and intermediate, written as root.pem and inter.pem.
fn hierarchy(dir: &Path, root_type: KeyType, inter_type: KeyType) -> (Authority, Authority) {
    let root = authority("Hopscope Test Root", root_type, None, None);
    let inter = authority("Hopscope Test Issuing", inter_type, Some(0), Some(&root));
    write(
        dir,
        "root.pem",
        certificates_to_pem(std::slice::from_ref(&root.cert)),
    );
    write(
        dir,
        "inter.pem",
        certificates_to_pem(std::slice::from_ref(&inter.cert)),
    );
    (root, inter)
}

#[test]
fn role_chains_verify_with_openssl() {
    struct Case {
        role: Role,
        url: &'static str,
        key_type: KeyType,
        purpose: Option<&'static str>,
        check: Option<(&'static str, &'static str)>,
    }
    let cases = [
        Case {
            role: Role::PublicEndpoint,
            url: "https://fhir.x.test/r4",
            key_type: KeyType::EcdsaP256,
            purpose: Some("sslserver"),
            check: Some(("-checkhost", "fhir.x.test")),
        },
        Case {
            role: Role::PublicEndpoint,
            url: "https://rsa.x.test/r4",
            key_type: KeyType::Rsa2048,
            purpose: Some("sslserver"),
            check: Some(("-checkhost", "rsa.x.test")),
        },
        Case {
            role: Role::PrivateEndpoint,
            url: "https://private.x.internal:8443/fhir",
            key_type: KeyType::EcdsaP384,
            purpose: Some("sslserver"),
            check: Some(("-checkhost", "private.x.internal")),
        },
        Case {
            role: Role::PrivateEndpoint,
            url: "https://10.20.30.40:8443/fhir",
            key_type: KeyType::EcdsaP256,
            purpose: Some("sslserver"),
            check: Some(("-checkip", "10.20.30.40")),
        },
        Case {
            role: Role::Originator,
            url: "https://app.x.test/udap/client",
            key_type: KeyType::Ed25519,
            purpose: Some("sslclient"),
            check: None,
        },
        Case {
            role: Role::DestinationSigning,
            url: "https://fhir.x.test/r4",
            key_type: KeyType::EcdsaP256,
            purpose: None,
            check: None,
        },
    ];

    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let (_root, inter) = hierarchy(dir, KeyType::EcdsaP384, KeyType::Rsa2048);

    for case in cases {
        let url = FhirBaseUrl::parse(case.url).unwrap();
        let key = PrivateKey::generate(case.key_type).unwrap();
        let request = IssueRequest {
            role: case.role,
            common_name: "leaf",
            url: Some(&url),
            key: &key,
            not_before: now(),
            validity: Duration::days(90),
            path_len: None,
        };
        let leaf = issue(&request, Some(&inter.issuer())).unwrap();
        write(
            dir,
            "leaf.pem",
            certificates_to_pem(std::slice::from_ref(&leaf)),
        );

        let mut args = vec!["verify", "-CAfile", "root.pem", "-untrusted", "inter.pem"];
        if let Some(purpose) = case.purpose {
            args.extend(["-purpose", purpose]);
        }
        args.push("leaf.pem");
        let output = openssl_ok(dir, &args);
        assert!(
            output.contains("leaf.pem: OK"),
            "{} {}: {output}",
            case.role,
            case.url
        );

        if let Some((flag, host)) = case.check {
            let output = openssl_ok(dir, &["x509", "-in", "leaf.pem", "-noout", flag, host]);
            assert!(output.contains("does match"), "{}: {output}", case.url);
            assert!(!output.contains("NOT"), "{}: {output}", case.url);
            let other = if flag == "-checkip" {
                "10.20.30.41"
            } else {
                "other.x.test"
            };
            let output = openssl_ok(dir, &["x509", "-in", "leaf.pem", "-noout", flag, other]);
            assert!(output.contains("does NOT match"), "{}: {output}", case.url);
        }

        let inspection = inspect(&leaf).unwrap();
        assert!(!inspection.is_ca);
        assert_eq!(inspection.version, 3);
        assert_eq!(inspection.serial_hex.len(), 32, "16-byte serial");
        assert!(inspection.subject_key_id.is_some());
        assert_eq!(
            inspection.authority_key_id,
            inspect(&inter.cert).unwrap().subject_key_id
        );
        let findings = lint(
            &inspection,
            Some(case.role),
            Some(&url),
            OffsetDateTime::now_utc(),
        );
        assert!(
            findings.is_empty(),
            "{} {}: {findings:?}",
            case.role,
            case.url
        );
        check_key_matches(&key, &leaf).unwrap();
    }
}

#[test]
fn authority_profile_in_openssl_text() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let (root, _inter) = hierarchy(dir, KeyType::Rsa3072, KeyType::EcdsaP256);
    let text = openssl_ok(dir, &["x509", "-in", "inter.pem", "-noout", "-text"]);
    assert!(text.contains("CA:TRUE, pathlen:0"), "{text}");
    assert!(text.contains("Certificate Sign, CRL Sign"), "{text}");
    assert!(text.contains("X509v3 Authority Key Identifier"), "{text}");
    assert!(!text.contains("Subject Alternative Name"), "{text}");
    let root_inspection = inspect(&root.cert).unwrap();
    assert!(root_inspection.self_signed);
    assert!(root_inspection.is_ca);
    assert_eq!(root_inspection.path_len, None);
    assert_eq!(root_inspection.key_algorithm, "rsa");
    assert_eq!(root_inspection.key_bits, Some(3072));
    let output = openssl_ok(dir, &["verify", "-CAfile", "root.pem", "inter.pem"]);
    assert!(output.contains("inter.pem: OK"), "{output}");
}

#[test]
fn successor_keeps_profile_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let (_root, inter) = hierarchy(dir, KeyType::EcdsaP256, KeyType::EcdsaP256);
    let url = FhirBaseUrl::parse("https://fhir.x.test/r4").unwrap();
    let old_key = PrivateKey::generate(KeyType::EcdsaP256).unwrap();
    let request = IssueRequest {
        role: Role::PublicEndpoint,
        common_name: "fhir.x.test",
        url: Some(&url),
        key: &old_key,
        not_before: now(),
        validity: Duration::days(90),
        path_len: None,
    };
    let old = issue(&request, Some(&inter.issuer())).unwrap();
    let new_key = PrivateKey::generate(KeyType::EcdsaP384).unwrap();
    let new = issue_successor(
        &old,
        &new_key,
        now(),
        Duration::days(60),
        Some(&inter.issuer()),
    )
    .unwrap();

    let (a, b) = (inspect(&old).unwrap(), inspect(&new).unwrap());
    assert_eq!(a.subject, b.subject);
    assert_eq!(a.san_dns, b.san_dns);
    assert_eq!(a.key_usage, b.key_usage);
    assert_eq!(a.extended_key_usage, b.extended_key_usage);
    assert_eq!(a.is_ca, b.is_ca);
    assert_ne!(a.serial_hex, b.serial_hex);
    assert_ne!(a.spki_sha256, b.spki_sha256);
    assert_eq!(b.spki_sha256, new_key.spki_sha256());
    assert_eq!(
        b.not_after.unwrap() - b.not_before.unwrap(),
        Duration::days(60)
    );

    write(dir, "leaf.pem", certificates_to_pem(&[new]));
    let output = openssl_ok(
        dir,
        &[
            "verify",
            "-CAfile",
            "root.pem",
            "-untrusted",
            "inter.pem",
            "-purpose",
            "sslserver",
            "leaf.pem",
        ],
    );
    assert!(output.contains("leaf.pem: OK"), "{output}");
}

fn leaf_with_chain(dir: &Path) -> (PrivateKey, Vec<Vec<u8>>) {
    let (root, inter) = hierarchy(dir, KeyType::EcdsaP256, KeyType::EcdsaP256);
    let url = FhirBaseUrl::parse("https://fhir.x.test/r4").unwrap();
    let key = PrivateKey::generate(KeyType::EcdsaP256).unwrap();
    let request = IssueRequest {
        role: Role::PublicEndpoint,
        common_name: "fhir.x.test",
        url: Some(&url),
        key: &key,
        not_before: now(),
        validity: Duration::days(90),
        path_len: None,
    };
    let leaf = issue(&request, Some(&inter.issuer())).unwrap();
    (key, vec![leaf, inter.cert, root.cert])
}

#[test]
fn pkcs12_export_reads_in_openssl() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let (key, chain) = leaf_with_chain(dir);

    for (profile, expected_info) in [
        (
            Pkcs12Profile::Modern,
            ["PBES2, PBKDF2, AES-256-CBC", "MAC: sha256"],
        ),
        (
            Pkcs12Profile::Legacy,
            ["pbeWithSHA1And3-KeyTripleDES-CBC", "MAC: sha1"],
        ),
    ] {
        let p12 = pkcs12(&key, &chain, "s3cret pass", "fhir endpoint", profile).unwrap();
        write(dir, "out.p12", &p12);

        // No -legacy: OpenSSL 3 reads 3DES with its default provider.
        let output = openssl_ok(
            dir,
            &[
                "pkcs12",
                "-in",
                "out.p12",
                "-passin",
                "pass:s3cret pass",
                "-nodes",
            ],
        );
        assert!(
            output.contains("-----BEGIN PRIVATE KEY-----"),
            "{profile:?}: {output}"
        );
        assert_eq!(
            output.matches("-----BEGIN CERTIFICATE-----").count(),
            3,
            "{profile:?}: {output}"
        );
        assert!(
            output.contains("friendlyName: fhir endpoint"),
            "{profile:?}: {output}"
        );

        let info = openssl_ok(
            dir,
            &[
                "pkcs12",
                "-in",
                "out.p12",
                "-passin",
                "pass:s3cret pass",
                "-info",
                "-noout",
            ],
        );
        for expected in expected_info {
            assert!(info.contains(expected), "{profile:?}: {info}");
        }

        let wrong = openssl(
            dir,
            &[
                "pkcs12",
                "-in",
                "out.p12",
                "-passin",
                "pass:wrong",
                "-nodes",
            ],
        );
        assert!(
            !wrong.status.success(),
            "{profile:?}: openssl accepted a wrong password"
        );

        let bundle = read_bundle(&p12, Some(b"s3cret pass")).unwrap();
        assert_eq!(bundle.keys.len(), 1);
        assert_eq!(bundle.keys[0].pkcs8_der(), key.pkcs8_der());
        assert_eq!(bundle.certificates.len(), 3, "{profile:?}");
        assert_eq!(bundle.certificates[0], chain[0]);

        let err = read_bundle(&p12, Some(b"wrong")).unwrap_err();
        assert!(matches!(err, Error::WrongPassword { .. }), "{err:?}");
    }
}

#[test]
fn openssl_keys_import_and_match() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let cases: [(&str, &[&str], KeyType); 7] = [
        (
            "p256.pem",
            &[
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-out",
                "p256.pem",
            ],
            KeyType::EcdsaP256,
        ),
        (
            "p384.pem",
            &[
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:P-384",
                "-out",
                "p384.pem",
            ],
            KeyType::EcdsaP384,
        ),
        (
            "ed25519.pem",
            &["genpkey", "-algorithm", "ED25519", "-out", "ed25519.pem"],
            KeyType::Ed25519,
        ),
        (
            "rsa.pem",
            &[
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
                "-out",
                "rsa.pem",
            ],
            KeyType::Rsa2048,
        ),
        (
            "pkcs1.pem",
            &["genrsa", "-traditional", "-out", "pkcs1.pem", "3072"],
            KeyType::Rsa3072,
        ),
        (
            "sec1.pem",
            &[
                "ecparam",
                "-name",
                "prime256v1",
                "-genkey",
                "-out",
                "sec1.pem",
            ],
            KeyType::EcdsaP256,
        ),
        (
            "sec1-384.pem",
            &[
                "ecparam",
                "-name",
                "secp384r1",
                "-genkey",
                "-noout",
                "-out",
                "sec1-384.pem",
            ],
            KeyType::EcdsaP384,
        ),
    ];
    let mut previous: Option<PrivateKey> = None;
    for (file, args, key_type) in cases {
        openssl_ok(dir, args);
        let pem = read(dir, file);
        let text = String::from_utf8_lossy(&pem).to_string();
        if file == "pkcs1.pem" {
            assert!(text.contains("BEGIN RSA PRIVATE KEY"), "{text}");
        }
        if file == "sec1.pem" {
            assert!(text.contains("BEGIN EC PARAMETERS"), "{text}");
            assert!(text.contains("BEGIN EC PRIVATE KEY"), "{text}");
        }
        let bundle = read_bundle(&pem, None).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(bundle.keys.len(), 1, "{file}");
        let key = &bundle.keys[0];
        assert_eq!(key.key_type(), key_type, "{file}");

        let cert_file = format!("{file}.crt");
        openssl_ok(
            dir,
            &[
                "req",
                "-x509",
                "-key",
                file,
                "-subj",
                "/CN=openssl peer",
                "-days",
                "2",
                "-out",
                &cert_file,
            ],
        );
        let cert_bundle = read_bundle(&read(dir, &cert_file), None).unwrap();
        assert_eq!(cert_bundle.certificates.len(), 1);
        check_key_matches(key, &cert_bundle.certificates[0])
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        let inspection = inspect(&cert_bundle.certificates[0]).unwrap();
        assert!(inspection.self_signed, "{file}");
        assert_eq!(inspection.subject, "CN=openssl peer");

        // A key and certificate in one PEM file come back together.
        let mut both = read(dir, &cert_file);
        both.extend_from_slice(&pem);
        let combined = read_bundle(&both, None).unwrap();
        assert_eq!(
            (combined.certificates.len(), combined.keys.len()),
            (1, 1),
            "{file}"
        );

        if let Some(other) = &previous {
            let err = check_key_matches(other, &cert_bundle.certificates[0]).unwrap_err();
            assert!(matches!(err, Error::KeyMismatch { .. }), "{file}: {err:?}");
            assert!(err.to_string().contains("CN=openssl peer"), "{err}");
        }
        previous = Some(PrivateKey::from_pkcs8_der(key.pkcs8_der()).unwrap());

        // Our key written back as PKCS#8 PEM must read in openssl.
        write(dir, "back.pem", key.to_pkcs8_pem().as_bytes());
        let back = openssl(dir, &["pkey", "-in", "back.pem", "-noout"]);
        assert!(
            back.status.success(),
            "{file} written back: {}\n{}",
            String::from_utf8_lossy(&back.stderr),
            key.to_pkcs8_pem().as_str()
        );
    }

    // DER forms sniffed without a label.
    openssl_ok(
        dir,
        &[
            "pkey", "-in", "p256.pem", "-outform", "DER", "-out", "p256.der",
        ],
    );
    let der_bundle = read_bundle(&read(dir, "p256.der"), None).unwrap();
    assert_eq!(der_bundle.keys.len(), 1);
    openssl_ok(
        dir,
        &[
            "x509",
            "-in",
            "p256.pem.crt",
            "-outform",
            "DER",
            "-out",
            "p256.crt.der",
        ],
    );
    let der_bundle = read_bundle(&read(dir, "p256.crt.der"), None).unwrap();
    assert_eq!(der_bundle.certificates.len(), 1);
}

#[test]
fn openssl_encrypted_pkcs8_imports() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    openssl_ok(
        dir,
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            "k.pem",
        ],
    );
    openssl_ok(
        dir,
        &[
            "pkcs8",
            "-topk8",
            "-v2",
            "aes-256-cbc",
            "-in",
            "k.pem",
            "-out",
            "enc.pem",
            "-passout",
            "pass:pw123",
        ],
    );
    let clear = read_bundle(&read(dir, "k.pem"), None).unwrap();
    let enc = read(dir, "enc.pem");
    let bundle = read_bundle(&enc, Some(b"pw123")).unwrap();
    assert_eq!(bundle.keys[0].pkcs8_der(), clear.keys[0].pkcs8_der());

    let err = read_bundle(&enc, Some(b"nope")).unwrap_err();
    assert!(matches!(err, Error::WrongPassword { .. }), "{err:?}");
    let err = read_bundle(&enc, None).unwrap_err();
    assert!(matches!(err, Error::WrongPassword { .. }), "{err:?}");
    assert!(err.to_string().contains("pass the password"), "{err}");

    // And the other way: our encryption read by openssl.
    let ours = clear.keys[0]
        .encrypt(
            b"pw456",
            hopscope_pki::key::Kdf::Pbkdf2Sha256 { iterations: 2048 },
        )
        .unwrap();
    write(dir, "ours.der", ours);
    let output = openssl_ok(
        dir,
        &[
            "pkcs8",
            "-inform",
            "DER",
            "-in",
            "ours.der",
            "-passin",
            "pass:pw456",
            "-nocrypt",
            "-topk8",
        ],
    );
    assert!(output.contains("BEGIN PRIVATE KEY"), "{output}");
}

#[test]
fn openssl_pkcs12_imports() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let (key, chain) = leaf_with_chain(dir);
    write(dir, "leaf.pem", certificates_to_pem(&chain[..1]));
    write(dir, "key.pem", key.to_pkcs8_pem().as_bytes());
    write(dir, "cas.pem", certificates_to_pem(&chain[1..]));

    let forms: [(&str, &[&str]); 3] = [
        ("default.p12", &[]),
        (
            "3des.p12",
            &[
                "-certpbe",
                "PBE-SHA1-3DES",
                "-keypbe",
                "PBE-SHA1-3DES",
                "-macalg",
                "sha1",
            ],
        ),
        // RC2-40 certificate bags, as OpenSSL 1.x and older Windows wrote.
        ("rc2.p12", &["-legacy"]),
    ];
    for (file, extra) in forms {
        let mut args = vec![
            "pkcs12",
            "-export",
            "-in",
            "leaf.pem",
            "-inkey",
            "key.pem",
            "-certfile",
            "cas.pem",
            "-passout",
            "pass:p12pass",
            "-out",
            file,
        ];
        args.extend_from_slice(extra);
        openssl_ok(dir, &args);
        let p12 = read(dir, file);
        let bundle = read_bundle(&p12, Some(b"p12pass")).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(bundle.keys.len(), 1, "{file}");
        assert_eq!(bundle.keys[0].pkcs8_der(), key.pkcs8_der(), "{file}");
        assert_eq!(bundle.certificates.len(), 3, "{file}");
        assert!(bundle.certificates.contains(&chain[0]), "{file}");
        check_key_matches(&bundle.keys[0], &chain[0]).unwrap();

        let err = read_bundle(&p12, Some(b"wrong")).unwrap_err();
        assert!(
            matches!(err, Error::WrongPassword { .. }),
            "{file}: {err:?}"
        );
        let err = read_bundle(&p12, None).unwrap_err();
        assert!(
            matches!(err, Error::WrongPassword { .. }),
            "{file}: {err:?}"
        );
        assert!(
            err.to_string().contains("pass the file's password"),
            "{err}"
        );
    }
}

#[test]
fn crl_verifies_and_revokes() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let (root, inter) = hierarchy(dir, KeyType::EcdsaP256, KeyType::Rsa2048);
    let url = FhirBaseUrl::parse("https://fhir.x.test/r4").unwrap();
    let leaf_key = PrivateKey::generate(KeyType::EcdsaP256).unwrap();
    let leaf = issue(
        &IssueRequest {
            role: Role::PublicEndpoint,
            common_name: "revoked",
            url: Some(&url),
            key: &leaf_key,
            not_before: now(),
            validity: Duration::days(30),
            path_len: None,
        },
        Some(&inter.issuer()),
    )
    .unwrap();
    write(
        dir,
        "leaf.pem",
        certificates_to_pem(std::slice::from_ref(&leaf)),
    );
    let serial = hex::decode(inspect(&leaf).unwrap().serial_hex).unwrap();

    let crl = build_crl(
        &inter.issuer(),
        &[
            RevokedEntry {
                serial,
                revoked_at: now(),
                reason: RevocationReason::KeyCompromise,
            },
            RevokedEntry {
                serial: vec![0x01, 0x02, 0x03],
                revoked_at: now(),
                reason: RevocationReason::Unspecified,
            },
        ],
        7,
        now(),
        now() + Duration::days(7),
    )
    .unwrap();
    write(dir, "crl.der", &crl);
    openssl_ok(
        dir,
        &["crl", "-inform", "DER", "-in", "crl.der", "-out", "crl.pem"],
    );

    let output = openssl_ok(
        dir,
        &[
            "crl",
            "-in",
            "crl.pem",
            "-CAfile",
            "inter.pem",
            "-verify",
            "-noout",
        ],
    );
    assert!(output.contains("verify OK"), "{output}");
    let text = openssl_ok(dir, &["crl", "-in", "crl.pem", "-noout", "-text"]);
    assert!(text.contains("Version 2"), "{text}");
    assert!(text.contains("X509v3 CRL Number"), "{text}");
    assert!(text.contains("X509v3 Authority Key Identifier"), "{text}");
    assert!(text.contains("Key Compromise"), "{text}");

    write(
        dir,
        "chain.pem",
        certificates_to_pem(&[inter.cert.clone(), root.cert.clone()]),
    );
    let out = openssl(
        dir,
        &[
            "verify",
            "-crl_check",
            "-CRLfile",
            "crl.pem",
            "-CAfile",
            "chain.pem",
            "leaf.pem",
        ],
    );
    let text =
        String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{text}");
    assert!(text.contains("certificate revoked"), "{text}");
}

#[test]
fn openssl_csr_signs_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let (_root, inter) = hierarchy(dir, KeyType::EcdsaP256, KeyType::EcdsaP256);
    openssl_ok(
        dir,
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-384",
            "-out",
            "k.pem",
        ],
    );
    openssl_ok(
        dir,
        &[
            "req",
            "-new",
            "-key",
            "k.pem",
            "-subj",
            "/CN=csr.x.test",
            "-addext",
            "subjectAltName=DNS:csr.x.test",
            "-out",
            "req.pem",
        ],
    );
    let csr_pem = read(dir, "req.pem");

    // SANs from the CSR.
    let cert = sign_csr(
        &csr_pem,
        Role::PublicEndpoint,
        None,
        now(),
        Duration::days(30),
        &inter.issuer(),
    )
    .unwrap();
    write(
        dir,
        "leaf.pem",
        certificates_to_pem(std::slice::from_ref(&cert)),
    );
    let output = openssl_ok(
        dir,
        &[
            "verify",
            "-CAfile",
            "root.pem",
            "-untrusted",
            "inter.pem",
            "-purpose",
            "sslserver",
            "leaf.pem",
        ],
    );
    assert!(output.contains("leaf.pem: OK"), "{output}");
    let inspection = inspect(&cert).unwrap();
    assert_eq!(inspection.san_dns, vec!["csr.x.test"]);
    assert_eq!(inspection.subject, "CN=csr.x.test");
    assert_eq!(inspection.key_algorithm, "ecdsa-p384");
    assert_eq!(inspection.extended_key_usage, vec!["serverAuth"]);

    // SANs from the URL, CSR given as DER.
    openssl_ok(
        dir,
        &[
            "req", "-in", "req.pem", "-outform", "DER", "-out", "req.der",
        ],
    );
    let url = FhirBaseUrl::parse("https://app.x.test/client").unwrap();
    let cert = sign_csr(
        &read(dir, "req.der"),
        Role::Originator,
        Some(&url),
        now(),
        Duration::days(30),
        &inter.issuer(),
    )
    .unwrap();
    write(
        dir,
        "leaf.pem",
        certificates_to_pem(std::slice::from_ref(&cert)),
    );
    let output = openssl_ok(
        dir,
        &[
            "verify",
            "-CAfile",
            "root.pem",
            "-untrusted",
            "inter.pem",
            "-purpose",
            "sslclient",
            "leaf.pem",
        ],
    );
    assert!(output.contains("leaf.pem: OK"), "{output}");
    let inspection = inspect(&cert).unwrap();
    assert_eq!(inspection.san_uri, vec!["https://app.x.test/client"]);
    assert!(inspection.san_dns.is_empty());

    // A CSR whose signature does not verify.
    let mut tampered = read(dir, "req.der");
    let index = tampered.len() / 3;
    tampered[index] ^= 0x01;
    let err = sign_csr(
        &tampered,
        Role::PublicEndpoint,
        None,
        now(),
        Duration::days(30),
        &inter.issuer(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::Malformed { .. }), "{err:?}");
}
