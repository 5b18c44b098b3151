//! Writing certificates and keys in the formats appliances accept.

use sha2::{Digest, Sha256};

use crate::{Error, PrivateKey, Result};

/// Concatenated `CERTIFICATE` PEM blocks, in the given order.
pub fn certificates_to_pem(ders: &[Vec<u8>]) -> String {
    let blocks: Vec<pem::Pem> = ders
        .iter()
        .map(|der| pem::Pem::new("CERTIFICATE", der.clone()))
        .collect();
    pem::encode_many_config(
        &blocks,
        pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF),
    )
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
    use p12_keystore::{EncryptionAlgorithm, KeyStore, KeyStoreEntry, MacAlgorithm};

    let leaf = chain.first().ok_or_else(|| {
        Error::Signing(
            "a PKCS#12 file needs at least the leaf certificate; pass the chain leaf first".into(),
        )
    })?;
    crate::import::check_key_matches(key, leaf)?;
    let certificates = chain
        .iter()
        .map(|der| {
            p12_keystore::Certificate::from_der(der).map_err(|e| Error::Malformed {
                what: "certificate",
                reason: e.to_string(),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    // The local key ID pairs the key bag with the leaf's certificate bag.
    let local_key_id = Sha256::digest(leaf)[..20].to_vec();
    let key_chain = p12_keystore::PrivateKeyChain::new(key.pkcs8_der(), local_key_id, certificates);
    // NOTE: p12-keystore 0.2 puts `friendly_name` on the key bag and each
    // certificate's subject (such as "CN=fhir.x.test") as the certificate
    // bags' friendly name, so tools that list certificates by name show the
    // subject.
    let mut store = KeyStore::new();
    store.add_entry(friendly_name, KeyStoreEntry::PrivateKeyChain(key_chain));

    // Iteration counts: OpenSSL 3's defaults (2048) for the legacy form,
    // which old appliances decrypt slowly, and 10,000 for the modern one.
    let writer = match profile {
        Pkcs12Profile::Modern => store
            .writer(password)
            .encryption_algorithm(EncryptionAlgorithm::PbeWithHmacSha256AndAes256)
            .encryption_iterations(10_000)
            .mac_algorithm(MacAlgorithm::HmacSha256)
            .mac_iterations(10_000),
        Pkcs12Profile::Legacy => store
            .writer(password)
            .encryption_algorithm(EncryptionAlgorithm::PbeWithShaAnd3KeyTripleDesCbc)
            .encryption_iterations(2048)
            .mac_algorithm(MacAlgorithm::HmacSha1)
            .mac_iterations(2048),
    };
    writer
        .write()
        .map_err(|e| Error::Signing(format!("writing the PKCS#12 file: {e}")))
}
