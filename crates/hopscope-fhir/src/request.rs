//! Requests and responses as the transport wrapper hands them over, and the
//! header and query conventions shared by every endpoint: `Prefer`, format
//! negotiation and query-string encoding.

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, ACCEPT, CONTENT_TYPE};
use http::{HeaderMap, Method, StatusCode};
use percent_encoding::{AsciiSet, CONTROLS};
use serde_json::Value;

use crate::outcome::FhirError;

/// Media type of every FHIR JSON body that the server writes.
pub const FHIR_JSON: &str = "application/fhir+json; charset=utf-8";

/// Media type of bulk export files: one JSON resource per line.
pub const FHIR_NDJSON: &str = "application/fhir+ndjson";

/// One HTTP request, with `path` relative to the FHIR base.
#[derive(Debug, Clone)]
pub struct FhirRequest {
    pub method: Method,
    /// Path below the base path, such as `/Patient/123`, `/metadata` or `""`
    /// for the base itself. Segments may be percent-encoded.
    pub path: String,
    /// Raw query string without the leading `?`.
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl FhirRequest {
    /// Builds a request from a path relative to the base, optionally followed
    /// by `?` and a query string.
    pub fn new(method: Method, path_and_query: &str) -> Self {
        let (path, query) = match path_and_query.split_once('?') {
            Some((path, query)) => (path.to_string(), Some(query.to_string())),
            None => (path_and_query.to_string(), None),
        };
        Self {
            method,
            path,
            query,
            headers: HeaderMap::new(),
            body: Bytes::new(),
        }
    }

    pub fn get(path_and_query: &str) -> Self {
        Self::new(Method::GET, path_and_query)
    }

    pub fn delete(path_and_query: &str) -> Self {
        Self::new(Method::DELETE, path_and_query)
    }

    /// Builds a POST with a FHIR JSON body.
    pub fn post_json(path_and_query: &str, body: &Value) -> Self {
        Self::new(Method::POST, path_and_query).with_json_body(body)
    }

    /// Builds a PUT with a FHIR JSON body.
    pub fn put_json(path_and_query: &str, body: &Value) -> Self {
        Self::new(Method::PUT, path_and_query).with_json_body(body)
    }

    /// Builds a `POST <Type>/_search` with a form-encoded body.
    pub fn post_form(path_and_query: &str, form: &str) -> Self {
        let mut request = Self::new(Method::POST, path_and_query);
        request.headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        request.body = Bytes::copy_from_slice(form.as_bytes());
        request
    }

    fn with_json_body(mut self, body: &Value) -> Self {
        self.headers
            .insert(CONTENT_TYPE, HeaderValue::from_static(FHIR_JSON));
        self.body = Bytes::from(body.to_string());
        self
    }

    /// Adds a header value, keeping earlier values of the same name.
    ///
    /// # Panics
    /// Panics if `name` is not a valid lowercase header name or `value`
    /// contains bytes that HTTP headers do not allow, because this builder is
    /// meant for tests and simulators with fixed headers.
    pub fn with_header(mut self, name: &'static str, value: &str) -> Self {
        let value = HeaderValue::from_str(value)
            .unwrap_or_else(|e| panic!("invalid value {value:?} for header {name}: {e}"));
        self.headers.append(HeaderName::from_static(name), value);
        self
    }
}

/// One HTTP response. The wrapper sends it as it is, after adding its own
/// transport headers and signatures.
#[derive(Debug, Clone)]
pub struct FhirResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl FhirResponse {
    /// Builds a response with a FHIR JSON body, pretty-printed when `pretty`.
    pub(crate) fn json(status: StatusCode, body: &Value, pretty: bool) -> Self {
        let bytes = if pretty {
            serde_json::to_vec_pretty(body)
        } else {
            serde_json::to_vec(body)
        }
        .expect("serializing a serde_json::Value cannot fail");
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(FHIR_JSON));
        Self {
            status,
            headers,
            body: Bytes::from(bytes),
        }
    }

    pub(crate) fn empty(status: StatusCode) -> Self {
        Self {
            status,
            headers: HeaderMap::new(),
            body: Bytes::new(),
        }
    }

    pub(crate) fn error(error: &FhirError, pretty: bool) -> Self {
        let mut response = Self::json(error.status(), &error.to_outcome(), pretty);
        if let FhirError::MethodNotAllowed { allow, .. } = error {
            response
                .headers
                .insert(http::header::ALLOW, HeaderValue::from_static(allow));
        }
        response
    }

