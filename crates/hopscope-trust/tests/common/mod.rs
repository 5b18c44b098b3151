//! Chains issued with hopscope-pki (and rcgen where hopscope-pki has no
//! option for it), and JWTs signed in the test with the leaf key.
#![allow(dead_code)]

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use hopscope_pki::issue::{issue, IssueRequest, Issuer};
use hopscope_pki::{FhirBaseUrl, KeyType, PrivateKey, Role};
use hopscope_trust::{Anchor, AnchorSource, DecisionContext, TrustList};
use serde_json::{json, Value};
use time::{Duration, OffsetDateTime};

pub const CLIENT_URI: &str = "https://clinic-a.test/apps/scheduler";
pub const PUBLIC_BASE_URL: &str = "https://fhir.int-one.test:8443/d-corp";
pub const PRIVATE_URL: &str = "https://d-corp.internal.test:9443/fhir";
pub const TOKEN_URL: &str = "https://fhir.int-one.test:8443/d-corp/token";

/// A certificate and its key.
pub struct Issued {
    pub cert: Vec<u8>,
    pub key: PrivateKey,
}

impl Issued {
    pub fn issuer(&self) -> Issuer<'_> {
        Issuer {
            cert_der: &self.cert,
            key: &self.key,
        }
    }
}

/// Returns the evaluation time of every test: now, to the second.
pub fn now() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(0).unwrap()
}

/// Issues an authority: self-signed when `parent` is `None`. Validity runs
/// from `not_before` for `days`.
pub fn authority(
    name: &str,
    parent: Option<&Issued>,
    not_before: OffsetDateTime,
    days: i64,
    path_len: Option<u8>,
) -> Issued {
    let key = PrivateKey::generate(KeyType::EcdsaP256).unwrap();
    let request = IssueRequest {
        role: Role::Authority,
        common_name: name,
        url: None,
        key: &key,
        not_before,
        validity: Duration::days(days),
        path_len,
    };
    let issuer = parent.map(Issued::issuer);
    let cert = issue(&request, issuer.as_ref()).unwrap();
    Issued { cert, key }
}

/// Issues the originator leaf `CN=clinic-a` with SAN URI `CLIENT_URI`;
/// self-signed when `parent` is `None`.
pub fn originator(
    parent: Option<&Issued>,
    key_type: KeyType,
    not_before: OffsetDateTime,
    days: i64,
) -> Issued {
    let key = PrivateKey::generate(key_type).unwrap();
    let url = FhirBaseUrl::parse(CLIENT_URI).unwrap();
    let request = IssueRequest {
        role: Role::Originator,
        common_name: "clinic-a",
        url: Some(&url),
        key: &key,
        not_before,
        validity: Duration::days(days),
        path_len: None,
    };
    let issuer = parent.map(Issued::issuer);
    let cert = issue(&request, issuer.as_ref()).unwrap();
    Issued { cert, key }
}

/// A root, an intermediate and an originator leaf, all valid now.
pub struct Community {
    pub root: Issued,
    pub intermediate: Issued,
    pub leaf: Issued,
}

impl Community {
    pub fn new(key_type: KeyType) -> Community {
        Community::named("demo-community", key_type)
    }

    /// Issues a community whose root is `root_name` and intermediate
    /// `<root_name>-issuing`.
    pub fn named(root_name: &str, key_type: KeyType) -> Community {
        let start = now() - Duration::days(1);
        let root = authority(root_name, None, start, 365, None);
        let intermediate_name = format!("{root_name}-issuing");
        let intermediate = authority(&intermediate_name, Some(&root), start, 180, None);
        let leaf = originator(Some(&intermediate), key_type, start, 30);
        Community {
            root,
            intermediate,
            leaf,
        }
    }

    /// Leaf first, as in `x5c`.
    pub fn chain(&self) -> Vec<Vec<u8>> {
        vec![self.leaf.cert.clone(), self.intermediate.cert.clone()]
    }
}

/// Builds a trust list anchoring the given certificates.
pub fn anchored(certs: &[&[u8]]) -> TrustList {
    let mut list = TrustList::new();
    for cert in certs {
        let source = AnchorSource::Authority {
            name: "demo-community".into(),
        };
        let anchor = Anchor::new(cert, source, "test anchor", now()).unwrap();
        list.add_anchor(anchor).unwrap();
    }
    list
}

