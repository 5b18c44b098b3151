//! Reading certificates, keys and CSRs from the files operators have.

use crate::{PrivateKey, Result};

/// What a file contained, in file order.
#[derive(Debug, Default)]
pub struct Bundle {
    /// DER certificates.
    pub certificates: Vec<Vec<u8>>,
    /// Private keys, decrypted to PKCS#8 in memory.
    pub keys: Vec<PrivateKey>,
    /// DER PKCS#10 certificate signing requests.
    pub csrs: Vec<Vec<u8>>,
}

/// Reads PEM (certificates, chains, PKCS#8, encrypted PKCS#8, PKCS#1 RSA and
/// SEC1 EC keys, CSRs), a DER certificate, key or CSR, or PKCS#12 (AES and
/// legacy 3DES/RC2). `password` decrypts encrypted PKCS#8 and PKCS#12; a
/// missing or wrong one is `Error::WrongPassword`. Malformed or truncated input
/// is `Error::Malformed` naming what was expected.
pub fn read_bundle(bytes: &[u8], password: Option<&[u8]>) -> Result<Bundle> {
    let _ = (bytes, password);
    todo!()
}

/// Checks that `key` is the private half of the certificate's public key;
/// `Error::KeyMismatch` otherwise.
pub fn check_key_matches(key: &PrivateKey, cert_der: &[u8]) -> Result<()> {
    let _ = (key, cert_der);
    todo!()
}
