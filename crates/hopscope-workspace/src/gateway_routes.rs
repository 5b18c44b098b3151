//! The mapping of a topology onto gateway listeners: the port of each hop, the
//! routes each intermediary forwards by, and the address of every host name:
//! loopback, or the operator's address for an external destination. Pure functions over [`Topology`], so they are tested without
//! certificates.

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use hopscope_gateway::RouteConfig;
use url::Url;

use crate::{DestinationView, Error, IntermediaryView, Result, Topology};

/// The listeners and routes of a topology, without certificates.
#[derive(Debug, Clone)]
pub struct RoutePlan {
    /// One per intermediary, in topology order.
    pub intermediaries: Vec<PlannedIntermediary>,
    /// One per destination, in topology order.
    pub destinations: Vec<PlannedDestination>,
    /// Every host name of the topology mapped to 127.0.0.1 (or an external
    /// destination's address) and the port its URLs name.
    pub addresses: HashMap<String, SocketAddr>,
}

#[derive(Debug, Clone)]
pub struct PlannedIntermediary {
    pub name: String,
    pub port: u16,
    pub routes: Vec<RouteConfig>,
}

#[derive(Debug, Clone)]
pub struct PlannedDestination {
    pub name: String,
    pub port: u16,
    /// Host of the private URL, which its certificate must cover.
    pub private_host: String,
    /// Path of the private URL without a trailing slash (`/fhir`).
    pub base_path: String,
    /// Public base URL without a trailing slash.
    pub public_base_url: String,
    /// The intermediaries from the inbound gateway on; empty when the
    /// destination has no route and no request can reach it.
    pub route: Vec<String>,
    /// For an external destination, the address of the server the operator
    /// runs; the gateway starts nothing for it.
    pub external: Option<IpAddr>,
}

/// Maps the topology onto listeners on 127.0.0.1 and routes.
///
/// At the inbound gateway a destination's route matches the public URL's
/// host and path. At a delegated intermediary it matches the intermediary's
/// own host and the path `<listen path>/<destination>`. Each hop forwards to
/// that path at the next delegated intermediary, or to the destination's
/// private URL after the last one.
pub fn plan_routes(topology: &Topology) -> Result<RoutePlan> {
    let mut intermediaries = Vec::new();
    for intermediary in &topology.intermediaries {
        intermediaries.push(PlannedIntermediary {
            name: intermediary.name.clone(),
            port: intermediary_port(intermediary)?,
            routes: Vec::new(),
        });
    }

    let mut destinations = Vec::new();
    for destination in &topology.destinations {
        let private = parse_url(&destination.private_url, "private URL", &destination.name)?;
        destinations.push(PlannedDestination {
            external: external_ip(destination)?,
            name: destination.name.clone(),
            port: port_of(&private),
            private_host: host_of(&private, &destination.name)?,
            base_path: trimmed_path(&private),
            public_base_url: destination.public_url.trim_end_matches('/').to_string(),
            route: destination.route.clone(),
        });
        add_routes(topology, destination, &mut intermediaries)?;
    }

    check_unique_ports(&intermediaries, &destinations)?;
    Ok(RoutePlan {
        addresses: loopback_addresses(topology)?,
        intermediaries,
        destinations,
    })
}

/// Adds the route of `destination` to each intermediary on its path.
fn add_routes(
    topology: &Topology,
    destination: &DestinationView,
    intermediaries: &mut [PlannedIntermediary],
) -> Result<()> {
    for (position, hop) in destination.route.iter().enumerate() {
        let (host, path_prefix) = if position == 0 {
            let public = parse_url(&destination.public_url, "public URL", &destination.name)?;
            (host_of(&public, &destination.name)?, prefix_or_root(trimmed_path(&public)))
        } else {
            let listen = first_listen_url(find_intermediary(topology, hop)?)?;
            (host_of(&listen, hop)?, format!("{}/{}", trimmed_path(&listen), destination.name))
        };
        let next_hop = match destination.route.get(position + 1) {
            Some(next) => {
                let listen = first_listen_url(find_intermediary(topology, next)?)?;
                format!("{}/{}", listen.as_str().trim_end_matches('/'), destination.name)
            }
            None => destination.private_url.trim_end_matches('/').to_string(),
        };
        let planned = intermediaries.iter_mut().find(|i| &i.name == hop).ok_or_else(|| {
            Error::Invalid(format!(
                "the route of destination \"{}\" names intermediary \"{hop}\", which is not in the topology; set the route again with `hopscope route add`",
                destination.name
            ))
        })?;
        let settings = find_intermediary(topology, hop)?;
        let mut route = RouteConfig::new(host, path_prefix, next_hop);
        route.forwarded = settings.add_forwarded;
        route.via = settings.add_via;
        planned.routes.push(route);
    }
    Ok(())
}

