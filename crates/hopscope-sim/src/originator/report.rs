//! What the originator saw of one exchange and what it checked.

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

/// What the originator saw of one exchange and what it checked. It is also
/// the `details` of the originator's record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepReport {
    pub exchange_id: String,
    /// Step name (`register`, `search`, …).
    pub step: String,
    pub method: String,
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
    /// Why no response arrived, or why a step was skipped.
    pub error: Option<String>,
}

impl StepReport {
    /// True when a response arrived and no check failed.
    pub fn passed(&self) -> bool {
        self.error.is_none() && self.checks.values().all(|c| c.outcome != StepOutcome::Fail)
    }
}
