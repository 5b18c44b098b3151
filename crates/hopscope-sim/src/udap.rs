//! The destination's UDAP endpoints: signed metadata, dynamic client
//! registration, the client-credentials token endpoint, and the check of
//! the access tokens it issued. Every trust decision is made here, with the
//! destination's own trust list.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use hopscope_trust::{decide, DecisionContext, Presented, TrustDecision};
use http::header::{HeaderValue, AUTHORIZATION, CACHE_CONTROL, PRAGMA, WWW_AUTHENTICATE};
use http::{HeaderMap, StatusCode};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::destination::server::Reply;
use crate::destination::{Registration, State};
use crate::ACCESS_TOKEN_LIFETIME_SECONDS;

/// `client_assertion_type` of a `private_key_jwt` client assertion (RFC 7523).
pub const JWT_BEARER_ASSERTION: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Lifetime of `signed_metadata`, in seconds.
const SIGNED_METADATA_LIFETIME_SECONDS: i64 = 3600;

const JSON: &str = "application/json";

/// `GET <base>/.well-known/udap`.
pub(crate) fn metadata(state: &State) -> Reply {
    let base = &state.public_base;
    let token_endpoint = format!("{base}/token");
    let registration_endpoint = format!("{base}/register");
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let signing = state
        .signing
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let signed_metadata = signing.sign_jwt(&json!({
        "iss": base,
        "sub": base,
        "iat": now,
        "exp": now + SIGNED_METADATA_LIFETIME_SECONDS,
        "jti": random_id(),
        "token_endpoint": token_endpoint,
        "registration_endpoint": registration_endpoint,
    }));
    let algorithms = ["ES256", "ES384", "RS256", "EdDSA"];
    Reply::json(
        StatusCode::OK,
        JSON,
        &json!({
            "udap_versions_supported": ["1"],
            "udap_profiles_supported": ["udap_dcr", "udap_authn", "udap_authz"],
            "udap_authorization_extensions_supported": ["hl7-b2b"],
            "udap_authorization_extensions_required": [],
            "udap_certifications_supported": [],
            "udap_certifications_required": [],
            "grant_types_supported": ["client_credentials"],
            "scopes_supported": ["system/*.read", "system/*.rs", "system/*.cruds"],
            "token_endpoint": token_endpoint,
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": algorithms,
            "registration_endpoint": registration_endpoint,
            "registration_endpoint_jwt_signing_alg_values_supported": algorithms,
            "signed_metadata": signed_metadata,
        }),
    )
}

/// `POST <base>/register`: UDAP dynamic client registration.
pub(crate) fn register(state: &State, body: &[u8], facts: &mut Map<String, Value>) -> Reply {
    let request: Value = match serde_json::from_slice(body) {
        Ok(value @ Value::Object(_)) => value,
        _ => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_client_metadata",
                "the registration request body is not a JSON object; send {\"software_statement\": \"<JWT>\", \"udap\": \"1\"}",
            )
        }
    };
    let Some(statement) = request.get("software_statement").and_then(Value::as_str) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_software_statement",
            "the registration request has no software_statement string",
        );
    };
    let claims = match jwt_claims(statement) {
        Ok(claims) => claims,
        Err(reason) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_software_statement",
                &reason,
            )
        }
    };

    let decision = decide_now(state, &Presented::Jwt(statement.to_string()));
    record_decision(facts, &decision);
    if !decision.trusted {
        return rejected(
            StatusCode::BAD_REQUEST,
            "unapproved_software_statement",
            &decision,
        );
    }
    let registration_endpoint = format!("{}/register", state.public_base);
    if !audience_contains(&claims, &registration_endpoint) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_software_statement",
            &format!("aud of a software statement must be the registration endpoint {registration_endpoint:?}"),
        );
    }
    if let Some(problem) = client_metadata_problem(&claims) {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_client_metadata", &problem);
    }

    // The issuer check passed, so `iss` is a SAN URI of the leaf.
    let client_id = claims
        .get("iss")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let chain = match x5c_chain(statement) {
        Ok(chain) => chain,
        Err(reason) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_software_statement",
                &reason,
            )
        }
    };
    let registration = Registration {
        chain,
        client_name: claims
            .get("client_name")
            .and_then(Value::as_str)
            .map(str::to_string),
        scope: claims
            .get("scope")
            .and_then(Value::as_str)
            .map(str::to_string),
    };
    let replaced = state
        .clients
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .insert(client_id.clone(), registration.clone())
        .is_some();
    facts.insert("client_id".into(), Value::String(client_id.clone()));
    tracing::info!(destination = %state.name, client_id = %client_id, replaced, "client registered");

    let mut response = json!({
        "client_id": client_id,
        "software_statement": statement,
        "grant_types": ["client_credentials"],
        "token_endpoint_auth_method": "private_key_jwt",
    });
    if let Some(name) = registration.client_name {
        response["client_name"] = Value::String(name);
    }
    if let Some(scope) = registration.scope {
        response["scope"] = Value::String(scope);
    }
    let status = if replaced {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    no_store(Reply::json(status, JSON, &response))
}

