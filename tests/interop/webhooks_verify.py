"""Verifies recorded webhook deliveries with the official Standard Webhooks library.

Usage: webhooks_verify.py FILE, where FILE holds [{"secret", "headers", "body"}]. Prints, per
delivery, whether it verified and whether the same delivery with a tampered body (and with a
tampered signature) was rejected.
"""
import json
import sys

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


def rejected(wh, body, headers):
    try:
        wh.verify(body, headers)
    except WebhookVerificationError:
        return True
    return False


def check(delivery):
    wh = Webhook(delivery["secret"])
    headers = delivery["headers"]
    body = delivery["body"]
    payload = wh.verify(body, headers)
    forged = dict(headers, **{"webhook-signature": "v1,Zm9yZ2VkIHNpZ25hdHVyZSBvZiAzMiBieXRlcyEhIQ=="})
    return {
        "verified": True,
        "id": headers["webhook-id"],
        "type": payload.get("type") if isinstance(payload, dict) else None,
        "tampered_body_rejected": rejected(wh, body.replace("e", "E", 1), headers),
        "forged_signature_rejected": rejected(wh, body, forged),
    }


with open(sys.argv[1]) as f:
    print(json.dumps([check(d) for d in json.load(f)]))
