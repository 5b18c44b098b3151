//! Search parameters: which ones each resource type supports, where their
//! values are in a resource, and how a search value matches them.

use serde_json::Value;

use crate::date_range::{self, DatePrefix, DateRange};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ParamKind {
    String,
    Token,
    Reference,
    Date,
}

impl ParamKind {
    /// Returns the FHIR `SearchParamType` code for the CapabilityStatement.
    pub fn code(self) -> &'static str {
        match self {
            ParamKind::String => "string",
            ParamKind::Token => "token",
            ParamKind::Reference => "reference",
            ParamKind::Date => "date",
        }
    }
}

/// One search parameter of one resource type.
#[derive(Debug)]
pub(crate) struct ParamDef {
    pub name: &'static str,
    pub kind: ParamKind,
    /// Dotted element paths. Arrays along a path are searched element by element.
    pub paths: &'static [&'static str],
    /// The type that a bare id in a reference search refers to.
    pub target: Option<&'static str>,
}

const fn param(name: &'static str, kind: ParamKind, paths: &'static [&'static str]) -> ParamDef {
    ParamDef {
        name,
        kind,
        paths,
        target: None,
    }
}

const fn reference(
    name: &'static str,
    paths: &'static [&'static str],
    target: &'static str,
) -> ParamDef {
    ParamDef {
        name,
        kind: ParamKind::Reference,
        paths,
        target: Some(target),
    }
}

use ParamKind::{Date, String as Str, Token};

const COMMON: &[ParamDef] = &[
    param("_id", Token, &["id"]),
    param("_lastUpdated", Date, &["meta.lastUpdated"]),
];

const PATIENT: &[ParamDef] = &[
    param("name", Str, &["name"]),
    param("family", Str, &["name.family"]),
    param("given", Str, &["name.given"]),
    param("birthdate", Date, &["birthDate"]),
    param("gender", Token, &["gender"]),
    param("identifier", Token, &["identifier"]),
    param("address-city", Str, &["address.city"]),
    param("address-state", Str, &["address.state"]),
    reference(
        "general-practitioner",
        &["generalPractitioner"],
        "Practitioner",
    ),
    reference("organization", &["managingOrganization"], "Organization"),
];
const PRACTITIONER: &[ParamDef] = &[
    param("name", Str, &["name"]),
    param("family", Str, &["name.family"]),
    param("given", Str, &["name.given"]),
    param("identifier", Token, &["identifier"]),
    param("gender", Token, &["gender"]),
];
const ORGANIZATION: &[ParamDef] = &[
    param("name", Str, &["name"]),
    param("identifier", Token, &["identifier"]),
    param("type", Token, &["type"]),
];
const ENCOUNTER: &[ParamDef] = &[
    reference("patient", &["subject"], "Patient"),
    reference("subject", &["subject"], "Patient"),
    param("date", Date, &["period"]),
    param("class", Token, &["class"]),
    param("status", Token, &["status"]),
    reference("practitioner", &["participant.individual"], "Practitioner"),
    reference("service-provider", &["serviceProvider"], "Organization"),
];
const OBSERVATION: &[ParamDef] = &[
    reference("patient", &["subject"], "Patient"),
    reference("subject", &["subject"], "Patient"),
    param("code", Token, &["code"]),
    param("category", Token, &["category"]),
    param("date", Date, &["effectiveDateTime", "effectivePeriod"]),
    param("status", Token, &["status"]),
    reference("encounter", &["encounter"], "Encounter"),
];
const COVERAGE: &[ParamDef] = &[
    reference("beneficiary", &["beneficiary"], "Patient"),
    reference("patient", &["beneficiary"], "Patient"),
    reference("payor", &["payor"], "Organization"),
    param("status", Token, &["status"]),
];
const GROUP: &[ParamDef] = &[
    param("type", Token, &["type"]),
    reference("member", &["member.entity"], "Patient"),
];

