//! The gateway configuration of a workspace: the routes of its topology
//! (see `gateway_routes`) with the current certificates and decrypted keys
//! of its credentials, and its authorities as the upstream trust roots.

use std::net::{Ipv4Addr, SocketAddr};

use hopscope_gateway::{
    GatewayConfig, ListenerConfig, ServerCertificate, StubDestinationConfig, UpstreamConfig,
};
use hopscope_store::rows;
use serde::Serialize;
use sqlx::SqliteConnection;

use crate::credentials::{chain_ders, credential_row, current_certificate};
use crate::gateway_routes::{plan_routes, RoutePlan};
use crate::{Error, Result, Workspace};

/// Everything `gateway run` starts: the engine's configuration, one stub
/// destination per destination, and what to tell the operator about them.
#[derive(Debug)]
pub struct GatewayPlan {
    pub config: GatewayConfig,
    pub destinations: Vec<StubDestinationConfig>,
    /// Intermediaries first, then destinations.
    pub listeners: Vec<PlannedListener>,
    pub public_endpoints: Vec<PublicEndpoint>,
    /// Destinations the operator runs, which the gateway forwards to but
    /// does not start.
    pub external_destinations: Vec<ExternalDestination>,
    /// Every authority certificate of the workspace as PEM: the roots the
    /// hops verify each other with, and what a client needs for `--cacert`.
    pub authorities_pem: String,
}

/// A destination the operator runs: a FHIR server at the private URL.
#[derive(Debug, Clone, Serialize)]
pub struct ExternalDestination {
    pub destination: String,
    pub private_url: String,
    /// The socket address the last hop connects to: the private host's address and port.
    pub address: SocketAddr,
}

/// A listener as the operator sees it.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedListener {
    /// Intermediary or destination name.
    pub hop: String,
    /// `inbound-gateway`, `delegated` or `destination`.
    pub kind: String,
    pub address: SocketAddr,
    pub certificates: Vec<ServedCertificate>,
}

/// A certificate a listener serves, without its key.
#[derive(Debug, Clone, Serialize)]
pub struct ServedCertificate {
    pub host: String,
    pub credential: String,
    pub subject: String,
    pub sha256_fingerprint: String,
}

/// A destination's public base URL and how to reach it on loopback.
#[derive(Debug, Clone, Serialize)]
pub struct PublicEndpoint {
    pub destination: String,
    pub public_url: String,
    pub host: String,
    pub port: u16,
    /// Intermediaries from the inbound gateway on.
    pub route: Vec<String>,
}

/// A server certificate with the facts printed about it.
pub(crate) struct LoadedCertificate {
    pub(crate) server: ServerCertificate,
    pub(crate) served: ServedCertificate,
}

