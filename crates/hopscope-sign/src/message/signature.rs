//! The signature base (RFC 9421 2.5), signing (3.1) and verifying (3.2).

use super::components::{component_value, ComponentError};
use super::params::{
    parse_signature_header, parse_signature_input_header, signature_member, HeaderError,
    SignatureParams, SIGNATURE, SIGNATURE_INPUT,
};
use super::HttpMessage;
use crate::keys::{Algorithm, KeyError, KeyType, SigningKey, VerifyingKey};
use crate::sf;

/// Builds the signature base: one `"component": value` line per covered
/// component, then the `"@signature-params"` line, joined by `\n` with no
/// trailing newline. This is the exact byte string that is signed.
pub fn signature_base(
    message: &HttpMessage,
    params: &SignatureParams,
) -> Result<String, ComponentError> {
    let mut base = String::new();
    for (index, component) in params.components().iter().enumerate() {
        if params.components()[..index]
            .iter()
            .any(|seen| seen.same_component(component))
        {
            return Err(ComponentError::Invalid {
                component: component.to_string(),
                reason: "the component is listed twice".into(),
            });
        }
        let value = component_value(message, component)?;
        if value.contains(['\r', '\n']) {
            return Err(ComponentError::Invalid {
                component: component.to_string(),
                reason: "the value contains a line break, which the signature base cannot hold"
                    .into(),
            });
        }
        base.push_str(&format!("{component}: {value}\n"));
    }
    base.push_str(&format!("\"@signature-params\": {}", params.serialize()));
    Ok(base)
}

/// The two dictionary members a signature adds to a message, plus the base
/// that was signed (for display and tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureMembers {
    pub label: String,
    /// `label=(...);created=...`, to go into `Signature-Input`.
    pub signature_input: String,
    /// `label=:<base64>:`, to go into `Signature`.
    pub signature: String,
    pub base: String,
    pub algorithm: Algorithm,
}

impl SignatureMembers {
    /// Adds `Signature-Input` and `Signature` field lines to `message`.
    pub fn append_to(&self, message: &mut HttpMessage) {
        message.append_header(SIGNATURE_INPUT, &self.signature_input);
        message.append_header(SIGNATURE, &self.signature);
    }
}

/// A failure to sign a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    #[error("signature label `{label}` is not a valid dictionary key; use lowercase letters, digits, `_-.*`, starting with a letter")]
    InvalidLabel { label: String },
    #[error(transparent)]
    Component(#[from] ComponentError),
    #[error(
        "parameter alg=\"{alg}\" does not match the signing key, which signs with {key_algorithm}"
    )]
    AlgorithmMismatch {
        alg: String,
        key_algorithm: Algorithm,
    },
    #[error(transparent)]
    Key(#[from] KeyError),
}

/// Signs the components listed in `params` under `label` with `key`.
///
/// The `alg` parameter is optional. When present it must name the key's
/// algorithm; [`SigningKey::with_algorithm`] picks between the RSA ones.
pub fn sign(
    message: &HttpMessage,
    label: &str,
    params: &SignatureParams,
    key: &SigningKey,
) -> Result<SignatureMembers, SignError> {
    if !sf::is_valid_key(label) {
        return Err(SignError::InvalidLabel {
            label: label.to_string(),
        });
    }
    if let Some(alg) = params.alg() {
        if alg != key.algorithm().name() {
            return Err(SignError::AlgorithmMismatch {
                alg: alg.to_string(),
                key_algorithm: key.algorithm(),
            });
        }
    }
    let base = signature_base(message, params)?;
    let signature = key.sign(base.as_bytes())?;
    Ok(SignatureMembers {
        label: label.to_string(),
        signature_input: format!("{label}={}", params.serialize()),
        signature: signature_member(label, &signature),
        base,
        algorithm: key.algorithm(),
    })
}

/// A signature that verified, with what it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedSignature {
    pub label: String,
    pub algorithm: Algorithm,
    pub params: SignatureParams,
    pub base: String,
}

