//! Inputs of the workspace operations, shared by the CLI and the app.

use hopscope_pki::{KeyType, Role};
use serde::Deserialize;

/// `authority create`.
#[derive(Debug, Clone, Deserialize)]
pub struct NewAuthority {
    pub name: String,
    /// Parent authority name; `None` makes a self-signed root.
    pub parent: Option<String>,
    pub key_type: KeyType,
    /// Lifetime in seconds.
    pub validity_seconds: i64,
    /// Basic-constraints path length; `None` for no limit.
    pub path_len: Option<u8>,
}

/// `cert issue`.
#[derive(Debug, Clone, Deserialize)]
pub struct NewCredential {
    pub name: String,
    pub role: Role,
    pub authority: String,
    pub url: String,
    pub key_type: KeyType,
    /// Lifetime in seconds.
    pub validity_seconds: i64,
}

/// Certificate encodings for export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    Pem,
    Der,
    P12,
}

/// Contents and encoding of an exported file.
#[derive(Debug, Clone, Deserialize)]
pub struct ExportRequest {
    pub format: ExportFormat,
    /// Add the issuing authorities up to and including the root.
    pub chain: bool,
    /// Add the private key (always with `P12`).
    pub key: bool,
    /// Write the key unencrypted; only honoured for PEM with `key`.
    pub key_in_clear: bool,
    /// 3DES PKCS#12 instead of AES-256.
    pub legacy: bool,
    /// Encrypts the PEM key or protects the PKCS#12 file.
    pub password: Option<String>,
}

/// `import`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ImportRequest {
    /// Credential name; defaults to the certificate's common name.
    pub name: Option<String>,
    /// Role; defaults to `authority` for CA certificates. Required otherwise.
    pub role: Option<Role>,
    /// Decrypts encrypted PKCS#8 and PKCS#12.
    pub password: Option<String>,
    /// For a CSR: the authority that signs it.
    pub authority: Option<String>,
    /// For a CSR: the URL its SANs come from (else the CSR's own SANs).
    pub url: Option<String>,
    /// For a CSR: lifetime in seconds.
    pub validity_seconds: Option<i64>,
}

/// `destination add`.
#[derive(Debug, Clone, Deserialize)]
pub struct NewDestination {
    pub name: String,
    pub public_url: String,
    pub private_url: String,
    /// Private-endpoint credential that serves the private URL.
    pub endpoint_credential: Option<String>,
    /// Destination-signing credential.
    pub signing_credential: Option<String>,
    /// A FHIR server the operator runs at the private URL; the gateway
    /// forwards to it and starts no stub for it.
    #[serde(default)]
    pub external: bool,
    /// For an external destination: the IP address its private host maps to.
    /// `None` means 127.0.0.1.
    #[serde(default)]
    pub external_address: Option<String>,
}

/// `intermediary add`.
#[derive(Debug, Clone, Deserialize)]
pub struct NewIntermediary {
    pub name: String,
    pub kind: crate::IntermediaryKind,
    pub listen_urls: Vec<String>,
    /// Credentials that serve the listen URLs.
    pub credentials: Vec<String>,
}

/// `destination update`: each field given replaces the stored one.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DestinationUpdate {
    pub public_url: Option<String>,
    pub private_url: Option<String>,
    pub endpoint_credential: Option<String>,
    pub signing_credential: Option<String>,
    /// Whether the destination is external; `false` also clears its address.
    #[serde(default)]
    pub external: Option<bool>,
    /// The IP address an external destination's private host maps to.
    #[serde(default)]
    pub external_address: Option<String>,
}

/// `intermediary update`: each list given replaces the stored one.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct IntermediaryUpdate {
    pub listen_urls: Option<Vec<String>>,
    pub credentials: Option<Vec<String>>,
    /// Whether it adds a `Forwarded` request header.
    pub add_forwarded: Option<bool>,
    /// Whether it adds a `Via` request header.
    pub add_via: Option<bool>,
}
