//! Private keys: generation, parsing, encryption at rest.

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::{Error, Result};

/// Key algorithms and sizes Hopscope generates and accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyType {
    EcdsaP256,
    EcdsaP384,
    Ed25519,
    Rsa2048,
    Rsa3072,
    Rsa4096,
}

impl KeyType {
    pub const ALL: [KeyType; 6] = [
        KeyType::EcdsaP256,
        KeyType::EcdsaP384,
        KeyType::Ed25519,
        KeyType::Rsa2048,
        KeyType::Rsa3072,
        KeyType::Rsa4096,
    ];

    /// The name used on the command line and in JSON, such as `ecdsa-p256`.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyType::EcdsaP256 => "ecdsa-p256",
            KeyType::EcdsaP384 => "ecdsa-p384",
            KeyType::Ed25519 => "ed25519",
            KeyType::Rsa2048 => "rsa-2048",
            KeyType::Rsa3072 => "rsa-3072",
            KeyType::Rsa4096 => "rsa-4096",
        }
    }
}

impl std::fmt::Display for KeyType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for KeyType {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        KeyType::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| Error::UnknownKeyType(s.to_string()))
    }
}

/// A private key held in clear in memory only, as PKCS#8 DER that is zeroized
/// on drop. Its `Debug` output never shows key material.
pub struct PrivateKey {
    pkcs8: Zeroizing<Vec<u8>>,
    key_type: KeyType,
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrivateKey")
            .field("key_type", &self.key_type)
            .finish_non_exhaustive()
    }
}

impl PrivateKey {
    /// Generates a new key of the given type.
    pub fn generate(key_type: KeyType) -> Result<Self> {
        todo!("{key_type}")
    }

    /// Parses an unencrypted PKCS#8 `PrivateKeyInfo` (DER).
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self> {
        todo!("{}", der.len())
    }

    /// The unencrypted PKCS#8 DER. Callers must not log or persist it.
    pub fn pkcs8_der(&self) -> &[u8] {
        &self.pkcs8
    }

    pub fn key_type(&self) -> KeyType {
        self.key_type
    }

    /// The DER `SubjectPublicKeyInfo` of the public half.
    pub fn public_key_der(&self) -> Vec<u8> {
        todo!()
    }

    /// Lowercase hex SHA-256 of the DER `SubjectPublicKeyInfo`.
    pub fn spki_sha256(&self) -> String {
        todo!()
    }

    /// Encrypts into a DER PKCS#8 `EncryptedPrivateKeyInfo` (PBES2,
    /// AES-256-CBC) with the given key derivation.
    pub fn encrypt(&self, password: &[u8], kdf: Kdf) -> Result<Vec<u8>> {
        todo!("{} {kdf:?}", password.len())
    }

    /// Decrypts a DER or PEM `EncryptedPrivateKeyInfo`; a wrong password is
    /// `Error::WrongPassword`.
    pub fn decrypt(encrypted: &[u8], password: &[u8]) -> Result<Self> {
        todo!("{} {}", encrypted.len(), password.len())
    }

    /// Unencrypted PKCS#8 PEM (`PRIVATE KEY`). Only for exports that ask for a
    /// key in clear.
    pub fn to_pkcs8_pem(&self) -> Zeroizing<String> {
        todo!()
    }
}

/// Key derivation for `PrivateKey::encrypt`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kdf {
    /// scrypt with the PKCS#8 crate's recommended cost: for secrets a person
    /// chose, such as a workspace passphrase or an export password.
    Scrypt,
    /// PBKDF2-HMAC-SHA256 with the given iteration count: for a random 256-bit
    /// data key, which needs no stretching, and for tools that lack scrypt.
    Pbkdf2Sha256 { iterations: u32 },
}
