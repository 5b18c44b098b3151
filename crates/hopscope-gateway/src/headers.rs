//! Header handling of a forwarding intermediary: hop-by-hop removal
//! (RFC 9110, section 7.6.1), `Forwarded` (RFC 7239), `Via` (RFC 9110,
//! section 7.6.3), and header lists for records.

use std::net::SocketAddr;

use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::Version;
use sha2::{Digest, Sha256};

/// Headers that describe one connection and never cross a hop. `Proxy-*`
/// headers are matched by prefix in `remove_hop_by_hop`.
const HOP_BY_HOP: [HeaderName; 6] = [
    header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
];

/// Removes the hop-by-hop headers: `Connection` and every header it names,
/// `Keep-Alive`, `Proxy-*`, `TE`, `Trailer`, `Transfer-Encoding` and
/// `Upgrade`. Everything else, `Authorization` included, stays.
pub(crate) fn remove_hop_by_hop(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|token| HeaderName::from_bytes(token.trim().as_bytes()).ok())
        .collect();
    for name in named.iter().chain(HOP_BY_HOP.iter()) {
        headers.remove(name);
    }
    let proxy: Vec<HeaderName> = headers
        .keys()
        .filter(|name| name.as_str().starts_with("proxy-"))
        .cloned()
        .collect();
    for name in proxy {
        headers.remove(name);
    }
}

/// Appends a `Forwarded` element for this hop (RFC 7239): the client's
/// address, the protocol and the host it asked for.
pub(crate) fn append_forwarded(headers: &mut HeaderMap, client: SocketAddr, host: &str) {
    let for_node = match client {
        SocketAddr::V4(v4) => format!("\"{v4}\""),
        SocketAddr::V6(v6) => format!("\"[{}]:{}\"", v6.ip(), v6.port()),
    };
    let element = format!("for={for_node};proto=https;host=\"{host}\"");
    if let Ok(value) = HeaderValue::from_str(&element) {
        headers.append(header::FORWARDED, value);
    }
}

/// Appends this hop to `Via`, with the protocol version of the message it
/// received (`1.1 int-one`, `2 int-one`).
pub(crate) fn append_via(headers: &mut HeaderMap, version: Version, hop: &str) {
    let protocol = match version {
        Version::HTTP_2 => "2",
        Version::HTTP_3 => "3",
        Version::HTTP_10 => "1.0",
        _ => "1.1",
    };
    if let Ok(value) = HeaderValue::from_str(&format!("{protocol} {hop}")) {
        headers.append(header::VIA, value);
    }
}

/// Lists headers for a record in their order, with credentials replaced by
/// `sha256:<hex>` of their value so a record can show that a token passed
/// unchanged without containing it.
pub fn record_headers(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            let shown = if is_credential(name) {
                format!("sha256:{}", hex::encode(Sha256::digest(value.as_bytes())))
            } else {
                String::from_utf8_lossy(value.as_bytes()).into_owned()
            };
            (name.as_str().to_string(), shown)
        })
        .collect()
}

fn is_credential(name: &HeaderName) -> bool {
    name == header::AUTHORIZATION || name == header::PROXY_AUTHORIZATION
}

/// Returns the value of a header as text, if present and visible ASCII.
pub(crate) fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hop_by_hop_headers_are_removed() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONNECTION,
            HeaderValue::from_static("keep-alive, x-private"),
        );
        headers.insert("x-private", HeaderValue::from_static("1"));
        headers.insert("keep-alive", HeaderValue::from_static("timeout=5"));
        headers.insert(
            header::TRANSFER_ENCODING,
            HeaderValue::from_static("chunked"),
        );
        headers.insert(header::TE, HeaderValue::from_static("trailers"));
        headers.insert(header::TRAILER, HeaderValue::from_static("x-checksum"));
        headers.insert(header::UPGRADE, HeaderValue::from_static("h2c"));
        headers.insert("proxy-connection", HeaderValue::from_static("keep-alive"));
        headers.insert(
            header::PROXY_AUTHORIZATION,
            HeaderValue::from_static("Basic eA=="),
        );
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer abc"),
        );
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/fhir+json"),
        );
        headers.insert(header::VIA, HeaderValue::from_static("1.1 earlier"));

        remove_hop_by_hop(&mut headers);

        let mut left: Vec<&str> = headers.keys().map(|k| k.as_str()).collect();
        left.sort();
        assert_eq!(left, ["authorization", "content-type", "via"]);
        assert_eq!(headers[header::AUTHORIZATION], "Bearer abc");
    }

    #[test]
    fn authorization_is_recorded_as_digest() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer secret-token"),
        );
        let recorded = record_headers(&headers);
        let expected = format!(
            "sha256:{}",
            hex::encode(Sha256::digest(b"Bearer secret-token"))
        );
        assert_eq!(recorded, vec![("authorization".to_string(), expected)]);
    }

    #[test]
    fn forwarded_and_via_append() {
        let mut headers = HeaderMap::new();
        headers.insert(header::VIA, HeaderValue::from_static("1.1 first"));
        append_via(&mut headers, Version::HTTP_2, "int-one");
        append_forwarded(
            &mut headers,
            "127.0.0.1:5000".parse().unwrap(),
            "fhir.int-one.test",
        );
        let via: Vec<&str> = headers
            .get_all(header::VIA)
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect();
        assert_eq!(via, ["1.1 first", "2 int-one"]);
        assert_eq!(
            headers[header::FORWARDED],
            "for=\"127.0.0.1:5000\";proto=https;host=\"fhir.int-one.test\""
        );
    }
}
