//! Named scenarios: the steps an originator walks through a destination's
//! public URL.

use crate::error::{Error, Result};

/// One step of a scenario. A step is one exchange, except a paged search
/// and an export, which make one exchange per page, poll or file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// `GET .well-known/udap`, checking `signed_metadata`.
    UdapMetadata,
    /// `POST register` with a software statement.
    Register,
    /// `POST token` with a client assertion.
    Token,
    /// `GET metadata`.
    Capabilities,
    /// `GET Patient?_count=5`, then up to `pages - 1` `next` links.
    SearchPaging { pages: usize },
    /// `GET Patient/<id>` of the first Patient the search found, or of the
    /// first Patient a new search finds.
    Read,
    /// `POST Observation`.
    Create,
    /// `GET $export` with `Prefer: respond-async`, polling and download.
    Export,
}

impl Step {
    /// Returns the step's name in reports and records.
    pub fn name(self) -> &'static str {
        match self {
            Step::UdapMetadata => "udap-metadata",
            Step::Register => "register",
            Step::Token => "token",
            Step::Capabilities => "capabilities",
            Step::SearchPaging { .. } => "search",
            Step::Read => "read",
            Step::Create => "create",
            Step::Export => "export",
        }
    }
}

/// A named list of steps.
#[derive(Debug)]
pub struct Scenario {
    pub name: &'static str,
    pub description: &'static str,
    pub steps: &'static [Step],
}

/// The scenarios `hopscope exchange run --scenario NAME` accepts, the
/// default first.
pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "default",
        description: "signed metadata, registration, token, CapabilityStatement, Patient search with paging, read, create an Observation, and $export with polling and download",
        steps: &[
            Step::UdapMetadata,
            Step::Register,
            Step::Token,
            Step::Capabilities,
            Step::SearchPaging { pages: 3 },
            Step::Read,
            Step::Create,
            Step::Export,
        ],
    },
    Scenario {
        name: "read",
        description: "signed metadata, registration, token and one Patient read",
        steps: &[Step::UdapMetadata, Step::Register, Step::Token, Step::Read],
    },
    Scenario {
        name: "search",
        description: "signed metadata, registration, token and a Patient search over 3 pages",
        steps: &[
            Step::UdapMetadata,
            Step::Register,
            Step::Token,
            Step::SearchPaging { pages: 3 },
        ],
    },
    Scenario {
        name: "register",
        description: "signed metadata, registration and token only: how the destination's trust list decides on this originator",
        steps: &[Step::UdapMetadata, Step::Register, Step::Token],
    },
    Scenario {
        name: "export",
        description: "signed metadata, registration, token and a bulk $export through the asynchronous pattern",
        steps: &[Step::UdapMetadata, Step::Register, Step::Token, Step::Export],
    },
];

/// Returns the scenario with this name.
pub fn scenario(name: &str) -> Result<&'static Scenario> {
    SCENARIOS
        .iter()
        .find(|s| s.name == name)
        .ok_or_else(|| Error::UnknownScenario {
            name: name.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_scenario_is_first() {
        assert_eq!(SCENARIOS[0].name, "default");
    }

    #[test]
    fn unknown_scenario_names_the_list_command() {
        let error = scenario("nope").unwrap_err().to_string();
        assert!(error.contains("\"nope\""), "{error}");
        assert!(error.contains("hopscope exchange scenarios"), "{error}");
    }

    #[test]
    fn names_are_unique() {
        let mut names: Vec<&str> = SCENARIOS.iter().map(|s| s.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), SCENARIOS.len());
    }
}
