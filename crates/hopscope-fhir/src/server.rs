//! The server: shared state, routing and the read, search, create and update
//! interactions.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

use http::header::{ETAG, LAST_MODIFIED, LOCATION};
use http::{Method, StatusCode};
use serde_json::Value;

use crate::export::{ExportJobs, ExportScope};
use crate::outcome::{operation_outcome, FhirError};
use crate::request::{
    check_json_accepted, check_json_body, parse_form, FhirRequest, FhirResponse, Prefer,
    ReturnPreference,
};
use crate::search::SearchQuery;
use crate::store::{is_valid_id, parse_resource, supported_type, version_of, Store};
use crate::time_format::{format_http_date, format_instant, now, parse_instant};
use crate::{capability, FhirConfig};

/// An in-memory FHIR R4 server. Cloning is cheap and shares the state, so
/// one server can handle requests from many threads at once.
#[derive(Clone)]
pub struct FhirServer {
    inner: Arc<Inner>,
}

struct Inner {
    config: FhirConfig,
    /// `public_base` and `private_base` as written, without a trailing slash.
    public_base: String,
    private_base: String,
    leak_private_url: AtomicBool,
    store: RwLock<Store>,
    exports: Mutex<ExportJobs>,
    /// Numbers the ids of search Bundles.
    bundle_counter: AtomicU64,
}

