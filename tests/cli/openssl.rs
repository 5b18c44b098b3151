//! Certificates, PKCS#12 files, keys and CRLs written by `hopscope`, read and
//! verified by openssl as the independent peer.

use hopscope_e2e::{pem_blocks, Env};

/// Issues `name` under `inter`, exports it with `--chain`, and writes the
/// chain's parts to `NAME.pem` (leaf) and `chain-inter.pem`, and the root
/// from `authority export` to `root.pem`. Asserts that the chain is leaf,
/// intermediate, root, as TLS servers send it.
fn issue_and_export_chain(env: &Env, name: &str, role: &str, url: &str) {
    env.issue(name, role, url);
    env.ok(&["cert", "export", name, "--format", "pem", "--chain", "--out", "chain.pem"]);
    env.ok(&["cert", "export", name, "--format", "pem", "--out", "leaf-alone.pem"]);
    env.ok(&["authority", "export", "inter", "--out", "inter.pem"]);
    env.ok(&["authority", "export", "root", "--out", "root.pem"]);

    let chain = pem_blocks(&env.read_text("chain.pem"));
    let labels: Vec<&str> = chain.iter().map(|(label, _)| label.as_str()).collect();
    assert_eq!(labels, ["CERTIFICATE"; 3], "`cert export {name} --chain` should hold leaf, intermediate and root");
    assert_eq!(chain[0].1, env.read_text("leaf-alone.pem"), "the chain of {name} should start with its certificate");
    assert_eq!(chain[1].1, env.read_text("inter.pem"), "the chain of {name} should continue with inter");
    assert_eq!(chain[2].1, env.read_text("root.pem"), "the chain of {name} should end with root");

    env.write(&format!("{name}.pem"), &chain[0].1);
    env.write("chain-inter.pem", &chain[1].1);
}

/// `openssl verify` of `leaf` against root with the intermediate of the
/// exported chain, optionally for a purpose such as `sslserver`.
fn assert_verifies(env: &Env, leaf: &str, purpose: Option<&str>) {
    let mut args = vec!["verify", "-CAfile", "root.pem", "-untrusted", "chain-inter.pem"];
    if let Some(purpose) = purpose {
        args.extend(["-purpose", purpose]);
    }
    args.push(leaf);
    let verify = env.openssl(&args);
    assert!(verify.success(), "openssl should verify {leaf} up to root\n{verify}");
    assert!(verify.stdout.contains(": OK"), "openssl verify should print OK for {leaf}\n{verify}");
}

/// Asserts what `openssl x509 -checkhost` (or `-checkip`) prints, because
/// openssl 3.0 exits 0 whether the name matches or not.
fn assert_name_match(env: &Env, leaf: &str, option: &str, name: &str, matches: bool) {
    let check = env.openssl_ok(&["x509", "-in", leaf, "-noout", option, name]);
    let matched = check.stdout.contains("does match certificate");
    assert_eq!(matched, matches, "{leaf} should {}match {name}\n{check}", if matches { "" } else { "not " });
}

fn subject_alt_name(env: &Env, leaf: &str) -> String {
    env.openssl_ok(&["x509", "-in", leaf, "-noout", "-ext", "subjectAltName"]).stdout
}

#[test]
fn public_endpoint_verifies_as_server() {
    let env = Env::with_authorities();
    issue_and_export_chain(&env, "d-corp-public", "public-endpoint", "https://fhir.int-one.test:8443/d-corp");

    assert_verifies(&env, "d-corp-public.pem", Some("sslserver"));
    assert_name_match(&env, "d-corp-public.pem", "-checkhost", "fhir.int-one.test", true);
    assert_name_match(&env, "d-corp-public.pem", "-checkhost", "fhir.int-two.test", false);
}

#[test]
fn private_endpoint_dns_verifies_as_server() {
    let env = Env::with_authorities();
    issue_and_export_chain(&env, "d-corp-private", "private-endpoint", "https://fhir.d-corp.internal.test:9443/fhir");

    assert_verifies(&env, "d-corp-private.pem", Some("sslserver"));
    assert_name_match(&env, "d-corp-private.pem", "-checkhost", "fhir.d-corp.internal.test", true);
    assert_name_match(&env, "d-corp-private.pem", "-checkhost", "d-corp.internal.test", false);
}

