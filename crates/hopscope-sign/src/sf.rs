//! Structured Field Values for HTTP (RFC 8941): the parser and serialiser
//! that `Signature-Input`, `Signature`, `Content-Digest` and the `;sf` and
//! `;key` component parameters of RFC 9421 need.
//!
//! Parsing follows RFC 8941 section 4.2 and serialisation section 4.1, so
//! `serialize(parse(x))` is the canonical form that RFC 9421 signs. The Date
//! and Display String types added by RFC 9651 are not supported and fail to
//! parse.

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;
use base64::Engine;

/// Base64 for byte sequences: RFC 8941 4.2.7 lets parsers accept a missing
/// padding, and serialisation always pads.
const LENIENT_BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Largest magnitude of an Integer (15 decimal digits).
const MAX_INTEGER: i64 = 999_999_999_999_999;

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

struct Parser<'a> {
    input: &'a str,
    bytes: &'a [u8],
    position: usize,
}

impl<'a> Parser<'a> {
    fn new(input: &'a str) -> Self {
        Self {
            input,
            bytes: input.as_bytes(),
            position: 0,
        }
    }

    fn error(&self, reason: impl Into<String>) -> ParseError {
        ParseError {
            input: self.input.to_string(),
            position: self.position,
            reason: reason.into(),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.position).copied()
    }

    fn skip_spaces(&mut self) {
        while self.peek() == Some(b' ') {
            self.position += 1;
        }
    }

    /// Skips optional whitespace (SP and HTAB), allowed around list and
    /// dictionary commas.
    fn skip_ows(&mut self) {
        while matches!(self.peek(), Some(b' ') | Some(b'\t')) {
            self.position += 1;
        }
    }

    fn top_level<T>(
        mut self,
        parse: impl FnOnce(&mut Self) -> Result<T, ParseError>,
    ) -> Result<T, ParseError> {
        if let Some(offset) = self.input.find(|c: char| !c.is_ascii()) {
            self.position = offset;
            return Err(self.error("structured fields contain ASCII only"));
        }
        self.skip_spaces();
        let value = parse(&mut self)?;
        self.skip_spaces();
        if self.position < self.bytes.len() {
            return Err(self.error("unexpected characters after the value"));
        }
        Ok(value)
    }

    fn list(&mut self) -> Result<Vec<Member>, ParseError> {
        let mut members = Vec::new();
        while self.position < self.bytes.len() {
            members.push(self.item_or_inner_list()?);
            self.skip_ows();
            if self.position == self.bytes.len() {
                return Ok(members);
            }
            if self.peek() != Some(b',') {
                return Err(self.error("expected `,` between list members"));
            }
            self.position += 1;
            self.skip_ows();
            if self.position == self.bytes.len() {
                return Err(self.error("trailing `,` after the last list member"));
            }
        }
        Ok(members)
    }

    fn dictionary(&mut self) -> Result<Dictionary, ParseError> {
        let mut dictionary = Dictionary::new();
        while self.position < self.bytes.len() {
            let key = self.key()?;
            let member = if self.peek() == Some(b'=') {
                self.position += 1;
                self.item_or_inner_list()?
            } else {
                Member::Item(Item {
                    bare: BareItem::Boolean(true),
                    params: self.parameters()?,
                })
            };
            dictionary.insert(key, member);
            self.skip_ows();
            if self.position == self.bytes.len() {
                return Ok(dictionary);
            }
            if self.peek() != Some(b',') {
                return Err(self.error("expected `,` between dictionary members"));
            }
            self.position += 1;
            self.skip_ows();
            if self.position == self.bytes.len() {
                return Err(self.error("trailing `,` after the last dictionary member"));
            }
        }
        Ok(dictionary)
    }

    fn item_or_inner_list(&mut self) -> Result<Member, ParseError> {
        if self.peek() == Some(b'(') {
            self.inner_list().map(Member::InnerList)
        } else {
            self.item().map(Member::Item)
        }
    }

    fn inner_list(&mut self) -> Result<InnerList, ParseError> {
        self.position += 1;
        let mut items = Vec::new();
        loop {
            self.skip_spaces();
            match self.peek() {
                None => return Err(self.error("inner list is missing its closing `)`")),
                Some(b')') => {
                    self.position += 1;
                    let params = self.parameters()?;
                    return Ok(InnerList { items, params });
                }
                Some(_) => {
                    items.push(self.item()?);
                    match self.peek() {
                        Some(b' ') | Some(b')') => {}
                        None => return Err(self.error("inner list is missing its closing `)`")),
                        Some(_) => {
                            return Err(
                                self.error("expected a space or `)` after an inner list item")
                            )
                        }
                    }
                }
            }
        }
    }

