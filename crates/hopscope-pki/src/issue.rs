//! Issuing certificates by role, self-signed roots and successors.

use rcgen::{
    BasicConstraints, CertificateParams, CertificateSigningRequestParams, DistinguishedName,
    DnType, ExtendedKeyUsagePurpose, IsCa, KeyIdMethod, KeyUsagePurpose, SanType, SerialNumber,
};
use time::{Duration, OffsetDateTime};
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::{Error, FhirBaseUrl, KeyType, PrivateKey, Result, Role};

/// The authority that signs: its current certificate and its key.
pub struct Issuer<'a> {
    pub cert_der: &'a [u8],
    pub key: &'a PrivateKey,
}

/// Contents of a new certificate. The SANs, key usage and extended key
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
    let mut params = base_params(request.not_before, request.validity)?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, request.common_name);
    params.distinguished_name = dn;
    apply_role_profile(
        &mut params,
        request.role,
        request.url,
        request.key.key_type(),
        request.path_len,
    )?;
    sign(params, request.key, issuer)
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
    let predecessor = params_from_der(predecessor_der, "predecessor certificate")?;
    let mut params = base_params(not_before, validity)?;
    params.distinguished_name = predecessor.distinguished_name;
    params.subject_alt_names = predecessor.subject_alt_names;
    params.key_usages = predecessor.key_usages;
    params.extended_key_usages = predecessor.extended_key_usages;
    params.is_ca = predecessor.is_ca;
    params.name_constraints = predecessor.name_constraints;
    sign(params, key, issuer)
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
    let der = csr_der(csr)?;
    let request = CertificateSigningRequestParams::from_der(&der.as_slice().into()).map_err(|e| {
        let reason = match e {
            rcgen::Error::RingUnspecified => "its signature does not verify".to_string(),
            rcgen::Error::UnsupportedExtension => {
                "it requests an extension other than key usage, extended key usage or subject alternative name; request only those".to_string()
            }
            other => other.to_string(),
        };
        Error::Malformed {
            what: "certificate signing request",
            reason,
        }
    })?;
    let (key_type, public_key) = csr_public_key(&der)?;

    let mut params = base_params(not_before, validity)?;
    params.distinguished_name = request.params.distinguished_name;
    match url {
        Some(url) => apply_role_profile(&mut params, role, Some(url), key_type, None)?,
        None => {
            let requested_sans = request.params.subject_alt_names;
            if role != Role::Authority && requested_sans.is_empty() {
                return Err(Error::MissingUrl(role));
            }
            apply_key_usage(&mut params, role, key_type, None);
            if role != Role::Authority {
                params.subject_alt_names = requested_sans;
            }
        }
    }

    let issuer_cert = issuer_certificate(issuer)?;
    let issuer_key = issuer.key.rcgen_key_pair()?;
    let cert = params
        .signed_by(&public_key, &issuer_cert, &issuer_key)
        .map_err(|e| Error::Signing(e.to_string()))?;
    let der = cert.der().to_vec();
    check_issuer_name(&der, issuer.cert_der)?;
    Ok(der)
}

/// Sets key usage, extended key usage, basic constraints and SANs for `role`.
fn apply_role_profile(
    params: &mut CertificateParams,
    role: Role,
    url: Option<&FhirBaseUrl>,
    key_type: KeyType,
    path_len: Option<u8>,
) -> Result<()> {
    apply_key_usage(params, role, key_type, path_len);
    if role == Role::Authority {
        return Ok(());
    }
    let url = url.ok_or(Error::MissingUrl(role))?;
    params.subject_alt_names = vec![role_san(role, url)?];
    Ok(())
}

fn apply_key_usage(
    params: &mut CertificateParams,
    role: Role,
    key_type: KeyType,
    path_len: Option<u8>,
) {
    let is_rsa = matches!(
        key_type,
        KeyType::Rsa2048 | KeyType::Rsa3072 | KeyType::Rsa4096
    );
    match role {
        Role::PublicEndpoint | Role::PrivateEndpoint => {
            params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
            // TLS 1.2 RSA key exchange encrypts the premaster secret to the
            // server key, so RSA server keys need keyEncipherment too.
            if is_rsa {
                params.key_usages.push(KeyUsagePurpose::KeyEncipherment);
            }
            params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
            params.is_ca = IsCa::ExplicitNoCa;
        }
        Role::Originator => {
            params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
            params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
            params.is_ca = IsCa::ExplicitNoCa;
        }
        Role::DestinationSigning => {
            params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
            params.extended_key_usages = Vec::new();
            params.is_ca = IsCa::ExplicitNoCa;
        }
        Role::Authority => {
            params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
            params.extended_key_usages = Vec::new();
            params.subject_alt_names = Vec::new();
            params.is_ca = IsCa::Ca(match path_len {
                Some(n) => BasicConstraints::Constrained(n),
                None => BasicConstraints::Unconstrained,
            });
        }
    }
}

