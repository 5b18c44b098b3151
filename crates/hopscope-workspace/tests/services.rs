//! The workspace services in process, on a real SQLite file.

use hopscope_pki::revocation::RevocationReason;
use hopscope_pki::{KeyType, Role};
use hopscope_workspace::{
    CertificateStatus, Error, ExportFormat, ExportRequest, ImportRequest, NewAuthority, NewCredential,
    RotationPolicy, Workspace,
};

const PASSPHRASE: &str = "correct horse battery staple";

async fn workspace_with_root(dir: &tempfile::TempDir) -> Workspace {
    let workspace = Workspace::create(&dir.path().join("ws.db"), PASSPHRASE).await.unwrap();
    workspace.create_authority(&root("root")).await.unwrap();
    workspace
}

fn root(name: &str) -> NewAuthority {
    NewAuthority {
        name: name.into(),
        parent: None,
        key_type: KeyType::EcdsaP256,
        validity_seconds: 365 * 86_400,
        path_len: None,
    }
}

fn endpoint(name: &str, authority: &str) -> NewCredential {
    NewCredential {
        name: name.into(),
        role: Role::PublicEndpoint,
        authority: authority.into(),
        url: "https://fhir.int-one.test:8443/d-corp".into(),
        key_type: KeyType::EcdsaP256,
        validity_seconds: 90 * 86_400,
    }
}

fn pem_export() -> ExportRequest {
    ExportRequest {
        format: ExportFormat::Pem,
        chain: false,
        key: false,
        key_in_clear: false,
        legacy: false,
        password: None,
    }
}

#[tokio::test]
async fn unlock_wrong_passphrase_keeps_locked() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ws.db");
    Workspace::create(&path, PASSPHRASE).await.unwrap().close().await;
    let workspace = Workspace::open(&path).await.unwrap();

    let err = workspace.unlock("not the passphrase").await.unwrap_err();

    assert!(matches!(err, Error::WrongPassphrase { .. }), "{err}");
    assert!(!workspace.is_unlocked());
    workspace.unlock(PASSPHRASE).await.unwrap();
    assert!(workspace.is_unlocked());
}

#[tokio::test]
async fn locked_workspace_cannot_issue() {
    let dir = tempfile::tempdir().unwrap();
    let workspace = workspace_with_root(&dir).await;
    workspace.lock();

    let err = workspace.issue(&endpoint("e", "root")).await.unwrap_err();

    assert!(matches!(err, Error::Locked), "{err}");
}

#[tokio::test]
async fn issue_then_rotate_keeps_history() {
    let dir = tempfile::tempdir().unwrap();
    let workspace = workspace_with_root(&dir).await;
    let first = workspace.issue(&endpoint("d-corp-public", "root")).await.unwrap();

    let second = workspace.rotate("d-corp-public", false).await.unwrap();

    assert_ne!(first.serial, second.serial);
    assert_eq!(second.versions, 2);
    let detail = workspace.credential("d-corp-public").await.unwrap();
    assert_eq!(detail.history.len(), 2);
    assert_eq!(detail.history.iter().filter(|h| h.current).count(), 1);
    assert_ne!(detail.history[0].spki_sha256, detail.history[1].spki_sha256, "a plain rotation makes a new key");
    assert_eq!(detail.inspection.san_dns, vec!["fhir.int-one.test".to_string()]);
}

#[tokio::test]
async fn rotate_reuse_key_keeps_spki() {
    let dir = tempfile::tempdir().unwrap();
    let workspace = workspace_with_root(&dir).await;
    workspace.issue(&endpoint("e", "root")).await.unwrap();

    workspace.rotate("e", true).await.unwrap();

    let history = workspace.credential("e").await.unwrap().history;
    assert_eq!(history[0].spki_sha256, history[1].spki_sha256);
}

#[tokio::test]
async fn rotate_root_is_self_signed() {
    let dir = tempfile::tempdir().unwrap();
    let workspace = workspace_with_root(&dir).await;

    workspace.rotate("root", false).await.unwrap();

    let detail = workspace.credential("root").await.unwrap();
    assert!(detail.inspection.self_signed);
    assert!(detail.inspection.is_ca);
    assert_eq!(detail.history.len(), 2);
}