    /// Sets a header whose value the server built itself.
    pub(crate) fn set_header(&mut self, name: HeaderName, value: &str) {
        let value = HeaderValue::from_str(value)
            .unwrap_or_else(|e| panic!("server built an invalid {name} header {value:?}: {e}"));
        self.headers.insert(name, value);
    }

    /// Parses the body as JSON, or returns `None` for an empty or non-JSON body.
    pub fn json_body(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// Returns a header as text, or `None` when absent or not visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// The `return` preference of RFC 7240 as FHIR defines it for create and update.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum ReturnPreference {
    Minimal,
    #[default]
    Representation,
    OperationOutcome,
}

/// Preferences from all `Prefer` headers of a request.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Prefer {
    pub respond_async: bool,
    /// `handling=strict`: reject unknown search parameters instead of ignoring them.
    pub strict: bool,
    pub return_preference: ReturnPreference,
}

impl Prefer {
    /// Parses every `Prefer` header. RFC 7240 separates preferences with commas,
    /// but some clients use semicolons, so both separate here. Unknown
    /// preferences are ignored, as RFC 7240 requires.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let mut prefer = Prefer::default();
        for value in headers.get_all("prefer") {
            let Ok(text) = value.to_str() else { continue };
            for token in text.split([',', ';']) {
                let token = token.trim().to_ascii_lowercase();
                let (name, value) = match token.split_once('=') {
                    Some((name, value)) => (
                        name.trim().to_string(),
                        value.trim().trim_matches('"').to_string(),
                    ),
                    None => (token.clone(), String::new()),
                };
                match (name.as_str(), value.as_str()) {
                    ("respond-async", _) => prefer.respond_async = true,
                    ("handling", "strict") => prefer.strict = true,
                    ("handling", "lenient") => prefer.strict = false,
                    ("return", "minimal") => prefer.return_preference = ReturnPreference::Minimal,
                    ("return", "representation") => {
                        prefer.return_preference = ReturnPreference::Representation
                    }
                    ("return", "operationoutcome") => {
                        prefer.return_preference = ReturnPreference::OperationOutcome
                    }
                    _ => {}
                }
            }
        }
        prefer
    }
}

/// Returns whether a `_format` value or media type names FHIR JSON.
fn is_json_format(format: &str) -> bool {
    // `+` in a query string decodes to a space, so `application/fhir+json`
    // arrives as `application/fhir json` unless the client encoded it as %2B.
    let media = format
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
        .replace(' ', "+");
    matches!(
        media.as_str(),
        "json"
            | "application/json"
            | "application/fhir+json"
            | "application/json+fhir"
            | "text/json"
    )
}

/// Rejects with 406 a request that accepts no JSON, either by `_format` or by
/// `Accept`. `_format` overrides `Accept`, as the FHIR HTTP page specifies.
pub(crate) fn check_json_accepted(
    headers: &HeaderMap,
    format: Option<&str>,
) -> Result<(), FhirError> {
    if let Some(format) = format {
        if is_json_format(format) {
            return Ok(());
        }
        return Err(FhirError::NotAcceptable(format!(
            "_format={format} is not supported: this server writes FHIR JSON only; use _format=json or omit _format"
        )));
    }
    let mut ranges = Vec::new();
    for value in headers.get_all(ACCEPT) {
        let Ok(text) = value.to_str() else { continue };
        ranges.extend(
            text.split(',')
                .map(|range| {
                    range
                        .split(';')
                        .next()
                        .unwrap_or("")
                        .trim()
                        .to_ascii_lowercase()
                })
                .filter(|range| !range.is_empty()),
        );
    }
    let accepted = ranges.is_empty()
        || ranges
            .iter()
            .any(|range| range == "*/*" || range == "application/*" || is_json_format(range));
    if accepted {
        Ok(())
    } else {
        Err(FhirError::NotAcceptable(format!(
            "Accept: {} lists no format that this server writes; it writes FHIR JSON only, so accept application/fhir+json",
            ranges.join(", ")
        )))
    }
}

/// Rejects with 415 a request body that is declared as something other than JSON.
pub(crate) fn check_json_body(headers: &HeaderMap) -> Result<(), FhirError> {
    let Some(value) = headers.get(CONTENT_TYPE) else {
        return Ok(());
    };
    let text = value.to_str().unwrap_or("");
    if is_json_format(text) {
        Ok(())
    } else {
        Err(FhirError::UnsupportedMediaType(format!(
            "Content-Type {text:?} is not supported: send the resource as application/fhir+json"
        )))
    }
}

