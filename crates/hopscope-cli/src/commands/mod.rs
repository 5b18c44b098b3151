//! One function per command: parse the arguments into a request, call the
//! workspace, print the result.

mod authority;
mod cert;
pub mod exchange;
pub mod gateway;
mod topology;
pub mod trace;
mod trust;
mod transfer;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use hopscope_workspace::paths::resolve_workspace;
use hopscope_workspace::Workspace;

use crate::cli::{Cli, Command};
use crate::{output, secrets};

pub async fn run(cli: Cli) -> Result<ExitCode> {
    let path = resolve_workspace(cli.workspace.clone());
    match cli.command {
        Command::Init => init(&path).await?,
        Command::Authority(command) => authority::run(&path, command).await?,
        Command::Cert(command) => cert::run(&path, command).await?,
        Command::Import(args) => transfer::import(&path, args).await?,
        Command::Inspect(args) => transfer::inspect(args)?,
        Command::Destination(command) => topology::destination(&path, command).await?,
        Command::Intermediary(command) => topology::intermediary(&path, command).await?,
        Command::Route(command) => topology::route(&path, command).await?,
        Command::Topology(command) => return topology::topology(&path, command).await,
        Command::Demo(args) => topology::demo(&path, args).await?,
        Command::Trust(command) => return trust::run(&path, command).await,
        Command::Gateway(command) => gateway::run(&path, command).await?,
        Command::Trace(trace::TraceCommand::Verdict(args)) => return exchange::verdict(&path, args).await,
        Command::Trace(command) => trace::run(&path, command).await?,
        Command::Exchange(command) => return exchange::run(&path, command).await,
        Command::Audit(args) => {
            let workspace = open(&path).await?;
            let entries = workspace.audit(args.limit).await?;
            if args.json {
                output::json(&entries)?;
            } else {
                output::audit(&entries);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn init(path: &Path) -> Result<()> {
    if path.exists() {
        anyhow::bail!("a workspace already exists at {}; use it, or pass --workspace PATH for a new one", path.display());
    }
    let passphrase = secrets::passphrase(true)?;
    let workspace = Workspace::create(path, &passphrase).await?;
    workspace.close().await;
    println!("created workspace {}", path.display());
    Ok(())
}

/// Opens the workspace, locked.
async fn open(path: &Path) -> Result<Workspace> {
    Ok(Workspace::open(path).await?)
}

/// Opens the workspace and unlocks it with the passphrase.
async fn open_unlocked(path: &Path) -> Result<Workspace> {
    let workspace = open(path).await?;
    let passphrase = secrets::passphrase(false)?;
    match workspace.unlock(&passphrase).await {
        Ok(()) => Ok(workspace),
        Err(e @ hopscope_workspace::Error::WrongPassphrase { .. }) => match secrets::passphrase_file() {
            Some(file) => Err(anyhow::anyhow!("{e} (the passphrase was read from {} = {file})", secrets::PASSPHRASE_FILE_ENV)),
            None => Err(e.into()),
        },
        Err(e) => Err(e.into()),
    }
}

/// Parses a duration argument into seconds.
fn duration_seconds(text: &str) -> Result<i64> {
    Ok(hopscope_pki::parse_duration(text)?.whole_seconds())
}

/// Writes an output file, creating it or replacing its content. Key material
/// is written with mode 0600.
fn write_output(path: &PathBuf, bytes: &[u8], secret: bool) -> Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).with_context(|| format!("cannot write {}", path.display()))?;
    // `mode` applies only when the file is created, so an existing file
    // gets 0600 here before any key material is written to it.
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("cannot make {} readable by its owner only", path.display()))?;
    }
    file.write_all(bytes).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
