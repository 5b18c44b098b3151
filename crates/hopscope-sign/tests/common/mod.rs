//! Keys and messages shared by the integration tests: the example keys and
//! messages of RFC 9421 Appendix B, and freshly generated certificates.

#![allow(dead_code)]

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hopscope_sign::{content_digest_sha256, HttpMessage};

/// RFC 9421 B.1.2 `test-key-rsa-pss`, public half (SPKI).
pub const RSA_PSS_PUBLIC: &str = "-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAr4tmm3r20Wd/PbqvP1s2
+QEtvpuRaV8Yq40gjUR8y2Rjxa6dpG2GXHbPfvMs8ct+Lh1GH45x28Rw3Ry53mm+
oAXjyQ86OnDkZ5N8lYbggD4O3w6M6pAvLkhk95AndTrifbIFPNU8PPMO7OyrFAHq
gDsznjPFmTOtCEcN2Z1FpWgchwuYLPL+Wokqltd11nqqzi+bJ9cvSKADYdUAAN5W
Utzdpiy6LbTgSxP7ociU4Tn0g5I6aDZJ7A8Lzo0KSyZYoA485mqcO0GVAdVw9lq4
aOT9v6d+nb4bnNkQVklLQ3fVAvJm+xdDOp9LCNCN48V2pnDOkFV6+U9nV5oyc6XI
2wIDAQAB
-----END PUBLIC KEY-----";

/// RFC 9421 B.1.2 `test-key-rsa-pss`, private half: PKCS#8 with the
/// RSASSA-PSS algorithm OID.
pub const RSA_PSS_PRIVATE: &str = "-----BEGIN PRIVATE KEY-----
MIIEvgIBADALBgkqhkiG9w0BAQoEggSqMIIEpgIBAAKCAQEAr4tmm3r20Wd/Pbqv
P1s2+QEtvpuRaV8Yq40gjUR8y2Rjxa6dpG2GXHbPfvMs8ct+Lh1GH45x28Rw3Ry5
3mm+oAXjyQ86OnDkZ5N8lYbggD4O3w6M6pAvLkhk95AndTrifbIFPNU8PPMO7Oyr
FAHqgDsznjPFmTOtCEcN2Z1FpWgchwuYLPL+Wokqltd11nqqzi+bJ9cvSKADYdUA
AN5WUtzdpiy6LbTgSxP7ociU4Tn0g5I6aDZJ7A8Lzo0KSyZYoA485mqcO0GVAdVw
9lq4aOT9v6d+nb4bnNkQVklLQ3fVAvJm+xdDOp9LCNCN48V2pnDOkFV6+U9nV5oy
c6XI2wIDAQABAoIBAQCUB8ip+kJiiZVKF8AqfB/aUP0jTAqOQewK1kKJ/iQCXBCq
pbo360gvdt05H5VZ/RDVkEgO2k73VSsbulqezKs8RFs2tEmU+JgTI9MeQJPWcP6X
aKy6LIYs0E2cWgp8GADgoBs8llBq0UhX0KffglIeek3n7Z6Gt4YFge2TAcW2WbN4
XfK7lupFyo6HHyWRiYHMMARQXLJeOSdTn5aMBP0PO4bQyk5ORxTUSeOciPJUFktQ
HkvGbym7KryEfwH8Tks0L7WhzyP60PL3xS9FNOJi9m+zztwYIXGDQuKM2GDsITeD
2mI2oHoPMyAD0wdI7BwSVW18p1h+jgfc4dlexKYRAoGBAOVfuiEiOchGghV5vn5N
RDNscAFnpHj1QgMr6/UG05RTgmcLfVsI1I4bSkbrIuVKviGGf7atlkROALOG/xRx
DLadgBEeNyHL5lz6ihQaFJLVQ0u3U4SB67J0YtVO3R6lXcIjBDHuY8SjYJ7Ci6Z6
vuDcoaEujnlrtUhaMxvSfcUJAoGBAMPsCHXte1uWNAqYad2WdLjPDlKtQJK1diCm
rqmB2g8QE99hDOHItjDBEdpyFBKOIP+NpVtM2KLhRajjcL9Ph8jrID6XUqikQuVi
4J9FV2m42jXMuioTT13idAILanYg8D3idvy/3isDVkON0X3UAVKrgMEne0hJpkPL
FYqgetvDAoGBAKLQ6JZMbSe0pPIJkSamQhsehgL5Rs51iX4m1z7+sYFAJfhvN3Q/
OGIHDRp6HjMUcxHpHw7U+S1TETxePwKLnLKj6hw8jnX2/nZRgWHzgVcY+sPsReRx
NJVf+Cfh6yOtznfX00p+JWOXdSY8glSSHJwRAMog+hFGW1AYdt7w80XBAoGBAImR
NUugqapgaEA8TrFxkJmngXYaAqpA0iYRA7kv3S4QavPBUGtFJHBNULzitydkNtVZ
3w6hgce0h9YThTo/nKc+OZDZbgfN9s7cQ75x0PQCAO4fx2P91Q+mDzDUVTeG30mE
t2m3S0dGe47JiJxifV9P3wNBNrZGSIF3mrORBVNDAoGBAI0QKn2Iv7Sgo4T/XjND
dl2kZTXqGAk8dOhpUiw/HdM3OGWbhHj2NdCzBliOmPyQtAr770GITWvbAI+IRYyF
S7Fnk6ZVVVHsxjtaHy1uJGFlaZzKR4AGNaUTOJMs6NadzCmGPAxNQQOCqoUjn4XR
rOjr9w349JooGXhOxbu8nOxX
-----END PRIVATE KEY-----";

