//! Validation of the topology: every mistake that would break an exchange,
//! with the element at fault, the value and the fix.

use std::collections::HashMap;

use hopscope_pki::inspect::{covers_host, inspect};
use hopscope_pki::FhirBaseUrl;
use hopscope_store::rows;

use crate::summary::{status_at, rotation_due_at};
use crate::{now_unix, CertificateStatus, IntermediaryKind, Result, Topology, TopologyFinding, Workspace};

impl Workspace {
    /// Checks the topology and returns every finding; an empty list means the
    /// exchange can run.
    pub async fn check_topology(&self) -> Result<Vec<TopologyFinding>> {
        let topology = self.topology().await?;
        let mut conn = self.conn().await?;
        let mut certificates = HashMap::new();
        for name in used_credentials(&topology) {
            let Some(credential) = rows::credential_by_name(&mut conn, &name).await? else { continue };
            if let Some(current) = rows::current_certificate(&mut conn, credential.id).await? {
                certificates.insert(name, current);
            }
        }
        Ok(findings(&topology, &certificates, now_unix()))
    }
}

fn used_credentials(topology: &Topology) -> Vec<String> {
    let mut names: Vec<String> = topology.intermediaries.iter().flat_map(|i| i.credentials.clone()).collect();
    for destination in &topology.destinations {
        names.extend(destination.endpoint_credential.clone());
        names.extend(destination.signing_credential.clone());
    }
    names.sort();
    names.dedup();
    names
}

