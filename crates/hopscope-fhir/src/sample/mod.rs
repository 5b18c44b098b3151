//! Deterministic sample data: a small US health system with patients, their
//! encounters, observations and coverage, the practitioners who saw them and
//! the organizations that employ and insure them.
//!
//! Names, streets, phone numbers (555-01xx) and organizations are fictional.
//! LOINC, SNOMED CT, UCUM and HL7 terminology codes are real.

use serde_json::{json, Value};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use crate::time_format::{format_date, format_instant};

mod rng;
mod vocabulary;

pub(crate) use rng::npi_check_digit;
pub(crate) use rng::SampleRng;
use vocabulary::*;

/// Identifier system of the medical record numbers (MRN) on `Patient`.
pub const MRN_SYSTEM: &str = "https://hopscope.test/fhir/sid/mrn";
/// Identifier system of US National Provider Identifiers.
pub const NPI_SYSTEM: &str = "http://hl7.org/fhir/sid/us-npi";
/// Identifier system of payer ids on payor `Organization`s.
pub const PAYER_ID_SYSTEM: &str = "https://hopscope.test/fhir/sid/payer-id";
pub const LOINC_SYSTEM: &str = "http://loinc.org";
const UCUM_SYSTEM: &str = "http://unitsofmeasure.org";
const SNOMED_SYSTEM: &str = "http://snomed.info/sct";

pub const PATIENT_COUNT: usize = 60;
const PRACTITIONER_COUNT: usize = 24;

fn npi(rng: &mut SampleRng) -> String {
    let base = rng.range(100_000_000, 299_999_999) as u64;
    format!("{base}{}", npi_check_digit(base))
}

fn meta(rng: &mut SampleRng, base: OffsetDateTime) -> Value {
    let updated = base - Duration::minutes(rng.range(0, 60 * 24 * 90));
    json!({ "versionId": "1", "lastUpdated": format_instant(updated) })
}

fn phone(rng: &mut SampleRng, area: &str) -> String {
    format!("({area}) 555-01{:02}", rng.range(0, 99))
}

fn address(rng: &mut SampleRng, use_: &str, city: usize) -> Value {
    let (city, state, zip) = CITIES[city];
    json!({
        "use": use_,
        "line": [format!("{} {}", rng.range(10, 9899), rng.pick(STREETS))],
        "city": city,
        "state": state,
        "postalCode": zip,
        "country": "US",
    })
}

fn reference(resource_type: &str, id: &str) -> Value {
    json!({ "reference": format!("{resource_type}/{id}") })
}