/// RFC 9421 B.1.3 `test-key-ecc-p256`, public half (SPKI).
pub const ECC_P256_PUBLIC: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEqIVYZVLCrPZHGHjP17CTW0/+D9Lf
w0EkjqF7xB4FivAxzic30tMM4GF+hR6Dxh71Z50VGGdldkkDXZCnTNnoXQ==
-----END PUBLIC KEY-----";

/// RFC 9421 B.1.3 `test-key-ecc-p256`, private half (SEC1 ECPrivateKey).
pub const ECC_P256_PRIVATE_SEC1: &str = "-----BEGIN EC PRIVATE KEY-----
MHcCAQEEIFKbhfNZfpDsW43+0+JjUr9K+bTeuxopu653+hBaXGA7oAoGCCqGSM49
AwEHoUQDQgAEqIVYZVLCrPZHGHjP17CTW0/+D9Lfw0EkjqF7xB4FivAxzic30tMM
4GF+hR6Dxh71Z50VGGdldkkDXZCnTNnoXQ==
-----END EC PRIVATE KEY-----";

/// RFC 9421 B.1.4 `test-key-ed25519`, public half (SPKI).
pub const ED25519_PUBLIC: &str = "-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=
-----END PUBLIC KEY-----";

/// RFC 9421 B.1.4 `test-key-ed25519`, private half (PKCS#8 v1).
pub const ED25519_PRIVATE: &str = "-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF
-----END PRIVATE KEY-----";

/// RFC 9421 B.1.5 `test-shared-secret`, base64.
pub const SHARED_SECRET: &str =
    "uzvJfB4u3N0Jy4T7NZ75MDVcr8zSTInedJtkgcu46YW4XByzNJjxBdtjUkdJPBtbmHhIDi6pcl8jsasjlTMtDQ==";

/// Decodes the base64 body of a single-block PEM text.
pub fn pem_der(pem: &str) -> Vec<u8> {
    let body: String = pem
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    STANDARD.decode(body).expect("PEM body is base64")
}

fn der_tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let length = content.len();
    if length < 0x80 {
        out.push(length as u8);
    } else if length < 0x100 {
        out.extend_from_slice(&[0x81, length as u8]);
    } else {
        out.extend_from_slice(&[0x82, (length >> 8) as u8, length as u8]);
    }
    out.extend_from_slice(content);
    out
}

/// Splits the content of a DER TLV from `input` (lengths up to 2 octets).
fn der_content(input: &[u8]) -> (&[u8], &[u8]) {
    let (length, header) = match input[1] {
        l if l < 0x80 => (l as usize, 2),
        0x81 => (input[2] as usize, 3),
        0x82 => (((input[2] as usize) << 8) | input[3] as usize, 4),
        other => panic!("unexpected DER length octet {other:#x}"),
    };
    (&input[header..header + length], &input[header + length..])
}