/// `POST <base>/token`: a client-credentials grant authenticated with a
/// `private_key_jwt` client assertion.
pub(crate) fn token(state: &State, body: &[u8], facts: &mut Map<String, Value>) -> Reply {
    let form: Vec<(String, String)> = url::form_urlencoded::parse(body).into_owned().collect();
    let field = |name: &str| {
        form.iter()
            .find(|(key, _)| key == name)
            .map(|(_, v)| v.as_str())
    };

    match field("grant_type") {
        Some("client_credentials") => {}
        Some(other) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                &format!("grant_type {other:?} is not supported; use client_credentials"),
            )
        }
        None => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "the token request has no grant_type; send an application/x-www-form-urlencoded body with grant_type=client_credentials",
            )
        }
    }
    if field("client_assertion_type") != Some(JWT_BEARER_ASSERTION) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            &format!("client_assertion_type must be {JWT_BEARER_ASSERTION:?}"),
        );
    }
    let Some(assertion) = field("client_assertion") else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the token request has no client_assertion",
        );
    };
    let claims = match jwt_claims(assertion) {
        Ok(claims) => claims,
        Err(reason) => return oauth_error(StatusCode::BAD_REQUEST, "invalid_client", &reason),
    };
    let client_id = claims
        .get("iss")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    facts.insert("client_id".into(), Value::String(client_id.clone()));
    let registration = state
        .clients
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .get(&client_id)
        .cloned();
    let Some(registration) = registration else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_client",
            &format!(
                "client_id {client_id:?} is not registered at {}; register first",
                state.public_base
            ),
        );
    };

    let decision = decide_now(state, &Presented::Jwt(assertion.to_string()));
    record_decision(facts, &decision);
    if !decision.trusted {
        return rejected(StatusCode::BAD_REQUEST, "invalid_client", &decision);
    }
    let token_endpoint = format!("{}/token", state.public_base);
    if !audience_contains(&claims, &token_endpoint) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_client",
            &format!("aud of a client assertion must be the token endpoint {token_endpoint:?}"),
        );
    }
    let registered_leaf = registration
        .chain
        .first()
        .map(|der| hex::encode(Sha256::digest(der)));
    let presented_leaf = decision
        .leaf
        .as_ref()
        .map(|leaf| leaf.sha256_fingerprint.clone());
    if registered_leaf.is_none()
        || registered_leaf
            != presented_leaf
                .as_ref()
                .map(|f| f.replace(':', "").to_lowercase())
    {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_client",
            &format!(
                "the client assertion of {client_id:?} is signed with a certificate other than the registered one; register again with the current certificate"
            ),
        );
    }

    let now = OffsetDateTime::now_utc().unix_timestamp();
    let scope = field("scope")
        .map(str::to_string)
        .or(registration.scope)
        .unwrap_or_else(|| "system/*.read".into());
    let signing = state
        .signing
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let access_token = signing.sign_jwt(&json!({
        "iss": state.public_base,
        "sub": client_id,
        "aud": state.public_base,
        "iat": now,
        "exp": now + ACCESS_TOKEN_LIFETIME_SECONDS,
        "jti": random_id(),
        "scope": scope,
    }));
    facts.insert(
        "token_issued_sha256".into(),
        Value::String(hex::encode(Sha256::digest(access_token.as_bytes()))),
    );
    no_store(Reply::json(
        StatusCode::OK,
        JSON,
        &json!({
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": ACCESS_TOKEN_LIFETIME_SECONDS,
            "scope": scope,
        }),
    ))
}

