//! Topology validation: each mistake is caught, beside the element at fault.

use hopscope_pki::revocation::RevocationReason;
use hopscope_pki::{KeyType, Role};
use hopscope_workspace::{IntermediaryKind, NewCredential, NewDestination, NewIntermediary, Workspace};

const PASSPHRASE: &str = "correct horse battery staple";

async fn demo_workspace(dir: &tempfile::TempDir) -> Workspace {
    let workspace = Workspace::create(&dir.path().join("ws.db"), PASSPHRASE).await.unwrap();
    let outcome = workspace.demo().await.unwrap();
    assert!(outcome.created);
    workspace
}

fn codes(findings: &[hopscope_workspace::TopologyFinding]) -> Vec<(String, String, String)> {
    findings.iter().map(|f| (f.code.clone(), f.element.clone(), f.value.clone())).collect()
}

fn credential(name: &str, role: Role, url: &str, validity_seconds: i64) -> NewCredential {
    NewCredential {
        name: name.into(),
        role,
        authority: "demo-community".into(),
        url: url.into(),
        key_type: KeyType::EcdsaP256,
        validity_seconds,
    }
}

#[tokio::test]
async fn demo_network_is_valid() {
    let dir = tempfile::tempdir().unwrap();
    let workspace = demo_workspace(&dir).await;

    let findings = workspace.check_topology().await.unwrap();

    assert!(findings.is_empty(), "{findings:#?}");
    let topology = workspace.topology().await.unwrap();
    let d_corp = topology.destinations.iter().find(|d| d.name == "d-corp").unwrap();
    assert_eq!(d_corp.route, ["int-one", "int-two"]);
    assert_eq!(d_corp.public_url, "https://fhir.int-one.test:8443/d-corp");
    assert!(!workspace.demo().await.unwrap().created, "a second demo run changes nothing");
}

#[tokio::test]
async fn public_url_not_covered() {
    let dir = tempfile::tempdir().unwrap();
    let workspace = demo_workspace(&dir).await;
    workspace
        .add_destination(&NewDestination {
            name: "c-corp".into(),
            public_url: "https://c-corp.int-one.test:8443/".into(),
            private_url: "https://d-corp.internal.test:9443/fhir".into(),
            endpoint_credential: Some("d-corp-private".into()),
            signing_credential: Some("d-corp-signing".into()),
            external: false,
            external_address: None,
        })
        .await
        .unwrap();
    workspace.set_route("c-corp", &["int-one".into()]).await.unwrap();

    let findings = workspace.check_topology().await.unwrap();

    assert_eq!(
        codes(&findings),
        [("public-url-not-covered".into(), "c-corp".into(), "https://c-corp.int-one.test:8443/".into())]
    );
    assert!(findings[0].fix.contains("--role public-endpoint"), "{}", findings[0].fix);
}

#[tokio::test]
async fn private_url_not_covered() {
    let dir = tempfile::tempdir().unwrap();
    let workspace = demo_workspace(&dir).await;
    workspace
        .add_destination(&NewDestination {
            name: "e-corp".into(),
            public_url: "https://fhir.int-one.test:8443/e-corp".into(),
            private_url: "https://e-corp.internal.test:9446/fhir".into(),
            endpoint_credential: Some("d-corp-private".into()),
            signing_credential: Some("d-corp-signing".into()),
            external: false,
            external_address: None,
        })
        .await
        .unwrap();
    workspace.set_route("e-corp", &["int-one".into()]).await.unwrap();

    let findings = workspace.check_topology().await.unwrap();

    assert_eq!(
        codes(&findings),
        [("private-url-not-covered".into(), "e-corp".into(), "https://e-corp.internal.test:9446/fhir".into())]
    );
}

