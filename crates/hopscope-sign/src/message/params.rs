//! Signature parameters and the `Signature-Input` and `Signature` fields
//! (RFC 9421 sections 2.3, 4.1 and 4.2).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::components::ComponentId;
use crate::keys::Algorithm;
use crate::sf::{self, BareItem, InnerList, Member, Parameters};

/// The covered components, in signing order, and the signature parameters
/// (`created`, `expires`, `nonce`, `alg`, `keyid`, `tag` and any other), in
/// the order they were set or parsed. That order is part of the signed
/// `@signature-params` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureParams {
    components: Vec<ComponentId>,
    params: Parameters,
}

/// A `Signature-Input` or `Signature` field that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    #[error("{header} is not a valid structured field dictionary: {reason}")]
    Syntax {
        header: &'static str,
        reason: String,
    },
    #[error("{header} member {label} is invalid: {reason}")]
    Member {
        header: &'static str,
        label: String,
        reason: String,
    },
}

pub(crate) const SIGNATURE_INPUT: &str = "Signature-Input";
pub(crate) const SIGNATURE: &str = "Signature";

impl SignatureParams {
    pub fn new(components: impl IntoIterator<Item = ComponentId>) -> Self {
        SignatureParams {
            components: components.into_iter().collect(),
            params: Parameters::new(),
        }
    }

    /// Sets `created`, the signing time in seconds since the Unix epoch.
    pub fn with_created(self, unix_seconds: i64) -> Self {
        self.with("created", BareItem::Integer(unix_seconds))
    }

    /// Sets `expires`, in seconds since the Unix epoch.
    pub fn with_expires(self, unix_seconds: i64) -> Self {
        self.with("expires", BareItem::Integer(unix_seconds))
    }

    pub fn with_nonce(self, nonce: &str) -> Self {
        self.with("nonce", BareItem::String(nonce.to_string()))
    }

    pub fn with_alg(self, algorithm: Algorithm) -> Self {
        self.with("alg", BareItem::String(algorithm.name().to_string()))
    }

    pub fn with_keyid(self, keyid: &str) -> Self {
        self.with("keyid", BareItem::String(keyid.to_string()))
    }

    /// Sets `tag`, the application that the signature is meant for.
    pub fn with_tag(self, tag: &str) -> Self {
        self.with("tag", BareItem::String(tag.to_string()))
    }

    fn with(mut self, key: &str, value: BareItem) -> Self {
        self.params.insert(key, value);
        self
    }

    pub fn components(&self) -> &[ComponentId] {
        &self.components
    }

    /// Returns all parameters in order, including unregistered ones.
    pub fn parameters(&self) -> &Parameters {
        &self.params
    }

    pub fn created(&self) -> Option<i64> {
        self.params.get("created").and_then(BareItem::as_integer)
    }

    pub fn expires(&self) -> Option<i64> {
        self.params.get("expires").and_then(BareItem::as_integer)
    }

    pub fn nonce(&self) -> Option<&str> {
        self.params.get("nonce").and_then(BareItem::as_string)
    }

    /// Returns the `alg` parameter as written, which may name an algorithm
    /// this crate does not implement.
    pub fn alg(&self) -> Option<&str> {
        self.params.get("alg").and_then(BareItem::as_string)
    }

    pub fn keyid(&self) -> Option<&str> {
        self.params.get("keyid").and_then(BareItem::as_string)
    }

    pub fn tag(&self) -> Option<&str> {
        self.params.get("tag").and_then(BareItem::as_string)
    }

    pub(crate) fn to_inner_list(&self) -> InnerList {
        InnerList {
            items: self.components.iter().map(ComponentId::to_item).collect(),
            params: self.params.clone(),
        }
    }

    /// Serialises the value of `@signature-params`, which is also the
    /// member value in `Signature-Input`: `("@status" ...);created=...`.
    pub fn serialize(&self) -> String {
        self.to_inner_list().serialize()
    }

    /// Reads a parsed inner list, checking the types of known parameters
    /// and that no component is listed twice.
    pub(crate) fn from_inner_list(list: &InnerList) -> Result<Self, String> {
        let mut components: Vec<ComponentId> = Vec::with_capacity(list.items.len());
        for item in &list.items {
            let component = ComponentId::from_item(item)?;
            if components
                .iter()
                .any(|seen| seen.same_component(&component))
            {
                return Err(format!("component {component} is listed twice"));
            }
            components.push(component);
        }
        for (key, value) in list.params.iter() {
            let valid = match key {
                "created" | "expires" => value.as_integer().is_some(),
                "nonce" | "alg" | "keyid" | "tag" => value.as_string().is_some(),
                _ => true,
            };
            if !valid {
                let expected = if matches!(key, "created" | "expires") {
                    "an integer"
                } else {
                    "a string"
                };
                return Err(format!(
                    "parameter {key}={} must be {expected}",
                    value.serialize()
                ));
            }
        }
        Ok(SignatureParams {
            components,
            params: list.params.clone(),
        })
    }
}

