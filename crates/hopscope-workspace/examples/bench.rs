//! Benchmark driver for `make bench` (see BENCHMARKS.md).
//!
//! `bench issue N`: issues and stores N ECDSA P-256 credentials in a fresh
//! workspace, in process, and prints the wall time.
//! `bench seed PATH N PASSPHRASE`: creates a workspace at PATH holding N
//! credentials, for the listing and app-start measurements.

use std::path::Path;
use std::time::Instant;

use hopscope_pki::{KeyType, Role};
use hopscope_workspace::{NewAuthority, NewCredential, Workspace};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["issue", count] => {
            let dir = tempfile::tempdir()?;
            let count: usize = count.parse()?;
            let workspace = fill(&dir.path().join("bench.db"), 0, "bench passphrase").await?;
            let start = Instant::now();
            issue_many(&workspace, count).await?;
            let elapsed = start.elapsed();
            println!(
                "issued and stored {count} ecdsa-p256 credentials in {:.2} s ({:.2} ms each)",
                elapsed.as_secs_f64(),
                elapsed.as_secs_f64() * 1000.0 / count as f64
            );
        }
        ["seed", path, count, passphrase] => {
            let count: usize = count.parse()?;
            let start = Instant::now();
            fill(Path::new(path), count, passphrase).await?;
            println!("seeded {path} with {count} credentials in {:.1} s", start.elapsed().as_secs_f64());
        }
        _ => {
            eprintln!("usage: bench issue N | bench seed PATH N PASSPHRASE");
            std::process::exit(2);
        }
    }
    Ok(())
}

async fn fill(path: &Path, count: usize, passphrase: &str) -> Result<Workspace, Box<dyn std::error::Error>> {
    let workspace = Workspace::create(path, passphrase).await?;
    workspace
        .create_authority(&NewAuthority {
            name: "bench-root".into(),
            parent: None,
            key_type: KeyType::EcdsaP256,
            validity_seconds: 10 * 365 * 86_400,
            path_len: None,
        })
        .await?;
    issue_many(&workspace, count).await?;
    Ok(workspace)
}

async fn issue_many(workspace: &Workspace, count: usize) -> Result<(), Box<dyn std::error::Error>> {
    let offset = workspace.list_credentials(None).await?.len();
    for n in offset..offset + count {
        let role = [Role::PublicEndpoint, Role::PrivateEndpoint, Role::Originator, Role::DestinationSigning][n % 4];
        workspace
            .issue(&NewCredential {
                name: format!("credential-{n:05}"),
                role,
                authority: "bench-root".into(),
                url: format!("https://host-{n:05}.bench.test/fhir"),
                key_type: KeyType::EcdsaP256,
                // Spread expiry dates so the list and the timeline are not uniform.
                validity_seconds: 86_400 * (30 + (n as i64 * 7) % 365),
            })
            .await?;
    }
    Ok(())
}
