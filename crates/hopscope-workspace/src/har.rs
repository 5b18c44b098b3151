//! HAR 1.2 export of stored exchanges (http://www.softwareishard.com/blog/har-12-spec/).
//!
//! Each exchange is one entry seen from its outermost hop, the one the
//! originator talked to. Every hop record goes in the custom `_hopscope`
//! field, as the format allows for fields starting with an underscore.
//! Captured bodies go in `content.text` and `postData.text`: as text when
//! they are UTF-8, else in base64 (`content.encoding`, and the custom
//! `postData._encoding`, since HAR 1.2 defines no encoding for `postData`).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hopscope_gateway::{BodyRecord, ExchangeRecord, RequestRecord, ResponseRecord};
use serde_json::{json, Map, Value};

use crate::trace::{format_unix_ms, ExchangeDetail};
use crate::{Result, Workspace};

impl Workspace {
    /// Builds a HAR 1.2 log of the newest `limit` exchanges, oldest first.
    pub async fn har(&self, limit: u32) -> Result<Value> {
        let mut details = self.exchange_details(limit).await?;
        details.reverse();
        Ok(har_log(&details))
    }
}

/// Builds the HAR document of `exchanges`, in the order given.
pub fn har_log(exchanges: &[ExchangeDetail]) -> Value {
    let entries: Vec<Value> = exchanges.iter().filter_map(entry).collect();
    json!({
        "log": {
            "version": "1.2",
            "creator": { "name": "Hopscope", "version": env!("CARGO_PKG_VERSION") },
            "entries": entries,
        }
    })
}

fn entry(exchange: &ExchangeDetail) -> Option<Value> {
    let first = exchange.records.first()?;
    let total = first.timings.total_ms.max(0.0);
    // Only the time to the response head and the time after it are known
    // from the originator's side, so the rest of the phases are 0 or -1
    // (not applicable), and `time` stays the sum of the phases.
    let wait = first.timings.first_byte_ms.unwrap_or(total).clamp(0.0, total);
    Some(json!({
        "startedDateTime": format_unix_ms(i64::try_from(first.started_at_unix_ms).unwrap_or(i64::MAX)),
        "time": total,
        "request": request(first),
        "response": response(first),
        "cache": {},
        "timings": {
            "blocked": -1,
            "dns": -1,
            "connect": -1,
            "ssl": -1,
            "send": 0,
            "wait": wait,
            "receive": total - wait,
        },
        "connection": first.client_address,
        "_hopscope": {
            "exchange_id": exchange.summary.exchange_id,
            "hops": exchange.records,
        },
    }))
}

fn request(record: &ExchangeRecord) -> Value {
    let RequestRecord { method, target, authority, headers, body } = &record.request;
    // Records written before the authority was recorded have none; on
    // HTTP/2 they also lack a Host header, so the port is lost for them.
    let authority = Some(authority.clone())
        .filter(|a| !a.is_empty())
        .or_else(|| header(headers, "host").map(str::to_string))
        .or_else(|| record.inbound_tls.sni.clone())
        .or_else(|| record.route.as_ref().map(|r| r.host.clone()))
        .unwrap_or_default();
    // The originator simulator records the whole URL it requested; a hop
    // records the path and query it received.
    let url = if target.starts_with("https://") || target.starts_with("http://") {
        target.clone()
    } else {
        format!("https://{authority}{target}")
    };
    let mut value = json!({
        "method": method,
        "url": url,
        "httpVersion": record.http_version,
        "cookies": [],
        "headers": name_values(headers),
        "queryString": query_string(target),
        "headersSize": -1,
        "bodySize": body.size,
        "comment": body_comment(body),
    });
    if let Some(captured) = body.captured.as_ref().filter(|_| body.size > 0) {
        let mut post_data = Map::new();
        post_data.insert("mimeType".into(), header(headers, "content-type").unwrap_or("application/octet-stream").into());
        post_data.insert("params".into(), json!([]));
        insert_text(&mut post_data, captured, "_encoding");
        value["postData"] = Value::Object(post_data);
    }
    value
}

/// Puts `captured` into `object` as `text`: UTF-8 as it is, anything else in
/// base64 with `encoding_field` set to `base64`.
fn insert_text(object: &mut Map<String, Value>, captured: &[u8], encoding_field: &str) {
    match std::str::from_utf8(captured) {
        Ok(text) => {
            object.insert("text".into(), text.into());
        }
        Err(_) => {
            object.insert("text".into(), STANDARD.encode(captured).into());
            object.insert(encoding_field.into(), "base64".into());
        }
    }
}

