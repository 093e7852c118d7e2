//! The maintenance calendar: RFC 5545 iCalendar, subscribed to as `webcal://…/maintenance.ics`.
//!
//! The writer knows nothing of the maintenance model: [`calendar`] maps each window onto a
//! [`CalendarEvent`] and calls [`write`].
use herald_core::maintenance::{Maintenance, MaintenanceState};
use jiff::Timestamp;

use super::{feeds, markdown};
use crate::data::View;
use crate::paths;

/// One maintenance window as a calendar shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct CalendarEvent {
    /// Stable for the life of the window (e.g. `feeds::stable_uuid(page, "maintenance", id)`).
    pub uid: String,
    /// Raised whenever the window is rescheduled or cancelled, so clients replace their copy.
    pub sequence: u32,
    pub start: Timestamp,
    pub end: Timestamp,
    /// Plain text.
    pub summary: String,
    /// Plain text (`markdown::to_text` of the window's details); empty to leave it out.
    pub description: String,
    /// Absolute.
    pub url: String,
    pub status: EventStatus,
    /// When the window last changed: written as DTSTAMP and LAST-MODIFIED, so the bytes (and
    /// the ETag) change only when the window does.
    pub modified: Timestamp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventStatus {
    Tentative,
    Confirmed,
    Cancelled,
}

impl EventStatus {
    fn as_str(self) -> &'static str {
        match self {
            EventStatus::Tentative => "TENTATIVE",
            EventStatus::Confirmed => "CONFIRMED",
            EventStatus::Cancelled => "CANCELLED",
        }
    }
}

pub const PRODID: &str = "-//Herald//Herald status page//EN";

/// Every maintenance window of the page, cancelled ones included so that calendars that
/// subscribed drop them.
pub fn calendar(view: &View) -> String {
    let events: Vec<CalendarEvent> = view
        .data
        .maintenance
        .iter()
        .map(|w| event(view, w))
        .collect();
    write(&view.page().name, &events)
}

fn event(view: &View, window: &Maintenance) -> CalendarEvent {
    let cancelled = window.state == MaintenanceState::Cancelled;
    CalendarEvent {
        uid: feeds::stable_uuid(&window.page_id, "maintenance", &window.id),
        // A cancellation changes the event as much as a new time does.
        sequence: window.sequence + u32::from(cancelled),
        start: window.starts_at,
        end: window.ends_at,
        summary: format!("Maintenance: {}", window.title),
        description: window
            .updates
            .first()
            .map(|u| markdown::to_text(&u.details))
            .unwrap_or_default(),
        url: format!("{}{}", view.base_url, paths::maintenance_dir(&window.id)),
        status: if cancelled {
            EventStatus::Cancelled
        } else {
            EventStatus::Confirmed
        },
        modified: window.updated_at,
    }
}

/// A whole calendar named after the page (`page_name` + " maintenance").
pub fn write(page_name: &str, events: &[CalendarEvent]) -> String {
    let mut out = String::new();
    let mut line = |name: &str, value: &str| out.push_str(&fold(&format!("{name}:{value}")));
    line("BEGIN", "VCALENDAR");
    line("VERSION", "2.0");
    line("PRODID", PRODID);
    line("CALSCALE", "GREGORIAN");
    line("METHOD", "PUBLISH");
    line(
        "X-WR-CALNAME",
        &escape_text(&format!("{page_name} maintenance")),
    );
    line("REFRESH-INTERVAL;VALUE=DURATION", "PT1H");
    line("X-PUBLISHED-TTL", "PT1H");
    for event in events {
        line("BEGIN", "VEVENT");
        line("UID", &escape_text(&event.uid));
        line("SEQUENCE", &event.sequence.to_string());
        line("DTSTAMP", &utc(event.modified));
        line("DTSTART", &utc(event.start));
        line("DTEND", &utc(event.end));
        line("SUMMARY", &escape_text(&event.summary));
        if !event.description.is_empty() {
            line("DESCRIPTION", &escape_text(&event.description));
        }
        // A URI, not TEXT: commas and semicolons stay as they are; only controls go.
        line("URL", &without_controls(&event.url));
        line("STATUS", event.status.as_str());
        // Someone else's maintenance should not make a subscriber look busy.
        line("TRANSP", "TRANSPARENT");
        line("LAST-MODIFIED", &utc(event.modified));
        line("END", "VEVENT");
    }
    line("END", "VCALENDAR");
    out
}

/// DATE-TIME in UTC (RFC 5545 3.3.5, form 2).
fn utc(t: Timestamp) -> String {
    t.strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// RFC 5545's CONTROL: everything below space but HTAB, and DEL.
fn is_control(c: char) -> bool {
    (c < ' ' && c != '\t') || c == '\u{7f}'
}

fn without_controls(text: &str) -> String {
    text.chars().filter(|&c| !is_control(c)).collect()
}

/// A TEXT value (RFC 5545 3.3.11): backslash, semicolon and comma escaped, every line break
/// written as `\n`, and other control characters dropped.
pub fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' => {
                chars.next_if_eq(&'\n');
                out.push_str("\\n");
            }
            '\n' => out.push_str("\\n"),
            c if is_control(c) => {}
            c => out.push(c),
        }
    }
    out
}

