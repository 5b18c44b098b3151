//! The steps of a scenario: each sends its exchanges through
//! [`Originator::exchange`] and adds the checks only it can make.

use super::*;

impl Originator {
    pub(super) async fn udap_metadata(&self, state: &mut RunState) -> StepReport {
        let url = self.url(".well-known/udap");
        let (mut report, received) = self
            .exchange(
                Step::UdapMetadata,
                Method::GET,
                url,
                vec![],
                None,
                &[200],
                state,
            )
            .await;
        let check = match &received {
            Some(received) if received.status == 200 => {
                let check = self.check_signed_metadata(&received.body, state);
                // The signing certificate is known only now, so this
                // response's own signature is checked after the fact.
                if let Some(certificate) = &state.signing_certificate {
                    let (digest, signature) = verify_response(
                        certificate,
                        received.status,
                        &received.headers,
                        &received.body,
                    );
                    report.checks.insert("content-digest".into(), digest);
                    report.checks.insert("signature".into(), signature);
                }
                check
            }
            _ => OriginatorCheck::fail("no UDAP metadata was received"),
        };
        if check.outcome != StepOutcome::Pass && state.signing_certificate.is_none() {
            state.blocked_by = Some(format!(
                "the destination's signed metadata could not be read: {}",
                check.detail
            ));
        }
        report.checks.insert("signed-metadata".into(), check);
        self.record_report(&report);
        report
    }

    fn check_signed_metadata(&self, body: &[u8], state: &mut RunState) -> OriginatorCheck {
        let Ok(metadata) = serde_json::from_slice::<Value>(body) else {
            return OriginatorCheck::fail("the UDAP metadata is not JSON");
        };
        let Some(signed) = metadata.get("signed_metadata").and_then(Value::as_str) else {
            return OriginatorCheck::fail("the UDAP metadata has no signed_metadata");
        };
        let chain = match x5c_chain(signed) {
            Ok(chain) if !chain.is_empty() => chain,
            Ok(_) => return OriginatorCheck::fail("signed_metadata has an empty x5c"),
            Err(reason) => return OriginatorCheck::fail(format!("signed_metadata: {reason}")),
        };
        let leaf = chain[0].clone();
        let leaf_sha256 = hex::encode(Sha256::digest(&leaf));
        state.signing_certificate = Some(leaf.clone());
        let claims = match verify_jwt_with_certificate(signed, &leaf) {
            Ok(claims) => claims,
            Err(reason) => {
                return OriginatorCheck::fail(format!(
                    "signed_metadata does not verify with its x5c leaf: {reason}"
                ))
            }
        };
        let base = self.config.public_base.as_str().trim_end_matches('/');
        let iss = claims
            .get("iss")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if iss != base {
            return OriginatorCheck::fail(format!(
                "signed_metadata iss is {iss:?}; expected the public base URL {base:?}"
            ));
        }
        for endpoint in ["token_endpoint", "registration_endpoint"] {
            let value = claims
                .get(endpoint)
                .and_then(Value::as_str)
                .unwrap_or_default();
            if !value.starts_with(base) {
                return OriginatorCheck::fail(format!("signed_metadata {endpoint} is {value:?}, not under the public base URL {base:?}"));
            }
        }
        if let Some(expected) = &self.config.expected_signing_sha256 {
            if !expected.eq_ignore_ascii_case(&leaf_sha256) {
                return OriginatorCheck::fail(format!(
                    "signed_metadata is signed by certificate {leaf_sha256}; the workspace's destination-signing certificate is {expected}"
                ));
            }
        }
        OriginatorCheck::pass(format!(
            "signed_metadata verifies with certificate {leaf_sha256} and iss is {base:?}"
        ))
    }

