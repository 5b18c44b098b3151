//! Human-readable tables and JSON output.

use anyhow::Result;
use hopscope_workspace::{AuditEntry, CredentialDetail, CredentialSummary, InspectedCertificate};
use serde::Serialize;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

pub fn timestamp(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_else(|_| t.to_string())
}

/// Prints one row per credential: name, role, status, days left, not after, URL.
pub fn credential_table(rows: &[CredentialSummary], empty_hint: &str) {
    if rows.is_empty() {
        println!("{empty_hint}");
        return;
    }
    let name_width = rows.iter().map(|r| r.name.len()).max().unwrap_or(4).max(4);
    println!("{:<name_width$}  {:<19}  {:<13}  {:>9}  {:<20}  URL", "NAME", "ROLE", "STATUS", "DAYS LEFT", "NOT AFTER");
    for r in rows {
        println!(
            "{:<name_width$}  {:<19}  {:<13}  {:>9}  {:<20}  {}",
            r.name,
            r.role.as_str(),
            status_name(r),
            r.days_left,
            timestamp(r.not_after),
            r.url.as_deref().unwrap_or("-"),
        );
    }
}

fn status_name(r: &CredentialSummary) -> String {
    serde_json::to_value(r.status).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

pub fn credential_detail(d: &CredentialDetail) {
    let s = &d.summary;
    let i = &d.inspection;
    println!("credential   {}", s.name);
    println!("role         {}", s.role);
    if let Some(url) = &s.url {
        println!("url          {url}");
    }
    println!("authority    {}", s.authority.as_deref().unwrap_or("-"));
    println!("status       {} ({} days left)", status_name(s), s.days_left);
    println!("rotation due {}", timestamp(s.rotation_due_at));
    println!();
    println!("subject      {}", i.subject);
    println!("issuer       {}", i.issuer);
    println!("serial       {}", i.serial_hex);
    println!("not before   {}", i.not_before.map(timestamp).unwrap_or_else(|| "-".into()));
    println!("not after    {}", i.not_after.map(timestamp).unwrap_or_else(|| "-".into()));
    for (label, values) in [("SAN DNS", &i.san_dns), ("SAN IP", &i.san_ip), ("SAN URI", &i.san_uri)] {
        if !values.is_empty() {
            println!("{label:<12} {}", values.join(", "));
        }
    }
    println!("key usage    {}", i.key_usage.join(", "));
    println!("ext. usage   {}", if i.extended_key_usage.is_empty() { "-".into() } else { i.extended_key_usage.join(", ") });
    println!("CA           {}{}", i.is_ca, i.path_len.map(|p| format!(" (path length {p})")).unwrap_or_default());
    println!("key          {}{}", i.key_algorithm, i.key_bits.map(|b| format!(" {b} bits")).unwrap_or_default());
    println!("SHA-256      {}", i.sha256_fingerprint);
    println!("SPKI SHA-256 {}", i.spki_sha256);
    println!();
    println!("chain:");
    for link in &d.chain {
        println!("  {}  {}", link.credential.as_deref().unwrap_or("(not in workspace)"), link.subject);
    }
    if !d.findings.is_empty() {
        println!("findings:");
        for f in &d.findings {
            println!("  {:?} {}: {}", f.severity, f.code, f.message);
        }
    }
    println!("history (newest first):");
    for h in &d.history {
        let mut notes = Vec::new();
        if h.current {
            notes.push("current".to_string());
        }
        if let Some(reason) = &h.revocation_reason {
            notes.push(format!("revoked: {reason}"));
        }
        println!("  {}  {} → {}  {}", h.serial, timestamp(h.not_before), timestamp(h.not_after), notes.join(", "));
    }
}

pub fn inspected(certificates: &[InspectedCertificate]) {
    for (n, c) in certificates.iter().enumerate() {
        let i = &c.inspection;
        if n > 0 {
            println!();
        }
        println!("certificate {} of {}", n + 1, certificates.len());
        println!("  version      {}", i.version);
        println!("  subject      {}", i.subject);
        println!("  issuer       {}", i.issuer);
        println!("  serial       {}", i.serial_hex);
        println!("  not before   {}", i.not_before.map(timestamp).unwrap_or_else(|| "-".into()));
        println!("  not after    {}", i.not_after.map(timestamp).unwrap_or_else(|| "-".into()));
        let san_count = i.san_dns.len() + i.san_ip.len() + i.san_uri.len() + i.san_email.len();
        if san_count > 20 {
            println!("  SANs         {san_count} (use --json to list them)");
        } else {
            for (label, values) in [("SAN DNS", &i.san_dns), ("SAN IP", &i.san_ip), ("SAN URI", &i.san_uri), ("SAN email", &i.san_email)] {
                if !values.is_empty() {
                    println!("  {label:<12} {}", values.join(", "));
                }
            }
        }
        println!("  key usage    {}", i.key_usage.join(", "));
        println!("  ext. usage   {}", i.extended_key_usage.join(", "));
        println!("  CA           {}", i.is_ca);
        println!("  key          {}{}", i.key_algorithm, i.key_bits.map(|b| format!(" {b} bits")).unwrap_or_default());
        println!("  signature    {}", i.signature_algorithm);
        println!("  SHA-256      {}", i.sha256_fingerprint);
        println!("  SPKI SHA-256 {}", i.spki_sha256);
        for oid in &i.unknown_critical_extensions {
            println!("  unknown critical extension {oid}");
        }
        for part in &i.unparsed {
            println!("  not parsed: {part}");
        }
        for f in &c.findings {
            println!("  {:?} {}: {}", f.severity, f.code, f.message);
        }
    }
}

pub fn audit(entries: &[AuditEntry]) {
    if entries.is_empty() {
        println!("the audit log is empty");
        return;
    }
    for e in entries {
        println!(
            "{}  {:<16}  {:<24}  {}  {}",
            timestamp(e.at),
            e.action,
            e.subject,
            e.serial.as_deref().unwrap_or("-"),
            e.detail
        );
    }
}
