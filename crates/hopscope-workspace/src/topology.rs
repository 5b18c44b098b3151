//! The exchange's topology: destinations, intermediaries and routes.

use std::collections::HashMap;

use hopscope_pki::{FhirBaseUrl, Role};
use hopscope_store::rows::{self, CredentialRow};
use hopscope_store::topology as topo;
use sqlx::SqliteConnection;

use crate::credentials::credential_row;
use crate::{
    check_name, now_unix, DestinationUpdate, DestinationView, Error, IntermediaryKind, IntermediaryUpdate,
    IntermediaryView, NewDestination, NewIntermediary, Result, Topology, Workspace,
};

impl Workspace {
    /// Adds a destination with its public and private URLs and, optionally,
    /// the credentials it uses. Coverage is checked by `check_topology`, not
    /// here, so a topology can be described before its certificates exist.
    pub async fn add_destination(&self, request: &NewDestination) -> Result<DestinationView> {
        check_name(&request.name)?;
        let public_url = FhirBaseUrl::parse(&request.public_url)?;
        let private_url = FhirBaseUrl::parse(&request.private_url)?;
        let external_address = external_address(&request.name, request.external, request.external_address.as_deref())?;
        let mut tx = self.store.begin().await?;
        if topo::destination_by_name(&mut tx, &request.name).await?.is_some() {
            return Err(Error::Invalid(format!(
                "a destination named \"{}\" already exists; choose another name",
                request.name
            )));
        }
        let endpoint = match &request.endpoint_credential {
            Some(name) => Some(
                credential_with_role(&mut tx, name, Role::PrivateEndpoint, "the certificate serving a private URL (--endpoint-cert)")
                    .await?
                    .id,
            ),
            None => None,
        };
        let signing = match &request.signing_credential {
            Some(name) => Some(
                credential_with_role(&mut tx, name, Role::DestinationSigning, "a destination's signing certificate (--signing-cert)")
                    .await?
                    .id,
            ),
            None => None,
        };
        let id = topo::insert_destination(
            &mut tx,
            &request.name,
            public_url.as_str(),
            private_url.as_str(),
            endpoint,
            signing,
            now_unix(),
        )
        .await?;
        if request.external {
            topo::set_destination_external(&mut tx, id, true, external_address.as_deref()).await?;
        }
        let mut detail = format!("public={} private={}", public_url.as_str(), private_url.as_str());
        if request.external {
            detail.push_str(&format!(" external={}", external_address.as_deref().unwrap_or(DEFAULT_EXTERNAL_ADDRESS)));
        }
        rows::insert_audit(&mut tx, now_unix(), "add-destination", &request.name, None, None, &detail).await?;
        tx.commit().await.map_err(hopscope_store::Error::from)?;
        self.destination(&request.name).await
    }

    pub async fn add_intermediary(&self, request: &NewIntermediary) -> Result<IntermediaryView> {
        check_name(&request.name)?;
        if request.listen_urls.is_empty() {
            return Err(Error::Invalid(format!(
                "intermediary \"{}\" needs at least one --listen URL",
                request.name
            )));
        }
        let urls = request
            .listen_urls
            .iter()
            .map(|u| FhirBaseUrl::parse(u))
            .collect::<Result<Vec<_>, _>>()?;
        let mut tx = self.store.begin().await?;
        if topo::intermediary_by_name(&mut tx, &request.name).await?.is_some() {
            return Err(Error::Invalid(format!(
                "an intermediary named \"{}\" already exists; choose another name",
                request.name
            )));
        }
        let id = topo::insert_intermediary(&mut tx, &request.name, request.kind.as_str(), now_unix()).await?;
        for (position, url) in urls.iter().enumerate() {
            topo::add_listen_url(&mut tx, id, position as i64, url.as_str()).await?;
        }
        let (expected_role, purpose) = match request.kind {
            IntermediaryKind::InboundGateway => (Role::PublicEndpoint, "an inbound gateway's certificate (--cert)"),
            IntermediaryKind::Delegated => (Role::PrivateEndpoint, "a delegated intermediary's certificate (--cert)"),
        };
        for name in &request.credentials {
            let credential = credential_with_role(&mut tx, name, expected_role, purpose).await?;
            topo::add_intermediary_credential(&mut tx, id, credential.id).await?;
        }
        let detail = format!("kind={} listen={}", request.kind.as_str(), request.listen_urls.join(","));
        rows::insert_audit(&mut tx, now_unix(), "add-intermediary", &request.name, None, None, &detail).await?;
        tx.commit().await.map_err(hopscope_store::Error::from)?;
        let topology = self.topology().await?;
        topology
            .intermediaries
            .into_iter()
            .find(|i| i.name == request.name)
            .ok_or_else(|| Error::Invalid(format!("intermediary \"{}\" vanished after insert", request.name)))
    }

