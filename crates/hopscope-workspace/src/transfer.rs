//! Export and import of certificates and keys.

use hopscope_pki::export::{certificates_to_pem, pkcs12, Pkcs12Profile};
use hopscope_pki::import::{check_key_matches, read_bundle, Bundle};
use hopscope_pki::inspect::{inspect, Inspection};
use hopscope_pki::issue::sign_csr;
use hopscope_pki::key::Kdf;
use hopscope_pki::{FhirBaseUrl, PrivateKey, Role};
use hopscope_store::rows::{self, NewCredentialRow};
use sqlx::SqliteConnection;
use zeroize::Zeroizing;

use crate::credentials::{
    chain_ders, checked_validity, credential_row, current_certificate, ensure_unused_name, insert_current_certificate,
};
use crate::{
    check_name, now, now_unix, CredentialSummary, Error, ExportFormat, ExportRequest, ImportRequest,
    InspectedCertificate, Result, Workspace,
};

/// Lifetime of a certificate signed from a CSR when the request names none.
const DEFAULT_CSR_VALIDITY_SECONDS: i64 = 90 * 86_400;

impl Workspace {
    /// Builds the bytes of an export file for a credential (authorities
    /// included). A key is only included when requested, and encrypted unless
    /// `key_in_clear`.
    pub async fn export(&self, name: &str, request: &ExportRequest) -> Result<Vec<u8>> {
        let mut conn = self.conn().await?;
        let credential = credential_row(&mut conn, name).await?;
        let current = current_certificate(&mut conn, &credential).await?;
        // A PKCS#12 file always carries the chain: appliances that import
        // one expect to serve the whole chain from it.
        let certificates = if request.chain || request.format == ExportFormat::P12 {
            chain_ders(&mut conn, &current).await?
        } else {
            vec![current.der.clone()]
        };
        let wants_key = request.key || request.format == ExportFormat::P12;
        let key = if wants_key {
            let key_id = current.key_id.ok_or_else(|| Error::CredentialWithoutKey(name.to_string()))?;
            Some(self.load_key(&mut conn, key_id).await?)
        } else {
            None
        };

        let bytes = match request.format {
            ExportFormat::Pem => {
                let mut text = Zeroizing::new(certificates_to_pem(&certificates));
                if let Some(key) = &key {
                    text.push_str(&key_pem(key, request)?);
                }
                text.as_bytes().to_vec()
            }
            ExportFormat::Der => {
                if key.is_some() {
                    return Err(Error::Invalid(
                        "DER cannot contain a key beside a certificate; export the key with --format pem or p12".into(),
                    ));
                }
                // A DER chain is the certificates' DER one after another,
                // which `openssl x509` and most appliances read in order.
                certificates.concat()
            }
            ExportFormat::P12 => {
                let password = request.password.as_deref().filter(|p| !p.is_empty()).ok_or_else(|| {
                    Error::Invalid("a PKCS#12 export needs a password; pass --password-file FILE".into())
                })?;
                let profile = if request.legacy { Pkcs12Profile::Legacy } else { Pkcs12Profile::Modern };
                pkcs12(key.as_ref().expect("loaded above"), &certificates, password, name, profile)?
            }
        };

        let key_detail = match (&key, request.key_in_clear) {
            (None, _) => "none",
            (Some(_), true) if request.format == ExportFormat::Pem => "in-clear",
            (Some(_), _) => "encrypted",
        };
        let detail = format!(
            "format={} chain={} key={key_detail}{}",
            format_name(request.format),
            request.chain,
            if request.format == ExportFormat::P12 && request.legacy { " legacy" } else { "" }
        );
        rows::insert_audit(
            &mut conn,
            now_unix(),
            "export",
            name,
            Some(&current.serial_hex),
            Some(&current.sha256_fingerprint),
            &detail,
        )
        .await?;
        tracing::info!(credential = %name, format = format_name(request.format), key = key_detail, "exported");
        Ok(bytes)
    }

