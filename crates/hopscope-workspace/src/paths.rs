//! Locations of the workspace and the log file.

use std::path::PathBuf;

/// Environment variable that overrides the default workspace path.
pub const WORKSPACE_ENV: &str = "HOPSCOPE_WORKSPACE";

/// Returns the data directory: `$XDG_DATA_HOME/hopscope` on Linux, else
/// `~/.local/share/hopscope`.
pub fn data_dir() -> PathBuf {
    if let Some(xdg) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(xdg).join("hopscope");
    }
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("."));
    home.join(".local/share/hopscope")
}

/// Resolves the workspace path: the explicit one, else `HOPSCOPE_WORKSPACE`,
/// else `workspace.db` in the data directory.
pub fn resolve_workspace(explicit: Option<PathBuf>) -> PathBuf {
    explicit
        .or_else(|| std::env::var_os(WORKSPACE_ENV).filter(|v| !v.is_empty()).map(PathBuf::from))
        .unwrap_or_else(|| data_dir().join("workspace.db"))
}

/// Returns the log file: `hopscope.log` in the data directory.
pub fn log_file() -> PathBuf {
    data_dir().join("hopscope.log")
}
