//! Planned times of maintenance windows, as people write them.
//!
//! Herald stores instants (UTC). A planned time may be given as an RFC 3339 instant
//! (`2026-03-29T01:30:00Z`, `2026-03-29T01:30:00+02:00`) or as a local date and time with a
//! named IANA time zone (`2026-03-29 01:30 Europe/Berlin`), which is turned into the instant
//! it names there. A local time that the zone skips (the clocks jump forward) or repeats (the
//! clocks go back) names no single instant and is refused with the two candidates, so that
//! nobody's maintenance silently moves by an hour.
//!
//! [`from_statusio`] reads the separate date and time fields of the Status.io API.
use std::sync::LazyLock;

use jiff::Timestamp;
use jiff::civil::{Date, DateTime, Time};
use jiff::tz::{AmbiguousOffset, Offset, TimeZone};
use regex::Regex;

use crate::DomainError;

/// `YYYY-MM-DD HH:MM[:SS] Zone/Name`, with a space or `T` between date and time.
static LOCAL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^([0-9]{4})-([0-9]{2})-([0-9]{2})[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2}))?[ \t]+(\S+)$",
    )
    .expect("valid regex")
});

const FORMS: &str = "give an RFC 3339 instant such as 2026-03-29T01:30:00Z or \
                     2026-03-29T01:30:00+02:00, or a local date and time with an IANA time zone \
                     such as 2026-03-29 01:30 Europe/Berlin";

/// Reads a planned time: an RFC 3339 instant, or a local date and time (`YYYY-MM-DD HH:MM`,
/// optionally with seconds and with `T` in place of the space) followed by an IANA time zone
/// name (`Europe/Berlin`, `UTC`). Returns the instant; refuses local times that do not exist
/// or happen twice in the zone, naming the possible instants.
pub fn parse(input: &str) -> Result<Timestamp, String> {
    let input = input.trim();
    let rfc3339 = match input.parse::<Timestamp>() {
        Ok(at) => return Ok(at),
        Err(e) => e,
    };
    let Some(caps) = LOCAL.captures(input) else {
        return Err(
            if input.get(..10).is_some_and(|d| shaped(d, "dddd-dd-dd")) {
                format!("\"{input}\" is not a time Herald understands ({rfc3339}); {FORMS}")
            } else {
                format!("\"{input}\" is not a time Herald understands; {FORMS}")
            },
        );
    };
    let num = |i: usize| -> i32 {
        caps.get(i)
            .map_or(0, |m| m.as_str().parse().expect("digits only"))
    };
    let (year, month, day) = (num(1), num(2), num(3));
    let (hour, minute, second) = (num(4), num(5), num(6));
    let zone = &caps[7];
    let shown = if second == 0 {
        format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}")
    } else {
        format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}")
    };
    let date = Date::new(year as i16, month as i8, day as i8)
        .map_err(|_| format!("{year:04}-{month:02}-{day:02} is not a date in the calendar"))?;
    let time = Time::new(hour as i8, minute as i8, second as i8, 0).map_err(|_| {
        format!("{hour:02}:{minute:02}:{second:02} is not a time of day (00:00 to 23:59)")
    })?;
    let dt = DateTime::from_parts(date, time);
    let tz = named_zone(zone).map_err(|mut msg| {
        if zone.starts_with(['+', '-']) {
            msg.push_str(&format!(
                "; for a fixed offset, write an RFC 3339 time such as {}T{}{zone}",
                &shown[..10],
                &shown[11..],
            ));
        }
        msg
    })?;
    let ((what, change), before, after) = match tz.to_ambiguous_timestamp(dt).offset() {
        AmbiguousOffset::Unambiguous { offset } => {
            return offset
                .to_timestamp(dt)
                .map_err(|e| format!("{shown} in {zone} is out of range: {e}"));
        }
        AmbiguousOffset::Gap { before, after } => (("does not exist", "jump"), before, after),
        AmbiguousOffset::Fold { before, after } => (("happens twice", "go back"), before, after),
    };
    let out_of_range = |e: jiff::Error| format!("{shown} in {zone} is out of range: {e}");
    // Each reading of the local time, with the offset that gives it, earliest first.
    let mut readings = [
        (before.to_timestamp(dt).map_err(out_of_range)?, before),
        (after.to_timestamp(dt).map_err(out_of_range)?, after),
    ];
    readings.sort_by_key(|(at, _)| *at);
    let [(first, first_offset), (second, second_offset)] = readings;
    let clocks = match tz.following(first).next() {
        Some(t) => {
            let from = clock(before.to_datetime(t.timestamp()));
            let to = clock(after.to_datetime(t.timestamp()));
            format!("the clocks {change} from {from} to {to}")
        }
        None => "the clocks change".to_string(),
    };
    let local = clock(dt);
    Err(format!(
        "{shown} {what} in {zone}: {clocks}; it could mean {first} ({local}{}) or {second} \
         ({local}{}); give one of those, or an RFC 3339 time with an offset",
        offset(first_offset),
        offset(second_offset),
    ))
}

