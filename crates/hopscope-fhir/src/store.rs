//! The in-memory resource store: every version of every resource, by type and id.

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::outcome::FhirError;
use crate::time_format::format_instant;

/// Resource types that the server stores, with the prefix of ids it assigns.
pub const RESOURCE_TYPES: &[(&str, &str)] = &[
    ("Coverage", "cov"),
    ("Encounter", "enc"),
    ("Group", "grp"),
    ("Observation", "obs"),
    ("Organization", "org"),
    ("Patient", "pat"),
    ("Practitioner", "prac"),
];

/// Returns the canonical name of a supported resource type, or `None`.
pub fn supported_type(name: &str) -> Option<&'static str> {
    RESOURCE_TYPES
        .iter()
        .find(|(t, _)| *t == name)
        .map(|(t, _)| *t)
}

fn id_prefix(resource_type: &str) -> &'static str {
    RESOURCE_TYPES
        .iter()
        .find(|(t, _)| *t == resource_type)
        .map(|(_, prefix)| *prefix)
        .unwrap_or("res")
}

/// Returns whether `id` is a valid FHIR logical id: 1 to 64 of `A-Z a-z 0-9 - .`.
pub fn is_valid_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

/// Parses a request body as a resource of `resource_type`.
pub(crate) fn parse_resource(
    body: &[u8],
    resource_type: &str,
) -> Result<Map<String, Value>, FhirError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        FhirError::Invalid(format!(
            "the request body is not valid JSON: {e}; send one FHIR resource as JSON"
        ))
    })?;
    let Value::Object(map) = value else {
        return Err(FhirError::Invalid(
            "the request body is not a JSON object; send one FHIR resource as a JSON object".into(),
        ));
    };
    match map.get("resourceType").and_then(Value::as_str) {
        Some(found) if found == resource_type => Ok(map),
        Some(found) => Err(FhirError::Invalid(format!(
            "resourceType {found} in the body does not match {resource_type} in the URL; send a {resource_type} to /{resource_type}"
        ))),
        None => Err(FhirError::Invalid(format!(
            "the request body has no resourceType; set \"resourceType\": \"{resource_type}\""
        ))),
    }
}

/// Returns the version number in `meta.versionId`, if it is a number.
pub(crate) fn version_of(resource: &Value) -> Option<u64> {
    resource["meta"]["versionId"].as_str()?.parse().ok()
}

#[derive(Debug, Default)]
pub(crate) struct Store {
    /// Versions of each resource, oldest first, by type and id. Ids sort as
    /// strings, which is also the order of search results.
    resources: BTreeMap<&'static str, BTreeMap<String, Vec<Value>>>,
    /// Last number used for ids that the server assigned, by type.
    last_assigned: BTreeMap<&'static str, u64>,
}

impl Store {
    /// Builds a store holding `resources`, each as version 1.
    pub fn with_resources(resources: Vec<Value>) -> Self {
        let mut store = Store::default();
        for (resource_type, _) in RESOURCE_TYPES {
            store.resources.insert(resource_type, BTreeMap::new());
        }
        for resource in resources {
            let resource_type = supported_type(resource["resourceType"].as_str().unwrap_or(""))
                .expect("sample data contains only supported resource types");
            let id = resource["id"]
                .as_str()
                .expect("sample resources have ids")
                .to_string();
            store
                .resources
                .get_mut(resource_type)
                .unwrap()
                .insert(id, vec![resource]);
        }
        store
    }

    pub fn current(&self, resource_type: &str, id: &str) -> Option<&Value> {
        self.resources.get(resource_type)?.get(id)?.last()
    }

    /// Returns version `version` of a resource, or `None` when either is absent.
    pub fn version(&self, resource_type: &str, id: &str, version: u64) -> Option<&Value> {
        let versions = self.resources.get(resource_type)?.get(id)?;
        versions.iter().find(|v| version_of(v) == Some(version))
    }

    /// Returns the current version of every resource of a type, ordered by id.
    pub fn all(&self, resource_type: &str) -> impl Iterator<Item = &Value> {
        self.resources
            .get(resource_type)
            .into_iter()
            .flat_map(|by_id| by_id.values().filter_map(|versions| versions.last()))
    }

    pub fn counts(&self) -> BTreeMap<String, usize> {
        self.resources
            .iter()
            .map(|(resource_type, by_id)| (resource_type.to_string(), by_id.len()))
            .collect()
    }

    /// Assigns an id that no resource of the type has, such as `pat-0061`.
    fn assign_id(&mut self, resource_type: &'static str) -> String {
        let prefix = id_prefix(resource_type);
        let taken = self
            .resources
            .get(resource_type)
            .map(BTreeMap::len)
            .unwrap_or(0) as u64;
        let mut number = *self.last_assigned.get(resource_type).unwrap_or(&taken);
        loop {
            number += 1;
            let id = format!("{prefix}-{number:04}");
            if self.current(resource_type, &id).is_none() {
                self.last_assigned.insert(resource_type, number);
                return id;
            }
        }
    }

    /// Stores a new resource with a server-assigned id as version 1 and
    /// returns it. Any `id` and `meta` in `resource` are replaced.
    pub fn create(
        &mut self,
        resource_type: &'static str,
        resource: Map<String, Value>,
        now: OffsetDateTime,
    ) -> Value {
        let id = self.assign_id(resource_type);
        self.put_version(resource_type, &id, resource, 1, now)
    }

