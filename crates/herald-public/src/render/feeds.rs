//! RSS 2.0 and Atom 1.0 feeds of the page's history: one entry per incident (maintenance
//! windows will join them), newest first, rewritten as the incident is updated.
//!
//! Entry ids are UUIDs derived from the page id and the incident id alone, so a reader never
//! sees an entry twice when the page is renamed, the incident retitled, or the base URL moved.
use std::sync::Arc;

use herald_core::incident::Incident;
use herald_core::maintenance::Maintenance;
use jiff::Timestamp;
use sha2::{Digest, Sha256};

use super::html;
use crate::data::View;
use crate::memo::ByAddress;
use crate::paths;

/// Entries per feed: enough for any reader's polling interval, small enough to stay cheap.
pub const FEED_ENTRIES: usize = 50;

/// One feed entry, whatever it is about: built from an incident now, from a maintenance
/// window later.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// `urn:uuid:…`, from [`stable_uuid`].
    pub id: String,
    /// Plain text.
    pub title: String,
    /// Absolute.
    pub link: String,
    pub published: Timestamp,
    pub updated: Timestamp,
    /// Sanitised HTML, escaped as the text of an XML element: never markup of the feed, and
    /// escaped once for both feeds.
    pub html_text: String,
}

/// What an incident's entry is made from: the incident (a change reloads it into a new `Arc`)
/// and the page's address and component names, through the layout stamp.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct EntryKey {
    incident: ByAddress<Incident>,
    layout: Arc<str>,
}

/// A fixed namespace for Herald's name-based UUIDs; changing it would change every id.
const NAMESPACE: [u8; 16] = [
    0x6b, 0x1f, 0x3a, 0x52, 0x0e, 0x8d, 0x4c, 0x21, 0x9a, 0x77, 0x25, 0xd1, 0x40, 0x6e, 0xb3, 0x08,
];