/// Splits a query string or form body into decoded name-value pairs, in order.
pub(crate) fn parse_form(text: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(text.as_bytes())
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .filter(|(name, _)| !name.is_empty())
        .collect()
}

/// Characters that a query component must not contain literally. `:`, `/` and
/// `,` stay readable in links. `+` is encoded because it decodes to a space.
const QUERY_COMPONENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'&')
    .add(b'+')
    .add(b'<')
    .add(b'=')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b']')
    .add(b'\\')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// Encodes name-value pairs as a query string that `parse_form` reads back.
pub(crate) fn encode_query<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    pairs
        .into_iter()
        .map(|(name, value)| {
            format!(
                "{}={}",
                percent_encoding::utf8_percent_encode(name, QUERY_COMPONENT),
                percent_encoding::utf8_percent_encode(value, QUERY_COMPONENT)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        map
    }

    #[test]
    fn request_new_splits_query() {
        let request = FhirRequest::get("/Patient?family=Smith&_count=2");
        assert_eq!(request.path, "/Patient");
        assert_eq!(request.query.as_deref(), Some("family=Smith&_count=2"));
        assert_eq!(FhirRequest::get("/metadata").query, None);
    }

    #[test]
    fn prefer_reads_all_headers() {
        let prefer = Prefer::from_headers(&headers(&[
            ("prefer", "respond-async"),
            ("prefer", "handling=strict, return=minimal"),
        ]));
        assert!(prefer.respond_async);
        assert!(prefer.strict);
        assert_eq!(prefer.return_preference, ReturnPreference::Minimal);
    }

    #[test]
    fn prefer_accepts_semicolons() {
        let prefer =
            Prefer::from_headers(&headers(&[("prefer", "respond-async; handling=strict")]));
        assert!(prefer.respond_async);
        assert!(prefer.strict);
    }

    #[test]
    fn prefer_defaults() {
        let prefer = Prefer::from_headers(&HeaderMap::new());
        assert!(!prefer.respond_async);
        assert!(!prefer.strict);
        assert_eq!(prefer.return_preference, ReturnPreference::Representation);
        let outcome = Prefer::from_headers(&headers(&[("prefer", "return=OperationOutcome")]));
        assert_eq!(
            outcome.return_preference,
            ReturnPreference::OperationOutcome
        );
    }

    #[test]
    fn format_parameter_overrides_accept() {
        let xml_only = headers(&[("accept", "application/fhir+xml")]);
        assert!(check_json_accepted(&xml_only, Some("json")).is_ok());
        assert!(check_json_accepted(&xml_only, Some("application/fhir json")).is_ok());
        assert!(check_json_accepted(&HeaderMap::new(), Some("xml")).is_err());
        assert!(check_json_accepted(&xml_only, None).is_err());
    }

    #[test]
    fn accept_with_any_json_or_wildcard() {
        for accept in [
            "application/fhir+json",
            "application/json;q=0.9",
            "application/fhir+xml, */*;q=0.1",
            "application/*",
        ] {
            let map = headers(&[("accept", accept)]);
            assert!(check_json_accepted(&map, None).is_ok(), "{accept}");
        }
        let rejected =
            check_json_accepted(&headers(&[("accept", "application/xml, text/html")]), None);
        assert!(matches!(rejected, Err(FhirError::NotAcceptable(_))));
    }

    #[test]
    fn json_body_content_type() {
        assert!(check_json_body(&HeaderMap::new()).is_ok());
        assert!(check_json_body(&headers(&[(
            "content-type",
            "application/fhir+json; charset=utf-8"
        )]))
        .is_ok());
        assert!(check_json_body(&headers(&[("content-type", "application/fhir+xml")])).is_err());
    }

    #[test]
    fn query_round_trip() {
        let encoded = encode_query([
            ("birthdate", "ge1980-01-01T00:00:00+02:00"),
            ("identifier", "urn:x|a&b"),
        ]);
        assert_eq!(
            encoded,
            "birthdate=ge1980-01-01T00:00:00%2B02:00&identifier=urn:x%7Ca%26b"
        );
        let decoded = parse_form(&encoded);
        assert_eq!(decoded[0].1, "ge1980-01-01T00:00:00+02:00");
        assert_eq!(decoded[1].1, "urn:x|a&b");
    }
}
