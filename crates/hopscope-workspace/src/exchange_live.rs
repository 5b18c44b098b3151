//! Live figures of the exchange traffic, read from the stored hop records of
//! the last minutes. The topology shows each participant's certificate
//! status and fault and each edge's request count. The figures are requests
//! per second and p50/p99 durations per hop over time.
//!
//! Both read the records, not a running gateway's counters, so they show
//! the traffic of a gateway that another process (`hopscope gateway run`)
//! runs as well as the app's own.

use std::collections::{BTreeMap, HashMap};

use hopscope_gateway::Fault;
use hopscope_pki::Role;
use hopscope_store::exchange_index::{self, WindowRecord};
use serde::{Deserialize, Serialize};

use crate::{CertificateStatus, CredentialSummary, DestinationView, Error, IntermediaryKind, Result, Topology, Workspace};

/// Maximum window of the live figures, in seconds.
pub const MAX_WINDOW_SECONDS: u32 = 3600;
/// Days before expiry from which a certificate counts as expiring, as the
/// certificate list colours it amber.
const EXPIRING_DAYS: i64 = 30;
/// Name of the node that stands for clients other than the originator
/// simulator, such as curl.
pub const OTHER_CLIENTS: &str = "other clients";

/// The topology with live request counts.
#[derive(Debug, Clone, Serialize)]
pub struct LiveTopology {
    /// Originators first, then intermediaries, then destinations.
    pub nodes: Vec<LiveNode>,
    pub edges: Vec<LiveEdge>,
    /// Width of the window in seconds: the counts cover the exchanges that
    /// started this long ago or later.
    pub window_seconds: u32,
}

/// One participant of the topology.
#[derive(Debug, Clone, Serialize)]
pub struct LiveNode {
    pub name: String,
    pub kind: NodeKind,
    /// Listen URLs of an intermediary, public and private URL of a
    /// destination, client URI of an originator.
    pub urls: Vec<String>,
    pub credentials: Vec<NodeCredential>,
    /// The worst status of its credentials' current certificates.
    pub certificate_status: NodeCertificateStatus,
    /// The fault stored for an intermediary; always `None` for the others.
    pub fault: Option<Fault>,
    /// Hop records it wrote in the window (for a destination without
    /// records: the requests forwarded to it).
    pub requests: u64,
}

/// The kind of a topology node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NodeKind {
    Originator,
    /// Clients other than the originator simulator; a node only when such
    /// a client sent requests in the window.
    Client,
    InboundGateway,
    Delegated,
    Destination,
}

/// A credential of a node and the status of its current certificate.
#[derive(Debug, Clone, Serialize)]
pub struct NodeCredential {
    pub name: String,
    pub status: CertificateStatus,
    pub days_left: i64,
}

/// Certificate status of a node, in increasing order of concern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NodeCertificateStatus {
    Valid,
    /// Expires within 30 days, or is due for rotation.
    Expiring,
    Expired,
    /// Not valid yet, or revoked.
    Invalid,
    /// A credential the node needs is not in the workspace.
    Missing,
}

/// A leg of a route, with the requests that crossed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LiveEdge {
    pub from: String,
    pub to: String,
    /// Exchanges in the window that crossed this leg.
    pub requests: u64,
}

/// The window of the figures and the width of their buckets.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(default)]
pub struct FiguresRequest {
    pub window_seconds: u32,
    pub bucket_seconds: u32,
}

impl Default for FiguresRequest {
    fn default() -> Self {
        Self { window_seconds: 300, bucket_seconds: 5 }
    }
}

/// Request rate and durations per hop over time, as uPlot plots them: one x
/// array and one y array per series.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HopFigures {
    /// Start of each bucket, in seconds since the Unix epoch.
    pub buckets: Vec<f64>,
    pub bucket_seconds: u32,
    /// One series per participant that wrote records in the window.
    pub series: Vec<HopSeries>,
}

/// The figures of one participant.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HopSeries {
    pub hop: String,
    /// Records per second in each bucket.
    pub requests_per_second: Vec<f64>,
    /// Median record duration in each bucket in milliseconds; `None` when
    /// the bucket has no record.
    pub p50_ms: Vec<Option<f64>>,
    /// 99th percentile record duration (nearest rank), in milliseconds.
    pub p99_ms: Vec<Option<f64>>,
}

