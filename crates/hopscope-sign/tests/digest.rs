//! `Content-Digest` against the examples of RFC 9530.

use hopscope_sign::digest::content_digest;
use hopscope_sign::{
    content_digest_sha256, content_digest_sha512, verify_content_digest, DigestAlgorithm,
    DigestError,
};

/// RFC 9530 section 2, the body `{"hello": "world"}`.
const HELLO: &[u8] = b"{\"hello\": \"world\"}";
const HELLO_SHA256: &str = "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:";
const HELLO_SHA512: &str =
    "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:";

#[test]
fn rfc9530_example_values() {
    assert_eq!(content_digest_sha256(HELLO), HELLO_SHA256);
    assert_eq!(content_digest_sha512(HELLO), HELLO_SHA512);
    assert_eq!(content_digest(DigestAlgorithm::Sha256, HELLO), HELLO_SHA256);
}

#[test]
fn matching_digest_names_algorithm() {
    assert_eq!(
        verify_content_digest(HELLO_SHA256, HELLO),
        Ok(DigestAlgorithm::Sha256)
    );
    assert_eq!(
        verify_content_digest(HELLO_SHA512, HELLO),
        Ok(DigestAlgorithm::Sha512)
    );
}

#[test]
fn both_algorithms_are_checked() {
    let both = format!("{HELLO_SHA256}, {HELLO_SHA512}");
    assert_eq!(
        verify_content_digest(&both, HELLO),
        Ok(DigestAlgorithm::Sha512)
    );

    let wrong_sha256 = format!("sha-256=:{}:, {HELLO_SHA512}", "A".repeat(43) + "=");
    let error = verify_content_digest(&wrong_sha256, HELLO).unwrap_err();
    assert!(
        matches!(
            error,
            DigestError::Mismatch {
                algorithm: DigestAlgorithm::Sha256,
                ..
            }
        ),
        "{error}"
    );
}

#[test]
fn unknown_algorithms_are_ignored() {
    let value = format!("md5=:AAAA:, {HELLO_SHA256}");
    assert_eq!(
        verify_content_digest(&value, HELLO),
        Ok(DigestAlgorithm::Sha256)
    );
}

#[test]
fn changed_body_is_a_mismatch() {
    let error = verify_content_digest(HELLO_SHA256, b"{\"hello\": \"World\"}").unwrap_err();
    let DigestError::Mismatch {
        algorithm,
        expected,
        actual,
    } = &error
    else {
        panic!("expected a mismatch, got {error}");
    };
    assert_eq!(*algorithm, DigestAlgorithm::Sha256);
    assert_eq!(expected, "X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=");
    assert_ne!(actual, expected);
    assert!(error.to_string().contains(expected), "{error}");
    assert!(error.to_string().contains(actual.as_str()), "{error}");
}

#[test]
fn only_unsupported_algorithms() {
    let error = verify_content_digest("md5=:AAAA:, unixsum=:AAAA:", HELLO).unwrap_err();
    assert_eq!(
        error,
        DigestError::UnsupportedAlgorithm {
            value: "md5=:AAAA:, unixsum=:AAAA:".into(),
            found: "md5, unixsum".into()
        }
    );
}

#[test]
fn malformed_values() {
    for value in [
        "sha-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=",
        "sha-256=(:AAAA:)",
        "sha-256=:AAAA",
        "",
    ] {
        let error = verify_content_digest(value, HELLO).unwrap_err();
        let expected_kind = if value.is_empty() {
            matches!(error, DigestError::UnsupportedAlgorithm { .. })
        } else {
            matches!(error, DigestError::Malformed { .. })
        };
        assert!(expected_kind, "{value:?}: {error}");
    }
}
