//! Routing by host and path prefix, and mapping the matched prefix onto the
//! next hop's base path.

use std::net::SocketAddr;
use std::time::Duration;

use http::Uri;
use serde::{Deserialize, Serialize};

use crate::config::{RouteConfig, UpstreamConfig};
use crate::error::{Error, Result};

/// A validated route.
#[derive(Clone, Debug)]
pub(crate) struct Route {
    pub(crate) host: String,
    /// Without a trailing slash; empty for the root.
    pub(crate) prefix: String,
    pub(crate) next_hop: String,
    pub(crate) next_host: String,
    /// `host:port` of the next hop, as written into its URLs.
    next_authority: String,
    /// Without a trailing slash; empty for the root.
    next_base_path: String,
    pub(crate) forwarded: bool,
    pub(crate) via: bool,
    pub(crate) response_timeout: Duration,
}

/// The route a record names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteRecord {
    pub host: String,
    pub path_prefix: String,
    pub next_hop: String,
}

impl Route {
    fn parse(config: &RouteConfig, upstream: &UpstreamConfig) -> Result<Self> {
        let label = format!("{}{}", config.host, config.path_prefix);
        let invalid = |reason: &str| Error::InvalidUpstreamUrl {
            route: label.clone(),
            url: config.next_hop.clone(),
            reason: reason.to_string(),
        };
        let uri: Uri = config
            .next_hop
            .parse()
            .map_err(|e: http::uri::InvalidUri| invalid(&e.to_string()))?;
        if uri.scheme_str() != Some("https") {
            return Err(invalid(
                "every hop uses TLS, so the URL must start with https://",
            ));
        }
        if uri.query().is_some() {
            return Err(invalid("a base URL takes no query; remove it"));
        }
        let next_host = uri
            .host()
            .ok_or_else(|| invalid("it has no host"))?
            .to_ascii_lowercase();
        let port = uri.port_u16().unwrap_or(443);
        let address: Option<&SocketAddr> = upstream.addresses.get(&next_host);
        if address.is_none() {
            return Err(invalid(&format!(
                "no address is configured for host {next_host}; add it to the upstream address map"
            )));
        }
        if config.host.is_empty() {
            return Err(Error::InvalidConfig(format!(
                "route to {} has an empty host; set the public host name",
                config.next_hop
            )));
        }
        Ok(Self {
            host: config.host.to_ascii_lowercase(),
            prefix: normalize_path(&config.path_prefix),
            next_hop: config.next_hop.clone(),
            next_authority: format!("{next_host}:{port}"),
            next_host,
            next_base_path: normalize_path(uri.path()),
            forwarded: config.forwarded,
            via: config.via,
            response_timeout: config.response_timeout.unwrap_or(upstream.response_timeout),
        })
    }

    /// Builds the next hop's URI for a request path whose prefix matched:
    /// the prefix is replaced by the next hop's base path, the rest of the
    /// path and the query are kept byte for byte.
    pub(crate) fn upstream_uri(&self, path: &str, query: Option<&str>) -> Result<Uri, http::Error> {
        let rest = &path[self.prefix.len()..];
        let mut target = format!("{}{}", self.next_base_path, rest);
        if target.is_empty() {
            target.push('/');
        }
        if let Some(query) = query {
            target.push('?');
            target.push_str(query);
        }
        Uri::builder()
            .scheme("https")
            .authority(self.next_authority.as_str())
            .path_and_query(target)
            .build()
    }

    pub(crate) fn record(&self) -> RouteRecord {
        RouteRecord {
            host: self.host.clone(),
            path_prefix: if self.prefix.is_empty() {
                "/".into()
            } else {
                self.prefix.clone()
            },
            next_hop: self.next_hop.clone(),
        }
    }

    fn matches(&self, host: &str, path: &str) -> bool {
        if !self.host.eq_ignore_ascii_case(host) {
            return false;
        }
        match path.strip_prefix(self.prefix.as_str()) {
            Some(rest) => rest.is_empty() || rest.starts_with('/'),
            None => false,
        }
    }
}

