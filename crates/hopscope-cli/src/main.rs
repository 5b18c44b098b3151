//! The `hopscope` command: every workspace operation, headless, for scripts
//! and tests. Exit status 0 on success, 1 on a failure (one line on stderr),
//! 2 on a usage error.

mod cli;
mod commands;
mod logging;
mod output;
mod secrets;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The gateway writes to sockets that clients close at any moment. With
    // SIGPIPE at its default, a client hanging up would kill the gateway, so
    // it keeps Rust's default of ignoring SIGPIPE and handling EPIPE.
    if !serves_network(&cli) {
        restore_default_sigpipe();
    }
    let _log_guard = logging::init(cli.verbose);
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("hopscope: error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(code) => code,
        Err(e) => {
            tracing::debug!(error = ?e, "command failed");
            eprintln!("hopscope: error: {e:#}");
            ExitCode::from(1)
        }
    }
}

/// Tells whether the command runs network servers (`gateway run`).
fn serves_network(cli: &Cli) -> bool {
    matches!(
        cli.command,
        cli::Command::Gateway(commands::gateway::GatewayCommand::Run(_))
    )
}

/// Lets a closed pipe end the process quietly, as other Unix tools do
/// (`hopscope audit --json | head`). Rust ignores SIGPIPE by default, which
/// turns a closed stdout into a panic inside `println!`.
fn restore_default_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called first in main, before any thread exists; SIG_DFL is a
    // valid disposition for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
