//! JWTs signed outside Hopscope, by PyJWT with the `cryptography` package,
//! are judged like Hopscope's own.
//!
//! The first run creates a virtualenv in `<target dir>/pyenv` and installs
//! PyJWT and cryptography from PyPI with pip; later runs reuse it. The test
//! fails, naming the cause, when python3, its venv module or PyPI is missing.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::*;
use hopscope_pki::KeyType;
use hopscope_trust::{decide, CheckName, Outcome, Presented};

#[test]
fn pyjwt_token_from_hopscope_certificate_is_trusted() {
    for key_type in [
        KeyType::EcdsaP256,
        KeyType::EcdsaP384,
        KeyType::Ed25519,
        KeyType::Rsa2048,
    ] {
        let community = Community::new(key_type);
        let list = anchored(&[&community.root.cert]);
        let jwt = pyjwt_sign(&community);

        let decision = decide(&list, &Presented::Jwt(jwt.clone()), &context(now()));
        let report = serde_json::to_string_pretty(&decision.checks).unwrap();

        assert!(decision.trusted, "{key_type}: {jwt}\n{report}");
        assert_eq!(
            decision.check(CheckName::Signature).outcome,
            Outcome::Pass,
            "{key_type}"
        );
    }
}

#[test]
fn pyjwt_token_from_unrelated_ca_is_rejected() {
    let community = Community::new(KeyType::EcdsaP256);
    let unrelated = Community::named("unrelated-ca", KeyType::EcdsaP256);
    let list = anchored(&[&community.root.cert]);
    let jwt = pyjwt_sign(&unrelated);

    let decision = decide(&list, &Presented::Jwt(jwt), &context(now()));
    let chain = decision.check(CheckName::Chain);

    assert!(!decision.trusted);
    assert_eq!(decision.check(CheckName::Signature).outcome, Outcome::Pass);
    assert_eq!(chain.outcome, Outcome::Fail);
    assert!(
        chain
            .reason
            .contains("no anchor of the trust list issued this chain"),
        "{}",
        chain.reason
    );
}

/// Signs a client assertion for the community's leaf with PyJWT and returns
/// the compact JWT.
fn pyjwt_sign(community: &Community) -> String {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("leaf.key");
    let chain = dir.path().join("chain.pem");
    std::fs::write(&key, community.leaf.key.to_pkcs8_pem().as_bytes()).unwrap();
    std::fs::write(&chain, pem_of(&community.chain())).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/pyjwt_sign.py");

    let output = Command::new(python())
        .arg(&script)
        .arg(&key)
        .arg(&chain)
        .arg(CLIENT_URI)
        .arg(TOKEN_URL)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{} failed:\n{}",
        script.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_string()
}

/// Returns the virtualenv's python, with PyJWT and cryptography installed.
/// The virtualenv is set up once per test process.
fn python() -> PathBuf {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(set_up_virtualenv).clone()
}

fn set_up_virtualenv() -> PathBuf {
    // CARGO_TARGET_TMPDIR is <target dir>/tmp.
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().unwrap();
    let venv = target.join("pyenv");
    let python = venv.join("bin").join("python");
    // Written last, so a run interrupted during pip install starts over.
    let ready = venv.join(".hopscope-ready");
    if ready.exists() && python.exists() {
        return python;
    }
    if venv.exists() {
        std::fs::remove_dir_all(&venv).unwrap();
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
        .args(["pyjwt>=2.8,<3", "cryptography>=41"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "pip could not install pyjwt and cryptography into {}; check that PyPI is reachable:\n{}",
        venv.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::write(&ready, "").unwrap();
    python
}
