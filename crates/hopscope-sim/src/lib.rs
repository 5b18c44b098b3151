//! Destination and originator simulators of a signed FHIR exchange.
//!
//! The [`destination`] serves FHIR behind a destination's private URL and
//! refers to itself only by its public URL. It decides trust itself, with its
//! trust list, when an originator registers (UDAP dynamic client
//! registration) and requests a token (`private_key_jwt`), and it signs every
//! response with its destination-signing key: `Content-Digest` (RFC 9530)
//! and `Signature-Input` / `Signature` (RFC 9421).
//!
//! The [`originator`] walks a named [`scenario`] through the public URL, so
//! through every intermediary, and checks each response it receives against
//! the destination's signed metadata. Both write an
//! [`ExchangeRecord`](hopscope_gateway::ExchangeRecord) per exchange beside
//! the intermediaries' records, which is what a verdict compares.

pub mod destination;
pub mod error;
pub mod originator;
mod record;
pub mod scenario;
mod signing;
mod udap;

pub use destination::{Destination, DestinationConfig, DestinationTrust};
pub use error::{Error, Result};
pub use originator::{Originator, OriginatorCheck, OriginatorConfig, StepOutcome, StepReport};
pub use scenario::{Scenario, SCENARIOS};
pub use signing::SigningIdentity;

/// Label of the signature the destination adds to every response.
pub const SIGNATURE_LABEL: &str = "sig1";

/// Components the destination's signature covers: those that do not change
/// between hops. Host and path differ per hop, so they are left out.
pub const SIGNED_COMPONENTS: [&str; 3] = ["@status", "content-type", "content-digest"];

/// Lifetime of the access tokens the destination issues, in seconds.
pub const ACCESS_TOKEN_LIFETIME_SECONDS: i64 = 300;
