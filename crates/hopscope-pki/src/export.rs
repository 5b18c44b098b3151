//! Writing certificates and keys in the formats appliances accept.

use crate::{PrivateKey, Result};

/// Concatenated `CERTIFICATE` PEM blocks, in the given order.
pub fn certificates_to_pem(ders: &[Vec<u8>]) -> String {
    let _ = ders;
    todo!()
}

/// PKCS#12 encryption profiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pkcs12Profile {
    /// PBES2 with PBKDF2-HMAC-SHA256 and AES-256-CBC, SHA-256 MAC.
    Modern,
    /// pbeWithSHAAnd3-KeyTripleDES-CBC for keys and certificates, SHA-1 MAC:
    /// for appliances and older Windows that reject AES.
    Legacy,
}

/// Builds a PKCS#12 file holding `key` and `chain` (leaf first) under
/// `password`, with `friendly_name` on the leaf.
pub fn pkcs12(
    key: &PrivateKey,
    chain: &[Vec<u8>],
    password: &str,
    friendly_name: &str,
    profile: Pkcs12Profile,
) -> Result<Vec<u8>> {
    let _ = (key, chain, password, friendly_name, profile);
    todo!()
}