    /// Changes a destination's URLs or credentials, keeping its route and
    /// trust list; fields left `None` keep their value.
    pub async fn update_destination(&self, name: &str, update: &DestinationUpdate) -> Result<DestinationView> {
        let mut tx = self.store.begin().await?;
        let row = destination_row(&mut tx, name).await?;
        let public_url = match &update.public_url {
            Some(url) => FhirBaseUrl::parse(url)?.as_str().to_string(),
            None => row.public_url.clone(),
        };
        let private_url = match &update.private_url {
            Some(url) => FhirBaseUrl::parse(url)?.as_str().to_string(),
            None => row.private_url.clone(),
        };
        let endpoint = match &update.endpoint_credential {
            Some(credential) => Some(
                credential_with_role(&mut tx, credential, Role::PrivateEndpoint, "the certificate serving a private URL (--endpoint-cert)")
                    .await?
                    .id,
            ),
            None => row.endpoint_credential_id,
        };
        let signing = match &update.signing_credential {
            Some(credential) => Some(
                credential_with_role(&mut tx, credential, Role::DestinationSigning, "a destination's signing certificate (--signing-cert)")
                    .await?
                    .id,
            ),
            None => row.signing_credential_id,
        };
        topo::update_destination(&mut tx, row.id, &public_url, &private_url, endpoint, signing).await?;
        let external = update.external.unwrap_or(row.external);
        let address = match &update.external_address {
            Some(_) => external_address(name, external, update.external_address.as_deref())?,
            None if external => row.external_address.clone(),
            None => None,
        };
        topo::set_destination_external(&mut tx, row.id, external, address.as_deref()).await?;
        let mut detail = format!("public={public_url} private={private_url}");
        if external {
            detail.push_str(&format!(" external={}", address.as_deref().unwrap_or(DEFAULT_EXTERNAL_ADDRESS)));
        }
        rows::insert_audit(&mut tx, now_unix(), "update-destination", name, None, None, &detail).await?;
        tx.commit().await.map_err(hopscope_store::Error::from)?;
        self.destination(name).await
    }

    /// Replaces an intermediary's listen URLs or credentials; lists left
    /// `None` keep their value.
    pub async fn update_intermediary(&self, name: &str, update: &IntermediaryUpdate) -> Result<IntermediaryView> {
        let mut tx = self.store.begin().await?;
        let row = topo::intermediary_by_name(&mut tx, name).await?.ok_or_else(|| Error::NotFound {
            kind: "intermediary",
            name: name.to_string(),
            hint: "list them with `hopscope topology show`".into(),
        })?;
        let kind: IntermediaryKind = row.kind.parse()?;
        if let Some(listen_urls) = &update.listen_urls {
            if listen_urls.is_empty() {
                return Err(Error::Invalid(format!("intermediary \"{name}\" needs at least one --listen URL")));
            }
            let urls = listen_urls.iter().map(|u| FhirBaseUrl::parse(u)).collect::<Result<Vec<_>, _>>()?;
            topo::clear_listen_urls(&mut tx, row.id).await?;
            for (position, url) in urls.iter().enumerate() {
                topo::add_listen_url(&mut tx, row.id, position as i64, url.as_str()).await?;
            }
        }
        if let Some(credentials) = &update.credentials {
            let (expected_role, purpose) = match kind {
                IntermediaryKind::InboundGateway => (Role::PublicEndpoint, "an inbound gateway's certificate (--cert)"),
                IntermediaryKind::Delegated => (Role::PrivateEndpoint, "a delegated intermediary's certificate (--cert)"),
            };
            topo::clear_intermediary_credentials(&mut tx, row.id).await?;
            for credential in credentials {
                let credential = credential_with_role(&mut tx, credential, expected_role, purpose).await?;
                topo::add_intermediary_credential(&mut tx, row.id, credential.id).await?;
            }
        }
        if update.add_forwarded.is_some() || update.add_via.is_some() {
            let add_forwarded = update.add_forwarded.unwrap_or(row.add_forwarded);
            let add_via = update.add_via.unwrap_or(row.add_via);
            topo::set_forwarding_headers(&mut tx, row.id, add_forwarded, add_via).await?;
        }
        rows::insert_audit(&mut tx, now_unix(), "update-intermediary", name, None, None, "").await?;
        tx.commit().await.map_err(hopscope_store::Error::from)?;
        let topology = self.topology().await?;
        topology
            .intermediaries
            .into_iter()
            .find(|i| i.name == name)
            .ok_or_else(|| Error::Invalid(format!("intermediary \"{name}\" vanished after update")))
    }

