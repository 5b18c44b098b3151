//! A destination's trust list: anchors, pinned originators and denied
//! originators, each with a note and the time it was added.
//!
//! # JSON shape
//!
//! `TrustList::to_json` writes, and `TrustList::from_json` reads, this shape
//! (times are RFC 3339, hashes lowercase hex, certificates base64 DER):
//!
//! ```json
//! {
//!   "anchors": [{
//!     "id": "a3f9c2b1e", "note": "community root", "added_at": "2026-01-05T09:00:00Z",
//!     "source": { "kind": "authority", "name": "demo-community" },
//!     "subject": "CN=demo-community", "sha256_fingerprint": "3f9c2b1e…",
//!     "certificate_der": "MIIB…"
//!   }],
//!   "pinned": [{
//!     "id": "p7d01aa42", "note": "", "added_at": "…",
//!     "subject": "CN=clinic-a", "spki_sha256": "7d01aa42…", "certificate_der": "MIIB…"
//!   }],
//!   "denied": [{
//!     "id": "d0be5c9f1", "note": "key leaked", "added_at": "…",
//!     "rule": { "kind": "san_uri", "uri": "https://clinic-b.test/app" }
//!   }]
//! }
//! ```
//!
//! `rule.kind` is `certificate` (with `sha256_fingerprint`), `spki` (with
//! `spki_sha256`) or `san_uri` (with `uri`). An anchor's `source.kind` is
//! `authority` (with `name`) or `imported`.
//!
//! Entry ids are a letter for the kind (`a`, `p`, `d`) and the first 8 hex
//! digits of the entry's identifying SHA-256. So the same certificate gets the
//! same id in every workspace, and an id does not come back for another entry.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::cert::{normalise_sha256, sha256_hex, CertFacts};
use crate::{Error, Result};

/// A destination's trust list. The order of entries is the order they were
/// added; decisions do not depend on it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustList {
    #[serde(default)]
    pub anchors: Vec<Anchor>,
    #[serde(default)]
    pub pinned: Vec<PinnedOriginator>,
    #[serde(default)]
    pub denied: Vec<DeniedOriginator>,
}

/// A trust anchor: a chain that builds to this certificate is trusted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Anchor {
    pub id: String,
    pub note: String,
    #[serde(with = "time::serde::rfc3339")]
    pub added_at: OffsetDateTime,
    pub source: AnchorSource,
    /// Subject of the certificate, for display.
    pub subject: String,
    /// SHA-256 of the certificate DER, lowercase hex.
    pub sha256_fingerprint: String,
    #[serde(with = "der_base64")]
    pub certificate_der: Vec<u8>,
}

/// Origin of an anchor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AnchorSource {
    /// An authority of the workspace, by name.
    Authority { name: String },
    /// A certificate imported from a file or a PEM bundle.
    Imported,
}

/// An originator trusted on its own key, without an anchor. The match is on
/// the SHA-256 of the SubjectPublicKeyInfo, so a renewed certificate with the
/// same key stays pinned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PinnedOriginator {
    pub id: String,
    pub note: String,
    #[serde(with = "time::serde::rfc3339")]
    pub added_at: OffsetDateTime,
    /// Subject of the pinned certificate, for display.
    pub subject: String,
    /// SHA-256 of the certificate's SubjectPublicKeyInfo DER, lowercase hex.
    pub spki_sha256: String,
    #[serde(with = "der_base64")]
    pub certificate_der: Vec<u8>,
}

/// An originator the destination rejects even when its chain builds to an
/// anchor or its key is pinned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeniedOriginator {
    pub id: String,
    pub note: String,
    #[serde(with = "time::serde::rfc3339")]
    pub added_at: OffsetDateTime,
    pub rule: DenyMatch,
}

/// Match rule of a denied entry. Certificate and SPKI rules match any
/// certificate of the presented chain; a SAN URI rule matches the leaf.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DenyMatch {
    /// SHA-256 of the certificate DER, lowercase hex.
    Certificate { sha256_fingerprint: String },
    /// SHA-256 of the SubjectPublicKeyInfo DER, lowercase hex.
    Spki { spki_sha256: String },
    /// A URI in the subject alternative name, compared byte for byte.
    SanUri { uri: String },
}

/// The three kinds of trust list entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    Anchor,
    Pinned,
    Denied,
}

/// One entry taken off a list by `TrustList::remove`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Entry {
    Anchor(Anchor),
    Pinned(PinnedOriginator),
    Denied(DeniedOriginator),
}