/// Parses a `Signature-Input` field value into its labels and parameters,
/// in field order. Combine repeated field lines with ", " first.
pub fn parse_signature_input_header(
    value: &str,
) -> Result<Vec<(String, SignatureParams)>, HeaderError> {
    let dictionary = sf::parse_dictionary(value).map_err(|e| HeaderError::Syntax {
        header: SIGNATURE_INPUT,
        reason: e.to_string(),
    })?;
    dictionary
        .iter()
        .map(|(label, member)| {
            let invalid = |reason: String| HeaderError::Member {
                header: SIGNATURE_INPUT,
                label: label.to_string(),
                reason,
            };
            let Member::InnerList(list) = member else {
                return Err(invalid(format!(
                    "`{}` is not an inner list of components like (\"@status\")",
                    member.serialize()
                )));
            };
            let params = SignatureParams::from_inner_list(list).map_err(invalid)?;
            Ok((label.to_string(), params))
        })
        .collect()
}

/// Parses a `Signature` field value into its labels and signature bytes, in
/// field order. Combine repeated field lines with ", " first.
pub fn parse_signature_header(value: &str) -> Result<Vec<(String, Vec<u8>)>, HeaderError> {
    let dictionary = sf::parse_dictionary(value).map_err(|e| HeaderError::Syntax {
        header: SIGNATURE,
        reason: e.to_string(),
    })?;
    dictionary
        .iter()
        .map(|(label, member)| match member {
            Member::Item(item) => match &item.bare {
                BareItem::ByteSequence(bytes) => Ok((label.to_string(), bytes.clone())),
                _ => Err(HeaderError::Member {
                    header: SIGNATURE,
                    label: label.to_string(),
                    reason: format!(
                        "`{}` is not a byte sequence (`:<base64>:`)",
                        member.serialize()
                    ),
                }),
            },
            Member::InnerList(_) => Err(HeaderError::Member {
                header: SIGNATURE,
                label: label.to_string(),
                reason: "an inner list is not a byte sequence (`:<base64>:`)".into(),
            }),
        })
        .collect()
}

/// Formats one `Signature` dictionary member: `label=:<base64>:`.
pub fn signature_member(label: &str, signature: &[u8]) -> String {
    format!("{label}=:{}:", STANDARD.encode(signature))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_keep_setting_order() {
        let params = SignatureParams::new([
            ComponentId::derived("@status"),
            ComponentId::field("Content-Digest"),
        ])
        .with_created(1618884473)
        .with_keyid("k1")
        .with_nonce("n")
        .with_created(1618884474);
        assert_eq!(
            params.serialize(),
            "(\"@status\" \"content-digest\");created=1618884474;keyid=\"k1\";nonce=\"n\""
        );
    }

    #[test]
    fn several_labels_parse_in_order() {
        let parsed = parse_signature_input_header(
            "sig1=(\"@status\");created=1;keyid=\"a\", proxy=(\"@authority\" \"@query-param\";name=\"Pet\");tag=\"t\";x=5",
        )
        .unwrap();
        assert_eq!(parsed.len(), 2);
        assert_eq!(parsed[0].0, "sig1");
        assert_eq!(parsed[0].1.created(), Some(1));
        assert_eq!(parsed[1].0, "proxy");
        assert_eq!(parsed[1].1.tag(), Some("t"));
        assert_eq!(
            parsed[1].1.components()[1].to_string(),
            "\"@query-param\";name=\"Pet\""
        );
        assert_eq!(
            parsed[1].1.serialize(),
            "(\"@authority\" \"@query-param\";name=\"Pet\");tag=\"t\";x=5"
        );
    }

    #[test]
    fn invalid_members_name_the_label() {
        let cases = [
            ("sig1=\"x\"", "inner list"),
            ("sig1=(\"@status\" \"@status\")", "listed twice"),
            ("sig1=(\"Date\")", "lowercase"),
            ("sig1=(date)", "not a string"),
            (
                "sig1=();created=\"yesterday\"",
                "created=\"yesterday\" must be an integer",
            ),
            ("sig1=();keyid=5", "keyid=5 must be a string"),
        ];
        for (input, expected) in cases {
            let error = parse_signature_input_header(input).unwrap_err();
            assert!(
                error.to_string().contains("member sig1"),
                "{input}: {error}"
            );
            assert!(error.to_string().contains(expected), "{input}: {error}");
        }
    }

    #[test]
    fn signature_members_are_byte_sequences() {
        let parsed = parse_signature_header("a=:AQID:, b=:BA==:").unwrap();
        assert_eq!(
            parsed,
            vec![("a".to_string(), vec![1, 2, 3]), ("b".to_string(), vec![4])]
        );
        let error = parse_signature_header("a=\"AQID\"").unwrap_err();
        assert!(error.to_string().contains("not a byte sequence"), "{error}");
        assert_eq!(signature_member("sig1", &[1, 2, 3]), "sig1=:AQID:");
    }
}