    /// Sets a destination's route to `via`, in order: the inbound gateway
    /// first, then delegated intermediaries. Replaces any previous route.
    pub async fn set_route(&self, destination: &str, via: &[String]) -> Result<DestinationView> {
        if via.is_empty() {
            return Err(Error::Invalid(format!(
                "the route of \"{destination}\" needs at least the inbound gateway: --via GATEWAY [DELEGATED...]"
            )));
        }
        let mut tx = self.store.begin().await?;
        let row = destination_row(&mut tx, destination).await?;
        let mut ids = Vec::new();
        for name in via {
            let intermediary = topo::intermediary_by_name(&mut tx, name).await?.ok_or_else(|| Error::NotFound {
                kind: "intermediary",
                name: name.clone(),
                hint: "add it with `hopscope intermediary add` or list them with `hopscope topology show`".into(),
            })?;
            ids.push(intermediary.id);
        }
        topo::set_route(&mut tx, row.id, &ids).await?;
        rows::insert_audit(&mut tx, now_unix(), "set-route", destination, None, None, &via.join(" -> ")).await?;
        tx.commit().await.map_err(hopscope_store::Error::from)?;
        self.destination(destination).await
    }

    pub async fn topology(&self) -> Result<Topology> {
        let mut conn = self.conn().await?;
        let names = credential_names(&mut conn).await?;
        let mut destinations = Vec::new();
        for row in topo::destinations(&mut conn).await? {
            destinations.push(DestinationView {
                route: topo::route(&mut conn, row.id).await?,
                endpoint_credential: row.endpoint_credential_id.and_then(|id| names.get(&id).cloned()),
                signing_credential: row.signing_credential_id.and_then(|id| names.get(&id).cloned()),
                external_address: row
                    .external
                    .then(|| row.external_address.clone().unwrap_or_else(|| DEFAULT_EXTERNAL_ADDRESS.to_string())),
                external: row.external,
                name: row.name,
                public_url: row.public_url,
                private_url: row.private_url,
            });
        }
        let mut intermediaries = Vec::new();
        for row in topo::intermediaries(&mut conn).await? {
            intermediaries.push(IntermediaryView {
                kind: row.kind.parse()?,
                listen_urls: topo::listen_urls(&mut conn, row.id).await?,
                credentials: topo::intermediary_credential_names(&mut conn, row.id).await?,
                add_forwarded: row.add_forwarded,
                add_via: row.add_via,
                name: row.name,
            });
        }
        Ok(Topology {
            destinations,
            intermediaries,
        })
    }

    pub async fn destination(&self, name: &str) -> Result<DestinationView> {
        self.topology()
            .await?
            .destinations
            .into_iter()
            .find(|d| d.name == name)
            .ok_or_else(|| destination_not_found(name))
    }
}

/// Address an external destination's private host maps to when the operator
/// names none.
pub const DEFAULT_EXTERNAL_ADDRESS: &str = "127.0.0.1";

/// Checks the address of an external destination and returns it in its
/// canonical form, or `None` for the default. An address needs `external`.
fn external_address(name: &str, external: bool, address: Option<&str>) -> Result<Option<String>> {
    let Some(text) = address else {
        return Ok(None);
    };
    if !external {
        return Err(Error::Invalid(format!(
            "--address {text} applies only to an external destination, and \"{name}\" is not one; add --external (or --external true)"
        )));
    }
    let ip: std::net::IpAddr = text.trim().parse().map_err(|e| {
        Error::Invalid(format!(
            "invalid --address {text} for destination \"{name}\": {e}; give an IP address such as 127.0.0.1"
        ))
    })?;
    Ok(Some(ip.to_string()))
}

pub(crate) fn destination_not_found(name: &str) -> Error {
    Error::NotFound {
        kind: "destination",
        name: name.to_string(),
        hint: "list destinations with `hopscope topology show`".into(),
    }
}

pub(crate) async fn destination_row(
    conn: &mut SqliteConnection,
    name: &str,
) -> Result<hopscope_store::topology::DestinationRow> {
    topo::destination_by_name(conn, name).await?.ok_or_else(|| destination_not_found(name))
}

/// Loads a credential and checks it has `role`.
async fn credential_with_role(
    conn: &mut SqliteConnection,
    name: &str,
    role: Role,
    purpose: &str,
) -> Result<CredentialRow> {
    let credential = credential_row(conn, name).await?;
    if credential.role != role.as_str() {
        return Err(Error::Invalid(format!(
            "credential \"{name}\" has the role {}, but {purpose} must be a {role} credential",
            credential.role
        )));
    }
    Ok(credential)
}

async fn credential_names(conn: &mut SqliteConnection) -> Result<HashMap<i64, String>> {
    let rows: Vec<(i64, String)> = sqlx::query_as("SELECT id, name FROM credentials")
        .fetch_all(conn)
        .await
        .map_err(hopscope_store::Error::from)?;
    Ok(rows.into_iter().collect())
}
