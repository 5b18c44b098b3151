//! Keys, authorities and certificates of an intermediary FHIR exchange.
//!
//! Everything here is pure: it takes and returns DER, PEM and plain values and
//! never touches a database, a file or the network. The workspace crate stores
//! what this crate makes.

pub mod error;
pub mod export;
pub mod import;
pub mod inspect;
pub mod issue;
pub mod key;
mod lint;
pub mod profile;
pub mod revocation;

pub use error::{Error, Result};
pub use key::{KeyType, PrivateKey};
pub use profile::{parse_duration, FhirBaseUrl, Role};
