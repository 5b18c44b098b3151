//! Issuing certificates by role, self-signed roots and successors.

use time::{Duration, OffsetDateTime};

use crate::{FhirBaseUrl, PrivateKey, Result, Role};

/// The authority that signs: its current certificate and its key.
pub struct Issuer<'a> {
    pub cert_der: &'a [u8],
    pub key: &'a PrivateKey,
}

/// What to put in a new certificate. The SANs, key usage and extended key
/// usage follow from `role` and `url`.
pub struct IssueRequest<'a> {
    pub role: Role,
    /// Subject common name; for authorities the authority's name.
    pub common_name: &'a str,
    /// Required for every role but `Authority`, which ignores it.
    pub url: Option<&'a FhirBaseUrl>,
    /// The subject's key; its public half goes into the certificate.
    pub key: &'a PrivateKey,
    pub not_before: OffsetDateTime,
    pub validity: Duration,
    /// For authorities only: the basic-constraints path length, `None` for no
    /// limit.
    pub path_len: Option<u8>,
}

/// Issues a certificate signed by `issuer`, or self-signed when `issuer` is
/// `None` (roots only). Serials are 16 random bytes, positive.
pub fn issue(request: &IssueRequest<'_>, issuer: Option<&Issuer<'_>>) -> Result<Vec<u8>> {
    let _ = (request.role, issuer.is_some());
    todo!()
}

/// Issues a successor of `predecessor_der`: the same subject, SANs, key usage,
/// extended key usage and basic constraints, a new serial and validity, and
/// the public key of `key`.
pub fn issue_successor(
    predecessor_der: &[u8],
    key: &PrivateKey,
    not_before: OffsetDateTime,
    validity: Duration,
    issuer: Option<&Issuer<'_>>,
) -> Result<Vec<u8>> {
    let _ = (predecessor_der, key, not_before, validity, issuer.is_some());
    todo!()
}

/// Signs a PKCS#10 CSR (DER or PEM) with the profile of `role`. The SANs come
/// from `url` when given, otherwise from the CSR; the CSR's signature must
/// verify.
pub fn sign_csr(
    csr: &[u8],
    role: Role,
    url: Option<&FhirBaseUrl>,
    not_before: OffsetDateTime,
    validity: Duration,
    issuer: &Issuer<'_>,
) -> Result<Vec<u8>> {
    let _ = (csr, role, url, not_before, validity, issuer.cert_der);
    todo!()
}
