"""Parses Herald's RSS and Atom feeds with feedparser, as feed readers do.

    python3 feeds.py URL [URL ...] [--titles JSON_LIST]

Fails (exit 1) when feedparser reports the feed malformed (`bozo`), when a feed is neither
RSS 2.0 nor Atom 1.0, lacks its title or self and alternate links, or when an entry lacks a
title, a urn:uuid id or an absolute link; with --titles, when the entries' titles (newest
first) are not exactly those. Prints a JSON summary of what it parsed either way.
"""

import argparse
import json
import sys
import time
import uuid
from urllib.parse import urlparse

import feedparser


def iso(parsed):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", parsed) if parsed else None


def absolute(url):
    parts = urlparse(url or "")
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def summarise(url):
    d = feedparser.parse(url)
    entries = []
    for e in d.entries:
        content = e.get("content")
        entries.append(
            {
                "id": e.get("id"),
                "title": e.get("title"),
                "title_type": e.get("title_detail", {}).get("type"),
                "link": e.get("link"),
                "published": iso(e.get("published_parsed")),
                # Atom only: feedparser would otherwise echo the RSS pubDate here.
                "updated": iso(e.get("updated_parsed")) if d.version == "atom10" else None,
                "content": content[0]["value"] if content else e.get("summary"),
            }
        )
    return d, {
        "url": url,
        "status": d.get("status"),
        "version": d.version,
        "bozo": bool(d.bozo),
        "bozo_exception": repr(d.get("bozo_exception")) if d.bozo else None,
        "title": d.feed.get("title"),
        # RSS's channel description and Atom's subtitle.
        "description": d.feed.get("subtitle"),
        "updated": iso(d.feed.get("updated_parsed")),
        "links": [
            {"rel": l.get("rel"), "type": l.get("type"), "href": l.get("href")}
            for l in d.feed.get("links", [])
        ],
        "entries": entries,
    }


def problems(summary, titles):
    found = []
    if summary["bozo"]:
        found.append(f"feedparser says the feed is malformed: {summary['bozo_exception']}")
    if summary["version"] not in ("rss20", "atom10"):
        found.append(f"neither RSS 2.0 nor Atom 1.0 but {summary['version']!r}")
    if not summary["title"]:
        found.append("the feed has no title")
    for rel in ("self", "alternate"):
        if not any(l["rel"] == rel and absolute(l["href"]) for l in summary["links"]):
            found.append(f"no absolute {rel} link")
    ids = set()
    for n, e in enumerate(summary["entries"]):
        where = f"entry {n} ({e['title']!r})"
        if not e["title"]:
            found.append(f"{where} has no title")
        if not absolute(e["link"]):
            found.append(f"{where} has no absolute link: {e['link']!r}")
        entry_id = e["id"] or ""
        try:
            if not entry_id.startswith("urn:uuid:"):
                raise ValueError("not a urn:uuid")
            parsed = uuid.UUID(entry_id[len("urn:uuid:"):])
            if str(parsed) != entry_id[len("urn:uuid:"):] or parsed.variant != uuid.RFC_4122:
                raise ValueError("not a canonical RFC 9562 UUID")
        except ValueError as err:
            found.append(f"{where} has a bad id {entry_id!r}: {err}")
        if entry_id in ids:
            found.append(f"{where} repeats the id {entry_id}")
        ids.add(entry_id)
    if titles is not None:
        got = [e["title"] for e in summary["entries"]]
        if got != titles:
            found.append(f"the titles are {got!r}, expected {titles!r}")
    return found


def main():
    args = argparse.ArgumentParser(description=__doc__)
    args.add_argument("urls", nargs="+")
    args.add_argument("--titles", type=json.loads, help="a JSON list: every entry's title, in order")
    opts = args.parse_args()
    summaries, failures = [], []
    for url in opts.urls:
        _, summary = summarise(url)
        summaries.append(summary)
        failures += [f"{url}: {p}" for p in problems(summary, opts.titles)]
    print(json.dumps(summaries, indent=2, ensure_ascii=False))
    for failure in failures:
        print(failure, file=sys.stderr)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
