//! Keys, certificates, PKCS#12 files and certificate requests made by
//! openssl, imported by `hopscope` and used to issue certificates that
//! openssl verifies.

use hopscope_e2e::Env;
use serde_json::Value;

/// Extensions of a CA certificate made with `openssl req -x509`, written
/// out so the test does not depend on the defaults of openssl.cnf.
const CA_EXTENSIONS: &[&str] = &[
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
];

/// Makes a self-signed CA certificate `cert` over the existing key `key`.
fn openssl_ca_over_key(env: &Env, key: &str, cert: &str, subject: &str) {
    let mut args = vec!["req", "-x509", "-key", key, "-out", cert, "-subj", subject, "-days", "365"];
    args.extend(CA_EXTENSIONS);
    env.openssl_ok(&args);
}

/// Returns the lowercase hex SHA-256 fingerprint of a certificate, as openssl
/// computes it.
fn openssl_fingerprint(env: &Env, cert: &str, inform: &str) -> String {
    let output = env.openssl_ok(&["x509", "-inform", inform, "-in", cert, "-noout", "-fingerprint", "-sha256"]).stdout;
    let hex = output.trim().rsplit('=').next().unwrap_or_default();
    hex.replace(':', "").to_lowercase()
}

/// Returns the entry named `name` of `authority list --json` or
/// `cert list --json`.
fn listed(env: &Env, list: &[&str], name: &str) -> Value {
    let listing = env.json(list);
    let entries = listing.as_array().unwrap_or_else(|| panic!("`hopscope {}` should print an array", list.join(" ")));
    entries
        .iter()
        .find(|entry| entry["name"] == name)
        .cloned()
        .unwrap_or_else(|| panic!("`hopscope {}` should list {name}: {listing:#}", list.join(" ")))
}

/// Issues a public endpoint under `authority`, exports it and has openssl
/// verify it against `ca_file` as a TLS server certificate.
fn assert_issues_verifiable(env: &Env, authority: &str, ca_file: &str) {
    let leaf = format!("{authority}-leaf");
    env.ok(&["cert", "issue", &leaf, "--role", "public-endpoint", "--authority", authority, "--url", "https://leaf.import.test/fhir"]);
    env.ok(&["cert", "export", &leaf, "--format", "pem", "--out", "issued.pem"]);
    let verify = env.openssl(&["verify", "-CAfile", ca_file, "-purpose", "sslserver", "issued.pem"]);
    assert!(verify.success(), "openssl should verify the certificate {authority} issued\n{verify}");
}

/// Makes a CA certificate over `ca_key` with openssl, imports it without its
/// key and checks that it cannot sign. Then imports `key_file` alone (with
/// `key_args` such as a password file) and checks that it signs certificates
/// openssl verifies.
fn assert_key_completes_authority(env: &Env, ca_key: &str, key_file: &str, key_args: &[&str]) {
    openssl_ca_over_key(env, ca_key, "ca.pem", "/O=Example Org/CN=Keyless Import Root");
    env.ok(&["import", "ca.pem", "--name", "keyless-root"]);
    assert_eq!(listed(env, &["authority", "list", "--json"], "keyless-root")["has_key"], false, "a CA imported without its key should have no key");

    let refused = env.run(&["cert", "issue", "too-early", "--role", "public-endpoint", "--authority", "keyless-root", "--url", "https://early.test/"]);
    assert_eq!(refused.code(), Some(1), "issuing under an authority without its key should fail\n{refused}");
    assert!(
        refused.stderr.contains("authority \"keyless-root\" has no private key"),
        "the error should name the authority and the missing key\n{refused}"
    );

    let mut import_key = vec!["import", key_file];
    import_key.extend(key_args);
    env.ok(&import_key);
    assert_eq!(listed(env, &["authority", "list", "--json"], "keyless-root")["has_key"], true, "importing the key alone should complete the authority");
    assert_issues_verifiable(env, "keyless-root", "ca.pem");
}

#[test]
fn ec_authority_with_key_signs() {
    let env = Env::init();
    let mut args = vec!["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-noenc"];
    args.extend(["-keyout", "key.pem", "-out", "ca.pem", "-subj", "/CN=EC Import Root", "-days", "365"]);
    args.extend(CA_EXTENSIONS);
    env.openssl_ok(&args);
    env.write("bundle.pem", [env.read("ca.pem"), env.read("key.pem")].concat());

    env.ok(&["import", "bundle.pem", "--name", "ec-root"]);
    let authority = listed(&env, &["authority", "list", "--json"], "ec-root");
    assert_eq!(authority["has_key"], true, "the imported EC authority should have its key: {authority:#}");
    assert_eq!(authority["key_type"], "ecdsa-p256", "the imported EC authority's key type: {authority:#}");
    assert_issues_verifiable(&env, "ec-root", "ca.pem");
}