/// Returns the one port an intermediary listens on. Its listen URLs may name
/// several hosts, but one listener serves them all, so they share a port.
fn intermediary_port(intermediary: &IntermediaryView) -> Result<u16> {
    let mut ports = BTreeMap::new();
    for text in &intermediary.listen_urls {
        let url = parse_url(text, "listen URL", &intermediary.name)?;
        ports.insert(port_of(&url), text.clone());
    }
    match ports.len() {
        0 => Err(Error::Invalid(format!(
            "intermediary \"{}\" has no listen URL; add it again with --listen URL",
            intermediary.name
        ))),
        1 => Ok(*ports.keys().next().expect("one port")),
        _ => Err(Error::Invalid(format!(
            "intermediary \"{}\" listens on several ports ({}); the gateway runs one listener per intermediary, so give its listen URLs one port",
            intermediary.name,
            ports.keys().map(u16::to_string).collect::<Vec<_>>().join(", ")
        ))),
    }
}

fn check_unique_ports(intermediaries: &[PlannedIntermediary], destinations: &[PlannedDestination]) -> Result<()> {
    let mut owners: BTreeMap<u16, &str> = BTreeMap::new();
    // An external destination takes a port on 127.0.0.1 only when it runs
    // there; elsewhere it cannot clash with a listener.
    let on_listener_address = |d: &&PlannedDestination| d.external.is_none_or(|ip| ip == IpAddr::V4(Ipv4Addr::LOCALHOST));
    let hops = intermediaries
        .iter()
        .map(|i| (i.port, i.name.as_str()))
        .chain(destinations.iter().filter(on_listener_address).map(|d| (d.port, d.name.as_str())));
    for (port, name) in hops {
        if let Some(other) = owners.insert(port, name) {
            return Err(Error::Invalid(format!(
                "\"{other}\" and \"{name}\" both need port {port} on 127.0.0.1; give one of them a URL with another port"
            )));
        }
    }
    Ok(())
}

/// Maps every host name of the topology to 127.0.0.1 at its URL's port, and
/// the private host of an external destination to its address.
fn loopback_addresses(topology: &Topology) -> Result<HashMap<String, SocketAddr>> {
    let loopback = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let mut urls: Vec<(&str, &str, IpAddr)> = Vec::new();
    for destination in &topology.destinations {
        urls.push((&destination.public_url, &destination.name, loopback));
        let private_ip = external_ip(destination)?.unwrap_or(loopback);
        urls.push((&destination.private_url, &destination.name, private_ip));
    }
    for intermediary in &topology.intermediaries {
        for url in &intermediary.listen_urls {
            urls.push((url, &intermediary.name, loopback));
        }
    }

    let mut addresses: HashMap<String, SocketAddr> = HashMap::new();
    for (text, owner, ip) in urls {
        let url = parse_url(text, "URL", owner)?;
        let host = host_of(&url, owner)?;
        let address = SocketAddr::new(ip, port_of(&url));
        match addresses.insert(host.clone(), address) {
            Some(previous) if previous != address => {
                return Err(Error::Invalid(format!(
                    "host {host} maps to both {previous} and {address} in the topology; the gateway maps each host to one address and port, so use one port per host and give an external destination a host of its own"
                )));
            }
            _ => {}
        }
    }
    Ok(addresses)
}

/// Returns the address of an external destination, or `None` for one the
/// gateway starts itself.
fn external_ip(destination: &DestinationView) -> Result<Option<IpAddr>> {
    if !destination.external {
        return Ok(None);
    }
    let text = destination.external_address.as_deref().unwrap_or("127.0.0.1");
    text.parse().map(Some).map_err(|e| {
        Error::Invalid(format!(
            "external destination \"{}\" has the invalid address {text} ({e}); set one with `hopscope destination update {} --external true --address IP`",
            destination.name, destination.name
        ))
    })
}

