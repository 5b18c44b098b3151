//! Issuing, listing and showing credentials.

use hopscope_pki::inspect::inspect;
use hopscope_pki::issue::{issue, IssueRequest, Issuer};
use hopscope_pki::{FhirBaseUrl, PrivateKey, Role};
use hopscope_store::rows::{self, CertificateRow, CredentialRow, NewCertificateRow, NewCredentialRow};
use sqlx::SqliteConnection;
use time::Duration;

use crate::summary::{parse_role, summary_from_row};
use crate::{
    check_name, from_unix, now, now_unix, ChainLink, CredentialDetail, CredentialSummary, Error, HistoryEntry,
    NewCredential, Result, RotationPolicy, Workspace,
};

/// Maximum number of certificates a chain walk follows, so a corrupt issuer
/// link cannot loop forever.
const MAX_CHAIN_LENGTH: usize = 16;

/// An authority ready to sign: its credential, current certificate and key.
pub(crate) struct SigningAuthority {
    pub credential: CredentialRow,
    pub certificate: CertificateRow,
    pub key: PrivateKey,
}

impl SigningAuthority {
    pub(crate) fn issuer(&self) -> Issuer<'_> {
        Issuer {
            cert_der: &self.certificate.der,
            key: &self.key,
        }
    }
}

impl Workspace {
    pub async fn issue(&self, request: &NewCredential) -> Result<CredentialSummary> {
        check_name(&request.name)?;
        if request.role == Role::Authority {
            return Err(Error::Invalid(
                "use `authority create` (or \"Create authority\" in the app) to make an authority".into(),
            ));
        }
        let url = FhirBaseUrl::parse(&request.url)?;
        let validity = checked_validity(request.validity_seconds)?;
        self.data_key()?;

        let mut tx = self.store.begin().await?;
        ensure_unused_name(&mut tx, &request.name).await?;
        let authority = self.signing_authority(&mut tx, &request.authority).await?;
        let key = PrivateKey::generate(request.key_type)?;
        let der = issue(
            &IssueRequest {
                role: request.role,
                common_name: &request.name,
                url: Some(&url),
                key: &key,
                not_before: now(),
                validity,
                path_len: None,
            },
            Some(&authority.issuer()),
        )?;
        let credential_id = rows::insert_credential(
            &mut tx,
            &NewCredentialRow {
                name: &request.name,
                role: request.role.as_str(),
                url: Some(url.as_str()),
                authority_id: Some(authority.credential.id),
                key_type: request.key_type.as_str(),
                validity_seconds: request.validity_seconds,
                path_len: None,
                origin: "issued",
                created_at: now_unix(),
            },
        )
        .await?;
        let key_id = self.store_key(&mut tx, &key).await?;
        let fingerprint = insert_current_certificate(&mut tx, credential_id, &der, Some(key_id), Some(authority.certificate.id)).await?;
        rows::insert_audit(
            &mut tx,
            now_unix(),
            "issue",
            &request.name,
            Some(&fingerprint.serial),
            Some(&fingerprint.sha256),
            &format!("role={} authority={} url={} key={}", request.role, request.authority, url.as_str(), request.key_type),
        )
        .await?;
        tx.commit().await.map_err(hopscope_store::Error::from)?;
        tracing::info!(credential = %request.name, role = %request.role, "issued certificate");
        self.summary(&request.name).await
    }

    /// Credentials with the `authority` role.
    pub async fn list_authorities(&self) -> Result<Vec<CredentialSummary>> {
        let mut conn = self.conn().await?;
        let at = now();
        rows::listing(&mut conn, true, None)
            .await?
            .into_iter()
            .map(|r| summary_from_row(r, at))
            .collect()
    }

    /// Lists every credential but the authorities, optionally only those whose
    /// current certificate expires within `expiring_within_seconds`.
    pub async fn list_credentials(&self, expiring_within_seconds: Option<i64>) -> Result<Vec<CredentialSummary>> {
        let mut conn = self.conn().await?;
        let at = now();
        let before = expiring_within_seconds.map(|s| at.unix_timestamp().saturating_add(s));
        rows::listing(&mut conn, false, before)
            .await?
            .into_iter()
            .map(|r| summary_from_row(r, at))
            .collect()
    }

