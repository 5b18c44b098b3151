//! Logging to stderr and to the log file in the data directory.

use std::io::IsTerminal;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::prelude::*;
use tracing_subscriber::{fmt, EnvFilter};

/// Environment variable with a tracing filter, such as `debug` or
/// `hopscope_workspace=trace`.
const LOG_ENV: &str = "HOPSCOPE_LOG";

/// Sets up logging: errors on stderr (more with `-v`), info and above in
/// `hopscope.log`. A failing command already prints its one-line message, so
/// stderr stays quiet by default. Returns the guard that flushes the file on drop; without a
/// writable data directory only stderr is used.
pub fn init(verbose: u8) -> Option<WorkerGuard> {
    let stderr_level = match verbose {
        0 => "error",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let stderr_filter = std::env::var(LOG_ENV).ok().and_then(|f| EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| EnvFilter::new(stderr_level));
    let stderr_layer = fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .with_filter(stderr_filter);

    let log_file = hopscope_workspace::paths::log_file();
    let file = log_file.parent().and_then(|dir| std::fs::create_dir_all(dir).ok()).and_then(|_| {
        std::fs::OpenOptions::new().create(true).append(true).open(&log_file).ok()
    });
    match file {
        Some(file) => {
            let (writer, guard) = tracing_appender::non_blocking(file);
            let file_layer = fmt::layer().with_writer(writer).with_ansi(false).with_filter(EnvFilter::new("info"));
            tracing_subscriber::registry().with(stderr_layer).with(file_layer).init();
            Some(guard)
        }
        None => {
            tracing_subscriber::registry().with(stderr_layer).init();
            None
        }
    }
}