fn findings(
    topology: &Topology,
    certificates: &HashMap<String, rows::CertificateRow>,
    now: i64,
) -> Vec<TopologyFinding> {
    let mut out = Vec::new();
    let covers = |credential: &str, url: &str| -> bool {
        let (Some(cert), Ok(url)) = (certificates.get(credential), FhirBaseUrl::parse(url)) else { return false };
        inspect(&cert.der).map(|i| covers_host(&i, &url.host())).unwrap_or(false)
    };
    let intermediaries: HashMap<&str, _> = topology.intermediaries.iter().map(|i| (i.name.as_str(), i)).collect();

    let mut by_public_url: HashMap<String, Vec<&str>> = HashMap::new();
    for d in &topology.destinations {
        by_public_url.entry(d.public_url.trim_end_matches('/').to_string()).or_default().push(&d.name);
    }

    for d in &topology.destinations {
        if let Some(others) = by_public_url.get(d.public_url.trim_end_matches('/')).filter(|v| v.len() > 1) {
            let others: Vec<&str> = others.iter().copied().filter(|n| *n != d.name).collect();
            out.push(finding(
                "duplicate-public-url",
                "destination",
                &d.name,
                &d.public_url,
                format!("destinations {} and {} have the same public URL {}", d.name, others.join(", "), d.public_url),
                "give each destination its own public URL: a host of its own or a path segment of its own".into(),
            ));
        }

        for other in &topology.destinations {
            if other.name != d.name && is_nested_under(&d.public_url, &other.public_url) {
                out.push(finding(
                    "nested-public-url",
                    "destination",
                    &d.name,
                    &d.public_url,
                    format!(
                        "the public URL {} of {} lies under the public URL {} of {}, so requests for one would route to the other",
                        d.public_url, d.name, other.public_url, other.name
                    ),
                    "give each destination a public URL that is not a path below another's".into(),
                ));
            }
        }

        match d.route.first() {
            None => out.push(finding(
                "route-missing",
                "route",
                &d.name,
                &d.name,
                format!("destination {} has no route, so requests to {} end nowhere", d.name, d.public_url),
                format!("set one with `hopscope route add {} --via GATEWAY [DELEGATED...]`", d.name),
            )),
            Some(gateway_name) => {
                let mut seen = Vec::new();
                for (position, hop) in d.route.iter().enumerate() {
                    if seen.contains(&hop) {
                        out.push(finding(
                            "route-loop",
                            "route",
                            &d.name,
                            hop,
                            format!("the route of {} passes {} twice: {}", d.name, hop, d.route.join(" -> ")),
                            "list each intermediary once, inbound gateway first".into(),
                        ));
                    }
                    seen.push(hop);
                    let kind = intermediaries.get(hop.as_str()).map(|i| i.kind);
                    if position > 0 && kind == Some(IntermediaryKind::InboundGateway) {
                        out.push(finding(
                            "route-wrong-kind",
                            "route",
                            &d.name,
                            hop,
                            format!("{hop} is an inbound gateway but sits at hop {} of the route of {}", position + 1, d.name),
                            "only the first hop is the inbound gateway; the others must be delegated intermediaries".into(),
                        ));
                    }
                }
                match intermediaries.get(gateway_name.as_str()) {
                    Some(gateway) if gateway.kind == IntermediaryKind::InboundGateway => {
                        if !gateway.credentials.iter().any(|c| covers(c, &d.public_url)) {
                            out.push(finding(
                                "public-url-not-covered",
                                "destination",
                                &d.name,
                                &d.public_url,
                                format!(
                                    "no public-endpoint certificate of the inbound gateway {} covers the host of {} (its credentials: [{}])",
                                    gateway.name,
                                    d.public_url,
                                    gateway.credentials.join(", ")
                                ),
                                format!(
                                    "issue one with `hopscope cert issue NAME --role public-endpoint --authority AUTHORITY --url {}` and add it with `hopscope intermediary update {} --cert {} NAME`",
                                    d.public_url,
                                    gateway.name,
                                    gateway.credentials.join(" ")
                                ),
                            ));
                        }
                    }
                    _ => out.push(finding(
                        "route-not-from-gateway",
                        "route",
                        &d.name,
                        gateway_name,
                        format!("the route of {} starts at {}, which is not an inbound gateway", d.name, gateway_name),
                        "start the route at the inbound gateway that receives the public URL".into(),
                    )),
                }
            }
        }

        match &d.endpoint_credential {
            // An external destination serves its own certificate, which the
            // last hop verifies against the workspace's authorities.
            None if d.external => {}
            None => out.push(finding(
                "credential-missing",
                "destination",
                &d.name,
                &d.private_url,
                format!("destination {} has no private-endpoint credential for {}", d.name, d.private_url),
                format!(
                    "issue one with --role private-endpoint --url {} and set it with `hopscope destination update {} --endpoint-cert NAME`",
                    d.private_url, d.name
                ),
            )),
            Some(credential) if !covers(credential, &d.private_url) => out.push(finding(
                "private-url-not-covered",
                "destination",
                &d.name,
                &d.private_url,
                format!("the certificate of {credential} does not cover the host of the private URL {}", d.private_url),
                format!(
                    "issue a private-endpoint certificate for {} and set it with `hopscope destination update {} --endpoint-cert NAME`",
                    d.private_url, d.name
                ),
            )),
            Some(_) => {}
        }
        if d.signing_credential.is_none() {
            out.push(finding(
                "credential-missing",
                "destination",
                &d.name,
                &d.public_url,
                format!("destination {} has no destination-signing credential", d.name),
                format!(
                    "issue one with --role destination-signing --url {} and set it with `hopscope destination update {} --signing-cert NAME`",
                    d.public_url, d.name
                ),
            ));
        }
    }

    for i in &topology.intermediaries {
        if i.credentials.is_empty() {
            out.push(finding(
                "credential-missing",
                "intermediary",
                &i.name,
                &i.name,
                format!("intermediary {} has no certificate to serve {}", i.name, i.listen_urls.join(", ")),
                format!("set them with `hopscope intermediary update {} --cert NAME...`", i.name),
            ));
            continue;
        }
        for url in &i.listen_urls {
            if !i.credentials.iter().any(|c| covers(c, url)) {
                out.push(finding(
                    "listen-url-not-covered",
                    "intermediary",
                    &i.name,
                    url,
                    format!("no certificate of {} covers the host of {url} (its credentials: [{}])", i.name, i.credentials.join(", ")),
                    format!(
                        "issue a certificate for {url} and add it with `hopscope intermediary update {} --cert {} NAME`",
                        i.name,
                        i.credentials.join(" ")
                    ),
                ));
            }
        }
    }

    let mut used: Vec<(&str, &str, &str)> = Vec::new();
    for i in &topology.intermediaries {
        used.extend(i.credentials.iter().map(|c| (c.as_str(), "intermediary", i.name.as_str())));
    }
    for d in &topology.destinations {
        used.extend(d.endpoint_credential.iter().map(|c| (c.as_str(), "destination", d.name.as_str())));
        used.extend(d.signing_credential.iter().map(|c| (c.as_str(), "destination", d.name.as_str())));
    }
    for (credential, kind, element) in used {
        let Some(cert) = certificates.get(credential) else { continue };
        let due_at = rotation_due_at(cert.not_before, cert.not_after, 0.0);
        let status = status_at(now, cert.not_before, cert.not_after, cert.revoked_at.is_some(), due_at);
        let (code, what) = match status {
            CertificateStatus::Expired => ("certificate-expired", "expired"),
            CertificateStatus::Revoked => ("certificate-revoked", "is revoked"),
            CertificateStatus::NotYetValid => ("certificate-not-yet-valid", "is not valid yet"),
            CertificateStatus::Valid | CertificateStatus::RotationDue => continue,
        };
        out.push(finding(
            code,
            kind,
            element,
            credential,
            format!("the current certificate of {credential} (serial {}) {what}", cert.serial_hex),
            format!("rotate it with `hopscope cert rotate {credential}`"),
        ));
    }
    out
}

/// Tells whether `inner` is a path below `outer` on the same scheme, host and
/// port, segment by segment (`/a-corp/metadata` is below `/a-corp`, `/a-corp2`
/// is not). Equal URLs are reported as duplicates instead.
fn is_nested_under(inner: &str, outer: &str) -> bool {
    let (Ok(inner), Ok(outer)) = (FhirBaseUrl::parse(inner), FhirBaseUrl::parse(outer)) else { return false };
    let (inner, outer) = (inner.as_url(), outer.as_url());
    if inner.origin() != outer.origin() {
        return false;
    }
    let segments = |url: &url::Url| -> Vec<String> {
        url.path().split('/').filter(|s| !s.is_empty()).map(str::to_string).collect()
    };
    let (inner, outer) = (segments(inner), segments(outer));
    inner.len() > outer.len() && inner.starts_with(&outer)
}

fn finding(code: &str, element_kind: &str, element: &str, value: &str, message: String, fix: String) -> TopologyFinding {
    TopologyFinding {
        code: code.to_string(),
        element_kind: element_kind.to_string(),
        element: element.to_string(),
        value: value.to_string(),
        message,
        fix,
    }
}
