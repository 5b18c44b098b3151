//! The gateway configuration and the stored faults of the demo network.

use hopscope_workspace::{Fault, Workspace};

const PASSPHRASE: &str = "correct horse battery staple";

async fn demo_workspace(dir: &tempfile::TempDir) -> Workspace {
    let workspace = Workspace::create(&dir.path().join("ws.db"), PASSPHRASE).await.unwrap();
    workspace.demo().await.unwrap();
    workspace
}

#[tokio::test]
async fn demo_plan_serves_every_host() {
    let dir = tempfile::tempdir().unwrap();
    let workspace = demo_workspace(&dir).await;

    let plan = workspace.gateway_plan().await.unwrap();

    let listeners: Vec<(&str, &str, u16)> = plan
        .listeners
        .iter()
        .map(|l| (l.hop.as_str(), l.kind.as_str(), l.address.port()))
        .collect();
    assert_eq!(
        listeners,
        [
            ("int-one", "inbound-gateway", 8443),
            ("int-two", "delegated", 9444),
            ("b-corp", "destination", 9445),
            ("d-corp", "destination", 9443),
        ]
    );
    let mut int_one_hosts: Vec<&str> = plan.listeners[0].certificates.iter().map(|c| c.host.as_str()).collect();
    int_one_hosts.sort();
    assert_eq!(int_one_hosts, ["fhir.b-corp.test", "fhir.int-one.test"]);
    assert!(plan.listeners.iter().all(|l| l.address.ip().is_loopback()));
    let d_corp = plan.destinations.iter().find(|d| d.name == "d-corp").unwrap();
    assert_eq!(d_corp.certificate.host, "d-corp.internal.test");
    assert_eq!(d_corp.public_base_url, "https://fhir.int-one.test:8443/d-corp");
    assert_eq!(plan.config.upstream.trust_roots.len(), 1);
    assert!(plan.authorities_pem.starts_with("-----BEGIN CERTIFICATE-----"));
    let endpoints: Vec<(&str, &str, u16)> = plan
        .public_endpoints
        .iter()
        .map(|e| (e.destination.as_str(), e.host.as_str(), e.port))
        .collect();
    assert_eq!(endpoints, [("b-corp", "fhir.b-corp.test", 8443), ("d-corp", "fhir.int-one.test", 8443)]);
}

#[tokio::test]
async fn plan_needs_unlocked_workspace() {
    let dir = tempfile::tempdir().unwrap();
    demo_workspace(&dir).await.close().await;
    let workspace = Workspace::open(&dir.path().join("ws.db")).await.unwrap();

    let error = workspace.gateway_plan().await.unwrap_err().to_string();

    assert!(error.contains("locked"), "{error}");
}

#[tokio::test]
async fn fault_round_trip_with_audit() {
    let dir = tempfile::tempdir().unwrap();
    let workspace = demo_workspace(&dir).await;

    workspace.set_fault("int-two", Some(&Fault::Status { code: 503 })).await.unwrap();
    let faults = workspace.faults().await.unwrap();
    assert_eq!(faults.get("int-two"), Some(&Fault::Status { code: 503 }));

    let previous = workspace.set_fault("int-two", None).await.unwrap();
    assert_eq!(previous, Some(Fault::Status { code: 503 }));
    assert!(workspace.faults().await.unwrap().is_empty());
    let audit = workspace.audit(Some(2)).await.unwrap();
    let actions: Vec<&str> = audit.iter().map(|a| a.action.as_str()).collect();
    assert_eq!(actions, ["clear-fault", "set-fault"]);
}

#[tokio::test]
async fn fault_on_unknown_hop_names_known_hops() {
    let dir = tempfile::tempdir().unwrap();
    let workspace = demo_workspace(&dir).await;

    let error = workspace.set_fault("int-nine", Some(&Fault::Hold)).await.unwrap_err().to_string();

    assert!(error.contains("int-nine"), "{error}");
    assert!(error.contains("known hops: int-one, int-two"), "{error}");
}

#[tokio::test]
async fn invalid_fault_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let workspace = demo_workspace(&dir).await;

    let error = workspace.set_fault("int-one", Some(&Fault::Status { code: 99 })).await.unwrap_err().to_string();

    assert!(error.contains("99"), "{error}");
    assert!(workspace.faults().await.unwrap().is_empty());
}

#[tokio::test]
async fn external_destination_gets_no_stub() {
    let dir = tempfile::tempdir().unwrap();
    let workspace = demo_workspace(&dir).await;
    let update = hopscope_workspace::DestinationUpdate {
        external: Some(true),
        external_address: Some("127.0.0.3".into()),
        ..Default::default()
    };
    let view = workspace.update_destination("d-corp", &update).await.unwrap();
    assert!(view.external);
    assert_eq!(view.external_address.as_deref(), Some("127.0.0.3"));

    let plan = workspace.gateway_plan().await.unwrap();

    let stubs: Vec<&str> = plan.destinations.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(stubs, ["b-corp"]);
    assert!(plan.listeners.iter().all(|l| l.hop != "d-corp"), "no listener for the external destination");
    assert_eq!(plan.external_destinations.len(), 1);
    assert_eq!(plan.external_destinations[0].destination, "d-corp");
    assert_eq!(plan.external_destinations[0].address, "127.0.0.3:9443".parse().unwrap());
    assert_eq!(plan.config.upstream.addresses.get("d-corp.internal.test"), Some(&"127.0.0.3:9443".parse().unwrap()));
    assert!(plan.public_endpoints.iter().any(|e| e.destination == "d-corp"), "the public URL is still served");
}
