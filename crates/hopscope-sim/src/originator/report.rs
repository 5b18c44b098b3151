//! The originator's report of one exchange: the response it saw and its checks.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Outcome of one check the originator made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepOutcome {
    Pass,
    Fail,
    NotApplicable,
}

/// One check with the values it compared.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OriginatorCheck {
    pub outcome: StepOutcome,
    pub detail: String,
}

impl OriginatorCheck {
    pub(crate) fn pass(detail: impl Into<String>) -> Self {
        Self {
            outcome: StepOutcome::Pass,
            detail: detail.into(),
        }
    }
    pub(crate) fn fail(detail: impl Into<String>) -> Self {
        Self {
            outcome: StepOutcome::Fail,
            detail: detail.into(),
        }
    }
    pub(crate) fn not_applicable(detail: impl Into<String>) -> Self {
        Self {
            outcome: StepOutcome::NotApplicable,
            detail: detail.into(),
        }
    }
}

/// The originator's report of one exchange: the response it saw and its
/// checks. It is also the `details` of the originator's record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepReport {
    /// Empty for a skipped step, which made no exchange (null in JSON, as
    /// are `method` and `url` then).
    #[serde(serialize_with = "empty_as_null", deserialize_with = "null_as_empty")]
    pub exchange_id: String,
    /// Step name (`register`, `search`, …).
    pub step: String,
    #[serde(serialize_with = "empty_as_null", deserialize_with = "null_as_empty")]
    pub method: String,
    #[serde(serialize_with = "empty_as_null", deserialize_with = "null_as_empty")]
    pub url: String,
    /// Status received; absent when no response arrived.
    pub status: Option<u16>,
    pub expected_status: Vec<u16>,
    pub body_size: u64,
    pub body_sha256: Option<String>,
    /// Hex SHA-256 of the access token received, on a token step.
    pub token_received_sha256: Option<String>,
    /// Checks by name: `expected-status`, `content-digest`, `signature`,
    /// `private-url`, and `signed-metadata` or `token-signature` on the
    /// steps that have them.
    pub checks: BTreeMap<String, OriginatorCheck>,
    /// Reason no response arrived, or the step was skipped.
    pub error: Option<String>,
}

impl StepReport {
    /// True when a response arrived and no check failed.
    pub fn passed(&self) -> bool {
        self.error.is_none() && self.checks.values().all(|c| c.outcome != StepOutcome::Fail)
    }
}

fn empty_as_null<S: serde::Serializer>(value: &str, serializer: S) -> Result<S::Ok, S::Error> {
    if value.is_empty() {
        serializer.serialize_none()
    } else {
        serializer.serialize_str(value)
    }
}

fn null_as_empty<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(deserializer)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skipped_step_has_null_ids_in_json() {
        let report = StepReport {
            exchange_id: String::new(),
            step: "token".into(),
            method: String::new(),
            url: String::new(),
            status: None,
            expected_status: Vec::new(),
            body_size: 0,
            body_sha256: None,
            token_received_sha256: None,
            checks: BTreeMap::new(),
            error: Some("skipped because registration was refused".into()),
        };
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["exchange_id"], serde_json::Value::Null);
        assert_eq!(json["url"], serde_json::Value::Null);
        let back: StepReport = serde_json::from_value(json).unwrap();
        assert_eq!(back, report);
    }
}