/// Checks the bearer token of a resource request: issued by this
/// destination, not expired, and its client still trusted. Returns the
/// client id, or the 401 or 403 reply.
pub(crate) fn authorize(
    state: &State,
    headers: &HeaderMap,
    facts: &mut Map<String, Value>,
) -> Result<String, Box<Reply>> {
    let unauthorized = |error: &str, reason: String| {
        let mut reply = Reply::outcome(StatusCode::UNAUTHORIZED, "login", &reason);
        let challenge = format!(
            "Bearer realm=\"{}\", error=\"{error}\", error_description=\"{}\"",
            state.public_base,
            reason.replace('"', "'")
        );
        if let Ok(value) = HeaderValue::from_str(&challenge) {
            reply.headers.insert(WWW_AUTHENTICATE, value);
        }
        reply
    };
    let Some(value) = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()) else {
        facts.insert("authorization".into(), json!({ "outcome": "missing" }));
        return Err(Box::new(unauthorized(
            "invalid_request",
            format!(
                "the request has no Authorization header; get an access token from {}/token and send it as a Bearer token",
                state.public_base
            ),
        )));
    };
    let Some(token) = value.strip_prefix("Bearer ").map(str::trim) else {
        facts.insert("authorization".into(), json!({ "outcome": "not-bearer" }));
        return Err(Box::new(unauthorized(
            "invalid_request",
            "the Authorization header is not a Bearer token".into(),
        )));
    };
    let signing = state
        .signing
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let claims = match signing.verify_jwt(token) {
        Ok(claims) => claims,
        Err(reason) => {
            facts.insert(
                "authorization".into(),
                json!({ "outcome": "invalid", "reason": reason }),
            );
            return Err(Box::new(unauthorized(
                "invalid_token",
                format!("the access token was not issued by destination {}: {reason}; request a new one", state.name),
            )));
        }
    };
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let expires = claims.get("exp").and_then(Value::as_i64).unwrap_or(0);
    if expires <= now {
        facts.insert("authorization".into(), json!({ "outcome": "expired" }));
        return Err(Box::new(unauthorized(
            "invalid_token",
            format!(
                "the access token expired {} s ago; request a new one",
                now - expires
            ),
        )));
    }
    if claims.get("aud").and_then(Value::as_str) != Some(state.public_base.as_str()) {
        facts.insert(
            "authorization".into(),
            json!({ "outcome": "wrong-audience" }),
        );
        return Err(Box::new(unauthorized(
            "invalid_token",
            format!("the access token's aud is not {:?}", state.public_base),
        )));
    }
    let client_id = claims
        .get("sub")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let registration = state
        .clients
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .get(&client_id)
        .cloned();
    let Some(registration) = registration else {
        facts.insert(
            "authorization".into(),
            json!({ "outcome": "unregistered", "client_id": client_id }),
        );
        return Err(Box::new(unauthorized(
            "invalid_token",
            format!("client {client_id:?} is no longer registered; register again"),
        )));
    };
    // The trust list may have changed since the token was issued, so the
    // destination decides again on the registered chain.
    let decision = decide_now(state, &Presented::Chain(registration.chain));
    if !decision.trusted {
        let reasons = failed_reasons(&decision);
        facts.insert(
            "authorization".into(),
            json!({ "outcome": "untrusted", "client_id": client_id, "reasons": reasons }),
        );
        record_decision(facts, &decision);
        return Err(Box::new(Reply::outcome(
            StatusCode::FORBIDDEN,
            "forbidden",
            &format!(
                "destination {} no longer trusts client {client_id:?}: {}",
                state.name,
                reasons.join("; ")
            ),
        )));
    }
    facts.insert(
        "authorization".into(),
        json!({ "outcome": "valid", "client_id": client_id }),
    );
    Ok(client_id)
}

fn decide_now(state: &State, presented: &Presented) -> TrustDecision {
    let trust = state
        .trust
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let context = DecisionContext {
        at: OffsetDateTime::now_utc(),
        public_base_url: state.public_base.clone(),
        private_urls: state.private_urls.clone(),
        crls: trust.crls.clone(),
        trust_list_version: trust.version,
    };
    decide(&trust.list, presented, &context)
}