/// Generates every sample resource, the same for the same seed.
pub(crate) fn generate(seed: u64) -> Vec<Value> {
    let mut rng = SampleRng::new(seed);
    let updated_base = datetime!(2024-06-01 12:00 UTC);
    let mut resources = Vec::new();

    let mut provider_ids = Vec::new();
    for (index, (name, city)) in PROVIDERS.iter().enumerate() {
        let id = format!("org-{:04}", index + 1);
        resources.push(json!({
            "resourceType": "Organization",
            "id": id,
            "meta": meta(&mut rng, updated_base),
            "identifier": [{ "system": NPI_SYSTEM, "value": npi(&mut rng) }],
            "active": true,
            "type": [{ "coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/organization-type",
                "code": "prov",
                "display": "Healthcare Provider",
            }]}],
            "name": name,
            "telecom": [{ "system": "phone", "value": phone(&mut rng, "800"), "use": "work" }],
            "address": [address(&mut rng, "work", *city)],
        }));
        provider_ids.push((id, *city));
    }

    let mut payor_ids = Vec::new();
    for (index, name) in PAYORS.iter().enumerate() {
        let id = format!("org-{:04}", PROVIDERS.len() + index + 1);
        let city = rng.range(0, CITIES.len() as i64 - 1) as usize;
        resources.push(json!({
            "resourceType": "Organization",
            "id": id,
            "meta": meta(&mut rng, updated_base),
            "identifier": [{ "system": PAYER_ID_SYSTEM, "value": format!("{:05}", rng.range(10_000, 99_999)) }],
            "active": true,
            "type": [{ "coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/organization-type",
                "code": "pay",
                "display": "Payer",
            }]}],
            "name": name,
            "telecom": [{ "system": "phone", "value": phone(&mut rng, "888"), "use": "work" }],
            "address": [address(&mut rng, "work", city)],
        }));
        payor_ids.push(id);
    }

    // Each practitioner works at one provider organization.
    let mut practitioners = Vec::new();
    for index in 0..PRACTITIONER_COUNT {
        let id = format!("prac-{:04}", index + 1);
        let female = rng.coin();
        let given = *rng.pick(if female { FEMALE_GIVEN } else { MALE_GIVEN });
        let family = *rng.pick(FAMILY_NAMES);
        let (qualification, qualification_display) = *rng.pick(QUALIFICATIONS);
        let (org_id, city) = rng.pick(&provider_ids).clone();
        let prefix = if qualification == "NP" {
            json!([])
        } else {
            json!(["Dr."])
        };
        resources.push(json!({
            "resourceType": "Practitioner",
            "id": id,
            "meta": meta(&mut rng, updated_base),
            "identifier": [{ "system": NPI_SYSTEM, "value": npi(&mut rng) }],
            "active": true,
            "name": [{ "use": "official", "family": family, "given": [given], "prefix": prefix, "suffix": [qualification] }],
            "telecom": [{ "system": "phone", "value": phone(&mut rng, "800"), "use": "work" }],
            "address": [address(&mut rng, "work", city)],
            "gender": if female { "female" } else { "male" },
            "qualification": [{ "code": { "coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/v2-0360",
                "code": qualification,
                "display": qualification_display,
            }]}}],
        }));
        practitioners.push((id, org_id));
    }

    let mut encounter_number = 0;
    let mut observation_number = 0;
    for index in 0..PATIENT_COUNT {
        let patient_id = format!("pat-{:04}", index + 1);
        let female = rng.coin();
        let given = *rng.pick(if female { FEMALE_GIVEN } else { MALE_GIVEN });
        let middle = *rng.pick(MIDDLE_INITIALS);
        let family = *rng.pick(FAMILY_NAMES);
        let birth = datetime!(1940-01-01 0:00 UTC) + Duration::days(rng.range(0, 365 * 80));
        let city = rng.range(0, CITIES.len() as i64 - 1) as usize;
        let (practitioner_id, org_id) = rng.pick(&practitioners).clone();
        // Multiplying by a prime coprime to 10^7 keeps MRNs unique for every index.
        let mrn = format!(
            "MRN{:07}",
            (seed.wrapping_mul(31) as usize + (index + 1) * 7_919) % 10_000_000
        );
        resources.push(json!({
            "resourceType": "Patient",
            "id": patient_id,
            "meta": meta(&mut rng, updated_base),
            "identifier": [{
                "use": "usual",
                "type": { "coding": [{
                    "system": "http://terminology.hl7.org/CodeSystem/v2-0203",
                    "code": "MR",
                    "display": "Medical record number",
                }]},
                "system": MRN_SYSTEM,
                "value": mrn,
            }],
            "active": true,
            "name": [{ "use": "official", "family": family, "given": [given, middle] }],
            "telecom": [{ "system": "phone", "value": phone(&mut rng, "555"), "use": "home" }],
            "gender": if female { "female" } else { "male" },
            "birthDate": format_date(birth.date()),
            "address": [address(&mut rng, "home", city)],
            "generalPractitioner": [reference("Practitioner", &practitioner_id)],
            "managingOrganization": reference("Organization", &org_id),
        }));

        let payor = rng.pick(&payor_ids).clone();
        let coverage_start = datetime!(2022-01-01 0:00 UTC) + Duration::days(rng.range(0, 700));
        resources.push(json!({
            "resourceType": "Coverage",
            "id": format!("cov-{:04}", index + 1),
            "meta": meta(&mut rng, updated_base),
            "status": "active",
            "type": { "coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                "code": "HIP",
                "display": "health insurance plan policy",
            }]},
            "subscriberId": format!("SUB{:08}", rng.range(10_000_000, 99_999_999)),
            "beneficiary": reference("Patient", &patient_id),
            "relationship": { "coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/subscriber-relationship",
                "code": "self",
            }]},
            "period": { "start": format_date(coverage_start.date()) },
            "payor": [reference("Organization", &payor)],
            "class": [{
                "type": { "coding": [{
                    "system": "http://terminology.hl7.org/CodeSystem/coverage-class",
                    "code": "group",
                }]},
                "value": format!("GRP-{}", rng.range(1000, 9999)),
            }],
        }));

        for _ in 0..rng.range(1, 3) {
            encounter_number += 1;
            let encounter_id = format!("enc-{encounter_number:04}");
            let (class, class_display, type_code, type_display, min_minutes, max_minutes) =
                *rng.pick(ENCOUNTER_KINDS);
            let start = datetime!(2023-01-02 8:00 UTC)
                + Duration::days(rng.range(0, 500))
                + Duration::minutes(rng.range(0, 9 * 60));
            let end = start + Duration::minutes(rng.range(min_minutes, max_minutes));
            let (seen_by, seen_at) = rng.pick(&practitioners).clone();
            resources.push(json!({
                "resourceType": "Encounter",
                "id": encounter_id,
                "meta": meta(&mut rng, updated_base),
                "status": "finished",
                "class": {
                    "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                    "code": class,
                    "display": class_display,
                },
                "type": [{ "coding": [{ "system": SNOMED_SYSTEM, "code": type_code, "display": type_display }] }],
                "subject": reference("Patient", &patient_id),
                "participant": [{ "individual": reference("Practitioner", &seen_by) }],
                "period": { "start": format_instant(start), "end": format_instant(end) },
                "serviceProvider": reference("Organization", &seen_at),
            }));

            for _ in 0..rng.range(1, 3) {
                observation_number += 1;
                let (code, display, category, unit, low, high) = *rng.pick(OBSERVATION_KINDS);
                let effective = start + Duration::minutes(rng.range(5, min_minutes));
                resources.push(json!({
                    "resourceType": "Observation",
                    "id": format!("obs-{observation_number:04}"),
                    "meta": meta(&mut rng, updated_base),
                    "status": "final",
                    "category": [{ "coding": [{
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": category,
                    }]}],
                    "code": {
                        "coding": [{ "system": LOINC_SYSTEM, "code": code, "display": display }],
                        "text": display,
                    },
                    "subject": reference("Patient", &patient_id),
                    "encounter": reference("Encounter", &encounter_id),
                    "effectiveDateTime": format_instant(effective),
                    "issued": format_instant(effective + Duration::minutes(30)),
                    "performer": [reference("Practitioner", &seen_by)],
                    "valueQuantity": { "value": rng.decimal(low, high), "unit": unit, "system": UCUM_SYSTEM, "code": unit },
                }));
            }
        }
    }

    // One group per payor lists its members, for group-level bulk export.
    for (index, payor) in payor_ids.iter().enumerate() {
        let members: Vec<Value> = resources
            .iter()
            .filter(|r| {
                r["resourceType"] == "Coverage"
                    && r["payor"][0]["reference"] == format!("Organization/{payor}")
            })
            .map(|r| json!({ "entity": r["beneficiary"].clone() }))
            .collect();
        resources.push(json!({
            "resourceType": "Group",
            "id": format!("grp-{:04}", index + 1),
            "meta": meta(&mut rng, updated_base),
            "type": "person",
            "actual": true,
            "name": format!("Members of {}", PAYORS[index]),
            "managingEntity": reference("Organization", payor),
            "quantity": members.len(),
            "member": members,
        }));
    }
    resources
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, BTreeSet};

    fn count_by_type(resources: &[Value]) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for resource in resources {
            *counts
                .entry(resource["resourceType"].as_str().unwrap().to_string())
                .or_insert(0) += 1;
        }
        counts
    }

    #[test]
    fn same_seed_same_data() {
        assert_eq!(generate(7), generate(7));
        assert_ne!(generate(7), generate(8));
    }

    #[test]
    fn counts_are_a_few_hundred() {
        let counts = count_by_type(&generate(1));
        assert_eq!(counts["Patient"], PATIENT_COUNT);
        assert_eq!(counts["Coverage"], PATIENT_COUNT);
        assert_eq!(counts["Practitioner"], PRACTITIONER_COUNT);
        assert_eq!(counts["Organization"], PROVIDERS.len() + PAYORS.len());
        assert!(counts["Encounter"] >= PATIENT_COUNT);
        assert!(counts["Observation"] >= counts["Encounter"]);
        let total: usize = counts.values().sum();
        assert!((200..1000).contains(&total), "total {total}");
    }

    #[test]
    fn every_resource_has_id_and_meta() {
        let mut ids = BTreeSet::new();
        for resource in generate(3) {
            let key = format!(
                "{}/{}",
                resource["resourceType"].as_str().unwrap(),
                resource["id"].as_str().unwrap()
            );
            assert_eq!(resource["meta"]["versionId"], "1", "{key}");
            assert!(
                resource["meta"]["lastUpdated"]
                    .as_str()
                    .unwrap()
                    .ends_with('Z'),
                "{key}"
            );
            assert!(ids.insert(key.clone()), "duplicate {key}");
        }
    }

    #[test]
    fn references_resolve() {
        let resources = generate(5);
        let ids: BTreeSet<String> = resources
            .iter()
            .map(|r| {
                format!(
                    "{}/{}",
                    r["resourceType"].as_str().unwrap(),
                    r["id"].as_str().unwrap()
                )
            })
            .collect();
        fn collect(value: &Value, out: &mut Vec<String>) {
            match value {
                Value::Object(map) => {
                    if let Some(Value::String(reference)) = map.get("reference") {
                        out.push(reference.clone());
                    }
                    map.values().for_each(|v| collect(v, out));
                }
                Value::Array(items) => items.iter().for_each(|v| collect(v, out)),
                _ => {}
            }
        }
        let mut references = Vec::new();
        resources.iter().for_each(|r| collect(r, &mut references));
        assert!(references.len() > 500);
        for reference in references {
            assert!(ids.contains(&reference), "dangling reference {reference}");
        }
    }

    #[test]
    fn practitioner_npis_are_valid() {
        for resource in generate(9)
            .iter()
            .filter(|r| r["resourceType"] == "Practitioner")
        {
            let npi = resource["identifier"][0]["value"].as_str().unwrap();
            assert_eq!(npi.len(), 10, "{npi}");
            let base: u64 = npi[..9].parse().unwrap();
            assert_eq!(
                npi[9..].parse::<u64>().unwrap(),
                npi_check_digit(base),
                "{npi}"
            );
        }
    }
}
