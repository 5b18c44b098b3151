//! The test cases of RFC 9421 Appendix B.2, with the example keys of B.1
//! and the `test-request` and `test-response` messages. Deterministic
//! algorithms (ed25519, hmac-sha256) are reproduced byte for byte. RSA-PSS
//! and ECDSA signatures are randomised, so their examples are verified and
//! a fresh signature over the same base is checked to verify as well.

mod common;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use common::*;
use hopscope_sign::message::{parse_signature_input_header, signature_base};
use hopscope_sign::{sign, verify, Algorithm, SignatureParams, SigningKey, VerifyingKey};

const B21_INPUT: &str =
    r#"sig-b21=();created=1618884473;keyid="test-key-rsa-pss";nonce="b3k2pp5k7z-50gnwp.yemd""#;
const B21_SIGNATURE: &str = "sig-b21=:d2pmTvmbncD3xQm8E9ZV2828BjQWGgiwAaw5bAkgibUopemLJcWDy/lkbbHAve4cRAtx31Iq786U7it++wgGxbtRxf8Udx7zFZsckzXaJMkA7ChG52eSkFxykJeNqsrWH5S+oxNFlD4dzVuwe8DhTSja8xxbR/Z2cOGdCbzR72rgFWhzx2VjBqJzsPLMIQKhO4DGezXehhWwE56YCE+O6c0mKZsfxVrogUvA4HELjVKWmAvtl6UnCh8jYzuVG5WSb/QEVPnP5TmcAnLH1g+s++v6d4s8m0gCw1fV5/SITLq9mhho8K3+7EPYTU8IU1bLhdxO5Nyt8C8ssinQ98Xw9Q==:";

const B22_INPUT: &str = r#"sig-b22=("@authority" "content-digest" "@query-param";name="Pet");created=1618884473;keyid="test-key-rsa-pss";tag="header-example""#;
const B22_SIGNATURE: &str = "sig-b22=:LjbtqUbfmvjj5C5kr1Ugj4PmLYvx9wVjZvD9GsTT4F7GrcQEdJzgI9qHxICagShLRiLMlAJjtq6N4CDfKtjvuJyE5qH7KT8UCMkSowOB4+ECxCmT8rtAmj/0PIXxi0A0nxKyB09RNrCQibbUjsLS/2YyFYXEu4TRJQzRw1rLEuEfY17SARYhpTlaqwZVtR8NV7+4UKkjqpcAoFqWFQh62s7Cl+H2fjBSpqfZUJcsIk4N6wiKYd4je2U/lankenQ99PZfB4jY3I5rSV2DSBVkSFsURIjYErOs0tFTQosMTAoxk//0RoKUqiYY8Bh0aaUEb0rQl3/XaVe4bXTugEjHSw==:";

const B23_INPUT: &str = r#"sig-b23=("date" "@method" "@path" "@query" "@authority" "content-type" "content-digest" "content-length");created=1618884473;keyid="test-key-rsa-pss""#;
const B23_SIGNATURE: &str = "sig-b23=:bbN8oArOxYoyylQQUU6QYwrTuaxLwjAC9fbY2F6SVWvh0yBiMIRGOnMYwZ/5MR6fb0Kh1rIRASVxFkeGt683+qRpRRU5p2voTp768ZrCUb38K0fUxN0O0iC59DzYx8DFll5GmydPxSmme9v6ULbMFkl+V5B1TP/yPViV7KsLNmvKiLJH1pFkh/aYA2HXXZzNBXmIkoQoLd7YfW91kE9o/CCoC1xMy7JA1ipwvKvfrs65ldmlu9bpG6A9BmzhuzF8Eim5f8ui9eH8LZH896+QIF61ka39VBrohr9iyMUJpvRX2Zbhl5ZJzSRxpJyoEZAFL2FUo5fTIztsDZKEgM4cUA==:";

const B24_INPUT: &str = r#"sig-b24=("@status" "content-type" "content-digest" "content-length");created=1618884473;keyid="test-key-ecc-p256""#;
const B24_SIGNATURE: &str =
    "sig-b24=:wNmSUAhwb5LxtOtOpNa6W5xj067m5hFrj0XQ4fvpaCLx0NKocgPquLgyahnzDnDAUy5eCdlYUEkLIj+32oiasw==:";

const B25_INPUT: &str =
    r#"sig-b25=("date" "@authority" "content-type");created=1618884473;keyid="test-shared-secret""#;
const B25_SIGNATURE: &str = "sig-b25=:pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8=:";

