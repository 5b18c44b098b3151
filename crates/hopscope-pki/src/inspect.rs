//! Reading any certificate as far as it parses, and linting it against a role.

use serde::Serialize;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use x509_parser::der_parser::asn1_rs::{Any, Class, Tag};
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::x509::{AlgorithmIdentifier, SubjectPublicKeyInfo, X509Name};

use crate::Error;

pub use crate::lint::{covers_host, lint};

/// Everything Hopscope shows about one certificate. Fields that could not be
/// parsed are `None` and named in `unparsed`; inspection never panics.
#[derive(Debug, Clone, Serialize)]
pub struct Inspection {
    /// X.509 version as written (1, 2 or 3).
    pub version: u32,
    pub subject: String,
    pub issuer: String,
    /// Serial as lowercase hex of the DER integer content bytes, so negative
    /// and 20-byte serials show as written.
    pub serial_hex: String,
    #[serde(with = "time::serde::rfc3339::option")]
    pub not_before: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub not_after: Option<OffsetDateTime>,
    pub san_dns: Vec<String>,
    pub san_ip: Vec<String>,
    pub san_uri: Vec<String>,
    pub san_email: Vec<String>,
    /// Names such as `digitalSignature`, `keyCertSign`.
    pub key_usage: Vec<String>,
    /// Names such as `serverAuth`, `clientAuth`, or the dotted OID.
    pub extended_key_usage: Vec<String>,
    pub is_ca: bool,
    pub path_len: Option<u32>,
    /// `ecdsa-p256`, `rsa`, `ed25519`, or the algorithm OID.
    pub key_algorithm: String,
    pub key_bits: Option<u32>,
    pub signature_algorithm: String,
    pub sha256_fingerprint: String,
    pub spki_sha256: String,
    pub subject_key_id: Option<String>,
    pub authority_key_id: Option<String>,
    pub self_signed: bool,
    /// Critical extensions Hopscope does not understand, by OID.
    pub unknown_critical_extensions: Vec<String>,
    /// Parts that could not be parsed, each with the parser's reason.
    pub unparsed: Vec<String>,
}

/// Severity of a lint finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

/// One lint finding, with a stable machine-readable code such as
/// `san-mismatch`, `validity-too-long`, `weak-key`, `expired`,
/// `not-yet-valid`, `role-mismatch`.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
}

/// Inspects a DER certificate. Returns `Err` only when the outer structure is
/// not a certificate at all; partly broken certificates come back with
/// `unparsed` filled.
pub fn inspect(der: &[u8]) -> crate::Result<Inspection> {
    match X509Certificate::from_der(der) {
        Ok((_, cert)) => Ok(inspect_parsed(der, &cert)),
        Err(full_error) => inspect_partial(der, &full_error.to_string()),
    }
}

fn empty_inspection(der: &[u8]) -> Inspection {
    Inspection {
        version: 0,
        subject: String::new(),
        issuer: String::new(),
        serial_hex: String::new(),
        not_before: None,
        not_after: None,
        san_dns: Vec::new(),
        san_ip: Vec::new(),
        san_uri: Vec::new(),
        san_email: Vec::new(),
        key_usage: Vec::new(),
        extended_key_usage: Vec::new(),
        is_ca: false,
        path_len: None,
        key_algorithm: String::new(),
        key_bits: None,
        signature_algorithm: String::new(),
        sha256_fingerprint: hex::encode(Sha256::digest(der)),
        spki_sha256: String::new(),
        subject_key_id: None,
        authority_key_id: None,
        self_signed: false,
        unknown_critical_extensions: Vec::new(),
        unparsed: Vec::new(),
    }
}

