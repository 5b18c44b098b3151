//! The values the CLI prints as JSON and the desktop app shows. Field names
//! and meanings are stable: scripts read them (see the README).

use hopscope_pki::inspect::{Finding, Inspection};
use hopscope_pki::Role;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Status of a certificate at a given moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CertificateStatus {
    Valid,
    /// Valid, and due for rotation under the credential's policy.
    RotationDue,
    NotYetValid,
    Expired,
    Revoked,
}

/// One credential and its current certificate, as listed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CredentialSummary {
    pub name: String,
    pub role: Role,
    /// The URL the SANs were derived from; `None` for authorities.
    pub url: Option<String>,
    /// Name of the issuing authority credential; `None` for roots and for
    /// imported certificates whose issuer is not in the workspace.
    pub authority: Option<String>,
    pub subject: String,
    pub serial: String,
    #[serde(with = "time::serde::rfc3339")]
    pub not_before: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub not_after: OffsetDateTime,
    /// Whole days until `not_after`, negative once expired.
    pub days_left: i64,
    pub status: CertificateStatus,
    /// A `KeyType` name such as `ecdsa-p256`, or for imported keys Hopscope
    /// does not generate, the algorithm and size such as `rsa-1024`.
    pub key_type: String,
    /// Whether the workspace contains the private key of the current certificate.
    pub has_key: bool,
    pub sha256_fingerprint: String,
    /// When the rotation policy makes the current certificate due.
    #[serde(with = "time::serde::rfc3339")]
    pub rotation_due_at: OffsetDateTime,
    pub auto_rotate: bool,
    /// Number of certificates the credential has had, the current included.
    pub versions: u32,
}

/// One certificate in a credential's history, newest first.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub serial: String,
    pub sha256_fingerprint: String,
    pub spki_sha256: String,
    #[serde(with = "time::serde::rfc3339")]
    pub not_before: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub not_after: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub current: bool,
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
    pub revocation_reason: Option<String>,
}

/// One certificate of a chain, leaf first.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChainLink {
    /// The credential it belongs to, when it is in the workspace.
    pub credential: Option<String>,
    pub subject: String,
    pub sha256_fingerprint: String,
}

/// Everything the detail view and `cert show` present.
#[derive(Debug, Clone, Serialize)]
pub struct CredentialDetail {
    pub summary: CredentialSummary,
    pub inspection: Inspection,
    pub findings: Vec<Finding>,
    pub chain: Vec<ChainLink>,
    pub history: Vec<HistoryEntry>,
    pub policy: RotationPolicy,
}

/// When a credential is due for rotation: once the remaining part of its
/// current certificate's lifetime falls to `remaining_fraction`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RotationPolicy {
    /// Between 0 and 1; the default, 1/3, rotates with a third of the
    /// lifetime left.
    pub remaining_fraction: f64,
    /// Whether the running app rotates it without asking.
    pub auto_rotate: bool,
}

impl Default for RotationPolicy {
    fn default() -> Self {
        RotationPolicy {
            remaining_fraction: 1.0 / 3.0,
            auto_rotate: false,
        }
    }
}

/// One line of the audit log. Never contains secrets.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    /// The operating-system user that made the change.
    pub actor: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// `init`, `create-authority`, `issue`, `import`, `export`, `rotate`,
    /// `revoke`, `crl`, `policy`.
    pub action: String,
    /// The credential or authority name.
    pub subject: String,
    pub serial: Option<String>,
    pub sha256_fingerprint: Option<String>,
    pub detail: String,
}

/// One certificate read from a file by `inspect`, not stored.
#[derive(Debug, Clone, Serialize)]
pub struct InspectedCertificate {
    pub inspection: Inspection,
    pub findings: Vec<Finding>,
}

/// The kind of an intermediary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IntermediaryKind {
    /// Receives requests at destinations' public URLs and serves their
    /// public-endpoint certificates.
    InboundGateway,
    /// Forwards between the inbound gateway and the destination at a private
    /// URL of its own.
    Delegated,
}

impl IntermediaryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            IntermediaryKind::InboundGateway => "inbound-gateway",
            IntermediaryKind::Delegated => "delegated",
        }
    }
}

impl std::str::FromStr for IntermediaryKind {
    type Err = crate::Error;

    fn from_str(s: &str) -> crate::Result<Self> {
        match s {
            "inbound-gateway" => Ok(IntermediaryKind::InboundGateway),
            "delegated" => Ok(IntermediaryKind::Delegated),
            other => Err(crate::Error::Invalid(format!(
                "unknown intermediary kind \"{other}\"; expected inbound-gateway or delegated"
            ))),
        }
    }
}

/// A destination as `topology show` presents it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DestinationView {
    pub name: String,
    pub public_url: String,
    pub private_url: String,
    /// The private-endpoint credential serving the private URL.
    pub endpoint_credential: Option<String>,
    /// The destination-signing credential.
    pub signing_credential: Option<String>,
    /// Intermediary names from the inbound gateway to the last delegated one.
    pub route: Vec<String>,
    /// True for a FHIR server the operator runs at the private URL, which
    /// the gateway forwards to without starting a stub.
    #[serde(default)]
    pub external: bool,
    /// For an external destination, the IP address its private host maps
    /// to (127.0.0.1 unless the operator chose another); `None` otherwise.
    #[serde(default)]
    pub external_address: Option<String>,
}

/// An intermediary as `topology show` presents it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IntermediaryView {
    pub name: String,
    pub kind: IntermediaryKind,
    pub listen_urls: Vec<String>,
    pub credentials: Vec<String>,
    /// Adds a `Forwarded` request header (RFC 7239) when it forwards.
    #[serde(default)]
    pub add_forwarded: bool,
    /// Adds a `Via` request header (RFC 9110) when it forwards.
    #[serde(default)]
    pub add_via: bool,
}

/// The whole topology.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Topology {
    pub destinations: Vec<DestinationView>,
    pub intermediaries: Vec<IntermediaryView>,
}

/// One mistake found by `topology check`, beside the element at fault.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TopologyFinding {
    /// Stable code: `public-url-not-covered`, `private-url-not-covered`,
    /// `listen-url-not-covered`, `duplicate-public-url`, `nested-public-url`, `route-loop`,
    /// `route-missing`, `route-not-from-gateway`, `route-wrong-kind`,
    /// `certificate-expired`, `certificate-revoked`, `certificate-not-yet-valid`,
    /// `credential-missing`, `credential-wrong-role`.
    pub code: String,
    /// `destination`, `intermediary` or `route`.
    pub element_kind: String,
    /// The destination or intermediary name.
    pub element: String,
    /// The value at fault: a URL, a credential name, an intermediary name.
    pub value: String,
    pub message: String,
    /// The action that fixes it.
    pub fix: String,
}