const B26_INPUT: &str = r#"sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519""#;
const B26_SIGNATURE: &str =
    "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:";

/// Returns the parameters of the only member of a `Signature-Input` value.
fn params_of(input: &str) -> SignatureParams {
    parse_signature_input_header(input).unwrap().remove(0).1
}

fn rsa_pss_public() -> VerifyingKey {
    VerifyingKey::from_spki_der(&pem_der(RSA_PSS_PUBLIC)).unwrap()
}

#[test]
fn b21_minimal_rsa_pss_verifies() {
    let base = signature_base(&test_request(), &params_of(B21_INPUT)).unwrap();
    assert_eq!(
        base,
        r#""@signature-params": ();created=1618884473;keyid="test-key-rsa-pss";nonce="b3k2pp5k7z-50gnwp.yemd""#
    );

    let verified = verify(
        &test_request(),
        B21_INPUT,
        B21_SIGNATURE,
        Some("sig-b21"),
        &rsa_pss_public(),
    )
    .unwrap();
    assert_eq!(verified.algorithm, Algorithm::RsaPssSha512);
    assert_eq!(verified.params.nonce(), Some("b3k2pp5k7z-50gnwp.yemd"));
}

#[test]
fn b22_selective_rsa_pss_verifies() {
    let expected_base = "\"@authority\": example.com\n\
        \"content-digest\": sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:\n\
        \"@query-param\";name=\"Pet\": dog\n\
        \"@signature-params\": (\"@authority\" \"content-digest\" \"@query-param\";name=\"Pet\");created=1618884473;keyid=\"test-key-rsa-pss\";tag=\"header-example\"";
    let base = signature_base(&test_request(), &params_of(B22_INPUT)).unwrap();
    assert_eq!(base, expected_base);

    let verified = verify(
        &test_request(),
        B22_INPUT,
        B22_SIGNATURE,
        None,
        &rsa_pss_public(),
    )
    .unwrap();
    assert_eq!(verified.params.tag(), Some("header-example"));
}

#[test]
fn b23_full_coverage_rsa_pss_verifies() {
    let expected_base = "\"date\": Tue, 20 Apr 2021 02:07:55 GMT\n\
        \"@method\": POST\n\
        \"@path\": /foo\n\
        \"@query\": ?param=Value&Pet=dog\n\
        \"@authority\": example.com\n\
        \"content-type\": application/json\n\
        \"content-digest\": sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:\n\
        \"content-length\": 18\n\
        \"@signature-params\": (\"date\" \"@method\" \"@path\" \"@query\" \"@authority\" \"content-type\" \"content-digest\" \"content-length\");created=1618884473;keyid=\"test-key-rsa-pss\"";
    let base = signature_base(&test_request(), &params_of(B23_INPUT)).unwrap();
    assert_eq!(base, expected_base);

    verify(
        &test_request(),
        B23_INPUT,
        B23_SIGNATURE,
        None,
        &rsa_pss_public(),
    )
    .unwrap();
}

#[test]
fn rsa_pss_fresh_signature_verifies() {
    let key = SigningKey::from_pkcs8_der(&rsa_pss_private_as_rsa_encryption()).unwrap();
    let members = sign(&test_request(), "sig-b23", &params_of(B23_INPUT), &key).unwrap();
    assert_eq!(members.signature_input, B23_INPUT);
    assert_ne!(members.signature, B23_SIGNATURE);
    verify(
        &test_request(),
        &members.signature_input,
        &members.signature,
        None,
        &rsa_pss_public(),
    )
    .unwrap();
}

#[test]
fn b24_ecdsa_response_verifies() {
    let expected_base = "\"@status\": 200\n\
        \"content-type\": application/json\n\
        \"content-digest\": sha-512=:mEWXIS7MaLRuGgxOBdODa3xqM1XdEvxoYhvlCFJ41QJgJc4GTsPp29l5oGX69wWdXymyU0rjJuahq4l5aGgfLQ==:\n\
        \"content-length\": 23\n\
        \"@signature-params\": (\"@status\" \"content-type\" \"content-digest\" \"content-length\");created=1618884473;keyid=\"test-key-ecc-p256\"";
    let base = signature_base(&test_response(), &params_of(B24_INPUT)).unwrap();
    assert_eq!(base, expected_base);

    let key = VerifyingKey::from_spki_der(&pem_der(ECC_P256_PUBLIC)).unwrap();
    let verified = verify(
        &test_response(),
        B24_INPUT,
        B24_SIGNATURE,
        Some("sig-b24"),
        &key,
    )
    .unwrap();
    assert_eq!(verified.algorithm, Algorithm::EcdsaP256Sha256);
}

