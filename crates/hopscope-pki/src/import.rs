//! Reading certificates, keys and CSRs from the files operators have.

use pkcs8::der::asn1::ObjectIdentifier;
use pkcs8::der::{Decode, Tagged};
use pkcs8::EncodePrivateKey;
use sha2::{Digest, Sha256};
use x509_parser::certification_request::X509CertificationRequest;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::{Error, PrivateKey, Result};

/// Contents of a file, in file order.
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
    if looks_like_pem(bytes) {
        return read_pem(bytes, password);
    }
    read_der(bytes, password)
}

/// Checks that `key` is the private half of the certificate's public key;
/// `Error::KeyMismatch` otherwise.
pub fn check_key_matches(key: &PrivateKey, cert_der: &[u8]) -> Result<()> {
    let (_, cert) = X509Certificate::from_der(cert_der).map_err(|e| Error::Malformed {
        what: "certificate",
        reason: e.to_string(),
    })?;
    let cert_spki = hex::encode(Sha256::digest(cert.public_key().raw));
    let key_spki = key.spki_sha256();
    if cert_spki != key_spki {
        return Err(Error::KeyMismatch {
            subject: crate::inspect::format_name(cert.subject()),
            cert_spki,
            key_spki,
        });
    }
    Ok(())
}

const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const OID_P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");

const MISSING_PASSWORD_KEY: &str =
    "encrypted private key: no password was given; pass the password that protects the key";
const MISSING_PASSWORD_P12: &str =
    "PKCS#12 file: no password was given or the empty password failed; pass the file's password";

fn looks_like_pem(bytes: &[u8]) -> bool {
    let contains = |marker: &[u8]| bytes.windows(marker.len()).any(|w| w == marker);
    contains(b"-----BEGIN ") || contains(b"-----END ")
}

/// One PEM block with the line its BEGIN marker is on (1-based).
struct PemBlock {
    label: String,
    line: usize,
    text: String,
}

/// Splits PEM text into blocks. Text outside blocks (comments, the
/// `Bag Attributes` lines openssl writes) is ignored.
fn split_pem(bytes: &[u8]) -> Result<Vec<PemBlock>> {
    let text = std::str::from_utf8(bytes).map_err(|e| Error::Malformed {
        what: "PEM",
        reason: format!("the file is not text ({e})"),
    })?;
    let mut blocks = Vec::new();
    let mut current: Option<PemBlock> = None;
    for (index, raw_line) in text.lines().enumerate() {
        let line = raw_line.trim();
        let line_number = index + 1;
        if let Some(label) = line
            .strip_prefix("-----BEGIN ")
            .and_then(|l| l.strip_suffix("-----"))
        {
            if let Some(open) = current.take() {
                return Err(truncated(&open));
            }
            current = Some(PemBlock {
                label: label.to_string(),
                line: line_number,
                text: format!("{line}\n"),
            });
        } else if let Some(label) = line
            .strip_prefix("-----END ")
            .and_then(|l| l.strip_suffix("-----"))
        {
            let Some(mut open) = current.take() else {
                return Err(Error::Malformed {
                    what: "PEM",
                    reason: format!("END \"{label}\" at line {line_number} has no BEGIN"),
                });
            };
            if open.label != label {
                return Err(Error::Malformed {
                    what: "PEM",
                    reason: format!(
                        "block \"{}\" at line {} ends with END \"{label}\" at line {line_number}",
                        open.label, open.line
                    ),
                });
            }
            open.text.push_str(line);
            open.text.push('\n');
            blocks.push(open);
        } else if let Some(open) = current.as_mut() {
            open.text.push_str(line);
            open.text.push('\n');
        }
    }
    if let Some(open) = current {
        return Err(truncated(&open));
    }
    Ok(blocks)
}

fn truncated(block: &PemBlock) -> Error {
    Error::Malformed {
        what: "PEM",
        reason: format!(
            "block \"{}\" at line {} is truncated",
            block.label, block.line
        ),
    }
}

