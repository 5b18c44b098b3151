use std::path::Path;

use anyhow::{bail, Result};
use hopscope_pki::revocation::RevocationReason;
use hopscope_workspace::{ExportFormat, ExportRequest, NewCredential, RotationPolicy};

use super::{duration_seconds, open, open_unlocked, write_output};
use crate::cli::{CertCommand, CertFormat};
use crate::{output, secrets};

pub async fn run(path: &Path, command: CertCommand) -> Result<()> {
    match command {
        CertCommand::Issue(args) => {
            let request = NewCredential {
                role: args.role.parse()?,
                key_type: args.key_type.parse()?,
                validity_seconds: duration_seconds(&args.validity)?,
                name: args.name,
                authority: args.authority,
                url: args.url,
            };
            let workspace = open_unlocked(path).await?;
            let summary = workspace.issue(&request).await?;
            println!(
                "issued {} ({}) for {}, valid until {}",
                summary.name,
                summary.role,
                summary.url.as_deref().unwrap_or("-"),
                output::timestamp(summary.not_after)
            );
        }
        CertCommand::List(args) => {
            let within = args.expiring.as_deref().map(duration_seconds).transpose()?;
            let workspace = open(path).await?;
            let credentials = workspace.list_credentials(within).await?;
            if args.json {
                output::json(&credentials)?;
            } else {
                let hint = if within.is_some() {
                    "no credential expires within that time"
                } else {
                    "no credentials yet; issue one with `hopscope cert issue NAME --role ROLE --authority AUTHORITY --url URL`"
                };
                output::credential_table(&credentials, hint);
            }
        }
        CertCommand::Show(args) => {
            let workspace = open(path).await?;
            let detail = workspace.credential(&args.name).await?;
            if args.json {
                output::json(&detail)?;
            } else {
                output::credential_detail(&detail);
            }
        }
        CertCommand::Rotate(args) => {
            let workspace = open_unlocked(path).await?;
            let summary = workspace.rotate(&args.name, args.reuse_key).await?;
            println!(
                "rotated {}: serial {} is current, valid until {}",
                summary.name,
                summary.serial,
                output::timestamp(summary.not_after)
            );
        }
        CertCommand::Revoke(args) => {
            let reason: RevocationReason = args.reason.parse()?;
            let workspace = open(path).await?;
            workspace.revoke(&args.name, reason).await?;
            println!("revoked the current certificate of {} ({reason})", args.name);
        }
        CertCommand::Export(args) => {
            let format = match args.format {
                CertFormat::Pem => ExportFormat::Pem,
                CertFormat::Der => ExportFormat::Der,
                CertFormat::P12 => ExportFormat::P12,
            };
            let needs_password = format == ExportFormat::P12 || (args.key && !args.key_in_clear);
            if needs_password && args.password_file.is_none() {
                let what = if format == ExportFormat::P12 { "a PKCS#12 file" } else { "the exported key" };
                bail!("{what} is encrypted: pass --password-file FILE (or --key-in-clear for an unencrypted PEM key)");
            }
            let password = args.password_file.as_deref().map(secrets::first_line).transpose()?;
            let request = ExportRequest {
                format,
                chain: args.chain,
                key: args.key,
                key_in_clear: args.key_in_clear,
                legacy: args.legacy,
                password: password.as_ref().map(|p| p.to_string()),
            };
            let with_key = args.key || format == ExportFormat::P12;
            let workspace = if with_key { open_unlocked(path).await? } else { open(path).await? };
            let bytes = zeroize::Zeroizing::new(workspace.export(&args.name, &request).await?);
            write_output(&args.out, &bytes, with_key)?;
            println!("wrote {}", args.out.display());
        }
        CertCommand::Due(args) => {
            let workspace = open(path).await?;
            let due = workspace.due_for_rotation().await?;
            if args.json {
                output::json(&due)?;
            } else {
                output::credential_table(&due, "nothing is due for rotation");
            }
        }
        CertCommand::Policy(args) => {
            let workspace = open(path).await?;
            let current = workspace.credential(&args.name).await?.policy;
            if args.remaining.is_none() && args.auto_rotate.is_none() {
                println!(
                    "{}: rotation due with {:.2}% of the lifetime left, automatic rotation {}",
                    args.name,
                    current.remaining_fraction * 100.0,
                    if current.auto_rotate { "on" } else { "off" }
                );
                return Ok(());
            }
            let policy = RotationPolicy {
                remaining_fraction: args.remaining.unwrap_or(current.remaining_fraction),
                auto_rotate: args.auto_rotate.unwrap_or(current.auto_rotate),
            };
            workspace.set_rotation_policy(&args.name, policy).await?;
            println!(
                "{}: rotation due with {:.2}% of the lifetime left, automatic rotation {}",
                args.name,
                policy.remaining_fraction * 100.0,
                if policy.auto_rotate { "on" } else { "off" }
            );
        }
    }
    Ok(())
}
