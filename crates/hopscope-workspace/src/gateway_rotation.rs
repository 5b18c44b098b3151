//! Keeping a running gateway's server certificates current: a rotation made
//! by another process (`hopscope cert rotate`, the app) reaches the gateway
//! through the workspace, which the gateway polls.

use std::collections::BTreeMap;

use hopscope_gateway::RunningGateway;
use hopscope_store::rows;

use crate::gateway_config::GatewayPlan;
use crate::{Result, Workspace};

/// Fingerprints of the certificates a running gateway serves, by credential.
pub type ServedFingerprints = BTreeMap<String, String>;

/// One certificate swapped into the running gateway.
#[derive(Debug, Clone)]
pub struct CertificateSwap {
    pub credential: String,
    pub host: String,
    pub sha256_fingerprint: String,
}

impl Workspace {
    /// The fingerprints the gateway of `plan` starts with, for
    /// `sync_certificates`. Only intermediaries' certificates are tracked.
    pub fn served_fingerprints(plan: &GatewayPlan) -> ServedFingerprints {
        plan.listeners
            .iter()
            .filter(|l| l.kind != "destination")
            .flat_map(|l| l.certificates.iter())
            .map(|c| (c.credential.clone(), c.sha256_fingerprint.clone()))
            .collect()
    }

    /// Swaps into `gateway` every served certificate whose credential has a
    /// new current certificate since the last call. New handshakes get the
    /// new certificate; open connections keep theirs. Needs the workspace
    /// unlocked for the new key.
    pub async fn sync_certificates(
        &self,
        gateway: &RunningGateway,
        served: &mut ServedFingerprints,
    ) -> Result<Vec<CertificateSwap>> {
        let mut conn = self.conn().await?;
        let mut swaps = Vec::new();
        for (credential, fingerprint) in served.iter_mut() {
            let Some(current) = rows::listing_one(&mut conn, credential).await? else { continue };
            if current.sha256_fingerprint == *fingerprint {
                continue;
            }
            let loaded = self.load_server_certificate(&mut conn, credential).await?;
            gateway.replace_certificate(&loaded.server.host, &loaded.server.chain_pem, &loaded.server.key_pkcs8_der)?;
            tracing::info!(
                credential = %credential,
                host = %loaded.server.host,
                fingerprint = %current.sha256_fingerprint,
                "swapped a rotated certificate into the running gateway"
            );
            *fingerprint = current.sha256_fingerprint.clone();
            swaps.push(CertificateSwap {
                credential: credential.clone(),
                host: loaded.server.host,
                sha256_fingerprint: current.sha256_fingerprint,
            });
        }
        Ok(swaps)
    }
}