#[tokio::test]
async fn duplicate_public_url() {
    let dir = tempfile::tempdir().unwrap();
    let workspace = demo_workspace(&dir).await;
    workspace
        .add_destination(&NewDestination {
            name: "d-corp-copy".into(),
            public_url: "https://fhir.int-one.test:8443/d-corp/".into(),
            private_url: "https://d-corp.internal.test:9443/fhir".into(),
            endpoint_credential: Some("d-corp-private".into()),
            signing_credential: Some("d-corp-signing".into()),
            external: false,
            external_address: None,
        })
        .await
        .unwrap();
    workspace.set_route("d-corp-copy", &["int-one".into()]).await.unwrap();

    let findings = workspace.check_topology().await.unwrap();

    let duplicates: Vec<_> = findings.iter().filter(|f| f.code == "duplicate-public-url").map(|f| f.element.as_str()).collect();
    assert_eq!(duplicates.len(), 2, "{findings:#?}");
    assert!(duplicates.contains(&"d-corp"), "{duplicates:?}");
    assert!(duplicates.contains(&"d-corp-copy"), "{duplicates:?}");
}

#[tokio::test]
async fn route_loops_and_ends_nowhere() {
    let dir = tempfile::tempdir().unwrap();
    let workspace = demo_workspace(&dir).await;
    workspace.set_route("d-corp", &["int-one".into(), "int-two".into(), "int-two".into()]).await.unwrap();
    workspace
        .add_destination(&NewDestination {
            name: "lost".into(),
            public_url: "https://fhir.int-one.test:8443/lost".into(),
            private_url: "https://d-corp.internal.test:9443/fhir".into(),
            endpoint_credential: Some("d-corp-private".into()),
            signing_credential: Some("d-corp-signing".into()),
            external: false,
            external_address: None,
        })
        .await
        .unwrap();
    workspace.set_route("b-corp", &["int-two".into()]).await.unwrap();

    let findings = workspace.check_topology().await.unwrap();
    let found = codes(&findings);

    assert!(found.contains(&("route-loop".into(), "d-corp".into(), "int-two".into())), "{found:?}");
    assert!(found.contains(&("route-missing".into(), "lost".into(), "lost".into())), "{found:?}");
    assert!(found.contains(&("route-not-from-gateway".into(), "b-corp".into(), "int-two".into())), "{found:?}");
}

#[tokio::test]
async fn expired_and_revoked_certificates_on_hops() {
    let dir = tempfile::tempdir().unwrap();
    let workspace = demo_workspace(&dir).await;
    workspace.revoke("int-two-private", RevocationReason::KeyCompromise).await.unwrap();
    workspace
        .issue(&credential("short-public", Role::PublicEndpoint, "https://fhir.int-one.test:8443/s", 1))
        .await
        .unwrap();
    workspace
        .add_intermediary(&NewIntermediary {
            name: "int-three".into(),
            kind: IntermediaryKind::InboundGateway,
            listen_urls: vec!["https://fhir.int-one.test:8443/".into()],
            credentials: vec!["short-public".into()],
        })
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;

    let findings = workspace.check_topology().await.unwrap();
    let found = codes(&findings);

    assert!(found.contains(&("certificate-revoked".into(), "int-two".into(), "int-two-private".into())), "{found:?}");
    assert!(found.contains(&("certificate-expired".into(), "int-three".into(), "short-public".into())), "{found:?}");
}

#[tokio::test]
async fn wrong_role_and_unknown_names_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let workspace = demo_workspace(&dir).await;

    let wrong_role = workspace
        .add_intermediary(&NewIntermediary {
            name: "int-x".into(),
            kind: IntermediaryKind::Delegated,
            listen_urls: vec!["https://int-x.internal.test/".into()],
            credentials: vec!["d-corp-public".into()],
        })
        .await
        .unwrap_err();
    let unknown_route = workspace.set_route("d-corp", &["int-nine".into()]).await.unwrap_err();
    let bad_url = workspace
        .add_destination(&NewDestination {
            name: "f-corp".into(),
            public_url: "http://fhir.f-corp.test/".into(),
            private_url: "https://f.internal.test/".into(),
            endpoint_credential: None,
            signing_credential: None,
            external: false,
            external_address: None,
        })
        .await
        .unwrap_err();

    assert!(wrong_role.to_string().contains("private-endpoint"), "{wrong_role}");
    assert!(unknown_route.to_string().contains("int-nine"), "{unknown_route}");
    assert!(bad_url.to_string().contains("http://fhir.f-corp.test/"), "{bad_url}");
    assert_eq!(workspace.destination("d-corp").await.unwrap().route, ["int-one", "int-two"]);
}

