//! The `@query-param` derived component (RFC 9421 2.2.8).

use super::components::{ComponentError, ComponentId};
use super::RequestTarget;
use crate::sf::BareItem;

/// Returns the value of one query parameter (RFC 9421 2.2.8): the query is
/// decoded as application/x-www-form-urlencoded, then names and values are
/// percent-encoded again so that the base has one spelling for each.
pub(super) fn query_param_value(
    request: &RequestTarget,
    id: &ComponentId,
) -> Result<String, ComponentError> {
    let Some(BareItem::String(name)) = id.params().get("name") else {
        return Err(id.invalid("@query-param needs a string `name` parameter"));
    };
    let query = request.query.as_deref().unwrap_or("");
    let values: Vec<String> = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .filter_map(|pair| {
            let (raw_name, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
            let decoded_name = percent_encode(&form_decode(raw_name));
            (decoded_name == *name).then(|| percent_encode(&form_decode(raw_value)))
        })
        .collect();
    match values.len() {
        0 => Err(id.missing(format!("the query `?{query}` has no parameter named {name}"))),
        1 => Ok(values.into_iter().next().unwrap_or_default()),
        count => Err(id.invalid(format!(
            "query parameter {name} occurs {count} times, and RFC 9421 forbids signing a repeated parameter; cover @query instead"
        ))),
    }
}

/// Decodes application/x-www-form-urlencoded: `+` is a space and `%XX` a
/// byte. A `%` without two hex digits stays as it is, as WHATWG URL does.
fn form_decode(input: &str) -> Vec<u8> {
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'+' => out.push(b' '),
            b'%' if index + 2 < bytes.len() => match hex_pair(bytes[index + 1], bytes[index + 2]) {
                Some(byte) => {
                    out.push(byte);
                    index += 2;
                }
                None => out.push(b'%'),
            },
            byte => out.push(byte),
        }
        index += 1;
    }
    out
}

fn hex_pair(high: u8, low: u8) -> Option<u8> {
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    Some(digit(high)? * 16 + digit(low)?)
}

/// Percent-encodes with the WHATWG application/x-www-form-urlencoded
/// percent-encode set, but writes a space as `%20` rather than `+`:
/// everything except ASCII alphanumerics and `*-._` is encoded.
pub(super) fn percent_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &byte in bytes {
        if byte.is_ascii_alphanumeric() || b"*-._".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}