fn normalize_path(path: &str) -> String {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        String::new()
    } else if trimmed.starts_with('/') {
        trimmed.to_string()
    } else {
        format!("/{trimmed}")
    }
}

/// The routes of one listener, longest prefix first.
#[derive(Clone, Debug, Default)]
pub(crate) struct RouteTable {
    routes: Vec<Route>,
}

impl RouteTable {
    pub(crate) fn new(configs: &[RouteConfig], upstream: &UpstreamConfig) -> Result<Self> {
        let mut routes = configs
            .iter()
            .map(|c| Route::parse(c, upstream))
            .collect::<Result<Vec<_>>>()?;
        routes.sort_by_key(|route| std::cmp::Reverse(route.prefix.len()));
        Ok(Self { routes })
    }

    /// Finds the route for a host name (without port) and a request path.
    pub(crate) fn find(&self, host: &str, path: &str) -> Option<&Route> {
        self.routes.iter().find(|r| r.matches(host, path))
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> RouteTable {
        let mut upstream = UpstreamConfig::default();
        upstream.addresses.insert(
            "int-two.internal.test".into(),
            "127.0.0.1:9444".parse().unwrap(),
        );
        upstream.addresses.insert(
            "b-corp.internal.test".into(),
            "127.0.0.1:9445".parse().unwrap(),
        );
        RouteTable::new(
            &[
                RouteConfig::new(
                    "fhir.int-one.test",
                    "/d-corp",
                    "https://int-two.internal.test:9444/",
                ),
                RouteConfig::new(
                    "fhir.b-corp.test",
                    "/r4/",
                    "https://b-corp.internal.test:9445/fhir",
                ),
                RouteConfig::new(
                    "FHIR.int-one.test",
                    "/d-corp/special",
                    "https://b-corp.internal.test:9445/x/",
                ),
            ],
            &upstream,
        )
        .unwrap()
    }

    #[test]
    fn prefix_maps_onto_base_path() {
        let table = table();
        let route = table.find("fhir.b-corp.test", "/r4/Patient/1").unwrap();
        let uri = route
            .upstream_uri("/r4/Patient/1", Some("_format=json&a=%20b"))
            .unwrap();
        assert_eq!(
            uri.to_string(),
            "https://b-corp.internal.test:9445/fhir/Patient/1?_format=json&a=%20b"
        );
    }

    #[test]
    fn root_base_path_keeps_rest() {
        let table = table();
        let route = table.find("fhir.int-one.test", "/d-corp").unwrap();
        assert_eq!(route.upstream_uri("/d-corp", None).unwrap().path(), "/");
        assert_eq!(
            route.upstream_uri("/d-corp/metadata", None).unwrap().path(),
            "/metadata"
        );
    }

    #[test]
    fn prefix_matches_whole_segments() {
        let table = table();
        assert!(table
            .find("fhir.int-one.test", "/d-corpx/Patient")
            .is_none());
        assert!(table.find("fhir.int-one.test", "/other").is_none());
        assert!(table.find("unknown.test", "/d-corp").is_none());
    }

    #[test]
    fn longest_prefix_wins() {
        let table = table();
        let route = table
            .find("fhir.int-one.test", "/d-corp/special/1")
            .unwrap();
        assert_eq!(
            route
                .upstream_uri("/d-corp/special/1", None)
                .unwrap()
                .path(),
            "/x/1"
        );
    }

    #[test]
    fn host_without_address_is_rejected() {
        let result = RouteTable::new(
            &[RouteConfig::new("a.test", "/", "https://nowhere.test/")],
            &UpstreamConfig::default(),
        );
        assert!(matches!(result, Err(Error::InvalidUpstreamUrl { .. })));
    }

    #[test]
    fn plain_http_next_hop_is_rejected() {
        let mut upstream = UpstreamConfig::default();
        upstream
            .addresses
            .insert("a.test".into(), "127.0.0.1:1".parse().unwrap());
        let result = RouteTable::new(
            &[RouteConfig::new("a.test", "/", "http://a.test/")],
            &upstream,
        );
        assert!(matches!(result, Err(Error::InvalidUpstreamUrl { .. })));
    }
}
