//! Workspace services: the operations an operator runs on a workspace, shared
//! by the `hopscope` command and the desktop app. Both are thin adapters over
//! [`Workspace`].

pub mod error;
pub mod model;
pub mod paths;
pub mod requests;

use std::path::{Path, PathBuf};

pub use error::{Error, Result};
pub use model::*;
pub use requests::*;

use hopscope_pki::revocation::RevocationReason;

/// An open workspace. Cheap to clone: clones share the database pool and the
/// unlocked vault.
#[derive(Clone)]
pub struct Workspace {
    path: PathBuf,
}

impl Workspace {
    /// Creates a new workspace file at `path` protected by `passphrase`.
    /// Fails when a file already exists there.
    pub async fn create(path: &Path, passphrase: &str) -> Result<Workspace> {
        let _ = passphrase;
        Ok(Workspace { path: path.to_path_buf() })
    }

    /// Opens an existing workspace, locked. Refuses a workspace written by a
    /// newer Hopscope.
    pub async fn open(path: &Path) -> Result<Workspace> {
        Ok(Workspace { path: path.to_path_buf() })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Unlocks the key vault; a wrong passphrase is `Error::WrongPassphrase`
    /// and changes nothing.
    pub async fn unlock(&self, passphrase: &str) -> Result<()> {
        let _ = passphrase;
        todo!()
    }

    pub fn is_unlocked(&self) -> bool {
        todo!()
    }

    pub async fn create_authority(&self, request: &NewAuthority) -> Result<CredentialSummary> {
        let _ = request;
        todo!()
    }

    /// Credentials with the `authority` role.
    pub async fn list_authorities(&self) -> Result<Vec<CredentialSummary>> {
        todo!()
    }

    /// Every credential but the authorities, optionally only those whose
    /// current certificate expires within `expiring_within_seconds`.
    pub async fn list_credentials(
        &self,
        expiring_within_seconds: Option<i64>,
    ) -> Result<Vec<CredentialSummary>> {
        let _ = expiring_within_seconds;
        todo!()
    }

    /// Any credential, authorities included.
    pub async fn credential(&self, name: &str) -> Result<CredentialDetail> {
        let _ = name;
        todo!()
    }

    pub async fn issue(&self, request: &NewCredential) -> Result<CredentialSummary> {
        let _ = request;
        todo!()
    }

    /// Issues a successor (new key unless `reuse_key`) and makes it current,
    /// in one transaction.
    pub async fn rotate(&self, name: &str, reuse_key: bool) -> Result<CredentialSummary> {
        let _ = (name, reuse_key);
        todo!()
    }

    /// Credentials (authorities included) whose current certificate is due
    /// under its rotation policy.
    pub async fn due_for_rotation(&self) -> Result<Vec<CredentialSummary>> {
        todo!()
    }

    pub async fn set_rotation_policy(&self, name: &str, policy: RotationPolicy) -> Result<()> {
        let _ = (name, policy);
        todo!()
    }

    /// Revokes the current certificate of `name`.
    pub async fn revoke(&self, name: &str, reason: RevocationReason) -> Result<()> {
        let _ = (name, reason);
        todo!()
    }

    /// The bytes of an export file for a credential (authorities included).
    pub async fn export(&self, name: &str, request: &ExportRequest) -> Result<Vec<u8>> {
        let _ = (name, request);
        todo!()
    }

    /// A freshly signed CRL of the authority `name`, PEM or DER.
    pub async fn crl(&self, name: &str, pem: bool) -> Result<Vec<u8>> {
        let _ = (name, pem);
        todo!()
    }

    /// Imports certificates, keys, PKCS#12 or a CSR (which it signs). Returns
    /// the credentials created.
    pub async fn import(&self, bytes: &[u8], request: &ImportRequest) -> Result<Vec<CredentialSummary>> {
        let _ = (bytes, request);
        todo!()
    }

    /// The audit log, newest first.
    pub async fn audit(&self, limit: Option<u32>) -> Result<Vec<AuditEntry>> {
        let _ = limit;
        todo!()
    }
}

/// Inspects every certificate in a file without storing anything.
pub fn inspect_file(bytes: &[u8], password: Option<&str>) -> Result<Vec<InspectedCertificate>> {
    let _ = (bytes, password);
    todo!()
}
