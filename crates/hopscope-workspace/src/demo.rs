//! The demo network: a complete exchange that runs with no further set-up.
//! Scripts and tests rely on these names, URLs and ports.

use hopscope_pki::{KeyType, Role};

use crate::{
    IntermediaryKind, NewAuthority, NewCredential, NewDestination, NewIntermediary, Result, Workspace,
};

pub const DEMO_AUTHORITY: &str = "demo-community";
pub const DEMO_GATEWAY: &str = "int-one";
pub const DEMO_DELEGATED: &str = "int-two";
pub const DEMO_ORIGINATOR: &str = "clinic-a";
pub const DEMO_ORIGINATOR_URI: &str = "https://clinic-a.test/apps/scheduler";

/// One demo destination and where it sits.
struct DemoDestination {
    name: &'static str,
    public_url: &'static str,
    private_url: &'static str,
    via: &'static [&'static str],
}

const DESTINATIONS: [DemoDestination; 2] = [
    DemoDestination {
        name: "d-corp",
        public_url: "https://fhir.int-one.test:8443/d-corp",
        private_url: "https://d-corp.internal.test:9443/fhir",
        via: &[DEMO_GATEWAY, DEMO_DELEGATED],
    },
    DemoDestination {
        name: "b-corp",
        public_url: "https://fhir.b-corp.test:8443/r4",
        private_url: "https://b-corp.internal.test:9445/fhir",
        via: &[DEMO_GATEWAY],
    },
];

const DELEGATED_URL: &str = "https://int-two.internal.test:9444/";
const ENDPOINT_VALIDITY_SECONDS: i64 = 90 * 86_400;
const SIGNING_VALIDITY_SECONDS: i64 = 365 * 86_400;
const AUTHORITY_VALIDITY_SECONDS: i64 = 10 * 365 * 86_400;

/// What `demo` did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DemoOutcome {
    /// False when the demo network was already in the workspace.
    pub created: bool,
    pub destinations: Vec<String>,
}

impl Workspace {
    /// Fills the workspace with the demo network: the `demo-community` root,
    /// the inbound gateway `int-one` (port 8443), the delegated intermediary
    /// `int-two` (port 9444), destinations `d-corp` and `b-corp`, the
    /// originator `clinic-a`, and trust lists anchoring `demo-community`.
    /// Does nothing when the demo network is already there.
    pub async fn demo(&self) -> Result<DemoOutcome> {
        let names: Vec<String> = DESTINATIONS.iter().map(|d| d.name.to_string()).collect();
        if self.topology().await?.destinations.iter().any(|d| d.name == DESTINATIONS[0].name) {
            return Ok(DemoOutcome {
                created: false,
                destinations: names,
            });
        }
        self.data_key()?;

        self.create_authority(&NewAuthority {
            name: DEMO_AUTHORITY.into(),
            parent: None,
            key_type: KeyType::EcdsaP256,
            validity_seconds: AUTHORITY_VALIDITY_SECONDS,
            path_len: None,
        })
        .await?;

        let mut public_credentials = Vec::new();
        let mut gateway_urls = Vec::new();
        for d in &DESTINATIONS {
            let public = format!("{}-public", d.name);
            self.issue_demo(&public, Role::PublicEndpoint, d.public_url, ENDPOINT_VALIDITY_SECONDS).await?;
            self.issue_demo(&format!("{}-private", d.name), Role::PrivateEndpoint, d.private_url, ENDPOINT_VALIDITY_SECONDS)
                .await?;
            self.issue_demo(&format!("{}-signing", d.name), Role::DestinationSigning, d.public_url, SIGNING_VALIDITY_SECONDS)
                .await?;
            public_credentials.push(public);
            let host_root = hopscope_pki::FhirBaseUrl::parse(d.public_url)?.as_url().origin().ascii_serialization() + "/";
            if !gateway_urls.contains(&host_root) {
                gateway_urls.push(host_root);
            }
        }
        self.issue_demo("int-two-private", Role::PrivateEndpoint, DELEGATED_URL, ENDPOINT_VALIDITY_SECONDS).await?;
        self.issue_demo(DEMO_ORIGINATOR, Role::Originator, DEMO_ORIGINATOR_URI, SIGNING_VALIDITY_SECONDS).await?;

        self.add_intermediary(&NewIntermediary {
            name: DEMO_GATEWAY.into(),
            kind: IntermediaryKind::InboundGateway,
            listen_urls: gateway_urls,
            credentials: public_credentials,
        })
        .await?;
        self.add_intermediary(&NewIntermediary {
            name: DEMO_DELEGATED.into(),
            kind: IntermediaryKind::Delegated,
            listen_urls: vec![DELEGATED_URL.into()],
            credentials: vec!["int-two-private".into()],
        })
        .await?;

        for d in &DESTINATIONS {
            self.add_destination(&NewDestination {
                name: d.name.into(),
                public_url: d.public_url.into(),
                private_url: d.private_url.into(),
                endpoint_credential: Some(format!("{}-private", d.name)),
                signing_credential: Some(format!("{}-signing", d.name)),
                external: false,
                external_address: None,
            })
            .await?;
            let via: Vec<String> = d.via.iter().map(|v| v.to_string()).collect();
            self.set_route(d.name, &via).await?;
            self.demo_trust_list(d.name).await?;
        }
        tracing::info!("created the demo network");
        Ok(DemoOutcome {
            created: true,
            destinations: names,
        })
    }

    async fn issue_demo(&self, name: &str, role: Role, url: &str, validity_seconds: i64) -> Result<()> {
        self.issue(&NewCredential {
            name: name.into(),
            role,
            authority: DEMO_AUTHORITY.into(),
            url: url.into(),
            key_type: KeyType::EcdsaP256,
            validity_seconds,
        })
        .await?;
        Ok(())
    }

    /// Anchors `demo-community` in the destination's trust list.
    async fn demo_trust_list(&self, destination: &str) -> Result<()> {
        let addition = crate::trust::TrustAddition::AnchorAuthority {
            name: DEMO_AUTHORITY.into(),
        };
        self.trust_add(destination, &addition, "the demo network's community authority").await?;
        Ok(())
    }
}
