//! Destination trust lists: versioned edits, history, revert, import and
//! export. Every edit stores the whole list as a new version.

use hopscope_pki::import::read_bundle;
use hopscope_pki::inspect::inspect;
use hopscope_store::rows;
use hopscope_store::topology::{self as topo, TrustListVersionRow};
use hopscope_trust::{
    decide, Anchor, AnchorSource, DecisionContext, DeniedOriginator, DenyMatch, PinnedOriginator, Presented,
    TrustDecision, TrustList, TrustListChange,
};
use serde::{Deserialize, Serialize};
use sqlx::SqliteConnection;

use crate::credentials::{credential_row, current_certificate};
use crate::topology::destination_row;
use crate::{from_unix, now, now_unix, Error, Result, Workspace};

/// A destination's trust list at one version.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrustListView {
    pub destination: String,
    /// 0 while the list has never been edited (and is empty).
    pub version: i64,
    pub list: TrustList,
}

/// One version in a trust list's history, newest first.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrustListVersion {
    pub version: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: time::OffsetDateTime,
    /// The operating-system user that made the change.
    pub actor: String,
    /// One line: what the edit did.
    pub change: String,
    /// The changes from the previous version.
    pub changes: Vec<TrustListChange>,
}

/// Entries that `trust add` puts on a list.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum TrustAddition {
    /// An authority of the workspace, by name: its current certificate.
    AnchorAuthority { name: String },
    /// Every CA certificate of a PEM or DER file.
    AnchorFile { bytes: Vec<u8> },
    /// The first certificate of a file, pinned by its SPKI.
    Pin { bytes: Vec<u8> },
    /// The first certificate of a file, denied by its fingerprint.
    DenyCertificate { bytes: Vec<u8> },
    DenySpki { spki_sha256: String },
    DenyUri { uri: String },
}

/// Trust list file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TrustExportFormat {
    /// A PEM bundle of the anchors.
    Pem,
    /// The whole list.
    Json,
}

impl Workspace {
    pub async fn trust_list(&self, destination: &str) -> Result<TrustListView> {
        let mut conn = self.conn().await?;
        let row = destination_row(&mut conn, destination).await?;
        let (version, list) = latest(&mut conn, row.id).await?;
        Ok(TrustListView {
            destination: destination.to_string(),
            version,
            list,
        })
    }

    /// Adds entries and stores the result as a new version; returns it.
    pub async fn trust_add(&self, destination: &str, addition: &TrustAddition, note: &str) -> Result<TrustListView> {
        let mut tx = self.store.begin().await?;
        let row = destination_row(&mut tx, destination).await?;
        let (_, mut list) = latest(&mut tx, row.id).await?;
        let at = now();
        let change = match addition {
            TrustAddition::AnchorAuthority { name } => {
                let credential = credential_row(&mut tx, name).await?;
                if credential.role != hopscope_pki::Role::Authority.as_str() {
                    return Err(Error::NotAnAuthority(name.clone()));
                }
                let certificate = current_certificate(&mut tx, &credential).await?;
                let source = AnchorSource::Authority { name: name.clone() };
                let anchor = list.add_anchor(Anchor::new(&certificate.der, source, note, at)?)?;
                format!("added anchor {} ({})", anchor.id, anchor.subject)
            }
            TrustAddition::AnchorFile { bytes } => {
                let certificates = certificates_in(bytes)?;
                let mut added = Vec::new();
                for der in &certificates {
                    if !inspect(der)?.is_ca {
                        continue;
                    }
                    let anchor = list.add_anchor(Anchor::new(der, AnchorSource::Imported, note, at)?)?;
                    added.push(format!("{} ({})", anchor.id, anchor.subject));
                }
                if added.is_empty() {
                    return Err(Error::Invalid(
                        "the file contains no CA certificate to anchor; an anchor must be an authority certificate".into(),
                    ));
                }
                format!("added anchor {}", added.join(", "))
            }
            TrustAddition::Pin { bytes } => {
                let der = first_certificate(bytes)?;
                let pinned = list.add_pinned(PinnedOriginator::new(&der, note, at)?)?;
                format!("pinned {} ({})", pinned.id, pinned.subject)
            }
            TrustAddition::DenyCertificate { bytes } => {
                let der = first_certificate(bytes)?;
                let sha256_fingerprint = inspect(&der)?.sha256_fingerprint;
                deny(&mut list, DenyMatch::Certificate { sha256_fingerprint }, note, at)?
            }
            TrustAddition::DenySpki { spki_sha256 } => {
                deny(&mut list, DenyMatch::Spki { spki_sha256: spki_sha256.clone() }, note, at)?
            }
            TrustAddition::DenyUri { uri } => deny(&mut list, DenyMatch::SanUri { uri: uri.clone() }, note, at)?,
        };
        let version = store_version(&mut tx, row.id, destination, &list, &change).await?;
        tx.commit().await.map_err(hopscope_store::Error::from)?;
        Ok(TrustListView {
            destination: destination.to_string(),
            version,
            list,
        })
    }

