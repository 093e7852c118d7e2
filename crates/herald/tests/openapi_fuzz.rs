//! The admin API against its own OpenAPI document, fuzzed by Schemathesis: no server error, no
//! status or body the document does not describe, and nothing the document refuses accepted.
//! The seed and the number of cases per operation are fixed, so a run repeats.
mod common;

use std::path::Path;

use common::Server;
use serde_json::json;

/// Cases per operation and phase; enough to reach each field's bounds, few enough to run in
/// well under a minute.
const EXAMPLES: &str = "12";
const SEED: &str = "20261203";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_nothing_the_document_does_not_describe() {
    let s = Server::start().await;
    let f = s.fixture("acme").await;
    let incident = s
        .post(
            &f.path("/incidents"),
            &s.responder,
            json!({"title": "API errors", "severity": 2, "details": "Investigating.",
                   "affected": [{"location_id": f.us_east, "level": "partial_service_disruption"}]}),
        )
        .await
        .ok(201);
    let window = s
        .post(
            &f.path("/maintenance"),
            &s.responder,
            json!({"title": "Upgrade", "details": "Writes pause.", "affected": [f.apac],
                   "starts_at": "2030-01-01T10:00:00Z", "ends_at": "2030-01-01T11:00:00Z"}),
        )
        .await
        .ok(201);
    let subscriber = s
        .post(
            &f.path("/subscribers"),
            &s.responder,
            json!({"email": "ops@example.com"}),
        )
        .await
        .ok(201);
    let user = s
        .post(
            "/api/v1/users",
            &s.admin,
            json!({"email": "lead@example.com", "name": "Lead", "role": "responder"}),
        )
        .await
        .ok(201);
    let id = |v: &serde_json::Value| v["id"].as_str().unwrap().to_string();

    let interop = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/interop");
    let mut run = tokio::process::Command::new("schemathesis");
    run.arg("--config-file")
        .arg(interop.join("schemathesis.toml"))
        .arg("run")
        .arg(s.url("/api/v1/openapi.json"))
        .args([
            "--header",
            &format!("Authorization: Bearer {}", s.admin.secret),
        ])
        // The document cannot say everything the rules refuse (a slug already taken, a time
        // zone that does not exist, a location of another page), so a schema-valid request may
        // rightly be refused: every other check runs.
        .args([
            "--checks",
            "all",
            "--exclude-checks",
            "positive_data_acceptance",
        ])
        .args(["--seed", SEED, "--max-examples", EXAMPLES])
        .args(["--phases", "examples,coverage,fuzzing", "--workers", "2"])
        .args(["--no-color", "--output-truncate", "true"])
        .env("HERALD_PAGE", &f.page_id)
        .env("HERALD_COMPONENT", &f.api)
        .env("HERALD_LOCATION", &f.us_east)
        .env("HERALD_INCIDENT", id(&incident))
        .env("HERALD_MAINTENANCE", id(&window))
        .env("HERALD_SUBSCRIBER", id(&subscriber))
        .env("HERALD_USER", id(&user))
        .kill_on_drop(true);
    let out = run
        .output()
        .await
        .expect("schemathesis runs; tests/run installs it from tests/interop/requirements.txt");
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "schemathesis found problems:\n{report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(report.contains("Tested: "), "{report}");
}