    /// Returns the summary of one credential, authorities included.
    pub async fn summary(&self, name: &str) -> Result<CredentialSummary> {
        let mut conn = self.conn().await?;
        let row = rows::listing_one(&mut conn, name).await?.ok_or_else(|| not_found(name))?;
        summary_from_row(row, now())
    }

    /// Any credential, authorities included, with inspection, lint findings,
    /// chain and history.
    pub async fn credential(&self, name: &str) -> Result<CredentialDetail> {
        let summary = self.summary(name).await?;
        let mut conn = self.conn().await?;
        let credential = credential_row(&mut conn, name).await?;
        let current = current_certificate(&mut conn, &credential).await?;
        let inspection = inspect(&current.der)?;
        let url = credential.url.as_deref().map(FhirBaseUrl::parse).transpose()?;
        let findings = hopscope_pki::inspect::lint(&inspection, Some(parse_role(&credential.role)?), url.as_ref(), now());
        let chain = chain_links(&mut conn, &current).await?;
        let history = rows::certificate_history(&mut conn, credential.id)
            .await?
            .into_iter()
            .map(|c| HistoryEntry {
                serial: c.serial_hex,
                sha256_fingerprint: c.sha256_fingerprint,
                spki_sha256: c.spki_sha256,
                not_before: from_unix(c.not_before),
                not_after: from_unix(c.not_after),
                created_at: from_unix(c.created_at),
                current: c.is_current,
                revoked_at: c.revoked_at.map(from_unix),
                revocation_reason: c.revocation_reason,
            })
            .collect();
        Ok(CredentialDetail {
            summary,
            inspection,
            findings,
            chain,
            history,
            policy: RotationPolicy {
                remaining_fraction: credential.remaining_fraction,
                auto_rotate: credential.auto_rotate,
            },
        })
    }

    /// Loads an authority that can sign: it exists, has the authority role, a
    /// current certificate and its key.
    pub(crate) async fn signing_authority(&self, conn: &mut SqliteConnection, name: &str) -> Result<SigningAuthority> {
        let credential = rows::credential_by_name(conn, name).await?.ok_or_else(|| Error::NotFound {
            kind: "authority",
            name: name.to_string(),
            hint: "list authorities with `hopscope authority list`".into(),
        })?;
        if credential.role != Role::Authority.as_str() {
            return Err(Error::NotAnAuthority(name.to_string()));
        }
        let certificate = current_certificate(conn, &credential).await?;
        let key_id = certificate.key_id.ok_or_else(|| Error::AuthorityWithoutKey(name.to_string()))?;
        let key = self.load_key(conn, key_id).await?;
        Ok(SigningAuthority {
            credential,
            certificate,
            key,
        })
    }
}

/// Serial and fingerprint of a stored certificate, for audit lines.
pub(crate) struct StoredCertificate {
    pub id: i64,
    pub serial: String,
    pub sha256: String,
}

/// Stores `der` as the credential's new current certificate, replacing the
/// current flag of any previous one.
pub(crate) async fn insert_current_certificate(
    conn: &mut SqliteConnection,
    credential_id: i64,
    der: &[u8],
    key_id: Option<i64>,
    issuer_certificate_id: Option<i64>,
) -> Result<StoredCertificate> {
    let stored = insert_certificate(conn, credential_id, der, key_id, issuer_certificate_id).await?;
    rows::clear_current(conn, credential_id).await?;
    rows::make_current(conn, stored.id).await?;
    Ok(stored)
}