impl Anchor {
    /// Makes an anchor of a DER certificate. Fails when the certificate does
    /// not parse or webpki cannot use it as a trust anchor.
    pub fn new(
        certificate_der: &[u8],
        source: AnchorSource,
        note: impl Into<String>,
        added_at: OffsetDateTime,
    ) -> Result<Anchor> {
        let facts = parse_certificate(certificate_der, "a trust anchor")?;
        let der = rustls_pki_types::CertificateDer::from(certificate_der);
        webpki::anchor_from_trusted_cert(&der).map_err(|e| Error::InvalidCertificate {
            what: "a trust anchor".into(),
            reason: format!("webpki cannot use {} as an anchor: {e}", facts.label()),
        })?;
        Ok(Anchor {
            id: format!("a{}", &facts.sha256_fingerprint[..8]),
            note: note.into(),
            added_at,
            source,
            subject: facts.subject,
            sha256_fingerprint: facts.sha256_fingerprint,
            certificate_der: certificate_der.to_vec(),
        })
    }
}

impl PinnedOriginator {
    /// Pins the public key of a DER certificate.
    pub fn new(
        certificate_der: &[u8],
        note: impl Into<String>,
        added_at: OffsetDateTime,
    ) -> Result<PinnedOriginator> {
        let facts = parse_certificate(certificate_der, "a pinned originator")?;
        Ok(PinnedOriginator {
            id: format!("p{}", &facts.spki_sha256[..8]),
            note: note.into(),
            added_at,
            subject: facts.subject,
            spki_sha256: facts.spki_sha256,
            certificate_der: certificate_der.to_vec(),
        })
    }
}

impl DeniedOriginator {
    /// Makes a deny entry. Hashes are normalised to lowercase hex without
    /// colons; a SAN URI must be absolute.
    pub fn new(
        rule: DenyMatch,
        note: impl Into<String>,
        added_at: OffsetDateTime,
    ) -> Result<DeniedOriginator> {
        let rule = rule.normalised()?;
        Ok(DeniedOriginator {
            id: format!("d{}", &sha256_hex(rule.canonical().as_bytes())[..8]),
            note: note.into(),
            added_at,
            rule,
        })
    }
}

impl DenyMatch {
    /// Checks and normalises the value: hashes to 64 lowercase hex digits,
    /// URIs trimmed and required to have a scheme.
    pub fn normalised(self) -> Result<DenyMatch> {
        match self {
            DenyMatch::Certificate { sha256_fingerprint } => {
                let normalised =
                    normalise_sha256(&sha256_fingerprint).ok_or(Error::InvalidSha256 {
                        what: "certificate fingerprint",
                        value: sha256_fingerprint,
                    })?;
                Ok(DenyMatch::Certificate {
                    sha256_fingerprint: normalised,
                })
            }
            DenyMatch::Spki { spki_sha256 } => {
                let normalised = normalise_sha256(&spki_sha256).ok_or(Error::InvalidSha256 {
                    what: "SPKI hash",
                    value: spki_sha256,
                })?;
                Ok(DenyMatch::Spki {
                    spki_sha256: normalised,
                })
            }
            DenyMatch::SanUri { uri } => {
                let trimmed = uri.trim();
                if !is_absolute_uri(trimmed) {
                    return Err(Error::InvalidSanUri(uri));
                }
                Ok(DenyMatch::SanUri {
                    uri: trimmed.to_string(),
                })
            }
        }
    }

    /// Returns the string whose SHA-256 gives a deny entry its id.
    fn canonical(&self) -> String {
        match self {
            DenyMatch::Certificate { sha256_fingerprint } => {
                format!("certificate:{sha256_fingerprint}")
            }
            DenyMatch::Spki { spki_sha256 } => format!("spki:{spki_sha256}"),
            DenyMatch::SanUri { uri } => format!("san_uri:{uri}"),
        }
    }
}

impl std::fmt::Display for DenyMatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DenyMatch::Certificate { sha256_fingerprint } => {
                write!(f, "certificate SHA-256 {sha256_fingerprint}")
            }
            DenyMatch::Spki { spki_sha256 } => write!(f, "SPKI SHA-256 {spki_sha256}"),
            DenyMatch::SanUri { uri } => write!(f, "SAN URI \"{uri}\""),
        }
    }
}

impl TrustList {
    pub fn new() -> TrustList {
        TrustList::default()
    }

