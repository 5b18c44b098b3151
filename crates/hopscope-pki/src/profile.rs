//! Roles, their certificate profiles, and the URLs they are issued for.

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// What a credential's certificate is for. Each role has one profile: key
/// usage, extended key usage and the SAN derived from the credential's URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// TLS server certificate of a destination's public FHIR base URL, held by
    /// the inbound gateway: serverAuth, SAN DNS = the URL's host.
    PublicEndpoint,
    /// TLS server certificate of a private URL (destination or delegated
    /// intermediary): serverAuth, SAN DNS or IP = the URL's host.
    PrivateEndpoint,
    /// Originator signing and client certificate: digitalSignature and
    /// clientAuth, SAN URI = the originator's client URI (UDAP).
    Originator,
    /// Destination payload-signing certificate: digitalSignature, SAN URI =
    /// the destination's public base URL.
    DestinationSigning,
    /// A certificate authority: keyCertSign and cRLSign, CA:TRUE.
    Authority,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::PublicEndpoint,
        Role::PrivateEndpoint,
        Role::Originator,
        Role::DestinationSigning,
        Role::Authority,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::PublicEndpoint => "public-endpoint",
            Role::PrivateEndpoint => "private-endpoint",
            Role::Originator => "originator",
            Role::DestinationSigning => "destination-signing",
            Role::Authority => "authority",
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Role {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| Error::UnknownRole(s.to_string()))
    }
}

/// An `https` URL that can be a FHIR base URL or a UDAP client URI: it has a
/// host, no userinfo and no fragment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FhirBaseUrl(url::Url);

impl FhirBaseUrl {
    /// Parses and checks `s`; the error names what is wrong and what to use.
    pub fn parse(s: &str) -> Result<Self> {
        todo!("{s}")
    }

    pub fn as_url(&self) -> &url::Url {
        &self.0
    }

    /// The host as written in the URL: a DNS name or an IP address.
    pub fn host(&self) -> url::Host<&str> {
        self.0.host().expect("checked in parse")
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl TryFrom<String> for FhirBaseUrl {
    type Error = Error;

    fn try_from(s: String) -> Result<Self> {
        FhirBaseUrl::parse(&s)
    }
}

impl From<FhirBaseUrl> for String {
    fn from(u: FhirBaseUrl) -> String {
        u.0.into()
    }
}

/// Parses durations written as a count and a unit: `12h`, `90d`, `6w`, `2y`
/// (a year is 365 days).
pub fn parse_duration(s: &str) -> Result<time::Duration> {
    todo!("{s}")
}
