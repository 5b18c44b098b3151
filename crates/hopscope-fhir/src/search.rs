//! Type-level search: parsing parameters, filtering and paging the store, and
//! writing the `searchset` Bundle.

use serde_json::{json, Value};

use crate::outcome::{operation_outcome, FhirError};
use crate::request::encode_query;
use crate::search_params::{find_param, modifier_supported, Criterion, ParamDef};
use crate::store::Store;

/// Page size when the request has no `_count`.
pub const DEFAULT_COUNT: usize = 20;
/// Largest page. A larger `_count` is lowered to this.
pub const MAX_COUNT: usize = 500;

/// One search parameter as given: all its comma-separated values, any of
/// which may match (OR). Separate parameters must all match (AND).
#[derive(Debug)]
struct Filter {
    def: &'static ParamDef,
    /// Name as written, with its modifier, for the links.
    name: String,
    value: String,
    criteria: Vec<Criterion>,
}

/// A parsed search over one resource type.
#[derive(Debug)]
pub(crate) struct SearchQuery {
    resource_type: &'static str,
    filters: Vec<Filter>,
    /// `_format` and `_pretty` as given, kept in the paging links.
    passthrough: Vec<(String, String)>,
    pub count: usize,
    pub offset: usize,
    /// Parameters that were ignored, with the reason for each.
    pub ignored: Vec<String>,
}

fn parse_number(name: &str, value: &str) -> Result<usize, FhirError> {
    value.parse().map_err(|_| {
        FhirError::Invalid(format!(
            "{name}={value} is not a non-negative whole number; give one such as {name}=20"
        ))
    })
}

impl SearchQuery {
    /// Parses search parameters, in request order. With `strict`, an unknown
    /// parameter or modifier is an error. Otherwise it is ignored and listed
    /// in `ignored`.
    pub fn parse(
        resource_type: &'static str,
        params: &[(String, String)],
        strict: bool,
    ) -> Result<Self, FhirError> {
        let mut query = SearchQuery {
            resource_type,
            filters: Vec::new(),
            passthrough: Vec::new(),
            count: DEFAULT_COUNT,
            offset: 0,
            ignored: Vec::new(),
        };
        for (name, value) in params {
            match name.as_str() {
                "_count" => query.count = parse_number(name, value)?.min(MAX_COUNT),
                "_offset" => query.offset = parse_number(name, value)?,
                "_format" | "_pretty" => query.passthrough.push((name.clone(), value.clone())),
                _ => {
                    let (base, modifier) = match name.split_once(':') {
                        Some((base, modifier)) => (base, Some(modifier)),
                        None => (name.as_str(), None),
                    };
                    let reason = match find_param(resource_type, base) {
                        None => Some(format!("search parameter {name} is not supported for {resource_type}")),
                        Some(def) if modifier.is_some_and(|m| !modifier_supported(def, m)) => Some(format!(
                            "modifier :{} of search parameter {base} is not supported for {resource_type}",
                            modifier.unwrap_or_default()
                        )),
                        Some(def) => {
                            let criteria = value
                                .split(',')
                                .map(|part| Criterion::parse(def, modifier, part))
                                .collect::<Result<Vec<_>, _>>()
                                .map_err(|e| FhirError::Invalid(format!("invalid {name}={value}: {e}")))?;
                            query.filters.push(Filter { def, name: name.clone(), value: value.clone(), criteria });
                            None
                        }
                    };
                    if let Some(reason) = reason {
                        if strict {
                            return Err(FhirError::Invalid(format!(
                                "{reason}; remove it, or send Prefer: handling=lenient to have it ignored"
                            )));
                        }
                        query.ignored.push(format!("{reason}; it was ignored"));
                    }
                }
            }
        }
        Ok(query)
    }

    fn matches(&self, resource: &Value) -> bool {
        self.filters.iter().all(|filter| {
            filter
                .criteria
                .iter()
                .any(|criterion| criterion.matches(filter.def, resource))
        })
    }

