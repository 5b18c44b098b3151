//! Component identifiers and their values (RFC 9421 section 2): HTTP fields
//! with the `sf`, `key`, `bs` and `req` parameters, and derived components.

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::query::{percent_encode, query_param_value};
use super::{ControlData, HttpMessage};
use crate::sf::{self, BareItem, FieldValue, Item, Parameters};

/// A component identifier: a lowercase field name or a derived component
/// name (`@...`) with parameters, as it appears in `Signature-Input`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComponentId {
    name: String,
    params: Parameters,
}

/// A component that has no value in the signature base.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ComponentError {
    #[error("component {component} is missing from the message: {reason}")]
    Missing { component: String, reason: String },
    #[error("component {component} cannot be used: {reason}")]
    Invalid { component: String, reason: String },
}

impl ComponentId {
    /// Creates the identifier of an HTTP field, lowercasing the name as
    /// RFC 9421 requires.
    pub fn field(name: &str) -> Self {
        ComponentId {
            name: name.to_ascii_lowercase(),
            params: Parameters::new(),
        }
    }

    /// Creates the identifier of a derived component such as `@status`.
    pub fn derived(name: &str) -> Self {
        ComponentId {
            name: name.to_string(),
            params: Parameters::new(),
        }
    }

    /// `@query-param` for the query parameter `name`, given unencoded; the
    /// identifier carries it percent-encoded as RFC 9421 2.2.8 requires.
    pub fn query_param(name: &str) -> Self {
        Self::derived("@query-param")
            .with_param("name", BareItem::String(percent_encode(name.as_bytes())))
    }

    /// Parses one serialised identifier, such as `"@query-param";name="Pet"`.
    pub fn parse(serialized: &str) -> Result<Self, String> {
        let item = sf::parse_item(serialized).map_err(|e| e.to_string())?;
        Self::from_item(&item)
    }

    pub(crate) fn from_item(item: &Item) -> Result<Self, String> {
        let BareItem::String(name) = &item.bare else {
            return Err(format!(
                "component identifier {} is not a string",
                item.serialize()
            ));
        };
        if name.is_empty() || *name != name.to_ascii_lowercase() {
            return Err(format!(
                "component name \"{name}\" must be non-empty and lowercase"
            ));
        }
        Ok(ComponentId {
            name: name.clone(),
            params: item.params.clone(),
        })
    }

    /// Adds the `sf` flag: the value is re-serialised as a structured field.
    pub fn with_sf(self) -> Self {
        self.with_param("sf", BareItem::Boolean(true))
    }

    /// Adds the `bs` flag: each field line is wrapped as a byte sequence.
    pub fn with_bs(self) -> Self {
        self.with_param("bs", BareItem::Boolean(true))
    }

    /// Adds `key=`: the value of one member of a dictionary field.
    pub fn with_key(self, key: &str) -> Self {
        self.with_param("key", BareItem::String(key.to_string()))
    }

    /// Adds the `req` flag: the component comes from the request that the
    /// response replies to.
    pub fn with_req(self) -> Self {
        self.with_param("req", BareItem::Boolean(true))
    }

