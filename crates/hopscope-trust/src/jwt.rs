//! Decoding a compact JWS and the checks on its signature and claims.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use ring::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::cert::{rfc3339, CertFacts, KeyKind, MIN_RSA_BITS};
use crate::decision::{Check, CheckName, DecisionContext};

/// Longest accepted distance from `iat` to `exp`, in seconds. UDAP limits
/// software statements and client assertions to 5 minutes.
pub const MAX_JWT_LIFETIME_SECONDS: i64 = 300;

/// How far `iat` may lie after the evaluation time, in seconds, to allow for
/// clock skew between originator and destination. This is Hopscope's choice;
/// UDAP sets no value.
pub const MAX_IAT_SKEW_SECONDS: i64 = 60;

/// The algorithms accepted in `alg`, in the order reasons list them.
const ACCEPTED_ALGS: &str = "RS256, ES256, ES384 or EdDSA";

/// A compact JWS split and decoded as far as it goes.
pub(crate) struct DecodedJwt {
    pub header: Map<String, Value>,
    /// The claims, or why the payload is not a JSON object.
    pub claims: Result<Map<String, Value>, String>,
    /// `base64url(header) "." base64url(payload)`, the bytes that are signed.
    pub signing_input: String,
    pub signature: Result<Vec<u8>, String>,
}

