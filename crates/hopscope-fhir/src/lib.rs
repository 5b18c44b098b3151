//! In-memory FHIR R4 test server logic, independent of transport, TLS and
//! authorization.
//!
//! A destination simulator serves FHIR behind the destination's private URL
//! but writes only its public URL, the one originators use, into every URL
//! of a response. [`FhirServer::handle`] takes one request with a path
//! relative to the FHIR base and returns the response. The wrapper around it
//! does TLS, UDAP authorization and response signing.
//!
//! ```
//! use hopscope_fhir::{FhirConfig, FhirRequest, FhirServer};
//!
//! let config = FhirConfig::new(
//!     "https://fhir.int-one.test:8443/d-corp".parse().unwrap(),
//!     "https://d-corp.internal.test:9443/fhir".parse().unwrap(),
//! );
//! let server = FhirServer::new(config);
//! let response = server.handle(FhirRequest::get("/Patient?family=Smith&_count=5"));
//! assert_eq!(response.status, 200);
//! let bundle = response.json_body().unwrap();
//! assert_eq!(bundle["type"], "searchset");
//! ```

mod capability;
mod date_range;
mod export;
mod outcome;
mod request;
mod sample;
mod search;
mod search_params;
mod server;
mod store;
mod time_format;

use std::time::Duration;

pub use outcome::{operation_outcome, FhirError};
pub use request::{FhirRequest, FhirResponse, FHIR_JSON, FHIR_NDJSON};
pub use sample::{LOINC_SYSTEM, MRN_SYSTEM, NPI_SYSTEM, PATIENT_COUNT, PAYER_ID_SYSTEM};
pub use search::{DEFAULT_COUNT, MAX_COUNT};
pub use server::FhirServer;
pub use store::{is_valid_id, supported_type, RESOURCE_TYPES};

/// Configuration of one simulated FHIR server.
#[derive(Debug, Clone)]
pub struct FhirConfig {
    /// Base URL that originators use, such as
    /// `https://fhir.int-one.test:8443/d-corp`. Every URL the server writes
    /// starts with it.
    pub public_base: url::Url,
    /// Base URL where the server actually listens, such as
    /// `https://d-corp.internal.test:9443/fhir`. The server writes it only
    /// while the leak-private-URL misbehaviour is on.
    pub private_base: url::Url,
    /// Seed of the sample data. The same seed gives the same resources.
    pub seed: u64,
    /// Time a bulk export job stays in progress after kick-off.
    pub export_delay: Duration,
}

impl FhirConfig {
    /// Builds a configuration with seed 0 and a 1 s export delay.
    pub fn new(public_base: url::Url, private_base: url::Url) -> Self {
        Self {
            public_base,
            private_base,
            seed: 0,
            export_delay: Duration::from_secs(1),
        }
    }

    /// Returns the part of a request path below the private or the public
    /// base path, such as `/Patient/1` for `/fhir/Patient/1` under
    /// `https://d-corp.internal.test:9443/fhir`, or `None` when the path is
    /// under neither. The wrapper passes the result to [`FhirServer::handle`].
    pub fn relative_path<'a>(&self, request_path: &'a str) -> Option<&'a str> {
        [&self.private_base, &self.public_base]
            .into_iter()
            .find_map(|base| {
                let base_path = base.path().trim_end_matches('/');
                let rest = request_path.strip_prefix(base_path)?;
                (rest.is_empty() || rest.starts_with('/')).then_some(rest)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_path_under_either_base() {
        let config = FhirConfig::new(
            "https://fhir.int-one.test:8443/d-corp".parse().unwrap(),
            "https://d-corp.internal.test:9443/fhir/".parse().unwrap(),
        );
        assert_eq!(config.relative_path("/fhir/Patient/1"), Some("/Patient/1"));
        assert_eq!(config.relative_path("/d-corp/metadata"), Some("/metadata"));
        assert_eq!(config.relative_path("/fhir"), Some(""));
        assert_eq!(config.relative_path("/fhirx/Patient"), None);
        assert_eq!(config.relative_path("/other"), None);
    }

    #[test]
    fn server_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync + Clone + 'static>() {}
        assert_send_sync::<FhirServer>();
    }

    #[test]
    fn relative_path_with_root_base() {
        let config = FhirConfig::new(
            "https://fhir.int-one.test/".parse().unwrap(),
            "https://d-corp.internal.test/".parse().unwrap(),
        );
        assert_eq!(config.relative_path("/Patient"), Some("/Patient"));
    }
}