/// One content line, folded (RFC 5545 3.1): no line longer than 75 octets with its CRLF left
/// out, each continuation starting with a space that counts towards its 75, and never a cut
/// inside a UTF-8 character.
pub fn fold(line: &str) -> String {
    const MAX: usize = 75;
    let mut out = String::with_capacity(line.len() + line.len() / (MAX - 1) * 3 + 2);
    let mut rest = line;
    let mut room = MAX;
    while rest.len() > room {
        let mut cut = room;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        out.push_str(&rest[..cut]);
        out.push_str("\r\n ");
        rest = &rest[cut..];
        room = MAX - 1;
    }
    out.push_str(rest);
    out.push_str("\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Undoes [`fold`], as a parser does.
    fn unfold(text: &str) -> String {
        text.trim_end_matches("\r\n").replace("\r\n ", "")
    }

    fn physical_lines(folded: &str) -> Vec<&str> {
        assert!(folded.ends_with("\r\n"), "{folded:?}");
        folded.trim_end_matches("\r\n").split("\r\n").collect()
    }

    #[test]
    fn short_lines_are_left_alone() {
        assert_eq!(
            fold("SUMMARY:Database upgrade"),
            "SUMMARY:Database upgrade\r\n"
        );
        let exactly = "X".repeat(75);
        assert_eq!(fold(&exactly), format!("{exactly}\r\n"));
    }

    #[test]
    fn long_ascii_lines_fold_at_75_octets_then_74_after_the_space() {
        let line = "D".repeat(75 + 74 + 10);
        let folded = fold(&line);
        let lines = physical_lines(&folded);
        assert_eq!(lines.len(), 3, "{folded:?}");
        assert_eq!(lines[0].len(), 75);
        assert_eq!(lines[1].len(), 75);
        assert!(lines[1].starts_with(' ') && lines[2].starts_with(' '));
        assert_eq!(lines[2].len(), 11);
        assert_eq!(unfold(&folded), line);
    }

    #[test]
    fn multi_byte_characters_are_never_split() {
        // Every offset of a 2-, 3- and 4-byte character around the 75-octet boundary.
        for c in ['é', '€', '🛠'] {
            for pad in 70..76 {
                let line = format!("{}{}", "a".repeat(pad), c.to_string().repeat(60));
                let folded = fold(&line);
                for physical in physical_lines(&folded) {
                    assert!(
                        physical.len() <= 75,
                        "{} octets: {physical:?}",
                        physical.len()
                    );
                    assert!(!physical.is_empty() && physical != " ");
                }
                // Splitting a character would have made `folded` invalid UTF-8 already; the
                // round trip shows nothing was lost or moved.
                assert_eq!(unfold(&folded), line, "{c} after {pad}");
                let first = physical_lines(&folded)[0];
                assert!(
                    75 - first.len() < c.len_utf8(),
                    "cut no earlier than needed"
                );
            }
        }
    }

    #[test]
    fn text_escapes_backslash_semicolon_comma_and_line_breaks() {
        assert_eq!(
            escape_text("a\\b;c,d\ne\r\nf\rg\th\u{7}i\u{7f}"),
            "a\\\\b\\;c\\,d\\ne\\nf\\ng\thi"
        );
        assert_eq!(escape_text("Ünïcødé ✓"), "Ünïcødé ✓");
    }

    #[test]
    fn a_calendar_has_its_properties_and_crlf_everywhere() {
        let at = |s: &str| s.parse::<Timestamp>().unwrap();
        let event = CalendarEvent {
            uid: "u-1".into(),
            sequence: 3,
            start: at("2025-10-26T00:30:00Z"),
            end: at("2025-10-26T02:30:00Z"),
            summary: "DB, cache; queue".into(),
            description: String::new(),
            url: "https://s.example/maintenance/1/?a=1,2;b".into(),
            status: EventStatus::Confirmed,
            modified: at("2025-10-01T08:00:00Z"),
        };
        let ics = write("Acme, Inc.", &[event]);
        assert!(!ics.replace("\r\n", "").contains(['\r', '\n']), "{ics:?}");
        let lines: Vec<&str> = ics.trim_end_matches("\r\n").split("\r\n").collect();
        for expected in [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "CALSCALE:GREGORIAN",
            "METHOD:PUBLISH",
            "X-WR-CALNAME:Acme\\, Inc. maintenance",
            "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
            "X-PUBLISHED-TTL:PT1H",
            "UID:u-1",
            "SEQUENCE:3",
            "DTSTAMP:20251001T080000Z",
            "DTSTART:20251026T003000Z",
            "DTEND:20251026T023000Z",
            "SUMMARY:DB\\, cache\\; queue",
            "URL:https://s.example/maintenance/1/?a=1,2;b",
            "STATUS:CONFIRMED",
            "LAST-MODIFIED:20251001T080000Z",
        ] {
            assert!(lines.contains(&expected), "{expected} in {ics}");
        }
        assert!(!ics.contains("DESCRIPTION"), "{ics}");
        assert_eq!(lines.last(), Some(&"END:VCALENDAR"));
    }
}