fn read_pem(bytes: &[u8], password: Option<&[u8]>) -> Result<Bundle> {
    let mut bundle = Bundle::default();
    // Curve of the last EC PARAMETERS block, for an EC PRIVATE KEY that
    // leaves out its own parameters.
    let mut ec_parameters: Option<ObjectIdentifier> = None;
    for block in split_pem(bytes)? {
        let parsed = pem::parse(block.text.as_bytes()).map_err(|e| Error::Malformed {
            what: "PEM",
            reason: format!(
                "block \"{}\" at line {} does not decode: {e}",
                block.label, block.line
            ),
        })?;
        let where_ = |what: &str| {
            format!(
                "{what} in PEM block \"{}\" at line {}",
                block.label, block.line
            )
        };
        if parsed.headers().get("Proc-Type").is_some() {
            return Err(Error::Unsupported(format!(
                "{}: OpenSSL's legacy PEM encryption; convert it with openssl pkcs8 -topk8 -v2 aes-256-cbc",
                where_("encrypted key")
            )));
        }
        let der = parsed.contents();
        let in_block = |e: Error| in_pem_block(e, &block);
        match block.label.as_str() {
            "CERTIFICATE" | "X509 CERTIFICATE" => {
                bundle.certificates.push(certificate_der(der).map_err(in_block)?)
            }
            // OpenSSL appends its trust settings after the certificate.
            "TRUSTED CERTIFICATE" => {
                let (rest, _) = X509Certificate::from_der(der).map_err(|e| {
                    in_block(Error::Malformed {
                        what: "certificate",
                        reason: e.to_string(),
                    })
                })?;
                let length = der.len() - rest.len();
                bundle.certificates.push(der[..length].to_vec());
            }
            "PRIVATE KEY" => bundle
                .keys
                .push(PrivateKey::from_pkcs8_der(der).map_err(in_block)?),
            "ENCRYPTED PRIVATE KEY" => {
                let password = password.ok_or(Error::WrongPassword {
                    what: MISSING_PASSWORD_KEY,
                })?;
                bundle
                    .keys
                    .push(PrivateKey::decrypt(der, password).map_err(in_block)?);
            }
            "RSA PRIVATE KEY" => bundle.keys.push(rsa_pkcs1_key(der).map_err(in_block)?),
            "EC PRIVATE KEY" => bundle
                .keys
                .push(sec1_key(der, ec_parameters.as_ref()).map_err(in_block)?),
            "EC PARAMETERS" => {
                ec_parameters = Some(ObjectIdentifier::from_der(der).map_err(|e| {
                    in_block(Error::Unsupported(format!(
                        "EC parameters other than a named curve ({e}); use openssl ecparam -name prime256v1 without -param_enc explicit"
                    )))
                })?);
            }
            "CERTIFICATE REQUEST" | "NEW CERTIFICATE REQUEST" => {
                bundle.csrs.push(csr_der(der).map_err(in_block)?)
            }
            "DH PARAMETERS" | "X9.42 DH PARAMETERS" => {}
            other => {
                return Err(Error::Unsupported(format!(
                    "PEM block \"{other}\" at line {}; expected CERTIFICATE, PRIVATE KEY, ENCRYPTED PRIVATE KEY, RSA PRIVATE KEY, EC PRIVATE KEY or CERTIFICATE REQUEST",
                    block.line
                )))
            }
        }
    }
    if bundle.certificates.is_empty() && bundle.keys.is_empty() && bundle.csrs.is_empty() {
        return Err(Error::Malformed {
            what: "PEM",
            reason: "no certificate, key or certificate request block found".into(),
        });
    }
    Ok(bundle)
}

/// Adds the PEM block and line to an error from the block's content.
fn in_pem_block(error: Error, block: &PemBlock) -> Error {
    match error {
        Error::Malformed { what, reason } => Error::Malformed {
            what,
            reason: format!(
                "{reason} (PEM block \"{}\" at line {})",
                block.label, block.line
            ),
        },
        other => other,
    }
}

