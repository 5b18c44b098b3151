//! Rows of the workspace tables and the queries on them. Every function takes
//! an executor, so callers compose them inside one transaction.

use sqlx::{FromRow, SqliteConnection};

use crate::Result;

/// A row of `credentials`.
#[derive(Debug, Clone, FromRow)]
pub struct CredentialRow {
    pub id: i64,
    pub name: String,
    pub role: String,
    pub url: Option<String>,
    pub authority_id: Option<i64>,
    pub key_type: String,
    pub validity_seconds: i64,
    pub path_len: Option<i64>,
    pub remaining_fraction: f64,
    pub auto_rotate: bool,
    pub origin: String,
    pub created_at: i64,
}

/// Values of a new `credentials` row.
#[derive(Debug, Clone)]
pub struct NewCredentialRow<'a> {
    pub name: &'a str,
    pub role: &'a str,
    pub url: Option<&'a str>,
    pub authority_id: Option<i64>,
    pub key_type: &'a str,
    pub validity_seconds: i64,
    pub path_len: Option<i64>,
    pub origin: &'a str,
    pub created_at: i64,
}

/// A row of `certificates`.
#[derive(Debug, Clone, FromRow)]
pub struct CertificateRow {
    pub id: i64,
    pub credential_id: i64,
    pub der: Vec<u8>,
    pub serial_hex: String,
    pub sha256_fingerprint: String,
    pub spki_sha256: String,
    pub subject: String,
    pub not_before: i64,
    pub not_after: i64,
    pub key_id: Option<i64>,
    pub issuer_certificate_id: Option<i64>,
    pub is_current: bool,
    pub revoked_at: Option<i64>,
    pub revocation_reason: Option<String>,
    pub created_at: i64,
}

/// Values of a new `certificates` row.
#[derive(Debug, Clone)]
pub struct NewCertificateRow<'a> {
    pub credential_id: i64,
    pub der: &'a [u8],
    pub serial_hex: &'a str,
    pub sha256_fingerprint: &'a str,
    pub spki_sha256: &'a str,
    pub subject: &'a str,
    pub not_before: i64,
    pub not_after: i64,
    pub key_id: Option<i64>,
    pub issuer_certificate_id: Option<i64>,
    pub created_at: i64,
}

/// A credential joined with its current certificate, for listings; carries
/// no DER so that listing 10,000 credentials stays cheap.
#[derive(Debug, Clone, FromRow)]
pub struct ListingRow {
    pub name: String,
    pub role: String,
    pub url: Option<String>,
    pub authority: Option<String>,
    pub key_type: String,
    pub remaining_fraction: f64,
    pub auto_rotate: bool,
    pub subject: String,
    pub serial_hex: String,
    pub sha256_fingerprint: String,
    pub not_before: i64,
    pub not_after: i64,
    pub revoked_at: Option<i64>,
    pub has_key: bool,
    pub versions: i64,
}

/// A row of `audit`.
#[derive(Debug, Clone, FromRow)]
pub struct AuditRow {
    pub id: i64,
    pub actor: String,
    pub at: i64,
    pub action: String,
    pub subject: String,
    pub serial_hex: Option<String>,
    pub sha256_fingerprint: Option<String>,
    pub detail: String,
}

pub async fn get_meta(conn: &mut SqliteConnection, key: &str) -> Result<Option<Vec<u8>>> {
    let row: Option<(Vec<u8>,)> = sqlx::query_as("SELECT value FROM meta WHERE key = ?")
        .bind(key)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|r| r.0))
}

