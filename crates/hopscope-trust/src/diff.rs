//! Differences between two versions of a trust list, for the history view.

use serde::{Deserialize, Serialize};

use crate::list::{EntryKind, TrustList};

/// One change from an older to a newer version of a trust list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum TrustListChange {
    Added {
        kind: EntryKind,
        id: String,
        /// The subject of an anchor or pinned certificate, or the deny rule.
        label: String,
    },
    Removed {
        kind: EntryKind,
        id: String,
        label: String,
    },
    NoteChanged {
        kind: EntryKind,
        id: String,
        from: String,
        to: String,
    },
}

impl TrustList {
    /// Lists the changes that turn `self` (the older version) into `newer`:
    /// removals, then additions, then note changes, each group in list order
    /// (anchors, pinned, denied). Entries are matched by id, and ids are
    /// derived from the certificate or rule, so a matched pair is the same
    /// certificate or rule.
    pub fn diff(&self, newer: &TrustList) -> Vec<TrustListChange> {
        let old = summaries(self);
        let new = summaries(newer);
        let mut changes = Vec::new();

        for entry in &old {
            if !new.iter().any(|n| n.id == entry.id) {
                changes.push(TrustListChange::Removed {
                    kind: entry.kind,
                    id: entry.id.clone(),
                    label: entry.label.clone(),
                });
            }
        }
        for entry in &new {
            if !old.iter().any(|o| o.id == entry.id) {
                changes.push(TrustListChange::Added {
                    kind: entry.kind,
                    id: entry.id.clone(),
                    label: entry.label.clone(),
                });
            }
        }
        for entry in &old {
            let Some(newer_entry) = new.iter().find(|n| n.id == entry.id) else {
                continue;
            };
            if newer_entry.note != entry.note {
                changes.push(TrustListChange::NoteChanged {
                    kind: entry.kind,
                    id: entry.id.clone(),
                    from: entry.note.clone(),
                    to: newer_entry.note.clone(),
                });
            }
        }
        changes
    }
}

struct Summary {
    kind: EntryKind,
    id: String,
    label: String,
    note: String,
}

fn summaries(list: &TrustList) -> Vec<Summary> {
    let anchors = list.anchors.iter().map(|a| Summary {
        kind: EntryKind::Anchor,
        id: a.id.clone(),
        label: a.subject.clone(),
        note: a.note.clone(),
    });
    let pinned = list.pinned.iter().map(|p| Summary {
        kind: EntryKind::Pinned,
        id: p.id.clone(),
        label: p.subject.clone(),
        note: p.note.clone(),
    });
    let denied = list.denied.iter().map(|d| Summary {
        kind: EntryKind::Denied,
        id: d.id.clone(),
        label: d.rule.to_string(),
        note: d.note.clone(),
    });
    anchors.chain(pinned).chain(denied).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::list::{DeniedOriginator, DenyMatch};
    use time::macros::datetime;

    fn deny_uri(uri: &str, note: &str) -> DeniedOriginator {
        let rule = DenyMatch::SanUri { uri: uri.into() };
        DeniedOriginator::new(rule, note, datetime!(2026-01-01 0:00 UTC)).unwrap()
    }

    #[test]
    fn diff_added_removed_and_note() {
        let mut old = TrustList::new();
        old.add_denied(deny_uri("https://a.test/app", "first"))
            .unwrap();
        old.add_denied(deny_uri("https://b.test/app", "kept"))
            .unwrap();
        let mut new = old.clone();
        let removed_id = old.denied[0].id.clone();
        new.remove(&removed_id).unwrap();
        new.add_denied(deny_uri("https://c.test/app", "")).unwrap();
        let kept_id = old.denied[1].id.clone();
        new.set_note(&kept_id, "kept, reviewed").unwrap();
        let added_id = new.denied[1].id.clone();

        let changes = old.diff(&new);

        assert_eq!(changes.len(), 3, "{changes:?}");
        assert_eq!(
            changes[0],
            TrustListChange::Removed {
                kind: EntryKind::Denied,
                id: removed_id,
                label: "SAN URI \"https://a.test/app\"".into(),
            }
        );
        assert_eq!(
            changes[1],
            TrustListChange::Added {
                kind: EntryKind::Denied,
                id: added_id,
                label: "SAN URI \"https://c.test/app\"".into(),
            }
        );
        assert_eq!(
            changes[2],
            TrustListChange::NoteChanged {
                kind: EntryKind::Denied,
                id: kept_id,
                from: "kept".into(),
                to: "kept, reviewed".into(),
            }
        );
    }

    #[test]
    fn diff_of_equal_lists_is_empty() {
        let mut list = TrustList::new();
        list.add_denied(deny_uri("https://a.test/app", "x"))
            .unwrap();
        assert!(list.diff(&list.clone()).is_empty());
    }

    #[test]
    fn diff_serialises_with_change_tag() {
        let old = TrustList::new();
        let mut new = TrustList::new();
        new.add_denied(deny_uri("https://a.test/app", "")).unwrap();
        let json = serde_json::to_value(old.diff(&new)).unwrap();
        assert_eq!(json[0]["change"], "added");
        assert_eq!(json[0]["kind"], "denied");
    }
}