/// Returns the parameters of a resource type, without the common ones.
pub(crate) fn type_params(resource_type: &str) -> &'static [ParamDef] {
    match resource_type {
        "Patient" => PATIENT,
        "Practitioner" => PRACTITIONER,
        "Organization" => ORGANIZATION,
        "Encounter" => ENCOUNTER,
        "Observation" => OBSERVATION,
        "Coverage" => COVERAGE,
        "Group" => GROUP,
        _ => &[],
    }
}

/// Returns the parameters shared by every resource type.
pub(crate) fn common_params() -> &'static [ParamDef] {
    COMMON
}

pub(crate) fn find_param(resource_type: &str, name: &str) -> Option<&'static ParamDef> {
    COMMON
        .iter()
        .chain(type_params(resource_type))
        .find(|p| p.name == name)
}

/// Returns whether a parameter kind accepts a modifier. Only `:exact` and
/// `:contains` on strings and a type name on references are implemented.
pub(crate) fn modifier_supported(def: &ParamDef, modifier: &str) -> bool {
    match def.kind {
        ParamKind::String => matches!(modifier, "exact" | "contains"),
        ParamKind::Reference => crate::store::supported_type(modifier).is_some(),
        ParamKind::Token | ParamKind::Date => false,
    }
}

/// Collects the values at a dotted path, flattening arrays on the way.
fn values_at<'a>(resource: &'a Value, path: &str) -> Vec<&'a Value> {
    let mut current = vec![resource];
    for step in path.split('.') {
        let mut next = Vec::new();
        for value in current {
            match value.get(step) {
                Some(Value::Array(items)) => next.extend(items.iter()),
                Some(Value::Null) | None => {}
                Some(other) => next.push(other),
            }
        }
        current = next;
    }
    current
}

/// Collects the text of a string element, or of the parts of a `HumanName`
/// or `Address`, skipping coded parts such as `use`.
fn strings_of<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::String(text) => out.push(text),
        Value::Array(items) => items.iter().for_each(|item| strings_of(item, out)),
        Value::Object(map) => {
            for (key, item) in map {
                if !matches!(key.as_str(), "use" | "type" | "period" | "extension" | "id") {
                    strings_of(item, out);
                }
            }
        }
        _ => {}
    }
}

/// Folds case and the common Latin accents, so that `jose` finds `José`.
fn fold(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            'á' | 'à' | 'â' | 'ä' | 'ã' | 'Á' | 'À' | 'Â' | 'Ä' | 'Ã' => 'a',
            'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' | 'Ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' | 'Í' | 'Ì' | 'Î' | 'Ï' => 'i',
            'ó' | 'ò' | 'ô' | 'ö' | 'õ' | 'Ó' | 'Ò' | 'Ô' | 'Ö' | 'Õ' => 'o',
            'ú' | 'ù' | 'û' | 'ü' | 'Ú' | 'Ù' | 'Û' | 'Ü' => 'u',
            'ñ' | 'Ñ' => 'n',
            'ç' | 'Ç' => 'c',
            other => other,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// Collects `(system, code)` pairs of a code, `Coding`, `CodeableConcept` or `Identifier`.
fn tokens_of<'a>(value: &'a Value, out: &mut Vec<(Option<&'a str>, &'a str)>) {
    match value {
        Value::String(code) => out.push((None, code)),
        Value::Bool(_) => {}
        Value::Object(map) => {
            if let Some(Value::Array(codings)) = map.get("coding") {
                codings.iter().for_each(|coding| tokens_of(coding, out));
            }
            let system = map.get("system").and_then(Value::as_str);
            if let Some(code) = map.get("code").and_then(Value::as_str) {
                out.push((system, code));
            }
            if let Some(value) = map.get("value").and_then(Value::as_str) {
                out.push((system, value));
            }
        }
        _ => {}
    }
}

/// Splits a reference into its type, if any, and id. Absolute URLs and
/// `_history` suffixes are reduced to `Type/id`.
pub(crate) fn split_reference(reference: &str) -> (Option<&str>, &str) {
    let reference = match reference.find("/_history/") {
        Some(at) => &reference[..at],
        None => reference,
    };
    let mut parts = reference.rsplit('/');
    let id = parts.next().unwrap_or("");
    (parts.next().filter(|t| !t.is_empty()), id)
}

