"""What the benchmarks share: a release build of Herald on a fresh data directory, a kept-alive
API client, seeding through the API, and percentiles."""
import http.client
import json
import os
import re
import shutil
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


def wait_for_port(port, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"nothing listens on port {port} after {seconds} s")


def percentile(sorted_values, p):
    index = min(len(sorted_values) - 1, max(0, round(p / 100 * len(sorted_values)) - 1))
    return sorted_values[index]


class Client:
    def __init__(self, port, secret=None):
        self.conn = http.client.HTTPConnection("127.0.0.1", port)
        self.headers = {"Content-Type": "application/json"}
        if secret:
            self.headers["Authorization"] = f"Bearer {secret}"

    def raw(self, method, path, body=None):
        self.conn.request(method, path, body=None if body is None else json.dumps(body), headers=self.headers)
        response = self.conn.getresponse()
        return response.status, response.read()

    def call(self, method, path, body=None):
        status, data = self.raw(method, path, body)
        if status >= 300:
            sys.exit(f"{method} {path} -> {status}: {data[:300]!r}")
        return json.loads(data) if data else None

    def timed(self, method, path, body=None):
        start = time.perf_counter()
        self.call(method, path, body)
        return (time.perf_counter() - start) * 1000


class Herald:
    """A release build serving a fresh data directory, with an admin token and one page."""

    def __init__(self, slug="bench", components=10, env=None):
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "herald"], cwd=ROOT, check=True)
        self.binary = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "herald")
        self.data = tempfile.mkdtemp(prefix="herald-bench-")
        self.slug = slug
        self.secret = json.loads(self.cli("token", "create", "--name", "bench", "--role", "admin", "--json"))["secret"]
        self.cli("page", "create", "--slug", slug, "--name", "Bench")
        self.locations = [
            json.loads(self.cli("component", "create", "--page", slug, "--name", f"Service {i}",
                                "--group", f"Group {i // 20}", "--json"))["locations"][0]["id"]
            for i in range(components)
        ]
        self.port = free_port()
        self.server = subprocess.Popen(
            [self.binary, "--data-dir", self.data, "serve", "--listen", f"127.0.0.1:{self.port}"],
            stderr=subprocess.DEVNULL,
            # No metrics listener: its fixed port would keep two benchmarks from running at once.
            env={**os.environ, "HERALD__LOG__LEVEL": "warn", "HERALD__METRICS__LISTEN": "", **(env or {})})
        wait_for_port(self.port)
        self.client = Client(self.port, self.secret)
        self.incidents = f"/api/v1/pages/{slug}/incidents"

    def cli(self, *args):
        return subprocess.run([self.binary, "--data-dir", self.data, *args],
                              check=True, capture_output=True, text=True).stdout

    def new_incident(self, i, severity):
        return {"title": f"Incident {i}", "severity": severity, "details": "Investigating elevated errors.",
                "affected": [{"location_id": self.locations[i % len(self.locations)], "level": "degraded_performance"}]}

    def seed_past(self, count):
        """Creates and resolves `count` incidents through the API; returns the seconds it took."""
        started = time.perf_counter()
        for i in range(count):
            incident = self.client.call("POST", self.incidents, self.new_incident(i, 4))
            self.client.call("POST", f"{self.incidents}/{incident['id']}/updates",
                             {"state": "resolved", "details": "Resolved."})
        return time.perf_counter() - started

    def cpu_seconds(self):
        """The server's user and system CPU time so far."""
        with open(f"/proc/{self.server.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def memory_mb(self):
        """The server's resident memory now and at its peak, in MB."""
        with open(f"/proc/{self.server.pid}/status") as f:
            status = dict(line.split(":", 1) for line in f if ":" in line)
        kb = lambda key: int(status[key].split()[0])
        return kb("VmRSS") / 1024, kb("VmHWM") / 1024

    def stop(self, keep=False):
        """Stops the server and removes its data directory (a fan-out run leaves about 100 MB)
        unless asked to keep it."""
        self.server.terminate()
        self.server.wait()
        if not keep:
            shutil.rmtree(self.data, ignore_errors=True)


NGINX_CONF = """
user root;
worker_processes auto;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    types {{ application/json json; text/html html; }}
    default_type application/octet-stream;
    server {{
        listen 127.0.0.1:{port};
        {server}
    }}
}}
"""


def start_nginx(server):
    """Debian's nginx on a free port, with `server` as the body of its one server block."""
    for tool in ("wrk", "nginx"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is needed: apt-get install wrk nginx")
    tmp = tempfile.mkdtemp(prefix="herald-bench-nginx-")
    port = free_port()
    conf = os.path.join(tmp, "nginx.conf")
    with open(conf, "w") as f:
        f.write(NGINX_CONF.format(tmp=tmp, port=port, server=server))
    process = subprocess.Popen(["nginx", "-c", conf, "-p", tmp], stderr=subprocess.DEVNULL)
    wait_for_port(port)
    return process, port


def wrk(url, duration, script=None):
    """wrk -t2 -c64 against `url` (with a Lua `script` when given): requests per second and
    p99 latency in ms."""
    extra = ["-s", script] if script else []
    out = subprocess.run(["wrk", "-t2", "-c64", f"-d{duration}s", "--latency", *extra, url],
                         check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        sys.exit(f"{url}: {errors.group(1)} failed responses\n{out}")
    return rps, float(p99.group(1)) * scale
