//! A running test gateway of a workspace, shared by `hopscope gateway run`
//! and the desktop app: the stub destinations, the engine, the record
//! writer, and a background task that applies stored faults and swaps
//! rotated certificates in until [`GatewayRuntime::stop`].

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use hopscope_gateway::{ExchangeRecord, Fault, FaultControl, Participant, RecordSink, RunningGateway, StubDestination};
use hopscope_sim::Destination;
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc, watch};
use tokio::task::JoinHandle;

use crate::gateway_config::{GatewayPlan, PlannedListener, PublicEndpoint, ServedCertificate};
use crate::gateway_rotation::{CertificateSwap, ServedFingerprints};
use crate::paths::data_dir;
use crate::records::{RecordWriter, RecordWriterOptions};
use crate::{Error, Result, Workspace};

/// How often a running gateway reads the stored faults, so a fault set by
/// another process applies within this time.
pub const FAULT_POLL_INTERVAL: Duration = Duration::from_millis(200);
/// How often the running gateway looks for rotated certificates; a rotation
/// reaches new handshakes within this time.
const CERTIFICATE_POLL_INTERVAL: Duration = Duration::from_secs(1);
/// Records the engine may queue before it drops new ones.
const RECORD_CHANNEL_CAPACITY: usize = 10_000;
/// Events kept for a subscriber that reads slowly; older ones are skipped.
const EVENT_CHANNEL_CAPACITY: usize = 256;
/// How often the running gateway checks whether the record writer stored
/// new records. With the writer's 100 ms flush interval, a record is
/// announced about 150 ms after its exchange ended, plus the time its
/// transaction takes.
const RECORDS_POLL_INTERVAL: Duration = Duration::from_millis(50);
/// File in the data directory that receives the workspace's authority
/// certificates, for `curl --cacert`.
const AUTHORITIES_FILE: &str = "gateway-authorities.pem";

/// Settings of [`Workspace::start_gateway_with`] that the topology does not hold.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct GatewayOptions {
    /// Bytes of each request and response body that the records keep; 0
    /// turns body capture off. Default 1 MiB.
    pub body_capture_bytes: usize,
    /// Serve destinations with the minimal stubs of the gateway crate
    /// (no UDAP, no access tokens, no signatures, generated `Binary`
    /// bodies) instead of the destination simulators. For load tests and
    /// pass-through tests that need no authorization.
    pub stub_destinations: bool,
}

impl Default for GatewayOptions {
    fn default() -> Self {
        Self {
            body_capture_bytes: hopscope_gateway::DEFAULT_BODY_CAPTURE_BYTES,
            stub_destinations: false,
        }
    }
}

/// A change a running gateway made while it runs.
#[derive(Debug, Clone)]
pub enum GatewayEvent {
    /// The fault of a hop was set (`Some`) or cleared (`None`).
    FaultChanged { hop: String, fault: Option<Fault> },
    /// A rotated certificate now serves new handshakes.
    CertificateSwapped(CertificateSwap),
    /// The record writer stored hop records; `written` is its total so far.
    /// Sent at most once per 50 ms, after the records' transaction
    /// committed, so a reader of the workspace finds them.
    RecordsWritten { written: u64 },
}

/// The state of a running gateway, for a status line per listener.
#[derive(Debug, Clone, Serialize)]
pub struct GatewayStatus {
    /// Intermediaries first, then destinations.
    pub listeners: Vec<ListenerStatus>,
    pub public_endpoints: Vec<EndpointStatus>,
    /// The PEM file of the workspace's authorities that `curl --cacert` reads.
    pub authorities_file: PathBuf,
    /// Hop records stored in the workspace so far.
    pub records_written: u64,
    /// Hop records dropped because the record queue was full.
    pub records_dropped: u64,
    /// Hop records lost because writing them failed.
    pub records_failed: u64,
}

