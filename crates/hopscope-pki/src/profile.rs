//! Roles, their certificate profiles, and the URLs they are issued for.

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// Purpose of a credential's certificate. Each role has one profile: key
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
        let invalid = |reason: String| Error::InvalidUrl {
            url: s.to_string(),
            reason,
        };
        let url = url::Url::parse(s.trim()).map_err(|e| {
            invalid(format!(
                "{e}; write an absolute https URL such as https://fhir.example.org/r4"
            ))
        })?;
        if url.scheme() != "https" {
            return Err(invalid(format!(
                "the scheme is \"{}\"; a FHIR base URL must use https",
                url.scheme()
            )));
        }
        // The url crate reads "https:///fhir" as the host "fhir"; an operator
        // who wrote three slashes left the host out.
        let after_scheme = s.trim().split_once("://").map(|(_, rest)| rest).unwrap_or("");
        if after_scheme.starts_with('/') {
            return Err(invalid(
                "the URL has no host (three slashes after the scheme); write one such as https://fhir.example.org/r4".into(),
            ));
        }
        match url.host() {
            None => {
                return Err(invalid(
                    "the URL has no host; write one such as https://fhir.example.org/r4".into(),
                ))
            }
            Some(url::Host::Domain("")) => {
                return Err(invalid(
                    "the host is empty; write one such as https://fhir.example.org/r4".into(),
                ))
            }
            Some(_) => {}
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid(
                "the URL contains a user name or password; remove the part before \"@\"".into(),
            ));
        }
        if let Some(query) = url.query() {
            return Err(invalid(format!(
                "the URL has a query \"?{query}\"; remove it, as FHIR base URLs have none"
            )));
        }
        if let Some(fragment) = url.fragment() {
            return Err(invalid(format!(
                "the URL has a fragment \"#{fragment}\"; remove it, as FHIR base URLs have none"
            )));
        }
        Ok(FhirBaseUrl(url))
    }

    pub fn as_url(&self) -> &url::Url {
        &self.0
    }

    /// Returns the host as written in the URL: a DNS name or an IP address.
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
    let invalid = || Error::InvalidDuration(s.to_string());
    let trimmed = s.trim();
    let unit = trimmed.chars().last().ok_or_else(invalid)?;
    let hours_per_unit: i64 = match unit {
        'h' => 1,
        'd' => 24,
        'w' => 7 * 24,
        'y' => 365 * 24,
        _ => return Err(invalid()),
    };
    let digits = &trimmed[..trimmed.len() - unit.len_utf8()];
    // Only plain digits: no sign, no spaces, no fractions.
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    let count: i64 = digits.parse().map_err(|_| invalid())?;
    if count == 0 {
        return Err(invalid());
    }
    let hours = count.checked_mul(hours_per_unit).ok_or_else(invalid)?;
    // time::Duration::hours panics past i64::MAX seconds, so check first.
    if hours > i64::MAX / 3600 {
        return Err(invalid());
    }
    Ok(time::Duration::hours(hours))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_accepted_forms() {
        let cases = [
            ("https://fhir.example.org/r4", "fhir.example.org"),
            ("https://fhir.example.org:8443/r4/", "fhir.example.org"),
            ("https://10.1.2.3/fhir", "10.1.2.3"),
            ("https://[::1]:9443/fhir", "[::1]"),
        ];
        for (input, host) in cases {
            let url = FhirBaseUrl::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(url.host().to_string(), host, "{input}");
        }
    }

    #[test]
    fn url_rejected_forms() {
        let cases = [
            (
                "http://x.test/r4",
                r#"invalid FHIR base URL "http://x.test/r4": the scheme is "http"; a FHIR base URL must use https"#,
            ),
            (
                "https://user:pw@x.test/r4",
                r#"invalid FHIR base URL "https://user:pw@x.test/r4": the URL contains a user name or password; remove the part before "@""#,
            ),
            (
                "https://user@x.test/r4",
                r#"invalid FHIR base URL "https://user@x.test/r4": the URL contains a user name or password; remove the part before "@""#,
            ),
            (
                "https://x.test/r4#frag",
                r##"invalid FHIR base URL "https://x.test/r4#frag": the URL has a fragment "#frag"; remove it, as FHIR base URLs have none"##,
            ),
            (
                "urn:uuid:1234",
                r#"invalid FHIR base URL "urn:uuid:1234": the scheme is "urn"; a FHIR base URL must use https"#,
            ),
            (
                "x.test/r4",
                r#"invalid FHIR base URL "x.test/r4": relative URL without a base; write an absolute https URL such as https://fhir.example.org/r4"#,
            ),
            (
                "https://x.test/r4?x=1",
                r#"invalid FHIR base URL "https://x.test/r4?x=1": the URL has a query "?x=1"; remove it, as FHIR base URLs have none"#,
            ),
            (
                "https:///fhir",
                r#"invalid FHIR base URL "https:///fhir": the URL has no host (three slashes after the scheme); write one such as https://fhir.example.org/r4"#,
            ),
            (
                "https://",
                r#"invalid FHIR base URL "https://": empty host; write an absolute https URL such as https://fhir.example.org/r4"#,
            ),
            (
                "",
                r#"invalid FHIR base URL "": relative URL without a base; write an absolute https URL such as https://fhir.example.org/r4"#,
            ),
        ];
        for (input, message) in cases {
            let err = FhirBaseUrl::parse(input).expect_err(input);
            assert!(matches!(err, Error::InvalidUrl { .. }), "{input}: {err:?}");
            assert_eq!(err.to_string(), message, "{input}");
        }
    }

    #[test]
    fn url_serde_round_trip() {
        let url = FhirBaseUrl::parse("https://x.test/r4").unwrap();
        let json = serde_json_string(&url);
        assert_eq!(json, "https://x.test/r4");
        let back = FhirBaseUrl::try_from(json).unwrap();
        assert_eq!(back, url);
    }

    fn serde_json_string(url: &FhirBaseUrl) -> String {
        String::from(url.clone())
    }

    #[test]
    fn duration_accepted() {
        let cases = [
            ("12h", time::Duration::hours(12)),
            ("90d", time::Duration::days(90)),
            ("6w", time::Duration::weeks(6)),
            ("2y", time::Duration::days(730)),
            ("1y", time::Duration::days(365)),
        ];
        for (input, expected) in cases {
            assert_eq!(parse_duration(input).unwrap(), expected, "{input}");
        }
    }

    #[test]
    fn duration_rejected() {
        for input in [
            "",
            "0d",
            "-5d",
            "+5d",
            "90",
            "d",
            "5m",
            "1.5d",
            "5 d",
            "99999999999999999999y",
            "9223372036854775807h",
            "1000000000000000y",
        ] {
            let err = parse_duration(input).expect_err(input);
            assert!(matches!(err, Error::InvalidDuration(_)), "{input}: {err:?}");
            assert!(
                err.to_string().contains(&format!("\"{input}\"")),
                "{input}: {err}"
            );
        }
    }

    #[test]
    fn role_names_round_trip() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
        }
        let err = "server".parse::<Role>().unwrap_err();
        assert!(err.to_string().contains("\"server\""), "{err}");
    }
}
