//! The originator simulator against the destination simulator over real TLS
//! on loopback, with no intermediary between them: trust decisions, signed
//! responses, the leak misbehaviour and the records both write.

use std::net::SocketAddr;
use std::time::Duration;

use hopscope_gateway::{ExchangeRecord, Participant, RecordSink, ServerCertificate};
use hopscope_pki::issue::{issue, IssueRequest, Issuer};
use hopscope_pki::{FhirBaseUrl, KeyType, PrivateKey, Role};
use hopscope_sim::scenario::scenario;
use hopscope_sim::{
    Destination, DestinationConfig, DestinationTrust, Originator, OriginatorConfig,
    SigningIdentity, StepOutcome, StepReport,
};
use hopscope_trust::{Anchor, AnchorSource, DeniedOriginator, DenyMatch, TrustList};
use time::OffsetDateTime;
use url::Url;

const DESTINATION_HOST: &str = "d-corp.internal.test";
const CLIENT_URI: &str = "https://clinic-a.test/apps/scheduler";

struct Authority {
    der: Vec<u8>,
    key: PrivateKey,
}

impl Authority {
    fn new(name: &str) -> Authority {
        let key = PrivateKey::generate(KeyType::EcdsaP256).unwrap();
        let der = issue(
            &IssueRequest {
                role: Role::Authority,
                common_name: name,
                url: None,
                key: &key,
                not_before: OffsetDateTime::now_utc() - time::Duration::hours(1),
                validity: time::Duration::days(30),
                path_len: None,
            },
            None,
        )
        .unwrap();
        Authority { der, key }
    }

    /// Issues a leaf of `role` for `url` and returns its DER and key.
    fn leaf(&self, role: Role, name: &str, url: &str) -> (Vec<u8>, PrivateKey) {
        let key = PrivateKey::generate(KeyType::EcdsaP256).unwrap();
        let url = FhirBaseUrl::parse(url).unwrap();
        let der = issue(
            &IssueRequest {
                role,
                common_name: name,
                url: Some(&url),
                key: &key,
                not_before: OffsetDateTime::now_utc() - time::Duration::hours(1),
                validity: time::Duration::days(7),
                path_len: None,
            },
            Some(&Issuer {
                cert_der: &self.der,
                key: &self.key,
            }),
        )
        .unwrap();
        (der, key)
    }
}

struct Setup {
    community: Authority,
    destination: Destination,
    records: tokio::sync::mpsc::Receiver<ExchangeRecord>,
    sink: RecordSink,
    base: Url,
}

fn trust_with(anchors: &[&Authority], denied: &[DenyMatch], version: i64) -> DestinationTrust {
    let mut list = TrustList::new();
    for authority in anchors {
        list.add_anchor(
            Anchor::new(
                &authority.der,
                AnchorSource::Imported,
                "test",
                OffsetDateTime::now_utc(),
            )
            .unwrap(),
        )
        .unwrap();
    }
    for rule in denied {
        list.add_denied(
            DeniedOriginator::new(rule.clone(), "test", OffsetDateTime::now_utc()).unwrap(),
        )
        .unwrap();
    }
    DestinationTrust {
        list,
        version,
        crls: Vec::new(),
    }
}

async fn start_destination(trust_community: bool) -> Setup {
    let community = Authority::new("community");
    let (tls_der, tls_key) = community.leaf(
        Role::PrivateEndpoint,
        DESTINATION_HOST,
        &format!("https://{DESTINATION_HOST}/fhir"),
    );
    let (signing_der, signing_key) = community.leaf(
        Role::DestinationSigning,
        "d-corp signing",
        &format!("https://{DESTINATION_HOST}/fhir"),
    );
    let (sink, records) = RecordSink::channel(10_000);
    let trust = if trust_community {
        trust_with(&[&community], &[], 1)
    } else {
        trust_with(&[], &[], 1)
    };
    // Port 0 first, so the base URLs can name the port the kernel chose.
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = probe.local_addr().unwrap().port();
    drop(probe);
    let base = Url::parse(&format!("https://{DESTINATION_HOST}:{port}/fhir")).unwrap();
    let destination = Destination::start(DestinationConfig {
        name: "d-corp".into(),
        bind: SocketAddr::from(([127, 0, 0, 1], port)),
        private_base: base.clone(),
        public_base: base.clone(),
        private_urls: Vec::new(),
        certificate: ServerCertificate {
            host: DESTINATION_HOST.into(),
            chain_pem: hopscope_pki::export::certificates_to_pem(std::slice::from_ref(&tls_der)),
            key_pkcs8_der: tls_key.pkcs8_der().to_vec(),
        },
        signing: SigningIdentity::new("d-corp-signing", signing_key.pkcs8_der(), vec![signing_der])
            .unwrap(),
        trust,
        records: Some(sink.clone()),
        seed: 7,
        body_capture_bytes: 1024 * 1024,
    })
    .await
    .unwrap();
    Setup {
        community,
        destination,
        records,
        sink,
        base,
    }
}