/// A failure to verify a signature. Each variant names the label and the
/// value at fault, because these become checks in a verdict.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("{header} has no signature labelled {label} (labels present: {available})")]
    MissingLabel {
        header: &'static str,
        label: String,
        available: String,
    },
    #[error("{header} has several signatures ({labels}); name the label to verify")]
    AmbiguousLabel {
        header: &'static str,
        labels: String,
    },
    #[error(transparent)]
    MalformedHeader(#[from] HeaderError),
    #[error("signature {label} covers {component}, which is missing from the message: {reason}")]
    ComponentMissing {
        label: String,
        component: String,
        reason: String,
    },
    #[error("signature {label} covers {component}, which cannot be used: {reason}")]
    ComponentInvalid {
        label: String,
        component: String,
        reason: String,
    },
    #[error("signature {label} names alg=\"{alg}\", which this verifier does not implement")]
    UnsupportedAlgorithm { label: String, alg: String },
    #[error("signature {label} names alg=\"{alg}\", but the verifying key is an {key_type}, which allows {allowed}")]
    AlgorithmMismatch {
        label: String,
        alg: String,
        key_type: KeyType,
        allowed: String,
    },
    #[error(
        "signature {label} ({algorithm}) does not verify with the key{keyid}: the signed components, \
         the parameters or the signature changed, or another key signed"
    )]
    BadSignature {
        label: String,
        algorithm: Algorithm,
        /// ` <keyid>` of the verifying key, or empty for an HMAC secret.
        keyid: String,
    },
}

/// Verifies the signature `label` (or the only signature, when `label` is
/// `None`) of `message` with `key`. `signature_input` and `signature` are
/// the field values, with repeated lines combined by ", ".
///
/// The algorithm is the `alg` parameter when present, which must suit the
/// key, otherwise the key's own ([`VerifyingKey::with_algorithm`]). Times
/// (`created`, `expires`) are returned but not judged here: the caller
/// owns the clock and its tolerance.
pub fn verify(
    message: &HttpMessage,
    signature_input: &str,
    signature: &str,
    label: Option<&str>,
    key: &VerifyingKey,
) -> Result<VerifiedSignature, VerifyError> {
    let inputs = parse_signature_input_header(signature_input)?;
    let signatures = parse_signature_header(signature)?;

    let label = match label {
        Some(label) => label.to_string(),
        None => match inputs.as_slice() {
            [(only, _)] => only.clone(),
            [] => {
                return Err(VerifyError::MissingLabel {
                    header: SIGNATURE_INPUT,
                    label: "(any)".into(),
                    available: "none".into(),
                })
            }
            _ => {
                return Err(VerifyError::AmbiguousLabel {
                    header: SIGNATURE_INPUT,
                    labels: labels_of(&inputs),
                })
            }
        },
    };
    let params = inputs
        .iter()
        .find(|(name, _)| *name == label)
        .map(|(_, params)| params.clone())
        .ok_or_else(|| VerifyError::MissingLabel {
            header: SIGNATURE_INPUT,
            label: label.clone(),
            available: labels_of(&inputs),
        })?;
    let signature_bytes = signatures
        .iter()
        .find(|(name, _)| *name == label)
        .map(|(_, bytes)| bytes.clone())
        .ok_or_else(|| VerifyError::MissingLabel {
            header: SIGNATURE,
            label: label.clone(),
            available: labels_of(&signatures),
        })?;

    let algorithm = match params.alg() {
        None => key.algorithm(),
        Some(alg) => {
            let algorithm =
                Algorithm::from_name(alg).ok_or_else(|| VerifyError::UnsupportedAlgorithm {
                    label: label.clone(),
                    alg: alg.to_string(),
                })?;
            if !key.key_type().algorithms().contains(&algorithm) {
                return Err(VerifyError::AlgorithmMismatch {
                    label: label.clone(),
                    alg: alg.to_string(),
                    key_type: key.key_type(),
                    allowed: names(key.key_type().algorithms()),
                });
            }
            algorithm
        }
    };

    let base = signature_base(message, &params).map_err(|error| match error {
        ComponentError::Missing { component, reason } => VerifyError::ComponentMissing {
            label: label.clone(),
            component,
            reason,
        },
        ComponentError::Invalid { component, reason } => VerifyError::ComponentInvalid {
            label: label.clone(),
            component,
            reason,
        },
    })?;

    let verified = key
        .verify(algorithm, base.as_bytes(), &signature_bytes)
        .map_err(|_| VerifyError::AlgorithmMismatch {
            label: label.clone(),
            alg: algorithm.name().to_string(),
            key_type: key.key_type(),
            allowed: names(key.key_type().algorithms()),
        })?;
    if !verified {
        return Err(VerifyError::BadSignature {
            label,
            algorithm,
            keyid: key
                .keyid()
                .map(|keyid| format!(" {keyid}"))
                .unwrap_or_default(),
        });
    }
    Ok(VerifiedSignature {
        label,
        algorithm,
        params,
        base,
    })
}

fn labels_of<T>(members: &[(String, T)]) -> String {
    if members.is_empty() {
        return "none".into();
    }
    members
        .iter()
        .map(|(label, _)| label.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn names(algorithms: &[Algorithm]) -> String {
    algorithms
        .iter()
        .map(|a| a.name())
        .collect::<Vec<_>>()
        .join(", ")
}
