#!/usr/bin/env python3
"""Posting an update through the admin API on a page with 10,000 past incidents.

Builds Herald in release mode, starts it on a fresh data directory, seeds the page through the
API (each past incident created and resolved), then posts updates to active incidents and
prints the latency percentiles. For reference, the same client times a trivial authenticated
read (GET one page) in the same run; the ratio shows what posting costs beyond HTTP, auth and
JSON. Latencies are measured by the client, over one kept-alive connection, so they include
the client's own overhead.

Usage: python3 bench/post_update.py [--past 10000] [--updates 2000]
"""
import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(sorted_values, p):
    index = min(len(sorted_values) - 1, max(0, round(p / 100 * len(sorted_values)) - 1))
    return sorted_values[index]


class Client:
    def __init__(self, port, secret):
        self.conn = http.client.HTTPConnection("127.0.0.1", port)
        self.headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}

    def call(self, method, path, body=None):
        self.conn.request(method, path, body=None if body is None else json.dumps(body), headers=self.headers)
        response = self.conn.getresponse()
        data = response.read()
        if response.status >= 300:
            sys.exit(f"{method} {path} -> {response.status}: {data[:300]!r}")
        return json.loads(data) if data else None

    def timed(self, method, path, body=None):
        start = time.perf_counter()
        self.call(method, path, body)
        return (time.perf_counter() - start) * 1000


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--past", type=int, default=10_000)
    parser.add_argument("--updates", type=int, default=2_000)
    parser.add_argument("--active", type=int, default=50, help="active incidents the updates rotate over")
    args = parser.parse_args()

    subprocess.run(["cargo", "build", "--release", "-q", "-p", "herald"], cwd=ROOT, check=True)
    herald = os.path.join(ROOT, "target", "release", "herald")
    data = tempfile.mkdtemp(prefix="herald-bench-")
    cli = lambda *a: subprocess.run([herald, "--data-dir", data, *a], check=True, capture_output=True, text=True).stdout
    token = json.loads(cli("token", "create", "--name", "bench", "--role", "admin", "--json"))
    cli("page", "create", "--slug", "bench", "--name", "Bench")
    locations = [
        json.loads(cli("component", "create", "--page", "bench", "--name", f"Service {i}", "--json"))["locations"][0]["id"]
        for i in range(10)
    ]
    port = free_port()
    server = subprocess.Popen([herald, "--data-dir", data, "serve", "--listen", f"127.0.0.1:{port}"],
                              stderr=subprocess.DEVNULL, env={**os.environ, "HERALD__LOG__LEVEL": "warn"})
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        client = Client(port, token["secret"])
        base = "/api/v1/pages/bench/incidents"

        def new_incident(i, severity):
            return {"title": f"Incident {i}", "severity": severity, "details": "Investigating elevated errors.",
                    "affected": [{"location_id": locations[i % len(locations)], "level": "degraded_performance"}]}

        started = time.perf_counter()
        for i in range(args.past):
            incident = client.call("POST", base, new_incident(i, 4))
            client.call("POST", f"{base}/{incident['id']}/updates", {"state": "resolved", "details": "Resolved."})
        print(f"seeded {args.past} past incidents in {time.perf_counter() - started:.1f} s")

        active = [client.call("POST", base, new_incident(i, 2))["id"] for i in range(args.active)]
        states = ["identified", "investigating"]
        posts = sorted(
            client.timed("POST", f"{base}/{active[n % len(active)]}/updates",
                         {"state": states[n % 2], "details": f"Update {n}: still working on it.",
                          "status": {"mode": "all", "levels": "partial_service_disruption"}})
            for n in range(args.updates)
        )
        reads = sorted(client.timed("GET", "/api/v1/pages/bench") for _ in range(args.updates))
    finally:
        server.terminate()
        server.wait()

    p50, p99 = percentile(posts, 50), percentile(posts, 99)
    r50, r99 = percentile(reads, 50), percentile(reads, 99)
    print(f"post update ({args.updates} posts, {args.past} past incidents): p50 {p50:.2f} ms  p99 {p99:.2f} ms  max {posts[-1]:.2f} ms")
    print(f"reference GET page:                          p50 {r50:.2f} ms  p99 {r99:.2f} ms")
    print(f"ratio post/reference: p50 {p50 / r50:.1f}x  p99 {p99 / r99:.1f}x")
    print(f"target p99 < 10 ms: {'met' if p99 < 10 else 'NOT met'}")


if __name__ == "__main__":
    main()
