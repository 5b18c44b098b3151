//! Trust lists of destinations and trust decisions on originators.
//!
//! Only the destination decides whether it trusts an originator, using its
//! trust list: anchors (authorities whose chains it trusts), pinned
//! originators (keys trusted without an anchor) and denied originators. The
//! originator proves its identity the UDAP way, with a JWT signed by its
//! certificate's key and the chain in `x5c`. `decide` evaluates such a JWT,
//! or a bare chain, and reports every check with its reason.
//!
//! Everything here is pure: no database, no files, no network. Chain
//! building is rustls-webpki's; JWT signatures are verified with ring.

mod cert;
mod chain;
pub mod decision;
pub mod diff;
pub mod error;
mod jwt;
pub mod list;
pub mod presented;
mod revocation;

pub use cert::MIN_RSA_BITS;
pub use chain::MAX_INTERMEDIATES;
pub use decision::{
    decide, Check, CheckName, DecisionContext, LeafSummary, Outcome, TrustDecision,
};
pub use diff::TrustListChange;
pub use error::{Error, Result};
pub use jwt::{MAX_IAT_SKEW_SECONDS, MAX_JWT_LIFETIME_SECONDS};
pub use list::{
    Anchor, AnchorSource, DeniedOriginator, DenyMatch, Entry, EntryKind, PinnedOriginator,
    TrustList,
};
pub use presented::Presented;
