//! Date search: FHIR dates and date-times as ranges, compared with the
//! `eq`, `ne`, `gt`, `lt`, `ge` and `le` prefixes.
//!
//! A value stands for the whole range its precision implies: `1980` is the
//! year 1980, `1980-05-02` that day, a date-time with seconds that second.
//! Dates without a time zone are taken as UTC.

use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::{Date, Month, OffsetDateTime};

/// A half-open range of Unix seconds, `start..end`. `None` bounds are open,
/// as in a `Period` without `start` or `end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DateRange {
    pub start: Option<i64>,
    pub end: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DatePrefix {
    Eq,
    Ne,
    Gt,
    Lt,
    Ge,
    Le,
}

fn day_start(date: Date) -> i64 {
    date.midnight().assume_utc().unix_timestamp()
}

/// Parses a FHIR `date`, `dateTime` or `instant` as the range its precision covers.
pub(crate) fn parse_range(text: &str) -> Option<DateRange> {
    let text = text.trim();
    let number = |part: &str| part.parse::<i32>().ok();
    let range = |start: i64, end: i64| {
        Some(DateRange {
            start: Some(start),
            end: Some(end),
        })
    };
    match text.len() {
        4 => {
            let year = number(text)?;
            let start = Date::from_calendar_date(year, Month::January, 1).ok()?;
            let end = Date::from_calendar_date(year + 1, Month::January, 1).ok()?;
            range(day_start(start), day_start(end))
        }
        7 if text.as_bytes()[4] == b'-' => {
            let year = number(&text[..4])?;
            let month = Month::try_from(u8::try_from(number(&text[5..])?).ok()?).ok()?;
            let start = Date::from_calendar_date(year, month, 1).ok()?;
            let end = if month == Month::December {
                Date::from_calendar_date(year + 1, Month::January, 1).ok()?
            } else {
                Date::from_calendar_date(year, month.next(), 1).ok()?
            };
            range(day_start(start), day_start(end))
        }
        10 => {
            let date = Date::parse(
                text,
                time::macros::format_description!("[year]-[month]-[day]"),
            )
            .ok()?;
            range(day_start(date), day_start(date.next_day()?))
        }
        _ => {
            let at = OffsetDateTime::parse(text, &Rfc3339)
                .or_else(|_| OffsetDateTime::parse(&format!("{text}Z"), &Rfc3339))
                .ok()?;
            let second = at.unix_timestamp();
            range(second, second + 1)
        }
    }
}

/// Returns the range of an element: a date string, or a `Period` object.
pub(crate) fn range_of(value: &Value) -> Option<DateRange> {
    match value {
        Value::String(text) => parse_range(text),
        Value::Object(period) => {
            let start = period
                .get("start")
                .and_then(Value::as_str)
                .and_then(parse_range);
            let end = period
                .get("end")
                .and_then(Value::as_str)
                .and_then(parse_range);
            if start.is_none() && end.is_none() {
                return None;
            }
            Some(DateRange {
                start: start.and_then(|r| r.start),
                end: end.and_then(|r| r.end),
            })
        }
        _ => None,
    }
}

/// Splits a search value into its prefix and date, such as `ge1980` into
/// `Ge` and `1980`. Prefixes that this server does not implement are errors.
pub(crate) fn parse_search_value(text: &str) -> Result<(DatePrefix, DateRange), String> {
    let (prefix, rest) = match text
        .get(..2)
        .filter(|p| p.chars().all(|c| c.is_ascii_lowercase()))
    {
        Some("eq") => (DatePrefix::Eq, &text[2..]),
        Some("ne") => (DatePrefix::Ne, &text[2..]),
        Some("gt") => (DatePrefix::Gt, &text[2..]),
        Some("lt") => (DatePrefix::Lt, &text[2..]),
        Some("ge") => (DatePrefix::Ge, &text[2..]),
        Some("le") => (DatePrefix::Le, &text[2..]),
        Some(other) => {
            return Err(format!(
                "date prefix {other} in {text:?} is not supported; use eq, ne, gt, lt, ge or le"
            ))
        }
        None => (DatePrefix::Eq, text),
    };
    let range = parse_range(rest).ok_or_else(|| {
        format!("invalid date {rest:?}; use YYYY, YYYY-MM, YYYY-MM-DD or a date-time such as 2024-01-31T09:30:00Z")
    })?;
    Ok((prefix, range))
}