    pub(super) async fn register(&self, state: &mut RunState) -> StepReport {
        let url = self.url("register");
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let statement = self.config.identity.sign_jwt(&json!({
            "iss": self.config.client_uri,
            "sub": self.config.client_uri,
            "aud": url,
            "iat": now,
            "exp": now + 300,
            "jti": new_exchange_id(),
            "client_name": format!("{} (Hopscope originator simulator)", self.config.name),
            "grant_types": ["client_credentials"],
            "token_endpoint_auth_method": "private_key_jwt",
            "scope": "system/*.read system/*.rs system/Observation.c",
            "contacts": [format!("mailto:operator@{}", self.config.name)],
        }));
        let body = json!({ "software_statement": statement, "udap": "1", "certifications": [] });
        let (report, received) = self
            .exchange(
                Step::Register,
                Method::POST,
                url,
                vec![],
                Some(("application/json", body.to_string().into())),
                &[200, 201],
                state,
            )
            .await;
        match received {
            Some(received) if received.status == 200 || received.status == 201 => {
                state.registered = true
            }
            Some(received) => {
                state.blocked_by = Some(format!(
                    "registration was refused: {}",
                    error_text(&received.body)
                ));
            }
            None => state.blocked_by = Some("registration got no response".into()),
        }
        self.record_report(&report);
        report
    }

