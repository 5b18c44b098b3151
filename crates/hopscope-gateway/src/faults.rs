//! Faults injected per hop while the gateway runs.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::{Arc, RwLock};

use http::header::HeaderName;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A misbehaviour of one hop. It applies to requests that arrive after it is
/// set; requests already in flight keep the fault they started with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Fault {
    /// Waits this many milliseconds before forwarding the request.
    Delay { ms: u64 },
    /// Never forwards: keeps the request until the previous hop gives up,
    /// or until `Limits::hold_timeout`, when this hop responds 504.
    Hold,
    /// Closes the client connection without a response (HTTP/2: resets the
    /// stream).
    Drop,
    /// Responds with this status and an `OperationOutcome` without forwarding.
    Status { code: u16 },
    /// Flips the lowest bit of the first byte of the response body while it
    /// streams; length and headers stay the same.
    TamperBody,
    /// Removes this header from the response.
    StripHeader { name: String },
    /// Replaces the `access_token` of a JSON token response with another
    /// token. Only this fault buffers a body, up to 1 MiB; larger or non-JSON
    /// bodies pass unchanged and the record states it.
    ReplaceToken,
}

impl Fault {
    /// Checks the values a fault carries.
    pub fn validate(&self) -> Result<()> {
        match self {
            Fault::Status { code } if !(100..=599).contains(code) => {
                Err(Error::InvalidStatus { status: *code })
            }
            Fault::StripHeader { name } => HeaderName::from_bytes(name.as_bytes())
                .map(|_| ())
                .map_err(|e| Error::InvalidHeaderName {
                    name: name.clone(),
                    reason: e.to_string(),
                }),
            _ => Ok(()),
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Delay { ms } => write!(f, "delay {ms} ms"),
            Fault::Hold => f.write_str("hold until timeout"),
            Fault::Drop => f.write_str("drop the connection"),
            Fault::Status { code } => write!(f, "answer status {code}"),
            Fault::TamperBody => f.write_str("tamper the response body"),
            Fault::StripHeader { name } => write!(f, "strip response header {name}"),
            Fault::ReplaceToken => f.write_str("replace the access token"),
        }
    }
}

/// Handle to set and clear faults per hop while the gateway runs. Clones
/// share the same faults.
#[derive(Clone, Debug, Default)]
pub struct FaultControl {
    hops: Arc<BTreeSet<String>>,
    faults: Arc<RwLock<BTreeMap<String, Fault>>>,
}

impl FaultControl {
    pub(crate) fn new(hops: impl IntoIterator<Item = String>) -> Self {
        Self {
            hops: Arc::new(hops.into_iter().collect()),
            faults: Arc::default(),
        }
    }

    /// Sets the fault of `hop`, replacing any fault it had.
    pub fn set(&self, hop: &str, fault: Fault) -> Result<()> {
        self.check_hop(hop)?;
        fault.validate()?;
        tracing::info!(hop = %hop, fault = %fault, "fault set");
        self.write().insert(hop.to_string(), fault);
        Ok(())
    }

    /// Clears the fault of `hop`, returning the fault it had.
    pub fn clear(&self, hop: &str) -> Result<Option<Fault>> {
        self.check_hop(hop)?;
        let previous = self.write().remove(hop);
        if let Some(fault) = &previous {
            tracing::info!(hop = %hop, fault = %fault, "fault cleared");
        }
        Ok(previous)
    }

    /// Clears the faults of every hop.
    pub fn clear_all(&self) {
        self.write().clear();
    }

    /// Returns the current fault of `hop`.
    pub fn get(&self, hop: &str) -> Option<Fault> {
        self.faults
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(hop)
            .cloned()
    }

    /// Lists the hops that have a fault, by hop name.
    pub fn list(&self) -> Vec<(String, Fault)> {
        self.faults
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(hop, fault)| (hop.clone(), fault.clone()))
            .collect()
    }

    fn check_hop(&self, hop: &str) -> Result<()> {
        if self.hops.contains(hop) {
            Ok(())
        } else {
            Err(Error::UnknownHop {
                hop: hop.to_string(),
            })
        }
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, BTreeMap<String, Fault>> {
        self.faults.write().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_hop_is_rejected() {
        let control = FaultControl::new(["int-one".to_string()]);
        assert!(matches!(
            control.set("int-nine", Fault::Hold),
            Err(Error::UnknownHop { .. })
        ));
    }

    #[test]
    fn set_get_clear() {
        let control = FaultControl::new(["int-one".to_string()]);
        control.set("int-one", Fault::Delay { ms: 5 }).unwrap();
        assert_eq!(control.get("int-one"), Some(Fault::Delay { ms: 5 }));
        assert_eq!(
            control.clear("int-one").unwrap(),
            Some(Fault::Delay { ms: 5 })
        );
        assert_eq!(control.get("int-one"), None);
    }

    #[test]
    fn invalid_values_are_rejected() {
        let control = FaultControl::new(["int-one".to_string()]);
        assert!(control.set("int-one", Fault::Status { code: 99 }).is_err());
        assert!(control
            .set(
                "int-one",
                Fault::StripHeader {
                    name: "bad name".into()
                }
            )
            .is_err());
    }

    #[test]
    fn fault_serializes_with_kind_tag() {
        let text = serde_json::to_string(&Fault::Status { code: 503 }).unwrap();
        assert_eq!(text, r#"{"kind":"status","code":503}"#);
    }
}