#[tokio::test]
async fn revoked_stays_revoked_after_authority_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let workspace = demo_workspace(&dir).await;
    let chain_request = hopscope_workspace::ExportRequest {
        format: hopscope_workspace::ExportFormat::Pem,
        chain: true,
        key: false,
        key_in_clear: false,
        legacy: false,
        password: None,
    };
    let chain = workspace.export("clinic-a", &chain_request).await.unwrap();
    let presented = hopscope_workspace::Presented::from_text(std::str::from_utf8(&chain).unwrap()).unwrap();
    workspace.revoke("clinic-a", RevocationReason::KeyCompromise).await.unwrap();

    // The root gets a new key; clinic-a was signed by the old one.
    workspace.rotate("demo-community", false).await.unwrap();
    let decision = workspace.trust_check("d-corp", &presented, None).await.unwrap();
    let crl_pem = String::from_utf8(workspace.crl("demo-community", true).await.unwrap()).unwrap();

    assert!(!decision.trusted, "{decision:#?}");
    let revocation = decision.checks.iter().find(|c| c.name == hopscope_trust::CheckName::Revocation).unwrap();
    assert_eq!(revocation.outcome, hopscope_trust::Outcome::Fail, "{}", revocation.reason);
    assert_eq!(crl_pem.matches("BEGIN X509 CRL").count(), 2, "one CRL per key: {crl_pem}");
}

#[tokio::test]
async fn update_fixes_findings_keeping_route_and_trust() {
    let dir = tempfile::tempdir().unwrap();
    let workspace = demo_workspace(&dir).await;
    workspace
        .update_destination(
            "d-corp",
            &hopscope_workspace::DestinationUpdate {
                private_url: Some("https://d-corp.internal.test:9446/fhir".into()),
                endpoint_credential: Some("b-corp-private".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let broken = codes(&workspace.check_topology().await.unwrap());
    assert_eq!(broken, [("private-url-not-covered".into(), "d-corp".into(), "https://d-corp.internal.test:9446/fhir".into())]);

    workspace
        .issue(&credential("d-corp-private-2", Role::PrivateEndpoint, "https://d-corp.internal.test:9446/fhir", 86_400))
        .await
        .unwrap();
    let update = hopscope_workspace::DestinationUpdate {
        endpoint_credential: Some("d-corp-private-2".into()),
        ..Default::default()
    };
    let view = workspace.update_destination("d-corp", &update).await.unwrap();
    workspace
        .update_intermediary(
            "int-one",
            &hopscope_workspace::IntermediaryUpdate {
                credentials: Some(vec!["d-corp-public".into(), "b-corp-public".into()]),
                add_via: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();

    assert!(workspace.check_topology().await.unwrap().is_empty());
    let int_one = workspace.topology().await.unwrap().intermediaries.into_iter().find(|i| i.name == "int-one").unwrap();
    assert!(int_one.add_via, "Via was switched on: {int_one:?}");
    assert!(!int_one.add_forwarded, "Forwarded stays off: {int_one:?}");
    assert_eq!(view.route, ["int-one", "int-two"], "the route is kept");
    assert_eq!(workspace.trust_list("d-corp").await.unwrap().version, 1, "the trust list is kept");
    let wrong_role = hopscope_workspace::IntermediaryUpdate {
        credentials: Some(vec!["d-corp-private-2".into()]),
        ..Default::default()
    };
    let err = workspace.update_intermediary("int-one", &wrong_role).await.unwrap_err();
    assert!(err.to_string().contains("must be a public-endpoint credential"), "{err}");
    assert_eq!(workspace.topology().await.unwrap().intermediaries[0].credentials.len(), 2, "a failed update changes nothing");
}
