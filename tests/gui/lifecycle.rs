//! The steps of the certificate lifecycle scenario, in the order it runs
//! them. Each step starts and ends on a screen the next one expects.

use std::path::Path;
use std::process::Command;

use anyhow::{ensure, Context, Result};
use fantoccini::key::Key;

use crate::ui::{testid, Gui};
use crate::{PASSPHRASE, PUBLIC_URL};

pub async fn create_workspace(gui: &Gui) -> Result<()> {
    gui.find("create-workspace-screen").await?;
    gui.screenshot("01-create-workspace").await?;
    gui.type_into("passphrase", PASSPHRASE).await?;
    gui.type_into("passphrase-confirm", PASSPHRASE).await?;
    gui.click("create-workspace").await?;
    gui.find("app-shell").await?;
    gui.find("cert-empty").await?;
    gui.screenshot("02-certificates-empty").await
}

pub async fn create_root_authority(gui: &Gui) -> Result<()> {
    gui.click("nav-authorities").await?;
    gui.find("authorities-empty").await?;
    gui.click("open-create-authority").await?;
    gui.find("create-authority-dialog").await?;
    gui.type_into("authority-name", "demo-community").await?;
    gui.click("authority-kind-root").await?;
    gui.find("authority-key-type").await?.select_by_value("ecdsa-p256").await?;
    gui.screenshot("03-create-authority-dialog").await?;
    gui.click("dialog-submit").await?;
    gui.wait_gone("create-authority-dialog").await?;
    gui.css("[data-testid=\"authority-row\"][data-name=\"demo-community\"]").await?;
    gui.screenshot("04-authorities").await
}

pub async fn issue_public_endpoint(gui: &Gui) -> Result<()> {
    gui.click("sidebar-issue").await?;
    gui.find("issue-dialog").await?;
    gui.type_into("issue-name", "d-corp-public").await?;
    gui.find("issue-role").await?.select_by_value("public-endpoint").await?;
    gui.find("issue-authority").await?.select_by_value("demo-community").await?;

    // The backend's URL validation error shows under the URL field.
    gui.type_into("issue-url", "http://fhir.int-one.test:8443/d-corp").await?;
    gui.click("dialog-submit").await?;
    let url_error = gui.text("issue-url-error").await?;
    ensure!(url_error.contains("https"), "the URL error should ask for https, got: {url_error}");
    gui.screenshot("05-issue-url-error").await?;

    gui.type_into("issue-url", PUBLIC_URL).await?;
    gui.screenshot("06-issue-dialog").await?;
    // Enter in a field submits the dialog.
    gui.find("issue-url").await?.send_keys(&char::from(Key::Enter).to_string()).await?;
    gui.wait_gone("issue-dialog").await
}

pub async fn open_from_list_with_keyboard(gui: &Gui) -> Result<()> {
    gui.click("nav-certificates").await?;
    gui.type_into("cert-search", "d-corp").await?;
    gui.wait_count("[data-testid=\"cert-row\"]", 1).await?;
    gui.css("[data-testid=\"cert-row\"][data-name=\"d-corp-public\"]").await?;
    gui.screenshot("07-certificates").await?;

    let list = gui.find("cert-list").await?;
    let keys: String = [char::from(Key::Down), char::from(Key::Enter)].iter().collect();
    list.send_keys(&keys).await.context("pressing Down and Enter in the certificate list")?;
    gui.css("[data-testid=\"detail-view\"][data-name=\"d-corp-public\"]").await?;
    gui.wait_count("[data-testid=\"history-row\"]", 1).await?;
    let url = gui.text("detail-url").await?;
    ensure!(url == PUBLIC_URL, "the detail view should show the URL {PUBLIC_URL}, got {url}");
    let sans = gui.text("field-sans").await?;
    ensure!(sans.contains("fhir.int-one.test"), "the SANs should cover the URL's host, got: {sans}");
    gui.screenshot("08-detail").await
}

