//! The workspace database: one SQLite file, opened through sqlx, with
//! embedded migrations and the encrypted key vault.
//!
//! This crate stores rows and reads no certificate beyond the columns it
//! indexes. The workspace crate decides what goes in them.

pub mod error;
pub mod exchange_index;
pub mod exchanges;
pub mod record_batch;
pub mod rows;
pub mod topology;
pub mod vault;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use sqlx::{Sqlite, Transaction};

pub use error::{Error, Result};

static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// An open workspace database.
#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
    path: PathBuf,
}

impl Store {
    /// Creates a new database file at `path` with the current schema. Fails
    /// when the file exists, so an existing workspace is never overwritten.
    pub async fn create(path: &Path) -> Result<Store> {
        if path.exists() {
            return Err(Error::AlreadyExists(path.display().to_string()));
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| Error::Io {
                path: dir.display().to_string(),
                source: e,
            })?;
        }
        let pool = connect(path, true).await?;
        // Keys are encrypted, but names, URLs and the audit log are the
        // operator's business only: the file is readable by its owner alone.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(|e| Error::Io {
                path: path.display().to_string(),
                source: e,
            })?;
        }
        MIGRATOR.run(&pool).await.map_err(|e| Error::Migration(e.to_string()))?;
        tracing::info!(workspace = %path.display(), "created workspace");
        Ok(Store { pool, path: path.to_path_buf() })
    }

    /// Opens an existing database, applies migrations it lacks, and rejects a
    /// database whose schema is newer than this program's.
    pub async fn open(path: &Path) -> Result<Store> {
        if !path.exists() {
            return Err(Error::NotFound(path.display().to_string()));
        }
        let pool = connect(path, false).await?;
        check_schema_version(&pool, path).await?;
        let applied = applied_versions(&pool).await?;
        if MIGRATOR.iter().any(|m| !applied.contains(&m.version)) {
            MIGRATOR.run(&pool).await.map_err(|e| Error::Migration(e.to_string()))?;
            // sqlx caches prepared statements per connection with their column
            // lists. A migration that alters a table makes those stale, so the
            // pool is replaced by fresh connections.
            pool.close().await;
            tracing::info!(workspace = %path.display(), "migrated workspace schema");
            let pool = connect(path, false).await?;
            return Ok(Store { pool, path: path.to_path_buf() });
        }
        Ok(Store { pool, path: path.to_path_buf() })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Starts a write transaction; dropping it without commit rolls back.
    ///
    /// It takes SQLite's write lock at `BEGIN IMMEDIATE`, so a transaction
    /// that waits for another process's writer waits in the busy timeout.
    /// A deferred transaction that read first and then wrote would fail at
    /// once with "database is locked" instead, because SQLite does not wait
    /// where waiting could deadlock.
    pub async fn begin(&self) -> Result<Transaction<'static, Sqlite>> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// Closes the pool, waiting for open connections to finish.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Adds what to do to SQLite's "database is locked", which otherwise does
/// not say that another process has the file open for writing.
fn locked_hint(reason: String) -> String {
    if reason.contains("database is locked") {
        format!("{reason}; another Hopscope process (a running gateway, the app or another command) is writing to it, so retry when it finishes")
    } else {
        reason
    }
}

/// Returns the newest schema version this program supports.
pub fn supported_schema_version() -> i64 {
    MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
}

async fn connect(path: &Path, create: bool) -> Result<SqlitePool> {
    let url = format!("sqlite://{}", path.display());
    let options = SqliteConnectOptions::from_str(&url)
        .map_err(|e| Error::Database(e.to_string()))?
        .create_if_missing(create)
        // A rollback journal keeps every committed state in the one file, so
        // copying the workspace file copies the workspace.
        .journal_mode(SqliteJournalMode::Delete)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5));
    SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(options)
        .await
        .map_err(|e| Error::Open {
            path: path.display().to_string(),
            reason: locked_hint(e.to_string()),
        })
}