/// Builds the one SAN a leaf of `role` carries for `url`.
fn role_san(role: Role, url: &FhirBaseUrl) -> Result<SanType> {
    let invalid = |e: rcgen::Error| Error::InvalidUrl {
        url: url.as_str().to_string(),
        reason: format!("it cannot be written into a certificate: {e}"),
    };
    match role {
        Role::PublicEndpoint | Role::PrivateEndpoint => match url.host() {
            url::Host::Domain(name) => Ok(SanType::DnsName(name.try_into().map_err(invalid)?)),
            url::Host::Ipv4(ip) => Ok(SanType::IpAddress(ip.into())),
            url::Host::Ipv6(ip) => Ok(SanType::IpAddress(ip.into())),
        },
        // NOTE: the URI is the parsed URL's serialization, which adds a "/"
        // path to a bare host (https://x.test becomes https://x.test/).
        Role::Originator | Role::DestinationSigning => {
            Ok(SanType::URI(url.as_str().try_into().map_err(invalid)?))
        }
        Role::Authority => unreachable!("authorities carry no SAN"),
    }
}

/// Parameters shared by every issuance: validity, a fresh serial, key
/// identifiers.
fn base_params(not_before: OffsetDateTime, validity: Duration) -> Result<CertificateParams> {
    if validity <= Duration::ZERO {
        return Err(Error::InvalidDuration(format!("{validity}")));
    }
    let not_after = not_before
        .checked_add(validity)
        .ok_or_else(|| Error::InvalidDuration(format!("{validity}")))?;
    let mut params = CertificateParams::default();
    params.not_before = not_before;
    params.not_after = not_after;
    params.serial_number = Some(random_serial());
    params.use_authority_key_identifier_extension = true;
    params.key_identifier_method = KeyIdMethod::Sha256;
    Ok(params)
}

/// Draws a serial of 16 random bytes. The high bit is cleared so the serial is
/// positive, and the next bit is set so its DER integer is always 16 bytes.
fn random_serial() -> SerialNumber {
    use rand_core::RngCore;
    let mut bytes = [0u8; 16];
    rand_core::OsRng.fill_bytes(&mut bytes);
    bytes[0] = (bytes[0] & 0x7f) | 0x40;
    SerialNumber::from_slice(&bytes)
}

fn sign(
    params: CertificateParams,
    key: &PrivateKey,
    issuer: Option<&Issuer<'_>>,
) -> Result<Vec<u8>> {
    let subject_key = key.rcgen_key_pair()?;
    match issuer {
        None => {
            let cert = params
                .self_signed(&subject_key)
                .map_err(|e| Error::Signing(e.to_string()))?;
            Ok(cert.der().to_vec())
        }
        Some(issuer) => {
            let issuer_cert = issuer_certificate(issuer)?;
            let issuer_key = issuer.key.rcgen_key_pair()?;
            let cert = params
                .signed_by(&subject_key, &issuer_cert, &issuer_key)
                .map_err(|e| Error::Signing(e.to_string()))?;
            let der = cert.der().to_vec();
            check_issuer_name(&der, issuer.cert_der)?;
            Ok(der)
        }
    }
}

/// Loads the issuer as rcgen needs it: its subject name and key identifier.
/// rcgen takes them from a `Certificate`, so the CA certificate's parameters
/// are re-signed into a throwaway certificate that is never returned.
pub(crate) fn issuer_certificate(issuer: &Issuer<'_>) -> Result<rcgen::Certificate> {
    let params = params_from_der(issuer.cert_der, "issuer certificate")?;
    let key = issuer.key.rcgen_key_pair()?;
    crate::import::check_key_matches(issuer.key, issuer.cert_der)?;
    params
        .self_signed(&key)
        .map_err(|e| Error::Signing(format!("loading the issuer certificate: {e}")))
}

