//! Workspace services: the operations an operator runs on a workspace, shared
//! by the `hopscope` command and the desktop app. Both are thin adapters over
//! [`Workspace`].

mod authorities;
mod credentials;
pub mod demo;
pub mod error;
mod exchange_list;
mod exchange_live;
mod exchange_run;
mod exchange_view;
mod failpoint;
mod faults;
mod gateway_config;
pub mod gateway_runtime;
pub mod gateway_rotation;
pub mod gateway_routes;
mod har;
mod keys;
pub mod model;
pub mod paths;
pub mod records;
pub mod requests;
mod revocation;
mod simulators;
mod rotation;
mod summary;
mod topology;
mod topology_check;
pub mod trace;
mod transfer;
pub mod trust;
pub mod verdict;

use std::path::Path;
use std::sync::{Arc, RwLock};

use hopscope_store::vault::DataKey;
use hopscope_store::{rows, Store};
use time::OffsetDateTime;

pub use error::{Error, Result};
pub use model::*;
pub use requests::*;
pub use transfer::inspect_file;
pub use gateway_config::{ExternalDestination, GatewayPlan, PlannedListener, PublicEndpoint, ServedCertificate};
pub use har::har_log;
pub use records::{RecordWriter, RecordWriterCounts, RecordWriterOptions, RecordWriterStats};
pub use gateway_runtime::{
    EndpointStatus, GatewayEvent, GatewayOptions, GatewayRuntime, GatewayStatus, GatewayStopped, ListenerStatus,
};
pub use exchange_list::{
    scenarios, ExchangeListRow, HeaderSearch, JudgeProgress, RowVerdict, ScenarioSummary, VerdictBadge, VerdictState,
    EXCHANGE_ROW_FIELDS,
};
pub use exchange_live::{
    FiguresRequest, HopFigures, HopSeries, LiveEdge, LiveNode, LiveTopology, NodeCertificateStatus, NodeCredential, NodeKind,
    MAX_WINDOW_SECONDS, OTHER_CLIENTS,
};
pub use exchange_run::{ExchangeOutcome, ExchangeRun, ExchangeRunPlan, ExchangeRunRequest};
pub use exchange_view::{CurlCommand, ExchangeView, HarExport, Lane, LaneKind, PresentedCertificate, HAR_EXPORT_LIMIT};
pub use trace::{ExchangeDetail, ExchangeSummary, HopSummary};
pub use verdict::{Verdict, VerdictCheck, VerdictCheckName};
pub use hopscope_sim::{Scenario, StepOutcome, StepReport, SCENARIOS};
pub use hopscope_gateway::{Fault, FaultControl};
pub use hopscope_trust::{Presented, TrustDecision, TrustListChange};

/// Meta key of the wrapped vault data key.
const VAULT_META_KEY: &str = "vault_data_key";

/// An open workspace. Cheap to clone: clones share the database pool and the
/// unlocked vault.
#[derive(Clone)]
pub struct Workspace {
    store: Store,
    vault: Arc<RwLock<Option<DataKey>>>,
}

impl Workspace {
    /// Creates a new workspace file at `path` protected by `passphrase`, and
    /// returns it unlocked. Fails when a file already exists there.
    pub async fn create(path: &Path, passphrase: &str) -> Result<Workspace> {
        if passphrase.is_empty() {
            return Err(Error::Invalid(
                "the passphrase is empty; choose a passphrase that protects the workspace's private keys".into(),
            ));
        }
        let (data_key, wrapped) = DataKey::generate(passphrase)?;
        let store = Store::create(path).await?;
        let mut tx = store.begin().await?;
        rows::set_meta(&mut tx, VAULT_META_KEY, &wrapped).await?;
        rows::insert_audit(&mut tx, now_unix(), "init", &path.display().to_string(), None, None, "").await?;
        tx.commit().await.map_err(hopscope_store::Error::from)?;
        Ok(Workspace {
            store,
            vault: Arc::new(RwLock::new(Some(data_key))),
        })
    }

    /// Opens an existing workspace, locked. Rejects a workspace written by a
    /// newer Hopscope.
    pub async fn open(path: &Path) -> Result<Workspace> {
        let store = Store::open(path).await?;
        Ok(Workspace {
            store,
            vault: Arc::new(RwLock::new(None)),
        })
    }

    pub fn path(&self) -> &Path {
        self.store.path()
    }

    /// Unlocks the key vault; a wrong passphrase is `Error::WrongPassphrase`
    /// and changes nothing.
    pub async fn unlock(&self, passphrase: &str) -> Result<()> {
        let mut conn = self.store.pool().acquire().await.map_err(hopscope_store::Error::from)?;
        let wrapped = rows::get_meta(&mut conn, VAULT_META_KEY)
            .await?
            .ok_or_else(|| Error::Invalid(format!("workspace {} has no key vault", self.path().display())))?;
        let data_key = match DataKey::unwrap(&wrapped, passphrase) {
            Ok(key) => key,
            Err(hopscope_store::Error::WrongPassphrase) => {
                tracing::warn!(workspace = %self.path().display(), "unlock failed: wrong passphrase");
                return Err(Error::WrongPassphrase {
                    path: self.path().display().to_string(),
                });
            }
            Err(e) => return Err(e.into()),
        };
        *self.vault.write().expect("vault lock poisoned") = Some(data_key);
        tracing::info!(workspace = %self.path().display(), "unlocked");
        Ok(())
    }

    pub fn is_unlocked(&self) -> bool {
        self.vault.read().expect("vault lock poisoned").is_some()
    }

    /// Forgets the data key; operations that need a private key fail with
    /// `Error::Locked` until the next unlock.
    pub fn lock(&self) {
        *self.vault.write().expect("vault lock poisoned") = None;
    }

    /// Closes the database.
    pub async fn close(&self) {
        self.store.close().await;
    }

    /// The audit log, newest first.
    pub async fn audit(&self, limit: Option<u32>) -> Result<Vec<AuditEntry>> {
        let mut conn = self.conn().await?;
        let rows = rows::audit(&mut conn, limit.map(i64::from).unwrap_or(i64::MAX)).await?;
        Ok(rows
            .into_iter()
            .map(|r| AuditEntry {
                id: r.id,
                actor: r.actor,
                at: from_unix(r.at),
                action: r.action,
                subject: r.subject,
                serial: r.serial_hex,
                sha256_fingerprint: r.sha256_fingerprint,
                detail: r.detail,
            })
            .collect())
    }

    async fn conn(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Sqlite>> {
        Ok(self.store.pool().acquire().await.map_err(hopscope_store::Error::from)?)
    }

    fn data_key(&self) -> Result<DataKey> {
        self.vault.read().expect("vault lock poisoned").clone().ok_or(Error::Locked)
    }
}

pub(crate) fn now() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(0).unwrap_or(now)
}

pub(crate) fn now_unix() -> i64 {
    now().unix_timestamp()
}

pub(crate) fn from_unix(seconds: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(seconds).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// Checks a credential or authority name: letters, digits, `.`, `_` and `-`,
/// starting with a letter or digit, at most 128 characters.
pub(crate) fn check_name(name: &str) -> Result<()> {
    let valid = !name.is_empty()
        && name.len() <= 128
        && name.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if valid {
        Ok(())
    } else {
        Err(Error::Invalid(format!(
            "invalid name \"{name}\"; use 1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )))
    }
}