    /// Imports certificates, keys, PKCS#12 or a CSR (which it signs) and
    /// returns the credentials created or completed. Nothing is stored when
    /// any part fails.
    pub async fn import(&self, bytes: &[u8], request: &ImportRequest) -> Result<Vec<CredentialSummary>> {
        let password = request.password.as_deref().map(str::as_bytes);
        let bundle = read_bundle(bytes, password)?;
        if bundle.certificates.is_empty() && bundle.keys.is_empty() && bundle.csrs.is_empty() {
            return Err(Error::Invalid("the file contains no certificate, key or certificate request".into()));
        }
        if !bundle.keys.is_empty() {
            self.data_key()?;
        }
        let mut tx = self.store.begin().await?;
        let names = if !bundle.csrs.is_empty() {
            self.import_csrs(&mut tx, &bundle, request).await?
        } else {
            self.import_certificates(&mut tx, bundle, request).await?
        };
        tx.commit().await.map_err(hopscope_store::Error::from)?;
        let mut summaries = Vec::new();
        for name in names {
            summaries.push(self.summary(&name).await?);
        }
        Ok(summaries)
    }

    async fn import_csrs(
        &self,
        conn: &mut SqliteConnection,
        bundle: &Bundle,
        request: &ImportRequest,
    ) -> Result<Vec<String>> {
        let [csr] = bundle.csrs.as_slice() else {
            return Err(Error::Invalid("the file contains several certificate requests; import one at a time".into()));
        };
        let authority_name = request.authority.as_deref().ok_or_else(|| {
            Error::Invalid("a certificate request is signed by an authority; pass --authority NAME".into())
        })?;
        let role = request.role.ok_or_else(|| {
            Error::Invalid("pass --role ROLE to say which profile the certificate request gets".into())
        })?;
        if role == Role::Authority {
            return Err(Error::Invalid("Hopscope signs certificate requests for end-entity roles only".into()));
        }
        let url = request.url.as_deref().map(FhirBaseUrl::parse).transpose()?;
        let validity_seconds = request.validity_seconds.unwrap_or(DEFAULT_CSR_VALIDITY_SECONDS);
        let validity = checked_validity(validity_seconds)?;
        let authority = self.signing_authority(conn, authority_name).await?;
        let der = sign_csr(csr, role, url.as_ref(), now(), validity, &authority.issuer())?;
        let inspection = inspect(&der)?;
        let name = import_name(request.name.as_deref(), &inspection)?;
        ensure_unused_name(conn, &name).await?;
        let url_text = url.as_ref().map(|u| u.as_str().to_string()).or_else(|| first_url(&inspection));
        let credential_id = rows::insert_credential(
            conn,
            &NewCredentialRow {
                name: &name,
                role: role.as_str(),
                url: url_text.as_deref(),
                authority_id: Some(authority.credential.id),
                key_type: &key_type_name(&inspection),
                validity_seconds,
                path_len: None,
                origin: "issued",
                created_at: now_unix(),
            },
        )
        .await?;
        let stored =
            insert_current_certificate(conn, credential_id, &der, None, Some(authority.certificate.id)).await?;
        rows::insert_audit(
            conn,
            now_unix(),
            "issue",
            &name,
            Some(&stored.serial),
            Some(&stored.sha256),
            &format!("role={role} authority={authority_name} from=csr"),
        )
        .await?;
        Ok(vec![name])
    }

