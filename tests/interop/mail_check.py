"""Parses emails with Python's standard email package, as a mail client would.

Usage: mail_check.py FILE... Prints, per message, its headers of interest, the MIME structure,
and the decoded text and HTML parts.
"""
import json
import sys
from email import policy
from email.parser import BytesParser


def check(path):
    with open(path, "rb") as f:
        msg = BytesParser(policy=policy.default).parse(f)
    text = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    return {
        "from": str(msg["From"]),
        "to": str(msg["To"]),
        "subject": str(msg["Subject"]),
        "message_id": str(msg["Message-ID"]),
        "list_unsubscribe": msg["List-Unsubscribe"] and str(msg["List-Unsubscribe"]),
        "list_unsubscribe_post": msg["List-Unsubscribe-Post"] and str(msg["List-Unsubscribe-Post"]),
        "content_type": msg.get_content_type(),
        "parts": [p.get_content_type() for p in msg.iter_parts()] if msg.is_multipart() else [],
        "text": text.get_content() if text else None,
        "html": html.get_content() if html else None,
        "defects": [str(d) for d in msg.defects],
    }


print(json.dumps([check(p) for p in sys.argv[1:]]))
