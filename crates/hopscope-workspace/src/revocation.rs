//! Revocation and CRLs.

use hopscope_pki::revocation::{build_crl, RevocationReason, RevokedEntry};
use hopscope_store::rows;
use time::Duration;

use crate::credentials::{credential_row, current_certificate};
use crate::{from_unix, now, now_unix, Error, Result, Workspace};

/// How long a CRL is valid: its `nextUpdate` is this long after `thisUpdate`.
const CRL_LIFETIME: Duration = Duration::days(7);

impl Workspace {
    /// Revokes the current certificate of `name`. It stays current (the
    /// credential shows as revoked) until the operator rotates it.
    pub async fn revoke(&self, name: &str, reason: RevocationReason) -> Result<()> {
        let mut tx = self.store.begin().await?;
        let credential = credential_row(&mut tx, name).await?;
        let current = current_certificate(&mut tx, &credential).await?;
        if current.revoked_at.is_some() {
            return Err(Error::Invalid(format!(
                "the current certificate of \"{name}\" (serial {}) is already revoked; rotate it to get a new one",
                current.serial_hex
            )));
        }
        rows::revoke_certificate(&mut tx, current.id, now_unix(), reason.as_str()).await?;
        rows::insert_audit(
            &mut tx,
            now_unix(),
            "revoke",
            name,
            Some(&current.serial_hex),
            Some(&current.sha256_fingerprint),
            &format!("reason={reason}"),
        )
        .await?;
        tx.commit().await.map_err(hopscope_store::Error::from)?;
        tracing::info!(credential = %name, %reason, "revoked certificate");
        Ok(())
    }

    /// Signs a fresh CRL of the authority `name`, PEM or DER, listing every
    /// revoked certificate it issued. Each call takes the next CRL number.
    pub async fn crl(&self, name: &str, pem: bool) -> Result<Vec<u8>> {
        self.data_key()?;
        let mut tx = self.store.begin().await?;
        let authority = self.signing_authority(&mut tx, name).await?;
        let revoked = rows::revoked_by_authority(&mut tx, authority.credential.id)
            .await?
            .into_iter()
            .map(|c| RevokedEntry {
                serial: serial_bytes(&c.serial_hex),
                revoked_at: from_unix(c.revoked_at.unwrap_or(0)),
                reason: c
                    .revocation_reason
                    .as_deref()
                    .and_then(|r| r.parse().ok())
                    .unwrap_or(RevocationReason::Unspecified),
            })
            .collect::<Vec<_>>();
        let number = rows::next_crl_number(&mut tx, authority.credential.id).await?;
        let this_update = now();
        let der = build_crl(&authority.issuer(), &revoked, number as u64, this_update, this_update + CRL_LIFETIME)?;
        rows::insert_audit(
            &mut tx,
            now_unix(),
            "crl",
            name,
            None,
            None,
            &format!("number={number} revoked={}", revoked.len()),
        )
        .await?;
        tx.commit().await.map_err(hopscope_store::Error::from)?;
        if pem {
            Ok(pem::encode(&pem::Pem::new("X509 CRL", der)).into_bytes())
        } else {
            Ok(der)
        }
    }
}

impl Workspace {
    /// Signs, in memory, a CRL for every authority of the workspace that holds
    /// its key, empty ones included, so a decision can say a certificate is on
    /// no CRL. Nothing is stored and no CRL number is consumed.
    pub(crate) async fn current_crls(&self) -> Result<Vec<Vec<u8>>> {
        let mut conn = self.conn().await?;
        let authorities = rows::listing(&mut conn, true, None).await?;
        let mut crls = Vec::new();
        for authority in authorities {
            let credential = crate::credentials::credential_row(&mut conn, &authority.name).await?;
            let revoked = rows::revoked_by_authority(&mut conn, credential.id).await?;
            if !authority.has_key {
                continue;
            }
            let signer = self.signing_authority(&mut conn, &authority.name).await?;
            let entries: Vec<RevokedEntry> = revoked
                .into_iter()
                .map(|c| RevokedEntry {
                    serial: serial_bytes(&c.serial_hex),
                    revoked_at: from_unix(c.revoked_at.unwrap_or(0)),
                    reason: c
                        .revocation_reason
                        .as_deref()
                        .and_then(|r| r.parse().ok())
                        .unwrap_or(RevocationReason::Unspecified),
                })
                .collect();
            let this_update = now();
            crls.push(build_crl(&signer.issuer(), &entries, 1, this_update, this_update + CRL_LIFETIME)?);
        }
        Ok(crls)
    }
}

/// Unsigned big-endian serial bytes from the stored hex of the DER integer
/// content, which carries a leading zero byte when the high bit is set.
fn serial_bytes(serial_hex: &str) -> Vec<u8> {
    let bytes = hex::decode(serial_hex).unwrap_or_default();
    let first_nonzero = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len().saturating_sub(1));
    bytes[first_nonzero..].to_vec()
}

#[cfg(test)]
mod tests {
    use super::serial_bytes;

    #[test]
    fn serial_bytes_strips_sign_byte() {
        assert_eq!(serial_bytes("00ff01"), vec![0xff, 0x01]);
        assert_eq!(serial_bytes("7f"), vec![0x7f]);
        assert_eq!(serial_bytes("00"), vec![0x00]);
    }
}
