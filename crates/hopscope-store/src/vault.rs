//! The key vault: a random 256-bit data key, wrapped under the workspace
//! passphrase, that encrypts every private key.
//!
//! The data key is wrapped once with scrypt (log2 N = 17, r = 8, p = 1, so
//! 128 MiB and a few tenths of a second per unlock) and AES-256-CBC. Each private key is a standard PKCS#8 EncryptedPrivateKeyInfo
//! (PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC) whose password is the hex data
//! key. Because the data key is uniformly random it needs no stretching, so
//! unlocking costs one scrypt and each key costs microseconds, and a
//! passphrase change rewraps one value instead of every key.

use pkcs8::der::{Decode, Encode};
use pkcs8::pkcs5::{pbes2, EncryptionScheme};
use pkcs8::{EncryptedPrivateKeyInfo, PrivateKeyInfo};
use rand_core::{OsRng, RngCore};
use zeroize::Zeroizing;

use crate::{Error, Result};

/// Prefix of the wrapped plaintext; a wrong passphrase that happens to give
/// valid CBC padding still fails this check.
const MAGIC: &[u8] = b"hopscope-vault-v1:";

/// PBKDF2 iterations for per-key encryption under the random data key.
const KEY_PBKDF2_ITERATIONS: u32 = 2048;

/// The unwrapped data key. Zeroized on drop; never printed.
#[derive(Clone)]
pub struct DataKey(Zeroizing<String>);

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(..)")
    }
}

impl DataKey {
    /// Generates a data key and returns it with its wrapped form (DER
    /// EncryptedPrivateKeyInfo structure) for storage.
    pub fn generate(passphrase: &str) -> Result<(DataKey, Vec<u8>)> {
        let mut raw = Zeroizing::new([0u8; 32]);
        OsRng.fill_bytes(raw.as_mut());
        let key = DataKey(Zeroizing::new(hex::encode(raw.as_ref())));
        let wrapped = key.wrap(passphrase)?;
        Ok((key, wrapped))
    }

    /// Unwraps a stored data key; a wrong passphrase is `Error::WrongPassphrase`.
    pub fn unwrap(wrapped: &[u8], passphrase: &str) -> Result<DataKey> {
        let info = EncryptedPrivateKeyInfo::from_der(wrapped)
            .map_err(|e| Error::Vault(format!("stored data key is malformed: {e}")))?;
        let plain = Zeroizing::new(
            info.encryption_algorithm
                .decrypt(passphrase, info.encrypted_data)
                .map_err(|_| Error::WrongPassphrase)?,
        );
        let hex_key = plain.strip_prefix(MAGIC).ok_or(Error::WrongPassphrase)?;
        let hex_key = std::str::from_utf8(hex_key).map_err(|_| Error::WrongPassphrase)?;
        Ok(DataKey(Zeroizing::new(hex_key.to_string())))
    }

    /// Wraps this data key under `passphrase` (also used to change it).
    pub fn wrap(&self, passphrase: &str) -> Result<Vec<u8>> {
        let mut salt = [0u8; 16];
        let mut iv = [0u8; 16];
        OsRng.fill_bytes(&mut salt);
        OsRng.fill_bytes(&mut iv);
        let scrypt = pkcs8::pkcs5::scrypt::Params::new(17, 8, 1, 32).map_err(|e| Error::Vault(e.to_string()))?;
        let params = pbes2::Parameters::scrypt_aes256cbc(scrypt, &salt, &iv)
            .map_err(|e| Error::Vault(e.to_string()))?;
        let mut plain = Zeroizing::new(MAGIC.to_vec());
        plain.extend_from_slice(self.0.as_bytes());
        let scheme = EncryptionScheme::from(params);
        let ciphertext = scheme
            .encrypt(passphrase, &plain)
            .map_err(|e| Error::Vault(e.to_string()))?;
        EncryptedPrivateKeyInfo {
            encryption_algorithm: scheme,
            encrypted_data: &ciphertext,
        }
        .to_der()
        .map_err(|e| Error::Vault(e.to_string()))
    }

    /// Encrypts an unencrypted PKCS#8 DER key for storage.
    pub fn seal(&self, pkcs8_der: &[u8]) -> Result<Vec<u8>> {
        let info = PrivateKeyInfo::from_der(pkcs8_der)
            .map_err(|e| Error::Vault(format!("not a PKCS#8 key: {e}")))?;
        let mut salt = [0u8; 16];
        let mut iv = [0u8; 16];
        OsRng.fill_bytes(&mut salt);
        OsRng.fill_bytes(&mut iv);
        let params = pbes2::Parameters::pbkdf2_sha256_aes256cbc(KEY_PBKDF2_ITERATIONS, &salt, &iv)
            .map_err(|e| Error::Vault(e.to_string()))?;
        let document = info
            .encrypt_with_params(params, self.0.as_bytes())
            .map_err(|e| Error::Vault(e.to_string()))?;
        Ok(document.as_bytes().to_vec())
    }

    /// Decrypts a stored key to unencrypted PKCS#8 DER.
    pub fn open(&self, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        let info = EncryptedPrivateKeyInfo::from_der(sealed)
            .map_err(|e| Error::Vault(format!("stored key is malformed: {e}")))?;
        let document = info
            .decrypt(self.0.as_bytes())
            .map_err(|_| Error::Vault("a stored key does not decrypt under the workspace data key".into()))?;
        Ok(Zeroizing::new(document.as_bytes().to_vec()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // A structurally valid P-256 PKCS#8 key whose public point is the
    // curve's generator; only its DER layout matters here.
    const P256_PKCS8: &str = "308187020100301306072a8648ce3d020106082a8648ce3d030107046d306b0201010420\
        1f1dc7bbd7d5c5fc5ad1ab2b8df4f5ba2b5a7a1f8f1b4c0a9c2f6a4e3b7d0c1ea14403420004\
        6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c2964fe342e2fe1a7f9b\
        8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5";

    #[test]
    fn wrap_unwrap_round_trip() {
        let (key, wrapped) = DataKey::generate("correct horse").unwrap();
        let again = DataKey::unwrap(&wrapped, "correct horse").unwrap();
        assert_eq!(key.0.as_str(), again.0.as_str());
    }

    #[test]
    fn unwrap_wrong_passphrase() {
        let (_, wrapped) = DataKey::generate("correct horse").unwrap();
        let err = DataKey::unwrap(&wrapped, "battery staple").unwrap_err();
        assert!(matches!(err, Error::WrongPassphrase), "{err}");
    }

    #[test]
    fn seal_open_round_trip() {
        let der = hex::decode(P256_PKCS8.replace(' ', "")).unwrap();
        let (key, _) = DataKey::generate("p").unwrap();
        let sealed = key.seal(&der).unwrap();
        assert!(!sealed.windows(32).any(|w| w == &der[36..68]), "key bytes visible in sealed form");
        assert_eq!(key.open(&sealed).unwrap().as_slice(), der.as_slice());
    }

    #[test]
    fn debug_hides_key() {
        let (key, _) = DataKey::generate("p").unwrap();
        assert_eq!(format!("{key:?}"), "DataKey(..)");
    }
}
