//! Test hooks that kill the process between two steps of an operation, so
//! tests can prove that a crash at any step leaves a consistent workspace.
//!
//! Set `HOPSCOPE_FAILPOINT` to a point's name to abort the process there.
//! Unset, each check costs one environment lookup.

/// Environment variable that names the failpoint to trigger.
pub const FAILPOINT_ENV: &str = "HOPSCOPE_FAILPOINT";

/// Aborts the process, without unwinding or flushing, if `name` is the
/// failpoint selected by `HOPSCOPE_FAILPOINT`.
pub(crate) fn check(name: &str) {
    if std::env::var(FAILPOINT_ENV).is_ok_and(|v| v == name) {
        eprintln!("failpoint {name} reached; aborting");
        std::process::abort();
    }
}