    /// Builds the absolute URL of the page at `offset`, with the parameters
    /// that were applied. Ignored parameters are left out, as FHIR requires of
    /// the `self` link.
    fn page_url(&self, base: &str, offset: usize) -> String {
        let count = self.count.to_string();
        let offset = offset.to_string();
        let pairs = self
            .filters
            .iter()
            .map(|f| (f.name.as_str(), f.value.as_str()))
            .chain([("_count", count.as_str()), ("_offset", offset.as_str())])
            .chain(
                self.passthrough
                    .iter()
                    .map(|(n, v)| (n.as_str(), v.as_str())),
            );
        format!("{base}/{}?{}", self.resource_type, encode_query(pairs))
    }

    /// Runs the search and returns a `searchset` Bundle. `base` is the URL
    /// that every written URL starts with, without a trailing slash.
    pub fn run(&self, store: &Store, base: &str, bundle_id: &str, now: &str) -> Value {
        let matched: Vec<&Value> = store
            .all(self.resource_type)
            .filter(|r| self.matches(r))
            .collect();
        let total = matched.len();
        let mut entries: Vec<Value> = matched
            .iter()
            .skip(self.offset)
            .take(self.count)
            .map(|resource| {
                json!({
                    "fullUrl": format!("{base}/{}/{}", self.resource_type, resource["id"].as_str().unwrap_or_default()),
                    "resource": resource,
                    "search": { "mode": "match" },
                })
            })
            .collect();
        if !self.ignored.is_empty() {
            let mut outcome = operation_outcome("warning", "not-supported", &self.ignored[0]);
            outcome["issue"] = self
                .ignored
                .iter()
                .map(|reason| json!({ "severity": "warning", "code": "not-supported", "diagnostics": reason }))
                .collect();
            entries.push(json!({ "resource": outcome, "search": { "mode": "outcome" } }));
        }

        let mut links =
            vec![json!({ "relation": "self", "url": self.page_url(base, self.offset) })];
        if self.count > 0 && self.offset + self.count < total {
            links.push(
                json!({ "relation": "next", "url": self.page_url(base, self.offset + self.count) }),
            );
        }
        if self.offset > 0 && self.count > 0 {
            let previous = self
                .offset
                .saturating_sub(self.count)
                .min(total.saturating_sub(1) / self.count * self.count);
            links.push(json!({ "relation": "previous", "url": self.page_url(base, previous) }));
        }

        let mut bundle = json!({
            "resourceType": "Bundle",
            "id": bundle_id,
            "meta": { "lastUpdated": now },
            "type": "searchset",
            "total": total,
            "link": links,
        });
        // FHIR JSON forbids empty arrays, so an empty page has no `entry`.
        if !entries.is_empty() {
            bundle["entry"] = Value::Array(entries);
        }
        bundle
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::parse_form;

    const BASE: &str = "https://fhir.int-one.test:8443/d-corp";

    fn store() -> Store {
        Store::with_resources(crate::sample::generate(11))
    }

    fn search(resource_type: &'static str, query: &str) -> Value {
        let query = SearchQuery::parse(resource_type, &parse_form(query), false).unwrap();
        query.run(&store(), BASE, "b1", "2024-06-01T00:00:00Z")
    }

    fn entry_count(bundle: &Value) -> usize {
        bundle["entry"].as_array().map_or(0, Vec::len)
    }

    fn link<'a>(bundle: &'a Value, relation: &str) -> Option<&'a str> {
        bundle["link"]
            .as_array()?
            .iter()
            .find(|l| l["relation"] == relation)?["url"]
            .as_str()
    }

    #[test]
    fn default_page_and_total() {
        let bundle = search("Patient", "");
        assert_eq!(bundle["total"], crate::sample::PATIENT_COUNT);
        assert_eq!(entry_count(&bundle), DEFAULT_COUNT);
        assert_eq!(
            link(&bundle, "self"),
            Some(format!("{BASE}/Patient?_count=20&_offset=0").as_str())
        );
        assert_eq!(
            link(&bundle, "next"),
            Some(format!("{BASE}/Patient?_count=20&_offset=20").as_str())
        );
        assert_eq!(link(&bundle, "previous"), None);
        let first = &bundle["entry"][0];
        assert_eq!(first["fullUrl"], format!("{BASE}/Patient/pat-0001"));
        assert_eq!(first["search"]["mode"], "match");
    }

    #[test]
    fn last_page_has_previous_only() {
        let bundle = search("Patient", "_count=25&_offset=50");
        assert_eq!(entry_count(&bundle), 10);
        assert_eq!(link(&bundle, "next"), None);
        assert_eq!(
            link(&bundle, "previous"),
            Some(format!("{BASE}/Patient?_count=25&_offset=25").as_str())
        );
    }

    #[test]
    fn offset_past_end_links_back_to_last_page() {
        let bundle = search("Patient", "_count=25&_offset=500");
        assert_eq!(entry_count(&bundle), 0);
        assert_eq!(
            link(&bundle, "previous"),
            Some(format!("{BASE}/Patient?_count=25&_offset=50").as_str())
        );
    }

    #[test]
    fn count_is_capped() {
        let query = SearchQuery::parse("Observation", &parse_form("_count=100000"), false).unwrap();
        assert_eq!(query.count, MAX_COUNT);
    }

    #[test]
    fn count_zero_returns_total_only() {
        let bundle = search("Patient", "_count=0");
        assert_eq!(bundle["total"], crate::sample::PATIENT_COUNT);
        assert_eq!(entry_count(&bundle), 0);
        assert_eq!(link(&bundle, "next"), None);
    }

    #[test]
    fn filters_and_together_values_or() {
        let all_male = search("Patient", "gender=male&_count=500")["total"]
            .as_u64()
            .unwrap();
        let all_female = search("Patient", "gender=female&_count=500")["total"]
            .as_u64()
            .unwrap();
        assert_eq!(all_male + all_female, crate::sample::PATIENT_COUNT as u64);
        assert_eq!(
            search("Patient", "gender=male,female")["total"],
            crate::sample::PATIENT_COUNT
        );
        assert_eq!(search("Patient", "gender=male&gender=female")["total"], 0);
    }

    #[test]
    fn observation_by_patient_and_code() {
        let bundle = search("Observation", "patient=pat-0001&_count=500");
        let total = bundle["total"].as_u64().unwrap();
        assert!(total >= 1);
        for entry in bundle["entry"].as_array().unwrap() {
            assert_eq!(
                entry["resource"]["subject"]["reference"],
                "Patient/pat-0001"
            );
        }
        let by_subject = search("Observation", "subject=Patient/pat-0001");
        assert_eq!(by_subject["total"].as_u64(), Some(total));
        let heart = search("Observation", "code=http://loinc.org|8867-4&_count=500");
        for entry in heart["entry"].as_array().unwrap() {
            assert_eq!(entry["resource"]["code"]["coding"][0]["code"], "8867-4");
        }
    }

    #[test]
    fn unknown_parameter_lenient() {
        let bundle = search("Patient", "shoe-size=42&family=Smith");
        let entries = bundle["entry"].as_array().unwrap();
        let outcome = entries.last().unwrap();
        assert_eq!(outcome["search"]["mode"], "outcome");
        let diagnostics = outcome["resource"]["issue"][0]["diagnostics"]
            .as_str()
            .unwrap();
        assert!(diagnostics.contains("shoe-size"), "{diagnostics}");
        assert!(!link(&bundle, "self").unwrap().contains("shoe-size"));
        assert!(link(&bundle, "self").unwrap().contains("family=Smith"));
    }

    #[test]
    fn unknown_parameter_strict() {
        let error = SearchQuery::parse("Patient", &parse_form("shoe-size=42"), true).unwrap_err();
        assert_eq!(error.status().as_u16(), 400);
        assert!(error.to_string().contains("shoe-size"));
        let modifier =
            SearchQuery::parse("Patient", &parse_form("gender:not=male"), true).unwrap_err();
        assert!(modifier.to_string().contains(":not"));
    }

    #[test]
    fn invalid_values_are_errors() {
        for query in [
            "_count=-1",
            "_offset=x",
            "birthdate=ge19",
            "birthdate=sa2000",
            "family=",
        ] {
            let result = SearchQuery::parse("Patient", &parse_form(query), false);
            assert!(matches!(result, Err(FhirError::Invalid(_))), "{query}");
        }
    }
}
