//! Certificate revocation lists.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::issue::Issuer;
use crate::{Error, Result};

/// RFC 5280 revocation reasons that Hopscope accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RevocationReason {
    Unspecified,
    KeyCompromise,
    CaCompromise,
    AffiliationChanged,
    Superseded,
    CessationOfOperation,
    CertificateHold,
    PrivilegeWithdrawn,
}

impl RevocationReason {
    pub const ALL: [RevocationReason; 8] = [
        RevocationReason::Unspecified,
        RevocationReason::KeyCompromise,
        RevocationReason::CaCompromise,
        RevocationReason::AffiliationChanged,
        RevocationReason::Superseded,
        RevocationReason::CessationOfOperation,
        RevocationReason::CertificateHold,
        RevocationReason::PrivilegeWithdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RevocationReason::Unspecified => "unspecified",
            RevocationReason::KeyCompromise => "key-compromise",
            RevocationReason::CaCompromise => "ca-compromise",
            RevocationReason::AffiliationChanged => "affiliation-changed",
            RevocationReason::Superseded => "superseded",
            RevocationReason::CessationOfOperation => "cessation-of-operation",
            RevocationReason::CertificateHold => "certificate-hold",
            RevocationReason::PrivilegeWithdrawn => "privilege-withdrawn",
        }
    }
}

impl std::fmt::Display for RevocationReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for RevocationReason {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        RevocationReason::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| Error::Malformed {
                what: "revocation reason",
                reason: format!(
                    "\"{s}\" is not one of {}",
                    RevocationReason::ALL.map(|r| r.as_str()).join(", ")
                ),
            })
    }
}

/// One revoked certificate on a CRL.
pub struct RevokedEntry {
    /// Serial number as unsigned big-endian bytes.
    pub serial: Vec<u8>,
    pub revoked_at: OffsetDateTime,
    pub reason: RevocationReason,
}

/// Builds and signs a DER CRL (v2, with CRL number and authority key
/// identifier).
pub fn build_crl(
    issuer: &Issuer<'_>,
    revoked: &[RevokedEntry],
    crl_number: u64,
    this_update: OffsetDateTime,
    next_update: OffsetDateTime,
) -> Result<Vec<u8>> {
    let _ = (issuer.cert_der, revoked.len(), crl_number, this_update, next_update);
    todo!()
}
