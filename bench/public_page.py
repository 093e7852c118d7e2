#!/usr/bin/env python3
"""The public page under a refresh storm, against nginx serving the same bytes from disk, and
how soon a published update is visible.

Builds Herald in release mode and seeds one page with 200 components and 10,000 past incidents
through the API. Exports the page with `herald export` and starts nginx (Debian's) on the
export directory. Then, in one run, wrk (`-t2 -c64 -d10s`) loads nginx and Herald with the same
two files, `api/v2/summary.json` and the home page, and the script prints requests per second,
p99 latency and Herald's ratio to nginx. A second nginx serves the same files with `sendfile
off`, writing from its own buffers as Herald writes from memory: Herald's ratio to it says how
much of the gap is nginx's zero-copy send rather than Herald's own work. Last, it posts updates through the admin API and times
how long after each call returns the next GET of the home page shows it, then Herald's CPU per
published update and its resident memory.

Usage: python3 bench/public_page.py [--components 200] [--past 10000] [--duration 10]
Needs: wrk and nginx (apt-get install wrk nginx).
"""
import argparse
import os
import sys
import tempfile
import time

from harness import Client, Herald, percentile, start_nginx, wrk

def publish_to_visible(herald, count, pause):
    """Milliseconds from an update's API call returning to the home page showing it. The
    reader asks every millisecond; updates are `pause` seconds apart, as a lead's are (far
    more than) in practice, so each is measured on its own rather than queued behind the last."""
    incident = herald.client.call("POST", herald.incidents, herald.new_incident(0, 2))
    reader = Client(herald.port)
    delays = []
    for n in range(count):
        marker = f"Visible marker {n} now"
        herald.client.call("POST", f"{herald.incidents}/{incident['id']}/updates",
                           {"state": "identified", "details": marker})
        returned = time.perf_counter()
        while marker.encode() not in reader.raw("GET", "/")[1]:
            if time.perf_counter() - returned > 5:
                sys.exit(f"update {n} was not visible after 5 s")
            time.sleep(0.001)
        delays.append((time.perf_counter() - returned) * 1000)
        time.sleep(pause)
    return sorted(delays)


def cpu_per_write(herald, count, pause):
    """Herald's CPU milliseconds per published update: the CPU an update costs (the request,
    the write and the re-render of the page, with its compression) beyond what Herald spends
    idle over the same time, which is measured first."""
    started, idle_cpu = time.perf_counter(), herald.cpu_seconds()
    time.sleep(count * pause)
    idle_rate = (herald.cpu_seconds() - idle_cpu) / (time.perf_counter() - started)
    incident = herald.client.call("POST", herald.incidents, herald.new_incident(1, 2))
    started, cpu = time.perf_counter(), herald.cpu_seconds()
    for n in range(count):
        herald.client.call("POST", f"{herald.incidents}/{incident['id']}/updates",
                           {"state": "identified", "details": f"CPU marker {n}"})
        time.sleep(pause)
    spent = herald.cpu_seconds() - cpu - idle_rate * (time.perf_counter() - started)
    return spent * 1000 / count


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--components", type=int, default=200)
    parser.add_argument("--past", type=int, default=10_000)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--publishes", type=int, default=300)
    parser.add_argument("--pause", type=float, default=0.2, help="seconds between published updates")
    args = parser.parse_args()

    herald = Herald(components=args.components)
    nginx = copying = None
    try:
        print(f"seeded {args.components} components and {args.past} past incidents in {herald.seed_past(args.past):.1f} s")
        export = tempfile.mkdtemp(prefix="herald-bench-export-")
        herald.cli("export", "--page", herald.slug, "--out", export)
        nginx, nginx_port = start_nginx(f"root {export}; index index.html;")
        copying, copying_port = start_nginx(f"root {export}; index index.html; sendfile off;")
        files = ["api/v2/summary.json", ""]
        sizes = {f or "index.html": os.path.getsize(os.path.join(export, f or "index.html")) for f in files}
        print("files: " + ", ".join(f"{name} {size} bytes" for name, size in sizes.items()))

        results = {}
        for name, port in (("nginx", nginx_port), ("copying", copying_port), ("herald", herald.port)):
            for f in files:
                results[name, f] = wrk(f"http://127.0.0.1:{port}/{f}", args.duration)
        delays = publish_to_visible(herald, args.publishes, args.pause)
        write_cpu = cpu_per_write(herald, 200, 0.05)
        rss, peak = herald.memory_mb()
    finally:
        herald.stop()
        for server in (nginx, copying):
            if server:
                server.terminate()
                server.wait()

    print(f"\n{'file':<22}{'nginx req/s':>14}{'herald req/s':>14}{'ratio':>8}{'nginx p99':>12}{'herald p99':>12}"
          f"{'no sendfile':>14}{'ratio':>8}")
    for f in files:
        (n_rps, n_p99), (h_rps, h_p99) = results["nginx", f], results["herald", f]
        c_rps = results["copying", f][0]
        print(f"{f or 'home page (/)':<22}{n_rps:>14,.0f}{h_rps:>14,.0f}{h_rps / n_rps:>7.2f}x{n_p99:>10.2f}ms{h_p99:>10.2f}ms"
              f"{c_rps:>14,.0f}{h_rps / c_rps:>7.2f}x")
    p50, p99 = percentile(delays, 50), percentile(delays, 99)
    print(f"\npublish-to-visible over {len(delays)} updates: p50 {p50:.1f} ms  p99 {p99:.1f} ms  max {delays[-1]:.1f} ms")
    print(f"Herald's CPU per published update: {write_cpu:.1f} ms; resident memory {rss:.0f} MB (peak {peak:.0f} MB)")
    ratios_met = all(results["herald", f][0] >= 0.9 * results["nginx", f][0] for f in files)
    p99_met = all(results["herald", f][1] < 5 for f in files)
    print(f"targets: throughput >= 0.9x nginx {'met' if ratios_met else 'NOT met'}; "
          f"p99 < 5 ms {'met' if p99_met else 'NOT met'}; publish-to-visible p99 < 50 ms {'met' if p99 < 50 else 'NOT met'}; "
          f"CPU per write < 10 ms {'met' if write_cpu < 10 else 'NOT met'}; resident < 200 MB {'met' if rss < 200 else 'NOT met'}")


if __name__ == "__main__":
    main()
