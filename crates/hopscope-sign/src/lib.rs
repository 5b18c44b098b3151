//! HTTP Message Signatures (RFC 9421), `Content-Digest` (RFC 9530) and
//! compact JWS signing for the destination and originator simulators.
//!
//! A destination signs each response so that the originator can prove no
//! intermediary changed it: it sets `Content-Digest` with
//! [`digest::content_digest_sha256`], then signs `@status`,
//! `content-digest` and other fields with [`message::sign`]. The
//! originator checks both with [`digest::verify_content_digest`] and
//! [`message::verify`].
//!
//! The crate is pure: no network, files, clock or async.

mod der;
pub mod digest;
pub mod jws;
pub mod keys;
pub mod message;
pub mod sf;

pub use digest::{
    content_digest_sha256, content_digest_sha512, verify_content_digest, DigestAlgorithm,
    DigestError,
};
pub use keys::{keyid_for_spki, Algorithm, KeyError, KeyType, SigningKey, VerifyingKey};
pub use message::{
    sign, signature_base, verify, ComponentId, HttpMessage, SignatureMembers, SignatureParams,
    VerifiedSignature, VerifyError,
};
