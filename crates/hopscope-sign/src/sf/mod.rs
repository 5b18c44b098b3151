//! Structured Field Values for HTTP (RFC 8941): the parser and serialiser
//! that `Signature-Input`, `Signature`, `Content-Digest` and the `;sf` and
//! `;key` component parameters of RFC 9421 need.
//!
//! Parsing follows RFC 8941 section 4.2 and serialisation section 4.1, so
//! `serialize(parse(x))` is the canonical form that RFC 9421 signs. The Date
//! and Display String types added by RFC 9651 are not supported and fail to
//! parse.

mod parser;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use parser::Parser;

/// A bare item: the value of an Item or of a parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BareItem {
    Integer(i64),
    /// A Decimal in thousandths, because RFC 8941 allows at most three
    /// fractional digits: `1.5` is `Decimal(1500)`.
    Decimal(i64),
    String(String),
    Token(String),
    ByteSequence(Vec<u8>),
    Boolean(bool),
}

impl BareItem {
    pub fn as_integer(&self) -> Option<i64> {
        match self {
            BareItem::Integer(value) => Some(*value),
            _ => None,
        }
    }

    pub fn as_string(&self) -> Option<&str> {
        match self {
            BareItem::String(value) => Some(value),
            _ => None,
        }
    }

    pub fn as_byte_sequence(&self) -> Option<&[u8]> {
        match self {
            BareItem::ByteSequence(value) => Some(value),
            _ => None,
        }
    }

    /// Serialises the bare item (RFC 8941 4.1.3.1).
    pub fn serialize(&self) -> String {
        let mut out = String::new();
        self.serialize_into(&mut out);
        out
    }

    fn serialize_into(&self, out: &mut String) {
        match self {
            BareItem::Integer(value) => out.push_str(&value.to_string()),
            BareItem::Decimal(thousandths) => {
                let sign = if *thousandths < 0 { "-" } else { "" };
                let magnitude = thousandths.unsigned_abs();
                let fraction = format!("{:03}", magnitude % 1000);
                let fraction = fraction.trim_end_matches('0');
                let fraction = if fraction.is_empty() { "0" } else { fraction };
                out.push_str(&format!("{sign}{}.{fraction}", magnitude / 1000));
            }
            BareItem::String(value) => {
                out.push('"');
                for c in value.chars() {
                    if c == '"' || c == '\\' {
                        out.push('\\');
                    }
                    out.push(c);
                }
                out.push('"');
            }
            BareItem::Token(value) => out.push_str(value),
            BareItem::ByteSequence(bytes) => {
                out.push(':');
                out.push_str(&STANDARD.encode(bytes));
                out.push(':');
            }
            BareItem::Boolean(value) => out.push_str(if *value { "?1" } else { "?0" }),
        }
    }
}

/// Parameters in their order of appearance. Keys are unique: inserting an
/// existing key replaces its value in place, as RFC 8941 4.2.3.2 requires.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parameters(Vec<(String, BareItem)>);

impl Parameters {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn get(&self, key: &str) -> Option<&BareItem> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn contains(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Sets `key` to `value`, keeping the position of an existing key.
    pub fn insert(&mut self, key: impl Into<String>, value: BareItem) {
        let key = key.into();
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some(entry) => entry.1 = value,
            None => self.0.push((key, value)),
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &BareItem)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn serialize_into(&self, out: &mut String) {
        for (key, value) in &self.0 {
            out.push(';');
            out.push_str(key);
            if *value != BareItem::Boolean(true) {
                out.push('=');
                value.serialize_into(out);
            }
        }
    }
}

/// A bare item with its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub bare: BareItem,
    pub params: Parameters,
}

impl Item {
    pub fn new(bare: BareItem) -> Self {
        Self {
            bare,
            params: Parameters::new(),
        }
    }

    pub fn serialize(&self) -> String {
        let mut out = String::new();
        self.serialize_into(&mut out);
        out
    }

    fn serialize_into(&self, out: &mut String) {
        self.bare.serialize_into(out);
        self.params.serialize_into(out);
    }
}

/// A parenthesised list of items with parameters of its own.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InnerList {
    pub items: Vec<Item>,
    pub params: Parameters,
}

impl InnerList {
    pub fn serialize(&self) -> String {
        let mut out = String::new();
        self.serialize_into(&mut out);
        out
    }