impl Workspace {
    /// Returns the topology's participants and route legs with the requests
    /// of the exchanges that started in the last `window_seconds`.
    pub async fn live_topology(&self, window_seconds: u32) -> Result<LiveTopology> {
        check_window(window_seconds)?;
        let topology = self.topology().await?;
        let credentials = self.list_credentials(None).await?;
        let faults = self.faults().await?;
        let records = self.records_since(window_seconds).await?;
        Ok(live_topology(&topology, &credentials, &faults, &records, window_seconds))
    }

    /// Returns requests per second and p50/p99 durations per participant in
    /// buckets over the last `window_seconds`.
    pub async fn hop_figures(&self, request: &FiguresRequest) -> Result<HopFigures> {
        check_window(request.window_seconds)?;
        if request.bucket_seconds == 0 || request.bucket_seconds > request.window_seconds {
            return Err(Error::Invalid(format!(
                "bucket of {} s does not fit the window of {} s; choose 1 s up to the window",
                request.bucket_seconds, request.window_seconds
            )));
        }
        let records = self.records_since(request.window_seconds).await?;
        Ok(hop_figures(&records, unix_ms_now(), request))
    }

    async fn records_since(&self, window_seconds: u32) -> Result<Vec<WindowRecord>> {
        let since = unix_ms_now() - i64::from(window_seconds) * 1000;
        let mut conn = self.conn().await?;
        Ok(exchange_index::records_since(&mut conn, since).await?)
    }
}

fn check_window(window_seconds: u32) -> Result<()> {
    if window_seconds == 0 || window_seconds > MAX_WINDOW_SECONDS {
        return Err(Error::Invalid(format!(
            "window of {window_seconds} s is out of range; choose 1 to {MAX_WINDOW_SECONDS} seconds"
        )));
    }
    Ok(())
}

fn unix_ms_now() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

fn node_status(credentials: &[NodeCredential], needed: usize) -> NodeCertificateStatus {
    let mut status = if credentials.len() < needed { NodeCertificateStatus::Missing } else { NodeCertificateStatus::Valid };
    for credential in credentials {
        let this = match credential.status {
            CertificateStatus::Expired => NodeCertificateStatus::Expired,
            CertificateStatus::Revoked | CertificateStatus::NotYetValid => NodeCertificateStatus::Invalid,
            CertificateStatus::RotationDue => NodeCertificateStatus::Expiring,
            CertificateStatus::Valid if credential.days_left <= EXPIRING_DAYS => NodeCertificateStatus::Expiring,
            CertificateStatus::Valid => NodeCertificateStatus::Valid,
        };
        status = status.max(this);
    }
    status
}

/// Builds the live topology from the workspace's state and the records of
/// the window.
fn live_topology(
    topology: &Topology,
    credentials: &[CredentialSummary],
    faults: &BTreeMap<String, Fault>,
    records: &[WindowRecord],
    window_seconds: u32,
) -> LiveTopology {
    let credential = |name: &str| {
        credentials.iter().find(|c| c.name == name).map(|c| NodeCredential {
            name: c.name.clone(),
            status: c.status,
            days_left: c.days_left,
        })
    };
    let traffic = Traffic::of(topology, records);
    let mut nodes = Vec::new();

    for originator in credentials.iter().filter(|c| c.role == Role::Originator) {
        let own = vec![NodeCredential { name: originator.name.clone(), status: originator.status, days_left: originator.days_left }];
        nodes.push(LiveNode {
            name: originator.name.clone(),
            kind: NodeKind::Originator,
            urls: originator.url.clone().into_iter().collect(),
            certificate_status: node_status(&own, 1),
            credentials: own,
            fault: None,
            requests: traffic.exchanges_from(&originator.name),
        });
    }
    let other_clients = traffic.exchanges_from(OTHER_CLIENTS);
    if other_clients > 0 {
        nodes.push(LiveNode {
            name: OTHER_CLIENTS.into(),
            kind: NodeKind::Client,
            urls: Vec::new(),
            credentials: Vec::new(),
            certificate_status: NodeCertificateStatus::Valid,
            fault: None,
            requests: other_clients,
        });
    }
    for intermediary in &topology.intermediaries {
        let own: Vec<NodeCredential> = intermediary.credentials.iter().filter_map(|name| credential(name)).collect();
        nodes.push(LiveNode {
            name: intermediary.name.clone(),
            kind: match intermediary.kind {
                IntermediaryKind::InboundGateway => NodeKind::InboundGateway,
                IntermediaryKind::Delegated => NodeKind::Delegated,
            },
            urls: intermediary.listen_urls.clone(),
            certificate_status: node_status(&own, intermediary.credentials.len().max(1)),
            credentials: own,
            fault: faults.get(&intermediary.name).cloned(),
            requests: traffic.records_of(&intermediary.name),
        });
    }
    for destination in &topology.destinations {
        let names: Vec<&String> = destination.endpoint_credential.iter().chain(destination.signing_credential.iter()).collect();
        let own: Vec<NodeCredential> = names.iter().filter_map(|name| credential(name)).collect();
        // An external destination needs no destination-signing credential
        // of the workspace.
        let needed = if destination.external { 1 } else { 2 };
        nodes.push(LiveNode {
            name: destination.name.clone(),
            kind: NodeKind::Destination,
            urls: vec![destination.public_url.clone(), destination.private_url.clone()],
            certificate_status: node_status(&own, needed),
            credentials: own,
            fault: None,
            requests: traffic.reached(destination),
        });
    }
    LiveTopology { nodes, edges: traffic.edges(topology, credentials), window_seconds }
}

