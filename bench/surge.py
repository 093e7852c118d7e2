#!/usr/bin/env python3
"""Herald's memory and the public page's speed under a surge: 2,000 readers refreshing the
home page at once, and a flood of sign-in attempts with unknown addresses.

Builds Herald in release mode and seeds one page (200 components, 100 past incidents). Then:
1. wrk (-t2 -c2000 -d10s) on the home page, once asking for no compression and once for
   Brotli or gzip as browsers do; Herald's resident memory is sampled every 20 ms.
2. wrk (-t1 -c1000 -d10s) posting the sign-in form with a random unknown address each time,
   while a second wrk (-t1 -c32) reads the home page: the readers' p99, the answers the flood
   got (429 once the client's attempts are used up), and Herald's memory.

Usage: python3 bench/surge.py [--connections 2000] [--duration 10]
Needs: wrk (apt-get install wrk).
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
import time

from harness import Herald

FLOOD_LUA = """
local csrf = "{csrf}"
request = function()
  local email = string.format("nobody%d@%d.example", math.random(1, 1e9), math.random(1, 1e9))
  local body = "_csrf=" .. csrf .. "&next=%2Fconsole&email=" .. email .. "&password=wrong-password"
  return wrk.format("POST", "/console/sign-in", {{
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = "herald_sign_in=" .. csrf,
  }}, body)
end
"""


class MemorySampler:
    """Herald's peak resident memory while the block runs, sampled every 20 ms."""

    def __init__(self, herald):
        self.herald, self.peak, self.running = herald, 0.0, True

    def __enter__(self):
        self.thread = threading.Thread(target=self.sample)
        self.thread.start()
        return self

    def sample(self):
        while self.running:
            self.peak = max(self.peak, self.herald.memory_mb()[0])
            time.sleep(0.02)

    def __exit__(self, *exc):
        self.running = False
        self.thread.join()


def run_wrk(url, threads, connections, duration, *extra):
    """Requests per second, p99 in ms, and how many answers were not 2xx/3xx."""
    out = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency",
                          *extra, url], check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    p99_ms = float(p99.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, p99_ms, int(failed.group(1)) if failed else 0


def sign_in_token(herald):
    """A sign-in form token and its cookie's value (the same: a double-submit token)."""
    status, body = herald.client.raw("GET", "/console/sign-in")
    if status != 200:
        sys.exit(f"GET /console/sign-in -> {status}")
    return re.search(rb'name="_csrf" value="([0-9a-f]+)"', body).group(1).decode()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--connections", type=int, default=2000)
    parser.add_argument("--duration", type=int, default=10)
    args = parser.parse_args()
    for tool in ("wrk",):
        if subprocess.run(["which", tool], capture_output=True).returncode:
            sys.exit(f"{tool} is needed: apt-get install {tool}")

    herald = Herald(components=200)
    try:
        herald.seed_past(100)
        home = f"http://127.0.0.1:{herald.port}/"
        idle = herald.memory_mb()[0]
        print(f"Herald idle after seeding: {idle:.0f} MB resident")
        for label, extra in (("no compression", []),
                             ("br, gzip", ["-H", "Accept-Encoding: br, gzip"])):
            with MemorySampler(herald) as memory:
                rps, p99, failed = run_wrk(home, 2, args.connections, args.duration, *extra)
            print(f"{args.connections} readers, {label}: {rps:,.0f} req/s, p99 {p99:.1f} ms, "
                  f"{failed} failed; peak {memory.peak:.0f} MB resident")

        script = os.path.join(tempfile.mkdtemp(prefix="herald-bench-"), "flood.lua")
        with open(script, "w") as f:
            f.write(FLOOD_LUA.format(csrf=sign_in_token(herald)))
        readers = {}
        with MemorySampler(herald) as memory:
            reader = threading.Thread(target=lambda: readers.update(
                result=run_wrk(home, 1, 32, args.duration)))
            reader.start()
            flood = run_wrk(f"http://127.0.0.1:{herald.port}/console/sign-in", 1,
                            args.connections // 2, args.duration, "-s", script)
            reader.join()
        rps, p99, refused = flood
        print(f"sign-in flood ({args.connections // 2} connections): {rps:,.0f} answers/s, p99 {p99:.1f} ms, "
              f"{refused} refused (429 or 401)")
        r_rps, r_p99, r_failed = readers["result"]
        print(f"home page meanwhile (32 connections): {r_rps:,.0f} req/s, p99 {r_p99:.1f} ms, {r_failed} failed; "
              f"Herald's peak {memory.peak:.0f} MB resident")
    finally:
        herald.stop()


if __name__ == "__main__":
    main()
