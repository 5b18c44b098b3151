//! A destination signs a FHIR response with ecdsa-p256-sha256 and the
//! originator verifies it. Every change an intermediary could make fails
//! with an error that names it.

mod common;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use common::*;
use hopscope_sign::message::{parse_signature_header, signature_member};
use hopscope_sign::{
    sign, verify, verify_content_digest, Algorithm, ComponentId, DigestError, HttpMessage,
    SignatureMembers, SignatureParams, SigningKey, VerifyError, VerifyingKey,
};

const CREATED: i64 = 1_700_000_000;

struct Signed {
    message: HttpMessage,
    members: SignatureMembers,
    verifying_key: VerifyingKey,
}

fn sign_patient_response() -> Signed {
    let credential = generate_credential(&rcgen::PKCS_ECDSA_P256_SHA256);
    let key = SigningKey::from_pkcs8_der(&credential.private_key_pkcs8).unwrap();
    let verifying_key = VerifyingKey::from_certificate_der(&credential.certificate_der).unwrap();
    let params = SignatureParams::new([
        ComponentId::derived("@status"),
        ComponentId::field("content-type"),
        ComponentId::field("content-digest"),
        ComponentId::field("content-length"),
    ])
    .with_created(CREATED)
    .with_keyid(&key.keyid().unwrap())
    .with_alg(Algorithm::EcdsaP256Sha256);
    let message = patient_response();
    let members = sign(&message, "sig1", &params, &key).unwrap();
    Signed {
        message,
        members,
        verifying_key,
    }
}

fn verify_signed(
    signed: &Signed,
    message: &HttpMessage,
) -> Result<hopscope_sign::VerifiedSignature, VerifyError> {
    verify(
        message,
        &signed.members.signature_input,
        &signed.members.signature,
        Some("sig1"),
        &signed.verifying_key,
    )
}

#[test]
fn signed_response_verifies() {
    let signed = sign_patient_response();
    let verified = verify_signed(&signed, &signed.message).unwrap();

    assert_eq!(verified.label, "sig1");
    assert_eq!(verified.algorithm, Algorithm::EcdsaP256Sha256);
    assert_eq!(verified.params.created(), Some(CREATED));
    assert_eq!(
        verified.params.keyid(),
        signed.verifying_key.keyid().as_deref()
    );
    assert_eq!(verified.base, signed.members.base);
    let digest = signed.message.header_values("content-digest")[0];
    assert_eq!(
        verify_content_digest(digest, PATIENT_BODY).unwrap().key(),
        "sha-256"
    );
}

#[test]
fn signature_base_lists_components_in_order() {
    let signed = sign_patient_response();
    let keyid = signed.verifying_key.keyid().unwrap();
    let expected = format!(
        "\"@status\": 200\n\
         \"content-type\": application/fhir+json\n\
         \"content-digest\": {}\n\
         \"content-length\": {}\n\
         \"@signature-params\": (\"@status\" \"content-type\" \"content-digest\" \"content-length\");created={CREATED};keyid=\"{keyid}\";alg=\"ecdsa-p256-sha256\"",
        hopscope_sign::content_digest_sha256(PATIENT_BODY),
        PATIENT_BODY.len()
    );
    assert_eq!(signed.members.base, expected);
    assert!(signed
        .members
        .signature_input
        .starts_with("sig1=(\"@status\""));
}

#[test]
fn signature_value_is_r_and_s() {
    let signed = sign_patient_response();
    let parsed = parse_signature_header(&signed.members.signature).unwrap();
    assert_eq!(parsed[0].1.len(), 64);
}

#[test]
fn verify_from_http_response_parts() {
    let signed = sign_patient_response();
    let response = http::Response::builder()
        .status(200)
        .header("content-type", "application/fhir+json")
        .header(
            "content-digest",
            hopscope_sign::content_digest_sha256(PATIENT_BODY),
        )
        .header("content-length", PATIENT_BODY.len().to_string())
        .header("signature-input", &signed.members.signature_input)
        .header("signature", &signed.members.signature)
        .body(())
        .unwrap();
    let (parts, _) = response.into_parts();
    let message = HttpMessage::from_response_parts(&parts).unwrap();
    verify_signed(&signed, &message).unwrap();
}