    fn with_param(mut self, key: &str, value: BareItem) -> Self {
        self.params.insert(key, value);
        self
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn params(&self) -> &Parameters {
        &self.params
    }

    pub fn is_derived(&self) -> bool {
        self.name.starts_with('@')
    }

    pub(crate) fn to_item(&self) -> Item {
        Item {
            bare: BareItem::String(self.name.clone()),
            params: self.params.clone(),
        }
    }

    /// Returns whether two identifiers name the same component, which
    /// RFC 9421 forbids in one signature. Parameter order does not matter.
    pub(crate) fn same_component(&self, other: &ComponentId) -> bool {
        self.name == other.name
            && self.params.iter().count() == other.params.iter().count()
            && self
                .params
                .iter()
                .all(|(key, value)| other.params.get(key) == Some(value))
    }

    pub(super) fn invalid(&self, reason: impl Into<String>) -> ComponentError {
        ComponentError::Invalid {
            component: self.to_string(),
            reason: reason.into(),
        }
    }

    pub(super) fn missing(&self, reason: impl Into<String>) -> ComponentError {
        ComponentError::Missing {
            component: self.to_string(),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for ComponentId {
    /// Writes the serialised identifier, as it appears in the signature base.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_item().serialize())
    }
}

/// Parameters each kind of component accepts. `tr` (trailers) is not
/// supported because the message view has no trailers.
const FIELD_PARAMS: &[&str] = &["sf", "key", "bs", "req"];
const DERIVED_PARAMS: &[&str] = &["req"];
const QUERY_PARAM_PARAMS: &[&str] = &["name", "req"];

/// Returns the value of `id` in `message`, as it goes into the signature
/// base (RFC 9421 section 2).
pub(crate) fn component_value(
    message: &HttpMessage,
    id: &ComponentId,
) -> Result<String, ComponentError> {
    let allowed = if id.name == "@query-param" {
        QUERY_PARAM_PARAMS
    } else if id.is_derived() {
        DERIVED_PARAMS
    } else {
        FIELD_PARAMS
    };
    for (key, value) in id.params.iter() {
        if !allowed.contains(&key) {
            return Err(id.invalid(format!(
                "parameter `{key}` is not supported on this component"
            )));
        }
        let is_flag = *value == BareItem::Boolean(true);
        if matches!(key, "sf" | "bs" | "req") && !is_flag {
            return Err(id.invalid(format!("parameter `{key}` is a flag and takes no value")));
        }
    }

    let message = if id.params.contains("req") {
        if message.is_request() {
            return Err(id.invalid("`req` applies to responses only"));
        }
        message
            .request
            .as_deref()
            .ok_or_else(|| id.missing("the response has no related request attached"))?
    } else {
        message
    };

    if id.is_derived() {
        derived_value(message, id)
    } else {
        field_value(message, id)
    }
}

fn derived_value(message: &HttpMessage, id: &ComponentId) -> Result<String, ComponentError> {
    if id.name == "@status" {
        return match message.control {
            ControlData::Response { status } if (100..=999).contains(&status) => {
                Ok(status.to_string())
            }
            ControlData::Response { status } => {
                Err(id.invalid(format!("status {status} is not a three-digit code")))
            }
            ControlData::Request(_) => Err(id.invalid("@status applies to responses only")),
        };
    }

    let request = match &message.control {
        ControlData::Request(request) => request,
        ControlData::Response { .. } => {
            return Err(match id.name.as_str() {
                "@method" | "@target-uri" | "@authority" | "@scheme" | "@request-target"
                | "@path" | "@query" | "@query-param" => id.invalid(format!(
                    "{} is a request component; on a response it needs the `req` parameter",
                    id.name
                )),
                _ => unknown_derived(id),
            })
        }
    };

    match id.name.as_str() {
        "@method" => Ok(request.method.clone()),
        "@target-uri" => Ok(request.target_uri.clone()),
        "@authority" => Ok(request.authority.clone()),
        "@scheme" => Ok(request.scheme.clone()),
        "@request-target" => Ok(request.request_target.clone()),
        "@path" => Ok(request.path.clone()),
        "@query" => Ok(format!("?{}", request.query.as_deref().unwrap_or(""))),
        "@query-param" => query_param_value(request, id),
        _ => Err(unknown_derived(id)),
    }
}

fn unknown_derived(id: &ComponentId) -> ComponentError {
    if id.name == "@signature-params" {
        id.invalid("@signature-params is added to the base automatically and cannot be listed")
    } else {
        id.invalid("unknown derived component")
    }
}

fn field_value(message: &HttpMessage, id: &ComponentId) -> Result<String, ComponentError> {
    let lines: Vec<String> = message
        .fields
        .iter()
        .filter(|(name, _)| *name == id.name)
        .map(|(_, value)| normalize_line(value))
        .collect();
    if lines.is_empty() {
        return Err(id.missing(format!("the message has no {} header", id.name)));
    }

    let bs = id.params.contains("bs");
    let sf = id.params.contains("sf");
    let key = id.params.get("key");
    if bs && (sf || key.is_some()) {
        return Err(id.invalid("`bs` cannot be combined with `sf` or `key`"));
    }
    if bs {
        let wrapped: Vec<String> = lines
            .iter()
            .map(|line| format!(":{}:", STANDARD.encode(line)))
            .collect();
        return Ok(wrapped.join(", "));
    }

    let combined = lines.join(", ");
    if let Some(key) = key {
        let BareItem::String(key) = key else {
            return Err(id.invalid("`key` must be a string"));
        };
        let dictionary = sf::parse_dictionary(&combined)
            .map_err(|e| id.invalid(format!("the {} header is not a dictionary: {e}", id.name)))?;
        let member = dictionary
            .get(key)
            .ok_or_else(|| id.missing(format!("the {} dictionary has no member {key}", id.name)))?;
        // The member alone, without its key, so a bare `d` becomes `?1`.
        return Ok(member.serialize());
    }
    if sf {
        let field_type = message.structured_fields.get(&id.name).copied().ok_or_else(|| {
            id.invalid(format!(
                "the structured type of {} is unknown; declare it with HttpMessage::with_structured_field",
                id.name
            ))
        })?;
        let value: FieldValue = sf::parse(&combined, field_type).map_err(|e| {
            id.invalid(format!(
                "the {} header is not a valid {field_type:?}: {e}",
                id.name
            ))
        })?;
        return Ok(value.serialize());
    }
    Ok(combined)
}

/// Trims leading and trailing whitespace and replaces obsolete line
/// folding (a line break followed by spaces or tabs) with one space.
fn normalize_line(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.trim_matches([' ', '\t']).chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' || c == '\n' {
            while matches!(chars.peek(), Some('\r' | '\n' | ' ' | '\t')) {
                chars.next();
            }
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    out.trim_matches([' ', '\t']).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(message: &HttpMessage, id: &str) -> Result<String, ComponentError> {
        component_value(message, &ComponentId::parse(id).unwrap())
    }

    /// Builds the example message of RFC 9421 section 2.1.
    fn fields_example() -> HttpMessage {
        HttpMessage::request("GET", "https://www.example.com/")
            .unwrap()
            .with_header("Host", "www.example.com")
            .with_header("Date", "Tue, 20 Apr 2021 02:07:56 GMT")
            .with_header("X-OWS-Header", "   Leading and trailing whitespace.   ")
            .with_header("X-Obs-Fold-Header", "Obsolete\r\n    line folding.")
            .with_header("Cache-Control", "max-age=60")
            .with_header("Cache-Control", "   must-revalidate")
            .with_header("Example-Dict", " a=1,    b=2;x=1;y=2,   c=(a   b   c)")
            .with_header("X-Empty-Header", "")
            .with_structured_field("example-dict", sf::FieldType::Dictionary)
    }

    #[test]
    fn fields_are_trimmed_and_combined() {
        let message = fields_example();
        assert_eq!(value(&message, "\"host\"").unwrap(), "www.example.com");
        assert_eq!(
            value(&message, "\"x-ows-header\"").unwrap(),
            "Leading and trailing whitespace."
        );
        assert_eq!(
            value(&message, "\"x-obs-fold-header\"").unwrap(),
            "Obsolete line folding."
        );
        assert_eq!(
            value(&message, "\"cache-control\"").unwrap(),
            "max-age=60, must-revalidate"
        );
        assert_eq!(
            value(&message, "\"example-dict\"").unwrap(),
            "a=1,    b=2;x=1;y=2,   c=(a   b   c)"
        );
        assert_eq!(value(&message, "\"x-empty-header\"").unwrap(), "");
    }

    #[test]
    fn sf_reserialises_dictionary() {
        let message = fields_example();
        assert_eq!(
            value(&message, "\"example-dict\";sf").unwrap(),
            "a=1, b=2;x=1;y=2, c=(a b c)"
        );
    }

    #[test]
    fn sf_needs_declared_type() {
        let message = fields_example();
        let error = value(&message, "\"cache-control\";sf").unwrap_err();
        assert!(
            error.to_string().contains("with_structured_field"),
            "{error}"
        );
    }

    #[test]
    fn key_selects_dictionary_member() {
        // RFC 9421 section 2.1.2.
        let message = HttpMessage::response(200)
            .with_header("Example-Dict", " a=1, b=2;x=1;y=2, c=(a b c), d");
        assert_eq!(value(&message, "\"example-dict\";key=\"a\"").unwrap(), "1");
        assert_eq!(value(&message, "\"example-dict\";key=\"d\"").unwrap(), "?1");
        assert_eq!(
            value(&message, "\"example-dict\";key=\"b\"").unwrap(),
            "2;x=1;y=2"
        );
        assert_eq!(
            value(&message, "\"example-dict\";key=\"c\"").unwrap(),
            "(a b c)"
        );
        let error = value(&message, "\"example-dict\";key=\"z\"").unwrap_err();
        assert!(matches!(error, ComponentError::Missing { .. }), "{error}");
    }

    #[test]
    fn bs_wraps_each_line() {
        // RFC 9421 section 2.1.3.
        let message = HttpMessage::response(200)
            .with_header("Example-Header", "value, with, lots")
            .with_header("Example-Header", "of, commas");
        assert_eq!(
            value(&message, "\"example-header\"").unwrap(),
            "value, with, lots, of, commas"
        );
        assert_eq!(
            value(&message, "\"example-header\";bs").unwrap(),
            ":dmFsdWUsIHdpdGgsIGxvdHM=:, :b2YsIGNvbW1hcw==:"
        );
    }

    #[test]
    fn derived_request_components() {
        // RFC 9421 section 2.2.
        let message =
            HttpMessage::request("POST", "https://www.example.com/path?param=value").unwrap();
        assert_eq!(value(&message, "\"@method\"").unwrap(), "POST");
        assert_eq!(
            value(&message, "\"@target-uri\"").unwrap(),
            "https://www.example.com/path?param=value"
        );
        assert_eq!(
            value(&message, "\"@authority\"").unwrap(),
            "www.example.com"
        );
        assert_eq!(value(&message, "\"@scheme\"").unwrap(), "https");
        assert_eq!(
            value(&message, "\"@request-target\"").unwrap(),
            "/path?param=value"
        );
        assert_eq!(value(&message, "\"@path\"").unwrap(), "/path");
        assert_eq!(value(&message, "\"@query\"").unwrap(), "?param=value");
    }

    #[test]
    fn query_without_query_string() {
        let message = HttpMessage::request("GET", "https://www.example.com/path").unwrap();
        assert_eq!(value(&message, "\"@query\"").unwrap(), "?");
        let message = HttpMessage::request("GET", "https://www.example.com/path?").unwrap();
        assert_eq!(value(&message, "\"@query\"").unwrap(), "?");
    }

    #[test]
    fn query_params_are_reencoded() {
        // RFC 9421 section 2.2.8.
        let message = HttpMessage::request(
            "GET",
            "https://www.example.com/parameters?var=this%20is%20a%20big%0Amultiline%20value&bar=with+plus+whitespace&fa%C3%A7ade%22%3A%20=something",
        )
        .unwrap();
        assert_eq!(
            value(&message, "\"@query-param\";name=\"var\"").unwrap(),
            "this%20is%20a%20big%0Amultiline%20value"
        );
        assert_eq!(
            value(&message, "\"@query-param\";name=\"bar\"").unwrap(),
            "with%20plus%20whitespace"
        );
        assert_eq!(
            value(&message, "\"@query-param\";name=\"fa%C3%A7ade%22%3A%20\"").unwrap(),
            "something"
        );
        assert_eq!(
            ComponentId::query_param("façade\": ").to_string(),
            "\"@query-param\";name=\"fa%C3%A7ade%22%3A%20\""
        );
    }

    #[test]
    fn query_param_missing_empty_and_repeated() {
        let message = HttpMessage::request(
            "GET",
            "https://www.example.com/path?param=value&foo=bar&baz=batman&qux=&foo=2",
        )
        .unwrap();
        assert_eq!(
            value(&message, "\"@query-param\";name=\"baz\"").unwrap(),
            "batman"
        );
        assert_eq!(
            value(&message, "\"@query-param\";name=\"qux\"").unwrap(),
            ""
        );
        let missing = value(&message, "\"@query-param\";name=\"nope\"").unwrap_err();
        assert!(
            matches!(missing, ComponentError::Missing { .. }),
            "{missing}"
        );
        let repeated = value(&message, "\"@query-param\";name=\"foo\"").unwrap_err();
        assert!(
            repeated.to_string().contains("occurs 2 times"),
            "{repeated}"
        );
    }

    #[test]
    fn status_and_request_components_on_response() {
        let request = HttpMessage::request("GET", "https://example.com/Patient/1").unwrap();
        let response = HttpMessage::response(200).with_request(request);
        assert_eq!(value(&response, "\"@status\"").unwrap(), "200");
        assert_eq!(value(&response, "\"@path\";req").unwrap(), "/Patient/1");
        let error = value(&response, "\"@path\"").unwrap_err();
        assert!(
            error.to_string().contains("needs the `req` parameter"),
            "{error}"
        );
        let on_request = value(
            &HttpMessage::request("GET", "https://example.com/").unwrap(),
            "\"@status\"",
        )
        .unwrap_err();
        assert!(
            on_request.to_string().contains("responses only"),
            "{on_request}"
        );
    }

    #[test]
    fn missing_field_and_unknown_parameter() {
        let message = HttpMessage::response(200);
        let missing = value(&message, "\"content-digest\"").unwrap_err();
        assert_eq!(
            missing,
            ComponentError::Missing {
                component: "\"content-digest\"".into(),
                reason: "the message has no content-digest header".into()
            }
        );
        let unknown = value(&message.with_header("a", "b"), "\"a\";tr").unwrap_err();
        assert!(unknown.to_string().contains("parameter `tr`"), "{unknown}");
    }
}