fn read_der(bytes: &[u8], password: Option<&[u8]>) -> Result<Bundle> {
    let mut bundle = Bundle::default();
    if let Ok((rest, _)) = X509Certificate::from_der(bytes) {
        if rest.is_empty() {
            bundle.certificates.push(bytes.to_vec());
            return Ok(bundle);
        }
    }
    if let Ok((rest, _)) = X509CertificationRequest::from_der(bytes) {
        if rest.is_empty() {
            bundle.csrs.push(bytes.to_vec());
            return Ok(bundle);
        }
    }
    if pkcs8::PrivateKeyInfo::from_der(bytes).is_ok() {
        bundle.keys.push(PrivateKey::from_pkcs8_der(bytes)?);
        return Ok(bundle);
    }
    if pkcs8::EncryptedPrivateKeyInfo::from_der(bytes).is_ok() {
        let password = password.ok_or(Error::WrongPassword {
            what: MISSING_PASSWORD_KEY,
        })?;
        bundle.keys.push(PrivateKey::decrypt(bytes, password)?);
        return Ok(bundle);
    }
    if is_pkcs12(bytes) {
        return read_pkcs12(bytes, password);
    }
    if rsa::pkcs1::RsaPrivateKey::from_der(bytes).is_ok() {
        bundle.keys.push(rsa_pkcs1_key(bytes)?);
        return Ok(bundle);
    }
    if sec1::EcPrivateKey::from_der(bytes).is_ok() {
        bundle.keys.push(sec1_key(bytes, None)?);
        return Ok(bundle);
    }
    Err(Error::Malformed {
        what: "input",
        reason: format!(
            "not PEM, DER certificate, DER key, CSR or PKCS#12 ({})",
            describe_der_failure(bytes)
        ),
    })
}

/// Describes in a few words why `bytes` is no DER structure, for the error
/// message.
fn describe_der_failure(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "the input is empty".into();
    }
    match pkcs8::der::asn1::AnyRef::from_der(bytes) {
        Err(e) if matches!(e.kind(), pkcs8::der::ErrorKind::Incomplete { .. }) => {
            "the DER is truncated".into()
        }
        Err(e) => format!("{e}"),
        Ok(any) => format!("a DER {} of an unknown kind", any.tag()),
    }
}

fn certificate_der(der: &[u8]) -> Result<Vec<u8>> {
    match X509Certificate::from_der(der) {
        Ok(([], _)) => Ok(der.to_vec()),
        Ok((rest, _)) => Err(Error::Malformed {
            what: "certificate",
            reason: format!("{} bytes after the certificate", rest.len()),
        }),
        Err(e) => Err(Error::Malformed {
            what: "certificate",
            reason: e.to_string(),
        }),
    }
}

fn csr_der(der: &[u8]) -> Result<Vec<u8>> {
    match X509CertificationRequest::from_der(der) {
        Ok(_) => Ok(der.to_vec()),
        Err(e) => Err(Error::Malformed {
            what: "certificate signing request",
            reason: e.to_string(),
        }),
    }
}

fn rsa_pkcs1_key(der: &[u8]) -> Result<PrivateKey> {
    use rsa::pkcs1::DecodeRsaPrivateKey;
    let key = rsa::RsaPrivateKey::from_pkcs1_der(der).map_err(|e| Error::Malformed {
        what: "PKCS#1 RSA private key",
        reason: e.to_string(),
    })?;
    let pkcs8 = key.to_pkcs8_der().map_err(|e| Error::Malformed {
        what: "PKCS#1 RSA private key",
        reason: e.to_string(),
    })?;
    PrivateKey::from_pkcs8_der(pkcs8.as_bytes())
}

