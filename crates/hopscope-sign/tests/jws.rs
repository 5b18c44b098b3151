//! Compact JWS made and checked by this crate.

mod common;

use common::*;
use hopscope_sign::jws::{sign_compact, verify_compact, JwsError};
use hopscope_sign::{SigningKey, VerifyingKey};
use serde_json::json;

fn keys() -> Vec<(SigningKey, &'static str)> {
    vec![
        (
            SigningKey::from_pkcs8_der(
                &generate_credential(&rcgen::PKCS_ECDSA_P256_SHA256).private_key_pkcs8,
            )
            .unwrap(),
            "ES256",
        ),
        (
            SigningKey::from_pkcs8_der(
                &generate_credential(&rcgen::PKCS_ECDSA_P384_SHA384).private_key_pkcs8,
            )
            .unwrap(),
            "ES384",
        ),
        (
            SigningKey::from_pkcs8_der(&pem_der(ED25519_PRIVATE)).unwrap(),
            "EdDSA",
        ),
        (
            SigningKey::from_pkcs8_der(&rsa_pss_private_as_rsa_encryption()).unwrap(),
            "RS256",
        ),
        (SigningKey::hmac_sha256(b"jws secret"), "HS256"),
    ]
}

#[test]
fn signed_tokens_verify_with_alg_from_key() {
    for (key, alg) in keys() {
        let token = sign_compact(
            &json!({"typ": "JWT", "alg": "none"}),
            &json!({"iss": "destination"}),
            &key,
        )
        .unwrap();
        let verified = verify_compact(&token, &key.verifying_key()).unwrap();
        assert_eq!(verified.header["alg"], alg);
        assert_eq!(verified.header["typ"], "JWT");
        assert_eq!(verified.claims["iss"], "destination");
    }
}

#[test]
fn es256_signature_is_64_bytes() {
    let (key, _) = keys().remove(0);
    let token = sign_compact(&json!({}), &json!({"sub": "x"}), &key).unwrap();
    let signature = token.rsplit('.').next().unwrap();
    // 64 bytes are 86 base64url characters without padding.
    assert_eq!(signature.len(), 86);
}

#[test]
fn changed_claims_fail() {
    let (key, _) = keys().remove(0);
    let token = sign_compact(&json!({}), &json!({"sub": "alice"}), &key).unwrap();
    let parts: Vec<&str> = token.split('.').collect();
    let forged_claims = base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        r#"{"sub":"mallory"}"#,
    );
    let forged = format!("{}.{}.{}", parts[0], forged_claims, parts[2]);
    let error = verify_compact(&forged, &key.verifying_key()).unwrap_err();
    assert!(matches!(error, JwsError::BadSignature { .. }), "{error}");
}

#[test]
fn alg_substitution_is_rejected() {
    let (ec_key, _) = keys().remove(0);
    let hmac = SigningKey::hmac_sha256(b"public key bytes");
    let token = sign_compact(&json!({}), &json!({}), &hmac).unwrap();
    let error = verify_compact(&token, &ec_key.verifying_key()).unwrap_err();
    assert!(error.to_string().contains("alg `HS256`"), "{error}");
}

#[test]
fn malformed_tokens_are_rejected() {
    let key: VerifyingKey = keys().remove(0).0.verifying_key();
    assert_eq!(
        verify_compact("a.b", &key).unwrap_err(),
        JwsError::Malformed
    );
    let error = verify_compact("!!.e30.AA", &key).unwrap_err();
    assert!(
        matches!(error, JwsError::InvalidPart { part: "header", .. }),
        "{error}"
    );
    let error = sign_compact(&json!([]), &json!({}), &SigningKey::hmac_sha256(b"k")).unwrap_err();
    assert_eq!(error, JwsError::NotAnObject { part: "header" });
}