#[test]
fn private_endpoint_ip_verifies_as_server() {
    let env = Env::with_authorities();
    issue_and_export_chain(&env, "loopback", "private-endpoint", "https://127.0.0.1:9443/fhir");

    assert_verifies(&env, "loopback.pem", Some("sslserver"));
    assert_name_match(&env, "loopback.pem", "-checkip", "127.0.0.1", true);
    assert_name_match(&env, "loopback.pem", "-checkip", "127.0.0.2", false);
    let san = subject_alt_name(&env, "loopback.pem");
    assert!(san.contains("IP Address:127.0.0.1"), "the SAN of an IP URL should be an IP address\n{san}");
    assert!(!san.contains("DNS:"), "the SAN of an IP URL should have no DNS name\n{san}");
}

#[test]
fn originator_verifies_as_client() {
    let env = Env::with_authorities();
    issue_and_export_chain(&env, "originator", "originator", "https://client.int-one.test/apps/intake");

    assert_verifies(&env, "originator.pem", Some("sslclient"));
    let san = subject_alt_name(&env, "originator.pem");
    assert!(san.contains("URI:https://client.int-one.test/apps/intake"), "originator should carry its URI SAN\n{san}");
}

#[test]
fn destination_signing_verifies() {
    let env = Env::with_authorities();
    issue_and_export_chain(&env, "dest-signing", "destination-signing", "https://fhir.dest.test/r4");

    assert_verifies(&env, "dest-signing.pem", None);
    let san = subject_alt_name(&env, "dest-signing.pem");
    assert!(san.contains("URI:https://fhir.dest.test/r4"), "destination-signing should carry its URI SAN\n{san}");
}

#[test]
fn der_export_reads() {
    let env = Env::with_authorities();
    env.issue("der-leaf", "public-endpoint", "https://der.test/fhir");
    env.ok(&["cert", "export", "der-leaf", "--format", "der", "--out", "leaf.der"]);
    env.ok(&["cert", "export", "der-leaf", "--format", "pem", "--out", "leaf.pem"]);

    let from_der = env.openssl_ok(&["x509", "-inform", "DER", "-in", "leaf.der", "-noout", "-fingerprint", "-sha256"]);
    let from_pem = env.openssl_ok(&["x509", "-in", "leaf.pem", "-noout", "-fingerprint", "-sha256"]);
    assert_eq!(from_der.stdout, from_pem.stdout, "DER and PEM exports should hold the same certificate");
}

/// Exports `name` as PKCS#12 (with `extra` flags), reads it back with
/// openssl, and returns the `-info` output (openssl prints it on stderr).
fn read_p12(env: &Env, name: &str, extra: &[&str]) -> String {
    env.write("p12-password", "p12 export password\n");
    let mut args = vec!["cert", "export", name, "--format", "p12", "--chain", "--password-file", "p12-password"];
    args.extend(extra);
    args.extend(["--out", "out.p12"]);
    env.ok(&args);

    let read = env.openssl(&["pkcs12", "-in", "out.p12", "-passin", "file:p12-password", "-nodes", "-info", "-out", "p12.pem"]);
    assert!(read.success(), "openssl should read the PKCS#12 file\n{read}");
    let labels: Vec<String> = pem_blocks(&env.read_text("p12.pem")).into_iter().map(|(label, _)| label).collect();
    assert_eq!(labels.iter().filter(|l| *l == "CERTIFICATE").count(), 3, "the PKCS#12 file should hold the chain: {labels:?}");
    assert!(labels.contains(&"PRIVATE KEY".to_string()), "the PKCS#12 file should hold the key: {labels:?}");
    assert_eq!(
        env.private_key_public_key("p12.pem", None),
        env.certificate_public_key("p12.pem"),
        "the key in the PKCS#12 file should match its certificate"
    );

    env.write("wrong-password", "not the p12 password\n");
    let wrong = env.openssl(&["pkcs12", "-in", "out.p12", "-passin", "file:wrong-password", "-nodes"]);
    assert!(!wrong.success(), "openssl should reject a wrong PKCS#12 password\n{wrong}");
    read.stderr
}

#[test]
fn p12_modern_uses_aes() {
    let env = Env::with_authorities();
    env.issue("p12-modern", "public-endpoint", "https://p12.test/fhir");
    let info = read_p12(&env, "p12-modern", &[]);
    assert!(info.contains("AES-256-CBC"), "the modern PKCS#12 should be encrypted with AES-256\n{info}");
    assert!(!info.contains("TripleDES"), "the modern PKCS#12 should not use 3DES\n{info}");
}

#[test]
fn p12_legacy_uses_3des() {
    let env = Env::with_authorities();
    env.issue("p12-legacy", "public-endpoint", "https://p12.test/fhir");
    let info = read_p12(&env, "p12-legacy", &["--legacy"]);
    assert!(info.contains("pbeWithSHA1And3-KeyTripleDES-CBC"), "the legacy PKCS#12 should be encrypted with 3DES\n{info}");
    assert!(info.contains("MAC: sha1"), "the legacy PKCS#12 should have a SHA-1 MAC\n{info}");
}