/// Endpoint of a percent-decoded request path.
enum Route {
    Base,
    Metadata,
    Type(&'static str),
    TypeSearch(&'static str),
    Instance(&'static str, String),
    History(&'static str, String),
    Version(&'static str, String, String),
    ExportKickOff(ExportScope),
    ExportStatus(String),
    ExportFile(String, String),
}

/// Per-request settings that every handler needs.
pub(crate) struct Context {
    /// Base of every URL written in the response, without a trailing slash.
    pub base: String,
    pub pretty: bool,
    pub prefer: Prefer,
    pub params: Vec<(String, String)>,
}

fn not_allowed(request: &FhirRequest, allow: &'static str) -> FhirError {
    FhirError::MethodNotAllowed {
        method: request.method.to_string(),
        path: request.path.clone(),
        allow,
    }
}

fn decode_segment(segment: &str) -> Result<String, FhirError> {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| {
            FhirError::NotFound(format!(
                "path segment {segment:?} is not valid percent-encoded UTF-8"
            ))
        })
}

/// Resolves the type segment of `path`, or fails with 404 naming the path.
fn resource_type(name: &str, path: &str) -> Result<&'static str, FhirError> {
    supported_type(name).ok_or_else(|| {
        let supported: Vec<&str> = crate::store::RESOURCE_TYPES
            .iter()
            .map(|(t, _)| *t)
            .collect();
        FhirError::NotFound(format!(
            "resource type {name} in {path} is not supported by this server; supported types: {}",
            supported.join(", ")
        ))
    })
}

fn route(path: &str) -> Result<Route, FhirError> {
    let trimmed = path.trim_start_matches('/').trim_end_matches('/');
    if trimmed.is_empty() {
        return Ok(Route::Base);
    }
    let segments = trimmed
        .split('/')
        .map(decode_segment)
        .collect::<Result<Vec<_>, _>>()?;
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let no_endpoint = || {
        FhirError::NotFound(format!(
            "no FHIR endpoint at {path}; see /metadata for what this server supports"
        ))
    };
    match segments.as_slice() {
        ["metadata"] => Ok(Route::Metadata),
        ["$export"] => Ok(Route::ExportKickOff(ExportScope::System)),
        ["$export-status", job] => Ok(Route::ExportStatus(job.to_string())),
        ["$export-file", job, file] => Ok(Route::ExportFile(job.to_string(), file.to_string())),
        ["Patient", "$export"] => Ok(Route::ExportKickOff(ExportScope::Patient)),
        ["Group", id, "$export"] => Ok(Route::ExportKickOff(ExportScope::Group(id.to_string()))),
        [name, "$export"] => Err(FhirError::NotSupported(format!(
            "{}/$export is not supported; export from /$export, /Patient/$export or /Group/<id>/$export",
            resource_type(name, path)?
        ))),
        [name] => Ok(Route::Type(resource_type(name, path)?)),
        [name, "_search"] => Ok(Route::TypeSearch(resource_type(name, path)?)),
        [name, id] => Ok(Route::Instance(resource_type(name, path)?, id.to_string())),
        [name, id, "_history"] => Ok(Route::History(resource_type(name, path)?, id.to_string())),
        [name, id, "_history", version] => Ok(Route::Version(resource_type(name, path)?, id.to_string(), version.to_string())),
        _ => Err(no_endpoint()),
    }
}

/// Sets `ETag` and `Last-Modified` from a stored resource's `meta`.
fn set_version_headers(response: &mut FhirResponse, resource: &Value) {
    if let Some(version) = version_of(resource) {
        response.set_header(ETAG, &format!("W/\"{version}\""));
    }
    if let Some(updated) = resource["meta"]["lastUpdated"]
        .as_str()
        .and_then(parse_instant)
    {
        response.set_header(LAST_MODIFIED, &format_http_date(updated));
    }
}

/// Parses an `If-Match` header: `W/"3"`, `"3"` or `3`.
fn parse_if_match(request: &FhirRequest) -> Result<Option<u64>, FhirError> {
    let Some(value) = request.headers.get(http::header::IF_MATCH) else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or("").trim();
    let version = text.strip_prefix("W/").unwrap_or(text).trim_matches('"');
    version.parse().map(Some).map_err(|_| {
        FhirError::Invalid(format!(
            "If-Match {text:?} is not a version ETag; send the ETag of a read, such as W/\"2\""
        ))
    })
}

impl FhirServer {
    /// Builds a server holding the sample data of `config.seed`.
    pub fn new(config: FhirConfig) -> Self {
        let public_base = config
            .public_base
            .as_str()
            .trim_end_matches('/')
            .to_string();
        let private_base = config
            .private_base
            .as_str()
            .trim_end_matches('/')
            .to_string();
        let store = Store::with_resources(crate::sample::generate(config.seed));
        let exports = ExportJobs::new(config.seed, config.export_delay);
        Self {
            inner: Arc::new(Inner {
                config,
                public_base,
                private_base,
                leak_private_url: AtomicBool::new(false),
                store: RwLock::new(store),
                exports: Mutex::new(exports),
                bundle_counter: AtomicU64::new(0),
            }),
        }
    }

    pub fn config(&self) -> &FhirConfig {
        &self.inner.config
    }

    /// Turns on or off a misbehaviour for tests: writing the private base
    /// URL, instead of the public one, in every URL of every response.
    pub fn set_leak_private_url(&self, on: bool) {
        self.inner.leak_private_url.store(on, Ordering::SeqCst);
    }

    pub fn leak_private_url(&self) -> bool {
        self.inner.leak_private_url.load(Ordering::SeqCst)
    }

    /// Returns the number of current resources of each supported type.
    pub fn counts(&self) -> BTreeMap<String, usize> {
        self.read_store().counts()
    }

    /// Returns the base that URLs in responses start with right now.
    pub(crate) fn written_base(&self) -> &str {
        if self.leak_private_url() {
            &self.inner.private_base
        } else {
            &self.inner.public_base
        }
    }

    pub(crate) fn read_store(&self) -> RwLockReadGuard<'_, Store> {
        // A panic while holding the lock leaves a consistent store, because
        // every write is one insert, so a poisoned lock is still usable.
        self.inner
            .store
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn exports(&self) -> MutexGuard<'_, ExportJobs> {
        self.inner
            .exports
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write_store(&self) -> RwLockWriteGuard<'_, Store> {
        self.inner
            .store
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Handles one request. `request.path` is relative to the FHIR base, and
    /// every error becomes a response with an `OperationOutcome` body.
    pub fn handle(&self, request: FhirRequest) -> FhirResponse {
        let params = request.query.as_deref().map(parse_form).unwrap_or_default();
        let pretty = params
            .iter()
            .any(|(name, value)| name == "_pretty" && value == "true");
        let context = Context {
            base: self.written_base().to_string(),
            pretty,
            prefer: Prefer::from_headers(&request.headers),
            params,
        };
        match self.dispatch(&request, context) {
            Ok(response) => response,
            Err(error) => FhirResponse::error(&error, pretty),
        }
    }

    fn dispatch(
        &self,
        request: &FhirRequest,
        mut context: Context,
    ) -> Result<FhirResponse, FhirError> {
        let route = route(&request.path)?;
        let method = &request.method;
        let format = context
            .params
            .iter()
            .rev()
            .find(|(n, _)| n == "_format")
            .map(|(_, v)| v.clone());
        // Export files are NDJSON, which clients request with their own Accept.
        if !matches!(route, Route::ExportFile(..)) {
            check_json_accepted(&request.headers, format.as_deref())?;
        }
        match route {
            Route::Base => Err(FhirError::NotSupported(
                "system-level interactions (search, batch, transaction) are not supported; address a resource type, such as /Patient".into(),
            )),
            Route::Metadata => match *method {
                Method::GET => Ok(self.capability(&context)),
                _ => Err(not_allowed(request, "GET")),
            },
            Route::Type(resource_type) => match *method {
                Method::GET => self.search(resource_type, &context),
                Method::POST => self.create(request, resource_type, &context),
                _ => Err(not_allowed(request, "GET, POST")),
            },
            Route::TypeSearch(resource_type) => match *method {
                Method::GET => self.search(resource_type, &context),
                Method::POST => {
                    let form = std::str::from_utf8(&request.body).map_err(|_| {
                        FhirError::Invalid("the _search body is not UTF-8; send application/x-www-form-urlencoded parameters".into())
                    })?;
                    let form_params = parse_form(form);
                    let form_format = form_params.iter().rev().find(|(n, _)| n == "_format");
                    if let Some((_, format)) = form_format {
                        check_json_accepted(&request.headers, Some(format))?;
                    }
                    context.params.extend(form_params);
                    context.pretty |= context.params.iter().any(|(n, v)| n == "_pretty" && v == "true");
                    self.search(resource_type, &context)
                }
                _ => Err(not_allowed(request, "GET, POST")),
            },
            Route::Instance(resource_type, id) => match *method {
                Method::GET => self.read(resource_type, &id, &context),
                Method::PUT => self.update(request, resource_type, &id, &context),
                _ => Err(not_allowed(request, "GET, PUT")),
            },
            Route::History(resource_type, id) => Err(FhirError::NotSupported(format!(
                "the history of {resource_type}/{id} is not supported; read one version with /{resource_type}/{id}/_history/<version>"
            ))),
            Route::Version(resource_type, id, version) => match *method {
                Method::GET => self.vread(resource_type, &id, &version, &context),
                _ => Err(not_allowed(request, "GET")),
            },
            Route::ExportKickOff(scope) => match *method {
                Method::GET => {
                    let store = self.read_store();
                    self.exports().kick_off(&store, scope, &request.path, request.query.as_deref(), &context)
                }
                _ => Err(not_allowed(request, "GET")),
            },
            Route::ExportStatus(job) => match *method {
                Method::GET => self.exports().status(&job, &context),
                Method::DELETE => self.exports().cancel(&job),
                _ => Err(not_allowed(request, "GET, DELETE")),
            },
            Route::ExportFile(job, file) => match *method {
                Method::GET => self.exports().file(&job, &file),
                _ => Err(not_allowed(request, "GET")),
            },
        }
    }

    fn capability(&self, context: &Context) -> FhirResponse {
        let statement = capability::statement(&context.base, &format_instant(now()));
        FhirResponse::json(StatusCode::OK, &statement, context.pretty)
    }

    fn read(
        &self,
        resource_type: &'static str,
        id: &str,
        context: &Context,
    ) -> Result<FhirResponse, FhirError> {
        let store = self.read_store();
        let resource = store
            .current(resource_type, id)
            .ok_or_else(|| FhirError::NotFound(format!("{resource_type}/{id} was not found")))?;
        let mut response = FhirResponse::json(StatusCode::OK, resource, context.pretty);
        set_version_headers(&mut response, resource);
        Ok(response)
    }

    fn vread(
        &self,
        resource_type: &'static str,
        id: &str,
        version: &str,
        context: &Context,
    ) -> Result<FhirResponse, FhirError> {
        let store = self.read_store();
        if store.current(resource_type, id).is_none() {
            return Err(FhirError::NotFound(format!(
                "{resource_type}/{id} was not found"
            )));
        }
        let resource = version
            .parse()
            .ok()
            .and_then(|number| store.version(resource_type, id, number))
            .ok_or_else(|| {
                FhirError::NotFound(format!(
                    "version {version} of {resource_type}/{id} was not found"
                ))
            })?;
        let mut response = FhirResponse::json(StatusCode::OK, resource, context.pretty);
        set_version_headers(&mut response, resource);
        Ok(response)
    }

    fn search(
        &self,
        resource_type: &'static str,
        context: &Context,
    ) -> Result<FhirResponse, FhirError> {
        let query = SearchQuery::parse(resource_type, &context.params, context.prefer.strict)?;
        let bundle_id = format!(
            "search-{}",
            self.inner.bundle_counter.fetch_add(1, Ordering::Relaxed) + 1
        );
        let bundle = query.run(
            &self.read_store(),
            &context.base,
            &bundle_id,
            &format_instant(now()),
        );
        Ok(FhirResponse::json(StatusCode::OK, &bundle, context.pretty))
    }

    fn create(
        &self,
        request: &FhirRequest,
        resource_type: &'static str,
        context: &Context,
    ) -> Result<FhirResponse, FhirError> {
        check_json_body(&request.headers)?;
        let resource = parse_resource(&request.body, resource_type)?;
        let stored = self.write_store().create(resource_type, resource, now());
        Ok(self.written(StatusCode::CREATED, resource_type, &stored, context))
    }

    fn update(
        &self,
        request: &FhirRequest,
        resource_type: &'static str,
        id: &str,
        context: &Context,
    ) -> Result<FhirResponse, FhirError> {
        if !is_valid_id(id) {
            return Err(FhirError::Invalid(format!(
                "{id:?} is not a valid FHIR id; use 1 to 64 letters, digits, '-' or '.'"
            )));
        }
        check_json_body(&request.headers)?;
        let resource = parse_resource(&request.body, resource_type)?;
        match resource.get("id").and_then(Value::as_str) {
            Some(body_id) if body_id == id => {}
            Some(body_id) => {
                return Err(FhirError::Invalid(format!(
                    "id {body_id} in the body does not match id {id} in the URL; send the same id in both"
                )))
            }
            None => return Err(FhirError::Invalid(format!("the body has no id; set \"id\": \"{id}\" to update {resource_type}/{id}"))),
        }
        let if_match = parse_if_match(request)?;
        let (stored, created) =
            self.write_store()
                .update(resource_type, id, resource, if_match, now())?;
        let status = if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        };
        Ok(self.written(status, resource_type, &stored, context))
    }

    /// Builds the response to a create or update, honouring `Prefer: return`.
    fn written(
        &self,
        status: StatusCode,
        resource_type: &str,
        stored: &Value,
        context: &Context,
    ) -> FhirResponse {
        let id = stored["id"].as_str().unwrap_or_default();
        let version = version_of(stored).unwrap_or(1);
        let mut response = match context.prefer.return_preference {
            ReturnPreference::Minimal => FhirResponse::empty(status),
            ReturnPreference::Representation => FhirResponse::json(status, stored, context.pretty),
            ReturnPreference::OperationOutcome => {
                let verb = if status == StatusCode::CREATED {
                    "created"
                } else {
                    "updated"
                };
                let message = format!("{resource_type}/{id} {verb} as version {version}");
                FhirResponse::json(
                    status,
                    &operation_outcome("information", "informational", &message),
                    context.pretty,
                )
            }
        };
        response.set_header(
            LOCATION,
            &format!("{}/{resource_type}/{id}/_history/{version}", context.base),
        );
        set_version_headers(&mut response, stored);
        response
    }
}
