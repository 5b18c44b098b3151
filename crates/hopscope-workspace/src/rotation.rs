//! Rotation: a successor certificate made current in one transaction.

use hopscope_pki::issue::issue_successor;
use hopscope_pki::{KeyType, PrivateKey, Role};
use hopscope_store::rows;

use crate::credentials::{checked_validity, credential_row, current_certificate, insert_certificate, not_found};
use crate::failpoint;
use crate::summary::{rotation_due_at, summary_from_row};
use crate::{now, now_unix, CertificateStatus, CredentialSummary, Error, Result, RotationPolicy, Workspace};

impl Workspace {
    /// Issues a successor of the credential's current certificate (new key
    /// unless `reuse_key`; same profile and SANs; new validity) and makes it
    /// current. The predecessor stays in the history. Everything happens in
    /// one transaction, so a crash at any step leaves either the old or the
    /// new certificate current, each with its key.
    pub async fn rotate(&self, name: &str, reuse_key: bool) -> Result<CredentialSummary> {
        self.data_key()?;
        let mut tx = self.store.begin().await?;
        let credential = credential_row(&mut tx, name).await?;
        let current = current_certificate(&mut tx, &credential).await?;
        let validity = checked_validity(credential.validity_seconds)?;

        let authority = match credential.authority_id {
            Some(id) => {
                let authority = rows::credential_by_id(&mut tx, id).await?.ok_or_else(|| not_found(name))?;
                Some(self.signing_authority(&mut tx, &authority.name).await?)
            }
            None if credential.role == Role::Authority.as_str() && credential.origin == "issued" => None,
            None => {
                return Err(Error::Invalid(format!(
                    "credential \"{name}\" was imported and its issuer is not in this workspace, so Hopscope cannot issue its successor; import its authority with the key, or replace the certificate by importing a new one"
                )))
            }
        };

        let (key, key_id) = if reuse_key {
            let key_id = current.key_id.ok_or_else(|| Error::CredentialWithoutKey(name.to_string()))?;
            (self.load_key(&mut tx, key_id).await?, key_id)
        } else {
            let key_type: KeyType = credential.key_type.parse().map_err(|_| {
                Error::Invalid(format!(
                    "credential \"{name}\" has a {} key, which Hopscope does not generate; rotate with --reuse-key",
                    credential.key_type
                ))
            })?;
            let key = PrivateKey::generate(key_type)?;
            let key_id = self.store_key(&mut tx, &key).await?;
            (key, key_id)
        };
        failpoint::check("rotate-after-key");

        // A self-signed root signs its successor with the successor's own key,
        // which `issue_successor` does when given no issuer.
        let issuer = authority.as_ref().map(|a| a.issuer());
        let der = issue_successor(&current.der, &key, now(), validity, issuer.as_ref())?;
        let stored = insert_certificate(
            &mut tx,
            credential.id,
            &der,
            Some(key_id),
            authority.as_ref().map(|a| a.certificate.id),
        )
        .await?;
        failpoint::check("rotate-after-certificate");

        rows::clear_current(&mut tx, credential.id).await?;
        failpoint::check("rotate-after-clear");
        rows::make_current(&mut tx, stored.id).await?;
        failpoint::check("rotate-after-promote");

        let detail = format!(
            "predecessor={} key={}",
            current.serial_hex,
            if reuse_key { "reused" } else { "new" }
        );
        rows::insert_audit(&mut tx, now_unix(), "rotate", name, Some(&stored.serial), Some(&stored.sha256), &detail).await?;
        failpoint::check("rotate-before-commit");
        tx.commit().await.map_err(hopscope_store::Error::from)?;
        failpoint::check("rotate-after-commit");
        tracing::info!(credential = %name, reuse_key, "rotated certificate");
        self.summary(name).await
    }

    /// Credentials (authorities included) whose current certificate is due
    /// under its rotation policy and not revoked.
    pub async fn due_for_rotation(&self) -> Result<Vec<CredentialSummary>> {
        let mut conn = self.conn().await?;
        let at = now();
        let rows = rows::listing_all(&mut conn).await?;
        let mut due = Vec::new();
        for row in rows {
            let due_at = rotation_due_at(row.not_before, row.not_after, row.remaining_fraction);
            if row.revoked_at.is_none() && at.unix_timestamp() >= due_at {
                due.push(summary_from_row(row, at)?);
            }
        }
        Ok(due)
    }

    /// Rotates every due credential whose policy allows automatic rotation
    /// and returns the rotated ones. A failure on one is logged and does not
    /// stop the others.
    pub async fn rotate_due_automatic(&self) -> Result<Vec<CredentialSummary>> {
        let mut rotated = Vec::new();
        for summary in self.due_for_rotation().await? {
            if !summary.auto_rotate || summary.status == CertificateStatus::Revoked {
                continue;
            }
            match self.rotate(&summary.name, false).await {
                Ok(s) => rotated.push(s),
                Err(e) => tracing::error!(credential = %summary.name, error = %e, "automatic rotation failed"),
            }
        }
        Ok(rotated)
    }

    pub async fn set_rotation_policy(&self, name: &str, policy: RotationPolicy) -> Result<()> {
        if !(policy.remaining_fraction > 0.0 && policy.remaining_fraction < 1.0) {
            return Err(Error::Invalid(format!(
                "invalid rotation threshold {}; use a fraction of the lifetime between 0 and 1, such as 0.33",
                policy.remaining_fraction
            )));
        }
        let mut tx = self.store.begin().await?;
        let credential = credential_row(&mut tx, name).await?;
        rows::set_rotation_policy(&mut tx, credential.id, policy.remaining_fraction, policy.auto_rotate).await?;
        let detail = format!("remaining_fraction={:.4} auto_rotate={}", policy.remaining_fraction, policy.auto_rotate);
        rows::insert_audit(&mut tx, now_unix(), "policy", name, None, None, &detail).await?;
        tx.commit().await.map_err(hopscope_store::Error::from)?;
        Ok(())
    }
}
