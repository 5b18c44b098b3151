//! Private keys: generation, parsing, encryption at rest.

use pkcs8::der::asn1::ObjectIdentifier;
use pkcs8::pkcs5::pbes2;
use pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey};
use rand_core::RngCore;
use rsa::traits::PublicKeyParts;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
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

    /// Returns the name used on the command line and in JSON, such as
    /// `ecdsa-p256`.
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
        let pkcs8 = match key_type {
            KeyType::EcdsaP256 | KeyType::EcdsaP384 | KeyType::Ed25519 => {
                let pair = rcgen::KeyPair::generate_for(signature_algorithm(key_type))
                    .map_err(|e| Error::Signing(format!("generating a {key_type} key: {e}")))?;
                // Re-encoded into the form from_pkcs8_der writes.
                return PrivateKey::from_pkcs8_der(&Zeroizing::new(pair.serialize_der()));
            }
            KeyType::Rsa2048 | KeyType::Rsa3072 | KeyType::Rsa4096 => {
                let bits = rsa_bits(key_type);
                let key = rsa::RsaPrivateKey::new(&mut rand_core::OsRng, bits)
                    .map_err(|e| Error::Signing(format!("generating a {key_type} key: {e}")))?;
                let doc = key
                    .to_pkcs8_der()
                    .map_err(|e| Error::Signing(format!("encoding a {key_type} key: {e}")))?;
                Zeroizing::new(doc.as_bytes().to_vec())
            }
        };
        Ok(PrivateKey { pkcs8, key_type })
    }

    /// Parses an unencrypted PKCS#8 `PrivateKeyInfo` (DER).
    ///
    /// The key is re-encoded in the form this crate writes (EC keys with the
    /// public key inside, Ed25519 as PKCS#8 v1), so keys from other tools sign
    /// like generated ones and every key reads in OpenSSL. RSA keys must be 2048, 3072 or 4096 bits.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self> {
        let info = pkcs8::PrivateKeyInfo::try_from(der).map_err(|e| Error::Malformed {
            what: "PKCS#8 private key",
            reason: e.to_string(),
        })?;
        let malformed = |e: &dyn std::fmt::Display| Error::Malformed {
            what: "PKCS#8 private key",
            reason: e.to_string(),
        };
        let oid = info.algorithm.oid;
        let (key_type, pkcs8) = if oid == OID_RSA {
            let key = rsa::RsaPrivateKey::try_from(info).map_err(|e| malformed(&e))?;
            let bits = key.size() * 8;
            let key_type = match bits {
                2048 => KeyType::Rsa2048,
                3072 => KeyType::Rsa3072,
                4096 => KeyType::Rsa4096,
                _ => {
                    return Err(Error::Unsupported(format!(
                        "RSA key size {bits} bits; use a 2048, 3072 or 4096-bit key"
                    )))
                }
            };
            let doc = key.to_pkcs8_der().map_err(|e| malformed(&e))?;
            (key_type, doc.as_bytes().to_vec())
        } else if oid == OID_EC {
            let curve = info
                .algorithm
                .parameters_oid()
                .map_err(|_| Error::Malformed {
                    what: "PKCS#8 private key",
                    reason: "the EC key names no curve".into(),
                })?;
            if curve == OID_P256 {
                let key = p256::SecretKey::try_from(info).map_err(|e| malformed(&e))?;
                let doc = key.to_pkcs8_der().map_err(|e| malformed(&e))?;
                (KeyType::EcdsaP256, doc.as_bytes().to_vec())
            } else if curve == OID_P384 {
                let key = p384::SecretKey::try_from(info).map_err(|e| malformed(&e))?;
                let doc = key.to_pkcs8_der().map_err(|e| malformed(&e))?;
                (KeyType::EcdsaP384, doc.as_bytes().to_vec())
            } else {
                return Err(Error::Unsupported(format!(
                    "EC curve {curve}; use P-256 or P-384"
                )));
            }
        } else if oid == OID_ED25519 {
            let key = ed25519_dalek::SigningKey::try_from(info).map_err(|e| malformed(&e))?;
            // PKCS#8 v1 without the public key: OpenSSL 3.0 rejects the v2
            // form that ring and ed25519-dalek write.
            let bytes = ed25519_dalek::pkcs8::KeypairBytes {
                secret_key: key.to_bytes(),
                public_key: None,
            };
            let doc = bytes.to_pkcs8_der().map_err(|e| malformed(&e))?;
            (KeyType::Ed25519, doc.as_bytes().to_vec())
        } else {
            return Err(Error::Unsupported(format!(
                "private key algorithm {oid}; use ECDSA P-256 or P-384, Ed25519 or RSA"
            )));
        };
        Ok(PrivateKey {
            pkcs8: Zeroizing::new(pkcs8),
            key_type,
        })
    }

    /// Returns the unencrypted PKCS#8 DER. Callers must not log or persist it.
    pub fn pkcs8_der(&self) -> &[u8] {
        &self.pkcs8
    }

    pub fn key_type(&self) -> KeyType {
        self.key_type
    }

    /// Returns the DER `SubjectPublicKeyInfo` of the public half.
    pub fn public_key_der(&self) -> Vec<u8> {
        // The constructors checked and re-encoded the PKCS#8, so these parses
        // fail only on a bug. The empty result then matches no certificate
        // instead of panicking.
        let der = self.pkcs8.as_slice();
        let spki = match self.key_type {
            KeyType::EcdsaP256 => p256::SecretKey::from_pkcs8_der(der)
                .ok()
                .and_then(|k| k.public_key().to_public_key_der().ok()),
            KeyType::EcdsaP384 => p384::SecretKey::from_pkcs8_der(der)
                .ok()
                .and_then(|k| k.public_key().to_public_key_der().ok()),
            KeyType::Ed25519 => ed25519_dalek::SigningKey::from_pkcs8_der(der)
                .ok()
                .and_then(|k| k.verifying_key().to_public_key_der().ok()),
            KeyType::Rsa2048 | KeyType::Rsa3072 | KeyType::Rsa4096 => {
                rsa::RsaPrivateKey::from_pkcs8_der(der)
                    .ok()
                    .and_then(|k| k.to_public_key().to_public_key_der().ok())
            }
        };
        spki.map(|doc| doc.as_bytes().to_vec()).unwrap_or_default()
    }

    /// Lowercase hex SHA-256 of the DER `SubjectPublicKeyInfo`.
    pub fn spki_sha256(&self) -> String {
        hex::encode(Sha256::digest(self.public_key_der()))
    }

    /// Encrypts into a DER PKCS#8 `EncryptedPrivateKeyInfo` (PBES2,
    /// AES-256-CBC) with the given key derivation.
    pub fn encrypt(&self, password: &[u8], kdf: Kdf) -> Result<Vec<u8>> {
        let mut salt = [0u8; 16];
        let mut iv = [0u8; 16];
        rand_core::OsRng.fill_bytes(&mut salt);
        rand_core::OsRng.fill_bytes(&mut iv);
        let params = match kdf {
            Kdf::Scrypt => pbes2::Parameters::scrypt_aes256cbc(
                pkcs8::pkcs5::scrypt::Params::new(14, 8, 1, 32)
                    .map_err(|e| Error::Signing(format!("scrypt parameters: {e}")))?,
                &salt,
                &iv,
            ),
            Kdf::Pbkdf2Sha256 { iterations } => {
                pbes2::Parameters::pbkdf2_sha256_aes256cbc(iterations, &salt, &iv)
            }
        }
        .map_err(|e| Error::Signing(format!("invalid key encryption parameters: {e}")))?;
        let info = pkcs8::PrivateKeyInfo::try_from(self.pkcs8.as_slice())
            .map_err(|e| Error::Signing(format!("re-reading the key to encrypt it: {e}")))?;
        let doc = info
            .encrypt_with_params(params, password)
            .map_err(|e| Error::Signing(format!("encrypting the private key: {e}")))?;
        Ok(doc.as_bytes().to_vec())
    }

    /// Decrypts a DER or PEM `EncryptedPrivateKeyInfo`; a wrong password is
    /// `Error::WrongPassword`.
    pub fn decrypt(encrypted: &[u8], password: &[u8]) -> Result<Self> {
        let der = if encrypted.starts_with(b"-----BEGIN") {
            let block = pem::parse(encrypted).map_err(|e| Error::Malformed {
                what: "encrypted private key PEM",
                reason: e.to_string(),
            })?;
            if block.tag() != "ENCRYPTED PRIVATE KEY" {
                return Err(Error::Malformed {
                    what: "encrypted private key PEM",
                    reason: format!(
                        "the block is \"{}\"; expected \"ENCRYPTED PRIVATE KEY\"",
                        block.tag()
                    ),
                });
            }
            block.into_contents()
        } else {
            encrypted.to_vec()
        };
        let info = pkcs8::EncryptedPrivateKeyInfo::try_from(der.as_slice()).map_err(|e| {
            Error::Malformed {
                what: "encrypted private key",
                reason: e.to_string(),
            }
        })?;
        let clear = match info.decrypt(password) {
            Ok(doc) => doc,
            // pkcs5 0.7 reports a bad padding after decryption as
            // EncryptFailed, so both mean a wrong password.
            Err(pkcs8::Error::EncryptedPrivateKey(
                pkcs8::pkcs5::Error::DecryptFailed | pkcs8::pkcs5::Error::EncryptFailed,
            )) => {
                return Err(Error::WrongPassword {
                    what: "encrypted private key",
                })
            }
            Err(pkcs8::Error::EncryptedPrivateKey(e)) => {
                return Err(Error::Unsupported(format!(
                    "key encryption ({e}); re-encrypt the key with PBES2, such as openssl pkcs8 -topk8 -v2 aes-256-cbc"
                )))
            }
            // The decrypted bytes did not parse as DER: the padding happened
            // to check out under a wrong password.
            Err(_) => {
                return Err(Error::WrongPassword {
                    what: "encrypted private key",
                })
            }
        };
        // A wrong password passes the padding check about once in 256 tries.
        // The garbage that comes out then rarely parses as DER, and never as
        // a key.
        PrivateKey::from_pkcs8_der(clear.as_bytes()).map_err(|e| match e {
            Error::Malformed { .. } => Error::WrongPassword {
                what: "encrypted private key",
            },
            other => other,
        })
    }

    /// Unencrypted PKCS#8 PEM (`PRIVATE KEY`). Only for exports that ask for a
    /// key in clear.
    pub fn to_pkcs8_pem(&self) -> Zeroizing<String> {
        let block = pem::Pem::new("PRIVATE KEY", self.pkcs8.to_vec());
        let text = pem::encode_config(
            &block,
            pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF),
        );
        // The contents copy inside `block` is dropped here without zeroizing;
        // pem 3 offers no way to encode from a borrowed buffer.
        Zeroizing::new(text)
    }

    /// Loads the key as an rcgen signer, which signs with SHA-256 for RSA and
    /// P-256 and with SHA-384 for P-384.
    pub(crate) fn rcgen_key_pair(&self) -> Result<rcgen::KeyPair> {
        let der = rustls_pki_types::PrivatePkcs8KeyDer::from(self.pkcs8.as_slice());
        rcgen::KeyPair::from_pkcs8_der_and_sign_algo(&der, signature_algorithm(self.key_type))
            .map_err(|e| Error::Signing(format!("loading the {} key: {e}", self.key_type)))
    }
}

