//! Signatures cross-checked with an independent implementation: the
//! Python package http-message-signatures 3 (with cryptography) verifies
//! responses this crate signs and signs responses this crate verifies, and
//! PyJWT verifies an ES256 JWS from `jws::sign_compact`.
//!
//! The first run creates a virtualenv in `<target dir>/pyenv-sig` and
//! installs the packages from PyPI with pip; later runs reuse it. The tests
//! fail, naming the cause, when python3, its venv module or PyPI is missing.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use common::*;
use hopscope_sign::jws::sign_compact;
use hopscope_sign::{
    content_digest_sha256, sign, verify, verify_content_digest, Algorithm, ComponentId,
    HttpMessage, SignatureParams, SigningKey, VerifyingKey,
};
use serde_json::{json, Value};

const SCRIPTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python");

/// Packages of the virtualenv, with the major versions the scripts target.
const PACKAGES: &[&str] = &[
    "http-message-signatures>=3,<4",
    "cryptography>=41",
    "pyjwt>=2.8,<3",
];

/// Returns the virtualenv's python. The virtualenv is set up once per test
/// process.
fn python() -> PathBuf {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(set_up_virtualenv).clone()
}

fn set_up_virtualenv() -> PathBuf {
    // CARGO_TARGET_TMPDIR is <target dir>/tmp.
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().unwrap();
    let venv = target.join("pyenv-sig");
    let python = venv.join("bin").join("python");
    // Written last, so a run interrupted during pip install starts over.
    let ready = venv.join(".hopscope-ready");
    if ready.exists() && python.exists() {
        return python;
    }
    if venv.exists() {
        std::fs::remove_dir_all(&venv)
            .unwrap_or_else(|e| panic!("cannot remove {}: {e}", venv.display()));
    }

    let output = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .output()
        .expect("python3 could not be started; install Python 3 (Debian package python3)");
    assert!(
        output.status.success(),
        "python3 -m venv {} failed; on Debian install the python3-venv package:\n{}",
        venv.display(),
        String::from_utf8_lossy(&output.stderr)
    );

    let output = Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ])
        .args(PACKAGES)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "pip could not install {} into {}; check that PyPI is reachable:\n{}",
        PACKAGES.join(" "),
        venv.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::write(&ready, "").unwrap();
    python
}

fn run_script(script: &str, args: &[&str]) -> Output {
    Command::new(python())
        .arg(Path::new(SCRIPTS).join(script))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot start {script}: {e}"))
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Writes a header file the way `curl -D` does: status line, field lines,
/// blank line, all with CRLF.
fn write_header_file(path: &Path, status: u16, message: &HttpMessage) {
    let mut text = format!("HTTP/1.1 {status} OK\r\n");
    for (name, value) in message.headers() {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("\r\n");
    std::fs::write(path, text).unwrap();
}

/// A response signed by this crate, with the files verify_response.py reads.
struct SignedFiles {
    dir: tempfile::TempDir,
    message: HttpMessage,
}

impl SignedFiles {
    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).to_str().unwrap().to_string()
    }

    /// Runs verify_response.py on the files and returns its exit status and
    /// JSON report.
    fn verify_with_python(&self, status: u16, extra: &[&str]) -> (bool, Value) {
        let (headers, body, cert) = (
            self.path("headers.txt"),
            self.path("body"),
            self.path("cert.pem"),
        );
        let status = status.to_string();
        let mut args = vec![
            "--status",
            &status,
            "--headers",
            &headers,
            "--body",
            &body,
            "--cert",
            &cert,
        ];
        args.extend_from_slice(extra);
        let output = run_script("verify_response.py", &args);
        let stdout = String::from_utf8_lossy(&output.stdout);
        let report: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
            panic!(
                "verify_response.py printed no JSON ({e}):\n{stdout}\n{}",
                String::from_utf8_lossy(&output.stderr)
            )
        });
        (output.status.success(), report)
    }
}

