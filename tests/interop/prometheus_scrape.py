"""Scrapes Herald's /metrics with the official Prometheus client's parser and prints every
sample as JSON: [{"name", "labels", "value"}]. Usage: prometheus_scrape.py URL"""
import json
import sys
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

with urllib.request.urlopen(sys.argv[1], timeout=10) as response:
    text = response.read().decode("utf-8")

samples = []
for family in text_string_to_metric_families(text):
    for sample in family.samples:
        samples.append({"family": family.name, "type": family.type, "name": sample.name,
                        "labels": sample.labels, "value": sample.value})
print(json.dumps(samples))