fn inspect_parsed(der: &[u8], cert: &X509Certificate<'_>) -> Inspection {
    let tbs = &cert.tbs_certificate;
    let mut out = empty_inspection(der);
    out.version = tbs.version.0.saturating_add(1);
    out.subject = format_name(tbs.subject());
    out.issuer = format_name(tbs.issuer());
    out.serial_hex = hex::encode(tbs.raw_serial());
    out.not_before = Some(tbs.validity.not_before.to_datetime());
    out.not_after = Some(tbs.validity.not_after.to_datetime());
    describe_key(&mut out, tbs.public_key());
    out.signature_algorithm = algorithm_name(&cert.signature_algorithm);

    for ext in tbs.extensions() {
        let oid = ext.oid.to_id_string();
        match ext.parsed_extension() {
            ParsedExtension::SubjectAlternativeName(san) => {
                for name in &san.general_names {
                    match name {
                        GeneralName::DNSName(s) => out.san_dns.push(s.to_string()),
                        GeneralName::URI(s) => out.san_uri.push(s.to_string()),
                        GeneralName::RFC822Name(s) => out.san_email.push(s.to_string()),
                        GeneralName::IPAddress(bytes) => out.san_ip.push(format_ip(bytes)),
                        _ => {}
                    }
                }
            }
            ParsedExtension::KeyUsage(ku) => {
                let names = [
                    (ku.digital_signature(), "digitalSignature"),
                    (ku.non_repudiation(), "nonRepudiation"),
                    (ku.key_encipherment(), "keyEncipherment"),
                    (ku.data_encipherment(), "dataEncipherment"),
                    (ku.key_agreement(), "keyAgreement"),
                    (ku.key_cert_sign(), "keyCertSign"),
                    (ku.crl_sign(), "cRLSign"),
                    (ku.encipher_only(), "encipherOnly"),
                    (ku.decipher_only(), "decipherOnly"),
                ];
                out.key_usage = names
                    .into_iter()
                    .filter(|(set, _)| *set)
                    .map(|(_, name)| name.to_string())
                    .collect();
            }
            ParsedExtension::ExtendedKeyUsage(eku) => {
                let names = [
                    (eku.any, "anyExtendedKeyUsage"),
                    (eku.server_auth, "serverAuth"),
                    (eku.client_auth, "clientAuth"),
                    (eku.code_signing, "codeSigning"),
                    (eku.email_protection, "emailProtection"),
                    (eku.time_stamping, "timeStamping"),
                    (eku.ocsp_signing, "OCSPSigning"),
                ];
                out.extended_key_usage = names
                    .into_iter()
                    .filter(|(set, _)| *set)
                    .map(|(_, name)| name.to_string())
                    .collect();
                out.extended_key_usage
                    .extend(eku.other.iter().map(|o| o.to_id_string()));
            }
            ParsedExtension::BasicConstraints(bc) => {
                out.is_ca = bc.ca;
                out.path_len = bc.path_len_constraint;
            }
            ParsedExtension::SubjectKeyIdentifier(id) => {
                out.subject_key_id = Some(hex::encode(id.0));
            }
            ParsedExtension::AuthorityKeyIdentifier(aki) => {
                out.authority_key_id = aki.key_identifier.as_ref().map(|id| hex::encode(id.0));
            }
            ParsedExtension::ParseError { error } => {
                out.unparsed.push(format!("extension {oid}: {error}"));
                if ext.critical {
                    out.unknown_critical_extensions.push(oid);
                }
            }
            ParsedExtension::UnsupportedExtension { .. } if ext.critical => {
                out.unknown_critical_extensions.push(oid);
            }
            _ => {}
        }
    }

    // Self-signed means the name matches and the certificate's own key
    // verifies its signature; a name match alone is only self-issued.
    out.self_signed =
        tbs.subject().as_raw() == tbs.issuer().as_raw() && cert.verify_signature(None).is_ok();
    out
}

/// Reads what it can of a certificate x509-parser rejects, field by field, and
/// stops at the first field that does not parse.
fn inspect_partial(der: &[u8], full_error: &str) -> crate::Result<Inspection> {
    let malformed = |reason: String| Error::Malformed {
        what: "certificate",
        reason,
    };
    let (rest, outer) =
        Any::from_der(der).map_err(|e| malformed(format!("not a DER certificate: {e}")))?;
    if outer.tag() != Tag::Sequence {
        return Err(malformed(format!(
            "not a DER certificate: the outer element is {:?}, expected a SEQUENCE",
            outer.tag()
        )));
    }
    let (after_tbs, tbs) =
        Any::from_der(outer.data).map_err(|e| malformed(format!("not a DER certificate: {e}")))?;
    let signature = AlgorithmIdentifier::from_der(after_tbs);
    if tbs.tag() != Tag::Sequence || signature.is_err() {
        return Err(malformed(
            "not a DER certificate: expected the to-be-signed SEQUENCE and a signature algorithm"
                .into(),
        ));
    }

    let mut out = empty_inspection(der);
    out.unparsed.push(format!("certificate: {full_error}"));
    if !rest.is_empty() {
        out.unparsed
            .push(format!("{} bytes after the certificate", rest.len()));
    }
    if let Ok((_, alg)) = &signature {
        out.signature_algorithm = algorithm_name(alg);
    }
    read_tbs_fields(&mut out, tbs.data);
    Ok(out)
}

