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

from harness import Herald, percentile


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--past", type=int, default=10_000)
    parser.add_argument("--updates", type=int, default=2_000)
    parser.add_argument("--active", type=int, default=50, help="active incidents the updates rotate over")
    args = parser.parse_args()

    herald = Herald()
    try:
        print(f"seeded {args.past} past incidents in {herald.seed_past(args.past):.1f} s")
        client, base = herald.client, herald.incidents
        active = [client.call("POST", base, herald.new_incident(i, 2))["id"] for i in range(args.active)]
        states = ["identified", "investigating"]
        posts = sorted(
            client.timed("POST", f"{base}/{active[n % len(active)]}/updates",
                         {"state": states[n % 2], "details": f"Update {n}: still working on it.",
                          "status": {"mode": "all", "levels": "partial_service_disruption"}})
            for n in range(args.updates)
        )
        reads = sorted(client.timed("GET", f"/api/v1/pages/{herald.slug}") for _ in range(args.updates))
    finally:
        herald.stop()

    p50, p99 = percentile(posts, 50), percentile(posts, 99)
    r50, r99 = percentile(reads, 50), percentile(reads, 99)
    print(f"post update ({args.updates} posts, {args.past} past incidents): p50 {p50:.2f} ms  p99 {p99:.2f} ms  max {posts[-1]:.2f} ms")
    print(f"reference GET page:                          p50 {r50:.2f} ms  p99 {r99:.2f} ms")
    print(f"ratio post/reference: p50 {p50 / r50:.1f}x  p99 {p99 / r99:.1f}x")
    print(f"target p99 < 10 ms: {'met' if p99 < 10 else 'NOT met'}")


if __name__ == "__main__":
    main()
