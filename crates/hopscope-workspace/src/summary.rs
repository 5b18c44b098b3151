//! Turning stored rows into the values the CLI and the app show.

use std::str::FromStr;

use hopscope_pki::Role;
use hopscope_store::rows::ListingRow;
use time::OffsetDateTime;

use crate::{from_unix, CertificateStatus, CredentialSummary, Error, Result};

const SECONDS_PER_DAY: i64 = 86_400;

/// When a certificate valid from `not_before` to `not_after` becomes due:
/// once `remaining_fraction` of its lifetime is left.
pub(crate) fn rotation_due_at(not_before: i64, not_after: i64, remaining_fraction: f64) -> i64 {
    let lifetime = (not_after - not_before).max(0) as f64;
    not_after - (lifetime * remaining_fraction.clamp(0.0, 1.0)).round() as i64
}

pub(crate) fn status_at(
    now: i64,
    not_before: i64,
    not_after: i64,
    revoked: bool,
    due_at: i64,
) -> CertificateStatus {
    if revoked {
        CertificateStatus::Revoked
    } else if now < not_before {
        CertificateStatus::NotYetValid
    } else if now >= not_after {
        CertificateStatus::Expired
    } else if now >= due_at {
        CertificateStatus::RotationDue
    } else {
        CertificateStatus::Valid
    }
}

/// Whole days from `now` to `not_after`, rounded toward negative infinity so
/// a certificate that expired an hour ago shows -1.
pub(crate) fn days_left(now: i64, not_after: i64) -> i64 {
    (not_after - now).div_euclid(SECONDS_PER_DAY)
}

pub(crate) fn parse_role(role: &str) -> Result<Role> {
    Role::from_str(role).map_err(Error::from)
}

pub(crate) fn summary_from_row(row: ListingRow, now: OffsetDateTime) -> Result<CredentialSummary> {
    let now = now.unix_timestamp();
    let due_at = rotation_due_at(row.not_before, row.not_after, row.remaining_fraction);
    Ok(CredentialSummary {
        role: parse_role(&row.role)?,
        status: status_at(now, row.not_before, row.not_after, row.revoked_at.is_some(), due_at),
        days_left: days_left(now, row.not_after),
        name: row.name,
        url: row.url,
        authority: row.authority,
        subject: row.subject,
        serial: row.serial_hex,
        not_before: from_unix(row.not_before),
        not_after: from_unix(row.not_after),
        key_type: row.key_type,
        has_key: row.has_key,
        sha256_fingerprint: row.sha256_fingerprint,
        rotation_due_at: from_unix(due_at),
        auto_rotate: row.auto_rotate,
        versions: row.versions as u32,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_at_a_third_left() {
        assert_eq!(rotation_due_at(0, 90, 1.0 / 3.0), 60);
    }

    #[test]
    fn status_table() {
        let cases = [
            (5, false, CertificateStatus::NotYetValid),
            (10, false, CertificateStatus::Valid),
            (70, false, CertificateStatus::RotationDue),
            (100, false, CertificateStatus::Expired),
            (50, true, CertificateStatus::Revoked),
        ];
        for (now, revoked, expected) in cases {
            assert_eq!(status_at(now, 10, 100, revoked, 70), expected, "now={now} revoked={revoked}");
        }
    }

    #[test]
    fn days_left_rounds_down() {
        assert_eq!(days_left(0, SECONDS_PER_DAY * 3 + 5), 3);
        assert_eq!(days_left(SECONDS_PER_DAY, SECONDS_PER_DAY - 3600), -1);
    }
}