    fn serialize_into(&self, out: &mut String) {
        out.push('(');
        for (index, item) in self.items.iter().enumerate() {
            if index > 0 {
                out.push(' ');
            }
            item.serialize_into(out);
        }
        out.push(')');
        self.params.serialize_into(out);
    }
}

/// A member of a List or a Dictionary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Member {
    Item(Item),
    InnerList(InnerList),
}

impl Member {
    pub fn serialize(&self) -> String {
        let mut out = String::new();
        self.serialize_into(&mut out);
        out
    }

    fn serialize_into(&self, out: &mut String) {
        match self {
            Member::Item(item) => item.serialize_into(out),
            Member::InnerList(list) => list.serialize_into(out),
        }
    }
}

/// A Dictionary: unique keys in order of first appearance.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dictionary(Vec<(String, Member)>);

impl Dictionary {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn get(&self, key: &str) -> Option<&Member> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Sets `key` to `member`, keeping the position of an existing key.
    pub fn insert(&mut self, key: impl Into<String>, member: Member) {
        let key = key.into();
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some(entry) => entry.1 = member,
            None => self.0.push((key, member)),
        }
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(k, _)| k.as_str())
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Member)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Serialises the dictionary (RFC 8941 4.1.2). A member whose value is
    /// the Boolean true is written as its key and parameters alone.
    pub fn serialize(&self) -> String {
        let mut out = String::new();
        for (index, (key, member)) in self.0.iter().enumerate() {
            if index > 0 {
                out.push_str(", ");
            }
            out.push_str(key);
            match member {
                Member::Item(item) if item.bare == BareItem::Boolean(true) => {
                    item.params.serialize_into(&mut out)
                }
                _ => {
                    out.push('=');
                    member.serialize_into(&mut out);
                }
            }
        }
        out
    }
}

/// Serialises a List (RFC 8941 4.1.1).
pub fn serialize_list(members: &[Member]) -> String {
    let mut out = String::new();
    for (index, member) in members.iter().enumerate() {
        if index > 0 {
            out.push_str(", ");
        }
        member.serialize_into(&mut out);
    }
    out
}

/// The top-level type of a structured field, which the field's definition
/// fixes and the value cannot reveal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    Item,
    List,
    Dictionary,
}

/// A parsed structured field value of any of the three top-level types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldValue {
    Item(Item),
    List(Vec<Member>),
    Dictionary(Dictionary),
}

impl FieldValue {
    pub fn serialize(&self) -> String {
        match self {
            FieldValue::Item(item) => item.serialize(),
            FieldValue::List(members) => serialize_list(members),
            FieldValue::Dictionary(dictionary) => dictionary.serialize(),
        }
    }
}

/// A structured field value that is not valid RFC 8941 syntax.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason} at byte {position} of `{input}`")]
pub struct ParseError {
    pub input: String,
    /// Byte offset into `input` where parsing stopped.
    pub position: usize,
    pub reason: String,
}

/// Parses a field value as the given top-level type.
pub fn parse(input: &str, field_type: FieldType) -> Result<FieldValue, ParseError> {
    match field_type {
        FieldType::Item => parse_item(input).map(FieldValue::Item),
        FieldType::List => parse_list(input).map(FieldValue::List),
        FieldType::Dictionary => parse_dictionary(input).map(FieldValue::Dictionary),
    }
}

pub fn parse_item(input: &str) -> Result<Item, ParseError> {
    Parser::new(input).top_level(|p| p.item())
}

pub fn parse_list(input: &str) -> Result<Vec<Member>, ParseError> {
    Parser::new(input).top_level(|p| p.list())
}

pub fn parse_dictionary(input: &str) -> Result<Dictionary, ParseError> {
    Parser::new(input).top_level(|p| p.dictionary())
}

/// Returns whether `key` is a valid dictionary or parameter key
/// (`lcalpha / "*"` then `lcalpha / DIGIT / "_" / "-" / "." / "*"`).
pub fn is_valid_key(key: &str) -> bool {
    let mut bytes = key.bytes();
    match bytes.next() {
        Some(first) if first.is_ascii_lowercase() || first == b'*' => {}
        _ => return false,
    }
    bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_-.*".contains(&b))
}

#[cfg(test)]
mod tests;