    pub async fn trust_remove(&self, destination: &str, entry: &str) -> Result<TrustListView> {
        let mut tx = self.store.begin().await?;
        let row = destination_row(&mut tx, destination).await?;
        let (_, mut list) = latest(&mut tx, row.id).await?;
        let removed = list.remove(entry)?;
        let change = format!("removed {}", entry_label(&removed));
        let version = store_version(&mut tx, row.id, destination, &list, &change).await?;
        tx.commit().await.map_err(hopscope_store::Error::from)?;
        Ok(TrustListView {
            destination: destination.to_string(),
            version,
            list,
        })
    }

    /// Changes the note of one entry, as a new version.
    pub async fn trust_set_note(&self, destination: &str, entry: &str, note: &str) -> Result<TrustListView> {
        let mut tx = self.store.begin().await?;
        let row = destination_row(&mut tx, destination).await?;
        let (_, mut list) = latest(&mut tx, row.id).await?;
        list.set_note(entry, note)?;
        let version = store_version(&mut tx, row.id, destination, &list, &format!("changed the note of {entry}")).await?;
        tx.commit().await.map_err(hopscope_store::Error::from)?;
        Ok(TrustListView {
            destination: destination.to_string(),
            version,
            list,
        })
    }

    /// Every version, newest first, each with its changes from the one before.
    pub async fn trust_history(&self, destination: &str) -> Result<Vec<TrustListVersion>> {
        let mut conn = self.conn().await?;
        let row = destination_row(&mut conn, destination).await?;
        let rows = topo::trust_list_history(&mut conn, row.id).await?;
        let mut lists = Vec::with_capacity(rows.len());
        for r in &rows {
            lists.push(TrustList::from_json(&r.content)?);
        }
        let empty = TrustList::new();
        Ok(rows
            .iter()
            .enumerate()
            .map(|(index, r)| {
                let previous = lists.get(index + 1).unwrap_or(&empty);
                TrustListVersion {
                    version: r.version,
                    created_at: from_unix(r.created_at),
                    actor: r.actor.clone(),
                    change: r.change.clone(),
                    changes: previous.diff(&lists[index]),
                }
            })
            .collect())
    }

    /// The changes from version `from` to version `to` (0 is the empty list).
    pub async fn trust_diff(&self, destination: &str, from: i64, to: i64) -> Result<Vec<TrustListChange>> {
        let mut conn = self.conn().await?;
        let row = destination_row(&mut conn, destination).await?;
        let older = version_list(&mut conn, row.id, destination, from).await?;
        let newer = version_list(&mut conn, row.id, destination, to).await?;
        Ok(older.diff(&newer))
    }

    /// Makes the content of `version` the newest version. The revert is
    /// itself a new version, so it can be reverted too.
    pub async fn trust_revert(&self, destination: &str, version: i64) -> Result<TrustListView> {
        if version < 1 {
            return Err(Error::Invalid(format!(
                "cannot revert to version {version}: versions start at 1 (version 0 is the empty list before the first edit); to empty the list, remove its entries"
            )));
        }
        let mut tx = self.store.begin().await?;
        let row = destination_row(&mut tx, destination).await?;
        let list = version_list(&mut tx, row.id, destination, version).await?;
        let change = format!("reverted to version {version}");
        let new_version = store_version(&mut tx, row.id, destination, &list, &change).await?;
        tx.commit().await.map_err(hopscope_store::Error::from)?;
        Ok(TrustListView {
            destination: destination.to_string(),
            version: new_version,
            list,
        })
    }

    /// Decides whether the destination trusts the originator that presented
    /// a JWT or a chain (see `Presented::from_text`), at `at` or now. The
    /// workspace must be unlocked, because its authorities sign the CRLs the
    /// decision checks revocation against.
    pub async fn trust_check(
        &self,
        destination: &str,
        presented: &Presented,
        at: Option<time::OffsetDateTime>,
    ) -> Result<TrustDecision> {
        self.data_key()?;
        let view = self.trust_list(destination).await?;
        let topology = self.topology().await?;
        let target = topology
            .destinations
            .iter()
            .find(|d| d.name == destination)
            .ok_or_else(|| crate::topology::destination_not_found(destination))?;
        let mut private_urls = vec![target.private_url.clone()];
        for hop in target.route.iter().skip(1) {
            if let Some(intermediary) = topology.intermediaries.iter().find(|i| &i.name == hop) {
                private_urls.extend(intermediary.listen_urls.iter().cloned());
            }
        }
        let context = DecisionContext {
            at: at.unwrap_or_else(now),
            public_base_url: target.public_url.clone(),
            private_urls,
            crls: self.current_crls().await?,
            trust_list_version: view.version,
        };
        let decision = decide(&view.list, presented, &context);
        tracing::info!(destination, trusted = decision.trusted, version = view.version, "trust decision");
        Ok(decision)
    }