/// Key derivation for `PrivateKey::encrypt`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kdf {
    /// scrypt with log2 N = 14, r = 8, p = 1 (16 MiB): for passwords a person
    /// chose, such as an export password. OpenSSL 3.0 rejects scrypt
    /// parameters that need more than 32 MiB, so this is the highest cost
    /// whose files `openssl pkey` still decrypts.
    Scrypt,
    /// PBKDF2-HMAC-SHA256 with the given iteration count: for a random 256-bit
    /// data key, which needs no stretching, and for tools that lack scrypt.
    Pbkdf2Sha256 { iterations: u32 },
}

const OID_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const OID_EC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const OID_P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const OID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");

fn signature_algorithm(key_type: KeyType) -> &'static rcgen::SignatureAlgorithm {
    match key_type {
        KeyType::EcdsaP256 => &rcgen::PKCS_ECDSA_P256_SHA256,
        KeyType::EcdsaP384 => &rcgen::PKCS_ECDSA_P384_SHA384,
        KeyType::Ed25519 => &rcgen::PKCS_ED25519,
        KeyType::Rsa2048 | KeyType::Rsa3072 | KeyType::Rsa4096 => &rcgen::PKCS_RSA_SHA256,
    }
}

fn rsa_bits(key_type: KeyType) -> usize {
    match key_type {
        KeyType::Rsa3072 => 3072,
        KeyType::Rsa4096 => 4096,
        _ => 2048,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Few iterations: these tests check the format, not the cost.
    const FAST: Kdf = Kdf::Pbkdf2Sha256 { iterations: 1000 };

    #[test]
    fn generate_round_trips_every_type() {
        for key_type in KeyType::ALL {
            let key = PrivateKey::generate(key_type).unwrap();
            assert_eq!(key.key_type(), key_type);
            let again = PrivateKey::from_pkcs8_der(key.pkcs8_der()).unwrap();
            assert_eq!(again.key_type(), key_type);
            assert_eq!(again.public_key_der(), key.public_key_der(), "{key_type}");
            assert!(!key.public_key_der().is_empty(), "{key_type}");
            assert_eq!(key.spki_sha256().len(), 64);
            key.rcgen_key_pair().unwrap();
            let pem = key.to_pkcs8_pem();
            assert!(
                pem.starts_with("-----BEGIN PRIVATE KEY-----\n"),
                "{key_type}"
            );
        }
    }

    #[test]
    fn encrypt_decrypt_round_trip() {
        let key = PrivateKey::generate(KeyType::EcdsaP256).unwrap();
        let encrypted = key.encrypt(b"correct horse", FAST).unwrap();
        let back = PrivateKey::decrypt(&encrypted, b"correct horse").unwrap();
        assert_eq!(back.pkcs8_der(), key.pkcs8_der());

        let pem = pem::encode(&pem::Pem::new("ENCRYPTED PRIVATE KEY", encrypted));
        let from_pem = PrivateKey::decrypt(pem.as_bytes(), b"correct horse").unwrap();
        assert_eq!(from_pem.pkcs8_der(), key.pkcs8_der());
    }

    #[test]
    fn encrypt_with_scrypt() {
        let key = PrivateKey::generate(KeyType::Ed25519).unwrap();
        let encrypted = key.encrypt(b"pw", Kdf::Scrypt).unwrap();
        let back = PrivateKey::decrypt(&encrypted, b"pw").unwrap();
        assert_eq!(back.public_key_der(), key.public_key_der());
    }

    #[test]
    fn decrypt_wrong_password() {
        let key = PrivateKey::generate(KeyType::EcdsaP384).unwrap();
        let encrypted = key.encrypt(b"right", FAST).unwrap();
        // Many tries, so the 1-in-256 case where the padding happens to
        // check out is exercised too.
        for i in 0..600 {
            let wrong = format!("wrong-{i}");
            let err = PrivateKey::decrypt(&encrypted, wrong.as_bytes()).unwrap_err();
            assert!(matches!(err, Error::WrongPassword { .. }), "{err:?}");
        }
    }

    #[test]
    fn decrypt_garbage_is_malformed() {
        let err = PrivateKey::decrypt(b"\x30\x03\x02\x01\x00", b"pw").unwrap_err();
        assert!(matches!(err, Error::Malformed { .. }), "{err:?}");
    }

    #[test]
    fn debug_hides_key_material() {
        let key = PrivateKey::generate(KeyType::EcdsaP256).unwrap();
        let debug = format!("{key:?}");
        assert_eq!(debug, "PrivateKey { key_type: EcdsaP256, .. }");
        let hex_key = hex::encode(key.pkcs8_der());
        assert!(!debug.contains(&hex_key[hex_key.len() - 16..]));
    }

    #[test]
    fn key_type_names_round_trip() {
        for key_type in KeyType::ALL {
            assert_eq!(key_type.as_str().parse::<KeyType>().unwrap(), key_type);
        }
        let err = "rsa-1024".parse::<KeyType>().unwrap_err();
        assert!(err.to_string().contains("\"rsa-1024\""), "{err}");
    }

    #[test]
    fn garbage_pkcs8_is_malformed() {
        let err = PrivateKey::from_pkcs8_der(b"not a key").unwrap_err();
        assert!(matches!(err, Error::Malformed { .. }), "{err:?}");
    }
}
