"""Drives Herald's Status.io-compatible API with Status.io's own Python client
(statusio-python, PyPI) and prints what each read answered, as JSON, for the Rust test to check.

Usage: statusio_client.py HERALD_URL API_ID API_KEY STATUSPAGE_ID COMPONENT-CONTAINER

It declares an incident and moves it on, schedules a maintenance window and starts it, then
reads both back with the client's calls by id: IncidentListByID, IncidentSingle,
IncidentMessage, MaintenanceListByID, MaintenanceSingle and MaintenanceMessage.
"""

import json
import sys

import statusio


def result(answer):
    """The result of a successful call; exits with the answer otherwise."""
    if answer.get("status", {}).get("error") != "no":
        sys.exit(f"the call failed: {json.dumps(answer)}")
    return answer["result"]


def main() -> None:
    url, api_id, api_key, page, infrastructure = sys.argv[1:6]
    api = statusio.Api(api_id=api_id, api_key=api_key, base_url=url)

    incident = result(api.IncidentCreate(
        page, [infrastructure], "Checkout errors", "We are investigating.", 400, 100,
        notify_email="1"))
    result(api.IncidentUpdate(page, incident, "The cause is found.", 300, 200))
    single = result(api.IncidentSingle(page, incident))
    message = result(api.IncidentMessage(page, single["messages"][-1]["_id"]))
    incidents = result(api.IncidentListByID(page))

    window = result(api.MaintenanceSchedule(
        page, [infrastructure], "Database upgrade", "Writes pause for a minute.",
        "06/10/2025", "14:30", "06/10/2025", "16:00", maintenance_notify_72_hr="1"))
    upcoming = result(api.MaintenanceListByID(page))
    result(api.MaintenanceStart(page, window, "The upgrade has begun."))
    maintenance = result(api.MaintenanceSingle(page, window))
    maintenance_message = result(api.MaintenanceMessage(page, maintenance["messages"][-1]["_id"]))
    running = result(api.MaintenanceListByID(page))

    print(json.dumps({
        "incident": incident,
        "single": single,
        "message": message,
        "incidents": incidents,
        "window": window,
        "upcoming": upcoming,
        "maintenance": maintenance,
        "maintenance_message": maintenance_message,
        "running": running,
    }))


if __name__ == "__main__":
    main()
