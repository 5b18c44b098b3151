//! Linting an inspected certificate against a role and a URL.

use time::{Duration, OffsetDateTime};

use crate::inspect::{Finding, Inspection, Severity};
use crate::{FhirBaseUrl, Role};

/// The maximum validity browsers accept for a public TLS certificate issued
/// since 2020-09-01 (CA/Browser Forum Baseline Requirements 6.3.2).
const MAX_PUBLIC_TLS_VALIDITY_DAYS: i64 = 398;

/// Lints an inspected certificate. With a role, checks the role's profile;
/// with a URL, checks that the SANs cover its host (DNS or IP for endpoint
/// roles, URI for originator and destination-signing). Also flags a
/// public-endpoint validity over 398 days, RSA keys under 2048 bits, expired
/// and not yet valid.
pub fn lint(
    inspection: &Inspection,
    role: Option<Role>,
    url: Option<&FhirBaseUrl>,
    now: OffsetDateTime,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    check_dates(inspection, now, &mut findings);
    check_key_strength(inspection, &mut findings);
    if let Some(role) = role {
        check_role(inspection, role, &mut findings);
        check_validity_length(inspection, role, &mut findings);
    }
    if let Some(url) = url {
        check_san(inspection, role, url, &mut findings);
    }
    findings
}

fn finding(code: &'static str, severity: Severity, message: String) -> Finding {
    Finding {
        code,
        severity,
        message,
    }
}

fn check_dates(inspection: &Inspection, now: OffsetDateTime, findings: &mut Vec<Finding>) {
    if let Some(not_after) = inspection.not_after {
        if now > not_after {
            findings.push(finding(
                "expired",
                Severity::Error,
                format!("the certificate expired at {not_after}; issue a successor or renew it"),
            ));
        }
    }
    if let Some(not_before) = inspection.not_before {
        if now < not_before {
            findings.push(finding(
                "not-yet-valid",
                Severity::Error,
                format!(
                    "the certificate is not valid before {not_before}; check the issuer's clock or wait until then"
                ),
            ));
        }
    }
}

fn check_key_strength(inspection: &Inspection, findings: &mut Vec<Finding>) {
    if inspection.key_algorithm == "rsa" {
        if let Some(bits) = inspection.key_bits.filter(|bits| *bits < 2048) {
            findings.push(finding(
                "weak-key",
                Severity::Error,
                format!("the RSA key has {bits} bits; issue a new certificate with a key of at least 2048 bits or an ECDSA key"),
            ));
        }
    }
    let signature = inspection.signature_algorithm.to_ascii_lowercase();
    if signature.contains("sha1") || signature.contains("md5") || signature.contains("md2") {
        findings.push(finding(
            "weak-key",
            Severity::Error,
            format!(
                "the signature algorithm {} is broken; have the issuer sign with SHA-256 or stronger",
                inspection.signature_algorithm
            ),
        ));
    }
}

fn check_role(inspection: &Inspection, role: Role, findings: &mut Vec<Finding>) {
    let has_ku = |name: &str| inspection.key_usage.iter().any(|k| k == name);
    let has_eku = |name: &str| {
        inspection
            .extended_key_usage
            .iter()
            .any(|k| k == name || k == "anyExtendedKeyUsage")
    };
    let mut problems = Vec::new();
    match role {
        Role::PublicEndpoint | Role::PrivateEndpoint => {
            if !has_ku("digitalSignature") && !has_ku("keyEncipherment") {
                problems.push(format!(
                    "key usage [{}] lacks digitalSignature",
                    inspection.key_usage.join(", ")
                ));
            }
            if !has_eku("serverAuth") {
                problems.push(format!(
                    "extended key usage [{}] lacks serverAuth",
                    inspection.extended_key_usage.join(", ")
                ));
            }
        }
        Role::Originator => {
            if !has_ku("digitalSignature") {
                problems.push(format!(
                    "key usage [{}] lacks digitalSignature",
                    inspection.key_usage.join(", ")
                ));
            }
            if !has_eku("clientAuth") {
                problems.push(format!(
                    "extended key usage [{}] lacks clientAuth",
                    inspection.extended_key_usage.join(", ")
                ));
            }
        }
        Role::DestinationSigning => {
            if !has_ku("digitalSignature") {
                problems.push(format!(
                    "key usage [{}] lacks digitalSignature",
                    inspection.key_usage.join(", ")
                ));
            }
        }
        Role::Authority => {
            if !inspection.is_ca {
                problems.push("basic constraints do not say CA:TRUE".to_string());
            }
            if !has_ku("keyCertSign") {
                problems.push(format!(
                    "key usage [{}] lacks keyCertSign",
                    inspection.key_usage.join(", ")
                ));
            }
        }
    }
    if role != Role::Authority && inspection.is_ca {
        problems.push("it is a CA certificate (CA:TRUE)".to_string());
    }
    if !problems.is_empty() {
        findings.push(finding(
            "role-mismatch",
            Severity::Error,
            format!(
                "the certificate does not fit the {role} role: {}; issue it again with the {role} profile",
                problems.join("; ")
            ),
        ));
    }
}

