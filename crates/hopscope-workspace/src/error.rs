use thiserror::Error;

/// Errors of workspace operations. Messages name the value at fault and the
/// fix; none contains a secret.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    #[error(transparent)]
    Pki(#[from] hopscope_pki::Error),
    #[error(transparent)]
    Store(#[from] hopscope_store::Error),
    #[error(transparent)]
    Trust(#[from] hopscope_trust::Error),
    #[error(transparent)]
    Gateway(#[from] hopscope_gateway::Error),
    #[error("wrong passphrase for workspace {path}; nothing was changed")]
    WrongPassphrase { path: String },
    #[error("the workspace is locked; unlock it with its passphrase first")]
    Locked,
    #[error("{kind} \"{name}\" not found; {hint}")]
    NotFound {
        kind: &'static str,
        name: String,
        hint: String,
    },
    #[error("a credential named \"{0}\" already exists; choose another name or rotate the existing one")]
    Duplicate(String),
    #[error("authority \"{0}\" has no private key in this workspace, so it cannot sign; import its key or choose another authority")]
    AuthorityWithoutKey(String),
    #[error("\"{0}\" is not an authority; choose a credential with the authority role")]
    NotAnAuthority(String),
    #[error("credential \"{0}\" has no private key in this workspace; import its key first")]
    CredentialWithoutKey(String),
    #[error("invalid request: {0}")]
    Invalid(String),
    #[error("cannot {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: String,
        #[source]
        source: std::io::Error,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
