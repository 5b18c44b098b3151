//! `exchange run`: an originator simulator walks a scenario through the
//! gateway to a destination, and every exchange gets its verdict.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use hopscope_gateway::{Participant, RecordSink};
use hopscope_sim::scenario::scenario;
use hopscope_sim::{Originator, OriginatorConfig, StepReport};
use hopscope_pki::Role;
use serde::{Deserialize, Serialize};

use crate::records::RecordWriterOptions;
use crate::simulators::private_urls;
use crate::verdict::Verdict;
use crate::{Error, Result, Workspace};

/// How long `run_exchanges` waits for the hops' records of one exchange to
/// reach the workspace. The gateway's writer flushes every 100 ms.
const RECORD_WAIT: Duration = Duration::from_secs(3);

/// Request of `exchange run`: which scenario, originator and destination.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ExchangeRunRequest {
    /// Scenario name; the default scenario when absent.
    pub scenario: Option<String>,
    /// Originator credential; the first credential of role `originator`
    /// when absent.
    pub originator: Option<String>,
    /// Destination; the first destination of the topology when absent.
    pub destination: Option<String>,
    /// Speak HTTP/2 to the inbound gateway.
    pub http2: bool,
}

/// One exchange of a run: what the originator saw and its verdict.
#[derive(Debug, Clone, Serialize)]
pub struct ExchangeOutcome {
    pub report: StepReport,
    /// Absent for a skipped step, which made no exchange.
    pub verdict: Option<Verdict>,
}

impl ExchangeOutcome {
    pub fn passed(&self) -> bool {
        self.verdict.as_ref().is_some_and(|v| v.passed) && self.report.error.is_none()
    }
}

/// Scenario, originator and destination of a run after defaults: see
/// [`Workspace::plan_exchange_run`].
#[derive(Debug, Clone, Serialize)]
pub struct ExchangeRunPlan {
    pub scenario: String,
    pub originator: String,
    pub destination: String,
    pub public_url: String,
}

/// A request with its defaults applied and its names looked up.
struct Resolved {
    scenario: &'static hopscope_sim::Scenario,
    topology: crate::Topology,
    destination: crate::DestinationView,
    originator: crate::CredentialSummary,
    client_uri: String,
}

/// The result of `exchange run`.
#[derive(Debug, Clone, Serialize)]
pub struct ExchangeRun {
    pub scenario: String,
    pub originator: String,
    pub destination: String,
    pub public_url: String,
    /// True when this run started the gateway (and stopped it at the end),
    /// false when one was already listening.
    pub started_gateway: bool,
    pub exchanges: Vec<ExchangeOutcome>,
    /// True when every exchange's verdict passed.
    pub passed: bool,
}

