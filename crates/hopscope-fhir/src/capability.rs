//! The CapabilityStatement served at `/metadata`, built from the search
//! parameter tables so that it lists exactly what the server implements.

use serde_json::{json, Value};

use crate::search_params::{common_params, type_params};
use crate::store::RESOURCE_TYPES;

/// Builds the R4 CapabilityStatement, with `base` as `implementation.url`.
pub(crate) fn statement(base: &str, now: &str) -> Value {
    let resources: Vec<Value> = RESOURCE_TYPES
        .iter()
        .map(|(resource_type, _)| {
            let search_params: Vec<Value> = common_params()
                .iter()
                .chain(type_params(resource_type))
                .map(|p| json!({ "name": p.name, "type": p.kind.code() }))
                .collect();
            let mut resource = json!({
                "type": resource_type,
                "interaction": [
                    { "code": "read" },
                    { "code": "vread" },
                    { "code": "search-type" },
                    { "code": "create" },
                    { "code": "update" },
                ],
                "versioning": "versioned-update",
                "readHistory": false,
                "updateCreate": true,
                "searchParam": search_params,
            });
            let operation = match *resource_type {
                "Patient" => Some((
                    "export",
                    "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export",
                )),
                "Group" => Some((
                    "export",
                    "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/group-export",
                )),
                _ => None,
            };
            if let Some((name, definition)) = operation {
                resource["operation"] = json!([{ "name": name, "definition": definition }]);
            }
            resource
        })
        .collect();
    json!({
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": now,
        "publisher": "Hopscope destination simulator",
        "kind": "instance",
        "software": { "name": "hopscope-fhir", "version": env!("CARGO_PKG_VERSION") },
        "implementation": {
            "description": "Hopscope in-memory FHIR R4 test server",
            "url": base,
        },
        "instantiates": ["http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data"],
        "fhirVersion": "4.0.1",
        // JSON only: XML requests get 406.
        "format": ["application/fhir+json", "json"],
        "rest": [{
            "mode": "server",
            "resource": resources,
            "operation": [{
                "name": "export",
                "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export",
            }],
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statement_lists_types_and_params() {
        let statement = statement(
            "https://fhir.int-one.test:8443/d-corp",
            "2024-06-01T00:00:00Z",
        );
        assert_eq!(statement["fhirVersion"], "4.0.1");
        assert_eq!(
            statement["implementation"]["url"],
            "https://fhir.int-one.test:8443/d-corp"
        );
        let resources = statement["rest"][0]["resource"].as_array().unwrap();
        assert_eq!(resources.len(), RESOURCE_TYPES.len());
        let patient = resources.iter().find(|r| r["type"] == "Patient").unwrap();
        let names: Vec<&str> = patient["searchParam"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        for expected in [
            "_id",
            "name",
            "family",
            "given",
            "birthdate",
            "gender",
            "identifier",
        ] {
            assert!(
                names.contains(&expected),
                "{expected} missing from {names:?}"
            );
        }
        assert_eq!(patient["operation"][0]["name"], "export");
        assert_eq!(statement["rest"][0]["operation"][0]["name"], "export");
    }
}