fn read_tbs_fields(out: &mut Inspection, tbs: &[u8]) {
    let mut input = tbs;
    out.version = 1;
    if let Ok((rest, tagged)) = Any::from_der(input) {
        if tagged.tag() == Tag(0) && tagged.class() == Class::ContextSpecific {
            let version = Any::from_der(tagged.data)
                .map_err(|e| e.to_string())
                .and_then(|(_, v)| v.as_u32().map_err(|e| e.to_string()));
            match version {
                Ok(v) => out.version = v.saturating_add(1),
                Err(e) => out.unparsed.push(format!("version: {e}")),
            }
            input = rest;
        }
    }
    match Any::from_der(input) {
        Ok((rest, serial)) if serial.tag() == Tag::Integer => {
            out.serial_hex = hex::encode(serial.data);
            input = rest;
        }
        Ok(_) => {
            out.unparsed.push("serial: not an INTEGER".into());
            return;
        }
        Err(e) => {
            out.unparsed.push(format!("serial: {e}"));
            return;
        }
    }
    match AlgorithmIdentifier::from_der(input) {
        Ok((rest, _)) => input = rest,
        Err(e) => {
            out.unparsed.push(format!("signature algorithm: {e}"));
            return;
        }
    }
    match X509Name::from_der(input) {
        Ok((rest, name)) => {
            out.issuer = format_name(&name);
            input = rest;
        }
        Err(e) => {
            out.unparsed.push(format!("issuer: {e}"));
            return;
        }
    }
    match x509_parser::certificate::Validity::from_der(input) {
        Ok((rest, validity)) => {
            out.not_before = Some(validity.not_before.to_datetime());
            out.not_after = Some(validity.not_after.to_datetime());
            input = rest;
        }
        Err(e) => {
            out.unparsed.push(format!("validity: {e}"));
            return;
        }
    }
    match X509Name::from_der(input) {
        Ok((rest, name)) => {
            out.subject = format_name(&name);
            input = rest;
        }
        Err(e) => {
            out.unparsed.push(format!("subject: {e}"));
            return;
        }
    }
    match SubjectPublicKeyInfo::from_der(input) {
        Ok((_, spki)) => describe_key(out, &spki),
        Err(e) => out.unparsed.push(format!("public key: {e}")),
    }
}

fn describe_key(out: &mut Inspection, spki: &SubjectPublicKeyInfo<'_>) {
    use x509_parser::public_key::PublicKey;
    out.spki_sha256 = hex::encode(Sha256::digest(spki.raw));
    let oid = spki.algorithm.algorithm.to_id_string();
    match oid.as_str() {
        "1.2.840.113549.1.1.1" => {
            out.key_algorithm = "rsa".into();
            match spki.parsed() {
                Ok(PublicKey::RSA(rsa)) => out.key_bits = Some(bit_length(rsa.modulus)),
                Ok(_) => {}
                Err(e) => out.unparsed.push(format!("RSA public key: {e}")),
            }
        }
        "1.2.840.10045.2.1" => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .map(|o| o.to_id_string());
            let (name, bits) = match curve.as_deref() {
                Some("1.2.840.10045.3.1.7") => ("ecdsa-p256".to_string(), Some(256)),
                Some("1.3.132.0.34") => ("ecdsa-p384".to_string(), Some(384)),
                Some("1.3.132.0.35") => ("ecdsa-p521".to_string(), Some(521)),
                Some(other) => (format!("ec {other}"), None),
                None => ("ec".to_string(), None),
            };
            out.key_algorithm = name;
            out.key_bits = bits;
        }
        "1.3.101.112" => {
            out.key_algorithm = "ed25519".into();
            out.key_bits = Some(256);
        }
        "1.3.101.113" => {
            out.key_algorithm = "ed448".into();
            out.key_bits = Some(456);
        }
        _ => out.key_algorithm = oid,
    }
}