    async fn import_certificates(
        &self,
        conn: &mut SqliteConnection,
        bundle: Bundle,
        request: &ImportRequest,
    ) -> Result<Vec<String>> {
        let inspections = bundle.certificates.iter().map(|der| inspect(der)).collect::<Result<Vec<_>, _>>()?;

        // Every key must belong to a certificate of the file or the workspace.
        let mut keys_by_spki: Vec<(String, PrivateKey)> = Vec::new();
        for key in bundle.keys {
            let spki = key.spki_sha256();
            let in_file = inspections.iter().position(|i| i.spki_sha256 == spki);
            match in_file {
                Some(index) => check_key_matches(&key, &bundle.certificates[index])?,
                None if rows::certificates_by_spki(conn, &spki).await?.is_empty() => {
                    let subject = inspections.first().map(|i| i.subject.clone()).unwrap_or_else(|| "(none in the file)".into());
                    let cert_spki = inspections.first().map(|i| i.spki_sha256.clone()).unwrap_or_default();
                    return Err(hopscope_pki::Error::KeyMismatch { subject, cert_spki, key_spki: spki }.into());
                }
                None => {}
            }
            keys_by_spki.push((spki, key));
        }

        let mut names = Vec::new();
        let mut keys_used: Vec<String> = Vec::new();

        // Issuers before the certificates they sign: authorities first, in
        // reverse file order because chains are written leaf first.
        let mut order: Vec<usize> = (0..inspections.len()).filter(|i| inspections[*i].is_ca).rev().collect();
        order.extend((0..inspections.len()).filter(|i| !inspections[*i].is_ca));
        let leaf_index = order.iter().copied().find(|i| !inspections[*i].is_ca).or(order.first().copied());

        for index in order {
            let der = &bundle.certificates[index];
            let inspection = &inspections[index];
            if rows::certificate_by_fingerprint(conn, &inspection.sha256_fingerprint).await?.is_some() {
                continue;
            }
            let is_leaf = Some(index) == leaf_index;
            let role = match (is_leaf.then_some(request.role).flatten(), inspection.is_ca) {
                (Some(role), _) => role,
                (None, true) => Role::Authority,
                (None, false) => {
                    return Err(Error::Invalid(format!(
                        "certificate \"{}\" is not an authority; pass --role ROLE (public-endpoint, private-endpoint, originator or destination-signing)",
                        inspection.subject
                    )))
                }
            };
            let name = import_name(if is_leaf { request.name.as_deref() } else { None }, inspection)?;
            ensure_unused_name(conn, &name).await?;
            let issuer = find_issuer(conn, inspection).await?;
            let key = keys_by_spki.iter().find(|(spki, _)| *spki == inspection.spki_sha256).map(|(_, k)| k);
            let key_id = match key {
                Some(key) => {
                    keys_used.push(inspection.spki_sha256.clone());
                    Some(self.store_key(conn, key).await?)
                }
                None => None,
            };
            let url = if is_leaf { request.url.clone() } else { None }.or_else(|| first_url(inspection));
            let validity_seconds = match (inspection.not_before, inspection.not_after) {
                (Some(from), Some(to)) => (to - from).whole_seconds().max(1),
                _ => DEFAULT_CSR_VALIDITY_SECONDS,
            };
            let credential_id = rows::insert_credential(
                conn,
                &NewCredentialRow {
                    name: &name,
                    role: role.as_str(),
                    url: if role == Role::Authority { None } else { url.as_deref() },
                    authority_id: issuer.map(|i| i.1),
                    key_type: &key_type_name(inspection),
                    validity_seconds,
                    path_len: inspection.path_len.map(i64::from),
                    origin: "imported",
                    created_at: now_unix(),
                },
            )
            .await?;
            insert_current_certificate(conn, credential_id, der, key_id, issuer.map(|i| i.0)).await?;
            let detail = format!("role={role} key={}", if key_id.is_some() { "imported" } else { "none" });
            rows::insert_audit(
                conn,
                now_unix(),
                "import",
                &name,
                Some(&inspection.serial_hex),
                Some(&inspection.sha256_fingerprint),
                &detail,
            )
            .await?;
            names.push(name);
        }

        // Keys for certificates already in the workspace, such as an
        // authority imported earlier without its key.
        for (spki, key) in &keys_by_spki {
            if keys_used.contains(spki) {
                continue;
            }
            let without_key: Vec<_> = rows::certificates_by_spki(conn, spki)
                .await?
                .into_iter()
                .filter(|c| c.key_id.is_none())
                .collect();
            if without_key.is_empty() {
                continue;
            }
            let key_id = self.store_key(conn, key).await?;
            for certificate in without_key {
                check_key_matches(key, &certificate.der)?;
                rows::set_certificate_key(conn, certificate.id, key_id).await?;
                let credential = rows::credential_by_id(conn, certificate.credential_id).await?;
                if let Some(credential) = credential {
                    rows::insert_audit(
                        conn,
                        now_unix(),
                        "import",
                        &credential.name,
                        Some(&certificate.serial_hex),
                        Some(&certificate.sha256_fingerprint),
                        "key for existing certificate",
                    )
                    .await?;
                    names.push(credential.name);
                }
            }
        }
        if names.is_empty() && !keys_by_spki.is_empty() && keys_used.is_empty() {
            return Err(Error::Invalid(
                "the key's certificate is already in the workspace with its key; nothing was imported".into(),
            ));
        }
        if names.is_empty() {
            return Err(Error::Invalid(
                "every certificate in the file is already in the workspace; nothing was imported".into(),
            ));
        }
        names.dedup();
        Ok(names)
    }
}

