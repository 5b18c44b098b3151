//! Key detection, key identifiers and certificates.

mod common;

use common::*;
use hopscope_sign::{keyid_for_spki, Algorithm, KeyError, KeyType, SigningKey, VerifyingKey};

#[test]
fn pkcs8_key_types_are_detected() {
    let cases = [
        (
            generate_credential(&rcgen::PKCS_ECDSA_P256_SHA256),
            KeyType::EcdsaP256,
            Algorithm::EcdsaP256Sha256,
        ),
        (
            generate_credential(&rcgen::PKCS_ECDSA_P384_SHA384),
            KeyType::EcdsaP384,
            Algorithm::EcdsaP384Sha384,
        ),
        (
            generate_credential(&rcgen::PKCS_ED25519),
            KeyType::Ed25519,
            Algorithm::Ed25519,
        ),
    ];
    for (credential, key_type, algorithm) in cases {
        let key = SigningKey::from_pkcs8_der(&credential.private_key_pkcs8).unwrap();
        assert_eq!(key.key_type(), key_type);
        assert_eq!(key.algorithm(), algorithm);
    }

    let rsa = SigningKey::from_pkcs8_der(&rsa_pss_private_as_rsa_encryption()).unwrap();
    assert_eq!(rsa.key_type(), KeyType::Rsa(2048));
    assert_eq!(rsa.algorithm(), Algorithm::RsaPssSha512);
    let ed25519_v1 = SigningKey::from_pkcs8_der(&pem_der(ED25519_PRIVATE)).unwrap();
    assert_eq!(ed25519_v1.key_type(), KeyType::Ed25519);
}

#[test]
fn spki_of_signing_key_matches_certificate() {
    for alg in [
        &rcgen::PKCS_ECDSA_P256_SHA256,
        &rcgen::PKCS_ECDSA_P384_SHA384,
        &rcgen::PKCS_ED25519,
    ] {
        let credential = generate_credential(alg);
        let signing = SigningKey::from_pkcs8_der(&credential.private_key_pkcs8).unwrap();
        let from_certificate =
            VerifyingKey::from_certificate_der(&credential.certificate_der).unwrap();
        assert_eq!(signing.spki_der().as_deref(), from_certificate.spki_der());
        assert_eq!(signing.keyid(), from_certificate.keyid());
    }
}

#[test]
fn rsa_spki_is_rebuilt_exactly() {
    let signing = SigningKey::from_pkcs8_der(&rsa_pss_private_as_rsa_encryption()).unwrap();
    assert_eq!(signing.spki_der(), Some(pem_der(RSA_PSS_PUBLIC)));
}

#[test]
fn keyid_is_base64url_sha256_of_spki() {
    let spki = pem_der(ED25519_PUBLIC);
    let keyid = keyid_for_spki(&spki);
    assert_eq!(keyid.len(), 43);
    assert!(!keyid.contains(['+', '/', '=']), "{keyid}");
    let key = VerifyingKey::from_spki_der(&spki).unwrap();
    assert_eq!(key.keyid(), Some(keyid));
}

#[test]
fn keyid_matches_known_value() {
    // SHA-256 of the empty input, base64url without padding.
    assert_eq!(
        keyid_for_spki(b""),
        "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU"
    );
}