    /// Adds an anchor. Fails when an anchor with the same certificate is on
    /// the list.
    pub fn add_anchor(&mut self, anchor: Anchor) -> Result<&Anchor> {
        if let Some(existing) = self
            .anchors
            .iter()
            .find(|a| a.sha256_fingerprint == anchor.sha256_fingerprint)
        {
            return Err(Error::Duplicate {
                kind: "anchor",
                id: existing.id.clone(),
                matched_by: "certificate",
            });
        }
        self.anchors.push(anchor);
        Ok(self.anchors.last().expect("just pushed"))
    }

    /// Pins an originator. Fails when the same public key is pinned already.
    pub fn add_pinned(&mut self, pinned: PinnedOriginator) -> Result<&PinnedOriginator> {
        if let Some(existing) = self
            .pinned
            .iter()
            .find(|p| p.spki_sha256 == pinned.spki_sha256)
        {
            return Err(Error::Duplicate {
                kind: "pinned originator",
                id: existing.id.clone(),
                matched_by: "public key",
            });
        }
        self.pinned.push(pinned);
        Ok(self.pinned.last().expect("just pushed"))
    }

    /// Adds a deny entry. Fails when the same rule is on the list.
    pub fn add_denied(&mut self, denied: DeniedOriginator) -> Result<&DeniedOriginator> {
        let denied = DeniedOriginator {
            rule: denied.rule.normalised()?,
            ..denied
        };
        if let Some(existing) = self.denied.iter().find(|d| d.rule == denied.rule) {
            return Err(Error::Duplicate {
                kind: "denied originator",
                id: existing.id.clone(),
                matched_by: "rule",
            });
        }
        self.denied.push(denied);
        Ok(self.denied.last().expect("just pushed"))
    }

    /// Removes the entry with this id and returns it.
    pub fn remove(&mut self, id: &str) -> Result<Entry> {
        if let Some(i) = self.anchors.iter().position(|a| a.id == id) {
            return Ok(Entry::Anchor(self.anchors.remove(i)));
        }
        if let Some(i) = self.pinned.iter().position(|p| p.id == id) {
            return Ok(Entry::Pinned(self.pinned.remove(i)));
        }
        if let Some(i) = self.denied.iter().position(|d| d.id == id) {
            return Ok(Entry::Denied(self.denied.remove(i)));
        }
        Err(self.not_found(id))
    }

    /// Replaces the note of the entry with this id.
    pub fn set_note(&mut self, id: &str, note: impl Into<String>) -> Result<()> {
        let note = note.into();
        if let Some(a) = self.anchors.iter_mut().find(|a| a.id == id) {
            a.note = note;
        } else if let Some(p) = self.pinned.iter_mut().find(|p| p.id == id) {
            p.note = note;
        } else if let Some(d) = self.denied.iter_mut().find(|d| d.id == id) {
            d.note = note;
        } else {
            return Err(self.not_found(id));
        }
        Ok(())
    }

    /// Returns every entry id, anchors first, then pinned, then denied.
    pub fn ids(&self) -> Vec<&str> {
        let anchors = self.anchors.iter().map(|a| a.id.as_str());
        let pinned = self.pinned.iter().map(|p| p.id.as_str());
        let denied = self.denied.iter().map(|d| d.id.as_str());
        anchors.chain(pinned).chain(denied).collect()
    }

