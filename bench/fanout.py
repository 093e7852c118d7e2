"""One update fanned out to many webhook subscribers, against the receiver's own capacity.

Starts nginx (Debian's) answering 204 to every POST and measures its capacity with wrk posting
a webhook-sized JSON body (-t2 -c64). Then starts a release build of Herald (allowed to deliver
to loopback), adds the subscribers through the admin API (one page with a single subscriber,
one with --subscribers of them, all webhooks to that nginx), and measures, in the same run:

- publish latency: the admin API call that posts an update, on the page with one subscriber
  and on the page with all of them; each post waits for the previous fan-out to finish, so the
  call is measured on its own;
- fan-out throughput: from the call returning to the delivery report showing every
  subscriber delivered; deliveries per second, and the ratio to nginx's capacity measured by
  short wrk runs just before and just after that fan-out (the machine's speed drifts over a
  run, so each fan-out is compared with the mean capacity of its own moment);
- memory: Herald's resident set sampled during the fan-out, and its peak (VmHWM).

Needs: wrk and nginx (apt-get install wrk nginx). Usage: python3 bench/fanout.py
"""
import argparse
import json
import os
import sys
import tempfile
import threading
import time

from harness import Client, Herald, percentile, start_nginx, wrk

BODY = json.dumps({
    "type": "incident.updated",
    "timestamp": "2026-11-21T10:00:00Z",
    "data": {"page": {"id": "0" * 24, "name": "Bench", "url": "http://localhost/p/bench/"},
             "incident": {"id": "1" * 24, "title": "Elevated API errors", "state": "identified",
                          "details": "x" * 900}},
})