#[tokio::test]
async fn revoke_shows_revoked_and_lands_on_crl() {
    let dir = tempfile::tempdir().unwrap();
    let workspace = workspace_with_root(&dir).await;
    workspace.issue(&endpoint("e", "root")).await.unwrap();

    workspace.revoke("e", RevocationReason::KeyCompromise).await.unwrap();

    let summary = workspace.summary("e").await.unwrap();
    assert_eq!(summary.status, CertificateStatus::Revoked);
    let crl = workspace.crl("root", false).await.unwrap();
    let serial = hex::decode(summary.serial.trim_start_matches("00")).unwrap();
    assert!(crl.windows(serial.len()).any(|w| w == serial.as_slice()), "CRL lacks the revoked serial");
    let again = workspace.revoke("e", RevocationReason::Superseded).await.unwrap_err();
    assert!(again.to_string().contains("already revoked"), "{again}");
}

#[tokio::test]
async fn due_for_rotation_follows_policy() {
    let dir = tempfile::tempdir().unwrap();
    let workspace = workspace_with_root(&dir).await;
    workspace.issue(&endpoint("long", "root")).await.unwrap();
    // A 100-second certificate whose policy rotates it with 99% of its
    // lifetime left is due one second after issue.
    workspace
        .issue(&NewCredential {
            validity_seconds: 100,
            ..endpoint("short", "root")
        })
        .await
        .unwrap();
    assert!(workspace.due_for_rotation().await.unwrap().is_empty());

    let policy = RotationPolicy {
        remaining_fraction: 0.99,
        auto_rotate: true,
    };
    workspace.set_rotation_policy("short", policy).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;

    let due = workspace.due_for_rotation().await.unwrap();
    assert_eq!(due.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), ["short"]);
    assert_eq!(due[0].status, CertificateStatus::RotationDue);
    let rotated = workspace.rotate_due_automatic().await.unwrap();
    assert_eq!(rotated.len(), 1);
    assert_eq!(workspace.summary("short").await.unwrap().versions, 2);

    let invalid = RotationPolicy {
        remaining_fraction: 1.5,
        auto_rotate: false,
    };
    let err = workspace.set_rotation_policy("long", invalid).await.unwrap_err();
    assert!(err.to_string().contains("1.5"), "{err}");
}

#[tokio::test]
async fn import_certificate_then_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let source = workspace_with_root(&dir).await;
    let cert_pem = source.export("root", &pem_export()).await.unwrap();
    let key_pem = source
        .export(
            "root",
            &ExportRequest {
                key: true,
                key_in_clear: true,
                ..pem_export()
            },
        )
        .await
        .unwrap();
    let other_dir = tempfile::tempdir().unwrap();
    let target = Workspace::create(&other_dir.path().join("ws.db"), PASSPHRASE).await.unwrap();

    let imported = target
        .import(&cert_pem, &ImportRequest { name: Some("partner-root".into()), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(imported[0].role, Role::Authority);
    assert!(!imported[0].has_key);
    let err = target.issue(&endpoint("e", "partner-root")).await.unwrap_err();
    assert!(matches!(err, Error::AuthorityWithoutKey(_)), "{err}");

    // The exported PEM contains the certificate and the key; importing it again
    // attaches the key to the certificate already in the workspace.
    target.import(&key_pem, &ImportRequest::default()).await.unwrap();
    assert!(target.summary("partner-root").await.unwrap().has_key);
    target.issue(&endpoint("e", "partner-root")).await.unwrap();
}

#[tokio::test]
async fn audit_records_every_change_without_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let workspace = workspace_with_root(&dir).await;
    workspace.issue(&endpoint("e", "root")).await.unwrap();
    workspace.rotate("e", false).await.unwrap();
    workspace
        .export("e", &ExportRequest { key: true, key_in_clear: true, ..pem_export() })
        .await
        .unwrap();

    let audit = workspace.audit(None).await.unwrap();

    let actions: Vec<&str> = audit.iter().rev().map(|a| a.action.as_str()).collect();
    assert_eq!(actions, ["init", "create-authority", "issue", "rotate", "export"]);
    let text = serde_json::to_string(&audit).unwrap();
    assert!(!text.contains("PRIVATE KEY"));
    assert!(!text.contains(PASSPHRASE));
}

#[tokio::test]
async fn list_excludes_authorities_and_filters_expiry() {
    let dir = tempfile::tempdir().unwrap();
    let workspace = workspace_with_root(&dir).await;
    workspace.issue(&endpoint("long", "root")).await.unwrap();
    workspace
        .issue(&NewCredential {
            validity_seconds: 10 * 86_400,
            ..endpoint("short", "root")
        })
        .await
        .unwrap();

    let all = workspace.list_credentials(None).await.unwrap();
    let expiring = workspace.list_credentials(Some(30 * 86_400)).await.unwrap();

    assert_eq!(all.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), ["long", "short"]);
    assert_eq!(expiring.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), ["short"]);
    assert_eq!(workspace.list_authorities().await.unwrap().len(), 1);
}
