//! End-to-end tests of the `hopscope` command: real processes, real files,
//! openssl as the independent peer.

mod openssl;
mod import;
mod bad_input;
mod rotation;
