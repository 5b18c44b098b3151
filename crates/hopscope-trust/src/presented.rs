//! The input an originator presents to a destination: a signed JWT or a
//! bare certificate chain.

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// The input of a trust decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Presented {
    /// A compact JWS, such as a UDAP software statement or client assertion,
    /// carrying its certificate chain in the `x5c` header.
    Jwt(String),
    /// DER certificates, leaf first; base64 strings in JSON.
    Chain(#[serde(with = "chain_base64")] Vec<Vec<u8>>),
}

impl Presented {
    /// Reads text pasted or loaded by the operator: a compact JWT (three
    /// base64url segments separated by dots, the last one empty for an
    /// unsigned JWT) or PEM `CERTIFICATE` blocks, leaf first. Surrounding
    /// whitespace is ignored. The JWT's contents are checked by the decision,
    /// not here.
    pub fn from_text(text: &str) -> Result<Presented> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(Error::UnrecognisedInput(
                "the text is empty; paste a compact JWT or PEM certificates".into(),
            ));
        }
        if trimmed.contains("-----BEGIN") {
            return chain_from_pem(trimmed);
        }
        let segments: Vec<&str> = trimmed.split('.').collect();
        if segments.len() != 3 {
            let count = segments.len();
            let noun = if count == 1 { "segment" } else { "segments" };
            return Err(Error::UnrecognisedInput(format!(
                "the text has {count} dot-separated {noun} and no PEM block; a compact JWT has 3 (header.payload.signature)"
            )));
        }
        for (name, segment) in ["header", "payload"].iter().zip(&segments) {
            if segment.is_empty() {
                return Err(Error::UnrecognisedInput(format!(
                    "the JWT {name} segment is empty"
                )));
            }
        }
        let names = ["header", "payload", "signature"];
        for (name, segment) in names.iter().zip(&segments) {
            if let Some(bad) = segment.chars().find(|c| !is_base64url(*c)) {
                return Err(Error::UnrecognisedInput(format!(
                    "the JWT {name} segment contains {bad:?}, which is not base64url (A-Z, a-z, 0-9, - and _)"
                )));
            }
        }
        Ok(Presented::Jwt(trimmed.to_string()))
    }
}

fn chain_from_pem(text: &str) -> Result<Presented> {
    let blocks = pem::parse_many(text)
        .map_err(|e| Error::UnrecognisedInput(format!("the PEM does not parse: {e}")))?;
    if blocks.is_empty() {
        return Err(Error::UnrecognisedInput(
            "no complete PEM block; check the BEGIN and END lines".into(),
        ));
    }
    let mut chain = Vec::with_capacity(blocks.len());
    for (i, block) in blocks.into_iter().enumerate() {
        if block.tag() != "CERTIFICATE" {
            return Err(Error::UnrecognisedInput(format!(
                "PEM block {} is \"{}\"; expected only \"CERTIFICATE\" blocks, leaf first",
                i + 1,
                block.tag()
            )));
        }
        chain.push(block.into_contents());
    }
    Ok(Presented::Chain(chain))
}

fn is_base64url(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// Serde for a chain as a list of standard base64 DER strings.
mod chain_base64 {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(chain: &[Vec<u8>], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(chain.iter().map(|der| STANDARD.encode(der)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<Vec<u8>>, D::Error> {
        let texts = Vec::<String>::deserialize(deserializer)?;
        texts
            .iter()
            .enumerate()
            .map(|(i, text)| {
                STANDARD.decode(text.trim()).map_err(|e| {
                    serde::de::Error::custom(format!(
                        "chain certificate {} is not base64: {e}",
                        i + 1
                    ))
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEM_TWO: &str = "\n-----BEGIN CERTIFICATE-----\nAQID\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nBAUG\n-----END CERTIFICATE-----\n\n";

    #[test]
    fn from_text_reads_jwt() {
        let jwt = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln";
        let presented = Presented::from_text(&format!("  {jwt}\n")).unwrap();
        assert_eq!(presented, Presented::Jwt(jwt.into()));
    }

    #[test]
    fn from_text_keeps_unsigned_jwt() {
        let jwt = "eyJhbGciOiJub25lIn0.eyJpc3MiOiJ4In0.";
        assert_eq!(
            Presented::from_text(jwt).unwrap(),
            Presented::Jwt(jwt.into())
        );
    }

    #[test]
    fn from_text_reads_pem_chain_in_order() {
        let presented = Presented::from_text(PEM_TWO).unwrap();
        assert_eq!(
            presented,
            Presented::Chain(vec![vec![1, 2, 3], vec![4, 5, 6]])
        );
    }

    #[test]
    fn from_text_rejects() {
        let cases = [
            ("", "the text is empty"),
            ("hello", "1 dot-separated segment and"),
            ("a.b", "2 dot-separated segments"),
            (".eyJ.sig", "header segment is empty"),
            ("eyJ+.eyJ.sig", "header segment contains '+'"),
            ("eyJ.eyJ.si=g", "signature segment contains '='"),
            (
                "-----BEGIN PRIVATE KEY-----\nAQID\n-----END PRIVATE KEY-----\n",
                "PEM block 1 is \"PRIVATE KEY\"",
            ),
            (
                "-----BEGIN CERTIFICATE-----\nAQID\n",
                "no complete PEM block",
            ),
        ];
        for (input, expected) in cases {
            let err = Presented::from_text(input).expect_err(input);
            assert!(
                err.to_string().contains(expected),
                "{input:?}: {err} does not contain {expected:?}"
            );
        }
    }

    #[test]
    fn presented_serde_round_trip() {
        let presented = Presented::Chain(vec![vec![1, 2, 3]]);
        let json = serde_json::to_string(&presented).unwrap();
        assert_eq!(json, r#"{"kind":"chain","value":["AQID"]}"#);
        let back: Presented = serde_json::from_str(&json).unwrap();
        assert_eq!(back, presented);
    }
}