pub async fn rotate_current(gui: &Gui) -> Result<()> {
    let serial_before = gui.text("field-serial").await?;
    gui.click("detail-rotate").await?;
    gui.find("rotate-dialog").await?;
    gui.screenshot("09-rotate-dialog").await?;
    gui.click("dialog-submit").await?;
    gui.wait_gone("rotate-dialog").await?;
    gui.wait_count("[data-testid=\"history-row\"]", 2).await?;
    gui.wait_count("[data-testid=\"history-row\"][data-current=\"true\"]", 1).await?;
    let versions = gui.text("detail-versions").await?;
    ensure!(versions == "2", "the credential should have 2 versions after one rotation, got {versions}");
    let serial_after = gui.text("field-serial").await?;
    ensure!(serial_after != serial_before, "rotation should make a new certificate current (serial stayed {serial_before})");
    gui.screenshot("10-detail-rotated").await
}

pub async fn export_pem(gui: &Gui, temp: &Path) -> Result<()> {
    let target = temp.join("d-corp-public.pem");
    gui.click("detail-export").await?;
    gui.find("export-dialog").await?;
    gui.click("export-format-pem").await?;
    gui.type_into("export-path", target.to_str().context("temp path is not UTF-8")?).await?;
    gui.screenshot("11-export-dialog").await?;
    gui.click("dialog-submit").await?;
    gui.wait_gone("export-dialog").await?;

    let pem = std::fs::read_to_string(&target).with_context(|| format!("reading the export {}", target.display()))?;
    ensure!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "the export should be a PEM certificate, got: {pem:.80}");
    // openssl is an independent parser of what the app wrote.
    let output = Command::new("openssl")
        .args(["x509", "-noout", "-subject", "-ext", "subjectAltName", "-in"])
        .arg(&target)
        .output()
        .context("running openssl x509; install openssl")?;
    let printed = String::from_utf8_lossy(&output.stdout);
    ensure!(output.status.success(), "openssl x509 rejected the export: {}", String::from_utf8_lossy(&output.stderr));
    ensure!(printed.contains("fhir.int-one.test"), "the exported certificate should name fhir.int-one.test, openssl printed: {printed}");
    Ok(())
}

/// Imports through the dialog with typed paths. The exported PEM comes first:
/// the workspace already contains it, so the dialog must show the error and
/// stay open. Then a certificate made by openssl becomes a new credential.
pub async fn import_pem(gui: &Gui, temp: &Path) -> Result<()> {
    let duplicate = temp.join("d-corp-public.pem");
    let external = make_external_certificate(temp)?;

    gui.click("sidebar-import").await?;
    gui.find("import-dialog").await?;
    gui.type_into("import-path", duplicate.to_str().context("temp path is not UTF-8")?).await?;
    gui.find("import-role").await?.select_by_value("public-endpoint").await?;
    gui.click("dialog-submit").await?;
    let error = gui.text("dialog-error").await?;
    ensure!(error.contains("already in the workspace"), "importing a certificate twice should fail, got: {error}");
    ensure!(gui.count(&testid("import-dialog")).await? == 1, "the import dialog should stay open after an error");

    gui.type_into("import-path", external.to_str().context("temp path is not UTF-8")?).await?;
    // The dialog inspects the file before importing it.
    gui.css("[data-testid=\"import-preview\"]").await?;
    let preview = gui.text("import-preview").await?;
    ensure!(preview.contains("gw.external.test"), "the import preview should show the subject, got: {preview}");
    gui.type_into("import-name", "external-gateway").await?;
    gui.find("import-role").await?.select_by_value("private-endpoint").await?;
    gui.screenshot("12-import-dialog").await?;
    gui.click("dialog-submit").await?;
    gui.wait_gone("import-dialog").await?;

    gui.click("nav-certificates").await?;
    gui.type_into("cert-search", "external").await?;
    gui.css("[data-testid=\"cert-row\"][data-name=\"external-gateway\"]").await?.click().await?;
    gui.css("[data-testid=\"detail-view\"][data-name=\"external-gateway\"]").await?;
    gui.screenshot("13-detail-imported").await?;

    // Back to the rotated credential for the revocation that follows.
    gui.click("nav-certificates").await?;
    gui.type_into("cert-search", "d-corp-public").await?;
    gui.css("[data-testid=\"cert-row\"][data-name=\"d-corp-public\"]").await?.click().await?;
    gui.css("[data-testid=\"detail-view\"][data-name=\"d-corp-public\"]").await?;
    Ok(())
}