pub async fn set_meta(conn: &mut SqliteConnection, key: &str, value: &[u8]) -> Result<()> {
    sqlx::query("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
        .bind(key)
        .bind(value)
        .execute(conn)
        .await?;
    Ok(())
}

/// Inserts a sealed key and returns its id.
pub async fn insert_key(
    conn: &mut SqliteConnection,
    key_type: &str,
    spki_sha256: &str,
    encrypted_pkcs8: &[u8],
    created_at: i64,
) -> Result<i64> {
    let id = sqlx::query("INSERT INTO keys (key_type, spki_sha256, encrypted_pkcs8, created_at) VALUES (?, ?, ?, ?)")
        .bind(key_type)
        .bind(spki_sha256)
        .bind(encrypted_pkcs8)
        .bind(created_at)
        .execute(conn)
        .await?
        .last_insert_rowid();
    Ok(id)
}

/// Returns the sealed key with this id.
pub async fn sealed_key(conn: &mut SqliteConnection, id: i64) -> Result<Option<Vec<u8>>> {
    let row: Option<(Vec<u8>,)> = sqlx::query_as("SELECT encrypted_pkcs8 FROM keys WHERE id = ?")
        .bind(id)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|r| r.0))
}

/// Returns the id of a stored key with this SPKI SHA-256, if any.
pub async fn key_by_spki(conn: &mut SqliteConnection, spki_sha256: &str) -> Result<Option<i64>> {
    let row: Option<(i64,)> = sqlx::query_as("SELECT id FROM keys WHERE spki_sha256 = ? ORDER BY id DESC LIMIT 1")
        .bind(spki_sha256)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|r| r.0))
}