#[test]
fn changed_body_fails_digest() {
    let signed = sign_patient_response();
    let mut body = PATIENT_BODY.to_vec();
    body[30] ^= 1;
    // The signature still holds, because the header did not change.
    verify_signed(&signed, &signed.message).unwrap();
    let error = verify_content_digest(signed.message.header_values("content-digest")[0], &body)
        .unwrap_err();
    assert!(matches!(error, DigestError::Mismatch { .. }), "{error}");
}

#[test]
fn changed_covered_header_fails() {
    let signed = sign_patient_response();
    let mut message = signed.message.clone();
    message.remove_header("content-type");
    message.append_header("Content-Type", "application/json");
    let error = verify_signed(&signed, &message).unwrap_err();
    assert!(
        matches!(error, VerifyError::BadSignature { ref label, algorithm: Algorithm::EcdsaP256Sha256, .. } if label == "sig1"),
        "{error}"
    );
}

#[test]
fn rewritten_digest_fails_signature() {
    let signed = sign_patient_response();
    let mut message = signed.message.clone();
    message.remove_header("content-digest");
    message.append_header(
        "Content-Digest",
        &hopscope_sign::content_digest_sha256(b"{}"),
    );
    let error = verify_signed(&signed, &message).unwrap_err();
    assert!(matches!(error, VerifyError::BadSignature { .. }), "{error}");
}

#[test]
fn uncovered_header_may_change() {
    let signed = sign_patient_response();
    let message = signed
        .message
        .clone()
        .with_header("Via", "1.1 inbound-gateway");
    verify_signed(&signed, &message).unwrap();
}

#[test]
fn removed_covered_header_is_missing() {
    let signed = sign_patient_response();
    let mut message = signed.message.clone();
    message.remove_header("content-length");
    let error = verify_signed(&signed, &message).unwrap_err();
    assert_eq!(
        error,
        VerifyError::ComponentMissing {
            label: "sig1".into(),
            component: "\"content-length\"".into(),
            reason: "the message has no content-length header".into(),
        }
    );
}

#[test]
fn changed_status_fails() {
    let signed = sign_patient_response();
    let mut message = signed.message.clone();
    message.set_status(203);
    let error = verify_signed(&signed, &message).unwrap_err();
    assert!(matches!(error, VerifyError::BadSignature { .. }), "{error}");
}

#[test]
fn changed_signature_fails() {
    let signed = sign_patient_response();
    let mut bytes = parse_signature_header(&signed.members.signature)
        .unwrap()
        .remove(0)
        .1;
    bytes[10] ^= 0x80;
    let error = verify(
        &signed.message,
        &signed.members.signature_input,
        &signature_member("sig1", &bytes),
        Some("sig1"),
        &signed.verifying_key,
    )
    .unwrap_err();
    assert!(
        error
            .to_string()
            .contains(&signed.verifying_key.keyid().unwrap()),
        "{error}"
    );
    assert!(matches!(error, VerifyError::BadSignature { .. }), "{error}");
}

#[test]
fn truncated_signature_fails() {
    let signed = sign_patient_response();
    let bytes = parse_signature_header(&signed.members.signature)
        .unwrap()
        .remove(0)
        .1;
    let error = verify(
        &signed.message,
        &signed.members.signature_input,
        &format!("sig1=:{}:", STANDARD.encode(&bytes[..63])),
        Some("sig1"),
        &signed.verifying_key,
    )
    .unwrap_err();
    assert!(matches!(error, VerifyError::BadSignature { .. }), "{error}");
}

#[test]
fn changed_created_fails() {
    let signed = sign_patient_response();
    let input = signed.members.signature_input.replace(
        &format!("created={CREATED}"),
        &format!("created={}", CREATED + 1),
    );
    assert_ne!(input, signed.members.signature_input);
    let error = verify(
        &signed.message,
        &input,
        &signed.members.signature,
        Some("sig1"),
        &signed.verifying_key,
    )
    .unwrap_err();
    assert!(matches!(error, VerifyError::BadSignature { .. }), "{error}");
}