/// The IANA time zone named `zone`, or why there is none.
fn named_zone(zone: &str) -> Result<TimeZone, String> {
    TimeZone::get(zone).map_err(|_| {
        format!("\"{zone}\" is not an IANA time zone such as Europe/Berlin or America/New_York")
    })
}

/// A planned time as a form takes it: a local date and time (`2026-03-29 01:30`, or
/// `2026-03-29T01:30` as browsers send it) typed into `field`, in the IANA zone typed into
/// `zone_field`. Read as [`parse`] reads it; an unknown zone is refused against `zone_field`,
/// anything else (a missing time, a time the zone skips or repeats) against `field`.
pub fn in_zone(
    (field, local): (&'static str, &str),
    (zone_field, zone): (&'static str, &str),
) -> Result<Timestamp, DomainError> {
    let (local, zone) = (local.trim(), zone.trim());
    named_zone(zone).map_err(|message| DomainError::invalid(zone_field, message))?;
    if local.is_empty() {
        return Err(DomainError::invalid(
            field,
            "give a date and time, such as 2026-03-29 01:30",
        ));
    }
    parse(&format!("{local} {zone}")).map_err(|message| DomainError::invalid(field, message))
}

/// For `#[serde(deserialize_with = "crate::planned_time::deserialize")]` on a
/// [`Timestamp`] field: reads a string with [`parse`].
pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
    let text = <String as serde::Deserialize>::deserialize(d)?;
    parse(&text).map_err(serde::de::Error::custom)
}

/// Reads the Status.io API's planned date and time: exactly `MM/DD/YYYY` and `HH:MM`
/// (24-hour clock), in UTC.
pub fn from_statusio(date: &str, time: &str) -> Result<Timestamp, String> {
    const DATE_FORM: &str = "Status.io dates are MM/DD/YYYY, such as 03/29/2026";
    const TIME_FORM: &str = "Status.io times are HH:MM on a 24-hour clock in UTC, such as 14:30";
    if !shaped(date, "dd/dd/dddd") {
        return Err(format!("{DATE_FORM}; got \"{date}\""));
    }
    let (month, day, year) = (
        number(&date[0..2]),
        number(&date[3..5]),
        number(&date[6..10]),
    );
    if !(1..=12).contains(&month) {
        return Err(format!(
            "{DATE_FORM}; got \"{date}\", and there is no month {month} (day and month swapped?)"
        ));
    }
    let civil_date = Date::new(year, month as i8, day as i8)
        .map_err(|_| format!("{DATE_FORM}; got \"{date}\", which is not a date in the calendar"))?;
    if !shaped(time, "dd:dd") {
        return Err(format!("{TIME_FORM}; got \"{time}\""));
    }
    let civil_time = Time::new(number(&time[0..2]) as i8, number(&time[3..5]) as i8, 0, 0)
        .map_err(|_| format!("{TIME_FORM}; got \"{time}\", which is not a time of day"))?;
    let dt = civil_date.to_datetime(civil_time);
    Offset::UTC
        .to_timestamp(dt)
        .map_err(|e| format!("{dt} is out of range: {e}"))
}

/// Whether `s` matches `pattern` character for character, `d` standing for an ASCII digit.
fn shaped(s: &str, pattern: &str) -> bool {
    s.len() == pattern.len()
        && s.bytes().zip(pattern.bytes()).all(|(c, p)| match p {
            b'd' => c.is_ascii_digit(),
            _ => c == p,
        })
}

/// ASCII digits (already checked) as a number.
fn number(digits: &str) -> i16 {
    digits.parse().expect("ASCII digits")
}

/// A wall-clock time as `HH:MM`, with seconds only when there are some.
fn clock(dt: DateTime) -> String {
    if dt.second() == 0 {
        format!("{:02}:{:02}", dt.hour(), dt.minute())
    } else {
        format!("{:02}:{:02}:{:02}", dt.hour(), dt.minute(), dt.second())
    }
}

/// An offset as `+HH:MM` (jiff shortens whole hours to `+HH`).
fn offset(o: Offset) -> String {
    let secs = o.seconds();
    let sign = if secs < 0 { '-' } else { '+' };
    let secs = secs.unsigned_abs();
    format!("{sign}{:02}:{:02}", secs / 3600, secs / 60 % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn rfc3339_instants_pass_through() {
        assert_eq!(
            parse("2026-03-29T01:30:00Z"),
            Ok(at("2026-03-29T01:30:00Z"))
        );
        assert_eq!(
            parse("2026-03-29T01:30:00+02:00"),
            Ok(at("2026-03-28T23:30:00Z"))
        );
        assert_eq!(
            parse("2026-10-25T02:30:00-04:00"),
            Ok(at("2026-10-25T06:30:00Z"))
        );
        assert_eq!(
            parse("  2026-03-29T01:30:00Z \n"),
            Ok(at("2026-03-29T01:30:00Z"))
        );
    }

    #[test]
    fn local_times_in_europe_berlin() {
        // Summer (CEST, +02:00) and winter (CET, +01:00).
        assert_eq!(
            parse("2026-07-01 12:00 Europe/Berlin"),
            Ok(at("2026-07-01T10:00:00Z"))
        );
        assert_eq!(
            parse("2026-01-15 12:00 Europe/Berlin"),
            Ok(at("2026-01-15T11:00:00Z"))
        );
        // Just before the spring gap, still +01:00.
        assert_eq!(
            parse("2026-03-29 01:30 Europe/Berlin"),
            Ok(at("2026-03-29T00:30:00Z"))
        );
    }

    #[test]
    fn local_times_in_america_new_york() {
        // Summer (EDT, -04:00) and winter (EST, -05:00).
        assert_eq!(
            parse("2026-07-01 12:00 America/New_York"),
            Ok(at("2026-07-01T16:00:00Z"))
        );
        assert_eq!(
            parse("2026-01-15 12:00 America/New_York"),
            Ok(at("2026-01-15T17:00:00Z"))
        );
    }

    #[test]
    fn local_times_take_seconds_a_t_separator_and_utc() {
        let want = Ok(at("2026-03-29T00:30:00Z"));
        assert_eq!(parse("2026-03-29 01:30:00 Europe/Berlin"), want);
        assert_eq!(parse("2026-03-29T01:30 Europe/Berlin"), want);
        assert_eq!(parse("2026-03-29T01:30:00 Europe/Berlin"), want);
        assert_eq!(
            parse("2026-03-29 01:30:15 Europe/Berlin"),
            Ok(at("2026-03-29T00:30:15Z"))
        );
        assert_eq!(
            parse("2026-03-29 01:30 UTC"),
            Ok(at("2026-03-29T01:30:00Z"))
        );
    }

    #[test]
    fn a_local_time_in_the_spring_gap_is_refused_with_both_instants() {
        assert_eq!(
            parse("2026-03-29 02:30 Europe/Berlin"),
            Err(
                "2026-03-29 02:30 does not exist in Europe/Berlin: the clocks jump from 02:00 \
                 to 03:00; it could mean 2026-03-29T00:30:00Z (02:30+02:00) or \
                 2026-03-29T01:30:00Z (02:30+01:00); give one of those, or an RFC 3339 time with an \
                 offset"
                    .to_string()
            )
        );
        assert_eq!(
            parse("2026-03-08 02:15 America/New_York"),
            Err(
                "2026-03-08 02:15 does not exist in America/New_York: the clocks jump from \
                 02:00 to 03:00; it could mean 2026-03-08T06:15:00Z (02:15-04:00) or \
                 2026-03-08T07:15:00Z (02:15-05:00); give one of those, or an RFC 3339 time with an \
                 offset"
                    .to_string()
            )
        );
    }

    #[test]
    fn a_local_time_in_the_autumn_fold_is_refused_with_both_instants() {
        assert_eq!(
            parse("2026-10-25 02:30 Europe/Berlin"),
            Err(
                "2026-10-25 02:30 happens twice in Europe/Berlin: the clocks go back from 03:00 \
                 to 02:00; it could mean 2026-10-25T00:30:00Z (02:30+02:00) or \
                 2026-10-25T01:30:00Z (02:30+01:00); give one of those, or an RFC 3339 time with an \
                 offset"
                    .to_string()
            )
        );
        assert_eq!(
            parse("2026-11-01T01:30 America/New_York"),
            Err(
                "2026-11-01 01:30 happens twice in America/New_York: the clocks go back from \
                 02:00 to 01:00; it could mean 2026-11-01T05:30:00Z (01:30-04:00) or \
                 2026-11-01T06:30:00Z (01:30-05:00); give one of those, or an RFC 3339 time with an \
                 offset"
                    .to_string()
            )
        );
        // Either instant, as suggested, is taken.
        assert_eq!(
            parse("2026-10-25T00:30:00Z"),
            Ok(at("2026-10-25T00:30:00Z"))
        );
        assert_eq!(
            parse("2026-10-25T02:30:00+01:00"),
            Ok(at("2026-10-25T01:30:00Z"))
        );
    }

    #[test]
    fn an_unknown_zone_is_refused() {
        assert_eq!(
            parse("2026-03-29 01:30 Mars/Olympus"),
            Err(
                "\"Mars/Olympus\" is not an IANA time zone such as Europe/Berlin or \
                 America/New_York"
                    .to_string()
            )
        );
        assert_eq!(
            parse("2026-03-29 01:30 +02:00"),
            Err(
                "\"+02:00\" is not an IANA time zone such as Europe/Berlin or America/New_York; \
                 for a fixed offset, write an RFC 3339 time such as 2026-03-29T01:30+02:00"
                    .to_string()
            )
        );
        assert!(
            parse("2026-03-29 01:30 CEST")
                .unwrap_err()
                .contains("\"CEST\" is not an IANA")
        );
    }

    #[test]
    fn unparseable_text_is_refused_naming_the_accepted_forms() {
        for input in [
            "",
            "tomorrow",
            "2026-03-29",
            "2026-03-29 01:30",
            "29.03.2026 01:30 Europe/Berlin",
            "2026-03-29 1:30 Europe/Berlin",
            "2026-03-29T01:30:00Z Europe/Berlin",
        ] {
            let err = parse(input).unwrap_err();
            assert!(
                err.contains("is not a time Herald understands"),
                "{input}: {err}"
            );
            assert!(err.contains("RFC 3339"), "{input}: {err}");
            assert!(
                err.contains("2026-03-29 01:30 Europe/Berlin"),
                "{input}: {err}"
            );
        }
        assert_eq!(
            parse("2026-02-30 01:30 Europe/Berlin"),
            Err("2026-02-30 is not a date in the calendar".to_string())
        );
        assert!(
            parse("2026-03-29 24:30 Europe/Berlin")
                .unwrap_err()
                .contains("not a time of day")
        );
    }

    #[test]
    fn a_form_time_in_a_zone_names_the_field_at_fault() {
        let start = ("starts_at", "2026-03-29T01:30");
        assert_eq!(
            in_zone(start, ("time_zone", "Europe/Berlin")),
            Ok(at("2026-03-29T00:30:00Z"))
        );
        let field = |r: Result<Timestamp, DomainError>| match r {
            Err(DomainError::Invalid { field, message }) => (field, message),
            other => panic!("{other:?}"),
        };
        let (f, m) = field(in_zone(start, ("time_zone", "Mars/Olympus")));
        assert_eq!(f, "time_zone");
        assert!(
            m.contains("\"Mars/Olympus\" is not an IANA time zone"),
            "{m}"
        );
        let (f, m) = field(in_zone(
            ("starts_at", "2026-03-29 02:30"),
            ("time_zone", "Europe/Berlin"),
        ));
        assert_eq!(f, "starts_at");
        assert!(m.contains("does not exist in Europe/Berlin"), "{m}");
        let (f, m) = field(in_zone(("ends_at", " "), ("time_zone", "UTC")));
        assert_eq!(f, "ends_at");
        assert!(m.contains("give a date and time"), "{m}");
    }

    #[derive(Debug, serde::Deserialize)]
    struct Window {
        #[serde(deserialize_with = "crate::planned_time::deserialize")]
        starts_at: Timestamp,
    }

    #[test]
    fn deserialize_reads_both_forms_and_explains_refusals() {
        let w: Window =
            serde_json::from_str(r#"{"starts_at": "2026-07-01 12:00 Europe/Berlin"}"#).unwrap();
        assert_eq!(w.starts_at, at("2026-07-01T10:00:00Z"));
        let w: Window = serde_json::from_str(r#"{"starts_at": "2026-07-01T10:00:00Z"}"#).unwrap();
        assert_eq!(w.starts_at, at("2026-07-01T10:00:00Z"));
        let err =
            serde_json::from_str::<Window>(r#"{"starts_at": "2026-03-29 02:30 Europe/Berlin"}"#)
                .unwrap_err()
                .to_string();
        assert!(
            err.contains("2026-03-29 02:30 does not exist in Europe/Berlin"),
            "{err}"
        );
        assert!(serde_json::from_str::<Window>(r#"{"starts_at": 12}"#).is_err());
    }

    #[test]
    fn statusio_dates_and_times_are_utc() {
        assert_eq!(
            from_statusio("03/29/2026", "14:30"),
            Ok(at("2026-03-29T14:30:00Z"))
        );
        assert_eq!(
            from_statusio("01/13/2026", "00:00"),
            Ok(at("2026-01-13T00:00:00Z"))
        );
        assert_eq!(
            from_statusio("12/31/2026", "23:59"),
            Ok(at("2026-12-31T23:59:00Z"))
        );
    }

    #[test]
    fn statusio_refuses_other_forms_naming_the_expected_one() {
        for date in [
            "13-01-2026",
            "01-13-2026",
            "13/01/2026",
            "2026-01-13",
            "1/13/2026",
            "02/30/2026",
            "",
        ] {
            let err = from_statusio(date, "14:30").unwrap_err();
            assert!(
                err.starts_with("Status.io dates are MM/DD/YYYY"),
                "{date}: {err}"
            );
            assert!(err.contains(&format!("\"{date}\"")), "{date}: {err}");
        }
        assert!(
            from_statusio("13/01/2026", "14:30")
                .unwrap_err()
                .contains("no month 13")
        );
        for time in [
            "25:00", "24:00", "12:60", "2:30", "14:30:00", "2:30 PM", "1430", "",
        ] {
            let err = from_statusio("03/29/2026", time).unwrap_err();
            assert!(
                err.starts_with("Status.io times are HH:MM on a 24-hour clock"),
                "{time}: {err}"
            );
            assert!(err.contains(&format!("\"{time}\"")), "{time}: {err}");
        }
    }
}