    pub(super) async fn token(&self, state: &mut RunState) -> StepReport {
        let url = self.url("token");
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let assertion = self.config.identity.sign_jwt(&json!({
            "iss": self.config.client_uri,
            "sub": self.config.client_uri,
            "aud": url,
            "iat": now,
            "exp": now + 300,
            "jti": new_exchange_id(),
        }));
        let form = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "client_credentials")
            .append_pair("client_assertion_type", JWT_BEARER_ASSERTION)
            .append_pair("client_assertion", &assertion)
            .append_pair("scope", "system/*.read system/*.rs system/Observation.c")
            .append_pair("udap", "1")
            .finish();
        let (mut report, received) = self
            .exchange(
                Step::Token,
                Method::POST,
                url,
                vec![],
                Some(("application/x-www-form-urlencoded", form.into())),
                &[200],
                state,
            )
            .await;
        let token = received
            .as_ref()
            .filter(|r| r.status == 200)
            .and_then(|r| serde_json::from_slice::<Value>(&r.body).ok())
            .and_then(|v| {
                v.get("access_token")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            });
        match (&token, &received) {
            (Some(token), _) => {
                report.token_received_sha256 = Some(hex::encode(Sha256::digest(token.as_bytes())));
                let check = match &state.signing_certificate {
                    Some(certificate) => match verify_jwt_with_certificate(token, certificate) {
                        Ok(_) => OriginatorCheck::pass("the access token verifies with the destination-signing certificate"),
                        Err(reason) => OriginatorCheck::fail(format!("the access token does not verify with the destination-signing certificate: {reason}")),
                    },
                    None => OriginatorCheck::not_applicable("no destination-signing certificate is known"),
                };
                report.checks.insert("token-signature".into(), check);
                state.access_token = Some(token.clone());
            }
            (None, Some(received)) => {
                state.blocked_by = Some(format!(
                    "no access token was issued: {}",
                    error_text(&received.body)
                ));
            }
            (None, None) => state.blocked_by = Some("the token request got no response".into()),
        }
        if !state.registered && state.blocked_by.is_none() {
            state.blocked_by = Some("the originator is not registered".into());
        }
        self.record_report(&report);
        report
    }

    pub(super) async fn search(&self, state: &mut RunState, pages: usize) -> Vec<StepReport> {
        let mut reports = Vec::new();
        let mut next = Some(self.url("Patient?_count=5"));
        for _ in 0..pages.max(1) {
            let Some(url) = next.take() else { break };
            let (report, received) = self
                .fhir_get(Step::SearchPaging { pages }, url, state, &[200])
                .await;
            reports.push(report);
            let Some(bundle) = received.and_then(|r| serde_json::from_slice::<Value>(&r.body).ok())
            else {
                break;
            };
            if state.patient_id.is_none() {
                state.patient_id = first_resource_id(&bundle, "Patient");
            }
            next = link(&bundle, "next");
            if let Some(url) = &next {
                if !self.is_public(url) {
                    reports.push(self.skipped(
                        Step::SearchPaging { pages },
                        &format!("the next link {url:?} is not under the public base URL, so it was not followed"),
                    ));
                    break;
                }
            }
        }
        reports
    }

    pub(super) async fn read(&self, state: &mut RunState) -> Vec<StepReport> {
        let mut reports = Vec::new();
        if state.patient_id.is_none() {
            let (report, received) = self
                .fhir_get(Step::Read, self.url("Patient?_count=1"), state, &[200])
                .await;
            reports.push(report);
            state.patient_id = received
                .and_then(|r| serde_json::from_slice::<Value>(&r.body).ok())
                .and_then(|bundle| first_resource_id(&bundle, "Patient"));
        }
        let Some(id) = state.patient_id.clone() else {
            reports.push(self.skipped(Step::Read, "no Patient was found to read"));
            return reports;
        };
        let url = self.url(&format!("Patient/{id}"));
        reports.push(self.fhir_get(Step::Read, url, state, &[200]).await.0);
        reports
    }

    pub(super) async fn create(&self, state: &mut RunState) -> StepReport {
        let subject = state.patient_id.clone().unwrap_or_else(|| "example".into());
        let observation = json!({
            "resourceType": "Observation",
            "status": "final",
            "category": [{ "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "vital-signs" }] }],
            "code": { "coding": [{ "system": "http://loinc.org", "code": "8867-4", "display": "Heart rate" }] },
            "subject": { "reference": format!("Patient/{subject}") },
            "effectiveDateTime": OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
            "valueQuantity": { "value": 72, "unit": "beats/minute", "system": "http://unitsofmeasure.org", "code": "/min" }
        });
        let (report, _) = self
            .exchange(
                Step::Create,
                Method::POST,
                self.url("Observation"),
                self.bearer(state),
                Some(("application/fhir+json", observation.to_string().into())),
                &[201],
                state,
            )
            .await;
        self.record_report(&report);
        report
    }

    pub(super) async fn export(&self, state: &mut RunState) -> Vec<StepReport> {
        let mut reports = Vec::new();
        let mut headers = self.bearer(state);
        headers.push((HeaderName::from_static("prefer"), "respond-async".into()));
        headers.push((ACCEPT, "application/fhir+json".into()));
        let (report, received) = self
            .exchange(
                Step::Export,
                Method::GET,
                self.url("$export"),
                headers,
                None,
                &[202],
                state,
            )
            .await;
        self.record_report(&report);
        reports.push(report);
        let status_url = received.filter(|r| r.status == 202).and_then(|r| {
            r.headers
                .get(CONTENT_LOCATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        });
        let Some(status_url) = status_url else {
            return reports;
        };
        if !self.is_public(&status_url) {
            reports.push(self.skipped(
                Step::Export,
                &format!("Content-Location {status_url:?} is not under the public base URL, so it was not polled"),
            ));
            return reports;
        }

        let started = Instant::now();
        let manifest = loop {
            let mut headers = self.bearer(state);
            headers.push((ACCEPT, "application/json".into()));
            let (report, received) = self
                .exchange(
                    Step::Export,
                    Method::GET,
                    status_url.clone(),
                    headers,
                    None,
                    &[200, 202],
                    state,
                )
                .await;
            self.record_report(&report);
            reports.push(report);
            match received {
                Some(received) if received.status == 200 => {
                    break serde_json::from_slice::<Value>(&received.body).ok();
                }
                Some(received)
                    if received.status == 202 && started.elapsed() < EXPORT_POLL_LIMIT =>
                {
                    let wait = retry_after(&received.headers).min(Duration::from_secs(1));
                    tokio::time::sleep(wait).await;
                }
                _ => break None,
            }
        };
        let Some(manifest) = manifest else {
            return reports;
        };
        let files: Vec<String> = manifest
            .get("output")
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(|i| i.get("url").and_then(Value::as_str).map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        for file in files {
            if !self.is_public(&file) {
                reports.push(self.skipped(
                    Step::Export,
                    &format!("the export file URL {file:?} is not under the public base URL, so it was not downloaded"),
                ));
                continue;
            }
            let mut headers = self.bearer(state);
            headers.push((ACCEPT, "application/fhir+ndjson".into()));
            let (report, _) = self
                .exchange(
                    Step::Export,
                    Method::GET,
                    file,
                    headers,
                    None,
                    &[200],
                    state,
                )
                .await;
            self.record_report(&report);
            reports.push(report);
        }
        reports
    }
}