/// rcgen parameters of an existing certificate, with the checks that keep
/// rcgen's parser from panicking.
fn params_from_der(der: &[u8], what: &'static str) -> Result<CertificateParams> {
    let (_, cert) = X509Certificate::from_der(der).map_err(|e| Error::Malformed {
        what,
        reason: e.to_string(),
    })?;
    // rcgen panics on an empty relative distinguished name and rejects
    // multi-valued ones, so both are caught here with a clearer message.
    if cert.subject().iter().any(|rdn| rdn.iter().count() != 1) {
        return Err(Error::Unsupported(format!(
            "{what} subject \"{}\" with an empty or multi-valued name component",
            cert.subject()
        )));
    }
    CertificateParams::from_ca_cert_der(&der.into()).map_err(|e| Error::Malformed {
        what,
        reason: format!("{e} (subject \"{}\")", cert.subject()),
    })
}

/// Rejects a certificate whose issuer name is not byte for byte the issuer's
/// subject, since chain building would fail on it. rcgen re-encodes the name
/// and keeps one value per attribute type, so a name such as two OU values
/// cannot be reproduced.
fn check_issuer_name(cert_der: &[u8], issuer_der: &[u8]) -> Result<()> {
    let parse = |der| {
        X509Certificate::from_der(der).map_err(|e| Error::Signing(format!("re-reading: {e}")))
    };
    let (_, cert) = parse(cert_der)?;
    let (_, issuer) = parse(issuer_der)?;
    if cert.issuer().as_raw() != issuer.subject().as_raw() {
        return Err(Error::Unsupported(format!(
            "issuer subject \"{}\": it cannot be re-encoded byte for byte; use an authority whose subject has one value per attribute type",
            issuer.subject()
        )));
    }
    Ok(())
}

fn csr_der(csr: &[u8]) -> Result<Vec<u8>> {
    let trimmed = csr.trim_ascii_start();
    if !trimmed.starts_with(b"-----BEGIN") {
        return Ok(csr.to_vec());
    }
    let block = pem::parse(trimmed).map_err(|e| Error::Malformed {
        what: "certificate signing request PEM",
        reason: e.to_string(),
    })?;
    match block.tag() {
        "CERTIFICATE REQUEST" | "NEW CERTIFICATE REQUEST" => Ok(block.into_contents()),
        other => Err(Error::Malformed {
            what: "certificate signing request PEM",
            reason: format!("the block is \"{other}\"; expected \"CERTIFICATE REQUEST\""),
        }),
    }
}

/// Reads the CSR's public key and its type, which decides keyEncipherment. rcgen's
/// own CSR key takes its algorithm from the CSR's signature, which puts a
/// P-384 key signed with SHA-256 under the P-256 OID, so the SPKI is read
/// again here.
fn csr_public_key(der: &[u8]) -> Result<(KeyType, rcgen::SubjectPublicKeyInfo)> {
    use x509_parser::certification_request::X509CertificationRequest;
    use x509_parser::public_key::PublicKey;
    let (_, csr) = X509CertificationRequest::from_der(der).map_err(|e| Error::Malformed {
        what: "certificate signing request",
        reason: e.to_string(),
    })?;
    let spki = &csr.certification_request_info.subject_pki;
    let public_key = rcgen::SubjectPublicKeyInfo::from_der(spki.raw).map_err(|e| {
        Error::Unsupported(format!(
            "CSR public key ({e}); use ECDSA P-256 or P-384, Ed25519 or RSA"
        ))
    })?;
    let parsed = spki.parsed().map_err(|e| Error::Malformed {
        what: "certificate signing request",
        reason: format!("its public key does not parse: {e}"),
    })?;
    let key_type = match parsed {
        PublicKey::RSA(rsa) => match rsa.key_size() {
            2048 => KeyType::Rsa2048,
            3072 => KeyType::Rsa3072,
            4096 => KeyType::Rsa4096,
            bits => {
                return Err(Error::Unsupported(format!(
                    "RSA key size {bits} bits in the CSR; request a 2048, 3072 or 4096-bit key"
                )))
            }
        },
        PublicKey::EC(point) if point.key_size() == 384 => KeyType::EcdsaP384,
        PublicKey::EC(_) => KeyType::EcdsaP256,
        _ => KeyType::Ed25519,
    };
    Ok((key_type, public_key))
}
