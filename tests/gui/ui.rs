//! Finding, typing into and waiting for elements by `data-testid`, and
//! taking screenshots.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use fantoccini::elements::Element;
use fantoccini::{Client, Locator};

/// Maximum wait for one element or state. Key generation for ECDSA and a
/// SQLite write take well under a second; this leaves room for a loaded
/// 2-core machine.
pub const WAIT: Duration = Duration::from_secs(30);

pub fn testid(id: &str) -> String {
    format!("[data-testid=\"{id}\"]")
}

pub struct Gui {
    pub client: Client,
    artifacts: PathBuf,
    prefix: &'static str,
}

impl Gui {
    pub fn new(client: Client, artifacts: PathBuf, prefix: &'static str) -> Gui {
        Gui { client, artifacts, prefix }
    }

    /// Waits for the first element matching the CSS selector.
    pub async fn css(&self, selector: &str) -> Result<Element> {
        self.client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(selector))
            .await
            .with_context(|| format!("no element matches {selector} within {WAIT:?}"))
    }

    pub async fn find(&self, id: &str) -> Result<Element> {
        self.css(&testid(id)).await
    }

    pub async fn click(&self, id: &str) -> Result<()> {
        self.find(id).await?.click().await.with_context(|| format!("clicking {id}"))
    }

    /// Replaces the field's value with `text`.
    pub async fn type_into(&self, id: &str, text: &str) -> Result<()> {
        let field = self.find(id).await?;
        field.clear().await.with_context(|| format!("clearing {id}"))?;
        field.send_keys(text).await.with_context(|| format!("typing into {id}"))
    }

    pub async fn text(&self, id: &str) -> Result<String> {
        Ok(self.find(id).await?.text().await?)
    }

    pub async fn count(&self, selector: &str) -> Result<usize> {
        Ok(self.client.find_all(Locator::Css(selector)).await?.len())
    }

    /// Waits until exactly `expected` elements match the selector.
    pub async fn wait_count(&self, selector: &str, expected: usize) -> Result<()> {
        let deadline = Instant::now() + WAIT;
        loop {
            let found = self.count(selector).await?;
            if found == expected {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("expected {expected} elements matching {selector}, found {found} after {WAIT:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn wait_gone(&self, id: &str) -> Result<()> {
        self.wait_count(&testid(id), 0).await
    }

    /// Saves a PNG of the window as `<prefix>-<name>.png` in the artifacts folder.
    pub async fn screenshot(&self, name: &str) -> Result<()> {
        // Let transitions and the toast settle so the picture shows the state.
        tokio::time::sleep(Duration::from_millis(250)).await;
        let png = self.client.screenshot().await.with_context(|| format!("taking screenshot {name}"))?;
        let path = self.artifacts.join(format!("{}-{name}.png", self.prefix));
        std::fs::write(&path, png).with_context(|| format!("writing {}", path.display()))?;
        Ok(())
    }
}