async fn applied_versions(pool: &SqlitePool) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> = sqlx::query_as("SELECT version FROM _sqlx_migrations WHERE success = 1")
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

async fn check_schema_version(pool: &SqlitePool, path: &Path) -> Result<()> {
    let has_table: Option<(String,)> = sqlx::query_as(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
    )
    .fetch_optional(pool)
    .await
    .map_err(|e| Error::Open {
        path: path.display().to_string(),
        reason: e.to_string(),
    })?;
    if has_table.is_none() {
        return Err(Error::NotAWorkspace(path.display().to_string()));
    }
    let (found,): (Option<i64>,) = sqlx::query_as("SELECT MAX(version) FROM _sqlx_migrations")
        .fetch_one(pool)
        .await?;
    let found = found.unwrap_or(0);
    let supported = supported_schema_version();
    if found > supported {
        return Err(Error::TooNew {
            path: path.display().to_string(),
            found,
            supported,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn create_then_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ws.db");
        Store::create(&path).await.unwrap().close().await;
        let store = Store::open(&path).await.unwrap();
        assert_eq!(store.path(), path);
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn create_makes_owner_only_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ws.db");
        Store::create(&path).await.unwrap().close().await;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "workspace file mode {mode:o}");
    }

    #[tokio::test]
    async fn create_refuses_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ws.db");
        std::fs::write(&path, b"x").unwrap();
        let err = Store::create(&path).await.unwrap_err();
        assert!(matches!(err, Error::AlreadyExists(_)), "{err}");
        assert_eq!(std::fs::read(&path).unwrap(), b"x");
    }

    #[tokio::test]
    async fn open_rejects_newer_schema() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ws.db");
        let store = Store::create(&path).await.unwrap();
        sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
             VALUES (9999, 'from the future', 1, x'00', 0)",
        )
        .execute(store.pool())
        .await
        .unwrap();
        store.close().await;
        let err = Store::open(&path).await.unwrap_err();
        let message = err.to_string();
        assert!(matches!(err, Error::TooNew { found: 9999, .. }), "{message}");
        assert!(message.contains("newer Hopscope"), "{message}");
    }

    #[tokio::test]
    async fn open_migrates_first_schema() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ws.db");
        let pool = connect(&path, true).await.unwrap();
        let first = MIGRATOR.iter().next().unwrap();
        sqlx::raw_sql(&first.sql).execute(&pool).await.unwrap();
        sqlx::query(
            "CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL,
             installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, success BOOLEAN NOT NULL,
             checksum BLOB NOT NULL, execution_time BIGINT NOT NULL)",
        )
        .execute(&pool)
        .await
        .unwrap();
        sqlx::query("INSERT INTO _sqlx_migrations VALUES (?, ?, CURRENT_TIMESTAMP, 1, ?, 0)")
            .bind(first.version)
            .bind(first.description.as_ref())
            .bind(first.checksum.as_ref())
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query("INSERT INTO audit (at, action, subject, detail) VALUES (1, 'init', 'x', '')")
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;

        let store = Store::open(&path).await.unwrap();
        let mut conn = store.pool().acquire().await.unwrap();
        let audit = rows::audit(&mut conn, 10).await.unwrap();

        assert_eq!(audit.len(), 1);
        assert_eq!(audit[0].actor, "");
    }

    #[tokio::test]
    async fn open_rejects_other_sqlite_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("other.db");
        let pool = connect(&path, true).await.unwrap();
        sqlx::query("CREATE TABLE t (x)").execute(&pool).await.unwrap();
        pool.close().await;
        let err = Store::open(&path).await.unwrap_err();
        assert!(matches!(err, Error::NotAWorkspace(_)), "{err}");
    }

    #[tokio::test]
    async fn open_rejects_missing_file() {
        let dir = tempfile::tempdir().unwrap();
        let err = Store::open(&dir.path().join("none.db")).await.unwrap_err();
        assert!(matches!(err, Error::NotFound(_)), "{err}");
    }
}