    pub async fn trust_export(&self, destination: &str, format: TrustExportFormat) -> Result<Vec<u8>> {
        let view = self.trust_list(destination).await?;
        Ok(match format {
            TrustExportFormat::Pem => view.list.anchors_to_pem().into_bytes(),
            TrustExportFormat::Json => view.list.to_json().into_bytes(),
        })
    }

    /// Imports a file: a JSON trust list replaces the list, a PEM bundle adds
    /// its certificates as anchors. Either way the result is a new version.
    pub async fn trust_import(&self, destination: &str, bytes: &[u8]) -> Result<TrustListView> {
        let text = std::str::from_utf8(bytes)
            .map_err(|_| Error::Invalid("a trust list file is JSON or a PEM bundle; this file is not text".into()))?;
        if text.trim_start().starts_with('{') {
            let list = TrustList::from_json(text)?;
            let mut tx = self.store.begin().await?;
            let row = destination_row(&mut tx, destination).await?;
            let change = format!(
                "imported a list of {} anchors, {} pinned, {} denied",
                list.anchors.len(),
                list.pinned.len(),
                list.denied.len()
            );
            let version = store_version(&mut tx, row.id, destination, &list, &change).await?;
            tx.commit().await.map_err(hopscope_store::Error::from)?;
            return Ok(TrustListView {
                destination: destination.to_string(),
                version,
                list,
            });
        }
        let anchors = TrustList::anchors_from_pem(text, now())?;
        let mut tx = self.store.begin().await?;
        let row = destination_row(&mut tx, destination).await?;
        let (_, mut list) = latest(&mut tx, row.id).await?;
        let mut added = Vec::new();
        for anchor in anchors {
            let anchor = list.add_anchor(anchor)?;
            added.push(anchor.id.clone());
        }
        let change = format!("imported anchors {}", added.join(", "));
        let version = store_version(&mut tx, row.id, destination, &list, &change).await?;
        tx.commit().await.map_err(hopscope_store::Error::from)?;
        Ok(TrustListView {
            destination: destination.to_string(),
            version,
            list,
        })
    }
}

/// The newest version and its list; version 0 and an empty list when none.
pub(crate) async fn latest(conn: &mut SqliteConnection, destination_id: i64) -> Result<(i64, TrustList)> {
    match topo::latest_trust_list(conn, destination_id).await? {
        Some(row) => Ok((row.version, TrustList::from_json(&row.content)?)),
        None => Ok((0, TrustList::new())),
    }
}

async fn version_list(
    conn: &mut SqliteConnection,
    destination_id: i64,
    destination: &str,
    version: i64,
) -> Result<TrustList> {
    if version == 0 {
        return Ok(TrustList::new());
    }
    let row: Option<TrustListVersionRow> = topo::trust_list_version(conn, destination_id, version).await?;
    let row = row.ok_or_else(|| Error::NotFound {
        kind: "trust list version",
        name: version.to_string(),
        hint: format!("list the versions with `hopscope trust history {destination}`"),
    })?;
    Ok(TrustList::from_json(&row.content)?)
}

async fn store_version(
    conn: &mut SqliteConnection,
    destination_id: i64,
    destination: &str,
    list: &TrustList,
    change: &str,
) -> Result<i64> {
    let actor = rows::actor();
    let version = topo::insert_trust_list_version(conn, destination_id, &list.to_json(), change, &actor, now_unix()).await?;
    rows::insert_audit(conn, now_unix(), "trust-edit", destination, None, None, &format!("version {version}: {change}")).await?;
    tracing::info!(destination, version, change, "trust list changed");
    Ok(version)
}

fn deny(list: &mut TrustList, rule: DenyMatch, note: &str, at: time::OffsetDateTime) -> Result<String> {
    let denied = list.add_denied(DeniedOriginator::new(rule, note, at)?)?;
    Ok(format!("denied {} ({})", denied.id, denied.rule))
}

fn certificates_in(bytes: &[u8]) -> Result<Vec<Vec<u8>>> {
    let bundle = read_bundle(bytes, None)?;
    if bundle.certificates.is_empty() {
        return Err(Error::Invalid("the file contains no certificate".into()));
    }
    Ok(bundle.certificates)
}

fn first_certificate(bytes: &[u8]) -> Result<Vec<u8>> {
    Ok(certificates_in(bytes)?.swap_remove(0))
}

fn entry_label(entry: &hopscope_trust::Entry) -> String {
    match entry {
        hopscope_trust::Entry::Anchor(a) => format!("anchor {} ({})", a.id, a.subject),
        hopscope_trust::Entry::Pinned(p) => format!("pinned {} ({})", p.id, p.subject),
        hopscope_trust::Entry::Denied(d) => format!("denied {} ({})", d.id, d.rule),
    }
}