fn originator(setup: &Setup, issuer: &Authority, private_urls: Vec<String>) -> Originator {
    let (der, key) = issuer.leaf(Role::Originator, "clinic-a", CLIENT_URI);
    Originator::new(OriginatorConfig {
        name: "clinic-a".into(),
        client_uri: CLIENT_URI.into(),
        identity: SigningIdentity::new("clinic-a", key.pkcs8_der(), vec![der]).unwrap(),
        destination: "d-corp".into(),
        public_base: setup.base.clone(),
        gateway_addr: setup.destination.local_addr(),
        trust_roots: vec![setup.community.der.clone()],
        private_urls,
        expected_signing_sha256: None,
        records: Some(setup.sink.clone()),
        http2: false,
        body_capture_bytes: 1024 * 1024,
    })
    .unwrap()
}

fn failed(reports: &[StepReport]) -> Vec<String> {
    reports
        .iter()
        .filter(|r| !r.passed())
        .map(|r| {
            format!(
                "{} {} {:?} {:?} {:?}",
                r.step, r.url, r.status, r.error, r.checks
            )
        })
        .collect()
}

async fn drain(records: &mut tokio::sync::mpsc::Receiver<ExchangeRecord>) -> Vec<ExchangeRecord> {
    let mut all = Vec::new();
    while let Ok(Some(record)) =
        tokio::time::timeout(Duration::from_millis(300), records.recv()).await
    {
        all.push(record);
    }
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_scenario_passes_every_check() {
    let mut setup = start_destination(true).await;
    let originator = originator(&setup, &setup.community, Vec::new());
    let reports = originator.run(scenario("default").unwrap(), |_| {}).await;

    assert!(failed(&reports).is_empty(), "{:#?}", failed(&reports));
    let steps: Vec<&str> = reports.iter().map(|r| r.step.as_str()).collect();
    for step in [
        "udap-metadata",
        "register",
        "token",
        "capabilities",
        "search",
        "read",
        "create",
        "export",
    ] {
        assert!(steps.contains(&step), "step {step} missing from {steps:?}");
    }
    assert!(
        steps.iter().filter(|s| **s == "search").count() >= 3,
        "{steps:?}"
    );
    for report in &reports {
        assert_eq!(
            report.checks["signature"].outcome,
            StepOutcome::Pass,
            "{report:?}"
        );
        assert_eq!(
            report.checks["content-digest"].outcome,
            StepOutcome::Pass,
            "{report:?}"
        );
    }

    let records = drain(&mut setup.records).await;
    for report in &reports {
        let of_exchange: Vec<&ExchangeRecord> = records
            .iter()
            .filter(|r| r.exchange_id == report.exchange_id)
            .collect();
        let destination = of_exchange
            .iter()
            .find(|r| r.participant == Participant::Destination);
        let origin = of_exchange
            .iter()
            .find(|r| r.participant == Participant::Originator);
        let destination =
            destination.unwrap_or_else(|| panic!("no destination record for {report:?}"));
        let origin = origin.unwrap_or_else(|| panic!("no originator record for {report:?}"));
        assert_eq!(
            destination.response.as_ref().unwrap().body.sha256,
            origin.response.as_ref().unwrap().body.sha256,
            "{}",
            report.url
        );
    }
    let token = reports.iter().find(|r| r.step == "token").unwrap();
    let issued = records
        .iter()
        .find(|r| r.exchange_id == token.exchange_id && r.participant == Participant::Destination)
        .and_then(|r| r.details.as_ref())
        .and_then(|d| d.get("token_issued_sha256"))
        .and_then(|v| v.as_str())
        .map(str::to_string);
    assert_eq!(issued, token.token_received_sha256);
    setup.destination.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn untrusted_originator_is_refused_until_anchored() {
    let setup = start_destination(false).await;
    let originator = originator(&setup, &setup.community, Vec::new());

    let reports = originator.run(scenario("register").unwrap(), |_| {}).await;
    let register = reports.iter().find(|r| r.step == "register").unwrap();
    assert_eq!(register.status, Some(400), "{register:?}");
    assert_eq!(
        register.checks["expected-status"].outcome,
        StepOutcome::Fail
    );
    let token = reports.iter().find(|r| r.step == "token").unwrap();
    assert!(
        token
            .error
            .as_deref()
            .unwrap_or_default()
            .contains("skipped"),
        "{token:?}"
    );
    assert!(
        token
            .error
            .as_deref()
            .unwrap_or_default()
            .contains("trust list does not trust"),
        "{token:?}"
    );

    setup
        .destination
        .set_trust(trust_with(&[&setup.community], &[], 2));
    let reports = originator.run(scenario("register").unwrap(), |_| {}).await;
    assert!(failed(&reports).is_empty(), "{:#?}", failed(&reports));
    setup.destination.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn denied_originator_gets_no_token() {
    let setup = start_destination(true).await;
    let originator = originator(&setup, &setup.community, Vec::new());
    let reports = originator.run(scenario("register").unwrap(), |_| {}).await;
    assert!(failed(&reports).is_empty(), "{:#?}", failed(&reports));

    let deny = DenyMatch::SanUri {
        uri: CLIENT_URI.into(),
    };
    setup
        .destination
        .set_trust(trust_with(&[&setup.community], &[deny], 2));
    let reports = originator.run(scenario("read").unwrap(), |_| {}).await;
    let register = reports.iter().find(|r| r.step == "register").unwrap();
    assert_eq!(register.status, Some(400), "{register:?}");
    setup.destination.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_authority_is_refused() {
    let setup = start_destination(true).await;
    let foreign = Authority::new("foreign");
    let originator = originator(&setup, &foreign, Vec::new());
    let reports = originator.run(scenario("register").unwrap(), |_| {}).await;
    let register = reports.iter().find(|r| r.step == "register").unwrap();
    assert_eq!(register.status, Some(400), "{register:?}");
    setup.destination.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leaked_private_url_is_found() {
    let setup = start_destination(true).await;
    setup.destination.set_leak_private_url(true);
    // The test names the destination's own base as the private URL, since
    // here the public and private bases are the same URL: any URL the
    // destination writes then counts as a leak.
    let originator = originator(&setup, &setup.community, vec![setup.base.to_string()]);
    let reports = originator.run(scenario("search").unwrap(), |_| {}).await;
    let search = reports.iter().find(|r| r.step == "search").unwrap();
    assert_eq!(
        search.checks["private-url"].outcome,
        StepOutcome::Fail,
        "{search:?}"
    );
    setup.destination.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resource_without_token_gets_signed_401() {
    let setup = start_destination(true).await;
    let originator = originator(&setup, &setup.community, Vec::new());
    // udap-metadata only, so the originator has the signing certificate
    // but has no token.
    let reports = originator
        .run(
            &hopscope_sim::Scenario {
                name: "unauthorized",
                description: "",
                steps: &[
                    hopscope_sim::scenario::Step::UdapMetadata,
                    hopscope_sim::scenario::Step::Capabilities,
                    hopscope_sim::scenario::Step::Read,
                ],
            },
            |_| {},
        )
        .await;
    // The read step searches for a Patient first; that search is refused.
    let read = reports
        .iter()
        .find(|r| r.step == "read" && r.status.is_some())
        .unwrap();
    assert_eq!(read.status, Some(401), "{read:?}");
    assert_eq!(
        read.checks["signature"].outcome,
        StepOutcome::Pass,
        "{read:?}"
    );
    let capabilities = reports.iter().find(|r| r.step == "capabilities").unwrap();
    assert_eq!(capabilities.status, Some(200), "{capabilities:?}");
    setup.destination.shutdown().await;
}