impl DecodedJwt {
    /// Splits and decodes a compact JWS. Fails only when the header cannot be
    /// read, since nothing else can be checked without it.
    pub fn decode(jwt: &str) -> Result<DecodedJwt, String> {
        let segments: Vec<&str> = jwt.trim().split('.').collect();
        let [header, payload, signature] = segments.as_slice() else {
            return Err(format!(
                "the JWT has {} dot-separated segments; a compact JWS has 3",
                segments.len()
            ));
        };
        let header = decode_json_object(header).map_err(|e| format!("the JWT header {e}"))?;
        let claims = decode_json_object(payload).map_err(|e| format!("the JWT payload {e}"));
        let signature_bytes = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|e| format!("the JWT signature is not base64url without padding: {e}"));
        Ok(DecodedJwt {
            header,
            claims,
            signing_input: jwt.trim()[..header_payload_len(jwt.trim())].to_string(),
            signature: signature_bytes,
        })
    }

    /// Returns the `alg` header, if it is a string.
    pub fn alg(&self) -> Option<&str> {
        self.header.get("alg").and_then(Value::as_str)
    }

    /// Decodes the `x5c` chain, leaf first: `Ok(None)` when absent, `Err` when
    /// present but not an array of standard base64 strings.
    pub fn x5c(&self) -> Result<Option<Vec<Vec<u8>>>, String> {
        let Some(value) = self.header.get("x5c") else {
            return Ok(None);
        };
        let Some(items) = value.as_array() else {
            return Err("x5c is not an array of base64 certificates".into());
        };
        if items.is_empty() {
            return Err("x5c is an empty array; put the leaf certificate first".into());
        }
        items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let text = item
                    .as_str()
                    .ok_or_else(|| format!("x5c[{i}] is not a string"))?;
                STANDARD.decode(text).map_err(|e| {
                    format!("x5c[{i}] is not standard base64 (RFC 7515 uses base64, not base64url): {e}")
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }
}

/// Checks `alg`, the presence of `x5c`, that `alg` fits the leaf's key, and
/// the signature itself. `leaf` is `None` when `x5c` is missing or its first
/// certificate does not parse; `x5c_problem` then gives the cause.
pub(crate) fn check_signature(
    jwt: &DecodedJwt,
    leaf: Option<&CertFacts>,
    x5c_problem: Option<&str>,
) -> Check {
    let fail = |reason: String| Check::fail(CheckName::Signature, reason);
    let alg = match jwt.alg() {
        None => {
            return fail(
                "the JWT header has no alg string; sign with RS256, ES256, ES384 or EdDSA".into(),
            )
        }
        Some(alg) if alg.eq_ignore_ascii_case("none") => {
            return fail(format!(
                "alg is \"{alg}\": the JWT is unsigned and proves nothing; expected {ACCEPTED_ALGS}"
            ))
        }
        Some(alg) => alg,
    };
    let Some((expected_key, algorithm)) = verification_algorithm(alg) else {
        return fail(format!("alg is \"{alg}\"; expected {ACCEPTED_ALGS}"));
    };
    let leaf = match (leaf, x5c_problem) {
        (Some(leaf), _) => leaf,
        (None, Some(problem)) => return fail(problem.to_string()),
        (None, None) => return fail("the JWT has no leaf certificate to verify with".into()),
    };
    if !expected_key.matches(&leaf.key) {
        return fail(format!(
            "alg is \"{alg}\" but the leaf's key is {}; {alg} needs {expected_key}",
            leaf.key
        ));
    }
    let signature = match &jwt.signature {
        Ok(bytes) => bytes,
        Err(reason) => return fail(reason.clone()),
    };
    if let KeyKind::Rsa { bits } = leaf.key {
        if bits < MIN_RSA_BITS {
            return fail(format!(
                "the leaf's RSA key has {bits} bits; RS256 signatures are verified only with keys of at least {MIN_RSA_BITS} bits"
            ));
        }
    }
    let key = UnparsedPublicKey::new(algorithm, &leaf.public_key);
    if key.verify(jwt.signing_input.as_bytes(), signature).is_ok() {
        return Check::pass(
            CheckName::Signature,
            format!(
                "the {alg} signature verifies with the {} key of the leaf {} (SPKI SHA-256 {})",
                leaf.key,
                leaf.label(),
                leaf.spki_sha256
            ),
        );
    }
    let hint = match (&leaf.key, signature.len()) {
        (KeyKind::EcdsaP256, len) if len != 64 => format!(
            "; the signature is {len} bytes but an ES256 JWS signature is r||s, 64 bytes (not DER)"
        ),
        (KeyKind::EcdsaP384, len) if len != 96 => format!(
            "; the signature is {len} bytes but an ES384 JWS signature is r||s, 96 bytes (not DER)"
        ),
        _ => String::new(),
    };
    fail(format!(
        "the {alg} signature does not verify with the key of the x5c leaf {} (SPKI SHA-256 {}): the JWT was signed with another key or altered{hint}",
        leaf.label(),
        leaf.spki_sha256
    ))
}

/// Checks that `iss` equals `sub` and is a SAN URI of the leaf.
pub(crate) fn check_issuer(claims: &Map<String, Value>, leaf: Option<&CertFacts>) -> Check {
    let fail = |reason: String| Check::fail(CheckName::Issuer, reason);
    let Some(iss) = claims.get("iss").and_then(Value::as_str) else {
        return fail("the JWT has no iss string; set iss to the originator's client URI".into());
    };
    let Some(sub) = claims.get("sub").and_then(Value::as_str) else {
        return fail(format!(
            "the JWT has no sub string; set sub to iss, \"{iss}\""
        ));
    };
    if sub != iss {
        return fail(format!(
            "sub is \"{sub}\" but iss is \"{iss}\"; they must be equal"
        ));
    }
    let Some(leaf) = leaf else {
        return fail(format!(
            "iss is \"{iss}\" but there is no leaf certificate to compare with"
        ));
    };
    if leaf.san_uris.iter().any(|uri| uri == iss) {
        return Check::pass(
            CheckName::Issuer,
            format!("iss and sub are \"{iss}\", a SAN URI of the leaf"),
        );
    }
    let uris = if leaf.san_uris.is_empty() {
        "the leaf has no SAN URI".to_string()
    } else {
        format!("the leaf's SAN URIs are {}", quoted_list(&leaf.san_uris))
    };
    fail(format!(
        "iss is \"{iss}\", which is not a SAN URI of the leaf {}; {uris}",
        leaf.label()
    ))
}

/// Checks that `aud` is the registration or token endpoint under the
/// destination's public base URL, and names a private URL when it is one.
pub(crate) fn check_audience(claims: &Map<String, Value>, ctx: &DecisionContext) -> Check {
    let fail = |reason: String| Check::fail(CheckName::Audience, reason);
    let base = ctx.public_base_url.trim().trim_end_matches('/');
    if base.is_empty() {
        return fail(
            "the destination has no public base URL to compare aud with; set it in the topology"
                .into(),
        );
    }
    let expected = [format!("{base}/register"), format!("{base}/token")];
    let expected_text = format!("expected \"{}\" or \"{}\"", expected[0], expected[1]);
    let audiences: Vec<&str> = match claims.get("aud") {
        Some(Value::String(aud)) => vec![aud.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => return fail(format!("the JWT has no aud; {expected_text}")),
    };
    if let Some(aud) = audiences
        .iter()
        .find(|aud| expected.iter().any(|e| e == *aud))
    {
        return Check::pass(
            CheckName::Audience,
            format!("aud is \"{aud}\", an endpoint at the public base URL \"{base}\""),
        );
    }
    for aud in &audiences {
        if let Some(private) = ctx.private_urls.iter().find(|p| is_under(aud, p)) {
            return fail(format!(
                "aud is \"{aud}\", a private URL (under \"{}\"); {expected_text}",
                private.trim_end_matches('/')
            ));
        }
    }
    fail(format!(
        "aud is {}; {expected_text}",
        quoted_list(&audiences)
    ))
}

/// Checks that `exp` is after `iat` by at most 5 minutes and not before the
/// evaluation time, and that `iat` is not in the future beyond the skew.
/// Both claims are NumericDate seconds since the Unix epoch.
pub(crate) fn check_lifetime(claims: &Map<String, Value>, at: OffsetDateTime) -> Check {
    let fail = |reason: String| Check::fail(CheckName::Lifetime, reason);
    let Some(iat) = numeric_date(claims, "iat") else {
        return fail(
            "the JWT has no numeric iat; set iat to the signing time in seconds since the epoch"
                .into(),
        );
    };
    let Some(exp) = numeric_date(claims, "exp") else {
        return fail("the JWT has no numeric exp; set exp to at most 300 seconds after iat".into());
    };
    let lifetime = exp - iat;
    if lifetime <= 0 {
        return fail(format!("exp ({exp}) is not after iat ({iat})"));
    }
    if lifetime > MAX_JWT_LIFETIME_SECONDS {
        return fail(format!(
            "exp is {lifetime} s after iat; at most {MAX_JWT_LIFETIME_SECONDS} s (5 minutes) is allowed"
        ));
    }
    let at_seconds = at.unix_timestamp();
    if iat > at_seconds + MAX_IAT_SKEW_SECONDS {
        return fail(format!(
            "iat {} is more than {MAX_IAT_SKEW_SECONDS} s after the evaluation time {}: the JWT claims to be issued in the future",
            seconds_to_text(iat),
            rfc3339(at)
        ));
    }
    if exp < at_seconds {
        return fail(format!(
            "exp {} is before the evaluation time {}: the JWT has expired",
            seconds_to_text(exp),
            rfc3339(at)
        ));
    }
    Check::pass(
        CheckName::Lifetime,
        format!(
            "exp {} is {lifetime} s after iat and not before the evaluation time {}",
            seconds_to_text(exp),
            rfc3339(at)
        ),
    )
}

/// Checks that `jti` is a non-empty string.
pub(crate) fn check_token_id(claims: &Map<String, Value>) -> Check {
    match claims.get("jti") {
        Some(Value::String(jti)) if !jti.is_empty() => {
            Check::pass(CheckName::TokenId, format!("jti is \"{jti}\""))
        }
        Some(Value::String(_)) => Check::fail(
            CheckName::TokenId,
            "jti is empty; set a unique value per JWT".into(),
        ),
        Some(other) => Check::fail(
            CheckName::TokenId,
            format!("jti is {other}, not a string; set a unique string per JWT"),
        ),
        None => Check::fail(
            CheckName::TokenId,
            "the JWT has no jti; set a unique value per JWT so the destination can reject replays"
                .into(),
        ),
    }
}

/// The key a JWS algorithm needs.
#[derive(Debug, Clone, Copy)]
enum ExpectedKey {
    Rsa,
    EcdsaP256,
    EcdsaP384,
    Ed25519,
}

impl ExpectedKey {
    fn matches(self, key: &KeyKind) -> bool {
        matches!(
            (self, key),
            (ExpectedKey::Rsa, KeyKind::Rsa { .. })
                | (ExpectedKey::EcdsaP256, KeyKind::EcdsaP256)
                | (ExpectedKey::EcdsaP384, KeyKind::EcdsaP384)
                | (ExpectedKey::Ed25519, KeyKind::Ed25519)
        )
    }
}

impl std::fmt::Display for ExpectedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ExpectedKey::Rsa => "an RSA key",
            ExpectedKey::EcdsaP256 => "an ECDSA P-256 key",
            ExpectedKey::EcdsaP384 => "an ECDSA P-384 key",
            ExpectedKey::Ed25519 => "an Ed25519 key",
        })
    }
}