fn sign_to_files(credential: &Credential, key: SigningKey, body: &[u8]) -> SignedFiles {
    let dir = tempfile::tempdir().unwrap();
    let mut message = HttpMessage::response(200)
        .with_header("Content-Type", "application/fhir+json")
        .with_header("Content-Digest", &content_digest_sha256(body))
        .with_header("Content-Length", &body.len().to_string());
    let params = SignatureParams::new([
        ComponentId::derived("@status"),
        ComponentId::field("content-type"),
        ComponentId::field("content-digest"),
        ComponentId::field("content-length"),
    ])
    .with_created(now())
    .with_keyid(&key.keyid().unwrap())
    .with_alg(key.algorithm());
    sign(&message, "sig1", &params, &key)
        .unwrap()
        .append_to(&mut message);

    write_header_file(&dir.path().join("headers.txt"), 200, &message);
    std::fs::write(dir.path().join("body"), body).unwrap();
    std::fs::write(dir.path().join("cert.pem"), &credential.certificate_pem).unwrap();
    SignedFiles { dir, message }
}

fn credential_and_key(alg: &'static rcgen::SignatureAlgorithm) -> (Credential, SigningKey) {
    let credential = generate_credential(alg);
    let key = SigningKey::from_pkcs8_der(&credential.private_key_pkcs8).unwrap();
    (credential, key)
}

#[test]
fn python_verifies_rust_signed_responses() {
    for alg in [
        &rcgen::PKCS_ECDSA_P256_SHA256,
        &rcgen::PKCS_ECDSA_P384_SHA384,
        &rcgen::PKCS_ED25519,
    ] {
        let (credential, key) = credential_and_key(alg);
        let algorithm = key.algorithm();
        let keyid = key.keyid().unwrap();
        let files = sign_to_files(&credential, key, PATIENT_BODY);

        let (success, report) = files.verify_with_python(200, &[]);

        assert!(success, "{algorithm}: {report:#}");
        assert_eq!(report["verified"], true, "{algorithm}: {report:#}");
        assert_eq!(
            report["signature"]["algorithm"],
            algorithm.name(),
            "{report:#}"
        );
        assert_eq!(report["keyid"]["expected"], keyid.as_str(), "{report:#}");
        assert_eq!(report["keyid"]["ok"], true, "{report:#}");
        assert_eq!(report["content_digest"]["ok"], true, "{report:#}");
    }
}

#[test]
fn python_verifies_rust_rsa_pss_response() {
    // rcgen cannot make RSA keys with ring, so a self-signed certificate is
    // made for the RFC 9421 RSA key instead.
    let pkcs8 = rsa_pss_private_as_rsa_encryption();
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &pkcs8)
    );
    let key_pair =
        rcgen::KeyPair::from_pkcs8_pem_and_sign_algo(&pem, &rcgen::PKCS_RSA_SHA256).unwrap();
    let certificate = rcgen::CertificateParams::new(vec!["destination.test".to_string()])
        .unwrap()
        .self_signed(&key_pair)
        .unwrap();
    let credential = Credential {
        certificate_der: certificate.der().to_vec(),
        certificate_pem: certificate.pem(),
        private_key_pkcs8: pkcs8.clone(),
        private_key_pem: key_pair.serialize_pem(),
    };
    for algorithm in [Algorithm::RsaPssSha512, Algorithm::RsaV1_5Sha256] {
        let key = SigningKey::from_pkcs8_der(&pkcs8)
            .unwrap()
            .with_algorithm(algorithm)
            .unwrap();
        let files = sign_to_files(&credential, key, PATIENT_BODY);
        let (success, report) = files.verify_with_python(200, &[]);
        assert!(success, "{algorithm}: {report:#}");
        assert_eq!(
            report["signature"]["algorithm"],
            algorithm.name(),
            "{report:#}"
        );
    }
}

