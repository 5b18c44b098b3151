//! Destination trust lists: entries, history, revert, import, export and
//! trust decisions. Certificate files arrive as paths from the file dialog
//! or drag and drop and are read here, so the webview needs no file system
//! access.

use std::path::PathBuf;

use hopscope_workspace::trust::{TrustAddition, TrustExportFormat, TrustListVersion, TrustListView};
use hopscope_workspace::{Presented, TrustDecision, TrustListChange};
use serde::Deserialize;
use tauri::State;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::commands::files::{read_file, write_file};
use crate::error::CommandError;
use crate::state::AppState;

/// Largest file the "try an originator" panel loads. A JWT with a long
/// `x5c` chain or a PEM chain is a few kilobytes.
const MAX_PRESENTED_FILE_BYTES: u64 = 1024 * 1024;

/// What the UI adds to a trust list. Mirrors `TrustAddition`, with a path in
/// place of the file's bytes.
#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum TrustAdditionRequest {
    AnchorAuthority { name: String },
    AnchorFile { path: PathBuf },
    Pin { path: PathBuf },
    DenyCertificate { path: PathBuf },
    DenySpki { spki_sha256: String },
    DenyUri { uri: String },
}

impl TrustAdditionRequest {
    async fn into_addition(self) -> Result<TrustAddition, CommandError> {
        Ok(match self {
            TrustAdditionRequest::AnchorAuthority { name } => TrustAddition::AnchorAuthority { name },
            TrustAdditionRequest::AnchorFile { path } => TrustAddition::AnchorFile { bytes: read_file(&path).await? },
            TrustAdditionRequest::Pin { path } => TrustAddition::Pin { bytes: read_file(&path).await? },
            TrustAdditionRequest::DenyCertificate { path } => {
                TrustAddition::DenyCertificate { bytes: read_file(&path).await? }
            }
            TrustAdditionRequest::DenySpki { spki_sha256 } => TrustAddition::DenySpki { spki_sha256 },
            TrustAdditionRequest::DenyUri { uri } => TrustAddition::DenyUri { uri },
        })
    }
}

#[tauri::command]
#[tracing::instrument(skip(state), err(Debug))]
pub async fn trust_list(state: State<'_, AppState>, destination: String) -> Result<TrustListView, CommandError> {
    Ok(state.workspace().await?.trust_list(&destination).await?)
}

#[tauri::command]
#[tracing::instrument(skip(state), err(Debug))]
pub async fn trust_add(
    state: State<'_, AppState>,
    destination: String,
    addition: TrustAdditionRequest,
    note: String,
) -> Result<TrustListView, CommandError> {
    let addition = addition.into_addition().await?;
    Ok(state.workspace().await?.trust_add(&destination, &addition, &note).await?)
}

#[tauri::command]
#[tracing::instrument(skip(state), err(Debug))]
pub async fn trust_remove(
    state: State<'_, AppState>,
    destination: String,
    entry: String,
) -> Result<TrustListView, CommandError> {
    Ok(state.workspace().await?.trust_remove(&destination, &entry).await?)
}

#[tauri::command]
#[tracing::instrument(skip(state), err(Debug))]
pub async fn trust_set_note(
    state: State<'_, AppState>,
    destination: String,
    entry: String,
    note: String,
) -> Result<TrustListView, CommandError> {
    Ok(state.workspace().await?.trust_set_note(&destination, &entry, &note).await?)
}

/// Returns every version, newest first.
#[tauri::command]
#[tracing::instrument(skip(state), err(Debug))]
pub async fn trust_history(
    state: State<'_, AppState>,
    destination: String,
) -> Result<Vec<TrustListVersion>, CommandError> {
    Ok(state.workspace().await?.trust_history(&destination).await?)
}

/// Returns the changes from version `from` to version `to`. Version 0 is the empty list.
#[tauri::command]
#[tracing::instrument(skip(state), err(Debug))]
pub async fn trust_diff(
    state: State<'_, AppState>,
    destination: String,
    from: i64,
    to: i64,
) -> Result<Vec<TrustListChange>, CommandError> {
    Ok(state.workspace().await?.trust_diff(&destination, from, to).await?)
}