pub async fn insert_credential(conn: &mut SqliteConnection, row: &NewCredentialRow<'_>) -> Result<i64> {
    let id = sqlx::query(
        "INSERT INTO credentials (name, role, url, authority_id, key_type, validity_seconds, path_len, origin, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(row.name)
    .bind(row.role)
    .bind(row.url)
    .bind(row.authority_id)
    .bind(row.key_type)
    .bind(row.validity_seconds)
    .bind(row.path_len)
    .bind(row.origin)
    .bind(row.created_at)
    .execute(conn)
    .await?
    .last_insert_rowid();
    Ok(id)
}

pub async fn credential_by_name(conn: &mut SqliteConnection, name: &str) -> Result<Option<CredentialRow>> {
    Ok(sqlx::query_as("SELECT * FROM credentials WHERE name = ?")
        .bind(name)
        .fetch_optional(conn)
        .await?)
}

pub async fn credential_by_id(conn: &mut SqliteConnection, id: i64) -> Result<Option<CredentialRow>> {
    Ok(sqlx::query_as("SELECT * FROM credentials WHERE id = ?")
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

pub async fn set_rotation_policy(
    conn: &mut SqliteConnection,
    credential_id: i64,
    remaining_fraction: f64,
    auto_rotate: bool,
) -> Result<()> {
    sqlx::query("UPDATE credentials SET remaining_fraction = ?, auto_rotate = ? WHERE id = ?")
        .bind(remaining_fraction)
        .bind(auto_rotate)
        .bind(credential_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Inserts a certificate that is not current yet; `make_current` promotes it.
pub async fn insert_certificate(conn: &mut SqliteConnection, row: &NewCertificateRow<'_>) -> Result<i64> {
    let id = sqlx::query(
        "INSERT INTO certificates (credential_id, der, serial_hex, sha256_fingerprint, spki_sha256, subject,
             not_before, not_after, key_id, issuer_certificate_id, is_current, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)",
    )
    .bind(row.credential_id)
    .bind(row.der)
    .bind(row.serial_hex)
    .bind(row.sha256_fingerprint)
    .bind(row.spki_sha256)
    .bind(row.subject)
    .bind(row.not_before)
    .bind(row.not_after)
    .bind(row.key_id)
    .bind(row.issuer_certificate_id)
    .bind(row.created_at)
    .execute(conn)
    .await?
    .last_insert_rowid();
    Ok(id)
}

/// Clears the current flag of the credential's certificates. Call
/// `make_current` in the same transaction.
pub async fn clear_current(conn: &mut SqliteConnection, credential_id: i64) -> Result<()> {
    sqlx::query("UPDATE certificates SET is_current = 0 WHERE credential_id = ? AND is_current = 1")
        .bind(credential_id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn make_current(conn: &mut SqliteConnection, certificate_id: i64) -> Result<()> {
    sqlx::query("UPDATE certificates SET is_current = 1 WHERE id = ?")
        .bind(certificate_id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn current_certificate(conn: &mut SqliteConnection, credential_id: i64) -> Result<Option<CertificateRow>> {
    Ok(sqlx::query_as("SELECT * FROM certificates WHERE credential_id = ? AND is_current = 1")
        .bind(credential_id)
        .fetch_optional(conn)
        .await?)
}

pub async fn certificate_by_id(conn: &mut SqliteConnection, id: i64) -> Result<Option<CertificateRow>> {
    Ok(sqlx::query_as("SELECT * FROM certificates WHERE id = ?")
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

/// Returns every certificate of a credential, newest first.
pub async fn certificate_history(conn: &mut SqliteConnection, credential_id: i64) -> Result<Vec<CertificateRow>> {
    Ok(sqlx::query_as("SELECT * FROM certificates WHERE credential_id = ? ORDER BY id DESC")
        .bind(credential_id)
        .fetch_all(conn)
        .await?)
}

/// Certificates whose subject is `subject`, for finding the issuer of an
/// imported certificate.
pub async fn certificates_by_subject(conn: &mut SqliteConnection, subject: &str) -> Result<Vec<CertificateRow>> {
    Ok(sqlx::query_as("SELECT * FROM certificates WHERE subject = ? ORDER BY id DESC")
        .bind(subject)
        .fetch_all(conn)
        .await?)
}

pub async fn certificate_by_fingerprint(
    conn: &mut SqliteConnection,
    sha256_fingerprint: &str,
) -> Result<Option<CertificateRow>> {
    Ok(sqlx::query_as("SELECT * FROM certificates WHERE sha256_fingerprint = ? LIMIT 1")
        .bind(sha256_fingerprint)
        .fetch_optional(conn)
        .await?)
}

pub async fn revoke_certificate(
    conn: &mut SqliteConnection,
    certificate_id: i64,
    revoked_at: i64,
    reason: &str,
) -> Result<()> {
    sqlx::query("UPDATE certificates SET revoked_at = ?, revocation_reason = ? WHERE id = ?")
        .bind(revoked_at)
        .bind(reason)
        .bind(certificate_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Revoked certificates issued by any certificate of the authority
/// credential.
pub async fn revoked_by_authority(conn: &mut SqliteConnection, authority_id: i64) -> Result<Vec<CertificateRow>> {
    Ok(sqlx::query_as(
        "SELECT c.* FROM certificates c
         JOIN certificates i ON c.issuer_certificate_id = i.id
         WHERE i.credential_id = ? AND c.revoked_at IS NOT NULL
         ORDER BY c.id",
    )
    .bind(authority_id)
    .fetch_all(conn)
    .await?)
}

/// Increments and returns the authority's CRL number.
pub async fn next_crl_number(conn: &mut SqliteConnection, authority_id: i64) -> Result<i64> {
    let (number,): (i64,) = sqlx::query_as(
        "INSERT INTO crl_numbers (credential_id, last_number) VALUES (?, 1)
         ON CONFLICT(credential_id) DO UPDATE SET last_number = last_number + 1
         RETURNING last_number",
    )
    .bind(authority_id)
    .fetch_one(conn)
    .await?;
    Ok(number)
}

const LISTING_SELECT: &str = "SELECT cr.name, cr.role, cr.url, a.name AS authority, cr.key_type,
        cr.remaining_fraction, cr.auto_rotate, ce.subject, ce.serial_hex, ce.sha256_fingerprint,
        ce.not_before, ce.not_after, ce.revoked_at, ce.key_id IS NOT NULL AS has_key,
        (SELECT COUNT(*) FROM certificates h WHERE h.credential_id = cr.id) AS versions
    FROM credentials cr
    JOIN certificates ce ON ce.credential_id = cr.id AND ce.is_current = 1
    LEFT JOIN credentials a ON a.id = cr.authority_id";

/// Credentials with their current certificate. `authorities` selects the
/// authority role or every other role; `expiring_before` keeps those whose
/// current certificate ends before that time (Unix seconds).
pub async fn listing(
    conn: &mut SqliteConnection,
    authorities: bool,
    expiring_before: Option<i64>,
) -> Result<Vec<ListingRow>> {
    let role_clause = if authorities { "cr.role = 'authority'" } else { "cr.role <> 'authority'" };
    let sql = format!("{LISTING_SELECT} WHERE {role_clause} AND (? IS NULL OR ce.not_after < ?) ORDER BY cr.name");
    Ok(sqlx::query_as(&sql)
        .bind(expiring_before)
        .bind(expiring_before)
        .fetch_all(conn)
        .await?)
}

/// Lists every credential with its current certificate, authorities included.
pub async fn listing_all(conn: &mut SqliteConnection) -> Result<Vec<ListingRow>> {
    let sql = format!("{LISTING_SELECT} ORDER BY cr.name");
    Ok(sqlx::query_as(&sql).fetch_all(conn).await?)
}

/// Returns one credential with its current certificate.
pub async fn listing_one(conn: &mut SqliteConnection, name: &str) -> Result<Option<ListingRow>> {
    let sql = format!("{LISTING_SELECT} WHERE cr.name = ?");
    Ok(sqlx::query_as(&sql).bind(name).fetch_optional(conn).await?)
}

/// Attaches a stored key to a certificate that was imported without one.
pub async fn set_certificate_key(conn: &mut SqliteConnection, certificate_id: i64, key_id: i64) -> Result<()> {
    sqlx::query("UPDATE certificates SET key_id = ? WHERE id = ?")
        .bind(key_id)
        .bind(certificate_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Certificates whose SPKI SHA-256 is `spki_sha256`, newest first.
pub async fn certificates_by_spki(conn: &mut SqliteConnection, spki_sha256: &str) -> Result<Vec<CertificateRow>> {
    Ok(sqlx::query_as("SELECT * FROM certificates WHERE spki_sha256 = ? ORDER BY id DESC")
        .bind(spki_sha256)
        .fetch_all(conn)
        .await?)
}

pub async fn insert_audit(
    conn: &mut SqliteConnection,
    at: i64,
    action: &str,
    subject: &str,
    serial_hex: Option<&str>,
    sha256_fingerprint: Option<&str>,
    detail: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit (at, action, subject, serial_hex, sha256_fingerprint, detail, actor) VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(at)
    .bind(action)
    .bind(subject)
    .bind(serial_hex)
    .bind(sha256_fingerprint)
    .bind(detail)
    .bind(actor())
    .execute(conn)
    .await?;
    Ok(())
}

/// Returns the operating-system user running Hopscope, recorded as the
/// actor of audit entries and trust-list versions.
pub fn actor() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .ok()
        .filter(|name| !name.is_empty())
        .or_else(user_from_passwd)
        .unwrap_or_else(|| "unknown".to_string())
}

/// Looks up the name of the process's real user id in /etc/passwd, for
/// sessions without USER (services, containers, CI).
fn user_from_passwd() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let uid = status.lines().find_map(|l| l.strip_prefix("Uid:"))?.split_whitespace().next()?.to_string();
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        (fields.nth(1)? == uid).then(|| name.to_string())
    })
}

/// Audit rows, newest first.
pub async fn audit(conn: &mut SqliteConnection, limit: i64) -> Result<Vec<AuditRow>> {
    Ok(sqlx::query_as("SELECT * FROM audit ORDER BY id DESC LIMIT ?")
        .bind(limit)
        .fetch_all(conn)
        .await?)
}
