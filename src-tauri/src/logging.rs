//! Logs to stderr and to the log file. Commands log their arguments through
//! `tracing::instrument`; passphrases, passwords and keys are skipped there.

use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::{fmt, layer::SubscriberExt, util::SubscriberInitExt, EnvFilter};

/// Installs the global subscriber. `RUST_LOG` overrides the default `info`
/// level. Returns the guard that flushes the file writer, or `None` when the
/// log file cannot be opened (then only stderr gets the logs).
pub fn init(log_file: &Path) -> Option<WorkerGuard> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let stderr_layer = fmt::layer().with_writer(std::io::stderr);

    let file = log_file.parent().and_then(|dir| {
        std::fs::create_dir_all(dir).ok()?;
        std::fs::OpenOptions::new().create(true).append(true).open(log_file).ok()
    });
    let (file_layer, guard) = match file {
        Some(file) => {
            let (writer, guard) = tracing_appender::non_blocking(file);
            (Some(fmt::layer().with_ansi(false).with_writer(writer)), Some(guard))
        }
        None => (None, None),
    };

    tracing_subscriber::registry().with(filter).with(stderr_layer).with(file_layer).init();
    if guard.is_none() {
        tracing::warn!(path = %log_file.display(), "cannot open the log file; logging to stderr only");
    }
    guard
}