impl Workspace {
    /// Builds the gateway configuration of the workspace's topology. Needs
    /// the workspace unlocked, because each listener gets the decrypted key
    /// of its certificates.
    pub async fn gateway_plan(&self) -> Result<GatewayPlan> {
        self.data_key()?;
        let topology = self.topology().await?;
        if topology.intermediaries.is_empty() {
            return Err(Error::Invalid(
                "the topology has no intermediary to run; add one with `hopscope intermediary add`, or run `hopscope gateway run --demo`".into(),
            ));
        }
        let RoutePlan {
            intermediaries,
            destinations,
            addresses,
        } = plan_routes(&topology)?;
        let mut conn = self.conn().await?;

        let mut listeners = Vec::new();
        let mut planned_listeners = Vec::new();
        for (planned, view) in intermediaries.into_iter().zip(&topology.intermediaries) {
            if view.credentials.is_empty() {
                return Err(Error::Invalid(format!(
                    "intermediary \"{}\" has no certificate to serve; set one with `hopscope intermediary update {} --cert CREDENTIAL`",
                    view.name, view.name
                )));
            }
            let mut listener = ListenerConfig::loopback(planned.name.clone(), planned.port);
            let mut served = Vec::new();
            for credential in &view.credentials {
                let loaded = self.load_server_certificate(&mut conn, credential).await?;
                listener.certificates.push(loaded.server);
                served.push(loaded.served);
            }
            listener.routes = planned.routes;
            planned_listeners.push(PlannedListener {
                hop: planned.name,
                kind: view.kind.as_str().to_string(),
                address: listener.bind,
                certificates: served,
            });
            listeners.push(listener);
        }

        let mut stubs = Vec::new();
        let mut public_endpoints = Vec::new();
        let mut external_destinations = Vec::new();
        for (planned, view) in destinations.into_iter().zip(&topology.destinations) {
            let public = url::Url::parse(&view.public_url)
                .map_err(|e| Error::Invalid(format!("invalid public URL {} of \"{}\": {e}", view.public_url, view.name)))?;
            public_endpoints.push(PublicEndpoint {
                destination: planned.name.clone(),
                public_url: planned.public_base_url.clone(),
                host: public.host_str().unwrap_or_default().to_string(),
                port: public.port_or_known_default().unwrap_or(443),
                route: planned.route.clone(),
            });
            // The operator runs an external destination with a certificate of
            // its own, which the last hop verifies against the authorities.
            if let Some(ip) = planned.external {
                external_destinations.push(ExternalDestination {
                    destination: planned.name,
                    private_url: view.private_url.clone(),
                    address: SocketAddr::new(ip, planned.port),
                });
                continue;
            }
            let credential = view.endpoint_credential.as_deref().ok_or_else(|| {
                Error::Invalid(format!(
                    "destination \"{}\" has no private-endpoint certificate to serve {}; set one with `hopscope destination update {} --endpoint-cert CREDENTIAL`",
                    view.name, view.private_url, view.name
                ))
            })?;
            let loaded = self.load_server_certificate(&mut conn, credential).await?;
            let bind = SocketAddr::from((Ipv4Addr::LOCALHOST, planned.port));
            planned_listeners.push(PlannedListener {
                hop: planned.name.clone(),
                kind: "destination".into(),
                address: bind,
                certificates: vec![loaded.served],
            });
            stubs.push(StubDestinationConfig {
                name: planned.name,
                bind,
                base_path: planned.base_path,
                public_base_url: planned.public_base_url,
                certificate: ServerCertificate {
                    host: planned.private_host,
                    ..loaded.server
                },
            });
        }

        let authorities = self.authority_certificates(&mut conn).await?;
        let config = GatewayConfig {
            listeners,
            upstream: UpstreamConfig {
                addresses,
                trust_roots: authorities.clone(),
                ..UpstreamConfig::default()
            },
            limits: Default::default(),
        };
        Ok(GatewayPlan {
            config,
            destinations: stubs,
            listeners: planned_listeners,
            public_endpoints,
            external_destinations,
            authorities_pem: hopscope_pki::export::certificates_to_pem(&authorities),
        })
    }

    /// Loads a credential's current certificate chain and decrypted key,
    /// serving the host of the credential's URL.
    pub(crate) async fn load_server_certificate(&self, conn: &mut SqliteConnection, name: &str) -> Result<LoadedCertificate> {
        let credential = credential_row(conn, name).await?;
        let certificate = current_certificate(conn, &credential).await?;
        let key_id = certificate.key_id.ok_or_else(|| Error::CredentialWithoutKey(name.to_string()))?;
        let key = self.load_key(conn, key_id).await?;
        let url = credential.url.as_deref().ok_or_else(|| {
            Error::Invalid(format!("credential \"{name}\" has no URL, so no host to serve; issue it with --url"))
        })?;
        let host = url::Url::parse(url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
            .ok_or_else(|| Error::Invalid(format!("credential \"{name}\" has the URL {url} without a host; reissue it with an https URL")))?;
        let chain = chain_ders(conn, &certificate).await?;
        Ok(LoadedCertificate {
            server: ServerCertificate {
                host: host.clone(),
                chain_pem: hopscope_pki::export::certificates_to_pem(&chain),
                key_pkcs8_der: key.pkcs8_der().to_vec(),
            },
            served: ServedCertificate {
                host,
                credential: name.to_string(),
                subject: certificate.subject,
                sha256_fingerprint: certificate.sha256_fingerprint,
            },
        })
    }

    /// Returns the DER of every authority's current certificate.
    pub(crate) async fn authority_certificates(&self, conn: &mut SqliteConnection) -> Result<Vec<Vec<u8>>> {
        let mut ders = Vec::new();
        for authority in rows::listing(conn, true, None).await? {
            let credential = credential_row(conn, &authority.name).await?;
            ders.push(current_certificate(conn, &credential).await?.der);
        }
        Ok(ders)
    }
}