/// Maps a JWS `alg` to the key it needs and ring's verifier. JWS ECDSA
/// signatures are r||s, hence the FIXED variants.
fn verification_algorithm(alg: &str) -> Option<(ExpectedKey, &'static dyn VerificationAlgorithm)> {
    match alg {
        "RS256" => Some((ExpectedKey::Rsa, &signature::RSA_PKCS1_2048_8192_SHA256)),
        "ES256" => Some((ExpectedKey::EcdsaP256, &signature::ECDSA_P256_SHA256_FIXED)),
        "ES384" => Some((ExpectedKey::EcdsaP384, &signature::ECDSA_P384_SHA384_FIXED)),
        "EdDSA" => Some((ExpectedKey::Ed25519, &signature::ED25519)),
        _ => None,
    }
}

fn decode_json_object(segment: &str) -> Result<Map<String, Value>, String> {
    let bytes = URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|e| format!("is not base64url without padding: {e}"))?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err("is JSON but not an object".into()),
        Err(e) => Err(format!("is not JSON: {e}")),
    }
}

/// Length of `header.payload` in a compact JWS: everything before the last dot.
fn header_payload_len(jwt: &str) -> usize {
    jwt.rfind('.').unwrap_or(jwt.len())
}

/// Reads a NumericDate claim, truncating fractional seconds.
fn numeric_date(claims: &Map<String, Value>, name: &str) -> Option<i64> {
    let value = claims.get(name)?;
    value
        .as_i64()
        .or_else(|| value.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
}

fn seconds_to_text(seconds: i64) -> String {
    match OffsetDateTime::from_unix_timestamp(seconds) {
        Ok(t) => format!("{} ({seconds})", rfc3339(t)),
        Err(_) => seconds.to_string(),
    }
}

/// Returns whether `url` is `base` or a path below it, ignoring a trailing slash on
/// `base`.
fn is_under(url: &str, base: &str) -> bool {
    let base = base.trim().trim_end_matches('/');
    !base.is_empty()
        && (url == base
            || url
                .strip_prefix(base)
                .is_some_and(|rest| rest.starts_with(['/', '?'])))
}

fn quoted_list<S: AsRef<str>>(items: &[S]) -> String {
    if items.is_empty() {
        return "empty".into();
    }
    items
        .iter()
        .map(|s| format!("\"{}\"", s.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use time::macros::datetime;

    fn claims(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    fn context() -> DecisionContext {
        DecisionContext {
            at: datetime!(2026-03-01 12:00 UTC),
            public_base_url: "https://fhir.int-one.test:8443/d-corp/".into(),
            private_urls: vec!["https://d-corp.internal.test:9443/fhir".into()],
            crls: Vec::new(),
            trust_list_version: 1,
        }
    }

    #[test]
    fn audience_cases() {
        let ctx = context();
        let cases = [
            (json!({"aud": "https://fhir.int-one.test:8443/d-corp/token"}), true, "an endpoint at the public base URL"),
            (json!({"aud": ["x", "https://fhir.int-one.test:8443/d-corp/register"]}), true, "/register"),
            (json!({"aud": "https://d-corp.internal.test:9443/fhir/token"}), false, "a private URL"),
            (json!({"aud": "https://fhir.int-one.test:8443/d-corp/other"}), false, "expected \"https://fhir.int-one.test:8443/d-corp/register\" or \"https://fhir.int-one.test:8443/d-corp/token\""),
            (json!({}), false, "no aud"),
        ];
        for (value, passes, reason) in cases {
            let check = check_audience(&claims(value.clone()), &ctx);
            assert_eq!(check.passed(), passes, "{value}: {check:?}");
            assert!(check.reason.contains(reason), "{value}: {}", check.reason);
        }
    }

    #[test]
    fn private_url_prefix_needs_path_boundary() {
        assert!(is_under(
            "https://p.test/fhir/token",
            "https://p.test/fhir/"
        ));
        assert!(!is_under(
            "https://p.test/fhirx/token",
            "https://p.test/fhir"
        ));
    }

    #[test]
    fn lifetime_cases() {
        let at = datetime!(2026-03-01 12:00 UTC).unix_timestamp();
        let cases = [
            (
                json!({"iat": at - 10, "exp": at + 290}),
                true,
                "is 300 s after iat",
            ),
            (
                json!({"iat": at, "exp": at + 301}),
                false,
                "301 s after iat",
            ),
            (
                json!({"iat": at - 200, "exp": at - 100}),
                false,
                "the JWT has expired",
            ),
            (json!({"iat": at, "exp": at}), false, "is not after iat"),
            (
                json!({"iat": at + 60, "exp": at + 120}),
                true,
                "is 60 s after iat",
            ),
            (
                json!({"iat": at + 61, "exp": at + 120}),
                false,
                "issued in the future",
            ),
            (json!({"exp": at}), false, "no numeric iat"),
        ];
        for (value, passes, reason) in cases {
            let check = check_lifetime(&claims(value.clone()), context().at);
            assert_eq!(check.passed(), passes, "{value}: {check:?}");
            assert!(check.reason.contains(reason), "{value}: {}", check.reason);
        }
    }

    #[test]
    fn decode_rejects_bad_header() {
        let err = DecodedJwt::decode("bm90IGpzb24.e30.").err().unwrap();
        assert!(err.starts_with("the JWT header is not JSON"), "{err}");
    }
}
