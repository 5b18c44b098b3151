use std::path::Path;

use anyhow::{Context, Result};
use hopscope_workspace::{inspect_file, ImportRequest};

use super::{duration_seconds, open_unlocked};
use crate::cli::{ImportArgs, InspectArgs};
use crate::{output, secrets};

pub async fn import(path: &Path, args: ImportArgs) -> Result<()> {
    let bytes = std::fs::read(&args.file).with_context(|| format!("cannot read {}", args.file.display()))?;
    let password = args.password_file.as_deref().map(secrets::first_line).transpose()?;
    let request = ImportRequest {
        name: args.name,
        role: args.role.as_deref().map(str::parse).transpose()?,
        password: password.as_ref().map(|p| p.to_string()),
        authority: args.authority,
        url: args.url,
        validity_seconds: args.validity.as_deref().map(duration_seconds).transpose()?,
    };
    let workspace = open_unlocked(path).await?;
    let imported = workspace
        .import(&bytes, &request)
        .await
        .with_context(|| format!("cannot import {}", args.file.display()))?;
    for summary in imported {
        println!(
            "imported {} ({}{})",
            summary.name,
            summary.role,
            if summary.has_key { ", with its key" } else { "" }
        );
    }
    Ok(())
}

pub fn inspect(args: InspectArgs) -> Result<()> {
    let bytes = std::fs::read(&args.file).with_context(|| format!("cannot read {}", args.file.display()))?;
    let password = args.password_file.as_deref().map(secrets::first_line).transpose()?;
    let certificates = inspect_file(&bytes, password.as_deref().map(|p| p.as_str()))
        .with_context(|| format!("cannot inspect {}", args.file.display()))?;
    if args.json {
        output::json(&certificates)?;
    } else {
        output::inspected(&certificates);
    }
    Ok(())
}
