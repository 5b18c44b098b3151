//! Tauri commands, one module per concept. Each command is one delegation to
//! a `Workspace` method plus error mapping; logic belongs in the crates.

pub mod audit;
pub mod authorities;
pub mod credentials;
pub mod exchanges;
pub mod files;
pub mod gateway;
pub mod topology;
pub mod trust;
pub mod workspace;