/// One listener with its counters.
#[derive(Debug, Clone, Serialize)]
pub struct ListenerStatus {
    pub hop: String,
    /// `inbound-gateway`, `delegated` or `destination`.
    pub kind: String,
    pub address: SocketAddr,
    pub certificates: Vec<ServedCertificate>,
    /// Requests this hop handled. For a destination: requests the last
    /// intermediary forwarded to it, because the stub destination writes no
    /// records of its own.
    pub requests: u64,
    /// Of those, the ones counted by [`is_error`].
    pub errors: u64,
    /// The fault applied now; always `None` for a destination.
    pub fault: Option<Fault>,
}

/// A public URL with the command that fetches its capability statement.
#[derive(Debug, Clone, Serialize)]
pub struct EndpointStatus {
    #[serde(flatten)]
    pub endpoint: PublicEndpoint,
    /// `curl --resolve … --cacert … <public URL>/metadata`; `None` when the
    /// destination has no route, so no request can reach it.
    pub curl: Option<String>,
}

/// Totals of a gateway that stopped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct GatewayStopped {
    pub written: u64,
    /// Dropped because the record queue was full.
    pub dropped: u64,
    /// Lost because writing them failed.
    pub failed: u64,
}

/// A gateway started by [`Workspace::start_gateway`]. It runs until
/// [`GatewayRuntime::stop`]; dropping it stops the listeners without waiting
/// for open requests or pending records.
pub struct GatewayRuntime {
    /// The destination simulators' FHIR servers by destination, to switch
    /// their misbehaviours.
    fhir_servers: BTreeMap<String, hopscope_fhir::FhirServer>,
    workspace: Workspace,
    listeners: Arc<RwLock<Vec<PlannedListener>>>,
    public_endpoints: Vec<PublicEndpoint>,
    authorities_file: PathBuf,
    initial_faults: Vec<(String, Option<Fault>)>,
    counters: Arc<Counters>,
    control: FaultControl,
    /// The faults last applied from the workspace. Locked for a whole sync,
    /// so a poll and an operator's change cannot apply in the wrong order.
    applied: Arc<tokio::sync::Mutex<BTreeMap<String, Fault>>>,
    events: broadcast::Sender<GatewayEvent>,
    first_events: Mutex<Option<broadcast::Receiver<GatewayEvent>>>,
    stop: watch::Sender<bool>,
    task: JoinHandle<GatewayStopped>,
}

impl Workspace {
    /// Starts the gateway of the workspace's topology on 127.0.0.1: one stub
    /// per destination, every intermediary, and the record writer. Writes
    /// the authorities PEM for `curl --cacert` into the data directory and
    /// applies the stored faults before it returns. Needs the workspace
    /// unlocked. A port in use fails with an error that names the address.
    pub async fn start_gateway(&self) -> Result<GatewayRuntime> {
        self.start_gateway_with(&GatewayOptions::default()).await
    }

