"""A real SMTP server (aiosmtpd) that writes every message it receives to a directory.

Usage: smtp_sink.py PORT DIR. Prints "ready" once it listens on 127.0.0.1:PORT; runs until
killed. Recipients listed in REJECT (comma separated, env) are refused with 550.
"""
import os
import sys
import time

from aiosmtpd.controller import Controller

REJECT = set(filter(None, os.environ.get("REJECT", "").split(",")))


class Sink:
    def __init__(self, out):
        self.out = out
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in REJECT:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        name = os.path.join(self.out, f"{self.count:05d}.eml")
        with open(name + ".part", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.rename(name + ".part", name)
        return "250 Message accepted"


port, out = int(sys.argv[1]), sys.argv[2]
controller = Controller(Sink(out), hostname="127.0.0.1", port=port)
controller.start()
print("ready", flush=True)
while True:
    time.sleep(3600)
