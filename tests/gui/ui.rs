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

/// Maximum time for one WebDriver request. WebDriver requests have no
/// timeout of their own, and a request to a hung WebKitWebDriver never
/// returns.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(40);

/// Runs one WebDriver step, failing with `what` when it takes longer than
/// `REQUEST_TIMEOUT`.
async fn bounded<T, E>(what: &str, step: impl std::future::Future<Output = Result<T, E>>) -> Result<T>
where
    E: std::error::Error + Send + Sync + 'static,
{
    match tokio::time::timeout(REQUEST_TIMEOUT, step).await {
        Ok(result) => Ok(result?),
        Err(_) => bail!("{what} timed out after {REQUEST_TIMEOUT:?}; WebKitWebDriver or the window hangs"),
    }
}

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
        let wait = self.client.wait().at_most(WAIT).for_element(Locator::Css(selector));
        bounded(&format!("waiting for {selector}"), wait)
            .await
            .with_context(|| format!("no element matches {selector} within {WAIT:?}"))
    }

    pub async fn find(&self, id: &str) -> Result<Element> {
        self.css(&testid(id)).await
    }

    pub async fn click(&self, id: &str) -> Result<()> {
        let element = self.find(id).await?;
        bounded(&format!("clicking {id}"), element.click()).await
    }

    /// Replaces the field's value with `text`.
    pub async fn type_into(&self, id: &str, text: &str) -> Result<()> {
        let field = self.find(id).await?;
        bounded(&format!("clearing {id}"), field.clear()).await?;
        bounded(&format!("typing into {id}"), field.send_keys(text)).await
    }

    /// Returns the element's text. Finds the element again when a re-render
    /// replaced it between finding and reading.
    pub async fn text(&self, id: &str) -> Result<String> {
        self.text_of(&testid(id)).await
    }

    /// Returns the text of the first element matching the CSS selector, with
    /// the same retry as `text`.
    pub async fn text_of(&self, selector: &str) -> Result<String> {
        let deadline = Instant::now() + WAIT;
        loop {
            let element = self.css(selector).await?;
            match bounded(&format!("reading the text of {selector}"), element.text()).await {
                Ok(text) => return Ok(text),
                Err(err) if Instant::now() > deadline => return Err(err),
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }

    /// Waits until the field's value is `expected`. Finds the field again on
    /// every try, because a re-render may replace it.
    pub async fn wait_value(&self, id: &str, expected: &str) -> Result<()> {
        let deadline = Instant::now() + WAIT;
        loop {
            let value = match self.find(id).await {
                Ok(field) => bounded(&format!("reading the value of {id}"), field.prop("value")).await.ok().flatten(),
                Err(_) => None,
            };
            if value.as_deref() == Some(expected) {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("expected {id} to have the value {expected:?}, found {value:?} after {WAIT:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn count(&self, selector: &str) -> Result<usize> {
        let found = bounded(&format!("finding {selector}"), self.client.find_all(Locator::Css(selector))).await?;
        Ok(found.len())
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
        let png = bounded(&format!("taking screenshot {name}"), self.client.screenshot()).await?;
        let path = self.artifacts.join(format!("{}-{name}.png", self.prefix));
        std::fs::write(&path, png).with_context(|| format!("writing {}", path.display()))?;
        Ok(())
    }
}
