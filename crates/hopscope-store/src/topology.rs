//! Rows and queries of the topology and trust-list tables.

use sqlx::{FromRow, SqliteConnection};

use crate::Result;

/// A row of `destinations`.
#[derive(Debug, Clone, FromRow)]
pub struct DestinationRow {
    pub id: i64,
    pub name: String,
    pub public_url: String,
    pub private_url: String,
    pub endpoint_credential_id: Option<i64>,
    pub signing_credential_id: Option<i64>,
    pub created_at: i64,
    /// True for a FHIR server the operator runs, which the gateway does not start.
    pub external: bool,
    /// IP address of an external destination's private host; `None` means 127.0.0.1.
    pub external_address: Option<String>,
}

/// A row of `intermediaries`.
#[derive(Debug, Clone, FromRow)]
pub struct IntermediaryRow {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub created_at: i64,
    pub add_forwarded: bool,
    pub add_via: bool,
}

/// A row of `trust_list_versions`.
#[derive(Debug, Clone, FromRow)]
pub struct TrustListVersionRow {
    pub id: i64,
    pub destination_id: i64,
    pub version: i64,
    pub content: String,
    pub change: String,
    pub actor: String,
    pub created_at: i64,
}

pub async fn insert_destination(
    conn: &mut SqliteConnection,
    name: &str,
    public_url: &str,
    private_url: &str,
    endpoint_credential_id: Option<i64>,
    signing_credential_id: Option<i64>,
    created_at: i64,
) -> Result<i64> {
    let id = sqlx::query(
        "INSERT INTO destinations (name, public_url, private_url, endpoint_credential_id, signing_credential_id, created_at)
         VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(name)
    .bind(public_url)
    .bind(private_url)
    .bind(endpoint_credential_id)
    .bind(signing_credential_id)
    .bind(created_at)
    .execute(conn)
    .await?
    .last_insert_rowid();
    Ok(id)
}

pub async fn destinations(conn: &mut SqliteConnection) -> Result<Vec<DestinationRow>> {
    Ok(sqlx::query_as("SELECT * FROM destinations ORDER BY name").fetch_all(conn).await?)
}

pub async fn destination_by_name(conn: &mut SqliteConnection, name: &str) -> Result<Option<DestinationRow>> {
    Ok(sqlx::query_as("SELECT * FROM destinations WHERE name = ?")
        .bind(name)
        .fetch_optional(conn)
        .await?)
}

pub async fn insert_intermediary(conn: &mut SqliteConnection, name: &str, kind: &str, created_at: i64) -> Result<i64> {
    let id = sqlx::query("INSERT INTO intermediaries (name, kind, created_at) VALUES (?, ?, ?)")
        .bind(name)
        .bind(kind)
        .bind(created_at)
        .execute(conn)
        .await?
        .last_insert_rowid();
    Ok(id)
}

pub async fn intermediaries(conn: &mut SqliteConnection) -> Result<Vec<IntermediaryRow>> {
    Ok(sqlx::query_as("SELECT * FROM intermediaries ORDER BY name").fetch_all(conn).await?)
}

pub async fn intermediary_by_name(conn: &mut SqliteConnection, name: &str) -> Result<Option<IntermediaryRow>> {
    Ok(sqlx::query_as("SELECT * FROM intermediaries WHERE name = ?")
        .bind(name)
        .fetch_optional(conn)
        .await?)
}

pub async fn add_listen_url(conn: &mut SqliteConnection, intermediary_id: i64, position: i64, url: &str) -> Result<()> {
    sqlx::query("INSERT INTO intermediary_listen_urls (intermediary_id, position, url) VALUES (?, ?, ?)")
        .bind(intermediary_id)
        .bind(position)
        .bind(url)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn listen_urls(conn: &mut SqliteConnection, intermediary_id: i64) -> Result<Vec<String>> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT url FROM intermediary_listen_urls WHERE intermediary_id = ? ORDER BY position")
            .bind(intermediary_id)
            .fetch_all(conn)
            .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

pub async fn add_intermediary_credential(
    conn: &mut SqliteConnection,
    intermediary_id: i64,
    credential_id: i64,
) -> Result<()> {
    sqlx::query("INSERT OR IGNORE INTO intermediary_credentials (intermediary_id, credential_id) VALUES (?, ?)")
        .bind(intermediary_id)
        .bind(credential_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Names of the credentials that serve an intermediary's URLs.
pub async fn intermediary_credential_names(conn: &mut SqliteConnection, intermediary_id: i64) -> Result<Vec<String>> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT c.name FROM intermediary_credentials ic JOIN credentials c ON c.id = ic.credential_id
         WHERE ic.intermediary_id = ? ORDER BY c.name",
    )
    .bind(intermediary_id)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// Replaces a destination's route with `intermediary_ids`, in order.
pub async fn set_route(conn: &mut SqliteConnection, destination_id: i64, intermediary_ids: &[i64]) -> Result<()> {
    sqlx::query("DELETE FROM route_hops WHERE destination_id = ?")
        .bind(destination_id)
        .execute(&mut *conn)
        .await?;
    for (position, intermediary_id) in intermediary_ids.iter().enumerate() {
        sqlx::query("INSERT INTO route_hops (destination_id, position, intermediary_id) VALUES (?, ?, ?)")
            .bind(destination_id)
            .bind(position as i64)
            .bind(intermediary_id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Returns the names of a destination's route intermediaries, in order.
pub async fn route(conn: &mut SqliteConnection, destination_id: i64) -> Result<Vec<String>> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT i.name FROM route_hops r JOIN intermediaries i ON i.id = r.intermediary_id
         WHERE r.destination_id = ? ORDER BY r.position",
    )
    .bind(destination_id)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

pub async fn insert_trust_list_version(
    conn: &mut SqliteConnection,
    destination_id: i64,
    content: &str,
    change: &str,
    actor: &str,
    created_at: i64,
) -> Result<i64> {
    let (version,): (i64,) = sqlx::query_as(
        "INSERT INTO trust_list_versions (destination_id, version, content, change, actor, created_at)
         VALUES (?, (SELECT COALESCE(MAX(version), 0) + 1 FROM trust_list_versions WHERE destination_id = ?), ?, ?, ?, ?)
         RETURNING version",
    )
    .bind(destination_id)
    .bind(destination_id)
    .bind(content)
    .bind(change)
    .bind(actor)
    .bind(created_at)
    .fetch_one(conn)
    .await?;
    Ok(version)
}

/// The newest version of a destination's trust list.
pub async fn latest_trust_list(conn: &mut SqliteConnection, destination_id: i64) -> Result<Option<TrustListVersionRow>> {
    Ok(sqlx::query_as(
        "SELECT * FROM trust_list_versions WHERE destination_id = ? ORDER BY version DESC LIMIT 1",
    )
    .bind(destination_id)
    .fetch_optional(conn)
    .await?)
}

pub async fn trust_list_version(
    conn: &mut SqliteConnection,
    destination_id: i64,
    version: i64,
) -> Result<Option<TrustListVersionRow>> {
    Ok(sqlx::query_as("SELECT * FROM trust_list_versions WHERE destination_id = ? AND version = ?")
        .bind(destination_id)
        .bind(version)
        .fetch_optional(conn)
        .await?)
}

/// Every version of a destination's trust list, newest first.
pub async fn trust_list_history(conn: &mut SqliteConnection, destination_id: i64) -> Result<Vec<TrustListVersionRow>> {
    Ok(sqlx::query_as("SELECT * FROM trust_list_versions WHERE destination_id = ? ORDER BY version DESC")
        .bind(destination_id)
        .fetch_all(conn)
        .await?)
}

/// Replaces a destination's URLs and credentials.
pub async fn update_destination(
    conn: &mut SqliteConnection,
    id: i64,
    public_url: &str,
    private_url: &str,
    endpoint_credential_id: Option<i64>,
    signing_credential_id: Option<i64>,
) -> Result<()> {
    sqlx::query(
        "UPDATE destinations SET public_url = ?, private_url = ?, endpoint_credential_id = ?, signing_credential_id = ?
         WHERE id = ?",
    )
    .bind(public_url)
    .bind(private_url)
    .bind(endpoint_credential_id)
    .bind(signing_credential_id)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Sets whether a destination is external and the address its private host
/// maps to (`None` for 127.0.0.1).
pub async fn set_destination_external(
    conn: &mut SqliteConnection,
    id: i64,
    external: bool,
    external_address: Option<&str>,
) -> Result<()> {
    sqlx::query("UPDATE destinations SET external = ?, external_address = ? WHERE id = ?")
        .bind(external)
        .bind(external_address)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Removes every listen URL of an intermediary, before `add_listen_url`
/// writes the new ones.
pub async fn clear_listen_urls(conn: &mut SqliteConnection, intermediary_id: i64) -> Result<()> {
    sqlx::query("DELETE FROM intermediary_listen_urls WHERE intermediary_id = ?")
        .bind(intermediary_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Removes every credential of an intermediary, before
/// `add_intermediary_credential` adds the new ones.
pub async fn clear_intermediary_credentials(conn: &mut SqliteConnection, intermediary_id: i64) -> Result<()> {
    sqlx::query("DELETE FROM intermediary_credentials WHERE intermediary_id = ?")
        .bind(intermediary_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Sets whether an intermediary adds the Forwarded and Via request headers.
pub async fn set_forwarding_headers(
    conn: &mut SqliteConnection,
    intermediary_id: i64,
    add_forwarded: bool,
    add_via: bool,
) -> Result<()> {
    sqlx::query("UPDATE intermediaries SET add_forwarded = ?, add_via = ? WHERE id = ?")
        .bind(add_forwarded)
        .bind(add_via)
        .bind(intermediary_id)
        .execute(conn)
        .await?;
    Ok(())
}
