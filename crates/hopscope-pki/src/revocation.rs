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
    if next_update <= this_update {
        return Err(Error::Signing(format!(
            "the CRL's next update {next_update} is not after its this update {this_update}; pass a later next update"
        )));
    }
    let issuer_cert = crate::issue::issuer_certificate(issuer)?;
    let issuer_key = issuer.key.rcgen_key_pair()?;
    let revoked_certs = revoked
        .iter()
        .map(|entry| rcgen::RevokedCertParams {
            serial_number: rcgen::SerialNumber::from_slice(&entry.serial),
            revocation_time: entry.revoked_at,
            reason_code: rcgen_reason(entry.reason),
            invalidity_date: None,
        })
        .collect();
    let params = rcgen::CertificateRevocationListParams {
        this_update,
        next_update,
        crl_number: rcgen::SerialNumber::from_slice(&crl_number.to_be_bytes()),
        issuing_distribution_point: None,
        revoked_certs,
        key_identifier_method: issuer_cert.params().key_identifier_method.clone(),
    };
    let crl = params
        .signed_by(&issuer_cert, &issuer_key)
        .map_err(|e| match e {
            rcgen::Error::IssuerNotCrlSigner => Error::Signing(
                "the issuer's key usage lacks cRLSign; issue the authority again with the authority profile".into(),
            ),
            other => Error::Signing(other.to_string()),
        })?;
    let der = crl.der().to_vec();
    check_crl_issuer(&der, issuer.cert_der)?;
    Ok(der)
}

/// Rejects a CRL whose issuer name is not byte for byte the CA's subject,
/// which relying parties would not match to the CA.
fn check_crl_issuer(crl_der: &[u8], issuer_der: &[u8]) -> Result<()> {
    use x509_parser::prelude::{CertificateRevocationList, FromDer, X509Certificate};
    let (_, crl) = CertificateRevocationList::from_der(crl_der)
        .map_err(|e| Error::Signing(format!("re-reading the CRL: {e}")))?;
    let (_, cert) = X509Certificate::from_der(issuer_der)
        .map_err(|e| Error::Signing(format!("re-reading the issuer: {e}")))?;
    if crl.issuer().as_raw() != cert.subject().as_raw() {
        return Err(Error::Unsupported(format!(
            "issuer subject \"{}\": it cannot be re-encoded byte for byte; use an authority whose subject has one value per attribute type",
            cert.subject()
        )));
    }
    Ok(())
}

/// Maps a reason to its CRL entry code. RFC 5280 5.3.1 says CRL issuers should
/// leave the reason code out rather than write `unspecified`.
fn rcgen_reason(reason: RevocationReason) -> Option<rcgen::RevocationReason> {
    use rcgen::RevocationReason as R;
    match reason {
        RevocationReason::Unspecified => None,
        RevocationReason::KeyCompromise => Some(R::KeyCompromise),
        RevocationReason::CaCompromise => Some(R::CaCompromise),
        RevocationReason::AffiliationChanged => Some(R::AffiliationChanged),
        RevocationReason::Superseded => Some(R::Superseded),
        RevocationReason::CessationOfOperation => Some(R::CessationOfOperation),
        RevocationReason::CertificateHold => Some(R::CertificateHold),
        RevocationReason::PrivilegeWithdrawn => Some(R::PrivilegeWithdrawn),
    }
}