#[test]
fn dropped_component_fails() {
    let signed = sign_patient_response();
    let input = signed
        .members
        .signature_input
        .replace(" \"content-length\"", "");
    let error = verify(
        &signed.message,
        &input,
        &signed.members.signature,
        Some("sig1"),
        &signed.verifying_key,
    )
    .unwrap_err();
    assert!(matches!(error, VerifyError::BadSignature { .. }), "{error}");
}

#[test]
fn other_key_fails() {
    let signed = sign_patient_response();
    let other = generate_credential(&rcgen::PKCS_ECDSA_P256_SHA256);
    let other_key = VerifyingKey::from_certificate_der(&other.certificate_der).unwrap();
    let error = verify(
        &signed.message,
        &signed.members.signature_input,
        &signed.members.signature,
        Some("sig1"),
        &other_key,
    )
    .unwrap_err();
    assert!(matches!(error, VerifyError::BadSignature { .. }), "{error}");
}

#[test]
fn missing_label_lists_present_ones() {
    let signed = sign_patient_response();
    let error = verify(
        &signed.message,
        &signed.members.signature_input,
        &signed.members.signature,
        Some("sig2"),
        &signed.verifying_key,
    )
    .unwrap_err();
    assert_eq!(
        error,
        VerifyError::MissingLabel {
            header: "Signature-Input",
            label: "sig2".into(),
            available: "sig1".into()
        }
    );

    let error = verify(
        &signed.message,
        &signed.members.signature_input,
        "other=:AAAA:",
        Some("sig1"),
        &signed.verifying_key,
    )
    .unwrap_err();
    assert_eq!(
        error,
        VerifyError::MissingLabel {
            header: "Signature",
            label: "sig1".into(),
            available: "other".into()
        }
    );
}

#[test]
fn label_is_found_among_several() {
    let signed = sign_patient_response();
    let input = format!(
        "proxy=(\"@status\");created=1, {}",
        signed.members.signature_input
    );
    let signature = format!("proxy=:AAAA:, {}", signed.members.signature);
    verify(
        &signed.message,
        &input,
        &signature,
        Some("sig1"),
        &signed.verifying_key,
    )
    .unwrap();

    let error = verify(
        &signed.message,
        &input,
        &signature,
        None,
        &signed.verifying_key,
    )
    .unwrap_err();
    assert_eq!(
        error,
        VerifyError::AmbiguousLabel {
            header: "Signature-Input",
            labels: "proxy, sig1".into()
        }
    );
}

#[test]
fn single_label_needs_no_name() {
    let signed = sign_patient_response();
    let verified = verify(
        &signed.message,
        &signed.members.signature_input,
        &signed.members.signature,
        None,
        &signed.verifying_key,
    )
    .unwrap();
    assert_eq!(verified.label, "sig1");
}

#[test]
fn malformed_headers_are_named() {
    let signed = sign_patient_response();
    let error = verify(
        &signed.message,
        "sig1=(\"@status\"",
        &signed.members.signature,
        None,
        &signed.verifying_key,
    )
    .unwrap_err();
    assert!(matches!(error, VerifyError::MalformedHeader(_)), "{error}");
    assert!(
        error
            .to_string()
            .starts_with("Signature-Input is not a valid"),
        "{error}"
    );

    let error = verify(
        &signed.message,
        &signed.members.signature_input,
        "sig1=abc",
        None,
        &signed.verifying_key,
    )
    .unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("Signature member sig1 is invalid"),
        "{error}"
    );
}