fn check_validity_length(inspection: &Inspection, role: Role, findings: &mut Vec<Finding>) {
    if role != Role::PublicEndpoint {
        return;
    }
    let (Some(not_before), Some(not_after)) = (inspection.not_before, inspection.not_after) else {
        return;
    };
    let validity = not_after - not_before;
    if validity > Duration::days(MAX_PUBLIC_TLS_VALIDITY_DAYS) {
        findings.push(finding(
            "validity-too-long",
            Severity::Warning,
            format!(
                "the validity is {} days; browsers and public TLS clients reject more than {MAX_PUBLIC_TLS_VALIDITY_DAYS} days, so issue it for 398d or less",
                validity.whole_days()
            ),
        ));
    }
}

fn check_san(
    inspection: &Inspection,
    role: Option<Role>,
    url: &FhirBaseUrl,
    findings: &mut Vec<Finding>,
) {
    match role {
        Some(Role::Authority) => {}
        Some(Role::Originator) | Some(Role::DestinationSigning) => {
            let wanted = url.as_str().trim_end_matches('/');
            let covered = inspection
                .san_uri
                .iter()
                .any(|uri| uri.trim_end_matches('/') == wanted);
            if !covered {
                findings.push(finding(
                    "san-mismatch",
                    Severity::Error,
                    format!(
                        "no URI SAN is {}; the certificate has [{}]; issue it again for this URL",
                        url.as_str(),
                        inspection.san_uri.join(", ")
                    ),
                ));
            }
        }
        Some(Role::PublicEndpoint) | Some(Role::PrivateEndpoint) | None => {
            let host = url.host();
            if !covers_host(inspection, &host) {
                let mut names: Vec<&str> = inspection.san_dns.iter().map(String::as_str).collect();
                names.extend(inspection.san_ip.iter().map(String::as_str));
                findings.push(finding(
                    "san-mismatch",
                    Severity::Error,
                    format!(
                        "the SANs [{}] do not cover the host {host}; issue the certificate again with {host} as a SAN",
                        names.join(", ")
                    ),
                ));
            }
        }
    }
}

/// Tells whether the certificate's DNS or IP SANs cover `host`, with the
/// wildcard rule of `dns_name_matches`.
pub fn covers_host(inspection: &Inspection, host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Domain(name) => inspection.san_dns.iter().any(|pattern| dns_name_matches(pattern, name)),
        url::Host::Ipv4(ip) => inspection.san_ip.iter().any(|s| *s == ip.to_string()),
        url::Host::Ipv6(ip) => inspection.san_ip.iter().any(|s| *s == ip.to_string()),
    }
}

