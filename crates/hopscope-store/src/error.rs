use thiserror::Error;

/// Errors of the workspace database and key vault.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    #[error("no workspace at {0}; create one with `hopscope init`")]
    NotFound(String),
    #[error("a file already exists at {0}; choose another path or open that workspace")]
    AlreadyExists(String),
    #[error("{0} is not a Hopscope workspace (an SQLite file without Hopscope's schema)")]
    NotAWorkspace(String),
    #[error("workspace {path} was written by a newer Hopscope (schema version {found}, this program supports up to {supported}); upgrade Hopscope to open it")]
    TooNew {
        path: String,
        found: i64,
        supported: i64,
    },
    #[error("cannot open workspace {path}: {reason}")]
    Open { path: String, reason: String },
    #[error("cannot create {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("workspace migration failed: {0}")]
    Migration(String),
    #[error("database error: {0}")]
    Database(String),
    /// The passphrase does not unwrap the vault's data key.
    #[error("wrong passphrase")]
    WrongPassphrase,
    #[error("key vault error: {0}")]
    Vault(String),
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        Error::Database(e.to_string())
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