#[test]
fn python_rejects_changed_body() {
    let (credential, key) = credential_and_key(&rcgen::PKCS_ECDSA_P256_SHA256);
    let files = sign_to_files(&credential, key, PATIENT_BODY);
    let mut body = PATIENT_BODY.to_vec();
    body[5] ^= 1;
    std::fs::write(files.path("body"), &body).unwrap();

    let (success, report) = files.verify_with_python(200, &[]);

    assert!(!success, "{report:#}");
    assert_eq!(report["signature"]["ok"], true, "{report:#}");
    assert_eq!(report["content_digest"]["matches"], false, "{report:#}");
}

#[test]
fn python_rejects_changed_status() {
    let (credential, key) = credential_and_key(&rcgen::PKCS_ED25519);
    let files = sign_to_files(&credential, key, PATIENT_BODY);

    let (success, report) = files.verify_with_python(203, &[]);

    assert!(!success, "{report:#}");
    assert_eq!(report["signature"]["ok"], false, "{report:#}");
}

#[test]
fn python_rejects_changed_header() {
    let (credential, key) = credential_and_key(&rcgen::PKCS_ECDSA_P256_SHA256);
    let mut files = sign_to_files(&credential, key, PATIENT_BODY);
    files.message.remove_header("content-type");
    files
        .message
        .append_header("Content-Type", "application/json");
    write_header_file(&files.dir.path().join("headers.txt"), 200, &files.message);

    let (success, report) = files.verify_with_python(200, &[]);

    assert!(!success, "{report:#}");
    assert_eq!(report["signature"]["ok"], false, "{report:#}");
}

#[test]
fn python_rejects_other_certificate() {
    let (credential, key) = credential_and_key(&rcgen::PKCS_ECDSA_P256_SHA256);
    let files = sign_to_files(&credential, key, PATIENT_BODY);
    let other = generate_credential(&rcgen::PKCS_ECDSA_P256_SHA256);
    std::fs::write(files.path("cert.pem"), &other.certificate_pem).unwrap();

    let (success, report) = files.verify_with_python(200, &[]);

    assert!(!success, "{report:#}");
    assert_eq!(report["keyid"]["ok"], false, "{report:#}");
    assert_eq!(report["signature"]["ok"], false, "{report:#}");
}

#[test]
fn python_selects_label_among_several() {
    let (credential, key) = credential_and_key(&rcgen::PKCS_ECDSA_P256_SHA256);
    let mut files = sign_to_files(&credential, key, PATIENT_BODY);
    let other_key = SigningKey::from_pkcs8_der(&pem_der(ED25519_PRIVATE)).unwrap();
    let params = SignatureParams::new([ComponentId::derived("@status")])
        .with_created(now())
        .with_keyid("gateway");
    sign(&files.message, "gateway", &params, &other_key)
        .unwrap()
        .append_to(&mut files.message);
    write_header_file(&files.dir.path().join("headers.txt"), 200, &files.message);

    let (success, report) = files.verify_with_python(200, &["--label", "sig1"]);

    assert!(success, "{report:#}");
    assert_eq!(report["label"], "sig1", "{report:#}");
}

/// Returns the private key as PEM that the cryptography package can read.
/// rcgen (through ring) writes Ed25519 keys as PKCS#8 v2, with the public
/// key, and cryptography 50.0 rejects that form ("ASN.1 parsing error"), as
/// does OpenSSL 3.0 here. Those keys are rewritten as PKCS#8 v1 from the
/// 32-byte seed.
fn python_readable_private_key(credential: &Credential) -> String {
    const ED25519_V1_PREFIX: [u8; 16] = [
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    let der = &credential.private_key_pkcs8;
    let is_ed25519_v2 = der.len() > 48
        && der[2..5] == [0x02, 0x01, 0x01]
        && der[7..12] == [0x06, 0x03, 0x2b, 0x65, 0x70];
    if !is_ed25519_v2 {
        return credential.private_key_pem.clone();
    }
    let seed = &der[16..48];
    let v1 = [&ED25519_V1_PREFIX[..], seed].concat();
    format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, v1)
    )
}