/// The exchanges of the window, each with the participants it reached.
struct Traffic<'a> {
    /// Per exchange: its client (originator name or [`OTHER_CLIENTS`]), its
    /// destination, and the hops that wrote records.
    exchanges: Vec<(String, Option<String>, Vec<&'a str>)>,
    records_per_hop: HashMap<&'a str, u64>,
}

impl<'a> Traffic<'a> {
    fn of(topology: &Topology, records: &'a [WindowRecord]) -> Traffic<'a> {
        let prefixes = crate::exchange_list::public_url_prefixes(topology);
        let mut exchanges = Vec::new();
        let mut records_per_hop: HashMap<&str, u64> = HashMap::new();
        for group in records.chunk_by(|a, b| a.exchange_rowid == b.exchange_rowid) {
            let first = &group[0];
            let client = first.originator.clone().unwrap_or_else(|| OTHER_CLIENTS.to_string());
            let destination = first.destination.clone().or_else(|| {
                let (authority, path) = crate::exchange_list::split_target(&first.target);
                crate::exchange_list::destination_for_target(authority.as_deref(), &path, &prefixes)
            });
            let hops: Vec<&str> = group.iter().map(|r| r.hop.as_str()).collect();
            for hop in &hops {
                *records_per_hop.entry(hop).or_default() += 1;
            }
            exchanges.push((client, destination, hops));
        }
        Traffic { exchanges, records_per_hop }
    }

    fn exchanges_from(&self, client: &str) -> u64 {
        self.exchanges.iter().filter(|(c, _, _)| c == client).count() as u64
    }

    fn records_of(&self, hop: &str) -> u64 {
        self.records_per_hop.get(hop).copied().unwrap_or(0)
    }

    /// Counts the exchanges that reached a destination: those with its own
    /// record when it writes records (a destination simulator), else those
    /// for it whose route's last intermediary wrote a record (a stub or an
    /// external server).
    fn reached(&self, destination: &DestinationView) -> u64 {
        let name = destination.name.as_str();
        let own = self.exchanges.iter().filter(|(_, _, hops)| hops.contains(&name)).count() as u64;
        if own > 0 {
            return own;
        }
        let Some(last) = destination.route.last() else { return 0 };
        self.exchanges
            .iter()
            .filter(|(_, d, hops)| d.as_deref() == Some(name) && hops.contains(&last.as_str()))
            .count() as u64
    }

    /// Counts, for every leg of every route (client to inbound gateway,
    /// intermediary to intermediary, last intermediary to destination), the
    /// exchanges for that route's destination whose records show they
    /// crossed it.
    fn edges(&self, topology: &Topology, credentials: &[CredentialSummary]) -> Vec<LiveEdge> {
        let mut counts: BTreeMap<(String, String), u64> = BTreeMap::new();
        let mut order: Vec<(String, String)> = Vec::new();
        let mut leg = |from: &str, to: &str, add: u64| {
            let key = (from.to_string(), to.to_string());
            if !counts.contains_key(&key) {
                order.push(key.clone());
            }
            *counts.entry(key).or_default() += add;
        };
        let clients: Vec<String> = credentials
            .iter()
            .filter(|c| c.role == Role::Originator)
            .map(|c| c.name.clone())
            .chain(std::iter::once(OTHER_CLIENTS.to_string()))
            .collect();
        for destination in &topology.destinations {
            let Some(first) = destination.route.first() else { continue };
            let mine: Vec<&(String, Option<String>, Vec<&str>)> =
                self.exchanges.iter().filter(|(_, d, _)| d.as_deref() == Some(destination.name.as_str())).collect();
            for client in &clients {
                let crossed = mine.iter().filter(|(c, _, hops)| c == client && hops.contains(&first.as_str())).count() as u64;
                if client != OTHER_CLIENTS || crossed > 0 {
                    leg(client, first, crossed);
                }
            }
            for pair in destination.route.windows(2) {
                let crossed = mine.iter().filter(|(_, _, hops)| hops.contains(&pair[1].as_str())).count() as u64;
                leg(&pair[0], &pair[1], crossed);
            }
            let last = destination.route.last().expect("the route has a first hop");
            leg(last, &destination.name, self.reached(destination));
        }
        order
            .into_iter()
            .map(|key| {
                let requests = counts[&key];
                LiveEdge { from: key.0, to: key.1, requests }
            })
            .collect()
    }
}

/// Buckets the records of the window ending at `now_ms` per participant.
fn hop_figures(records: &[WindowRecord], now_ms: i64, request: &FiguresRequest) -> HopFigures {
    let bucket_ms = i64::from(request.bucket_seconds) * 1000;
    let buckets = (i64::from(request.window_seconds) * 1000 / bucket_ms).max(1) as usize;
    // Buckets end at the current bucket's end, so the newest one fills up.
    let end = (now_ms.div_euclid(bucket_ms) + 1) * bucket_ms;
    let start = end - buckets as i64 * bucket_ms;

    let mut durations: BTreeMap<&str, Vec<Vec<f64>>> = BTreeMap::new();
    for record in records {
        if record.started_at_ms < start || record.started_at_ms >= end {
            continue;
        }
        let index = ((record.started_at_ms - start) / bucket_ms) as usize;
        durations.entry(record.hop.as_str()).or_insert_with(|| vec![Vec::new(); buckets])[index].push(record.duration_ms);
    }
    let series = durations
        .into_iter()
        .map(|(hop, mut per_bucket)| {
            let mut series = HopSeries {
                hop: hop.to_string(),
                requests_per_second: Vec::with_capacity(buckets),
                p50_ms: Vec::with_capacity(buckets),
                p99_ms: Vec::with_capacity(buckets),
            };
            for values in &mut per_bucket {
                values.sort_by(f64::total_cmp);
                series.requests_per_second.push(values.len() as f64 / f64::from(request.bucket_seconds));
                series.p50_ms.push(nearest_rank(values, 0.50));
                series.p99_ms.push(nearest_rank(values, 0.99));
            }
            series
        })
        .collect();
    HopFigures {
        buckets: (0..buckets).map(|i| (start + i as i64 * bucket_ms) as f64 / 1000.0).collect(),
        bucket_seconds: request.bucket_seconds,
        series,
    }
}

/// Returns the nearest-rank percentile of sorted values: the smallest value
/// with at least `fraction` of the values at or below it.
fn nearest_rank(sorted: &[f64], fraction: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (fraction * sorted.len() as f64).ceil().max(1.0) as usize;
    Some(sorted[rank.min(sorted.len()) - 1])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::IntermediaryView;

    fn window_record(exchange: i64, hop: &str, at: i64, ms: f64) -> WindowRecord {
        WindowRecord {
            exchange_rowid: exchange,
            target: "/d-corp/metadata".into(),
            originator: None,
            destination: None,
            hop: hop.into(),
            started_at_ms: at,
            duration_ms: ms,
            status: Some(200),
        }
    }

    #[test]
    fn nearest_rank_percentiles() {
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(nearest_rank(&values, 0.50), Some(50.0));
        assert_eq!(nearest_rank(&values, 0.99), Some(99.0));
        assert_eq!(nearest_rank(&[7.0], 0.99), Some(7.0));
        assert_eq!(nearest_rank(&[], 0.5), None);
    }

    #[test]
    fn figures_bucket_per_hop() {
        let now = 1_000_000;
        let request = FiguresRequest { window_seconds: 10, bucket_seconds: 5 };
        let records = [
            window_record(1, "int-one", 991_000, 4.0),
            window_record(1, "int-two", 991_001, 2.0),
            window_record(2, "int-one", 999_000, 6.0),
            window_record(3, "int-one", 1_000_500, 8.0),
            // Before the window.
            window_record(4, "int-one", 980_000, 100.0),
        ];

        let figures = hop_figures(&records, now, &request);

        assert_eq!(figures.buckets, [995.0, 1000.0]);
        let int_one = figures.series.iter().find(|s| s.hop == "int-one").unwrap();
        assert_eq!(int_one.requests_per_second, [0.2, 0.2]);
        assert_eq!(int_one.p50_ms, [Some(6.0), Some(8.0)]);
        let int_two = figures.series.iter().find(|s| s.hop == "int-two");
        assert!(int_two.is_none(), "int-two's record is before the first bucket: {figures:?}");
    }

    fn demo() -> (Topology, Vec<CredentialSummary>) {
        let destination = DestinationView {
            name: "d-corp".into(),
            public_url: "https://fhir.int-one.test:8443/d-corp".into(),
            private_url: "https://d-corp.internal.test:9443/fhir".into(),
            endpoint_credential: Some("d-corp-private".into()),
            signing_credential: Some("d-corp-signing".into()),
            route: vec!["int-one".into(), "int-two".into()],
            external: false,
            external_address: None,
        };
        let intermediary = |name: &str, kind| IntermediaryView {
            name: name.into(),
            kind,
            listen_urls: vec![format!("https://{name}.test:8443/")],
            credentials: vec![format!("{name}-cert")],
            add_forwarded: false,
            add_via: false,
        };
        let topology = Topology {
            destinations: vec![destination],
            intermediaries: vec![intermediary("int-one", IntermediaryKind::InboundGateway), intermediary("int-two", IntermediaryKind::Delegated)],
        };
        let summary = |name: &str, role: Role, status, days_left| {
            let at = time::OffsetDateTime::UNIX_EPOCH;
            CredentialSummary {
                name: name.into(),
                role,
                url: (role == Role::Originator).then(|| "https://clinic-a.test/apps/scheduler".to_string()),
                authority: None,
                subject: String::new(),
                serial: String::new(),
                not_before: at,
                not_after: at,
                days_left,
                status,
                key_type: "ecdsa-p256".into(),
                has_key: true,
                sha256_fingerprint: String::new(),
                rotation_due_at: at,
                auto_rotate: false,
                versions: 1,
            }
        };
        let credentials = vec![
            summary("clinic-a", Role::Originator, CertificateStatus::Valid, 80),
            summary("int-one-cert", Role::PublicEndpoint, CertificateStatus::Valid, 10),
            summary("int-two-cert", Role::PrivateEndpoint, CertificateStatus::Expired, -1),
            summary("d-corp-private", Role::PrivateEndpoint, CertificateStatus::Valid, 80),
        ];
        (topology, credentials)
    }

    #[test]
    fn topology_counts_legs_and_statuses() {
        let (topology, credentials) = demo();
        let mut faults = BTreeMap::new();
        faults.insert("int-two".to_string(), Fault::TamperBody);
        let mut records = Vec::new();
        // A scenario exchange that reached the destination simulator.
        for hop in ["clinic-a", "int-one", "int-two", "d-corp"] {
            let mut record = window_record(1, hop, 1000, 1.0);
            record.originator = Some("clinic-a".into());
            record.destination = Some("d-corp".into());
            records.push(record);
        }
        // A curl request to which int-two sent the response itself.
        records.push(window_record(2, "int-one", 2000, 1.0));
        records.push(window_record(2, "int-two", 2000, 1.0));

        let live = live_topology(&topology, &credentials, &faults, &records, 60);

        let node = |name: &str| live.nodes.iter().find(|n| n.name == name).unwrap();
        assert_eq!(node("clinic-a").requests, 1);
        assert_eq!(node(OTHER_CLIENTS).requests, 1);
        assert_eq!(node("int-one").requests, 2);
        assert_eq!(node("int-one").certificate_status, NodeCertificateStatus::Expiring);
        assert_eq!(node("int-two").certificate_status, NodeCertificateStatus::Expired);
        assert_eq!(node("int-two").fault, Some(Fault::TamperBody));
        assert_eq!(node("d-corp").certificate_status, NodeCertificateStatus::Missing, "the signing credential is missing");
        let edge = |from: &str, to: &str| live.edges.iter().find(|e| e.from == from && e.to == to).map(|e| e.requests);
        assert_eq!(edge("clinic-a", "int-one"), Some(1));
        assert_eq!(edge(OTHER_CLIENTS, "int-one"), Some(1));
        assert_eq!(edge("int-one", "int-two"), Some(2));
        assert_eq!(edge("int-two", "d-corp"), Some(1), "d-corp writes records, and the curl request has none of it");
    }
}