def add_subscribers(herald, slug, count, url, threads=4):
    """Adds `count` webhook subscribers to `slug` through the API, `threads` connections at once."""
    def work(k):
        client = Client(herald.port, herald.secret)
        for i in range(k, count, threads):
            client.call("POST", f"/api/v1/pages/{slug}/subscribers", {"webhook": f"{url}/hook/{i}"})
    workers = [threading.Thread(target=work, args=(k,)) for k in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()


def memory_kb(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def delivered(herald, slug, incident):
    """The webhook channel of the incident's latest broadcast, from the delivery report."""
    reports = herald.client.call("GET", f"/api/v1/pages/{slug}/incidents/{incident}/deliveries")
    return next(c for c in reports[-1]["channels"] if c["channel"] == "webhook")


def post_and_wait(herald, slug, incident, expected, samples=None):
    """Posts an update; returns the call's milliseconds and the seconds until all `expected`
    deliveries are reported delivered. Samples Herald's memory meanwhile when asked."""
    path = f"/api/v1/pages/{slug}/incidents/{incident}/updates"
    start = time.perf_counter()
    herald.client.call("POST", path, {"state": "identified", "details": "Still working on it."})
    returned = time.perf_counter()
    while True:
        channel = delivered(herald, slug, incident)
        if channel["failed"]:
            sys.exit(f"deliveries failed: {channel}")
        if channel["delivered"] >= expected:
            break
        if samples is not None:
            samples.append(memory_kb(herald.server.pid, "VmRSS"))
        time.sleep(0.05)
    return (returned - start) * 1000, time.perf_counter() - returned


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--posts", type=int, default=20, help="update posts timed per page")
    parser.add_argument("--duration", type=int, default=10, help="seconds of the first wrk run")
    parser.add_argument("--pair", type=int, default=3, help="seconds of each wrk run between fan-outs")
    parser.add_argument("--concurrency", type=int, default=256, help="Herald's [delivery] concurrency")
    args = parser.parse_args()

    nginx, port = start_nginx("location / { return 204; }")
    herald = None
    try:
        script = os.path.join(tempfile.mkdtemp(prefix="herald-bench-wrk-"), "post.lua")
        with open(script, "w") as f:
            f.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
                    f"wrk.body = {json.dumps(BODY)}\n")
        capacity, _ = wrk(f"http://127.0.0.1:{port}/hook/0", args.duration, script)
        capacities = []
        print(f"receiver (nginx, 204) capacity, wrk -t2 -c64 POST {len(BODY)} bytes: {capacity:,.0f} req/s")

        env = {"HERALD__DELIVERY__ALLOW_PRIVATE_TARGETS": "true",
               "HERALD__DELIVERY__CONCURRENCY": str(args.concurrency)}
        herald = Herald(components=1, env=env)
        herald.cli("page", "create", "--slug", "single", "--name", "Single")
        single = json.loads(herald.cli("component", "create", "--page", "single", "--name", "API",
                                       "--json"))["locations"][0]["id"]
        url = f"http://127.0.0.1:{port}"
        add_subscribers(herald, "single", 1, url)
        started = time.perf_counter()
        add_subscribers(herald, herald.slug, args.subscribers, url)
        print(f"added {args.subscribers:,} subscribers through the API in {time.perf_counter() - started:.1f} s")

        def incident(slug, location):
            body = {"title": "Bench", "severity": 2, "details": "Investigating.",
                    "affected": [{"location_id": location, "level": "degraded_performance"}]}
            created = herald.client.call("POST", f"/api/v1/pages/{slug}/incidents", body)
            return created["id"]

        small = incident("single", single)
        large = incident(herald.slug, herald.locations[0])
        added_rss = memory_kb(herald.server.pid, "VmHWM")
        # The creation's own fan-outs finish before anything is timed; the first one opens the
        # connections, so its memory is sampled too.
        first_rss = []
        while delivered(herald, "single", small)["delivered"] < 1 or \
                delivered(herald, herald.slug, large)["delivered"] < args.subscribers:
            first_rss.append(memory_kb(herald.server.pid, "VmRSS"))
            time.sleep(0.05)

        rss = []
        one, many = [], []
        # Alternating, so that whatever else the machine does falls on both alike.
        def capacity_now():
            return wrk(f"http://127.0.0.1:{port}/hook/0", args.pair, script)[0]
        after = capacity_now()
        for _ in range(args.posts):
            before = after
            time.sleep(0.5)
            one.append(post_and_wait(herald, "single", small, 1))
            many.append(post_and_wait(herald, herald.slug, large, args.subscribers, rss))
            time.sleep(0.5)
            after = capacity_now()
            # The capacity of the fan-out's moment: the mean of the runs just before and after.
            capacities.append((before + after) / 2)
            rate = args.subscribers / many[-1][1]
            print(f"  fan-out {len(many)}: {rate:,.0f} deliveries/s against {before:,.0f} req/s before"
                  f" and {after:,.0f} after: {rate / capacities[-1]:.2f}", flush=True)
        for name, runs in (("1 subscriber", one), (f"{args.subscribers:,} subscribers", many)):
            calls = sorted(ms for ms, _ in runs)
            print(f"publish call, {name}: p50 {percentile(calls, 50):.2f} ms, p99 {percentile(calls, 99):.2f} ms"
                  f" ({len(calls)} posts)")
        rates = [args.subscribers / secs for _, secs in many]
        ratios = sorted(rate / cap for rate, cap in zip(rates, capacities))
        rates.sort()
        capacities.sort()
        median = percentile(rates, 50)
        print(f"fan-out of one update to {args.subscribers:,} webhooks: median {median:,.0f} deliveries/s"
              f" (min {rates[0]:,.0f}, max {rates[-1]:,.0f})")
        print(f"receiver capacity around each fan-out: median {percentile(capacities, 50):,.0f} req/s"
              f" (min {capacities[0]:,.0f}, max {capacities[-1]:,.0f})")
        print(f"each fan-out against the capacity of its moment: median {percentile(ratios, 50):.2f}"
              f" (min {ratios[0]:.2f}, max {ratios[-1]:.2f}); against the first wrk run: {median / capacity:.2f}")
        print(f"Herald memory: peak while adding the subscribers (VmHWM) {added_rss / 1024:.0f} MB;"
              f" RSS up to {max(first_rss, default=0) / 1024:.0f} MB during the first fan-out"
              f" and {max(rss) / 1024:.0f} MB during the timed ones;"
              f" peak over the whole run (VmHWM) {memory_kb(herald.server.pid, 'VmHWM') / 1024:.0f} MB")
    finally:
        if herald:
            herald.stop()
        nginx.terminate()
        nginx.wait()


if __name__ == "__main__":
    main()
