//! Import, export and inspection of files. The UI passes paths from the file
//! dialogs, drag and drop or a typed path. The files are read and written
//! here, so the webview needs no file system access.

use std::path::{Path, PathBuf};

use hopscope_workspace::{CredentialSummary, ExportFormat, ExportRequest, ImportRequest, InspectedCertificate};
use tauri::State;
use zeroize::Zeroizing;

use crate::error::CommandError;
use crate::state::AppState;

/// Writes the export of credential `name` to `path`, replacing the file. The
/// request is not logged because it may carry a password.
#[tauri::command]
#[tracing::instrument(skip(state, request), fields(format = ?request.format, key = request.key), err(Debug))]
pub async fn export_credential(
    state: State<'_, AppState>,
    name: String,
    request: ExportRequest,
    path: PathBuf,
) -> Result<(), CommandError> {
    let bytes = Zeroizing::new(state.workspace().await?.export(&name, &request).await?);
    let has_key = request.key || request.format == ExportFormat::P12;
    write_file(&path, &bytes, has_key).await
}

/// Imports the file at `path`. The request is not logged because it may
/// carry a password.
#[tauri::command]
#[tracing::instrument(skip(state, request), fields(name = ?request.name, role = ?request.role), err(Debug))]
pub async fn import_file(
    state: State<'_, AppState>,
    path: PathBuf,
    request: ImportRequest,
) -> Result<Vec<CredentialSummary>, CommandError> {
    let bytes = Zeroizing::new(read_file(&path).await?);
    Ok(state.workspace().await?.import(&bytes, &request).await?)
}

/// Inspects every certificate in the file at `path` without storing it.
#[tauri::command]
#[tracing::instrument(skip(password), err(Debug))]
pub async fn inspect_file(path: PathBuf, password: Option<String>) -> Result<Vec<InspectedCertificate>, CommandError> {
    let bytes = Zeroizing::new(read_file(&path).await?);
    let password = password.map(Zeroizing::new);
    Ok(hopscope_workspace::inspect_file(&bytes, password.as_deref().map(String::as_str))?)
}

pub(crate) async fn read_file(path: &Path) -> Result<Vec<u8>, CommandError> {
    tokio::fs::read(path).await.map_err(|err| CommandError::io("reading", path, err))
}

/// Writes `bytes` to `path`. A file that contains a private key is made
/// readable by its owner only (mode 0600 on Unix).
pub(crate) async fn write_file(path: &Path, bytes: &[u8], secret: bool) -> Result<(), CommandError> {
    use tokio::io::AsyncWriteExt;

    let mut options = tokio::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if secret {
        options.mode(0o600);
    }
    let mut file = options.open(path).await.map_err(|err| CommandError::io("creating", path, err))?;
    // `mode` applies only to a new file; an existing one is narrowed here.
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::PermissionsExt;
        let owner_only = std::fs::Permissions::from_mode(0o600);
        file.set_permissions(owner_only).await.map_err(|err| CommandError::io("restricting", path, err))?;
    }
    file.write_all(bytes).await.map_err(|err| CommandError::io("writing", path, err))?;
    file.flush().await.map_err(|err| CommandError::io("writing", path, err))
}
