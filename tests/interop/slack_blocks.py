"""Parses Slack messages with slack_sdk's Block Kit models, which check Slack's documented
field names and length limits.

Usage: slack_blocks.py FILE, where FILE holds a list of incoming-webhook bodies. Prints, per
message, the block types and whether the models reproduce the blocks exactly (a key the
models do not know would be dropped).
"""
import json
import sys

from slack_sdk.models.blocks import Block


def check(message):
    assert isinstance(message.get("text"), str) and message["text"], "a fallback text"
    blocks = Block.parse_all(message["blocks"])
    for block in blocks:
        block.validate_json()
    return {
        "types": [b.type for b in blocks],
        "round_trip": [b.to_dict() for b in blocks] == message["blocks"],
    }


with open(sys.argv[1]) as f:
    print(json.dumps([check(m) for m in json.load(f)]))
