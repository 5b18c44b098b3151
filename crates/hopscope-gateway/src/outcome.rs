//! Responses the intermediary makes itself: a FHIR `OperationOutcome` that
//! names the hop, for the errors where it stops routing.

use bytes::Bytes;
use http::header::{HeaderValue, CONTENT_TYPE};
use http::{Response, StatusCode};
use http_body_util::{BodyExt, Full};
use serde_json::json;

use crate::body::ProxyBody;

/// Reason the intermediary responds itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GatewayError {
    /// 404: no route matches the host and path.
    NoRoute,
    /// 502: the next hop cannot be reached, its TLS handshake fails, or it
    /// returns something that is not HTTP.
    BadGateway,
    /// 504: the next hop does not respond in time.
    Timeout,
    /// 500: the gateway's own fault.
    Internal,
    /// A status set by the status fault.
    FaultStatus(StatusCode),
}

impl GatewayError {
    pub(crate) fn status(self) -> StatusCode {
        match self {
            Self::NoRoute => StatusCode::NOT_FOUND,
            Self::BadGateway => StatusCode::BAD_GATEWAY,
            Self::Timeout => StatusCode::GATEWAY_TIMEOUT,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Self::FaultStatus(status) => status,
        }
    }

    /// FHIR `IssueType` code (http://hl7.org/fhir/valueset-issue-type.html).
    fn issue_code(self) -> &'static str {
        match self {
            Self::NoRoute => "not-found",
            Self::BadGateway => "transient",
            Self::Timeout => "timeout",
            Self::Internal => "exception",
            Self::FaultStatus(_) => "transient",
        }
    }
}

/// Builds the `OperationOutcome` JSON for `error` at `hop`.
pub(crate) fn outcome_json(error: GatewayError, hop: &str, diagnostics: &str) -> String {
    let status = error.status();
    json!({
        "resourceType": "OperationOutcome",
        "issue": [{
            "severity": "error",
            "code": error.issue_code(),
            "details": {
                "text": format!(
                    "intermediary {hop} answered {} {}",
                    status.as_u16(),
                    status.canonical_reason().unwrap_or("")
                )
            },
            "diagnostics": format!("{hop}: {diagnostics}"),
        }]
    })
    .to_string()
}

/// Builds the response for `error` at `hop`, with an `application/fhir+json`
/// `OperationOutcome` body.
pub(crate) fn outcome_response(
    error: GatewayError,
    hop: &str,
    diagnostics: &str,
) -> Response<ProxyBody> {
    let body = Full::new(Bytes::from(outcome_json(error, hop, diagnostics)))
        .map_err(|never| match never {})
        .boxed_unsync();
    let mut response = Response::new(body);
    *response.status_mut() = error.status();
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/fhir+json"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcome_names_hop_and_issue_code() {
        let text = outcome_json(GatewayError::Timeout, "int-two", "next hop timed out");
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["resourceType"], "OperationOutcome");
        assert_eq!(value["issue"][0]["code"], "timeout");
        assert_eq!(
            value["issue"][0]["diagnostics"],
            "int-two: next hop timed out"
        );
        assert_eq!(
            value["issue"][0]["details"]["text"],
            "intermediary int-two answered 504 Gateway Timeout"
        );
    }
}
