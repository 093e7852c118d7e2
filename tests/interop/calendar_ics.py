"""Parses an iCalendar file with the icalendar package, as calendar clients do.

    python3 calendar_ics.py URL_OR_PATH

Fails (exit 1) when the file is not UTF-8 or cannot be parsed, when icalendar reports a broken
property, when a line is not CRLF-terminated or is longer than 75 octets (RFC 5545 3.1), when a
TEXT value has a bare comma or semicolon (3.3.11), or when an event's DTSTART or DTEND is not a
UTC date-time. Prints the calendar's name and its events as JSON.
"""

import json
import re
import sys
import urllib.request
from datetime import datetime, timezone

import icalendar


def read(source):
    if source.startswith(("http://", "https://")):
        with urllib.request.urlopen(source) as response:
            return response.read()
    with open(source, "rb") as f:
        return f.read()


def line_problems(data):
    found = []
    if not data.endswith(b"\r\n"):
        found.append("the file does not end with CRLF")
    for n, line in enumerate(data.split(b"\r\n")[:-1], start=1):
        if b"\n" in line or b"\r" in line:
            found.append(f"line {n} has a bare CR or LF: {line!r}")
        if len(line) > 75:
            found.append(f"line {n} is {len(line)} octets: {line!r}")
    return found


# Single-valued TEXT properties: a bare comma or semicolon in them is an escaping bug, even
# where a lenient parser reads it back.
TEXT = {"UID", "SUMMARY", "DESCRIPTION", "LOCATION", "COMMENT", "X-WR-CALNAME", "X-WR-CALDESC"}


def text_problems(data):
    found = []
    unfolded = data.decode("utf-8").replace("\r\n ", "").replace("\r\n\t", "")
    for line in unfolded.split("\r\n"):
        match = re.match(r'([A-Za-z0-9-]+)((?:;[^:";]*=(?:"[^"]*"|[^:";]*))*):(.*)', line)
        if not match or match[1].upper() not in TEXT:
            continue
        value, i = match[3], 0
        while i < len(value):
            if value[i] == "\\":
                i += 1
            elif value[i] in ",;":
                found.append(f"{match[1]} has an unescaped {value[i]!r}: {line!r}")
                break
            i += 1
    return found


def utc(event, name):
    value = event.decoded(name)
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ValueError(f"{name} {value!r} is not a date-time with a time zone")
    if value.utcoffset().total_seconds() != 0:
        raise ValueError(f"{name} {value!r} is not in UTC")
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def text(component, name):
    value = component.get(name)
    return None if value is None else str(value)


def x_text(component, name):
    """An X- property's value is TEXT unless it says otherwise (RFC 5545 3.8.8.2), but
    icalendar leaves unknown properties raw: undo the TEXT escapes (3.3.11) here."""
    value = component.get(name)
    if value is None:
        return None
    raw = value.to_ical().decode()
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m[1] in "nN" else m[1], raw)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    data = read(sys.argv[1])
    failures = line_problems(data) + text_problems(data)  # text_problems: UTF-8 or raise.
    calendar = icalendar.Calendar.from_ical(data)
    events = []
    for component in calendar.walk():
        if component.errors:
            failures.append(f"{component.name}: {component.errors}")
    for event in calendar.walk("VEVENT"):
        try:
            events.append(
                {
                    "uid": text(event, "UID"),
                    "sequence": int(event.get("SEQUENCE")),
                    "dtstart": utc(event, "DTSTART"),
                    "dtend": utc(event, "DTEND"),
                    "dtstamp": utc(event, "DTSTAMP"),
                    "last_modified": utc(event, "LAST-MODIFIED"),
                    "status": text(event, "STATUS"),
                    "summary": text(event, "SUMMARY"),
                    "description": text(event, "DESCRIPTION"),
                    "url": text(event, "URL"),
                }
            )
        except (KeyError, TypeError, ValueError) as err:
            failures.append(f"event {text(event, 'UID')!r}: {err!r}")
    summary = {
        "name": x_text(calendar, "X-WR-CALNAME"),
        "version": text(calendar, "VERSION"),
        "prodid": text(calendar, "PRODID"),
        "method": text(calendar, "METHOD"),
        "refresh_interval": calendar.get("REFRESH-INTERVAL").to_ical().decode()
        if "REFRESH-INTERVAL" in calendar
        else None,
        "events": events,
    }
    print(json.dumps(summary, indent=2, ensure_ascii=False))
    for failure in failures:
        print(failure, file=sys.stderr)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