/// Stores `der` as a certificate of the credential, not current.
pub(crate) async fn insert_certificate(
    conn: &mut SqliteConnection,
    credential_id: i64,
    der: &[u8],
    key_id: Option<i64>,
    issuer_certificate_id: Option<i64>,
) -> Result<StoredCertificate> {
    let inspection = inspect(der)?;
    let not_before = inspection.not_before.map(|t| t.unix_timestamp()).unwrap_or(0);
    let not_after = inspection.not_after.map(|t| t.unix_timestamp()).unwrap_or(0);
    let id = rows::insert_certificate(
        conn,
        &NewCertificateRow {
            credential_id,
            der,
            serial_hex: &inspection.serial_hex,
            sha256_fingerprint: &inspection.sha256_fingerprint,
            spki_sha256: &inspection.spki_sha256,
            subject: &inspection.subject,
            not_before,
            not_after,
            key_id,
            issuer_certificate_id,
            created_at: now_unix(),
        },
    )
    .await?;
    Ok(StoredCertificate {
        id,
        serial: inspection.serial_hex,
        sha256: inspection.sha256_fingerprint,
    })
}

pub(crate) fn not_found(name: &str) -> Error {
    Error::NotFound {
        kind: "credential",
        name: name.to_string(),
        hint: "list credentials with `hopscope cert list` and authorities with `hopscope authority list`".into(),
    }
}

pub(crate) async fn credential_row(conn: &mut SqliteConnection, name: &str) -> Result<CredentialRow> {
    rows::credential_by_name(conn, name).await?.ok_or_else(|| not_found(name))
}

pub(crate) async fn current_certificate(conn: &mut SqliteConnection, credential: &CredentialRow) -> Result<CertificateRow> {
    rows::current_certificate(conn, credential.id)
        .await?
        .ok_or_else(|| Error::Invalid(format!("credential \"{}\" has no current certificate", credential.name)))
}

pub(crate) async fn ensure_unused_name(conn: &mut SqliteConnection, name: &str) -> Result<()> {
    if rows::credential_by_name(conn, name).await?.is_some() {
        return Err(Error::Duplicate(name.to_string()));
    }
    Ok(())
}

pub(crate) fn checked_validity(seconds: i64) -> Result<Duration> {
    // Upper bound: 100 years, well past any real certificate, below the
    // limits of X.509 GeneralizedTime.
    const MAX_SECONDS: i64 = 100 * 365 * 86_400;
    if seconds <= 0 || seconds > MAX_SECONDS {
        return Err(Error::Invalid(format!(
            "invalid validity of {seconds} seconds; use a positive duration of at most 100 years, such as 90d or 2y"
        )));
    }
    Ok(Duration::seconds(seconds))
}

/// Collects the DER certificates from `leaf` up its stored issuer links,
/// leaf first.
pub(crate) async fn chain_ders(conn: &mut SqliteConnection, leaf: &CertificateRow) -> Result<Vec<Vec<u8>>> {
    let mut ders = vec![leaf.der.clone()];
    let mut next = leaf.issuer_certificate_id.filter(|id| *id != leaf.id);
    while let Some(id) = next {
        if ders.len() >= MAX_CHAIN_LENGTH {
            break;
        }
        let Some(cert) = rows::certificate_by_id(conn, id).await? else { break };
        next = cert.issuer_certificate_id.filter(|i| *i != cert.id);
        ders.push(cert.der);
    }
    Ok(ders)
}

async fn chain_links(conn: &mut SqliteConnection, leaf: &CertificateRow) -> Result<Vec<ChainLink>> {
    let mut links = Vec::new();
    let mut next = Some(leaf.id);
    while let Some(id) = next {
        if links.len() >= MAX_CHAIN_LENGTH {
            break;
        }
        let Some(cert) = rows::certificate_by_id(conn, id).await? else { break };
        let credential = rows::credential_by_id(conn, cert.credential_id).await?.map(|c| c.name);
        links.push(ChainLink {
            credential,
            subject: cert.subject,
            sha256_fingerprint: cert.sha256_fingerprint,
        });
        next = cert.issuer_certificate_id.filter(|i| *i != cert.id);
    }
    Ok(links)
}