/// A name-based UUID for something on a page (`kind` is "incident", "maintenance", "feed"):
/// RFC 9562's UUIDv8 with SHA-256 (version 5 would mean SHA-1), the namespace then the name
/// hashed, the first 128 bits kept, and the version and variant bits set.
pub fn stable_uuid(page_id: &str, kind: &str, id: &str) -> String {
    let mut hash = Sha256::new();
    hash.update(NAMESPACE);
    hash.update(format!("{page_id}/{kind}/{id}"));
    let digest = hash.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// The feeds' entries, newest first, at most [`FEED_ENTRIES`]; an incident's is made once
/// while it and the layout stay the same.
pub fn entries(view: &View) -> Vec<Arc<Entry>> {
    let layout: Arc<str> = view.layout();
    // Only the newest of each kind can make the cut; rendering the rest would be wasted.
    let mut windows: Vec<&Maintenance> = view.data.maintenance.iter().map(|m| &**m).collect();
    windows.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
    let incident = |incident: &Arc<Incident>| {
        let key = EntryKey {
            incident: ByAddress(incident.clone()),
            layout: layout.clone(),
        };
        let entry = view
            .memos()
            .feed_entries
            .get(key, |_| Arc::new(incident_entry(view, incident)));
        // Taken over whole, it converted none of its text: kept for when it changes.
        for update in &incident.updates {
            view.keep_markdown(&update.details);
        }
        entry
    };
    let mut entries: Vec<Arc<Entry>> = view
        .data
        .incidents
        .iter()
        .take(FEED_ENTRIES)
        .map(incident)
        .chain(
            windows
                .into_iter()
                .take(FEED_ENTRIES)
                .map(|w| Arc::new(maintenance_entry(view, w))),
        )
        .collect();
    entries.sort_by(|a, b| (b.published, &b.id).cmp(&(a.published, &a.id)));
    entries.truncate(FEED_ENTRIES);
    entries
}

fn maintenance_entry(view: &View, window: &Maintenance) -> Entry {
    let mut body = format!(
        "<p>Planned from {} to {}</p>\n",
        window.starts_at.strftime("%Y-%m-%d %H:%M UTC"),
        window.ends_at.strftime("%Y-%m-%d %H:%M UTC")
    );
    let affected = html::affected_names(view, window.affected.iter().map(String::as_str));
    if !affected.is_empty() {
        body.push_str(&format!(
            "<p>Affected: {}</p>\n",
            escape_html(&affected.join(", "))
        ));
    }
    for update in window.updates.iter().rev() {
        body.push_str(&update_html(
            view,
            update.state.label(),
            update.at,
            &update.details,
        ));
    }
    Entry {
        id: format!(
            "urn:uuid:{}",
            stable_uuid(&window.page_id, "maintenance", &window.id)
        ),
        title: format!("Maintenance: {}", window.title),
        link: format!("{}{}", view.base_url, paths::maintenance_dir(&window.id)),
        published: window.created_at,
        updated: window.updated_at,
        html_text: xml_text(&body),
    }
}

/// One update of a timeline: its state, when, and what it said.
fn update_html(view: &View, state: &str, at: Timestamp, details: &str) -> String {
    format!(
        "<p><strong>{state}</strong> – {}</p>\n{}\n",
        at.strftime("%Y-%m-%d %H:%M UTC"),
        view.markdown_html(details).trim_end()
    )
}

fn incident_entry(view: &View, incident: &Incident) -> Entry {
    let mut body = String::new();
    let affected = html::affected_names(
        view,
        incident.affected.iter().map(|a| a.location_id.as_str()),
    );
    if !affected.is_empty() {
        body.push_str(&format!(
            "<p>Affected: {}</p>\n",
            escape_html(&affected.join(", "))
        ));
    }
    for update in incident.updates.iter().rev() {
        body.push_str(&update_html(
            view,
            update.state.label(),
            update.at,
            &update.details,
        ));
    }
    if let Some(url) = &incident.postmortem_url {
        body.push_str(&format!(
            "<p><a href=\"{}\">Post-mortem</a></p>\n",
            escape_html(url)
        ));
    }
    Entry {
        id: format!(
            "urn:uuid:{}",
            stable_uuid(&incident.page_id, "incident", &incident.id)
        ),
        title: incident.title.clone(),
        link: format!("{}{}", view.base_url, paths::incident_dir(&incident.id)),
        published: incident.created_at,
        updated: incident.updated_at,
        html_text: xml_text(&body),
    }
}

fn feed_title(view: &View) -> String {
    format!("{} status", view.page().name)
}

fn feed_description(view: &View) -> String {
    format!("Incidents on {}, newest first.", view.page().name)
}

/// When the feed last changed: its newest entry, or the page's name.
fn feed_updated(view: &View, entries: &[Arc<Entry>]) -> Timestamp {
    entries
        .iter()
        .map(|e| e.updated)
        .fold(view.page().updated_at, Timestamp::max)
}

/// RFC 822 dates, as RSS 2.0 wants them.
fn rfc822(t: Timestamp) -> String {
    t.strftime("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// RSS 2.0 of `entries` (from [`entries`], shared with the Atom feed).
pub fn rss(view: &View, entries: &[Arc<Entry>]) -> String {
    let home = view.base_url.as_str();
    let self_link = format!("{home}{}", paths::RSS);
    let mut x = Xml::new();
    x.start(
        "rss",
        &[
            ("version", "2.0"),
            ("xmlns:atom", "http://www.w3.org/2005/Atom"),
        ],
    );
    x.start("channel", &[]);
    x.leaf("title", &[], &feed_title(view));
    x.leaf("link", &[], home);
    x.leaf("description", &[], &feed_description(view));
    x.empty(
        "atom:link",
        &[
            ("href", &self_link),
            ("rel", "self"),
            ("type", "application/rss+xml"),
        ],
    );
    x.leaf("lastBuildDate", &[], &rfc822(feed_updated(view, entries)));
    x.leaf("generator", &[], "Herald");
    for entry in entries {
        x.start("item", &[]);
        x.leaf("title", &[], &entry.title);
        x.leaf("link", &[], &entry.link);
        x.leaf("guid", &[("isPermaLink", "false")], &entry.id);
        x.leaf("pubDate", &[], &rfc822(entry.published));
        x.leaf_text("description", &[], &entry.html_text);
        x.end();
    }
    x.end();
    x.end();
    x.finish()
}

/// Atom of `entries` (from [`entries`], shared with the RSS feed).
pub fn atom(view: &View, entries: &[Arc<Entry>]) -> String {
    let home = view.base_url.as_str();
    let self_link = format!("{home}{}", paths::ATOM);
    let feed_id = format!(
        "urn:uuid:{}",
        stable_uuid(&view.page().id, "feed", "history")
    );
    let mut x = Xml::new();
    x.start("feed", &[("xmlns", "http://www.w3.org/2005/Atom")]);
    x.leaf("id", &[], &feed_id);
    x.leaf("title", &[("type", "text")], &feed_title(view));
    x.leaf("subtitle", &[("type", "text")], &feed_description(view));
    x.leaf("updated", &[], &feed_updated(view, entries).to_string());
    x.empty(
        "link",
        &[
            ("rel", "self"),
            ("type", "application/atom+xml"),
            ("href", &self_link),
        ],
    );
    x.empty(
        "link",
        &[("rel", "alternate"), ("type", "text/html"), ("href", home)],
    );
    // Atom needs an author on the feed when entries have none.
    x.start("author", &[]);
    x.leaf("name", &[], &view.page().name);
    x.end();
    x.leaf("generator", &[], "Herald");
    for entry in entries {
        x.start("entry", &[]);
        x.leaf("id", &[], &entry.id);
        x.leaf("title", &[("type", "text")], &entry.title);
        x.empty(
            "link",
            &[
                ("rel", "alternate"),
                ("type", "text/html"),
                ("href", &entry.link),
            ],
        );
        x.leaf("published", &[], &entry.published.to_string());
        x.leaf("updated", &[], &entry.updated.to_string());
        x.leaf_text("content", &[("type", "html")], &entry.html_text);
        x.end();
    }
    x.end();
    x.finish()
}

/// A minimal XML writer: element and attribute names are this file's constants; every value
/// and text is escaped, and characters XML 1.0 cannot carry at all are dropped.
struct Xml {
    out: String,
    open: Vec<&'static str>,
}

impl Xml {
    fn new() -> Xml {
        Xml {
            out: "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n".into(),
            open: Vec::new(),
        }
    }

    fn tag(&mut self, name: &'static str, attrs: &[(&'static str, &str)]) {
        self.out.push('<');
        self.out.push_str(name);
        for (key, value) in attrs {
            self.out.push(' ');
            self.out.push_str(key);
            self.out.push_str("=\"");
            escape_xml(&mut self.out, value, true);
            self.out.push('"');
        }
    }

    fn start(&mut self, name: &'static str, attrs: &[(&'static str, &str)]) {
        self.tag(name, attrs);
        self.out.push_str(">\n");
        self.open.push(name);
    }

    fn end(&mut self) {
        let name = self.open.pop().expect("end() matches a start()");
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push_str(">\n");
    }

    fn leaf(&mut self, name: &'static str, attrs: &[(&'static str, &str)], text: &str) {
        self.leaf_text(name, attrs, &xml_text(text));
    }

    /// [`Xml::leaf`] of text already escaped by [`xml_text`].
    fn leaf_text(&mut self, name: &'static str, attrs: &[(&'static str, &str)], escaped: &str) {
        self.tag(name, attrs);
        self.out.push('>');
        self.out.push_str(escaped);
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push_str(">\n");
    }

    fn empty(&mut self, name: &'static str, attrs: &[(&'static str, &str)]) {
        self.tag(name, attrs);
        self.out.push_str("/>\n");
    }

    fn finish(self) -> String {
        assert!(self.open.is_empty(), "unclosed elements: {:?}", self.open);
        self.out
    }
}

