//! Codes and instants as a person reads them in the console: event kinds and delivery
//! statuses in words, and a moment in the page's time zone with how long ago it was.
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde_json::{Value, json};

/// A moment for `<time>`: the instant, the wall-clock time in `zone` (an IANA name; UTC when
/// it is not one), and how far from now it is ("12 min ago", "in 5 min").
pub fn moment(at: Timestamp, zone: &str, now: Timestamp) -> Value {
    let tz = TimeZone::get(zone).unwrap_or(TimeZone::UTC);
    let local = at.to_zoned(tz).strftime("%a %-d %b %H:%M %Z").to_string();
    json!({"iso": at.to_string(), "local": local, "relative": relative(at, now)})
}

/// How far `at` is from `now`, in words.
pub fn relative(at: Timestamp, now: Timestamp) -> String {
    let secs = at.duration_since(now).as_secs();
    match secs {
        s if s.abs() < 60 => "just now".to_string(),
        s if s < 0 => format!("{} ago", span(-s)),
        s => format!("in {}", span(s)),
    }
}

/// `45 s`, `12 min`, `3 h 5 min`, `2 days 4 h`.
pub fn span(secs: i64) -> String {
    match secs {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min", s / 60),
        s if s < 86_400 => format!("{} h {} min", s / 3600, (s % 3600) / 60),
        s if s < 2 * 86_400 => format!("1 day {} h", (s % 86_400) / 3600),
        s => format!("{} days {} h", s / 86_400, (s % 86_400) / 3600),
    }
}

/// What a broadcast was, by the kind of event that sent it.
pub fn event(kind: &str) -> String {
    let words = match kind {
        "incident.created" => "The incident declared",
        "incident.updated" => "An update",
        "incident.resolved" => "The resolution",
        "incident.corrected" => "A correction",
        "maintenance.scheduled" => "The maintenance announced",
        "maintenance.updated" => "A maintenance update",
        "maintenance.rescheduled" => "The maintenance rescheduled",
        "maintenance.reminder" => "A maintenance reminder",
        other => return other.replace(['.', '_'], " "),
    };
    words.to_string()
}

/// A channel's delivery status in a delivery report.
pub fn delivery_status(status: &str) -> &str {
    match status {
        "failed" => "Failures",
        "retrying" => "Retrying",
        "queued" => "Going out",
        "disabled" => "Every subscriber disabled",
        "no_subscribers" => "No subscribers",
        "delivered" => "Delivered",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn a_moment_is_shown_in_the_page_zone_with_how_long_ago() {
        let now = at("2026-12-03T12:16:00Z");
        let m = moment(at("2026-12-03T12:04:00Z"), "Europe/Berlin", now);
        assert_eq!(m["local"], "Thu 3 Dec 13:04 CET");
        assert_eq!(m["relative"], "12 min ago");
        assert_eq!(m["iso"], "2026-12-03T12:04:00Z");
        let m = moment(at("2026-12-03T12:21:00Z"), "not a zone", now);
        assert_eq!(m["local"], "Thu 3 Dec 12:21 UTC");
        assert_eq!(m["relative"], "in 5 min");
        assert_eq!(relative(now, now), "just now");
        assert_eq!(span(3 * 86_400 + 7200), "3 days 2 h");
    }

    #[test]
    fn codes_read_as_words() {
        assert_eq!(event("incident.resolved"), "The resolution");
        assert_eq!(
            event("maintenance.started_late"),
            "maintenance started late"
        );
        assert_eq!(delivery_status("no_subscribers"), "No subscribers");
    }
}