/// Inspects every certificate in a file without storing anything.
pub fn inspect_file(bytes: &[u8], password: Option<&str>) -> Result<Vec<InspectedCertificate>> {
    let bundle = read_bundle(bytes, password.map(str::as_bytes))?;
    if bundle.certificates.is_empty() {
        return Err(Error::Invalid("the file contains no certificate to inspect".into()));
    }
    let at = now();
    bundle
        .certificates
        .iter()
        .map(|der| {
            let inspection = inspect(der)?;
            let findings = hopscope_pki::inspect::lint(&inspection, None, None, at);
            Ok(InspectedCertificate { inspection, findings })
        })
        .collect()
}

fn key_pem(key: &PrivateKey, request: &ExportRequest) -> Result<Zeroizing<String>> {
    if request.key_in_clear {
        return Ok(key.to_pkcs8_pem());
    }
    let password = request.password.as_deref().filter(|p| !p.is_empty()).ok_or_else(|| {
        Error::Invalid(
            "an exported key is encrypted: pass --password-file FILE, or --key-in-clear to write it unencrypted".into(),
        )
    })?;
    let der = key.encrypt(password.as_bytes(), Kdf::Scrypt)?;
    Ok(Zeroizing::new(pem::encode(&pem::Pem::new("ENCRYPTED PRIVATE KEY", der))))
}

fn format_name(format: ExportFormat) -> &'static str {
    match format {
        ExportFormat::Pem => "pem",
        ExportFormat::Der => "der",
        ExportFormat::P12 => "p12",
    }
}

/// Chooses the name of an imported credential: the requested one, else the
/// subject's common name made into a valid name.
fn import_name(given: Option<&str>, inspection: &Inspection) -> Result<String> {
    if let Some(name) = given {
        check_name(name)?;
        return Ok(name.to_string());
    }
    let common_name = inspection
        .subject
        .split(',')
        .map(str::trim)
        .find_map(|part| part.strip_prefix("CN="))
        .unwrap_or("");
    let mut name: String = common_name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '-' })
        .collect();
    name = name.trim_matches('-').chars().take(128).collect();
    if name.is_empty() || !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        name = format!("imported-{}", &inspection.sha256_fingerprint[..12.min(inspection.sha256_fingerprint.len())]);
    }
    Ok(name)
}

fn first_url(inspection: &Inspection) -> Option<String> {
    if let Some(uri) = inspection.san_uri.first() {
        return Some(uri.clone());
    }
    inspection.san_dns.first().or(inspection.san_ip.first()).map(|host| format!("https://{host}/"))
}

fn key_type_name(inspection: &Inspection) -> String {
    match (inspection.key_algorithm.as_str(), inspection.key_bits) {
        ("rsa", Some(bits)) => format!("rsa-{bits}"),
        (algorithm, _) => algorithm.to_string(),
    }
}

/// Finds the stored certificate that issued `inspection` and its credential
/// id. It matches by subject and prefers the candidate whose subject key
/// identifier is the certificate's authority key identifier.
async fn find_issuer(conn: &mut SqliteConnection, inspection: &Inspection) -> Result<Option<(i64, i64)>> {
    if inspection.self_signed {
        return Ok(None);
    }
    let candidates = rows::certificates_by_subject(conn, &inspection.issuer).await?;
    let mut best = None;
    for candidate in candidates {
        let Ok(candidate_inspection) = inspect(&candidate.der) else { continue };
        let key_ids_match = inspection.authority_key_id.is_some()
            && inspection.authority_key_id == candidate_inspection.subject_key_id;
        if key_ids_match {
            return Ok(Some((candidate.id, candidate.credential_id)));
        }
        if best.is_none() && inspection.authority_key_id.is_none() {
            best = Some((candidate.id, candidate.credential_id));
        }
    }
    Ok(best)
}
