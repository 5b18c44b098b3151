//! Revocation and CRLs.

use hopscope_pki::issue::Issuer;
use hopscope_pki::revocation::{build_crl, RevocationReason, RevokedEntry};
use hopscope_store::rows;
use sqlx::SqliteConnection;
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

    /// Signs fresh CRLs of the authority `name`, listing every revoked
    /// certificate it issued. Each key the authority has had signs the CRL of
    /// the certificates it issued, so certificates issued before a rotation
    /// with a new key stay checkable. PEM contains every such CRL, the current
    /// key's first. DER contains only the current key's. Each call takes the
    /// next CRL number.
    pub async fn crl(&self, name: &str, pem: bool) -> Result<Vec<u8>> {
        self.data_key()?;
        let mut tx = self.store.begin().await?;
        let authority = self.signing_authority(&mut tx, name).await?;
        let number = rows::next_crl_number(&mut tx, authority.credential.id).await?;
        let crls = self.crls_by_key(&mut tx, authority.credential.id, number).await?;
        let revoked: usize = crls.iter().map(|c| c.revoked).sum();
        rows::insert_audit(
            &mut tx,
            now_unix(),
            "crl",
            name,
            None,
            None,
            &format!("number={number} revoked={revoked} keys={}", crls.len()),
        )
        .await?;
        tx.commit().await.map_err(hopscope_store::Error::from)?;
        if pem {
            let text: String = crls.iter().map(|c| pem::encode(&pem::Pem::new("X509 CRL", c.der.clone()))).collect();
            Ok(text.into_bytes())
        } else {
            Ok(crls.into_iter().next().map(|c| c.der).unwrap_or_default())
        }
    }

    /// Signs, in memory, the CRLs of every authority whose key the workspace
    /// contains, empty ones included, so a decision can say a
    /// certificate is on no CRL. Nothing is stored and no CRL number is
    /// consumed.
    pub(crate) async fn current_crls(&self) -> Result<Vec<Vec<u8>>> {
        let mut conn = self.conn().await?;
        let authorities = rows::listing(&mut conn, true, None).await?;
        let mut crls = Vec::new();
        for authority in authorities {
            if !authority.has_key {
                continue;
            }
            let credential = crate::credentials::credential_row(&mut conn, &authority.name).await?;
            crls.extend(self.crls_by_key(&mut conn, credential.id, 1).await?.into_iter().map(|c| c.der));
        }
        Ok(crls)
    }

    /// Signs one CRL per key of the authority credential: the current key always,
    /// an earlier key when a certificate it signed is revoked. A key kept by
    /// `--reuse-key` rotations signs once, as its newest certificate.
    async fn crls_by_key(&self, conn: &mut SqliteConnection, credential_id: i64, number: i64) -> Result<Vec<SignedCrl>> {
        let history = rows::certificate_history(conn, credential_id).await?;
        let revoked = rows::revoked_by_authority(conn, credential_id).await?;
        let spki_of = |certificate_id: Option<i64>| {
            history.iter().find(|h| Some(h.id) == certificate_id).map(|h| h.spki_sha256.clone())
        };
        let this_update = now();
        let mut signed_spkis = Vec::new();
        let mut crls = Vec::new();
        for certificate in history.iter().filter(|h| h.key_id.is_some()) {
            if signed_spkis.contains(&certificate.spki_sha256) {
                continue;
            }
            signed_spkis.push(certificate.spki_sha256.clone());
            let entries: Vec<RevokedEntry> = revoked
                .iter()
                .filter(|c| spki_of(c.issuer_certificate_id).as_deref() == Some(certificate.spki_sha256.as_str()))
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
            if !certificate.is_current && entries.is_empty() {
                continue;
            }
            let key = self.load_key(conn, certificate.key_id.expect("filtered above")).await?;
            let issuer = Issuer {
                cert_der: &certificate.der,
                key: &key,
            };
            let der = build_crl(&issuer, &entries, number as u64, this_update, this_update + CRL_LIFETIME)?;
            let signed = SignedCrl {
                der,
                revoked: entries.len(),
            };
            // The current key's CRL first: a DER export contains only that one.
            if certificate.is_current {
                crls.insert(0, signed);
            } else {
                crls.push(signed);
            }
        }
        Ok(crls)
    }
}

/// A signed CRL and how many certificates it lists.
struct SignedCrl {
    der: Vec<u8>,
    revoked: usize,
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