#[test]
fn b24_content_digest_matches_body() {
    let digest = test_response().header_values("content-digest")[0].to_string();
    assert_eq!(
        hopscope_sign::verify_content_digest(&digest, RESPONSE_BODY),
        Ok(hopscope_sign::DigestAlgorithm::Sha512)
    );
}

#[test]
fn ecdsa_fresh_signature_verifies() {
    let key = SigningKey::from_pkcs8_der(&ecc_p256_private_pkcs8()).unwrap();
    let members = sign(&test_response(), "sig-b24", &params_of(B24_INPUT), &key).unwrap();
    assert_eq!(members.signature_input, B24_INPUT);
    let public = VerifyingKey::from_spki_der(&pem_der(ECC_P256_PUBLIC)).unwrap();
    verify(
        &test_response(),
        &members.signature_input,
        &members.signature,
        None,
        &public,
    )
    .unwrap();
}

#[test]
fn b25_hmac_is_reproduced() {
    let expected_base = "\"date\": Tue, 20 Apr 2021 02:07:55 GMT\n\
        \"@authority\": example.com\n\
        \"content-type\": application/json\n\
        \"@signature-params\": (\"date\" \"@authority\" \"content-type\");created=1618884473;keyid=\"test-shared-secret\"";
    let secret = STANDARD.decode(SHARED_SECRET).unwrap();
    let key = SigningKey::hmac_sha256(&secret);

    let members = sign(&test_request(), "sig-b25", &params_of(B25_INPUT), &key).unwrap();

    assert_eq!(members.base, expected_base);
    assert_eq!(members.signature_input, B25_INPUT);
    assert_eq!(members.signature, B25_SIGNATURE);
    verify(
        &test_request(),
        B25_INPUT,
        B25_SIGNATURE,
        None,
        &VerifyingKey::hmac_sha256(&secret),
    )
    .unwrap();
}

#[test]
fn b26_ed25519_is_reproduced() {
    let expected_base = "\"date\": Tue, 20 Apr 2021 02:07:55 GMT\n\
        \"@method\": POST\n\
        \"@path\": /foo\n\
        \"@authority\": example.com\n\
        \"content-type\": application/json\n\
        \"content-length\": 18\n\
        \"@signature-params\": (\"date\" \"@method\" \"@path\" \"@authority\" \"content-type\" \"content-length\");created=1618884473;keyid=\"test-key-ed25519\"";
    let key = SigningKey::from_pkcs8_der(&pem_der(ED25519_PRIVATE)).unwrap();
    let params = SignatureParams::new(params_of(B26_INPUT).components().to_vec())
        .with_created(1618884473)
        .with_keyid("test-key-ed25519");

    let members = sign(&test_request(), "sig-b26", &params, &key).unwrap();

    assert_eq!(members.base, expected_base);
    assert_eq!(members.signature_input, B26_INPUT);
    assert_eq!(members.signature, B26_SIGNATURE);
    let public = VerifyingKey::from_spki_der(&pem_der(ED25519_PUBLIC)).unwrap();
    verify(&test_request(), B26_INPUT, B26_SIGNATURE, None, &public).unwrap();
}

#[test]
fn request_digest_matches_body() {
    let digest = test_request().header_values("content-digest")[0].to_string();
    assert_eq!(
        hopscope_sign::verify_content_digest(&digest, REQUEST_BODY),
        Ok(hopscope_sign::DigestAlgorithm::Sha512)
    );
}

#[test]
fn all_signatures_in_one_header() {
    // A verifier finds each label among several members of one field.
    let inputs = [B21_INPUT, B22_INPUT, B23_INPUT, B26_INPUT].join(", ");
    let signatures = [B21_SIGNATURE, B22_SIGNATURE, B23_SIGNATURE, B26_SIGNATURE].join(", ");
    let rsa = rsa_pss_public();
    let ed25519 = VerifyingKey::from_spki_der(&pem_der(ED25519_PUBLIC)).unwrap();
    for label in ["sig-b21", "sig-b22", "sig-b23"] {
        verify(&test_request(), &inputs, &signatures, Some(label), &rsa).unwrap();
    }
    verify(
        &test_request(),
        &inputs,
        &signatures,
        Some("sig-b26"),
        &ed25519,
    )
    .unwrap();
}