    /// Writes the whole list as pretty-printed JSON in the shape documented on
    /// this module.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a trust list always serialises")
    }

    /// Reads a list written by `to_json`. Every certificate must parse, the
    /// subjects, fingerprints, SPKI hashes and ids must be the ones computed
    /// from the certificates and rules, and no id may appear twice.
    pub fn from_json(json: &str) -> Result<TrustList> {
        let list: TrustList =
            serde_json::from_str(json).map_err(|e| Error::InvalidJson(e.to_string()))?;
        list.check_consistent()?;
        Ok(list)
    }

    /// Writes the anchors as a bundle of `CERTIFICATE` PEM blocks, in list
    /// order. Notes and sources are not part of PEM and are left out.
    pub fn anchors_to_pem(&self) -> String {
        let blocks: Vec<pem::Pem> = self
            .anchors
            .iter()
            .map(|a| pem::Pem::new("CERTIFICATE", a.certificate_der.clone()))
            .collect();
        pem::encode_many_config(
            &blocks,
            pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF),
        )
    }

    /// Reads a PEM bundle into anchors with source `Imported`, an empty note
    /// and `added_at`. Every block must be a `CERTIFICATE`.
    pub fn anchors_from_pem(text: &str, added_at: OffsetDateTime) -> Result<Vec<Anchor>> {
        let blocks = pem::parse_many(text).map_err(|e| Error::InvalidPem(e.to_string()))?;
        if blocks.is_empty() {
            return Err(Error::InvalidPem(
                "no PEM block found; expected one or more \"-----BEGIN CERTIFICATE-----\" blocks"
                    .into(),
            ));
        }
        blocks
            .iter()
            .enumerate()
            .map(|(i, block)| {
                if block.tag() != "CERTIFICATE" {
                    return Err(Error::InvalidPem(format!(
                        "block {} is \"{}\"; expected \"CERTIFICATE\"",
                        i + 1,
                        block.tag()
                    )));
                }
                Anchor::new(block.contents(), AnchorSource::Imported, "", added_at)
            })
            .collect()
    }

    /// Finds the pinned entry whose key hash is `spki_sha256`.
    pub fn pinned_by_spki(&self, spki_sha256: &str) -> Option<&PinnedOriginator> {
        self.pinned.iter().find(|p| p.spki_sha256 == spki_sha256)
    }

    fn not_found(&self, id: &str) -> Error {
        let ids = self.ids();
        let available = if ids.is_empty() {
            "no entries".to_string()
        } else {
            format!("entries {}", ids.join(", "))
        };
        Error::EntryNotFound {
            id: id.to_string(),
            available,
        }
    }

    fn check_consistent(&self) -> Result<()> {
        let invalid = |id: &str, what: &str, stored: &str, computed: &str| {
            Error::InvalidJson(format!(
                "entry \"{id}\": {what} is \"{stored}\" but its certificate gives \"{computed}\"; remove the field's value or replace the certificate"
            ))
        };
        for stored in &self.anchors {
            let computed = Anchor::new(
                &stored.certificate_der,
                stored.source.clone(),
                "",
                stored.added_at,
            )?;
            if stored.sha256_fingerprint != computed.sha256_fingerprint {
                return Err(invalid(
                    &stored.id,
                    "sha256_fingerprint",
                    &stored.sha256_fingerprint,
                    &computed.sha256_fingerprint,
                ));
            }
            if stored.subject != computed.subject {
                return Err(invalid(
                    &stored.id,
                    "subject",
                    &stored.subject,
                    &computed.subject,
                ));
            }
            if stored.id != computed.id {
                return Err(invalid(&stored.id, "id", &stored.id, &computed.id));
            }
        }
        for stored in &self.pinned {
            let computed = PinnedOriginator::new(&stored.certificate_der, "", stored.added_at)?;
            if stored.spki_sha256 != computed.spki_sha256 {
                return Err(invalid(
                    &stored.id,
                    "spki_sha256",
                    &stored.spki_sha256,
                    &computed.spki_sha256,
                ));
            }
            if stored.subject != computed.subject {
                return Err(invalid(
                    &stored.id,
                    "subject",
                    &stored.subject,
                    &computed.subject,
                ));
            }
            if stored.id != computed.id {
                return Err(invalid(&stored.id, "id", &stored.id, &computed.id));
            }
        }
        for stored in &self.denied {
            let computed = DeniedOriginator::new(stored.rule.clone(), "", stored.added_at)?;
            if stored.rule != computed.rule || stored.id != computed.id {
                return Err(Error::InvalidJson(format!(
                    "entry \"{}\": the rule {} is not in normal form or its id should be \"{}\"; write hashes as 64 lowercase hex digits",
                    stored.id, stored.rule, computed.id
                )));
            }
        }
        let mut ids = self.ids();
        ids.sort_unstable();
        if let Some(pair) = ids.windows(2).find(|pair| pair[0] == pair[1]) {
            return Err(Error::InvalidJson(format!(
                "the id \"{}\" appears twice; keep one of the entries",
                pair[0]
            )));
        }
        Ok(())
    }
}

/// Parses a certificate for a list entry, naming the entry kind in errors.
fn parse_certificate(der: &[u8], entry_kind: &str) -> Result<CertFacts> {
    CertFacts::parse(der).map_err(|reason| Error::InvalidCertificate {
        what: entry_kind.into(),
        reason,
    })
}

/// Accepts `scheme:rest` with an RFC 3986 scheme, a non-empty rest and no
/// whitespace.
fn is_absolute_uri(uri: &str) -> bool {
    let Some((scheme, rest)) = uri.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    let scheme_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    scheme_ok && !rest.is_empty() && !uri.chars().any(char::is_whitespace)
}

/// Serde for certificate DER as standard base64, the encoding of JWS `x5c`.
mod der_base64 {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(der: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&STANDARD.encode(der))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(deserializer)?;
        STANDARD
            .decode(text.trim())
            .map_err(|e| serde::de::Error::custom(format!("certificate_der is not base64: {e}")))
    }
}