#[test]
fn alg_must_suit_key() {
    let signed = sign_patient_response();
    let input = signed
        .members
        .signature_input
        .replace("ecdsa-p256-sha256", "ed25519");
    let error = verify(
        &signed.message,
        &input,
        &signed.members.signature,
        None,
        &signed.verifying_key,
    )
    .unwrap_err();
    assert_eq!(
        error,
        VerifyError::AlgorithmMismatch {
            label: "sig1".into(),
            alg: "ed25519".into(),
            key_type: hopscope_sign::KeyType::EcdsaP256,
            allowed: "ecdsa-p256-sha256".into(),
        }
    );

    let input = signed
        .members
        .signature_input
        .replace("ecdsa-p256-sha256", "rsa-sha1");
    let error = verify(
        &signed.message,
        &input,
        &signed.members.signature,
        None,
        &signed.verifying_key,
    )
    .unwrap_err();
    assert_eq!(
        error,
        VerifyError::UnsupportedAlgorithm {
            label: "sig1".into(),
            alg: "rsa-sha1".into()
        }
    );
}

#[test]
fn request_components_on_response_are_invalid() {
    let signed = sign_patient_response();
    let input = signed
        .members
        .signature_input
        .replace("(\"@status\"", "(\"@method\"");
    let error = verify(
        &signed.message,
        &input,
        &signed.members.signature,
        None,
        &signed.verifying_key,
    )
    .unwrap_err();
    assert!(
        matches!(error, VerifyError::ComponentInvalid { ref component, .. } if component == "\"@method\""),
        "{error}"
    );
}

#[test]
fn sign_rejects_bad_label_and_alg() {
    let key = SigningKey::from_pkcs8_der(&pem_der(ED25519_PRIVATE)).unwrap();
    let params = SignatureParams::new([ComponentId::derived("@status")]);
    let error = sign(&patient_response(), "Sig1", &params, &key).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("`Sig1` is not a valid dictionary key"),
        "{error}"
    );

    let params = params.with_alg(Algorithm::EcdsaP256Sha256);
    let error = sign(&patient_response(), "sig1", &params, &key).unwrap_err();
    assert_eq!(
        error.to_string(),
        "parameter alg=\"ecdsa-p256-sha256\" does not match the signing key, which signs with ed25519"
    );
}

#[test]
fn sign_reports_missing_component() {
    let key = SigningKey::from_pkcs8_der(&pem_der(ED25519_PRIVATE)).unwrap();
    let params = SignatureParams::new([ComponentId::field("x-missing")]);
    let error = sign(&patient_response(), "sig1", &params, &key).unwrap_err();
    assert_eq!(
        error.to_string(),
        "component \"x-missing\" is missing from the message: the message has no x-missing header"
    );
}

#[test]
fn response_covers_request_with_req() {
    let request =
        HttpMessage::request("GET", "https://fhir.destination.test/Patient/example").unwrap();
    let message = patient_response().with_request(request);
    let key = SigningKey::from_pkcs8_der(&pem_der(ED25519_PRIVATE)).unwrap();
    let params = SignatureParams::new([
        ComponentId::derived("@status"),
        ComponentId::derived("@method").with_req(),
        ComponentId::derived("@target-uri").with_req(),
    ])
    .with_created(CREATED);
    let members = sign(&message, "sig1", &params, &key).unwrap();
    assert!(
        members
            .base
            .contains("\"@target-uri\";req: https://fhir.destination.test/Patient/example\n"),
        "{}",
        members.base
    );
    verify(
        &message,
        &members.signature_input,
        &members.signature,
        None,
        &key.verifying_key(),
    )
    .unwrap();

    let other = HttpMessage::request("GET", "https://fhir.destination.test/Patient/other").unwrap();
    let replayed = patient_response().with_request(other);
    let error = verify(
        &replayed,
        &members.signature_input,
        &members.signature,
        None,
        &key.verifying_key(),
    )
    .unwrap_err();
    assert!(matches!(error, VerifyError::BadSignature { .. }), "{error}");
}

#[test]
fn appended_members_verify_from_message() {
    let signed = sign_patient_response();
    let mut message = signed.message.clone();
    signed.members.append_to(&mut message);
    let input = message.header_values("signature-input").join(", ");
    let signature = message.header_values("signature").join(", ");
    verify(
        &message,
        &input,
        &signature,
        Some("sig1"),
        &signed.verifying_key,
    )
    .unwrap();
}