    /// Starts the gateway as [`Workspace::start_gateway`] does, with `options`.
    pub async fn start_gateway_with(&self, options: &GatewayOptions) -> Result<GatewayRuntime> {
        let mut plan = self.gateway_plan().await?;
        plan.config.limits.body_capture_bytes = options.body_capture_bytes;
        let authorities_file = write_authorities(&plan)?;

        let counters = Arc::new(Counters::new(&plan.listeners));
        let (sink, engine_records) = RecordSink::channel(RECORD_CHANNEL_CAPACITY);

        let topology = self.topology().await?;
        let mut destinations = Vec::new();
        for planned in &plan.destinations {
            let started = if options.stub_destinations {
                StubDestination::start(planned.clone()).await.map(RunningDestination::Stub).map_err(Error::from)
            } else {
                match self
                    .destination_simulator(&topology, planned, Some(sink.clone()), options.body_capture_bytes)
                    .await
                {
                    Ok(config) => match Destination::start(config).await {
                        // The stored misbehaviour applies from the first
                        // request, not only from the first poll.
                        Ok(destination) => self.leak_private_url(destination.name()).await.map(|leak| {
                            destination.set_leak_private_url(leak);
                            RunningDestination::Simulator(destination)
                        }),
                        Err(error) => Err(Error::Invalid(error.to_string())),
                    },
                    Err(error) => Err(error),
                }
            };
            match started {
                Ok(destination) => destinations.push(destination),
                Err(error) => {
                    stop_destinations(destinations).await;
                    return Err(error);
                }
            }
        }
        let (writer_sender, writer_records) = mpsc::channel(RECORD_CHANNEL_CAPACITY);
        let writer = self.spawn_record_writer(writer_records, RecordWriterOptions::default());
        let counting = tokio::spawn(count_records(engine_records, writer_sender, counters.clone()));
        // A clone of the sink outlives the gateway so the dropped count can be
        // read after shutdown; dropping it afterwards closes the channel.
        let sink_handle = sink.clone();
        let gateway = match hopscope_gateway::Gateway::start_with_records(plan.config.clone(), sink).await {
            Ok(gateway) => gateway,
            Err(error) => {
                stop_destinations(destinations).await;
                drop(sink_handle);
                let _ = counting.await;
                writer.finish().await;
                return Err(error.into());
            }
        };

        let fhir_servers: BTreeMap<String, hopscope_fhir::FhirServer> = destinations
            .iter()
            .filter_map(|d| match d {
                RunningDestination::Simulator(d) => Some((d.name().to_string(), d.fhir_server())),
                RunningDestination::Stub(_) => None,
            })
            .collect();
        let control = gateway.faults();
        let mut applied = BTreeMap::new();
        let initial_faults = match self.sync_faults(&control, &mut applied).await {
            Ok(initial) => initial,
            Err(error) => {
                let parts = Parts { gateway, destinations, sink_handle, counting, writer };
                parts.shut_down().await;
                return Err(error);
            }
        };

        let (events, first_events) = broadcast::channel(EVENT_CHANNEL_CAPACITY);
        let (stop, stop_receiver) = watch::channel(false);
        let listeners = Arc::new(RwLock::new(plan.listeners.clone()));
        let applied = Arc::new(tokio::sync::Mutex::new(applied));
        let background = Background {
            workspace: self.clone(),
            control: control.clone(),
            applied: applied.clone(),
            served: Workspace::served_fingerprints(&plan),
            listeners: listeners.clone(),
            events: events.clone(),
        };
        let parts = Parts { gateway, destinations, sink_handle, counting, writer };
        let task = tokio::spawn(background.run(parts, stop_receiver, counters.clone()));

        Ok(GatewayRuntime {
            fhir_servers,
            workspace: self.clone(),
            listeners,
            public_endpoints: plan.public_endpoints,
            authorities_file,
            initial_faults,
            counters,
            control,
            applied,
            events,
            first_events: Mutex::new(Some(first_events)),
            stop,
            task,
        })
    }
}