fn find_intermediary<'a>(topology: &'a Topology, name: &str) -> Result<&'a IntermediaryView> {
    topology.intermediaries.iter().find(|i| i.name == name).ok_or_else(|| Error::NotFound {
        kind: "intermediary",
        name: name.to_string(),
        hint: "add it with `hopscope intermediary add` or list them with `hopscope topology show`".into(),
    })
}

/// Returns the URL a previous hop uses to reach a delegated intermediary:
/// its first listen URL.
fn first_listen_url(intermediary: &IntermediaryView) -> Result<Url> {
    let text = intermediary.listen_urls.first().ok_or_else(|| {
        Error::Invalid(format!(
            "intermediary \"{}\" has no listen URL; add it again with --listen URL",
            intermediary.name
        ))
    })?;
    parse_url(text, "listen URL", &intermediary.name)
}

fn parse_url(text: &str, what: &str, owner: &str) -> Result<Url> {
    Url::parse(text).map_err(|e| Error::Invalid(format!("invalid {what} {text} of \"{owner}\": {e}")))
}

fn host_of(url: &Url, owner: &str) -> Result<String> {
    url.host_str()
        .map(str::to_ascii_lowercase)
        .ok_or_else(|| Error::Invalid(format!("URL {url} of \"{owner}\" has no host; use an https URL with a host name")))
}

/// Returns the URL's port, or 443 when it names none.
fn port_of(url: &Url) -> u16 {
    url.port_or_known_default().unwrap_or(443)
}

fn trimmed_path(url: &Url) -> String {
    url.path().trim_end_matches('/').to_string()
}

