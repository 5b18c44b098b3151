use std::path::Path;

use anyhow::Result;
use hopscope_workspace::{ExportFormat, ExportRequest, NewAuthority};

use super::{duration_seconds, open, open_unlocked, write_output};
use crate::cli::{AuthorityCommand, PemOrDer};
use crate::output;

const ROOT_VALIDITY: &str = "10y";
const INTERMEDIATE_VALIDITY: &str = "5y";

pub async fn run(path: &Path, command: AuthorityCommand) -> Result<()> {
    match command {
        AuthorityCommand::Create(args) => {
            let default_validity = if args.parent.is_some() { INTERMEDIATE_VALIDITY } else { ROOT_VALIDITY };
            let request = NewAuthority {
                key_type: args.key_type.parse()?,
                validity_seconds: duration_seconds(args.validity.as_deref().unwrap_or(default_validity))?,
                name: args.name,
                parent: args.parent,
                path_len: args.path_len,
            };
            let workspace = open_unlocked(path).await?;
            let summary = workspace.create_authority(&request).await?;
            println!("created authority {} ({}), valid until {}", summary.name, summary.subject, output::timestamp(summary.not_after));
        }
        AuthorityCommand::List(args) => {
            let workspace = open(path).await?;
            let authorities = workspace.list_authorities().await?;
            if args.json {
                output::json(&authorities)?;
            } else {
                output::credential_table(&authorities, "no authorities yet; create one with `hopscope authority create NAME`");
            }
        }
        AuthorityCommand::Export(args) => {
            let workspace = open(path).await?;
            let request = ExportRequest {
                format: match args.format {
                    PemOrDer::Pem => ExportFormat::Pem,
                    PemOrDer::Der => ExportFormat::Der,
                },
                chain: false,
                key: false,
                key_in_clear: false,
                legacy: false,
                password: None,
            };
            let bytes = workspace.export(&args.name, &request).await?;
            write_output(&args.out, &bytes, false)?;
            println!("wrote {}", args.out.display());
        }
        AuthorityCommand::Crl(args) => {
            let workspace = open_unlocked(path).await?;
            let bytes = workspace.crl(&args.name, matches!(args.format, PemOrDer::Pem)).await?;
            write_output(&args.out, &bytes, false)?;
            println!("wrote {}", args.out.display());
        }
    }
    Ok(())
}