/// Makes the content of `version` current, as a new version.
#[tauri::command]
#[tracing::instrument(skip(state), err(Debug))]
pub async fn trust_revert(
    state: State<'_, AppState>,
    destination: String,
    version: i64,
) -> Result<TrustListView, CommandError> {
    Ok(state.workspace().await?.trust_revert(&destination, version).await?)
}

/// Writes the anchors as a PEM bundle, or the whole list as JSON, to `path`.
#[tauri::command]
#[tracing::instrument(skip(state), err(Debug))]
pub async fn trust_export(
    state: State<'_, AppState>,
    destination: String,
    format: TrustExportFormat,
    path: PathBuf,
) -> Result<(), CommandError> {
    let bytes = state.workspace().await?.trust_export(&destination, format).await?;
    write_file(&path, &bytes, false).await
}

/// Imports the file at `path`: JSON replaces the list, a PEM bundle adds anchors.
#[tauri::command]
#[tracing::instrument(skip(state), err(Debug))]
pub async fn trust_import(
    state: State<'_, AppState>,
    destination: String,
    path: PathBuf,
) -> Result<TrustListView, CommandError> {
    let bytes = read_file(&path).await?;
    Ok(state.workspace().await?.trust_import(&destination, &bytes).await?)
}

/// Decides whether `destination` trusts the originator that presented
/// `text` (a compact JWT or a PEM chain), at `at` (RFC 3339) or now.
#[tauri::command]
#[tracing::instrument(skip(state, text), err(Debug))]
pub async fn trust_check(
    state: State<'_, AppState>,
    destination: String,
    text: String,
    at: Option<String>,
) -> Result<TrustDecision, CommandError> {
    let presented = Presented::from_text(&text).map_err(hopscope_workspace::Error::from)?;
    let at = at.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(parse_time).transpose()?;
    Ok(state.workspace().await?.trust_check(&destination, &presented, at).await?)
}

/// Reads a JWT or PEM chain file that the operator dropped on or chose in
/// the "try an originator" panel, and returns its text after checking that
/// it is one of the two.
#[tauri::command]
#[tracing::instrument(err(Debug))]
pub async fn read_presented_file(path: PathBuf) -> Result<String, CommandError> {
    let size = tokio::fs::metadata(&path).await.map_err(|err| CommandError::io("reading", &path, err))?.len();
    if size > MAX_PRESENTED_FILE_BYTES {
        return Err(CommandError::invalid(format!(
            "{} has {size} bytes; a JWT or PEM chain file has at most {MAX_PRESENTED_FILE_BYTES}",
            path.display()
        )));
    }
    let bytes = read_file(&path).await?;
    let text = String::from_utf8(bytes).map_err(|_| {
        CommandError::invalid(format!("{} is not text; choose a compact JWT or a PEM chain", path.display()))
    })?;
    Presented::from_text(&text).map_err(hopscope_workspace::Error::from)?;
    Ok(text)
}

fn parse_time(text: &str) -> Result<OffsetDateTime, CommandError> {
    OffsetDateTime::parse(text, &Rfc3339).map_err(|err| CommandError {
        code: "invalid-time",
        message: format!("invalid evaluation time \"{text}\" ({err}); write RFC 3339 such as 2027-01-31T12:00:00Z"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evaluation_time_parses_rfc3339() {
        let at = parse_time("2027-01-31T12:00:00Z").unwrap();
        assert_eq!(at.year(), 2027);
    }

    #[test]
    fn evaluation_time_rejects_other_forms() {
        let err = parse_time("31.01.2027").unwrap_err();
        assert_eq!(err.code, "invalid-time");
        assert!(err.message.contains("31.01.2027"), "{}", err.message);
    }

    #[test]
    fn addition_request_reads_kebab_case_kinds() {
        let request: TrustAdditionRequest =
            serde_json::from_value(serde_json::json!({"kind": "deny-uri", "uri": "https://clinic-a.test/apps/scheduler"}))
                .unwrap();
        assert!(matches!(request, TrustAdditionRequest::DenyUri { uri } if uri == "https://clinic-a.test/apps/scheduler"));
    }
}