/// One parsed search value, compared against a resource.
#[derive(Debug, Clone)]
pub(crate) enum Criterion {
    String {
        text: String,
        exact: bool,
        contains: bool,
    },
    Token {
        system: Option<String>,
        code: Option<String>,
    },
    Reference {
        resource_type: Option<String>,
        id: String,
    },
    Date {
        prefix: DatePrefix,
        range: DateRange,
    },
}

impl Criterion {
    /// Parses one comma-separated value of `def` with an optional modifier.
    pub fn parse(def: &ParamDef, modifier: Option<&str>, value: &str) -> Result<Criterion, String> {
        if value.is_empty() {
            return Err(format!(
                "search parameter {} has an empty value; give a value or leave it out",
                def.name
            ));
        }
        match def.kind {
            ParamKind::String => Ok(Criterion::String {
                text: if modifier == Some("exact") {
                    value.to_string()
                } else {
                    fold(value)
                },
                exact: modifier == Some("exact"),
                contains: modifier == Some("contains"),
            }),
            ParamKind::Token => Ok(match value.split_once('|') {
                Some((system, code)) => Criterion::Token {
                    system: Some(system.to_string()),
                    code: (!code.is_empty()).then(|| code.to_string()),
                },
                None => Criterion::Token {
                    system: None,
                    code: Some(value.to_string()),
                },
            }),
            ParamKind::Reference => {
                let (resource_type, id) = split_reference(value);
                let resource_type = modifier
                    .or(resource_type)
                    .or(def.target)
                    .map(str::to_string);
                Ok(Criterion::Reference {
                    resource_type,
                    id: id.to_string(),
                })
            }
            ParamKind::Date => {
                let (prefix, range) = date_range::parse_search_value(value)?;
                Ok(Criterion::Date { prefix, range })
            }
        }
    }