#[test]
fn rsa_pss_oid_private_key_is_rejected() {
    let error = SigningKey::from_pkcs8_der(&pem_der(RSA_PSS_PRIVATE)).unwrap_err();
    assert!(
        matches!(error, KeyError::UnsupportedKeyAlgorithm { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("RSASSA-PSS"), "{error}");
}

#[test]
fn non_pkcs8_input_is_rejected() {
    let sec1 = SigningKey::from_pkcs8_der(&pem_der(ECC_P256_PRIVATE_SEC1)).unwrap_err();
    assert_eq!(sec1, KeyError::NotPkcs8);
    let spki = VerifyingKey::from_spki_der(b"not der").unwrap_err();
    assert_eq!(spki, KeyError::NotSpki);
    let certificate = VerifyingKey::from_certificate_der(&pem_der(ED25519_PUBLIC)).unwrap_err();
    assert!(
        matches!(certificate, KeyError::InvalidCertificate(_)),
        "{certificate}"
    );
}

#[test]
fn algorithm_must_suit_key() {
    let key = SigningKey::from_pkcs8_der(&pem_der(ED25519_PRIVATE)).unwrap();
    let error = key.with_algorithm(Algorithm::EcdsaP256Sha256).unwrap_err();
    assert_eq!(
        error.to_string(),
        "algorithm ecdsa-p256-sha256 cannot be used with an Ed25519 key; it allows ed25519"
    );
    let rsa = SigningKey::from_pkcs8_der(&rsa_pss_private_as_rsa_encryption())
        .unwrap()
        .with_algorithm(Algorithm::RsaV1_5Sha256)
        .unwrap();
    assert_eq!(rsa.algorithm(), Algorithm::RsaV1_5Sha256);
}

#[test]
fn sign_and_verify_raw_with_every_key_type() {
    let mut keys = vec![
        SigningKey::from_pkcs8_der(
            &generate_credential(&rcgen::PKCS_ECDSA_P256_SHA256).private_key_pkcs8,
        )
        .unwrap(),
        SigningKey::from_pkcs8_der(
            &generate_credential(&rcgen::PKCS_ECDSA_P384_SHA384).private_key_pkcs8,
        )
        .unwrap(),
        SigningKey::from_pkcs8_der(&pem_der(ED25519_PRIVATE)).unwrap(),
        SigningKey::from_pkcs8_der(&rsa_pss_private_as_rsa_encryption()).unwrap(),
        SigningKey::from_pkcs8_der(&rsa_pss_private_as_rsa_encryption())
            .unwrap()
            .with_algorithm(Algorithm::RsaV1_5Sha256)
            .unwrap(),
        SigningKey::hmac_sha256(b"secret"),
    ];
    keys.push(SigningKey::from_pkcs8_der(&ecc_p256_private_pkcs8()).unwrap());
    for key in keys {
        let signature = key.sign(b"message").unwrap();
        let verifying = key.verifying_key();
        assert_eq!(verifying.algorithm(), key.algorithm());
        assert!(
            verifying
                .verify(key.algorithm(), b"message", &signature)
                .unwrap(),
            "{key:?}"
        );
        assert!(
            !verifying
                .verify(key.algorithm(), b"massage", &signature)
                .unwrap(),
            "{key:?}"
        );
    }
}

#[test]
fn ecdsa_signatures_are_fixed_width() {
    let p256 = SigningKey::from_pkcs8_der(
        &generate_credential(&rcgen::PKCS_ECDSA_P256_SHA256).private_key_pkcs8,
    )
    .unwrap();
    let p384 = SigningKey::from_pkcs8_der(
        &generate_credential(&rcgen::PKCS_ECDSA_P384_SHA384).private_key_pkcs8,
    )
    .unwrap();
    for _ in 0..8 {
        assert_eq!(p256.sign(b"m").unwrap().len(), 64);
        assert_eq!(p384.sign(b"m").unwrap().len(), 96);
    }
}

#[test]
fn rfc_p256_key_matches_its_public_half() {
    let key = SigningKey::from_pkcs8_der(&ecc_p256_private_pkcs8()).unwrap();
    assert_eq!(key.spki_der(), Some(pem_der(ECC_P256_PUBLIC)));
}

#[test]
fn debug_output_hides_key_material() {
    let key = SigningKey::hmac_sha256(b"do-not-print");
    let debug = format!("{key:?}");
    assert!(!debug.contains("do-not-print"), "{debug}");
    assert!(debug.contains("HmacSha256"), "{debug}");
}