fn record_decision(facts: &mut Map<String, Value>, decision: &TrustDecision) {
    facts.insert(
        "trust_decision".into(),
        serde_json::to_value(decision).unwrap_or(Value::Null),
    );
}

fn failed_reasons(decision: &TrustDecision) -> Vec<String> {
    decision
        .failed()
        .map(|check| format!("{}: {}", check.name.as_str(), check.reason))
        .collect()
}

/// Builds a 400 that lists every failed check of the trust decision, so the
/// originator's operator sees why without access to the destination.
fn rejected(status: StatusCode, error: &str, decision: &TrustDecision) -> Reply {
    let reasons = failed_reasons(decision);
    let failed: Vec<Value> = decision
        .failed()
        .map(|check| json!({ "check": check.name.as_str(), "reason": check.reason }))
        .collect();
    no_store(Reply::json(
        status,
        JSON,
        &json!({
            "error": error,
            "error_description": format!("the destination's trust list does not trust this originator: {}", reasons.join("; ")),
            "failed_checks": failed,
            "trust_list_version": decision.trust_list_version,
        }),
    ))
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Reply {
    no_store(Reply::json(
        status,
        JSON,
        &json!({ "error": error, "error_description": description }),
    ))
}

fn no_store(mut reply: Reply) -> Reply {
    reply
        .headers
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    reply
        .headers
        .insert(PRAGMA, HeaderValue::from_static("no-cache"));
    reply
}

/// Problems with client metadata the simulator needs: the grant and the
/// authentication method it supports.
fn client_metadata_problem(claims: &Map<String, Value>) -> Option<String> {
    let grants: Vec<&str> = claims
        .get("grant_types")
        .and_then(Value::as_array)
        .map(|items| items.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if !grants.contains(&"client_credentials") {
        return Some(format!(
            "grant_types is {grants:?}; this destination supports only [\"client_credentials\"]"
        ));
    }
    match claims
        .get("token_endpoint_auth_method")
        .and_then(Value::as_str)
    {
        Some("private_key_jwt") => None,
        other => Some(format!(
            "token_endpoint_auth_method is {other:?}; it must be \"private_key_jwt\""
        )),
    }
}

fn audience_contains(claims: &Map<String, Value>, expected: &str) -> bool {
    match claims.get("aud") {
        Some(Value::String(aud)) => aud == expected,
        Some(Value::Array(items)) => items.iter().any(|item| item.as_str() == Some(expected)),
        _ => false,
    }
}

/// Decodes the claims of a compact JWS without checking its signature; the
/// trust decision checks that.
pub(crate) fn jwt_claims(jwt: &str) -> Result<Map<String, Value>, String> {
    let segment = jwt.split('.').nth(1).ok_or_else(|| {
        "the JWT has no payload segment; a compact JWS is header.payload.signature".to_string()
    })?;
    let bytes = URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|e| format!("the JWT payload is not base64url: {e}"))?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(claims)) => Ok(claims),
        _ => Err("the JWT payload is not a JSON object".into()),
    }
}

/// Returns the DER certificates of a JWS's `x5c` header, leaf first.
pub(crate) fn x5c_chain(jwt: &str) -> Result<Vec<Vec<u8>>, String> {
    let segment = jwt.split('.').next().unwrap_or_default();
    let bytes = URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|e| format!("the JWT header is not base64url: {e}"))?;
    let header: Value =
        serde_json::from_slice(&bytes).map_err(|e| format!("the JWT header is not JSON: {e}"))?;
    let items = header
        .get("x5c")
        .and_then(Value::as_array)
        .ok_or_else(|| "the JWT header has no x5c array".to_string())?;
    items
        .iter()
        .map(|item| {
            item.as_str()
                .and_then(|text| STANDARD.decode(text).ok())
                .ok_or_else(|| "an x5c entry is not standard base64".to_string())
        })
        .collect()
}

/// Returns 16 random bytes as hex, for `jti` values.
pub(crate) fn random_id() -> String {
    crate::destination::server::new_exchange_id()
}
