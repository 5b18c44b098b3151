//! Logs to stderr and to the log file. Commands log their arguments through
//! `tracing::instrument`, which skips passphrases, passwords and requests
//! that carry them.

use std::path::Path;
use std::sync::Mutex;

use tracing_subscriber::{fmt, layer::SubscriberExt, util::SubscriberInitExt, EnvFilter};

/// Installs the global subscriber. `RUST_LOG` overrides the default `info`
/// level. When the log file cannot be opened, only stderr gets the logs.
///
/// The file is written synchronously: on Linux the Tauri event loop ends the
/// process with `exit`, so a background writer would lose its last lines.
pub fn init(log_file: &Path) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let stderr_layer = fmt::layer().with_writer(std::io::stderr);

    let open_error = match open_append(log_file) {
        Ok(file) => {
            let file_layer = fmt::layer().with_ansi(false).with_writer(Mutex::new(file));
            tracing_subscriber::registry().with(filter).with(stderr_layer).with(file_layer).init();
            None
        }
        Err(err) => {
            tracing_subscriber::registry().with(filter).with(stderr_layer).init();
            Some(err)
        }
    };
    if let Some(err) = open_error {
        tracing::warn!(path = %log_file.display(), error = %err, "cannot open the log file; logging to stderr only");
    }
}

fn open_append(path: &Path) -> std::io::Result<std::fs::File> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::OpenOptions::new().create(true).append(true).open(path)
}