/// Converts a SEC1 `ECPrivateKey` to PKCS#8. `curve` names the curve when the
/// key itself does not, as after an `EC PARAMETERS` block.
fn sec1_key(der: &[u8], curve: Option<&ObjectIdentifier>) -> Result<PrivateKey> {
    let malformed = |reason: String| Error::Malformed {
        what: "SEC1 EC private key",
        reason,
    };
    let key = sec1::EcPrivateKey::from_der(der).map_err(|e| malformed(e.to_string()))?;
    let named = key
        .parameters
        .and_then(|p| p.named_curve())
        .or(curve.copied())
        .ok_or_else(|| malformed("the key names no curve".into()))?;
    let pkcs8 = if named == OID_P256 {
        let secret =
            p256::SecretKey::from_slice(key.private_key).map_err(|e| malformed(e.to_string()))?;
        secret
            .to_pkcs8_der()
            .map_err(|e| malformed(e.to_string()))?
    } else if named == OID_P384 {
        let secret =
            p384::SecretKey::from_slice(key.private_key).map_err(|e| malformed(e.to_string()))?;
        secret
            .to_pkcs8_der()
            .map_err(|e| malformed(e.to_string()))?
    } else {
        return Err(Error::Unsupported(format!(
            "EC curve {named}; use P-256 or P-384"
        )));
    };
    PrivateKey::from_pkcs8_der(pkcs8.as_bytes())
}

/// Checks for the start of a PFX: SEQUENCE { INTEGER 3, SEQUENCE { ... } }.
fn is_pkcs12(bytes: &[u8]) -> bool {
    use pkcs8::der::{Reader, SliceReader};
    let Ok(mut reader) = SliceReader::new(bytes) else {
        return false;
    };
    reader
        .sequence(|inner| {
            let version = u8::decode(inner)?;
            let content = pkcs8::der::asn1::AnyRef::decode(inner)?;
            inner.read_slice(inner.remaining_len())?;
            Ok(version == 3 && content.tag() == pkcs8::der::Tag::Sequence)
        })
        .unwrap_or(false)
}

fn read_pkcs12(bytes: &[u8], password: Option<&[u8]>) -> Result<Bundle> {
    let (password, given) = match password {
        Some(p) => (
            std::str::from_utf8(p).map_err(|_| {
                Error::Unsupported(
                    "a PKCS#12 password that is not UTF-8; give the password as UTF-8 text".into(),
                )
            })?,
            true,
        ),
        // Many tools write PKCS#12 files with an empty password.
        None => ("", false),
    };
    let store = p12_keystore::KeyStore::from_pkcs12(bytes, password).map_err(|e| {
        use p12_keystore::error::Error as P12;
        match e {
            P12::MacError(_) | P12::UnpadError | P12::Pkcs5Error(_) => Error::WrongPassword {
                what: if given {
                    "PKCS#12 file"
                } else {
                    MISSING_PASSWORD_P12
                },
            },
            P12::UnsupportedEncryptionScheme | P12::UnsupportedMacAlgorithm => Error::Unsupported(
                format!("PKCS#12 encryption ({e}); export it again with AES-256 or 3DES"),
            ),
            other => Error::Malformed {
                what: "PKCS#12 file",
                reason: other.to_string(),
            },
        }
    })?;
    // NOTE: p12-keystore 0.2 keeps only keys that have a certificate with the
    // same local key ID, and only certificates on such a key's chain or marked
    // trusted, so a lone key or an unrelated certificate in the file is lost.
    let mut bundle = Bundle::default();
    for (_, entry) in store.entries() {
        match entry {
            p12_keystore::KeyStoreEntry::PrivateKeyChain(chain) => {
                bundle.keys.push(PrivateKey::from_pkcs8_der(chain.key())?);
                for cert in chain.chain() {
                    push_unique(&mut bundle.certificates, cert.as_der());
                }
            }
            p12_keystore::KeyStoreEntry::Certificate(cert) => {
                push_unique(&mut bundle.certificates, cert.as_der())
            }
            p12_keystore::KeyStoreEntry::Secret(_) => {}
        }
    }
    Ok(bundle)
}

fn push_unique(certificates: &mut Vec<Vec<u8>>, der: &[u8]) {
    if !certificates.iter().any(|c| c == der) {
        certificates.push(der.to_vec());
    }
}