#[test]
fn rsa_authority_with_key_signs() {
    let env = Env::init();
    let mut args = vec!["req", "-x509", "-newkey", "rsa:2048", "-noenc"];
    args.extend(["-keyout", "key.pem", "-out", "ca.pem", "-subj", "/CN=RSA Import Root", "-days", "365"]);
    args.extend(CA_EXTENSIONS);
    env.openssl_ok(&args);
    env.write("bundle.pem", [env.read("ca.pem"), env.read("key.pem")].concat());

    env.ok(&["import", "bundle.pem", "--name", "rsa-root"]);
    let authority = listed(&env, &["authority", "list", "--json"], "rsa-root");
    assert_eq!(authority["has_key"], true, "the imported RSA authority should have its key: {authority:#}");
    assert_eq!(authority["key_type"], "rsa-2048", "the imported RSA authority's key type: {authority:#}");
    assert_issues_verifiable(&env, "rsa-root", "ca.pem");
}

#[test]
fn pkcs1_key_completes_authority() {
    let env = Env::init();
    env.openssl_ok(&["genrsa", "-traditional", "-out", "key.pem", "2048"]);
    assert!(env.read_text("key.pem").starts_with("-----BEGIN RSA PRIVATE KEY-----"), "openssl genrsa -traditional should write PKCS#1");
    assert_key_completes_authority(&env, "key.pem", "key.pem", &[]);
}

#[test]
fn sec1_key_completes_authority() {
    let env = Env::init();
    env.openssl_ok(&["ecparam", "-name", "prime256v1", "-genkey", "-out", "key.pem"]);
    assert!(env.read_text("key.pem").contains("-----BEGIN EC PRIVATE KEY-----"), "openssl ecparam -genkey should write SEC1");
    assert_key_completes_authority(&env, "key.pem", "key.pem", &[]);
}