/// Re-labels the RFC's RSASSA-PSS PKCS#8 key as rsaEncryption, which ring
/// accepts, so tests can sign with the RFC key.
pub fn rsa_pss_private_as_rsa_encryption() -> Vec<u8> {
    let der = pem_der(RSA_PSS_PRIVATE);
    let (info, _) = der_content(&der);
    let (_, after_version) = der_content(info);
    let (_, after_algorithm) = der_content(after_version);
    let (rsa_private_key, _) = der_content(after_algorithm);
    let algorithm = der_tlv(
        0x30,
        &[
            der_tlv(
                0x06,
                &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01],
            ),
            vec![0x05, 0x00],
        ]
        .concat(),
    );
    der_tlv(
        0x30,
        &[
            vec![0x02, 0x01, 0x00],
            algorithm,
            der_tlv(0x04, rsa_private_key),
        ]
        .concat(),
    )
}

/// Wraps the RFC's SEC1 P-256 key in PKCS#8 without the curve parameter
/// inside ECPrivateKey, the form ring reads.
pub fn ecc_p256_private_pkcs8() -> Vec<u8> {
    let sec1 = pem_der(ECC_P256_PRIVATE_SEC1);
    let (fields, _) = der_content(&sec1);
    let (version, rest) = fields.split_at(3);
    let (private_key, rest) = der_content(rest);
    let private_key = der_tlv(0x04, private_key);
    // Skip the [0] parameters; keep the [1] public key.
    let (_, public_key) = der_content(rest);
    let sec1 = der_tlv(0x30, &[version, &private_key, public_key].concat());
    let algorithm = der_tlv(
        0x30,
        &[
            der_tlv(0x06, &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01]),
            der_tlv(0x06, &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]),
        ]
        .concat(),
    );
    der_tlv(
        0x30,
        &[vec![0x02, 0x01, 0x00], algorithm, der_tlv(0x04, &sec1)].concat(),
    )
}

pub const REQUEST_BODY: &[u8] = b"{\"hello\": \"world\"}";
pub const RESPONSE_BODY: &[u8] = b"{\"message\": \"good dog\"}";

/// RFC 9421 B.2 `test-request`.
pub fn test_request() -> HttpMessage {
    HttpMessage::request("POST", "https://example.com/foo?param=Value&Pet=dog")
        .unwrap()
        .with_header("Host", "example.com")
        .with_header("Date", "Tue, 20 Apr 2021 02:07:55 GMT")
        .with_header("Content-Type", "application/json")
        .with_header(
            "Content-Digest",
            "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:",
        )
        .with_header("Content-Length", "18")
}

/// RFC 9421 B.2 `test-response`.
pub fn test_response() -> HttpMessage {
    HttpMessage::response(200)
        .with_header("Date", "Tue, 20 Apr 2021 02:07:56 GMT")
        .with_header("Content-Type", "application/json")
        .with_header(
            "Content-Digest",
            "sha-512=:mEWXIS7MaLRuGgxOBdODa3xqM1XdEvxoYhvlCFJ41QJgJc4GTsPp29l5oGX69wWdXymyU0rjJuahq4l5aGgfLQ==:",
        )
        .with_header("Content-Length", "23")
}

/// A FHIR read response as a destination sends it, before signing.
pub const PATIENT_BODY: &[u8] = br#"{"resourceType":"Patient","id":"example","active":true}"#;

pub fn patient_response() -> HttpMessage {
    HttpMessage::response(200)
        .with_header("Content-Type", "application/fhir+json")
        .with_header("Content-Digest", &content_digest_sha256(PATIENT_BODY))
        .with_header("Content-Length", &PATIENT_BODY.len().to_string())
}

/// A self-signed certificate and its PKCS#8 private key, both DER.
pub struct Credential {
    pub certificate_der: Vec<u8>,
    pub certificate_pem: String,
    pub private_key_pkcs8: Vec<u8>,
    pub private_key_pem: String,
}

/// Generates a destination-signing credential with rcgen (`alg` is
/// `rcgen::PKCS_ECDSA_P256_SHA256`, `PKCS_ECDSA_P384_SHA384` or
/// `PKCS_ED25519`).
pub fn generate_credential(alg: &'static rcgen::SignatureAlgorithm) -> Credential {
    let key = rcgen::KeyPair::generate_for(alg).unwrap();
    let params = rcgen::CertificateParams::new(vec!["destination.test".to_string()]).unwrap();
    let certificate = params.self_signed(&key).unwrap();
    Credential {
        certificate_der: certificate.der().to_vec(),
        certificate_pem: certificate.pem(),
        private_key_pkcs8: key.serialize_der(),
        private_key_pem: key.serialize_pem(),
    }
}