    fn item(&mut self) -> Result<Item, ParseError> {
        let bare = self.bare_item()?;
        let params = self.parameters()?;
        Ok(Item { bare, params })
    }

    fn parameters(&mut self) -> Result<Parameters, ParseError> {
        let mut params = Parameters::new();
        while self.peek() == Some(b';') {
            self.position += 1;
            self.skip_spaces();
            let key = self.key()?;
            let value = if self.peek() == Some(b'=') {
                self.position += 1;
                self.bare_item()?
            } else {
                BareItem::Boolean(true)
            };
            params.insert(key, value);
        }
        Ok(params)
    }

    fn key(&mut self) -> Result<String, ParseError> {
        match self.peek() {
            Some(c) if c.is_ascii_lowercase() || c == b'*' => {}
            _ => return Err(self.error("expected a key starting with a lowercase letter or `*`")),
        }
        let start = self.position;
        while let Some(c) = self.peek() {
            if c.is_ascii_lowercase() || c.is_ascii_digit() || b"_-.*".contains(&c) {
                self.position += 1;
            } else {
                break;
            }
        }
        Ok(self.input[start..self.position].to_string())
    }

    fn bare_item(&mut self) -> Result<BareItem, ParseError> {
        match self.peek() {
            Some(c) if c == b'-' || c.is_ascii_digit() => self.number(),
            Some(b'"') => self.string(),
            Some(c) if c.is_ascii_alphabetic() || c == b'*' => Ok(self.token()),
            Some(b':') => self.byte_sequence(),
            Some(b'?') => self.boolean(),
            Some(_) => Err(self
                .error("expected a bare item (number, string, token, byte sequence or boolean)")),
            None => Err(self.error("expected a bare item but the value ended")),
        }
    }

    fn number(&mut self) -> Result<BareItem, ParseError> {
        let negative = self.peek() == Some(b'-');
        if negative {
            self.position += 1;
        }
        let start = self.position;
        while matches!(self.peek(), Some(c) if c.is_ascii_digit()) {
            self.position += 1;
        }
        let integer_digits = &self.input[start..self.position];
        if integer_digits.is_empty() {
            return Err(self.error("expected a digit"));
        }
        if self.peek() != Some(b'.') {
            if integer_digits.len() > 15 {
                return Err(self.error("integer has more than 15 digits"));
            }
            let magnitude: i64 = integer_digits
                .parse()
                .map_err(|_| self.error("invalid integer"))?;
            debug_assert!(magnitude <= MAX_INTEGER);
            return Ok(BareItem::Integer(if negative {
                -magnitude
            } else {
                magnitude
            }));
        }

        if integer_digits.len() > 12 {
            return Err(self.error("decimal has more than 12 integer digits"));
        }
        self.position += 1;
        let fraction_start = self.position;
        while matches!(self.peek(), Some(c) if c.is_ascii_digit()) {
            self.position += 1;
        }
        let fraction_digits = &self.input[fraction_start..self.position];
        if fraction_digits.is_empty() || fraction_digits.len() > 3 {
            return Err(self.error("decimal needs 1 to 3 fractional digits"));
        }
        let integer: i64 = integer_digits
            .parse()
            .map_err(|_| self.error("invalid decimal"))?;
        let fraction: i64 = format!("{fraction_digits:0<3}")
            .parse()
            .map_err(|_| self.error("invalid decimal"))?;
        let thousandths = integer * 1000 + fraction;
        Ok(BareItem::Decimal(if negative {
            -thousandths
        } else {
            thousandths
        }))
    }

    fn string(&mut self) -> Result<BareItem, ParseError> {
        self.position += 1;
        let mut value = String::new();
        loop {
            match self.peek() {
                None => return Err(self.error("string is missing its closing `\"`")),
                Some(b'"') => {
                    self.position += 1;
                    return Ok(BareItem::String(value));
                }
                Some(b'\\') => {
                    self.position += 1;
                    match self.peek() {
                        Some(c @ (b'"' | b'\\')) => {
                            value.push(c as char);
                            self.position += 1;
                        }
                        _ => {
                            return Err(
                                self.error("only `\\\"` and `\\\\` are valid string escapes")
                            )
                        }
                    }
                }
                Some(c) if (0x20..=0x7e).contains(&c) => {
                    value.push(c as char);
                    self.position += 1;
                }
                Some(_) => return Err(self.error("strings contain printable ASCII only")),
            }
        }
    }