/// Matches a DNS SAN against a host name, case-insensitively. A wildcard
/// `*.x.test` covers exactly one label (`a.x.test`, not `x.test` nor
/// `a.b.x.test`), as RFC 6125 6.4.3 has it for the left-most label only.
pub(crate) fn dns_name_matches(pattern: &str, host: &str) -> bool {
    let pattern = pattern.trim_end_matches('.').to_ascii_lowercase();
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    match pattern.strip_prefix("*.") {
        Some(suffix) => match host.split_once('.') {
            Some((label, rest)) => !label.is_empty() && rest == suffix,
            None => false,
        },
        None => pattern == host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::Inspection;

    fn endpoint_inspection() -> Inspection {
        let not_before = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        Inspection {
            version: 3,
            subject: "CN=fhir.x.test".into(),
            issuer: "CN=Issuing CA".into(),
            serial_hex: "4a".into(),
            not_before: Some(not_before),
            not_after: Some(not_before + Duration::days(90)),
            san_dns: vec!["fhir.x.test".into()],
            san_ip: Vec::new(),
            san_uri: Vec::new(),
            san_email: Vec::new(),
            key_usage: vec!["digitalSignature".into()],
            extended_key_usage: vec!["serverAuth".into()],
            is_ca: false,
            path_len: None,
            key_algorithm: "ecdsa-p256".into(),
            key_bits: Some(256),
            signature_algorithm: "ecdsa-with-SHA256".into(),
            sha256_fingerprint: String::new(),
            spki_sha256: String::new(),
            subject_key_id: None,
            authority_key_id: None,
            self_signed: false,
            unknown_critical_extensions: Vec::new(),
            unparsed: Vec::new(),
        }
    }

    fn codes(findings: &[Finding]) -> Vec<&'static str> {
        findings.iter().map(|f| f.code).collect()
    }

    fn in_validity(inspection: &Inspection) -> OffsetDateTime {
        inspection.not_before.unwrap() + Duration::days(1)
    }

    #[test]
    fn clean_endpoint_has_no_findings() {
        let inspection = endpoint_inspection();
        let url = FhirBaseUrl::parse("https://fhir.x.test/r4").unwrap();
        let findings = lint(
            &inspection,
            Some(Role::PublicEndpoint),
            Some(&url),
            in_validity(&inspection),
        );
        assert!(findings.is_empty(), "{findings:?}");
    }

    #[test]
    fn lint_table() {
        type Edit = fn(&mut Inspection);
        let cases: Vec<(&str, Edit, Role, &str, &str, &str)> = vec![
            (
                "host not covered",
                |_| {},
                Role::PublicEndpoint,
                "https://other.x.test/r4",
                "san-mismatch",
                "other.x.test",
            ),
            (
                "wildcard covers one label",
                |i| i.san_dns = vec!["*.x.test".into()],
                Role::PublicEndpoint,
                "https://a.b.x.test/r4",
                "san-mismatch",
                "a.b.x.test",
            ),
            (
                "ip host not covered",
                |_| {},
                Role::PrivateEndpoint,
                "https://10.0.0.7/fhir",
                "san-mismatch",
                "10.0.0.7",
            ),
            (
                "no serverAuth",
                |i| i.extended_key_usage = vec!["clientAuth".into()],
                Role::PublicEndpoint,
                "https://fhir.x.test/r4",
                "role-mismatch",
                "lacks serverAuth",
            ),
            (
                "leaf that is a CA",
                |i| i.is_ca = true,
                Role::PrivateEndpoint,
                "https://fhir.x.test/r4",
                "role-mismatch",
                "CA:TRUE",
            ),
            (
                "originator without clientAuth",
                |i| i.san_uri = vec!["https://fhir.x.test/r4".into()],
                Role::Originator,
                "https://fhir.x.test/r4",
                "role-mismatch",
                "lacks clientAuth",
            ),
            (
                "originator URI missing",
                |i| i.extended_key_usage = vec!["clientAuth".into()],
                Role::Originator,
                "https://fhir.x.test/r4",
                "san-mismatch",
                "no URI SAN is https://fhir.x.test/r4",
            ),
            (
                "authority not CA",
                |_| {},
                Role::Authority,
                "https://fhir.x.test/r4",
                "role-mismatch",
                "CA:TRUE",
            ),
            (
                "validity over 398 days",
                |i| i.not_after = Some(i.not_before.unwrap() + Duration::days(399)),
                Role::PublicEndpoint,
                "https://fhir.x.test/r4",
                "validity-too-long",
                "399 days",
            ),
            (
                "small RSA key",
                |i| {
                    i.key_algorithm = "rsa".into();
                    i.key_bits = Some(1024);
                },
                Role::PublicEndpoint,
                "https://fhir.x.test/r4",
                "weak-key",
                "1024 bits",
            ),
            (
                "SHA-1 signature",
                |i| i.signature_algorithm = "sha1WithRSAEncryption".into(),
                Role::PublicEndpoint,
                "https://fhir.x.test/r4",
                "weak-key",
                "sha1WithRSAEncryption",
            ),
        ];
        for (name, edit, role, url, code, message_part) in cases {
            let mut inspection = endpoint_inspection();
            edit(&mut inspection);
            let url = FhirBaseUrl::parse(url).unwrap();
            let findings = lint(
                &inspection,
                Some(role),
                Some(&url),
                in_validity(&inspection),
            );
            assert_eq!(codes(&findings), vec![code], "{name}: {findings:?}");
            assert!(
                findings[0].message.contains(message_part),
                "{name}: {}",
                findings[0].message
            );
        }
    }

    #[test]
    fn wildcard_covers_one_label() {
        let mut inspection = endpoint_inspection();
        inspection.san_dns = vec!["*.x.test".into()];
        let url = FhirBaseUrl::parse("https://fhir.X.test/r4").unwrap();
        let findings = lint(
            &inspection,
            Some(Role::PublicEndpoint),
            Some(&url),
            in_validity(&inspection),
        );
        assert!(findings.is_empty(), "{findings:?}");
        assert!(!dns_name_matches("*.x.test", "x.test"));
    }

    #[test]
    fn dates_flagged() {
        let inspection = endpoint_inspection();
        let before = inspection.not_before.unwrap() - Duration::hours(1);
        let after = inspection.not_after.unwrap() + Duration::hours(1);
        assert_eq!(
            codes(&lint(&inspection, None, None, before)),
            vec!["not-yet-valid"]
        );
        assert_eq!(
            codes(&lint(&inspection, None, None, after)),
            vec!["expired"]
        );
    }
}
