//! The simulators' inputs from the workspace: destination-signing and
//! originator identities, the trust lists destinations decide with, and the
//! destination simulator of each destination the gateway serves.

use hopscope_gateway::{RecordSink, StubDestinationConfig};
use hopscope_sim::{Destination, DestinationConfig, DestinationTrust, SigningIdentity};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;

use crate::model::{DestinationView, Topology};
use crate::{Error, Result, Workspace};

/// Seed of the destination simulators' sample resources, fixed so that two
/// runs serve the same Patients.
const SAMPLE_SEED: u64 = 2026;

impl Workspace {
    /// Loads a credential's current certificate chain and decrypted key as a
    /// signing identity.
    pub(crate) async fn signing_identity(&self, credential: &str) -> Result<SigningIdentity> {
        let mut conn = self.conn().await?;
        let loaded = self.load_server_certificate(&mut conn, credential).await?;
        let chain: Vec<Vec<u8>> = CertificateDer::pem_slice_iter(loaded.server.chain_pem.as_bytes())
            .filter_map(|der| der.ok().map(|der| der.to_vec()))
            .collect();
        SigningIdentity::new(credential, &loaded.server.key_pkcs8_der, chain)
            .map_err(|e| Error::Invalid(e.to_string()))
    }

    /// Returns the trust list a destination decides with now.
    pub(crate) async fn destination_trust(&self, destination: &str) -> Result<DestinationTrust> {
        let view = self.trust_list(destination).await?;
        Ok(DestinationTrust {
            list: view.list,
            version: view.version,
            crls: self.current_crls().await?,
        })
    }

    /// Builds the destination simulator that serves a planned destination.
    pub(crate) async fn destination_simulator(
        &self,
        topology: &Topology,
        planned: &StubDestinationConfig,
        records: Option<RecordSink>,
        body_capture_bytes: usize,
    ) -> Result<DestinationConfig> {
        let view = topology
            .destinations
            .iter()
            .find(|d| d.name == planned.name)
            .ok_or_else(|| crate::topology::destination_not_found(&planned.name))?;
        let signing_credential = view.signing_credential.as_deref().ok_or_else(|| {
            Error::Invalid(format!(
                "destination \"{}\" has no destination-signing credential to sign its responses; set one with `hopscope destination update {} --signing-cert CREDENTIAL`",
                view.name, view.name
            ))
        })?;
        let parse = |what: &'static str, url: &str| {
            url::Url::parse(url).map_err(|e| Error::Invalid(format!("invalid {what} URL {url} of \"{}\": {e}", view.name)))
        };
        Ok(DestinationConfig {
            name: view.name.clone(),
            bind: planned.bind,
            private_base: parse("private", &view.private_url)?,
            public_base: parse("public", &view.public_url)?,
            private_urls: private_urls(topology, view),
            certificate: planned.certificate.clone(),
            signing: self.signing_identity(signing_credential).await?,
            trust: self.destination_trust(&view.name).await?,
            records,
            seed: SAMPLE_SEED,
            body_capture_bytes,
        })
    }
}

impl Workspace {
    /// Brings running destination simulators up to date: a new trust-list
    /// version applies to the next registration or token request, and a
    /// rotated destination-signing certificate signs the next response.
    pub(crate) async fn sync_simulators(&self, destinations: impl Iterator<Item = &Destination>) -> Result<()> {
        let topology = self.topology().await?;
        for destination in destinations {
            let Some(view) = topology.destinations.iter().find(|d| d.name == destination.name()) else {
                continue;
            };
            let leak = self.leak_private_url(&view.name).await?;
            if leak != destination.leak_private_url() {
                destination.set_leak_private_url(leak);
                tracing::warn!(destination = %view.name, on = leak, "destination simulator leak-private-URL misbehaviour switched");
            }
            let version = self.trust_list(&view.name).await?.version;
            if version != destination.trust_version() {
                destination.set_trust(self.destination_trust(&view.name).await?);
                tracing::info!(destination = %view.name, version, "destination simulator uses a new trust list version");
            }
            if let Some(credential) = &view.endpoint_credential {
                // The key is decrypted only after a rotation, not on every poll.
                let current = self.summary(credential).await?.sha256_fingerprint;
                let store = destination.certificates();
                let stale: Vec<String> = store
                    .hosts()
                    .into_iter()
                    .filter(|host| store.fingerprint(host).as_deref() != Some(current.as_str()))
                    .collect();
                if !stale.is_empty() {
                    let mut conn = self.conn().await?;
                    let loaded = self.load_server_certificate(&mut conn, credential).await?;
                    drop(conn);
                    for host in stale {
                        store
                            .replace(&host, &loaded.server.chain_pem, &loaded.server.key_pkcs8_der)
                            .map_err(|e| Error::Invalid(e.to_string()))?;
                    }
                    tracing::info!(destination = %view.name, credential = %credential, "destination simulator serves a rotated certificate");
                }
            }
            if let Some(credential) = &view.signing_credential {
                let current = self.summary(credential).await?.sha256_fingerprint;
                if current != destination.signing_fingerprint() {
                    destination.set_signing(self.signing_identity(credential).await?);
                    tracing::info!(destination = %view.name, credential = %credential, "destination simulator signs with a rotated certificate");
                }
            }
        }
        Ok(())
    }
}

/// Private URLs an exchange with `destination` must never show: the
/// destination's own and those of the delegated intermediaries on its
/// route (everything after the inbound gateway).
pub(crate) fn private_urls(topology: &Topology, destination: &DestinationView) -> Vec<String> {
    let mut urls = vec![destination.private_url.clone()];
    for hop in destination.route.iter().skip(1) {
        if let Some(intermediary) = topology.intermediaries.iter().find(|i| &i.name == hop) {
            urls.extend(intermediary.listen_urls.iter().cloned());
        }
    }
    urls
}

/// Prefix of the meta keys that store a destination's "leak private URL"
/// misbehaviour; the destination name follows.
const LEAK_META_PREFIX: &str = "misbehaviour/leak-private-url/";

impl Workspace {
    /// Switches a destination's "leak private URL" misbehaviour, stored in
    /// the workspace so that another process can switch it while a gateway
    /// runs; the gateway applies it within a second. Writes an audit entry.
    pub async fn set_leak_private_url(&self, destination: &str, on: bool) -> Result<()> {
        let topology = self.topology().await?;
        if !topology.destinations.iter().any(|d| d.name == destination) {
            return Err(crate::topology::destination_not_found(destination));
        }
        let mut tx = self.store.begin().await?;
        let key = format!("{LEAK_META_PREFIX}{destination}");
        hopscope_store::rows::set_meta(&mut tx, &key, if on { b"on" } else { b"off" }).await?;
        let detail = if on { "leak-private-url on" } else { "leak-private-url off" };
        hopscope_store::rows::insert_audit(&mut tx, crate::now_unix(), "set-misbehaviour", destination, None, None, detail)
            .await?;
        tx.commit().await.map_err(hopscope_store::Error::from)?;
        tracing::warn!(destination, on, "leak-private-URL misbehaviour stored");
        Ok(())
    }

    /// Returns whether a destination's "leak private URL" misbehaviour is on.
    pub async fn leak_private_url(&self, destination: &str) -> Result<bool> {
        let mut conn = self.conn().await?;
        let key = format!("{LEAK_META_PREFIX}{destination}");
        Ok(hopscope_store::rows::get_meta(&mut conn, &key).await?.as_deref() == Some(b"on".as_slice()))
    }
}
