//! Creating authorities: self-signed roots and intermediates.

use hopscope_pki::issue::{issue, IssueRequest};
use hopscope_pki::{PrivateKey, Role};
use hopscope_store::rows::{self, NewCredentialRow};

use crate::credentials::{checked_validity, ensure_unused_name, insert_current_certificate};
use crate::{check_name, now, now_unix, CredentialSummary, NewAuthority, Result, Workspace};

impl Workspace {
    /// Creates a root (no parent) or an intermediate signed by `parent`.
    pub async fn create_authority(&self, request: &NewAuthority) -> Result<CredentialSummary> {
        check_name(&request.name)?;
        let validity = checked_validity(request.validity_seconds)?;
        self.data_key()?;

        let mut tx = self.store.begin().await?;
        ensure_unused_name(&mut tx, &request.name).await?;
        let parent = match &request.parent {
            Some(parent) => Some(self.signing_authority(&mut tx, parent).await?),
            None => None,
        };
        let key = PrivateKey::generate(request.key_type)?;
        let der = issue(
            &IssueRequest {
                role: Role::Authority,
                common_name: &request.name,
                url: None,
                key: &key,
                not_before: now(),
                validity,
                path_len: request.path_len,
            },
            parent.as_ref().map(|p| p.issuer()).as_ref(),
        )?;
        let credential_id = rows::insert_credential(
            &mut tx,
            &NewCredentialRow {
                name: &request.name,
                role: Role::Authority.as_str(),
                url: None,
                authority_id: parent.as_ref().map(|p| p.credential.id),
                key_type: request.key_type.as_str(),
                validity_seconds: request.validity_seconds,
                path_len: request.path_len.map(i64::from),
                origin: "issued",
                created_at: now_unix(),
            },
        )
        .await?;
        let key_id = self.store_key(&mut tx, &key).await?;
        let stored = insert_current_certificate(
            &mut tx,
            credential_id,
            &der,
            Some(key_id),
            parent.as_ref().map(|p| p.certificate.id),
        )
        .await?;
        let kind = match &request.parent {
            Some(parent) => format!("intermediate under {parent}"),
            None => "root".to_string(),
        };
        rows::insert_audit(
            &mut tx,
            now_unix(),
            "create-authority",
            &request.name,
            Some(&stored.serial),
            Some(&stored.sha256),
            &format!("{kind} key={}", request.key_type),
        )
        .await?;
        tx.commit().await.map_err(hopscope_store::Error::from)?;
        tracing::info!(authority = %request.name, "created authority");
        self.summary(&request.name).await
    }
}