/// Runs sign_response.py over a FHIR response and returns its JSON output.
fn sign_with_python(credential: &Credential, dir: &Path) -> Value {
    let headers = dir.join("headers.txt");
    let body = dir.join("body");
    let key = dir.join("key.pem");
    let unsigned = HttpMessage::response(200)
        .with_header("Content-Type", "application/fhir+json")
        .with_header("Content-Length", &PATIENT_BODY.len().to_string());
    write_header_file(&headers, 200, &unsigned);
    std::fs::write(&body, PATIENT_BODY).unwrap();
    std::fs::write(&key, python_readable_private_key(credential)).unwrap();

    let output = run_script(
        "sign_response.py",
        &[
            "--status",
            "200",
            "--headers",
            headers.to_str().unwrap(),
            "--body",
            body.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
            "--components",
            "@status,content-type,content-digest,content-length",
        ],
    );
    assert!(
        output.status.success(),
        "sign_response.py failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn rust_verifies_python_signed_responses() {
    for alg in [&rcgen::PKCS_ECDSA_P256_SHA256, &rcgen::PKCS_ED25519] {
        let credential = generate_credential(alg);
        let dir = tempfile::tempdir().unwrap();
        let signed = sign_with_python(&credential, dir.path());

        let mut message = HttpMessage::response(200);
        for line in signed["headers"].as_array().unwrap() {
            message.append_header(line[0].as_str().unwrap(), line[1].as_str().unwrap());
        }
        let key = VerifyingKey::from_certificate_der(&credential.certificate_der).unwrap();
        let verified = verify(
            &message,
            signed["signature_input"].as_str().unwrap(),
            signed["signature"].as_str().unwrap(),
            Some("sig1"),
            &key,
        )
        .unwrap_or_else(|e| panic!("{}: {e}\n{signed:#}", signed["algorithm"]));

        assert_eq!(verified.algorithm.name(), signed["algorithm"], "{signed:#}");
        assert_eq!(
            verified.params.keyid(),
            key.keyid().as_deref(),
            "{signed:#}"
        );
        let digest = signed["content_digest"].as_str().unwrap();
        assert!(
            verify_content_digest(digest, PATIENT_BODY).is_ok(),
            "{digest}"
        );
        assert!(
            verified.base.starts_with("\"@status\": 200\n"),
            "{}",
            verified.base
        );
    }
}

#[test]
fn rust_rejects_python_signature_on_changed_status() {
    let credential = generate_credential(&rcgen::PKCS_ECDSA_P256_SHA256);
    let dir = tempfile::tempdir().unwrap();
    let signed = sign_with_python(&credential, dir.path());

    let mut message = HttpMessage::response(201);
    for line in signed["headers"].as_array().unwrap() {
        message.append_header(line[0].as_str().unwrap(), line[1].as_str().unwrap());
    }
    let key = VerifyingKey::from_certificate_der(&credential.certificate_der).unwrap();
    let error = verify(
        &message,
        signed["signature_input"].as_str().unwrap(),
        signed["signature"].as_str().unwrap(),
        None,
        &key,
    )
    .unwrap_err();
    assert!(
        matches!(error, hopscope_sign::VerifyError::BadSignature { .. }),
        "{error}"
    );
}

#[test]
fn pyjwt_verifies_es256_jws() {
    let (credential, key) = credential_and_key(&rcgen::PKCS_ECDSA_P256_SHA256);
    let claims =
        json!({"iss": "https://destination.test", "sub": "Patient/example", "exp": now() + 300});
    let token = sign_compact(
        &json!({"typ": "JWT", "kid": key.keyid().unwrap()}),
        &claims,
        &key,
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cert = dir.path().join("cert.pem");
    std::fs::write(&cert, &credential.certificate_pem).unwrap();

    let mut child = Command::new(python())
        .arg(Path::new(SCRIPTS).join("verify_jws.py"))
        .args(["--cert", cert.to_str().unwrap(), "--alg", "ES256"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(token.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();

    assert!(
        output.status.success(),
        "PyJWT rejected {token}:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let decoded: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(decoded["claims"], claims);
    assert_eq!(decoded["header"]["alg"], "ES256");
    assert_eq!(decoded["header"]["kid"], key.keyid().unwrap().as_str());
}
