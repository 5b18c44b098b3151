//! HTTP Message Signatures (RFC 9421): a view of an HTTP message, the
//! signature base built from it, and signing and verifying with
//! `Signature-Input` and `Signature` fields.

mod components;
mod params;
mod query;
mod signature;

pub use components::{ComponentError, ComponentId};
pub use params::{
    parse_signature_header, parse_signature_input_header, signature_member, HeaderError,
    SignatureParams,
};
pub use signature::{
    sign, signature_base, verify, SignError, SignatureMembers, VerifiedSignature, VerifyError,
};

use std::collections::BTreeMap;

use crate::sf::FieldType;

/// A failure to build a message view.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    #[error("target URI `{uri}` is invalid: {reason}")]
    InvalidTargetUri { uri: String, reason: String },
    #[error(
        "target URI `{uri}` is not absolute; give the scheme and authority (https://host/path)"
    )]
    RelativeTargetUri { uri: String },
    #[error("header {name} has a value that is not visible ASCII or UTF-8; the signature base cannot contain it")]
    InvalidHeaderValue { name: String },
    #[error("request `{uri}` has no authority in its URI and no Host header")]
    MissingAuthority { uri: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct RequestTarget {
    method: String,
    /// Lowercase scheme.
    scheme: String,
    /// Host and port, normalised: lowercase host, default port removed.
    authority: String,
    target_uri: String,
    path: String,
    query: Option<String>,
    request_target: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum ControlData {
    Request(RequestTarget),
    Response { status: u16 },
}

/// The parts of an HTTP request or response that a signature can cover:
/// control data (method and target URI, or status) and header fields.
/// The body is not part of it: it is covered through `Content-Digest`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpMessage {
    control: ControlData,
    /// Field lines in order, with lowercase names and values as received.
    fields: Vec<(String, String)>,
    /// The request that this response replies to, for components with `;req`.
    request: Option<Box<HttpMessage>>,
    /// Top-level types of structured fields, for components with `;sf`.
    structured_fields: BTreeMap<String, FieldType>,
}

/// Structured fields whose type is known without a declaration.
const KNOWN_STRUCTURED_FIELDS: &[(&str, FieldType)] = &[
    ("accept-signature", FieldType::Dictionary),
    ("cache-status", FieldType::List),
    ("content-digest", FieldType::Dictionary),
    ("priority", FieldType::Dictionary),
    ("proxy-status", FieldType::List),
    ("repr-digest", FieldType::Dictionary),
    ("signature", FieldType::Dictionary),
    ("signature-input", FieldType::Dictionary),
    ("want-content-digest", FieldType::Dictionary),
    ("want-repr-digest", FieldType::Dictionary),
];

impl HttpMessage {
    /// Creates a request for `method` on the absolute `target_uri`
    /// (`https://host[:port]/path[?query]`). The request target of the
    /// request line is the URI's path and query (origin form).
    pub fn request(method: &str, target_uri: &str) -> Result<Self, MessageError> {
        let uri: http::Uri = target_uri.parse().map_err(|e: http::uri::InvalidUri| {
            MessageError::InvalidTargetUri {
                uri: target_uri.to_string(),
                reason: e.to_string(),
            }
        })?;
        let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
            return Err(MessageError::RelativeTargetUri {
                uri: target_uri.to_string(),
            });
        };
        let scheme = scheme.to_ascii_lowercase();
        let authority = normalize_authority(&scheme, authority.as_str());
        let path = if uri.path().is_empty() {
            "/"
        } else {
            uri.path()
        }
        .to_string();
        let query = uri.query().map(str::to_string);
        let request_target = match &query {
            Some(query) => format!("{path}?{query}"),
            None => path.clone(),
        };
        Ok(Self::new(ControlData::Request(RequestTarget {
            method: method.to_string(),
            scheme,
            authority,
            target_uri: target_uri.to_string(),
            path,
            query,
            request_target,
        })))
    }

    /// Creates a response with `status` (a three-digit code).
    pub fn response(status: u16) -> Self {
        Self::new(ControlData::Response { status })
    }

    fn new(control: ControlData) -> Self {
        HttpMessage {
            control,
            fields: Vec::new(),
            request: None,
            structured_fields: KNOWN_STRUCTURED_FIELDS
                .iter()
                .map(|(name, field_type)| (name.to_string(), *field_type))
                .collect(),
        }
    }

    /// Builds the view of a request from `http` parts. A URI in origin form
    /// (`/path`, as servers receive it) takes its authority from the Host
    /// header and its scheme from `scheme`, which the receiver takes from
    /// its listener (`"https"` behind TLS).
    pub fn from_request_parts(
        parts: &http::request::Parts,
        scheme: &str,
    ) -> Result<Self, MessageError> {
        let target_uri = if parts.uri.scheme().is_some() && parts.uri.authority().is_some() {
            parts.uri.to_string()
        } else {
            let host = match parts.uri.authority() {
                Some(authority) => authority.as_str().to_string(),
                None => parts
                    .headers
                    .get(http::header::HOST)
                    .and_then(|value| value.to_str().ok())
                    .ok_or_else(|| MessageError::MissingAuthority {
                        uri: parts.uri.to_string(),
                    })?
                    .to_string(),
            };
            let path_and_query = parts
                .uri
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or("/");
            format!("{scheme}://{host}{path_and_query}")
        };
        let mut message = Self::request(parts.method.as_str(), &target_uri)?;
        message.append_header_map(&parts.headers)?;
        Ok(message)
    }

    /// Builds the view of a response from `http` parts.
    pub fn from_response_parts(parts: &http::response::Parts) -> Result<Self, MessageError> {
        let mut message = Self::response(parts.status.as_u16());
        message.append_header_map(&parts.headers)?;
        Ok(message)
    }

    fn append_header_map(&mut self, headers: &http::HeaderMap) -> Result<(), MessageError> {
        for (name, value) in headers {
            let value = std::str::from_utf8(value.as_bytes()).map_err(|_| {
                MessageError::InvalidHeaderValue {
                    name: name.as_str().to_string(),
                }
            })?;
            self.append_header(name.as_str(), value);
        }
        Ok(())
    }

    /// Adds a field line. Names are compared case-insensitively; repeated
    /// names keep their order, which matters when values are combined.
    pub fn append_header(&mut self, name: &str, value: &str) {
        self.fields
            .push((name.to_ascii_lowercase(), value.to_string()));
    }

    /// Builder form of [`HttpMessage::append_header`].
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.append_header(name, value);
        self
    }

    /// Removes every field line named `name`.
    pub fn remove_header(&mut self, name: &str) {
        let name = name.to_ascii_lowercase();
        self.fields.retain(|(field, _)| *field != name);
    }

    /// Values of the field lines named `name`, in order.
    pub fn header_values(&self, name: &str) -> Vec<&str> {
        let name = name.to_ascii_lowercase();
        self.fields
            .iter()
            .filter(|(field, _)| *field == name)
            .map(|(_, value)| value.as_str())
            .collect()
    }

    /// Returns all field lines in order, with lowercase names.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
    }

    /// Attaches the request that this response replies to, so that
    /// components with the `req` parameter resolve against it.
    pub fn with_request(mut self, request: HttpMessage) -> Self {
        self.request = Some(Box::new(request));
        self
    }

    /// Declares the structured field type of `name`, which `;sf` needs to
    /// re-serialise its value. Common signature and digest fields are known.
    pub fn with_structured_field(mut self, name: &str, field_type: FieldType) -> Self {
        self.structured_fields
            .insert(name.to_ascii_lowercase(), field_type);
        self
    }

    pub fn is_request(&self) -> bool {
        matches!(self.control, ControlData::Request(_))
    }

    /// Returns the status code of a response, or `None` for a request.
    pub fn status(&self) -> Option<u16> {
        match self.control {
            ControlData::Response { status } => Some(status),
            ControlData::Request(_) => None,
        }
    }

    /// Changes the status of a response; a request is left unchanged.
    pub fn set_status(&mut self, status: u16) {
        if let ControlData::Response { status: current } = &mut self.control {
            *current = status;
        }
    }
}