/// Applies a prefix to a target range as FHIR defines it: `eq` when the
/// target lies within the search range, `gt` when it extends after it, `lt`
/// when it extends before it.
pub(crate) fn matches(prefix: DatePrefix, search: DateRange, target: DateRange) -> bool {
    let within = match (search.start, target.start, search.end, target.end) {
        (Some(s_start), Some(t_start), Some(s_end), Some(t_end)) => {
            t_start >= s_start && t_end <= s_end
        }
        _ => false,
    };
    let after = match (target.end, search.end) {
        (None, _) => true,
        (Some(t_end), Some(s_end)) => t_end > s_end,
        (Some(_), None) => false,
    };
    let before = match (target.start, search.start) {
        (None, _) => true,
        (Some(t_start), Some(s_start)) => t_start < s_start,
        (Some(_), None) => false,
    };
    match prefix {
        DatePrefix::Eq => within,
        DatePrefix::Ne => !within,
        DatePrefix::Gt => after,
        DatePrefix::Lt => before,
        DatePrefix::Ge => within || after,
        DatePrefix::Le => within || before,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(search: &str, target: &str) -> bool {
        let (prefix, range) = parse_search_value(search).unwrap();
        matches(prefix, range, parse_range(target).unwrap())
    }

    #[test]
    fn precision_ranges() {
        let year = parse_range("1980").unwrap();
        assert_eq!(year.end.unwrap() - year.start.unwrap(), 366 * 86_400);
        let month = parse_range("2023-12").unwrap();
        assert_eq!(month.end.unwrap() - month.start.unwrap(), 31 * 86_400);
        let day = parse_range("2024-02-29").unwrap();
        assert_eq!(day.end.unwrap() - day.start.unwrap(), 86_400);
        let second = parse_range("2024-02-29T10:00:00+02:00").unwrap();
        assert_eq!(second.start, Some(day.start.unwrap() + 8 * 3600));
        assert!(parse_range("2024-13").is_none());
        assert!(parse_range("yesterday").is_none());
    }

    #[test]
    fn prefixes_on_dates() {
        assert!(check("1980", "1980-05-02"));
        assert!(check("eq1980-05", "1980-05-02"));
        assert!(!check("1981", "1980-05-02"));
        assert!(check("ne1981", "1980-05-02"));
        assert!(check("ge1980-05-02", "1980-05-02"));
        assert!(check("ge1980-01-01", "1980-05-02"));
        assert!(!check("ge1980-05-03", "1980-05-02"));
        assert!(check("le1980-05-02", "1980-05-02"));
        assert!(!check("le1980-05-01", "1980-05-02"));
        assert!(check("gt1980-05-01", "1980-05-02"));
        assert!(!check("gt1980-05-02", "1980-05-02"));
        assert!(check("lt1980-05-03", "1980-05-02"));
    }

    #[test]
    fn prefixes_on_instants() {
        assert!(check("2024-01-31", "2024-01-31T09:30:00Z"));
        assert!(check("ge2024-01-31T09:30:00Z", "2024-01-31T09:30:00Z"));
        assert!(!check("gt2024-01-31T09:30:00Z", "2024-01-31T09:30:00Z"));
        assert!(check("le2024-01-31T09:00:00", "2024-01-31T08:59:59Z"));
    }

    #[test]
    fn period_ranges() {
        let period =
            range_of(&json!({ "start": "2024-01-01T10:00:00Z", "end": "2024-01-03T10:00:00Z" }))
                .unwrap();
        let (prefix, january) = parse_search_value("2024-01").unwrap();
        assert!(matches(prefix, january, period));
        let (prefix, day) = parse_search_value("ge2024-01-02").unwrap();
        assert!(matches(prefix, day, period));
        let open = range_of(&json!({ "start": "2024-01-01" })).unwrap();
        assert_eq!(open.end, None);
        assert!(!matches(DatePrefix::Eq, january, open));
        assert!(matches(DatePrefix::Gt, january, open));
    }

    #[test]
    fn unsupported_prefix_and_bad_date() {
        assert!(parse_search_value("sa2024")
            .unwrap_err()
            .contains("prefix sa"));
        assert!(parse_search_value("ge2024-1-1")
            .unwrap_err()
            .contains("invalid date"));
    }
}