    fn token(&mut self) -> BareItem {
        let start = self.position;
        self.position += 1;
        while let Some(c) = self.peek() {
            if is_tchar(c) || c == b':' || c == b'/' {
                self.position += 1;
            } else {
                break;
            }
        }
        BareItem::Token(self.input[start..self.position].to_string())
    }

    fn byte_sequence(&mut self) -> Result<BareItem, ParseError> {
        self.position += 1;
        let start = self.position;
        while let Some(c) = self.peek() {
            if c == b':' {
                break;
            }
            if !(c.is_ascii_alphanumeric() || c == b'+' || c == b'/' || c == b'=') {
                return Err(self.error("byte sequences contain base64 characters only"));
            }
            self.position += 1;
        }
        if self.peek() != Some(b':') {
            return Err(self.error("byte sequence is missing its closing `:`"));
        }
        let encoded = &self.input[start..self.position];
        let bytes = LENIENT_BASE64
            .decode(encoded)
            .map_err(|e| self.error(format!("byte sequence is not valid base64 ({e})")))?;
        self.position += 1;
        Ok(BareItem::ByteSequence(bytes))
    }

    fn boolean(&mut self) -> Result<BareItem, ParseError> {
        self.position += 1;
        let value = match self.peek() {
            Some(b'1') => true,
            Some(b'0') => false,
            _ => return Err(self.error("a boolean is `?1` or `?0`")),
        };
        self.position += 1;
        Ok(BareItem::Boolean(value))
    }
}

/// Token characters of RFC 9110 5.6.2.
fn is_tchar(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dictionary_round_trips_canonically() {
        let parsed = parse_dictionary("  a=1,    b=2;x=1;y=2,   c=(a   b   c)").unwrap();
        assert_eq!(parsed.serialize(), "a=1, b=2;x=1;y=2, c=(a b c)");
    }

    #[test]
    fn dictionary_true_member_has_no_value() {
        let parsed = parse_dictionary("a, b=?1;p, c=?0").unwrap();
        assert_eq!(parsed.serialize(), "a, b;p, c=?0");
    }

    #[test]
    fn list_of_mixed_members() {
        let parsed = parse_list("\"x\\\"y\", tok/en;q=0.5, :AQID:, (1 -2.25);z, ?0").unwrap();
        assert_eq!(parsed.len(), 5);
        assert_eq!(
            serialize_list(&parsed),
            "\"x\\\"y\", tok/en;q=0.5, :AQID:, (1 -2.25);z, ?0"
        );
    }

    #[test]
    fn decimal_drops_trailing_zeros() {
        let item = parse_item("1.500").unwrap();
        assert_eq!(item.bare, BareItem::Decimal(1500));
        assert_eq!(item.serialize(), "1.5");
        assert_eq!(parse_item("-0.05").unwrap().serialize(), "-0.05");
    }

    #[test]
    fn byte_sequence_without_padding_is_accepted() {
        let item = parse_item(":AQI:").unwrap();
        assert_eq!(item.bare, BareItem::ByteSequence(vec![1, 2]));
        assert_eq!(item.serialize(), ":AQI=:");
    }

    #[test]
    fn invalid_values_name_their_position() {
        let cases = [
            ("a=1,", "trailing `,`"),
            ("a=(1 2", "closing `)`"),
            ("A=1", "lowercase letter"),
            ("a=\"x", "closing `\"`"),
            ("a=1234567890123456", "15 digits"),
            ("a=1.2345", "1 to 3 fractional digits"),
            ("a=:ab$:", "base64 characters"),
            ("a=?2", "`?1` or `?0`"),
            ("a=1 b=2", "expected `,`"),
        ];
        for (input, expected) in cases {
            let error = parse_dictionary(input).unwrap_err();
            assert!(error.to_string().contains(expected), "{input}: {error}");
        }
    }

    #[test]
    fn key_validity() {
        assert!(is_valid_key("sig1"));
        assert!(is_valid_key("*a.b-c_d"));
        assert!(!is_valid_key("Sig1"));
        assert!(!is_valid_key("1sig"));
        assert!(!is_valid_key(""));
    }
}