/// Lowercases the host and drops the scheme's default port, as HTTP
/// (RFC 9110 4.2.3) normalises the authority and RFC 9421 2.2.3 requires.
fn normalize_authority(scheme: &str, authority: &str) -> String {
    let authority = authority
        .rsplit('@')
        .next()
        .unwrap_or(authority)
        .to_ascii_lowercase();
    let default_port = match scheme {
        "http" => Some(":80"),
        "https" => Some(":443"),
        _ => None,
    };
    match default_port {
        Some(port) if authority.ends_with(port) => {
            authority[..authority.len() - port.len()].to_string()
        }
        _ => authority,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authority_is_normalised() {
        assert_eq!(
            normalize_authority("https", "Example.COM:443"),
            "example.com"
        );
        assert_eq!(normalize_authority("http", "example.com:80"), "example.com");
        assert_eq!(
            normalize_authority("https", "example.com:8443"),
            "example.com:8443"
        );
        assert_eq!(normalize_authority("https", "[::1]:443"), "[::1]");
    }

    #[test]
    fn request_from_origin_form_parts() {
        let request = http::Request::builder()
            .method("POST")
            .uri("/foo?param=Value")
            .header("Host", "example.com")
            .header("Content-Type", "application/json")
            .body(())
            .unwrap();
        let (parts, _) = request.into_parts();
        let message = HttpMessage::from_request_parts(&parts, "https").unwrap();
        let ControlData::Request(target) = &message.control else {
            panic!("not a request")
        };
        assert_eq!(target.target_uri, "https://example.com/foo?param=Value");
        assert_eq!(target.authority, "example.com");
        assert_eq!(
            message.header_values("content-type"),
            vec!["application/json"]
        );
    }

    #[test]
    fn relative_uri_is_rejected() {
        let error = HttpMessage::request("GET", "/foo").unwrap_err();
        assert!(
            matches!(error, MessageError::RelativeTargetUri { .. }),
            "{error}"
        );
    }
}
