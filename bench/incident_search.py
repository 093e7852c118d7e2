#!/usr/bin/env python3
"""Finding a past incident on the console's Incidents tab among 10,000.

Builds Herald in release mode, seeds one page (10 components) with 10,000 past incidents
through the admin API, each created and resolved with words drawn from a small vocabulary,
one of them alone carrying a rare word. Signs in to the console as a responder and times the
tab over one kept-alive connection: the newest page of results, a common word (many matches,
the first page found early), a rare word and a word found nowhere (both read every title and
update), and filters together (state, severity, component, a week of days). The reference is
the admin API's plain list of the newest 25 incidents through a client of the same kind: the
same reads of 25 incidents, without a search or a page to render.

Usage: python3 bench/incident_search.py [--past 10000] [--rounds 200]
"""
import argparse
import http.client
import random
import re
import time
import urllib.parse

from harness import Client, Herald, percentile

PASSWORD = "bench password, long enough"
WORDS = ["database", "latency", "queue", "login", "replica", "cache", "dns", "storage", "api",
         "timeout", "errors", "deploy", "network", "billing", "search"]
RARE = "zeppelin"


class Console:
    """A signed-in console session over one kept-alive connection."""

    def __init__(self, port, email):
        self.conn = http.client.HTTPConnection("127.0.0.1", port)
        status, cookies, body = self.request("GET", "/console/sign-in")
        csrf = re.search(r'name="_csrf" value="([^"]+)"', body).group(1)
        form = urllib.parse.urlencode({"_csrf": csrf, "email": email, "password": PASSWORD})
        status, cookies, _ = self.request("POST", "/console/sign-in", form, {
            "Cookie": cookies["herald_sign_in"], "Content-Type": "application/x-www-form-urlencoded"})
        if status != 303 or "herald_session" not in cookies:
            raise SystemExit(f"sign-in answered {status}")
        self.cookie = cookies["herald_session"]

    def request(self, method, path, body=None, headers=None):
        """The status, the cookies set (name → `name=value`) and the body."""
        self.conn.request(method, path, body=body, headers=headers or {})
        response = self.conn.getresponse()
        data = response.read().decode()
        cookies = {}
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                pair = value.split(";")[0]
                cookies[pair.split("=")[0]] = pair
        return response.status, cookies, data

    def timed(self, path):
        start = time.perf_counter()
        status, _, body = self.request("GET", path, headers={"Cookie": self.cookie})
        elapsed = (time.perf_counter() - start) * 1000
        if status != 200:
            raise SystemExit(f"GET {path} answered {status}: {body[:300]}")
        return elapsed, body


def seed(herald, count):
    """Creates and resolves `count` incidents; returns the seconds it took."""
    rng = random.Random(20261203)
    started = time.perf_counter()
    for i in range(count):
        title = f"{rng.choice(WORDS).capitalize()} {rng.choice(WORDS)} {i}"
        words = " ".join(rng.choice(WORDS) for _ in range(12))
        if i == count // 3:
            words += f" the {RARE} feed stalled"
        body = herald.new_incident(i, rng.randint(1, 4))
        body["title"] = title
        body["details"] = f"Investigating {words}."
        incident = herald.client.call("POST", herald.incidents, body)
        herald.client.call("POST", f"{herald.incidents}/{incident['id']}/updates",
                           {"state": "resolved", "details": f"Resolved: {rng.choice(WORDS)} is back to normal."})
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--past", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()

    herald = Herald(components=10)
    try:
        print(f"seeded {args.past} past incidents in {seed(herald, args.past):.1f} s")
        herald.client.call("POST", "/api/v1/users", {
            "email": "lead@example.com", "name": "Lead", "role": "responder", "password": PASSWORD})
        console = Console(herald.port, "lead@example.com")
        component = herald.client.call("GET", f"/api/v1/pages/{herald.slug}/components")[3]["id"]
        tab = f"/console/pages/{herald.slug}/incidents"
        today = time.strftime("%Y-%m-%d", time.gmtime())
        week_ago = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 7 * 86400))
        cases = [
            ("newest page, no filter", tab, None),
            ("a common word", f"{tab}?q=database", None),
            ("a rare word (one match)", f"{tab}?q={RARE}", 1),
            ("a word found nowhere", f"{tab}?q=nowhere", 0),
            ("state, severity, component, a week",
             f"{tab}?state=resolved&severity=2&component={component}&from={week_ago}&to={today}", None),
            ("two words and a severity", f"{tab}?q=replica+timeout&severity=1", None),
        ]
        api = Client(herald.port, herald.secret)
        reference = f"/api/v1/pages/{herald.slug}/incidents?limit=25"
        results = {}
        for _ in range(args.rounds):
            for name, path, expected in cases:
                elapsed, body = console.timed(path)
                if expected is not None:
                    found = body.count('<li>\n<p><a href="')
                    if found != expected:
                        raise SystemExit(f"{name}: {found} results, expected {expected}")
                results.setdefault(name, []).append(elapsed)
            results.setdefault("reference", []).append(api.timed("GET", reference))
    finally:
        herald.stop()

    ref = sorted(results.pop("reference"))
    ref_p50 = percentile(ref, 50)
    print(f"\n{'search of ' + str(args.past) + ' incidents':<40}{'p50':>10}{'p99':>10}{'÷ reference p50':>18}")
    for name, times in results.items():
        times.sort()
        p50, p99 = percentile(times, 50), percentile(times, 99)
        print(f"{name:<40}{p50:>8.2f}ms{p99:>8.2f}ms{p50 / ref_p50:>17.1f}x")
    print(f"{'reference: API list of the newest 25':<40}{ref_p50:>8.2f}ms{percentile(ref, 99):>8.2f}ms")


if __name__ == "__main__":
    main()