impl GatewayRuntime {
    /// Returns the listeners as planned, with the certificates served now.
    pub fn listeners(&self) -> Vec<PlannedListener> {
        self.listeners.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn public_endpoints(&self) -> &[PublicEndpoint] {
        &self.public_endpoints
    }

    pub fn authorities_file(&self) -> &Path {
        &self.authorities_file
    }

    /// Returns the stored faults that applied when the gateway started.
    pub fn initial_faults(&self) -> &[(String, Option<Fault>)] {
        &self.initial_faults
    }

    /// Returns a receiver of the changes the gateway makes from now on. The
    /// first call also gets the changes made since the start.
    pub fn events(&self) -> broadcast::Receiver<GatewayEvent> {
        let first = self.first_events.lock().unwrap_or_else(|e| e.into_inner()).take();
        first.unwrap_or_else(|| self.events.subscribe())
    }

    /// Returns the listeners with their counters and faults, and the record
    /// totals so far.
    pub fn status(&self) -> GatewayStatus {
        let listeners = self
            .listeners()
            .into_iter()
            .map(|listener| {
                let (requests, errors) = self.counters.of(&listener.hop);
                let fault = if listener.kind == "destination" { None } else { self.control.get(&listener.hop) };
                ListenerStatus {
                    hop: listener.hop,
                    kind: listener.kind,
                    address: listener.address,
                    certificates: listener.certificates,
                    requests,
                    errors,
                    fault,
                }
            })
            .collect();
        let public_endpoints = self
            .public_endpoints
            .iter()
            .map(|endpoint| EndpointStatus {
                curl: curl_command(endpoint, &self.authorities_file),
                endpoint: endpoint.clone(),
            })
            .collect();
        GatewayStatus {
            listeners,
            public_endpoints,
            authorities_file: self.authorities_file.clone(),
            records_written: self.counters.written(),
            records_dropped: self.counters.dropped(),
            records_failed: self.counters.failed(),
        }
    }

    /// Stores the fault of `hop` in the workspace, as `hopscope gateway
    /// fault` does, and applies it at once instead of at the next poll.
    pub async fn set_fault(&self, hop: &str, fault: &Fault) -> Result<()> {
        self.change_fault(hop, Some(fault)).await
    }

    /// Clears the stored fault of `hop` and stops applying it at once.
    /// Switches a destination simulator's "leak private URL" misbehaviour:
    /// while it is on, the URLs the destination writes name its private
    /// URL, which the verdict's no-private-url check must catch. The
    /// setting is stored in the workspace, like a fault, and applied now.
    pub async fn set_leak_private_url(&self, destination: &str, on: bool) -> Result<()> {
        let server = self.fhir_servers.get(destination).ok_or_else(|| {
            let known: Vec<&str> = self.fhir_servers.keys().map(String::as_str).collect();
            Error::Invalid(format!(
                "no destination simulator named \"{destination}\" runs; the running ones are {}",
                known.join(", ")
            ))
        })?;
        self.workspace.set_leak_private_url(destination, on).await?;
        server.set_leak_private_url(on);
        Ok(())
    }

    pub async fn clear_fault(&self, hop: &str) -> Result<()> {
        self.change_fault(hop, None).await
    }

    async fn change_fault(&self, hop: &str, fault: Option<&Fault>) -> Result<()> {
        let mut applied = self.applied.lock().await;
        self.workspace.set_fault(hop, fault).await?;
        let changes = self.workspace.sync_faults(&self.control, &mut applied).await?;
        for (hop, fault) in changes {
            let _ = self.events.send(GatewayEvent::FaultChanged { hop, fault });
        }
        Ok(())
    }

    /// Stops the gateway: no new connections, open requests finish (up to
    /// the engine's shutdown grace), the stub destinations stop, and every
    /// pending record is written. Returns the record totals.
    pub async fn stop(self) -> GatewayStopped {
        let _ = self.stop.send(true);
        match self.task.await {
            Ok(stopped) => stopped,
            Err(error) => {
                tracing::error!(error = %error, "gateway task failed");
                GatewayStopped::default()
            }
        }
    }
}

/// Returns the curl command that fetches the capability statement of
/// `endpoint` through the gateway, or `None` when it has no route.
pub fn curl_command(endpoint: &PublicEndpoint, authorities_file: &Path) -> Option<String> {
    if endpoint.route.is_empty() {
        return None;
    }
    Some(format!(
        "curl --resolve {host}:{port}:127.0.0.1 --cacert {cacert} {url}/metadata",
        host = endpoint.host,
        port = endpoint.port,
        cacert = shell_word(&authorities_file.display().to_string()),
        url = endpoint.public_url,
    ))
}

/// Quotes `word` for a POSIX shell when it contains anything but safe characters.
pub fn shell_word(word: &str) -> String {
    if !word.is_empty() && word.chars().all(|c| c.is_ascii_alphanumeric() || "-_./:=,@%+".contains(c)) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// Whether a hop record counts as an error in the status: the hop made the response
/// itself (routing error, timeout, fault), the exchange failed, the client
/// got no response, or the status is 500 or above.
pub fn is_error(record: &ExchangeRecord) -> bool {
    match &record.response {
        None => true,
        Some(response) => response.from_gateway || response.status >= 500 || record.error.is_some(),
    }
}

/// Writes the workspace's authority certificates for `curl --cacert`.
fn write_authorities(plan: &GatewayPlan) -> Result<PathBuf> {
    let dir = data_dir();
    std::fs::create_dir_all(&dir).map_err(|source| Error::Io {
        action: "create the data directory",
        path: dir.display().to_string(),
        source,
    })?;
    let file = dir.join(AUTHORITIES_FILE);
    std::fs::write(&file, plan.authorities_pem.as_bytes()).map_err(|source| Error::Io {
        action: "write",
        path: file.display().to_string(),
        source,
    })?;
    Ok(file)
}

/// A destination the runtime started: a simulator, or a stub when the
/// options ask for stubs.
enum RunningDestination {
    Simulator(Destination),
    Stub(StubDestination),
}

async fn stop_destinations(destinations: Vec<RunningDestination>) {
    for destination in destinations {
        match destination {
            RunningDestination::Simulator(destination) => destination.shutdown().await,
            RunningDestination::Stub(destination) => destination.shutdown().await,
        }
    }
}

/// Requests and errors per hop, counted from the records on their way to
/// the writer, and the writer's totals.
struct Counters {
    hops: HashMap<String, HopCounter>,
    /// Destination hop by listener address, to count the requests the last
    /// intermediary forwarded to it.
    destinations: HashMap<String, String>,
    writer: Mutex<Option<RecordWriterProgress>>,
    totals: Mutex<GatewayStopped>,
}

#[derive(Default)]
struct HopCounter {
    requests: std::sync::atomic::AtomicU64,
    errors: std::sync::atomic::AtomicU64,
}

/// Sources of the live record totals while the gateway runs.
struct RecordWriterProgress {
    writer: crate::records::RecordWriterCounts,
    sink: RecordSink,
}

impl Counters {
    fn new(listeners: &[PlannedListener]) -> Counters {
        Counters {
            hops: listeners.iter().map(|l| (l.hop.clone(), HopCounter::default())).collect(),
            destinations: listeners
                .iter()
                .filter(|l| l.kind == "destination")
                .map(|l| (l.address.to_string(), l.hop.clone()))
                .collect(),
            writer: Mutex::new(None),
            totals: Mutex::new(GatewayStopped::default()),
        }
    }

    fn count(&self, record: &ExchangeRecord) {
        use std::sync::atomic::Ordering::Relaxed;
        // A destination's request is counted from the record of the hop
        // that forwarded it, which also covers a destination without a
        // simulator.
        if record.participant != Participant::Intermediary {
            return;
        }
        let error = is_error(record);
        let destination = record
            .upstream
            .as_ref()
            .and_then(|upstream| self.destinations.get(&upstream.address));
        for hop in std::iter::once(&record.hop).chain(destination) {
            if let Some(counter) = self.hops.get(hop) {
                counter.requests.fetch_add(1, Relaxed);
                if error {
                    counter.errors.fetch_add(1, Relaxed);
                }
            }
        }
    }

    fn of(&self, hop: &str) -> (u64, u64) {
        use std::sync::atomic::Ordering::Relaxed;
        self.hops
            .get(hop)
            .map(|c| (c.requests.load(Relaxed), c.errors.load(Relaxed)))
            .unwrap_or_default()
    }

    fn progress(&self) -> std::sync::MutexGuard<'_, Option<RecordWriterProgress>> {
        self.writer.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn totals(&self) -> GatewayStopped {
        *self.totals.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn written(&self) -> u64 {
        self.progress().as_ref().map(|p| p.writer.written()).unwrap_or_else(|| self.totals().written)
    }

    fn failed(&self) -> u64 {
        self.progress().as_ref().map(|p| p.writer.failed()).unwrap_or_else(|| self.totals().failed)
    }

    fn dropped(&self) -> u64 {
        self.progress().as_ref().map(|p| p.sink.dropped()).unwrap_or_else(|| self.totals().dropped)
    }
}

/// Counts each record and passes it on to the writer. Waiting for the
/// writer here fills the engine's bounded channel, which then drops
/// records, so a slow writer never slows forwarding.
async fn count_records(
    mut engine_records: mpsc::Receiver<ExchangeRecord>,
    writer: mpsc::Sender<ExchangeRecord>,
    counters: Arc<Counters>,
) {
    while let Some(record) = engine_records.recv().await {
        counters.count(&record);
        if writer.send(record).await.is_err() {
            tracing::error!("the record writer stopped early; records of this gateway are lost");
            return;
        }
    }
}

/// Components of a running gateway, shut down together when it stops.
struct Parts {
    gateway: RunningGateway,
    destinations: Vec<RunningDestination>,
    sink_handle: RecordSink,
    counting: JoinHandle<()>,
    writer: RecordWriter,
}

impl Parts {
    fn simulators(&self) -> impl Iterator<Item = &Destination> {
        self.destinations.iter().filter_map(|d| match d {
            RunningDestination::Simulator(d) => Some(d),
            RunningDestination::Stub(_) => None,
        })
    }

    async fn shut_down(self) -> GatewayStopped {
        self.gateway.shutdown().await;
        stop_destinations(self.destinations).await;
        let dropped = self.sink_handle.dropped();
        // The last sender of the engine's channel: dropping it ends the
        // counting task, which closes the writer's channel.
        drop(self.sink_handle);
        if let Err(error) = self.counting.await {
            tracing::error!(error = %error, "record counting task failed");
        }
        let stats = self.writer.finish().await;
        GatewayStopped {
            written: stats.written,
            dropped,
            failed: stats.failed,
        }
    }
}

/// The polling a running gateway does until it stops.
struct Background {
    workspace: Workspace,
    control: FaultControl,
    applied: Arc<tokio::sync::Mutex<BTreeMap<String, Fault>>>,
    served: ServedFingerprints,
    listeners: Arc<RwLock<Vec<PlannedListener>>>,
    events: broadcast::Sender<GatewayEvent>,
}

impl Background {
    /// Applies fault changes and swaps rotated certificates in until `stop`
    /// turns true, then shuts `parts` down.
    async fn run(mut self, parts: Parts, mut stop: watch::Receiver<bool>, counters: Arc<Counters>) -> GatewayStopped {
        *counters.progress() = Some(RecordWriterProgress {
            writer: parts.writer.counts(),
            sink: parts.sink_handle.clone(),
        });
        let mut fault_poll = tokio::time::interval(FAULT_POLL_INTERVAL);
        let mut certificate_poll = tokio::time::interval(CERTIFICATE_POLL_INTERVAL);
        let mut simulator_poll = tokio::time::interval(CERTIFICATE_POLL_INTERVAL);
        let mut records_poll = tokio::time::interval(RECORDS_POLL_INTERVAL);
        let mut announced_written = 0;
        let mut faults_failing = false;
        let mut certificates_failing = false;
        let mut simulators_failing = false;
        loop {
            tokio::select! {
                _ = simulator_poll.tick() => match self.workspace.sync_simulators(parts.simulators()).await {
                    Ok(()) => simulators_failing = false,
                    Err(error) if !simulators_failing => {
                        simulators_failing = true;
                        tracing::warn!(error = %error, "updating a destination simulator's trust list or signing key failed; retrying");
                    }
                    Err(_) => {}
                },
                _ = records_poll.tick() => {
                    let written = counters.written();
                    if written != announced_written {
                        announced_written = written;
                        let _ = self.events.send(GatewayEvent::RecordsWritten { written });
                    }
                }
                changed = stop.changed() => {
                    // An error means the runtime was dropped without stop().
                    if changed.is_err() || *stop.borrow() {
                        break;
                    }
                }
                _ = certificate_poll.tick() => match self.workspace.sync_certificates(&parts.gateway, &mut self.served).await {
                    Ok(swaps) => {
                        certificates_failing = false;
                        for swap in swaps {
                            self.record_swap(&swap);
                            let _ = self.events.send(GatewayEvent::CertificateSwapped(swap));
                        }
                    }
                    Err(error) if !certificates_failing => {
                        certificates_failing = true;
                        tracing::warn!(error = %error, "swapping a rotated certificate failed; retrying");
                    }
                    Err(_) => {}
                },
                _ = fault_poll.tick() => {
                    let mut applied = self.applied.lock().await;
                    match self.workspace.sync_faults(&self.control, &mut applied).await {
                        Ok(changes) => {
                            faults_failing = false;
                            for (hop, fault) in changes {
                                let _ = self.events.send(GatewayEvent::FaultChanged { hop, fault });
                            }
                        }
                        // Logged once per run of failures, so a locked database
                        // does not write a line every 200 ms.
                        Err(error) if !faults_failing => {
                            faults_failing = true;
                            tracing::warn!(error = %error, "reading the stored faults failed; retrying");
                        }
                        Err(_) => {}
                    }
                }
            }
        }
        // The progress contains a clone of the record sink, which would keep
        // the record channel open and the shutdown waiting forever. The
        // status shows a snapshot until the final totals are in.
        let snapshot = GatewayStopped {
            written: counters.written(),
            dropped: counters.dropped(),
            failed: counters.failed(),
        };
        *counters.totals.lock().unwrap_or_else(|e| e.into_inner()) = snapshot;
        *counters.progress() = None;
        let stopped = parts.shut_down().await;
        *counters.totals.lock().unwrap_or_else(|e| e.into_inner()) = stopped;
        tracing::info!(written = stopped.written, dropped = stopped.dropped, failed = stopped.failed, "gateway stopped");
        stopped
    }

    /// Shows the new fingerprint in the status of every listener serving the credential.
    fn record_swap(&self, swap: &CertificateSwap) {
        let mut listeners = self.listeners.write().unwrap_or_else(|e| e.into_inner());
        for certificate in listeners.iter_mut().flat_map(|l| l.certificates.iter_mut()) {
            if certificate.credential == swap.credential {
                certificate.sha256_fingerprint = swap.sha256_fingerprint.clone();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hopscope_gateway::{ResponseRecord, UpstreamRecord};

    fn record(hop: &str, status: Option<u16>, from_gateway: bool, upstream: Option<&str>) -> ExchangeRecord {
        ExchangeRecord {
            hop: hop.into(),
            response: status.map(|status| ResponseRecord {
                status,
                from_gateway,
                ..Default::default()
            }),
            upstream: upstream.map(|address| UpstreamRecord {
                address: address.into(),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn is_error_cases() {
        assert!(!is_error(&record("int-one", Some(200), false, None)));
        assert!(!is_error(&record("int-one", Some(404), false, None)));
        assert!(is_error(&record("int-one", Some(404), true, None)));
        assert!(is_error(&record("int-one", Some(503), false, None)));
        assert!(is_error(&record("int-one", None, false, None)));
        let mut failed = record("int-one", Some(200), false, None);
        failed.error = Some("body stream ended early".into());
        assert!(is_error(&failed));
    }

    #[test]
    fn counters_per_hop_and_destination() {
        let listener = |hop: &str, kind: &str, port: u16| PlannedListener {
            hop: hop.into(),
            kind: kind.into(),
            address: SocketAddr::from(([127, 0, 0, 1], port)),
            certificates: Vec::new(),
        };
        let counters = Counters::new(&[
            listener("int-one", "inbound-gateway", 8443),
            listener("int-two", "delegated", 9444),
            listener("d-corp", "destination", 9443),
        ]);
        counters.count(&record("int-one", Some(200), false, Some("127.0.0.1:9444")));
        counters.count(&record("int-two", Some(200), false, Some("127.0.0.1:9443")));
        counters.count(&record("int-one", Some(503), false, Some("127.0.0.1:9444")));
        counters.count(&record("int-two", Some(503), true, None));

        assert_eq!(counters.of("int-one"), (2, 1));
        assert_eq!(counters.of("int-two"), (2, 1));
        assert_eq!(counters.of("d-corp"), (1, 0));
        assert_eq!(counters.of("unknown"), (0, 0));
    }

    #[test]
    fn curl_command_quotes_cacert() {
        let endpoint = PublicEndpoint {
            destination: "d-corp".into(),
            public_url: "https://fhir.int-one.test:8443/d-corp".into(),
            host: "fhir.int-one.test".into(),
            port: 8443,
            route: vec!["int-one".into()],
        };
        assert_eq!(
            curl_command(&endpoint, Path::new("/data/my files/ca.pem")).as_deref(),
            Some("curl --resolve fhir.int-one.test:8443:127.0.0.1 --cacert '/data/my files/ca.pem' https://fhir.int-one.test:8443/d-corp/metadata")
        );
        let unrouted = PublicEndpoint { route: Vec::new(), ..endpoint };
        assert_eq!(curl_command(&unrouted, Path::new("/ca.pem")), None);
    }
}
