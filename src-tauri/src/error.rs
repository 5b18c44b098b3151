//! The error every command returns to the UI: a stable `code` the UI can
//! branch on and the service's `message`, which names the value and the fix.

use hopscope_workspace::Error;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct CommandError {
    /// Kebab-case kind, such as `wrong-passphrase`, `invalid-url`, `io`.
    pub code: &'static str,
    pub message: String,
}

impl CommandError {
    pub fn not_open() -> CommandError {
        CommandError {
            code: "not-open",
            message: "no workspace is open; create one or unlock it first".to_owned(),
        }
    }

    pub fn io(action: &str, path: &std::path::Path, err: std::io::Error) -> CommandError {
        CommandError { code: "io", message: format!("{action} {} failed: {err}", path.display()) }
    }

    pub fn invalid(message: String) -> CommandError {
        CommandError { code: "invalid", message }
    }

    pub fn gateway_stopped() -> CommandError {
        CommandError { code: "gateway-stopped", message: "the gateway is not running; start it first".to_owned() }
    }
}

impl From<Error> for CommandError {
    fn from(err: Error) -> CommandError {
        let code = match &err {
            Error::WrongPassphrase { .. } => "wrong-passphrase",
            Error::Locked => "locked",
            Error::NotFound { .. } => "not-found",
            Error::Duplicate(_) => "duplicate",
            Error::AuthorityWithoutKey(_) => "authority-without-key",
            Error::NotAnAuthority(_) => "not-an-authority",
            Error::CredentialWithoutKey(_) => "credential-without-key",
            Error::Invalid(_) => "invalid",
            Error::Pki(pki) => pki_code(pki),
            Error::Trust(trust) => trust_code(trust),
            Error::Store(_) => "store",
            Error::Gateway(_) => "gateway",
            Error::Io { .. } => "io",
            _ => "internal",
        };
        CommandError { code, message: err.to_string() }
    }
}

fn pki_code(err: &hopscope_pki::Error) -> &'static str {
    use hopscope_pki::Error as Pki;
    match err {
        Pki::InvalidUrl { .. } => "invalid-url",
        Pki::UnknownKeyType(_) => "unknown-key-type",
        Pki::UnknownRole(_) => "unknown-role",
        Pki::InvalidDuration(_) => "invalid-duration",
        Pki::Malformed { .. } => "malformed",
        Pki::WrongPassword { .. } => "wrong-password",
        Pki::KeyMismatch { .. } => "key-mismatch",
        Pki::Unsupported(_) => "unsupported",
        Pki::Signing(_) => "signing",
        _ => "pki",
    }
}

fn trust_code(err: &hopscope_trust::Error) -> &'static str {
    use hopscope_trust::Error as Trust;
    match err {
        Trust::InvalidCertificate { .. } => "invalid-certificate",
        Trust::Duplicate { .. } => "duplicate",
        Trust::EntryNotFound { .. } => "not-found",
        Trust::InvalidSha256 { .. } => "invalid-sha256",
        Trust::InvalidSanUri(_) => "invalid-uri",
        Trust::InvalidJson(_) => "invalid-json",
        Trust::InvalidPem(_) => "invalid-pem",
        Trust::UnrecognisedInput(_) => "unrecognised-input",
        _ => "trust",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrong_passphrase_code_and_message() {
        let err = CommandError::from(Error::WrongPassphrase { path: "/tmp/w.db".into() });
        assert_eq!(err.code, "wrong-passphrase");
        assert!(err.message.contains("/tmp/w.db"), "{}", err.message);
    }

    #[test]
    fn invalid_url_keeps_pki_code() {
        let pki = hopscope_pki::Error::InvalidUrl { url: "http://x.test".into(), reason: "use https".into() };
        let err = CommandError::from(Error::Pki(pki));
        assert_eq!(err.code, "invalid-url");
        assert!(err.message.contains("http://x.test"), "{}", err.message);
    }

    #[test]
    fn trust_errors_keep_their_code() {
        let trust = hopscope_trust::Error::InvalidSanUri("clinic-a".into());
        let err = CommandError::from(Error::Trust(trust));
        assert_eq!(err.code, "invalid-uri");
        assert!(err.message.contains("clinic-a"), "{}", err.message);
    }

    #[test]
    fn serializes_as_code_and_message() {
        let json = serde_json::to_value(CommandError::not_open()).unwrap();
        assert_eq!(json["code"], "not-open");
        assert!(json["message"].as_str().unwrap().contains("unlock"));
    }
}