impl Workspace {
    /// Runs a scenario from an originator to a destination through the
    /// gateway, starting the gateway when nothing listens on the public
    /// URL's port, and calls `on_exchange` with each exchange and its
    /// verdict as it completes.
    pub async fn run_exchanges(
        &self,
        request: &ExchangeRunRequest,
        mut on_exchange: impl FnMut(&ExchangeOutcome),
    ) -> Result<ExchangeRun> {
        let Resolved { scenario, topology, destination, originator, client_uri } = self.resolve_run(request).await?;
        let destination = &destination;
        let identity = self.signing_identity(&originator.name).await?;
        let public = url::Url::parse(&destination.public_url)
            .map_err(|e| Error::Invalid(format!("invalid public URL {} of \"{}\": {e}", destination.public_url, destination.name)))?;
        let port = public.port_or_known_default().unwrap_or(443);
        let gateway_addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));

        let runtime = if tokio::net::TcpStream::connect(gateway_addr).await.is_ok() {
            tracing::info!(addr = %gateway_addr, "a gateway already listens; using it");
            None
        } else {
            Some(self.start_gateway().await?)
        };

        let expected_signing_sha256 = match &destination.signing_credential {
            Some(name) => Some(self.summary(name).await?.sha256_fingerprint),
            None => None,
        };
        let mut conn = self.conn().await?;
        let trust_roots = self.authority_certificates(&mut conn).await?;
        drop(conn);

        let (sink, receiver) = RecordSink::channel(10_000);
        let writer = self.spawn_record_writer(receiver, RecordWriterOptions::default());
        let simulator = Originator::new(OriginatorConfig {
            name: originator.name.clone(),
            client_uri,
            identity,
            destination: destination.name.clone(),
            public_base: public.clone(),
            gateway_addr,
            trust_roots,
            private_urls: private_urls(&topology, destination),
            expected_signing_sha256,
            records: Some(sink.clone()),
            http2: request.http2,
            body_capture_bytes: hopscope_gateway::DEFAULT_BODY_CAPTURE_BYTES,
        })
        .map_err(|e| Error::Invalid(e.to_string()))?;

        let mut reports = Vec::new();
        simulator.run(scenario, |report| reports.push(report.clone())).await;
        drop(simulator);
        drop(sink);
        writer.finish().await;

        let mut exchanges = Vec::new();
        for report in reports {
            let verdict = if report.exchange_id.is_empty() {
                None
            } else {
                Some(self.verdict_when_recorded(&report.exchange_id).await?)
            };
            let outcome = ExchangeOutcome { report, verdict };
            on_exchange(&outcome);
            exchanges.push(outcome);
        }
        let started_gateway = runtime.is_some();
        // Another workspace's gateway on the same port presents
        // certificates this workspace's authorities did not issue.
        let foreign = !started_gateway
            && exchanges.first().and_then(|e| e.report.error.as_deref()).is_some_and(|e| e.contains("invalid peer certificate"));
        if foreign {
            return Err(Error::Invalid(format!(
                "the gateway listening on {gateway_addr} presents a certificate for {} that this workspace's authorities did not issue, so it probably runs another workspace; stop it, or run `exchange run` with that workspace",
                public.host_str().unwrap_or_default()
            )));
        }
        if let Some(runtime) = runtime {
            runtime.stop().await;
        }
        let passed = !exchanges.is_empty() && exchanges.iter().all(ExchangeOutcome::passed);
        Ok(ExchangeRun {
            scenario: scenario.name.into(),
            originator: originator.name,
            destination: destination.name.clone(),
            public_url: destination.public_url.clone(),
            started_gateway,
            exchanges,
            passed,
        })
    }

    /// Returns what `run_exchanges` would run for `request`: the scenario,
    /// originator and destination after defaults, checked. Front ends show
    /// it before a run starts.
    pub async fn plan_exchange_run(&self, request: &ExchangeRunRequest) -> Result<ExchangeRunPlan> {
        let resolved = self.resolve_run(request).await?;
        Ok(ExchangeRunPlan {
            scenario: resolved.scenario.name.into(),
            originator: resolved.originator.name,
            destination: resolved.destination.name.clone(),
            public_url: resolved.destination.public_url.clone(),
        })
    }

    async fn resolve_run(&self, request: &ExchangeRunRequest) -> Result<Resolved> {
        self.data_key()?;
        let scenario_name = request.scenario.clone().unwrap_or_else(|| "default".into());
        let scenario = scenario(&scenario_name).map_err(|e| Error::Invalid(e.to_string()))?;
        let topology = self.topology().await?;
        let destination = match &request.destination {
            Some(name) => topology
                .destinations
                .iter()
                .find(|d| &d.name == name)
                .ok_or_else(|| crate::topology::destination_not_found(name))?,
            None => topology.destinations.first().ok_or_else(|| {
                Error::Invalid("the topology has no destination; add one with `hopscope destination add`, or run `hopscope demo`".into())
            })?,
        };
        let originator = match &request.originator {
            Some(name) => self.summary(name).await?,
            None => self
                .list_credentials(None)
                .await?
                .into_iter()
                .find(|c| c.role == Role::Originator)
                .ok_or_else(|| {
                    Error::Invalid("the workspace has no originator credential; issue one with `hopscope cert issue --role originator`, or run `hopscope demo`".into())
                })?,
        };
        if originator.role != Role::Originator {
            return Err(Error::Invalid(format!(
                "credential \"{}\" has the role {}; --originator needs an originator credential",
                originator.name, originator.role.as_str()
            )));
        }
        let client_uri = originator.url.clone().ok_or_else(|| {
            Error::Invalid(format!("originator credential \"{}\" has no client URI; reissue it with --url", originator.name))
        })?;
        Ok(Resolved {
            scenario,
            destination: destination.clone(),
            topology,
            originator,
            client_uri,
        })
    }

    /// Computes a verdict once the destination's record, or the record of
    /// the hop that responded instead, is in the workspace.
    async fn verdict_when_recorded(&self, exchange_id: &str) -> Result<Verdict> {
        let started = Instant::now();
        loop {
            if let Ok(detail) = self.exchange(exchange_id).await {
                let complete = detail.records.iter().any(|r| r.participant == Participant::Destination)
                    || detail.records.iter().any(|r| {
                        r.participant == Participant::Intermediary
                            && r.response.as_ref().is_none_or(|resp| resp.from_gateway)
                    });
                if complete || started.elapsed() > RECORD_WAIT {
                    return self.verdict(exchange_id).await;
                }
            } else if started.elapsed() > RECORD_WAIT {
                return self.verdict(exchange_id).await;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
