//! The RFC 8941 section 4.2 parsing algorithms.

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;

use super::{BareItem, Dictionary, InnerList, Item, Member, Parameters, ParseError};

/// Base64 for byte sequences: RFC 8941 4.2.7 lets parsers accept a missing
/// padding, and serialisation always pads.
const LENIENT_BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Largest magnitude of an Integer (15 decimal digits).
const MAX_INTEGER: i64 = 999_999_999_999_999;

pub(super) struct Parser<'a> {
    input: &'a str,
    bytes: &'a [u8],
    position: usize,
}

impl<'a> Parser<'a> {
    pub(super) fn new(input: &'a str) -> Self {
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

    pub(super) fn top_level<T>(
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

    pub(super) fn list(&mut self) -> Result<Vec<Member>, ParseError> {
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

    pub(super) fn dictionary(&mut self) -> Result<Dictionary, ParseError> {
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

    pub(super) fn item(&mut self) -> Result<Item, ParseError> {
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
