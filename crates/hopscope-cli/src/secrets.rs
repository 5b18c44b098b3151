//! Reading the workspace passphrase and export passwords without echoing or
//! logging them.

use std::io::IsTerminal;
use std::path::Path;

use anyhow::{bail, Context, Result};
use zeroize::Zeroizing;

/// Environment variable naming a file whose first line is the passphrase.
pub const PASSPHRASE_FILE_ENV: &str = "HOPSCOPE_PASSPHRASE_FILE";

/// Reads the workspace passphrase from `HOPSCOPE_PASSPHRASE_FILE`, else
/// prompts on the terminal, twice when `confirm` is set.
pub fn passphrase(confirm: bool) -> Result<Zeroizing<String>> {
    if let Some(path) = std::env::var_os(PASSPHRASE_FILE_ENV).filter(|v| !v.is_empty()) {
        return first_line(Path::new(&path)).with_context(|| format!("reading {PASSPHRASE_FILE_ENV}"));
    }
    if !std::io::stdin().is_terminal() {
        bail!("no passphrase: set {PASSPHRASE_FILE_ENV} to a file holding it, or run on a terminal to be prompted");
    }
    let first = Zeroizing::new(rpassword::prompt_password("Workspace passphrase: ").context("reading the passphrase")?);
    if confirm {
        let second = Zeroizing::new(rpassword::prompt_password("Repeat the passphrase: ").context("reading the passphrase")?);
        if first != second {
            bail!("the two passphrases differ; nothing was created");
        }
    }
    Ok(first)
}

/// Returns the file named by `HOPSCOPE_PASSPHRASE_FILE`, if set, for error
/// messages.
pub fn passphrase_file() -> Option<String> {
    std::env::var(PASSPHRASE_FILE_ENV).ok().filter(|v| !v.is_empty())
}

/// Reads the first line of `path` without its line ending. An empty first
/// line is an error, because an empty password protects nothing.
pub fn first_line(path: &Path) -> Result<Zeroizing<String>> {
    let content = Zeroizing::new(
        std::fs::read_to_string(path).with_context(|| format!("cannot read password file {}", path.display()))?,
    );
    let line = Zeroizing::new(content.lines().next().unwrap_or("").to_string());
    if line.is_empty() {
        bail!("password file {} is empty; put the password on its first line", path.display());
    }
    Ok(line)
}