#[test]
fn encrypted_pkcs8_key_completes_authority() {
    let env = Env::init();
    env.write("key-password", "pkcs8 key password\n");
    env.openssl_ok(&["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "plain-key.pem"]);
    env.openssl_ok(&["pkcs8", "-topk8", "-in", "plain-key.pem", "-out", "key.pem", "-v2", "aes-256-cbc", "-passout", "file:key-password"]);
    assert!(env.read_text("key.pem").starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"), "openssl pkcs8 -topk8 should encrypt");
    assert_key_completes_authority(&env, "plain-key.pem", "key.pem", &["--password-file", "key-password"]);
}

/// Makes an openssl CA and a server certificate it signs, packs certificate,
/// key and CA into `bundle.p12` with `pkcs12_args`, imports it, and checks
/// the imported credential against openssl's view of the certificate.
fn assert_p12_imports(pkcs12_args: &[&str]) {
    let env = Env::init();
    let mut ca = vec!["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-noenc"];
    ca.extend(["-keyout", "ca-key.pem", "-out", "ca.pem", "-subj", "/CN=Outside CA", "-days", "365"]);
    ca.extend(CA_EXTENSIONS);
    env.openssl_ok(&ca);
    env.openssl_ok(&["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-noenc", "-keyout", "leaf-key.pem", "-out", "leaf.csr", "-subj", "/CN=outside-leaf"]);
    env.write(
        "leaf.ext",
        "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:fhir.outside.test\n",
    );
    env.openssl_ok(&["x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem", "-days", "30", "-extfile", "leaf.ext", "-out", "leaf.pem"]);
    env.write("p12-password", "outside p12 password\n");
    let mut pack = vec!["pkcs12", "-export", "-in", "leaf.pem", "-inkey", "leaf-key.pem", "-certfile", "ca.pem"];
    pack.extend(["-out", "bundle.p12", "-passout", "file:p12-password"]);
    pack.extend(pkcs12_args);
    env.openssl_ok(&pack);

    let import = env.ok(&["import", "bundle.p12", "--password-file", "p12-password", "--role", "public-endpoint", "--name", "outside"]);
    assert!(import.stdout.contains("imported outside (public-endpoint, with its key)"), "the leaf should be imported with its key\n{import}");

    let leaf = listed(&env, &["cert", "list", "--json"], "outside");
    assert_eq!(leaf["sha256_fingerprint"], openssl_fingerprint(&env, "leaf.pem", "PEM"), "the imported certificate should be openssl's leaf");
    assert_eq!(leaf["has_key"], true, "the imported leaf should have its key: {leaf:#}");
    assert_eq!(leaf["authority"], "Outside-CA", "the CA in the PKCS#12 file should be imported as the leaf's authority: {leaf:#}");

    env.ok(&["cert", "export", "outside", "--format", "pem", "--key", "--key-in-clear", "--out", "exported.pem"]);
    assert_eq!(
        env.private_key_public_key("exported.pem", None),
        env.private_key_public_key("leaf-key.pem", None),
        "the stored key should be the key openssl packed"
    );
}

#[test]
fn p12_default_aes_imports() {
    assert_p12_imports(&[]);
}

#[test]
fn p12_legacy_3des_imports() {
    assert_p12_imports(&["-certpbe", "PBE-SHA1-3DES", "-keypbe", "PBE-SHA1-3DES", "-macalg", "sha1"]);
}

#[test]
fn csr_signed_by_inter() {
    let env = Env::with_authorities();
    env.openssl_ok(&["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-noenc", "-keyout", "csr-key.pem", "-out", "csr.pem", "-subj", "/CN=x-internal"]);

    let import = env.ok(&["import", "csr.pem", "--authority", "inter", "--role", "private-endpoint", "--url", "https://x.internal.test/"]);
    assert!(import.stdout.contains("imported x-internal (private-endpoint)"), "the CSR should become the credential x-internal\n{import}");
    let credential = listed(&env, &["cert", "list", "--json"], "x-internal");
    assert_eq!(credential["authority"], "inter", "the CSR should be signed by inter: {credential:#}");
    assert_eq!(credential["has_key"], false, "the key of a CSR stays with its owner: {credential:#}");
    assert_eq!(credential["url"], "https://x.internal.test/", "the credential should keep the URL: {credential:#}");

    env.ok(&["cert", "export", "x-internal", "--format", "pem", "--out", "signed.pem"]);
    env.ok(&["authority", "export", "root", "--out", "root.pem"]);
    env.ok(&["authority", "export", "inter", "--out", "inter.pem"]);
    let verify = env.openssl(&["verify", "-CAfile", "root.pem", "-untrusted", "inter.pem", "-purpose", "sslserver", "signed.pem"]);
    assert!(verify.success(), "openssl should verify the signed CSR up to root\n{verify}");
    let host = env.openssl_ok(&["x509", "-in", "signed.pem", "-noout", "-checkhost", "x.internal.test"]);
    assert!(host.stdout.contains("does match certificate"), "the SAN should come from --url\n{host}");
    assert_eq!(
        env.certificate_public_key("signed.pem"),
        env.private_key_public_key("csr-key.pem", None),
        "the signed certificate should carry the CSR's public key"
    );
}

#[test]
fn inspect_matches_openssl() {
    let env = Env::new();
    let mut args = vec!["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-noenc"];
    args.extend(["-keyout", "key.pem", "-out", "cert.pem", "-subj", "/C=DE/O=Example Org/CN=Inspect Me", "-days", "30"]);
    env.openssl_ok(&args);
    env.openssl_ok(&["x509", "-in", "cert.pem", "-outform", "DER", "-out", "cert.der"]);
    let fingerprint = openssl_fingerprint(&env, "cert.pem", "PEM");
    // openssl prints "C = DE, O = Example Org, CN = Inspect Me".
    let openssl_subject = env.openssl_ok(&["x509", "-in", "cert.pem", "-noout", "-subject"]).stdout;
    let subject = openssl_subject.trim().trim_start_matches("subject=").replace(" = ", "=");

    for file in ["cert.pem", "cert.der"] {
        let text = env.ok(&["inspect", file]);
        assert!(text.stdout.contains(&format!("subject      {subject}")), "inspect {file} should show openssl's subject {subject}\n{text}");
        assert!(text.stdout.contains(&fingerprint), "inspect {file} should show openssl's SHA-256 fingerprint {fingerprint}\n{text}");

        let json = env.json(&["inspect", file, "--json"]);
        assert_eq!(json[0]["inspection"]["subject"], subject.as_str(), "inspect {file} --json subject: {json:#}");
        assert_eq!(json[0]["inspection"]["sha256_fingerprint"], fingerprint.as_str(), "inspect {file} --json fingerprint: {json:#}");
    }
}