pub fn context(at: OffsetDateTime) -> DecisionContext {
    DecisionContext {
        at,
        public_base_url: PUBLIC_BASE_URL.into(),
        private_urls: vec![PRIVATE_URL.into()],
        crls: Vec::new(),
        trust_list_version: 7,
    }
}

/// UDAP client assertion claims valid at `at`: iss and sub `CLIENT_URI`, aud
/// the token endpoint, a 4-minute lifetime and a jti.
pub fn claims(at: OffsetDateTime) -> Value {
    let iat = at.unix_timestamp() - 10;
    json!({
        "iss": CLIENT_URI,
        "sub": CLIENT_URI,
        "aud": TOKEN_URL,
        "iat": iat,
        "exp": iat + 240,
        "jti": "4f1b2c3d-jti",
    })
}

/// Builds the x5c header value: standard base64 DER, leaf first.
pub fn x5c(chain: &[Vec<u8>]) -> Value {
    Value::Array(
        chain
            .iter()
            .map(|der| Value::String(STANDARD.encode(der)))
            .collect(),
    )
}

/// Returns the JWS alg for a key type.
pub fn alg_for(key_type: KeyType) -> &'static str {
    match key_type {
        KeyType::EcdsaP256 => "ES256",
        KeyType::EcdsaP384 => "ES384",
        KeyType::Ed25519 => "EdDSA",
        KeyType::Rsa2048 | KeyType::Rsa3072 | KeyType::Rsa4096 => "RS256",
    }
}

/// Builds a compact JWS over `header` and `claims`, signed by `sign`.
pub fn jws(header: &Value, claims: &Value, sign: impl FnOnce(&[u8]) -> Vec<u8>) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = sign(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

/// Signs the JWS signing input with a hopscope-pki key, the way its alg
/// requires (ECDSA as fixed-size r||s).
pub fn sign_with(key: &PrivateKey) -> impl FnOnce(&[u8]) -> Vec<u8> + '_ {
    use ring::rand::SystemRandom;
    use ring::signature as sig;
    move |message| {
        let rng = SystemRandom::new();
        let der = key.pkcs8_der();
        match key.key_type() {
            KeyType::EcdsaP256 | KeyType::EcdsaP384 => {
                let alg = if key.key_type() == KeyType::EcdsaP256 {
                    &sig::ECDSA_P256_SHA256_FIXED_SIGNING
                } else {
                    &sig::ECDSA_P384_SHA384_FIXED_SIGNING
                };
                let pair = sig::EcdsaKeyPair::from_pkcs8(alg, der, &rng).unwrap();
                pair.sign(&rng, message).unwrap().as_ref().to_vec()
            }
            KeyType::Ed25519 => {
                let pair = sig::Ed25519KeyPair::from_pkcs8_maybe_unchecked(der).unwrap();
                pair.sign(message).as_ref().to_vec()
            }
            KeyType::Rsa2048 | KeyType::Rsa3072 | KeyType::Rsa4096 => {
                let pair = sig::RsaKeyPair::from_pkcs8(der).unwrap();
                let mut signature = vec![0; pair.public().modulus_len()];
                pair.sign(&sig::RSA_PKCS1_SHA256, &rng, message, &mut signature)
                    .unwrap();
                signature
            }
        }
    }
}

/// Signs a UDAP JWT over `claims` with the chain in x5c, signed by `key`.
pub fn udap_jwt(chain: &[Vec<u8>], key: &PrivateKey, claims: &Value) -> String {
    let header = json!({ "alg": alg_for(key.key_type()), "x5c": x5c(chain) });
    jws(&header, claims, sign_with(key))
}

/// Loads a certificate and key into rcgen as an issuer, for certificates
/// hopscope-pki cannot issue (name constraints, foreign keys, extra SANs).
pub fn rcgen_issuer(ca: &Issued) -> (rcgen::Certificate, rcgen::KeyPair) {
    let key = rcgen::KeyPair::try_from(ca.key.pkcs8_der()).unwrap();
    let params = rcgen::CertificateParams::from_ca_cert_der(&ca.cert.as_slice().into()).unwrap();
    (params.self_signed(&key).unwrap(), key)
}

