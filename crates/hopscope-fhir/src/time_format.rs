//! Text forms of dates and instants: FHIR `date` and `instant`, and the HTTP
//! date of `Last-Modified`.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime, UtcOffset};

/// Formats a FHIR `instant` in UTC with millisecond precision.
pub(crate) fn format_instant(at: OffsetDateTime) -> String {
    let at = at.to_offset(UtcOffset::UTC);
    let at = at
        .replace_nanosecond(at.millisecond() as u32 * 1_000_000)
        .unwrap_or(at);
    at.format(&Rfc3339)
        .expect("RFC 3339 formats every UTC instant between years 0 and 9999")
}

/// Formats a FHIR `date` (YYYY-MM-DD).
pub(crate) fn format_date(date: Date) -> String {
    date.format(format_description!("[year]-[month]-[day]"))
        .expect("a calendar date always formats")
}

/// Formats an HTTP date (RFC 9110 IMF-fixdate), as `Last-Modified` requires.
pub(crate) fn format_http_date(at: OffsetDateTime) -> String {
    at.to_offset(UtcOffset::UTC)
        .format(format_description!(
            "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
        ))
        .expect("an HTTP date always formats")
}

/// Parses a FHIR `instant`, such as the `meta.lastUpdated` the server wrote.
pub(crate) fn parse_instant(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

/// Returns the current time at millisecond precision, so that a stored
/// `lastUpdated` and the `Last-Modified` header describe the same moment.
pub(crate) fn now() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(now.millisecond() as u32 * 1_000_000)
        .unwrap_or(now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn instant_is_utc_milliseconds() {
        let at = datetime!(2024-03-05 10:20:30.123456 +02:00);
        assert_eq!(format_instant(at), "2024-03-05T08:20:30.123Z");
        assert_eq!(
            format_instant(datetime!(2024-03-05 10:20 UTC)),
            "2024-03-05T10:20:00Z"
        );
    }

    #[test]
    fn http_date_is_imf_fixdate() {
        assert_eq!(
            format_http_date(datetime!(1994-11-06 8:49:37 UTC)),
            "Sun, 06 Nov 1994 08:49:37 GMT"
        );
    }

    #[test]
    fn instant_round_trip() {
        let at = datetime!(2024-03-05 10:20:30.5 UTC);
        assert_eq!(parse_instant(&format_instant(at)), Some(at));
    }
}