    /// Returns whether any value of the parameter in `resource` matches.
    pub fn matches(&self, def: &ParamDef, resource: &Value) -> bool {
        let values: Vec<&Value> = def
            .paths
            .iter()
            .flat_map(|path| values_at(resource, path))
            .collect();
        match self {
            Criterion::String {
                text,
                exact,
                contains,
            } => {
                let mut strings = Vec::new();
                values.iter().for_each(|v| strings_of(v, &mut strings));
                strings.iter().any(|candidate| {
                    if *exact {
                        candidate == text
                    } else if *contains {
                        fold(candidate).contains(text.as_str())
                    } else {
                        fold(candidate).starts_with(text.as_str())
                    }
                })
            }
            Criterion::Token { system, code } => {
                let mut tokens = Vec::new();
                values.iter().for_each(|v| tokens_of(v, &mut tokens));
                tokens.iter().any(|(found_system, found_code)| {
                    let system_matches = match system.as_deref() {
                        None => true,
                        Some("") => found_system.is_none(),
                        Some(system) => *found_system == Some(system),
                    };
                    system_matches && code.as_deref().is_none_or(|code| code == *found_code)
                })
            }
            Criterion::Reference { resource_type, id } => values.iter().any(|value| {
                let Some(reference) = value.get("reference").and_then(Value::as_str) else {
                    return false;
                };
                let (found_type, found_id) = split_reference(reference);
                found_id == id
                    && resource_type
                        .as_deref()
                        .is_none_or(|t| found_type == Some(t))
            }),
            Criterion::Date { prefix, range } => values
                .iter()
                .filter_map(|value| date_range::range_of(value))
                .any(|target| date_range::matches(*prefix, *range, target)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn patient() -> Value {
        json!({
            "resourceType": "Patient",
            "id": "pat-0001",
            "meta": { "versionId": "1", "lastUpdated": "2024-05-01T10:00:00Z" },
            "identifier": [{ "use": "usual", "system": "https://hopscope.test/fhir/sid/mrn", "value": "MRN0007919" }],
            "name": [{ "use": "official", "family": "Núñez", "given": ["José", "A"] }],
            "gender": "male",
            "birthDate": "1980-05-02",
            "generalPractitioner": [{ "reference": "Practitioner/prac-0003" }],
        })
    }

    fn matches(name: &str, modifier: Option<&str>, value: &str) -> bool {
        let def = find_param("Patient", name).unwrap();
        Criterion::parse(def, modifier, value)
            .unwrap()
            .matches(def, &patient())
    }

    #[test]
    fn string_prefix_ignores_case_and_accents() {
        assert!(matches("family", None, "nun"));
        assert!(matches("name", None, "jose"));
        assert!(matches("given", None, "A"));
        assert!(!matches("family", None, "unez"));
        assert!(!matches("name", None, "official"));
    }

    #[test]
    fn string_modifiers() {
        assert!(matches("family", Some("exact"), "Núñez"));
        assert!(!matches("family", Some("exact"), "nunez"));
        assert!(matches("family", Some("contains"), "UNE"));
    }

    #[test]
    fn token_forms() {
        assert!(matches("identifier", None, "MRN0007919"));
        assert!(matches(
            "identifier",
            None,
            "https://hopscope.test/fhir/sid/mrn|MRN0007919"
        ));
        assert!(matches(
            "identifier",
            None,
            "https://hopscope.test/fhir/sid/mrn|"
        ));
        assert!(!matches("identifier", None, "|MRN0007919"));
        assert!(!matches("identifier", None, "urn:other|MRN0007919"));
        assert!(matches("gender", None, "male"));
        assert!(!matches("gender", None, "female"));
        assert!(matches("_id", None, "pat-0001"));
    }

    #[test]
    fn reference_forms() {
        assert!(matches("general-practitioner", None, "prac-0003"));
        assert!(matches(
            "general-practitioner",
            None,
            "Practitioner/prac-0003"
        ));
        assert!(matches(
            "general-practitioner",
            None,
            "https://fhir.example.test/base/Practitioner/prac-0003"
        ));
        assert!(matches(
            "general-practitioner",
            Some("Practitioner"),
            "prac-0003"
        ));
        assert!(!matches(
            "general-practitioner",
            None,
            "Organization/prac-0003"
        ));
        assert!(!matches("general-practitioner", None, "prac-0004"));
    }

    #[test]
    fn date_and_last_updated() {
        assert!(matches("birthdate", None, "ge1980"));
        assert!(!matches("birthdate", None, "lt1980-05-02"));
        assert!(matches("_lastUpdated", None, "2024-05"));
    }

    #[test]
    fn codeable_concept_tokens() {
        let observation = json!({
            "resourceType": "Observation",
            "code": { "coding": [{ "system": "http://loinc.org", "code": "8867-4" }], "text": "Heart rate" },
        });
        let def = find_param("Observation", "code").unwrap();
        for (value, expected) in [
            ("http://loinc.org|8867-4", true),
            ("8867-4", true),
            ("Heart rate", false),
        ] {
            let criterion = Criterion::parse(def, None, value).unwrap();
            assert_eq!(criterion.matches(def, &observation), expected, "{value}");
        }
    }

    #[test]
    fn split_reference_forms() {
        assert_eq!(split_reference("Patient/1"), (Some("Patient"), "1"));
        assert_eq!(split_reference("1"), (None, "1"));
        assert_eq!(
            split_reference("https://x.test/fhir/Patient/1/_history/2"),
            (Some("Patient"), "1")
        );
    }

    #[test]
    fn modifiers_by_kind() {
        assert!(modifier_supported(
            find_param("Patient", "family").unwrap(),
            "exact"
        ));
        assert!(!modifier_supported(
            find_param("Patient", "family").unwrap(),
            "missing"
        ));
        assert!(modifier_supported(
            find_param("Observation", "subject").unwrap(),
            "Patient"
        ));
        assert!(!modifier_supported(
            find_param("Patient", "gender").unwrap(),
            "not"
        ));
    }
}
