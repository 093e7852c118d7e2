"""Runs the real statuspage-prometheus-exporter (PyPI) against a Herald page's Statuspage API
and prints the metrics it exported, as JSON, for the Rust test to check.

Usage: statuspage_exporter.py SUMMARY_URL

The exporter runs as its own process, the way operators run it from cron: RUN_MODE=once
fetches every service in services.json once and writes a Prometheus textfile, which is parsed
here with prometheus_client's own parser. Exits non-zero, with the exporter's log, when the
exporter could not fetch or read the summary.
"""

import json
import os
import subprocess
import sys
import tempfile

from prometheus_client.parser import text_string_to_metric_families

SERVICE = "Herald"


def main() -> None:
    summary_url = sys.argv[1]
    with tempfile.TemporaryDirectory() as work:
        services = os.path.join(work, "services.json")
        with open(services, "w") as f:
            json.dump({"herald": {"url": summary_url, "name": SERVICE}}, f)
        textfile = os.path.join(work, "statuspage.prom")
        env = dict(
            os.environ,
            RUN_MODE="once",
            SERVICES_JSON_PATH=services,
            METRICS_TEXTFILE_PATH=textfile,
            SLACK_WEBHOOK_URL="",
        )
        # The exporter keeps its cache and history under the working directory.
        run = subprocess.run(
            [sys.executable, "-m", "statuspage_prometheus_exporter.status_monitoring"],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        log = run.stdout + run.stderr
        if run.returncode != 0 or not os.path.exists(textfile):
            sys.exit(f"the exporter failed ({run.returncode}):\n{log}")
        with open(textfile) as f:
            text = f.read()

    metrics = {"components": {}, "incidents": [], "maintenance": []}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = sample.labels
            if labels.get("service_name") != SERVICE:
                continue
            if sample.name == "statuspage_service_status":
                metrics["service_status"] = sample.value
            elif sample.name == "statuspage_probe_check":
                metrics["probe_check"] = sample.value
            elif sample.name == "statuspage_component_status":
                metrics["components"][labels["component_name"]] = sample.value
            elif sample.name == "statuspage_incident_info":
                metrics["incidents"].append({**labels, "value": sample.value})
            elif sample.name == "statuspage_maintenance_info":
                metrics["maintenance"].append({**labels, "value": sample.value})

    # A failed fetch or parse leaves the probe at 0 and no status: that is the script failing,
    # not Herald's status, so say so here with the exporter's own words.
    if metrics.get("probe_check") != 1 or "service_status" not in metrics:
        sys.exit(f"the exporter did not read {summary_url}:\n{log}\n{text}")
    print(json.dumps(metrics, sort_keys=True))


if __name__ == "__main__":
    main()
