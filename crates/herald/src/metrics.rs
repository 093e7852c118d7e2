//! Prometheus metrics on their own listener (`[metrics] listen`), in the text exposition
//! format, written by hand: a few families, computed from the store at each scrape.
use std::fmt::Write;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use herald_core::adherence::Adherence;
use herald_store::{Store, StoreError};
use herald_web::Clock;
use jiff::Timestamp;
use tokio::net::TcpListener;

/// Upper bounds of the lateness histogram's buckets, in seconds: 1, 5, 10, 30 and 60 minutes.
const LATENESS_BUCKETS: [i64; 5] = [60, 300, 600, 1800, 3600];

#[derive(Clone)]
struct Metrics {
    store: Arc<dyn Store>,
    clock: Clock,
}

/// Serves `GET /metrics` on `listener` until the task is dropped.
pub async fn serve(listener: TcpListener, store: Arc<dyn Store>, clock: Clock) {
    let app = Router::new()
        .route("/metrics", get(scrape))
        .with_state(Metrics { store, clock });
    if let Err(err) = axum::serve(listener, app).await {
        tracing::error!(%err, "the metrics listener stopped");
    }
}

async fn scrape(State(m): State<Metrics>) -> Response {
    match render(&*m.store, (m.clock)()).await {
        Ok(text) => (
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(err) => {
            tracing::warn!(%err, "could not read the metrics");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "the database is unavailable\n",
            )
                .into_response()
        }
    }
}

/// Every family, each with a sample per page (labelled by slug).
pub async fn render(store: &dyn Store, now: Timestamp) -> Result<String, StoreError> {
    let mut pages = Vec::new();
    for page in store.pages().await? {
        let adherence = store.page_adherence(&page.id, now).await?;
        let overdue = adherence
            .subjects
            .iter()
            .filter(|s| s.adherence.overdue > 0)
            .count();
        pages.push((page.slug, adherence.total, overdue));
    }
    let mut out = String::new();
    type Sample = fn(&Adherence, usize) -> String;
    let families: [(&str, &str, &str, Sample); 4] = [
        (
            "herald_cadence_updates_due_total",
            "counter",
            "Public updates that came due: deadlines met, and open ones already past.",
            |a, _| a.due.to_string(),
        ),
        (
            "herald_cadence_updates_on_time_total",
            "counter",
            "Public updates posted at or before their deadline.",
            |a, _| a.on_time.to_string(),
        ),
        (
            "herald_cadence_adherence_ratio",
            "gauge",
            "Updates on time divided by updates due; 1 while none has come due.",
            |a, _| a.ratio.unwrap_or(1.0).to_string(),
        ),
        (
            "herald_cadence_overdue_subjects",
            "gauge",
            "Incidents and maintenance windows whose next public update is overdue now.",
            |_, n| n.to_string(),
        ),
    ];
    for (name, kind, help, sample) in families {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for (slug, a, overdue) in &pages {
            let _ = writeln!(
                out,
                "{name}{{page=\"{}\"}} {}",
                label(slug),
                sample(a, *overdue)
            );
        }
    }
    let name = "herald_cadence_lateness_seconds";
    let _ = writeln!(
        out,
        "# HELP {name} How late late public updates were (open ones: how late they are now).\n# TYPE {name} histogram"
    );
    for (slug, a, _) in &pages {
        let page = label(slug);
        for bound in LATENESS_BUCKETS {
            let n = a.late.iter().filter(|l| l.lateness_secs <= bound).count();
            let _ = writeln!(out, "{name}_bucket{{page=\"{page}\",le=\"{bound}\"}} {n}");
        }
        let sum: i64 = a.late.iter().map(|l| l.lateness_secs).sum();
        let count = a.late.len();
        let _ = writeln!(out, "{name}_bucket{{page=\"{page}\",le=\"+Inf\"}} {count}");
        let _ = writeln!(
            out,
            "{name}_sum{{page=\"{page}\"}} {sum}\n{name}_count{{page=\"{page}\"}} {count}"
        );
    }
    Ok(out)
}

/// A label value as the exposition format writes it.
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