fn prefix_or_root(path: String) -> String {
    if path.is_empty() {
        "/".to_string()
    } else {
        path
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::IntermediaryKind;

    fn demo_topology() -> Topology {
        Topology {
            destinations: vec![
                DestinationView {
                    name: "b-corp".into(),
                    public_url: "https://fhir.b-corp.test:8443/r4".into(),
                    private_url: "https://b-corp.internal.test:9445/fhir".into(),
                    endpoint_credential: Some("b-corp-private".into()),
                    signing_credential: Some("b-corp-signing".into()),
                    route: vec!["int-one".into()],
                    external: false,
                    external_address: None,
                },
                DestinationView {
                    name: "d-corp".into(),
                    public_url: "https://fhir.int-one.test:8443/d-corp".into(),
                    private_url: "https://d-corp.internal.test:9443/fhir".into(),
                    endpoint_credential: Some("d-corp-private".into()),
                    signing_credential: Some("d-corp-signing".into()),
                    route: vec!["int-one".into(), "int-two".into()],
                    external: false,
                    external_address: None,
                },
            ],
            intermediaries: vec![
                IntermediaryView {
                    name: "int-one".into(),
                    kind: IntermediaryKind::InboundGateway,
                    listen_urls: vec!["https://fhir.int-one.test:8443/".into(), "https://fhir.b-corp.test:8443/".into()],
                    credentials: vec!["d-corp-public".into(), "b-corp-public".into()],
                    add_forwarded: false,
                    add_via: true,
                },
                IntermediaryView {
                    name: "int-two".into(),
                    kind: IntermediaryKind::Delegated,
                    listen_urls: vec!["https://int-two.internal.test:9444/".into()],
                    credentials: vec!["int-two-private".into()],
                    add_forwarded: true,
                    add_via: false,
                },
            ],
        }
    }

    #[test]
    fn routes_carry_forwarding_settings() {
        let plan = plan_routes(&demo_topology()).unwrap();
        let flags = |hop: &str| -> Vec<(bool, bool)> {
            let planned = plan.intermediaries.iter().find(|i| i.name == hop).unwrap();
            planned.routes.iter().map(|r| (r.forwarded, r.via)).collect()
        };

        assert!(flags("int-one").iter().all(|f| *f == (false, true)), "{:?}", flags("int-one"));
        assert!(flags("int-two").iter().all(|f| *f == (true, false)), "{:?}", flags("int-two"));
    }

    fn routes(plan: &RoutePlan, hop: &str) -> Vec<(String, String, String)> {
        let intermediary = plan.intermediaries.iter().find(|i| i.name == hop).unwrap();
        intermediary
            .routes
            .iter()
            .map(|r| (r.host.clone(), r.path_prefix.clone(), r.next_hop.clone()))
            .collect()
    }

    #[test]
    fn demo_routes_per_hop() {
        let plan = plan_routes(&demo_topology()).unwrap();

        assert_eq!(
            routes(&plan, "int-one"),
            [
                ("fhir.b-corp.test".into(), "/r4".into(), "https://b-corp.internal.test:9445/fhir".into()),
                ("fhir.int-one.test".into(), "/d-corp".into(), "https://int-two.internal.test:9444/d-corp".into()),
            ]
        );
        assert_eq!(
            routes(&plan, "int-two"),
            [("int-two.internal.test".into(), "/d-corp".into(), "https://d-corp.internal.test:9443/fhir".into())]
        );
    }

    #[test]
    fn demo_ports_and_paths() {
        let plan = plan_routes(&demo_topology()).unwrap();

        let ports: Vec<(&str, u16)> = plan.intermediaries.iter().map(|i| (i.name.as_str(), i.port)).collect();
        assert_eq!(ports, [("int-one", 8443), ("int-two", 9444)]);
        let d_corp = plan.destinations.iter().find(|d| d.name == "d-corp").unwrap();
        assert_eq!(d_corp.port, 9443);
        assert_eq!(d_corp.private_host, "d-corp.internal.test");
        assert_eq!(d_corp.base_path, "/fhir");
        assert_eq!(d_corp.public_base_url, "https://fhir.int-one.test:8443/d-corp");
    }

    #[test]
    fn demo_hosts_map_to_loopback() {
        let plan = plan_routes(&demo_topology()).unwrap();

        let expected = [
            ("fhir.int-one.test", 8443),
            ("fhir.b-corp.test", 8443),
            ("int-two.internal.test", 9444),
            ("d-corp.internal.test", 9443),
            ("b-corp.internal.test", 9445),
        ];
        assert_eq!(plan.addresses.len(), expected.len(), "{:?}", plan.addresses);
        for (host, port) in expected {
            assert_eq!(plan.addresses.get(host), Some(&SocketAddr::from((Ipv4Addr::LOCALHOST, port))), "{host}");
        }
    }

    #[test]
    fn root_public_path_matches_every_path() {
        let mut topology = demo_topology();
        topology.destinations[0].public_url = "https://fhir.b-corp.test:8443".into();

        let plan = plan_routes(&topology).unwrap();

        assert_eq!(routes(&plan, "int-one")[0].1, "/");
    }

    #[test]
    fn external_destination_maps_to_its_address() {
        let mut topology = demo_topology();
        topology.destinations[1].external = true;
        topology.destinations[1].external_address = Some("127.0.0.2".into());
        // A port an intermediary uses on 127.0.0.1 is free on 127.0.0.2.
        topology.destinations[1].private_url = "https://d-corp.internal.test:9444/fhir".into();

        let plan = plan_routes(&topology).unwrap();

        let d_corp = plan.destinations.iter().find(|d| d.name == "d-corp").unwrap();
        assert_eq!(d_corp.external, Some(IpAddr::from([127, 0, 0, 2])));
        assert_eq!(plan.addresses.get("d-corp.internal.test"), Some(&SocketAddr::from(([127, 0, 0, 2], 9444))));
        let b_corp = plan.destinations.iter().find(|d| d.name == "b-corp").unwrap();
        assert_eq!(b_corp.external, None);
    }

    #[test]
    fn external_destination_on_loopback_keeps_port_check() {
        let mut topology = demo_topology();
        topology.destinations[1].external = true;
        topology.destinations[1].private_url = "https://d-corp.internal.test:9444/fhir".into();

        let error = plan_routes(&topology).unwrap_err().to_string();

        assert!(error.contains("port 9444"), "{error}");
    }

    #[test]
    fn shared_port_is_rejected() {
        let mut topology = demo_topology();
        topology.destinations[1].private_url = "https://d-corp.internal.test:9444/fhir".into();

        let error = plan_routes(&topology).unwrap_err().to_string();

        assert!(error.contains("port 9444"), "{error}");
        assert!(error.contains("int-two"), "{error}");
    }

    #[test]
    fn intermediary_with_two_ports_is_rejected() {
        let mut topology = demo_topology();
        topology.intermediaries[0].listen_urls.push("https://fhir.int-one.test:8444/".into());

        let error = plan_routes(&topology).unwrap_err().to_string();

        assert!(error.contains("several ports"), "{error}");
    }
}