/// Makes a self-signed server certificate with openssl, as an operator
/// would bring from outside Hopscope, and returns the path of its PEM.
fn make_external_certificate(temp: &Path) -> Result<std::path::PathBuf> {
    let cert = temp.join("external-gateway.pem");
    let key = temp.join("external-gateway.key");
    let output = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "90"])
        .args(["-subj", "/CN=gw.external.test", "-addext", "subjectAltName=DNS:gw.external.test"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .context("running openssl req; install openssl")?;
    ensure!(output.status.success(), "openssl req failed: {}", String::from_utf8_lossy(&output.stderr));
    Ok(cert)
}

/// Saves a rotation policy of 50 % through the detail view's policy form.
pub async fn set_rotation_policy(gui: &Gui) -> Result<()> {
    gui.type_into("policy-percent", "50").await?;
    gui.click("policy-save").await?;
    gui.css("[data-testid=\"toast\"]").await?;
    // The form reloads with the saved policy.
    gui.wait_value("policy-percent", "50").await
}

/// Revokes the current certificate of the open credential and returns its serial.
pub async fn revoke_current(gui: &Gui) -> Result<String> {
    let serial = gui.text("field-serial").await?;
    gui.click("detail-revoke").await?;
    gui.find("revoke-dialog").await?;
    gui.find("revoke-reason").await?.select_by_value("superseded").await?;
    // The destructive button stays disabled until the operator confirms.
    let submit = gui.find("dialog-submit").await?;
    ensure!(!submit.is_enabled().await?, "Revoke must be disabled before the confirmation is ticked");
    gui.click("revoke-confirm").await?;
    gui.screenshot("14-revoke-dialog").await?;
    gui.click("dialog-submit").await?;
    gui.wait_gone("revoke-dialog").await?;
    gui.css("[data-testid=\"detail-view\"] [data-testid=\"status-badge\"][data-status=\"revoked\"]").await?;
    gui.screenshot("15-detail-revoked").await?;
    Ok(serial)
}

/// Exports the root's CRL as PEM and checks with openssl that it lists `serial`.
pub async fn export_crl(gui: &Gui, temp: &Path, serial: &str) -> Result<()> {
    let target = temp.join("demo-community.crl");
    gui.click("nav-authorities").await?;
    gui.css("[data-testid=\"authority-row\"][data-name=\"demo-community\"] [data-testid=\"authority-crl\"]")
        .await?
        .click()
        .await?;
    gui.find("crl-dialog").await?;
    gui.type_into("crl-path", target.to_str().context("temp path is not UTF-8")?).await?;
    gui.screenshot("16-crl-dialog").await?;
    gui.click("dialog-submit").await?;
    gui.wait_gone("crl-dialog").await?;

    let output = Command::new("openssl")
        .args(["crl", "-noout", "-text", "-in"])
        .arg(&target)
        .output()
        .context("running openssl crl; install openssl")?;
    ensure!(output.status.success(), "openssl crl rejected the CRL: {}", String::from_utf8_lossy(&output.stderr));
    let printed = String::from_utf8_lossy(&output.stdout).to_uppercase().replace(':', "");
    let wanted = serial.to_uppercase();
    ensure!(printed.contains(&wanted), "the CRL should list the revoked serial {wanted}, openssl printed: {printed}");
    Ok(())
}

pub async fn visit_other_screens(gui: &Gui) -> Result<()> {
    // Escape closes a dialog without doing anything.
    gui.click("sidebar-import").await?;
    gui.find("import-dialog").await?;
    gui.screenshot("17-escape-closes-dialog").await?;
    gui.find("import-path").await?.send_keys(&char::from(Key::Escape).to_string()).await?;
    gui.wait_gone("import-dialog").await?;

    gui.click("nav-rotation").await?;
    gui.find("rotation-view").await?;
    gui.screenshot("18-due-for-rotation").await?;

    gui.click("nav-timeline").await?;
    gui.css("[data-testid=\"timeline-row\"][data-name=\"d-corp-public\"]").await?;
    gui.screenshot("19-timeline").await?;

    gui.click("nav-audit").await?;
    gui.css("[data-testid=\"audit-row\"][data-action=\"rotate\"]").await?;
    gui.css("[data-testid=\"audit-row\"][data-action=\"export\"]").await?;
    gui.css("[data-testid=\"audit-row\"][data-action=\"revoke\"]").await?;
    gui.css("[data-testid=\"audit-row\"][data-action=\"import\"]").await?;
    gui.css("[data-testid=\"audit-row\"][data-action=\"policy\"]").await?;
    gui.screenshot("20-audit").await
}
