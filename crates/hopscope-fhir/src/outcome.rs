//! `OperationOutcome` resources and the errors that the server reports with them.

use http::StatusCode;
use serde_json::{json, Value};

/// Builds an R4 `OperationOutcome` with one issue.
///
/// `severity` is one of `fatal`, `error`, `warning` or `information`, and `code`
/// is an issue type from the FHIR `issue-type` value set (`invalid`, `not-found`,
/// `not-supported`, `login`, `forbidden`, …). The transport wrapper reuses it for
/// its own 401 and 403 responses.
pub fn operation_outcome(severity: &str, code: &str, diagnostics: &str) -> Value {
    json!({
        "resourceType": "OperationOutcome",
        "issue": [{
            "severity": severity,
            "code": code,
            "diagnostics": diagnostics,
        }],
    })
}

/// A request that the server rejects. The `Display` text becomes the
/// `diagnostics` of the `OperationOutcome` in the response body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FhirError {
    /// 400 with issue type `invalid`: a malformed body, parameter or header.
    #[error("{0}")]
    Invalid(String),

    /// 400 with issue type `not-supported`: a valid FHIR request that this
    /// server does not implement.
    #[error("{0}")]
    NotSupported(String),

    /// 404 with issue type `not-found`.
    #[error("{0}")]
    NotFound(String),

    /// 405 with an `Allow` header listing `allow`.
    #[error("method {method} is not allowed on {path}; allowed: {allow}")]
    MethodNotAllowed {
        method: String,
        path: String,
        allow: &'static str,
    },

    /// 406: the client accepts no format that the server can write.
    #[error("{0}")]
    NotAcceptable(String),

    /// 412 with issue type `conflict`: an `If-Match` precondition failed.
    #[error("{0}")]
    PreconditionFailed(String),

    /// 415: the request body is in a format that the server cannot read.
    #[error("{0}")]
    UnsupportedMediaType(String),
}

impl FhirError {
    pub fn status(&self) -> StatusCode {
        match self {
            FhirError::Invalid(_) | FhirError::NotSupported(_) => StatusCode::BAD_REQUEST,
            FhirError::NotFound(_) => StatusCode::NOT_FOUND,
            FhirError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            FhirError::NotAcceptable(_) => StatusCode::NOT_ACCEPTABLE,
            FhirError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            FhirError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        }
    }

    /// Returns the FHIR `issue-type` code for the outcome.
    pub fn issue_code(&self) -> &'static str {
        match self {
            FhirError::Invalid(_) => "invalid",
            FhirError::NotFound(_) => "not-found",
            FhirError::PreconditionFailed(_) => "conflict",
            FhirError::NotSupported(_)
            | FhirError::MethodNotAllowed { .. }
            | FhirError::NotAcceptable(_)
            | FhirError::UnsupportedMediaType(_) => "not-supported",
        }
    }

    pub fn to_outcome(&self) -> Value {
        operation_outcome("error", self.issue_code(), &self.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcome_has_one_issue() {
        let outcome = operation_outcome("error", "login", "token expired");
        assert_eq!(outcome["resourceType"], "OperationOutcome");
        assert_eq!(outcome["issue"].as_array().map(Vec::len), Some(1));
        assert_eq!(outcome["issue"][0]["severity"], "error");
        assert_eq!(outcome["issue"][0]["code"], "login");
        assert_eq!(outcome["issue"][0]["diagnostics"], "token expired");
    }

    #[test]
    fn error_status_and_code() {
        let cases = [
            (FhirError::Invalid("x".into()), 400, "invalid"),
            (FhirError::NotSupported("x".into()), 400, "not-supported"),
            (FhirError::NotFound("x".into()), 404, "not-found"),
            (FhirError::NotAcceptable("x".into()), 406, "not-supported"),
            (FhirError::PreconditionFailed("x".into()), 412, "conflict"),
            (
                FhirError::UnsupportedMediaType("x".into()),
                415,
                "not-supported",
            ),
        ];
        for (error, status, code) in cases {
            assert_eq!(error.status().as_u16(), status, "{error:?}");
            assert_eq!(error.issue_code(), code, "{error:?}");
        }
    }

    #[test]
    fn method_not_allowed_names_allowed_methods() {
        let error = FhirError::MethodNotAllowed {
            method: "DELETE".into(),
            path: "/Patient/1".into(),
            allow: "GET, PUT",
        };
        assert_eq!(error.status().as_u16(), 405);
        assert_eq!(
            error.to_outcome()["issue"][0]["diagnostics"],
            "method DELETE is not allowed on /Patient/1; allowed: GET, PUT"
        );
    }
}
