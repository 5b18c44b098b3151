//! Faults per hop, stored in the workspace so that another process can set
//! them while a gateway runs; the gateway polls them and applies changes.

use std::collections::BTreeMap;

use hopscope_gateway::{Fault, FaultControl};
use hopscope_store::{exchanges, rows};

use crate::{now_unix, Error, Result, Workspace};

impl Workspace {
    /// Sets the fault of `hop` (`None` clears it) and writes an audit entry.
    /// Returns the fault the hop had before.
    pub async fn set_fault(&self, hop: &str, fault: Option<&Fault>) -> Result<Option<Fault>> {
        let topology = self.topology().await?;
        if !topology.intermediaries.iter().any(|i| i.name == hop) {
            let known: Vec<&str> = topology.intermediaries.iter().map(|i| i.name.as_str()).collect();
            return Err(Error::NotFound {
                kind: "hop",
                name: hop.to_string(),
                hint: if known.is_empty() {
                    "the topology has no intermediary; add one with `hopscope intermediary add` or run `hopscope demo`".into()
                } else {
                    format!("known hops: {}", known.join(", "))
                },
            });
        }
        if let Some(fault) = fault {
            fault.validate().map_err(|e| Error::Invalid(e.to_string()))?;
        }

        let mut tx = self.store.begin().await?;
        let previous = exchanges::faults(&mut tx)
            .await?
            .into_iter()
            .find(|row| row.hop == hop)
            .and_then(|row| serde_json::from_str::<Fault>(&row.fault).ok());
        let detail = match fault {
            Some(fault) => {
                let json = serde_json::to_string(fault)
                    .map_err(|e| Error::Invalid(format!("fault {fault} is not serializable: {e}")))?;
                exchanges::set_fault(&mut tx, hop, &json, now_unix()).await?;
                rows::insert_audit(&mut tx, now_unix(), "set-fault", hop, None, None, &fault.to_string()).await?;
                fault.to_string()
            }
            None => {
                exchanges::clear_fault(&mut tx, hop).await?;
                rows::insert_audit(&mut tx, now_unix(), "clear-fault", hop, None, None, "").await?;
                "none".to_string()
            }
        };
        tx.commit().await.map_err(hopscope_store::Error::from)?;
        tracing::info!(hop = %hop, fault = %detail, "fault stored");
        Ok(previous)
    }

    /// Returns the stored fault of every hop that has one. A row that does
    /// not parse is skipped with a warning.
    pub async fn faults(&self) -> Result<BTreeMap<String, Fault>> {
        let mut conn = self.conn().await?;
        let mut faults = BTreeMap::new();
        for row in exchanges::faults(&mut conn).await? {
            match serde_json::from_str::<Fault>(&row.fault) {
                Ok(fault) => {
                    faults.insert(row.hop, fault);
                }
                Err(error) => {
                    tracing::warn!(hop = %row.hop, error = %error, "stored fault is invalid; ignoring it");
                }
            }
        }
        Ok(faults)
    }

    /// Brings `control` in line with the stored faults. `applied` is what
    /// the previous call applied; only changes are set or cleared. Returns
    /// the hops whose fault changed, with the new fault.
    pub async fn sync_faults(
        &self,
        control: &FaultControl,
        applied: &mut BTreeMap<String, Fault>,
    ) -> Result<Vec<(String, Option<Fault>)>> {
        let stored = self.faults().await?;
        let mut changes = Vec::new();
        for (hop, fault) in &stored {
            if applied.get(hop) == Some(fault) {
                continue;
            }
            match control.set(hop, fault.clone()) {
                Ok(()) => changes.push((hop.clone(), Some(fault.clone()))),
                // A hop that is not running (added to the topology after
                // the gateway started) keeps its fault for the next run.
                Err(error) => tracing::warn!(hop = %hop, error = %error, "stored fault not applied"),
            }
        }
        for hop in applied.keys() {
            if !stored.contains_key(hop) {
                if let Err(error) = control.clear(hop) {
                    tracing::warn!(hop = %hop, error = %error, "clearing a fault failed");
                }
                changes.push((hop.clone(), None));
            }
        }
        // A fault that failed to apply counts as applied too, so it is
        // reported once instead of on every poll.
        *applied = stored;
        Ok(changes)
    }
}