fn response(record: &ExchangeRecord) -> Value {
    let Some(ResponseRecord { status, headers, body, .. }) = &record.response else {
        // A dropped connection has no response; HAR tools show status 0 as
        // "no response".
        return json!({
            "status": 0,
            "statusText": "",
            "httpVersion": record.http_version,
            "cookies": [],
            "headers": [],
            "content": { "size": 0, "mimeType": "x-unknown" },
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": -1,
            "comment": record.error.clone().unwrap_or_else(|| "the hop closed the connection without a response".into()),
        });
    };
    let reason = http::StatusCode::from_u16(*status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("");
    let mut content = Map::new();
    content.insert("size".into(), body.size.into());
    content.insert("mimeType".into(), header(headers, "content-type").unwrap_or("x-unknown").into());
    if let Some(captured) = &body.captured {
        insert_text(&mut content, captured, "encoding");
    }
    content.insert("comment".into(), body_comment(body).into());
    json!({
        "status": status,
        "statusText": reason,
        "httpVersion": record.http_version,
        "cookies": [],
        "headers": name_values(headers),
        "content": content,
        "redirectURL": header(headers, "location").unwrap_or(""),
        "headersSize": -1,
        "bodySize": body.size,
    })
}

/// Describes how much of the body `text` holds, and its digest.
fn body_comment(body: &BodyRecord) -> String {
    let digest = match &body.sha256 {
        Some(digest) => format!("sha256 {digest}"),
        None => "incomplete".into(),
    };
    match &body.captured {
        None => format!("body not captured; {digest}"),
        Some(captured) if body.truncated => {
            format!("first {} of {} bytes captured; {digest}", captured.len(), body.size)
        }
        Some(_) => format!("body captured; {digest}"),
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn name_values(headers: &[(String, String)]) -> Vec<Value> {
    headers
        .iter()
        .map(|(name, value)| json!({ "name": name, "value": value }))
        .collect()
}

/// Splits the query of `target` into name/value pairs as sent.
// NOTE: names and values stay percent-encoded; HAR readers differ on whether
// they expect them decoded.
fn query_string(target: &str) -> Vec<Value> {
    let Some((_, query)) = target.split_once('?') else {
        return Vec::new();
    };
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            json!({ "name": name, "value": value })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::ExchangeSummary;
    use hopscope_gateway::BodyRecord;

    fn exchange() -> ExchangeDetail {
        let mut record = ExchangeRecord {
            exchange_id: "x1".into(),
            hop: "int-one".into(),
            started_at_unix_ms: 1_700_000_000_123,
            http_version: "HTTP/1.1".into(),
            ..Default::default()
        };
        record.request.method = "GET".into();
        record.request.target = "/d-corp/Patient?name=Chalmers&_count=1".into();
        record.request.headers = vec![("host".into(), "fhir.int-one.test:8443".into())];
        record.response = Some(ResponseRecord {
            status: 200,
            headers: vec![("content-type".into(), "application/fhir+json".into())],
            body: BodyRecord {
                size: 10,
                sha256: Some("ab".into()),
                complete: true,
                ..Default::default()
            },
            ..Default::default()
        });
        record.timings.first_byte_ms = Some(3.0);
        record.timings.total_ms = 5.0;
        ExchangeDetail {
            summary: ExchangeSummary {
                exchange_id: "x1".into(),
                started_at: String::new(),
                method: "GET".into(),
                target: record.request.target.clone(),
                status: Some(200),
                duration_ms: 5.0,
                hops: Vec::new(),
            },
            records: vec![record],
        }
    }

    #[test]
    fn entry_has_request_url_and_timings() {
        let har = har_log(&[exchange()]);
        let entry = &har["log"]["entries"][0];

        assert_eq!(har["log"]["version"], "1.2");
        assert_eq!(entry["startedDateTime"], "2023-11-14T22:13:20.123Z");
        assert_eq!(entry["request"]["url"], "https://fhir.int-one.test:8443/d-corp/Patient?name=Chalmers&_count=1");
        assert_eq!(entry["request"]["queryString"][1]["name"], "_count");
        assert_eq!(entry["response"]["statusText"], "OK");
        assert_eq!(entry["response"]["content"]["mimeType"], "application/fhir+json");
        assert_eq!(entry["timings"]["wait"], 3.0);
        assert_eq!(entry["timings"]["receive"], 2.0);
        assert_eq!(entry["time"], 5.0);
        assert_eq!(entry["_hopscope"]["hops"][0]["hop"], "int-one");
        assert!(entry["response"]["content"].get("text").is_none(), "nothing captured");
    }

    #[test]
    fn http2_url_keeps_port() {
        let mut exchange = exchange();
        let record = &mut exchange.records[0];
        record.http_version = "HTTP/2".into();
        record.request.headers.clear();
        record.request.authority = "fhir.int-one.test:8443".into();
        record.inbound_tls.sni = Some("fhir.int-one.test".into());

        let har = har_log(&[exchange]);

        assert_eq!(har["log"]["entries"][0]["request"]["url"], "https://fhir.int-one.test:8443/d-corp/Patient?name=Chalmers&_count=1");
    }

    #[test]
    fn originator_record_keeps_whole_url() {
        let mut exchange = exchange();
        let record = &mut exchange.records[0];
        record.hop = "clinic-a".into();
        record.request.target = "https://fhir.int-one.test:8443/d-corp/metadata".into();
        record.request.headers.clear();

        let har = har_log(&[exchange]);

        assert_eq!(har["log"]["entries"][0]["request"]["url"], "https://fhir.int-one.test:8443/d-corp/metadata");
    }

    #[test]
    fn captured_bodies_become_text() {
        let mut exchange = exchange();
        let record = &mut exchange.records[0];
        record.request.method = "POST".into();
        record.request.headers.push(("content-type".into(), "application/fhir+json".into()));
        record.request.body = BodyRecord {
            size: 2,
            sha256: Some("cd".into()),
            complete: true,
            captured: Some(bytes::Bytes::from_static(b"{}")),
            truncated: false,
        };
        let response = record.response.as_mut().unwrap();
        response.headers = vec![("content-type".into(), "application/octet-stream".into())];
        response.body.captured = Some(bytes::Bytes::from_static(&[0xff, 0x00, 0x01]));
        response.body.truncated = true;

        let har = har_log(&[exchange]);
        let entry = &har["log"]["entries"][0];

        assert_eq!(entry["request"]["postData"]["text"], "{}");
        assert_eq!(entry["request"]["postData"]["mimeType"], "application/fhir+json");
        assert!(entry["request"]["postData"].get("_encoding").is_none());
        let content = &entry["response"]["content"];
        assert_eq!(content["text"], "/wAB");
        assert_eq!(content["encoding"], "base64");
        assert_eq!(content["comment"], "first 3 of 10 bytes captured; sha256 ab");
    }
}