#[test]
fn encrypted_key_decrypts() {
    let env = Env::with_authorities();
    env.issue("pem-key", "private-endpoint", "https://fhir.internal.test/");
    env.write("key-password", "key export password\n");
    env.ok(&["cert", "export", "pem-key", "--format", "pem", "--key", "--password-file", "key-password", "--out", "with-key.pem"]);

    let labels: Vec<String> = pem_blocks(&env.read_text("with-key.pem")).into_iter().map(|(label, _)| label).collect();
    assert_eq!(labels, ["CERTIFICATE", "ENCRYPTED PRIVATE KEY"], "`--key --password-file` should write the certificate and an encrypted key");

    let decrypt = env.openssl(&["pkey", "-in", "with-key.pem", "-passin", "file:key-password", "-pubout"]);
    assert!(decrypt.success(), "openssl pkey should decrypt the exported key with its password\n{decrypt}");
    assert_eq!(
        decrypt.stdout,
        env.certificate_public_key("with-key.pem"),
        "the exported key should match the exported certificate"
    );

    env.write("wrong-password", "not the key password\n");
    let wrong = env.openssl(&["pkey", "-in", "with-key.pem", "-passin", "file:wrong-password", "-pubout"]);
    assert!(!wrong.success(), "openssl pkey should reject a wrong password\n{wrong}");
}

#[test]
fn clear_key_matches_certificate() {
    let env = Env::with_authorities();
    env.issue("clear-key", "originator", "https://client.test/app");
    env.ok(&["cert", "export", "clear-key", "--format", "pem", "--key", "--key-in-clear", "--out", "with-key.pem"]);
    assert_eq!(
        env.private_key_public_key("with-key.pem", None),
        env.certificate_public_key("with-key.pem"),
        "the key written with --key-in-clear should match the certificate"
    );
}

#[test]
fn crl_lists_revoked_leaf() {
    let env = Env::with_authorities();
    issue_and_export_chain(&env, "revoked-leaf", "public-endpoint", "https://revoked.test/fhir");
    env.ok(&["cert", "export", "revoked-leaf", "--format", "pem", "--out", "revoked-leaf.pem"]);
    env.issue("kept-leaf", "public-endpoint", "https://kept.test/fhir");
    env.ok(&["cert", "export", "kept-leaf", "--format", "pem", "--out", "kept-leaf.pem"]);
    env.ok(&["cert", "revoke", "revoked-leaf", "--reason", "key-compromise"]);
    env.ok(&["authority", "crl", "inter", "--out", "crl.pem"]);

    let signature = env.openssl(&["crl", "-in", "crl.pem", "-CAfile", "inter.pem", "-noout"]);
    assert!(signature.success(), "openssl should verify the CRL's signature with inter\n{signature}");
    assert!(signature.stderr.contains("verify OK"), "openssl crl should print verify OK\n{signature}");
    let text = env.openssl_ok(&["crl", "-in", "crl.pem", "-noout", "-text"]).stdout;
    assert!(text.contains("Key Compromise"), "the CRL entry should carry the reason\n{text}");

    let base = ["verify", "-crl_check", "-CRLfile", "crl.pem", "-CAfile", "root.pem", "-untrusted", "inter.pem"];
    let revoked = env.openssl(&[&base[..], &["revoked-leaf.pem"]].concat());
    assert!(!revoked.success(), "openssl verify -crl_check should reject the revoked leaf\n{revoked}");
    assert!(revoked.stderr.contains("certificate revoked"), "openssl should report the leaf revoked\n{revoked}");
    let kept = env.openssl(&[&base[..], &["kept-leaf.pem"]].concat());
    assert!(kept.success(), "openssl verify -crl_check should accept a leaf that is not revoked\n{kept}");
}

#[test]
fn crl_der_reads() {
    let env = Env::with_authorities();
    env.ok(&["authority", "export", "inter", "--format", "der", "--out", "inter.der"]);
    env.ok(&["authority", "crl", "inter", "--format", "der", "--out", "crl.der"]);
    // openssl crl -CAfile reads PEM only, so convert the authority first.
    env.openssl_ok(&["x509", "-inform", "DER", "-in", "inter.der", "-out", "inter.pem"]);
    let read = env.openssl(&["crl", "-inform", "DER", "-in", "crl.der", "-CAfile", "inter.pem", "-noout"]);
    assert!(read.success(), "openssl should read the DER CRL\n{read}");
    assert!(read.stderr.contains("verify OK"), "openssl should verify the DER CRL's signature with inter\n{read}");
}