/// Bits of a big-endian unsigned integer, ignoring leading zero bytes.
fn bit_length(bytes: &[u8]) -> u32 {
    let trimmed: &[u8] = {
        let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
        &bytes[first..]
    };
    match trimmed.first() {
        None => 0,
        Some(top) => (trimmed.len() as u32 - 1) * 8 + (8 - top.leading_zeros()),
    }
}

/// Returns the algorithm's short name, such as `sha256WithRSAEncryption` or
/// `ecdsa-with-SHA256`, or the dotted OID.
pub(crate) fn algorithm_name(alg: &AlgorithmIdentifier<'_>) -> String {
    let registry = x509_parser::objects::oid_registry();
    match x509_parser::objects::oid2sn(&alg.algorithm, registry) {
        Ok(name) => name.to_string(),
        Err(_) => match alg.algorithm.to_id_string().as_str() {
            "1.3.101.112" => "ED25519".into(),
            other => other.to_string(),
        },
    }
}

fn format_ip(bytes: &[u8]) -> String {
    match bytes.len() {
        4 => {
            let octets: [u8; 4] = bytes.try_into().unwrap_or_default();
            std::net::Ipv4Addr::from(octets).to_string()
        }
        16 => {
            let octets: [u8; 16] = bytes.try_into().unwrap_or_default();
            std::net::Ipv6Addr::from(octets).to_string()
        }
        // Name constraints use address plus mask; anything else is shown raw.
        _ => format!("#{}", hex::encode(bytes)),
    }
}

/// Formats a name as `CN=..., O=...` in certificate order, decoding every
/// string type X.509 allows; values that decode as none show as `#hex`.
pub(crate) fn format_name(name: &X509Name<'_>) -> String {
    let registry = x509_parser::objects::oid_registry();
    let mut parts = Vec::new();
    for rdn in name.iter() {
        let mut rdn_parts = Vec::new();
        for attr in rdn.iter() {
            let oid = attr.attr_type().to_id_string();
            let key = match attribute_short_name(&oid) {
                Some(short) => short.to_string(),
                None => match x509_parser::objects::oid2sn(attr.attr_type(), registry) {
                    Ok(sn) => sn.to_string(),
                    Err(_) => oid,
                },
            };
            rdn_parts.push(format!("{key}={}", attribute_text(attr.attr_value())));
        }
        parts.push(rdn_parts.join(" + "));
    }
    parts.join(", ")
}

/// Maps an attribute OID to its RFC 4514 short name, or to the emailAddress
/// and serialNumber names that OpenSSL prints.
fn attribute_short_name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "2.5.4.3" => "CN",
        "2.5.4.6" => "C",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.9" => "STREET",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "2.5.4.5" => "serialNumber",
        "0.9.2342.19200300.100.1.25" => "DC",
        "0.9.2342.19200300.100.1.1" => "UID",
        "1.2.840.113549.1.9.1" => "emailAddress",
        _ => return None,
    })
}

fn attribute_text(value: &Any<'_>) -> String {
    let data = value.data;
    let decoded = match value.tag() {
        Tag::Utf8String
        | Tag::PrintableString
        | Tag::Ia5String
        | Tag::NumericString
        | Tag::VisibleString => std::str::from_utf8(data).ok().map(str::to_string),
        Tag::BmpString => {
            if data.len().is_multiple_of(2) {
                let units: Vec<u16> = data
                    .chunks_exact(2)
                    .map(|c| u16::from_be_bytes([c[0], c[1]]))
                    .collect();
                String::from_utf16(&units).ok()
            } else {
                None
            }
        }
        Tag::UniversalString => {
            if data.len().is_multiple_of(4) {
                data.chunks_exact(4)
                    .map(|c| char::from_u32(u32::from_be_bytes([c[0], c[1], c[2], c[3]])))
                    .collect::<Option<String>>()
            } else {
                None
            }
        }
        // T.61 is read as Latin-1, which is what T61String values hold in
        // practice; the T.61 escape sequences for other scripts are rare.
        Tag::T61String => Some(data.iter().map(|b| char::from(*b)).collect()),
        _ => None,
    };
    decoded.unwrap_or_else(|| format!("#{}", hex::encode(data)))
}