/// XML 1.0's `Char`: anything else is an error even as a character reference.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// `text` escaped as the text of an element.
fn xml_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_xml(&mut out, text, false);
    out
}

fn escape_xml(out: &mut String, text: &str, attribute: bool) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            // Also keeps `]]>` from ever appearing.
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            // References, because parsers normalise literal line breaks and tabs away.
            '\r' => out.push_str("&#13;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\t' if attribute => out.push_str("&#9;"),
            c if is_xml_char(c) => out.push(c),
            _ => {}
        }
    }
}

/// For the few plain strings (component names, URLs) put into the entries' HTML.
fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use herald_core::component::{Component, Location};
    use herald_core::incident::{
        AffectedLocation, Channels, Incident, IncidentState, Severity, Update,
    };
    use herald_core::page::{Page, PageSettings};
    use herald_core::status::StatusLevel;
    use jiff::{SignedDuration, Timestamp};

    use super::*;
    use crate::data::PageData;
    use crate::memo::Memos;

    const T0: &str = "2025-06-02T09:00:00Z";

    fn at(minutes: i64) -> Timestamp {
        T0.parse::<Timestamp>()
            .unwrap()
            .checked_add(SignedDuration::from_mins(minutes))
            .unwrap()
    }

    fn page(name: &str) -> Page {
        Page {
            id: "aaaaaaaaaaaaaaaaaaaaaaaa".into(),
            slug: "acme".into(),
            name: name.into(),
            time_zone: "UTC".into(),
            settings: PageSettings::default(),
            created_at: at(0),
            updated_at: at(0),
        }
    }

    fn update(state: IncidentState, details: &str, minute: i64) -> Update {
        Update {
            id: format!("u{minute}"),
            state,
            details: details.into(),
            levels: Vec::new(),
            subject: "Status".into(),
            channels: Channels::default(),
            author: "test".into(),
            at: at(minute),
            next_update_in: None,
            edited_at: None,
        }
    }

    /// An incident created at `minute`, with one update per later entry of `timeline`.
    fn incident(
        n: usize,
        title: &str,
        minute: i64,
        timeline: &[(IncidentState, &str)],
    ) -> Incident {
        let updates: Vec<Update> = timeline
            .iter()
            .enumerate()
            .map(|(i, (state, details))| update(*state, details, minute + i as i64))
            .collect();
        let last = updates.last().unwrap().clone();
        Incident {
            id: format!("{n:024x}"),
            page_id: "aaaaaaaaaaaaaaaaaaaaaaaa".into(),
            title: title.into(),
            severity: Severity::new(3).unwrap(),
            severity_reason: None,
            state: last.state,
            affected: vec![AffectedLocation {
                location_id: "loc".into(),
                level: StatusLevel::PartialServiceDisruption,
            }],
            updates,
            postmortem_url: None,
            recurrences: 0,
            created_at: at(minute),
            updated_at: last.at,
            resolved_at: (last.state == IncidentState::Resolved).then_some(last.at),
            issue_link: None,
        }
    }

    fn data(name: &str, incidents: Vec<Incident>) -> PageData {
        let mut data = PageData::new(
            page(name),
            Vec::new(),
            vec![Component {
                id: "api".into(),
                page_id: "aaaaaaaaaaaaaaaaaaaaaaaa".into(),
                group_id: None,
                name: "API <b>".into(),
                description: String::new(),
                position: 0,
                locations: vec![Location {
                    id: "loc".into(),
                    component_id: "api".into(),
                    name: "Default".into(),
                    position: 0,
                    override_level: None,
                }],
                created_at: at(0),
                updated_at: at(0),
            }],
            Vec::new(),
            Vec::new(),
        );
        for incident in incidents {
            data.upsert_incident(incident);
        }
        data
    }

    fn view<'a>(data: &'a PageData, base: &str) -> View<'a> {
        View::new(data, at(1000), base.into())
    }

    #[test]
    fn uuids_are_stable_version_8_and_distinct() {
        let a = stable_uuid("p", "incident", "1");
        assert_eq!(a, stable_uuid("p", "incident", "1"));
        assert_ne!(a, stable_uuid("p", "incident", "2"));
        assert_ne!(a, stable_uuid("q", "incident", "1"));
        assert_ne!(a, stable_uuid("p", "maintenance", "1"));
        let parts: Vec<&str> = a.split('-').collect();
        let lengths: Vec<usize> = parts.iter().map(|p| p.len()).collect();
        assert_eq!(lengths, [8, 4, 4, 4, 12], "{a}");
        assert!(parts[2].starts_with('8'), "version 8: {a}");
        assert!(
            matches!(parts[3].as_bytes()[0], b'8' | b'9' | b'a' | b'b'),
            "RFC variant: {a}"
        );
        assert!(
            a.bytes()
                .all(|b| b == b'-' || b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
    }

    #[test]
    fn ids_survive_renames_and_a_new_base_url() {
        use IncidentState::*;
        let before = data(
            "Acme",
            vec![incident(1, "Errors", 0, &[(Investigating, "x")])],
        );
        let after = data(
            "Acme Corp",
            vec![incident(1, "Errors on API", 0, &[(Investigating, "x")])],
        );
        let old = entries(&view(&before, "https://old.example/"));
        let new = entries(&view(&after, "https://status.example/p/acme/"));
        assert_eq!(old[0].id, new[0].id);
        assert_eq!(
            new[0].link,
            format!("https://status.example/p/acme/incidents/{:024x}/", 1)
        );
        let atom_id = |v: &View| {
            let xml = atom(v, &entries(v));
            xml.split("<id>")
                .nth(1)
                .unwrap()
                .split("</id>")
                .next()
                .unwrap()
                .to_string()
        };
        assert_eq!(
            atom_id(&view(&before, "https://old.example/")),
            atom_id(&view(&after, "https://status.example/"))
        );
    }

    #[test]
    fn newest_first_and_at_most_fifty() {
        use IncidentState::*;
        let incidents = (0..55)
            .map(|n| {
                incident(
                    n,
                    &format!("Incident {n}"),
                    n as i64 * 10,
                    &[(Resolved, "Fixed.")],
                )
            })
            .collect();
        let data = data("Acme", incidents);
        let entries = entries(&view(&data, "https://s.example/"));
        assert_eq!(entries.len(), FEED_ENTRIES);
        assert_eq!(entries[0].title, "Incident 54");
        assert_eq!(entries[49].title, "Incident 5");
        let v = view(&data, "https://s.example/");
        let rss = rss(&v, &entries);
        assert_eq!(rss.matches("<item>").count(), FEED_ENTRIES);
        assert!(rss.find("Incident 54") < rss.find("Incident 53"));
    }

    #[test]
    fn an_entry_is_made_again_only_when_its_incident_or_the_layout_changes() {
        use IncidentState::*;
        let looking = incident(1, "Errors", 0, &[(Investigating, "Looking.")]);
        let slow = |timeline: &[(IncidentState, &str)]| incident(2, "Slow", 5, timeline);
        let mut data = data("Acme", vec![looking, slow(&[(Investigating, "Slow.")])]);
        let feed = |data: &PageData, memos: &Arc<Memos>| {
            let view = view(data, "https://s.example/").remembering(memos.clone());
            rss(&view, &entries(&view))
        };
        let first = Arc::new(Memos::default());
        feed(&data, &first);
        data.upsert_incident(slow(&[(Investigating, "Slow."), (Identified, "Found.")]));
        let second = Arc::new(Memos::after(&first));
        let rss = feed(&data, &second);
        assert_eq!(
            rss,
            feed(&data, &Arc::default()),
            "what a fresh build writes"
        );
        assert!(rss.contains("Found."));
        assert_eq!(second.feed_entries.made(), 1);
        assert_eq!(second.markdown.made(), 1, "only the new update's text");

        data.components[0].name = "Public API".into();
        data.components[0].updated_at = at(30);
        let third = Arc::new(Memos::after(&second));
        assert!(feed(&data, &third).contains("Public API"));
        assert_eq!(third.feed_entries.made(), 2);
        assert_eq!(
            third.markdown.made(),
            0,
            "the text of an entry taken over is kept"
        );
    }

    #[test]
    fn the_timeline_is_newest_first_with_states_and_times() {
        use IncidentState::*;
        let data = data(
            "Acme",
            vec![incident(
                1,
                "Errors",
                0,
                &[
                    (Investigating, "Looking."),
                    (Identified, "Found **it**."),
                    (Resolved, "Fixed."),
                ],
            )],
        );
        let entry = &entries(&view(&data, "https://s.example/"))[0];
        // The entry's HTML, as a feed reader reads it out of the element's text.
        let html = &entry
            .html_text
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&");
        let (r, i, v) = (
            html.find("Resolved").unwrap(),
            html.find("Identified").unwrap(),
            html.find("Investigating").unwrap(),
        );
        assert!(r < i && i < v, "{html}");
        assert!(html.contains("2025-06-02 09:02 UTC"), "{html}");
        assert!(html.contains("<strong>it</strong>"), "{html}");
        assert!(html.contains("Affected: API &lt;b&gt;"), "{html}");
        assert_eq!((entry.published, entry.updated), (at(0), at(2)));
    }

    #[test]
    fn hostile_text_is_escaped_and_illegal_characters_dropped() {
        use IncidentState::*;
        let title = "<script>alert(1)</script> & ]]> \"q\" \u{1}\u{FFFE}";
        let data = data(
            "Acme <i>",
            vec![incident(
                1,
                title,
                0,
                &[(Investigating, "<script>alert(2)</script> ]]>")],
            )],
        );
        let v = view(&data, "https://s.example/?a=1&b=\"2\"");
        for xml in [rss(&v, &entries(&v)), atom(&v, &entries(&v))] {
            assert!(!xml.contains("<script"), "{xml}");
            assert!(!xml.contains("]]>"), "{xml}");
            assert!(!xml.contains("<i>"), "{xml}");
            assert!(!xml.contains('\u{1}') && !xml.contains('\u{FFFE}'), "{xml}");
            assert!(
                xml.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; ]]&gt;"),
                "{xml}"
            );
            // The body's HTML, itself escaping the script, escaped once more as text.
            assert!(xml.contains("&amp;lt;script&amp;gt;alert(2)"), "{xml}");
            assert!(xml.contains("?a=1&amp;b=&quot;2&quot;"), "{xml}");
        }
    }

    /// The text of the element `open` starts (its first one in `xml`), read as an XML parser
    /// reads it: the predefined entities and character references decoded once.
    fn text_of(xml: &str, open: &str) -> String {
        let start = xml
            .find(open)
            .unwrap_or_else(|| panic!("no {open} in {xml}"))
            + open.len();
        let raw = &xml[start..start + xml[start..].find('<').unwrap()];
        let mut text = String::new();
        let mut rest = raw;
        while let Some(at) = rest.find('&') {
            text.push_str(&rest[..at]);
            let end = at + rest[at..].find(';').unwrap();
            text.push(match &rest[at + 1..end] {
                "lt" => '<',
                "gt" => '>',
                "amp" => '&',
                "quot" => '"',
                "apos" => '\'',
                number => {
                    let code = match number.strip_prefix("#x") {
                        Some(hex) => u32::from_str_radix(hex, 16).unwrap(),
                        None => number.strip_prefix('#').unwrap().parse().unwrap(),
                    };
                    char::from_u32(code).unwrap()
                }
            });
            rest = &rest[end + 1..];
        }
        text.push_str(rest);
        text
    }

    #[test]
    fn the_feeds_own_title_and_description_are_plain_text_like_the_entries_titles() {
        use IncidentState::*;
        let name = "Acme <b>&amp; Co";
        let data = data(
            name,
            vec![incident(1, "Errors <i>&amp;", 0, &[(Investigating, "x")])],
        );
        let v = view(&data, "https://s.example/");
        let (rss, atom) = (rss(&v, &entries(&v)), atom(&v, &entries(&v)));
        let title = format!("{name} status");
        let description = format!("Incidents on {name}, newest first.");
        assert_eq!(text_of(&rss, "<channel>\n<title>"), title, "{rss}");
        assert_eq!(text_of(&rss, "</link>\n<description>"), description);
        assert_eq!(text_of(&atom, "<title type=\"text\">"), title, "{atom}");
        assert_eq!(text_of(&atom, "<subtitle type=\"text\">"), description);
        assert_eq!(text_of(&atom, "<name>"), name);
        assert_eq!(text_of(&rss, "<item>\n<title>"), "Errors <i>&amp;");
    }

    #[test]
    fn the_writer_escapes_attributes_and_nests() {
        let mut x = Xml::new();
        x.start("a", &[("k", "1<2 & \"3\"\n")]);
        x.leaf("b", &[], "x\ry");
        x.end();
        assert_eq!(
            x.finish(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<a k=\"1&lt;2 &amp; &quot;3&quot;&#10;\">\n<b>x&#13;y</b>\n</a>\n"
        );
    }
}