    /// Stores `resource` as the next version of `resource_type/id`, creating
    /// it as version 1 when absent. Returns the stored resource and whether it
    /// was created.
    ///
    /// `if_match` is the version that the client expects to replace. A
    /// mismatch, or any `if_match` for an absent resource, fails with 412.
    pub fn update(
        &mut self,
        resource_type: &'static str,
        id: &str,
        resource: Map<String, Value>,
        if_match: Option<u64>,
        now: OffsetDateTime,
    ) -> Result<(Value, bool), FhirError> {
        let current = self.current(resource_type, id).and_then(version_of);
        if let Some(expected) = if_match {
            if current != Some(expected) {
                let found = match current {
                    Some(version) => format!("the current version is {version}"),
                    None => "the resource does not exist".to_string(),
                };
                return Err(FhirError::PreconditionFailed(format!(
                    "If-Match expects version {expected} of {resource_type}/{id}, but {found}; read it again and retry with its ETag"
                )));
            }
        }
        let version = current.map_or(1, |v| v + 1);
        Ok((
            self.put_version(resource_type, id, resource, version, now),
            current.is_none(),
        ))
    }

    fn put_version(
        &mut self,
        resource_type: &'static str,
        id: &str,
        mut resource: Map<String, Value>,
        version: u64,
        now: OffsetDateTime,
    ) -> Value {
        resource.insert("id".into(), Value::String(id.to_string()));
        let mut meta = match resource.remove("meta") {
            Some(Value::Object(meta)) => meta,
            _ => Map::new(),
        };
        meta.insert("versionId".into(), Value::String(version.to_string()));
        meta.insert("lastUpdated".into(), Value::String(format_instant(now)));
        resource.insert("meta".into(), Value::Object(meta));
        let stored = Value::Object(resource);
        self.resources
            .entry(resource_type)
            .or_default()
            .entry(id.to_string())
            .or_default()
            .push(stored.clone());
        stored
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use time::macros::datetime;

    fn object(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => panic!("not an object"),
        }
    }

    fn store() -> Store {
        Store::with_resources(vec![json!({
            "resourceType": "Patient", "id": "pat-0001", "meta": { "versionId": "1", "lastUpdated": "2024-01-01T00:00:00Z" }
        })])
    }

    #[test]
    fn create_assigns_next_free_id() {
        let mut store = store();
        let now = datetime!(2024-05-01 10:00 UTC);
        let created = store.create(
            "Patient",
            object(json!({ "resourceType": "Patient", "id": "ignored" })),
            now,
        );
        assert_eq!(created["id"], "pat-0002");
        assert_eq!(created["meta"]["versionId"], "1");
        assert_eq!(created["meta"]["lastUpdated"], "2024-05-01T10:00:00Z");
        assert_eq!(store.counts()["Patient"], 2);
    }

    #[test]
    fn create_skips_ids_taken_by_update() {
        let mut store = store();
        let now = datetime!(2024-05-01 10:00 UTC);
        store
            .update(
                "Patient",
                "pat-0002",
                object(json!({ "resourceType": "Patient" })),
                None,
                now,
            )
            .unwrap();
        let created = store.create("Patient", object(json!({ "resourceType": "Patient" })), now);
        assert_eq!(created["id"], "pat-0003");
    }

    #[test]
    fn update_increments_version() {
        let mut store = store();
        let now = datetime!(2024-05-01 10:00 UTC);
        let (updated, created) = store
            .update(
                "Patient",
                "pat-0001",
                object(json!({ "resourceType": "Patient", "gender": "other" })),
                Some(1),
                now,
            )
            .unwrap();
        assert!(!created);
        assert_eq!(updated["meta"]["versionId"], "2");
        assert_eq!(
            store.version("Patient", "pat-0001", 1).unwrap()["meta"]["versionId"],
            "1"
        );
        assert_eq!(
            store.current("Patient", "pat-0001").unwrap()["gender"],
            "other"
        );
    }

    #[test]
    fn update_if_match_mismatch() {
        let mut store = store();
        let now = datetime!(2024-05-01 10:00 UTC);
        let stale = store.update(
            "Patient",
            "pat-0001",
            object(json!({ "resourceType": "Patient" })),
            Some(4),
            now,
        );
        assert!(matches!(stale, Err(FhirError::PreconditionFailed(_))));
        let absent = store.update(
            "Patient",
            "pat-0099",
            object(json!({ "resourceType": "Patient" })),
            Some(1),
            now,
        );
        assert!(matches!(absent, Err(FhirError::PreconditionFailed(_))));
    }

    #[test]
    fn parse_resource_errors() {
        assert!(parse_resource(b"{", "Patient").is_err());
        assert!(parse_resource(b"[]", "Patient").is_err());
        assert!(parse_resource(br#"{"id":"x"}"#, "Patient").is_err());
        let mismatch = parse_resource(br#"{"resourceType":"Observation"}"#, "Patient").unwrap_err();
        assert!(mismatch.to_string().contains("Observation"));
        assert!(parse_resource(br#"{"resourceType":"Patient"}"#, "Patient").is_ok());
    }

    #[test]
    fn id_validity() {
        assert!(is_valid_id("pat-0001"));
        assert!(is_valid_id("a.B-9"));
        assert!(!is_valid_id(""));
        assert!(!is_valid_id("a/b"));
        assert!(!is_valid_id(&"x".repeat(65)));
    }
}