/// Issues an intermediate under `parent` whose name constraints permit only DNS
/// names under `partner.test`.
pub fn name_constrained_intermediate(parent: &Issued) -> Issued {
    let key = PrivateKey::generate(KeyType::EcdsaP256).unwrap();
    let key_pair = rcgen::KeyPair::try_from(key.pkcs8_der()).unwrap();
    let mut params = rcgen::CertificateParams::default();
    params.distinguished_name = distinguished_name("partner-issuing");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
    ];
    params.name_constraints = Some(rcgen::NameConstraints {
        permitted_subtrees: vec![rcgen::GeneralSubtree::DnsName("partner.test".into())],
        excluded_subtrees: Vec::new(),
    });
    set_validity(&mut params);
    let (issuer, issuer_key) = rcgen_issuer(parent);
    let cert = params.signed_by(&key_pair, &issuer, &issuer_key).unwrap();
    Issued {
        cert: cert.der().to_vec(),
        key,
    }
}

/// Issues an originator leaf under `parent` with SAN URI `CLIENT_URI` and the DNS
/// name `clinic-a.test`.
pub fn originator_with_dns_name(parent: &Issued) -> Issued {
    let key = PrivateKey::generate(KeyType::EcdsaP256).unwrap();
    let key_pair = rcgen::KeyPair::try_from(key.pkcs8_der()).unwrap();
    let params = leaf_params(vec![
        rcgen::SanType::URI(CLIENT_URI.try_into().unwrap()),
        rcgen::SanType::DnsName("clinic-a.test".try_into().unwrap()),
    ]);
    let (issuer, issuer_key) = rcgen_issuer(parent);
    let cert = params.signed_by(&key_pair, &issuer, &issuer_key).unwrap();
    Issued {
        cert: cert.der().to_vec(),
        key,
    }
}

/// Issues an originator leaf with an RSA-1024 key, which hopscope-pki does
/// not generate, and returns it with its key for signing.
pub fn rsa_1024_originator(parent: &Issued) -> (Vec<u8>, rsa::RsaPrivateKey) {
    use rsa::pkcs8::EncodePublicKey;
    let key = rsa::RsaPrivateKey::new(&mut rand_core::OsRng, 1024).unwrap();
    let spki = key.to_public_key().to_public_key_der().unwrap();
    let public_key = rcgen::SubjectPublicKeyInfo::from_der(spki.as_bytes()).unwrap();
    let params = leaf_params(vec![rcgen::SanType::URI(CLIENT_URI.try_into().unwrap())]);
    let (issuer, issuer_key) = rcgen_issuer(parent);
    let cert = params.signed_by(&public_key, &issuer, &issuer_key).unwrap();
    (cert.der().to_vec(), key)
}

/// RS256 with an `rsa` crate key, which works for sizes ring cannot sign with.
pub fn sign_rsa(key: &rsa::RsaPrivateKey) -> impl FnOnce(&[u8]) -> Vec<u8> + '_ {
    use rsa::signature::{SignatureEncoding, Signer};
    move |message| {
        let signing_key = rsa::pkcs1v15::SigningKey::<rsa::sha2::Sha256>::new(key.clone());
        signing_key.sign(message).to_vec()
    }
}

/// Serial of a DER certificate as unsigned big-endian bytes.
pub fn serial(der: &[u8]) -> Vec<u8> {
    use x509_parser::prelude::{FromDer, X509Certificate};
    let (_, cert) = X509Certificate::from_der(der).unwrap();
    cert.raw_serial().to_vec()
}

/// SHA-256 of the certificate's SubjectPublicKeyInfo, lowercase hex.
pub fn spki_sha256(der: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    use x509_parser::prelude::{FromDer, X509Certificate};
    let (_, cert) = X509Certificate::from_der(der).unwrap();
    hex::encode(Sha256::digest(cert.public_key().raw))
}

pub fn sha256_fingerprint(der: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(der))
}

pub fn pem_of(ders: &[Vec<u8>]) -> String {
    hopscope_pki::export::certificates_to_pem(ders)
}

fn leaf_params(sans: Vec<rcgen::SanType>) -> rcgen::CertificateParams {
    let mut params = rcgen::CertificateParams::default();
    params.distinguished_name = distinguished_name("clinic-a");
    params.subject_alt_names = sans;
    params.is_ca = rcgen::IsCa::ExplicitNoCa;
    params.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    params.use_authority_key_identifier_extension = true;
    set_validity(&mut params);
    params
}

fn set_validity(params: &mut rcgen::CertificateParams) {
    params.not_before = now() - Duration::days(1);
    params.not_after = now() + Duration::days(30);
}

fn distinguished_name(common_name: &str) -> rcgen::DistinguishedName {
    let mut name = rcgen::DistinguishedName::new();
    name.push(rcgen::DnType::CommonName, common_name);
    name
}
