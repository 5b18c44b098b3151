//! End-to-end tests of the `hopscope` command: real processes, real files,
//! openssl as the independent peer.

mod bad_input;
mod contract;
mod exchange;
mod gateway;
mod gateway_external;
mod gateway_harness;
mod gateway_records;
mod import;
mod openssl;
mod rotation;
mod topology;
mod trust;
