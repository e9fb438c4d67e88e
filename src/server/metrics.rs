//! Prometheus metrics, kept in the process and rendered as text at /metrics: request latency
//! by route, ingestion and embedding throughput, and (read at scrape time) the job queue.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use app::IngestionStats;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use super::AppState;

const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), Histogram>>,
}

impl Metrics {
    fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let Ok(mut requests) = self.requests.lock() else {
            return;
        };
        let histogram = requests
            .entry((method.to_string(), route.to_string(), status))
            .or_default();
        for (bucket, bound) in histogram.counts.iter_mut().zip(BUCKETS) {
            if seconds <= bound {
                *bucket += 1;
            }
        }
        histogram.count += 1;
        histogram.sum += seconds;
    }

    pub fn render(&self, ingestion: &IngestionStats, queue_depth: i64) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP switchboard_http_request_duration_seconds Time to answer an API request.\n# TYPE switchboard_http_request_duration_seconds histogram"
        );
        if let Ok(requests) = self.requests.lock() {
            for ((method, route, status), histogram) in requests.iter() {
                let labels = format!("method=\"{method}\",route=\"{route}\",status=\"{status}\"");
                for (count, bound) in histogram.counts.iter().zip(BUCKETS) {
                    let _ = writeln!(
                        out,
                        "switchboard_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {count}"
                    );
                }
                let _ = writeln!(
                    out,
                    "switchboard_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}\nswitchboard_http_request_duration_seconds_sum{{{labels}}} {}\nswitchboard_http_request_duration_seconds_count{{{labels}}} {}",
                    histogram.count, histogram.sum, histogram.count
                );
            }
        }
        let counters = [
            (
                "switchboard_chunks_embedded_total",
                "Chunks embedded and indexed.",
                ingestion.chunks_embedded() as f64,
            ),
            (
                "switchboard_embedding_seconds_total",
                "Time spent embedding and indexing; chunks_embedded_total over this is the throughput.",
                ingestion.embedding_seconds(),
            ),
            (
                "switchboard_sources_ready_total",
                "Sources ingested.",
                ingestion.sources_ready() as f64,
            ),
            (
                "switchboard_sources_failed_total",
                "Sources whose ingestion failed for good.",
                ingestion.sources_failed() as f64,
            ),
            (
                "switchboard_orphaned_sources_swept_total",
                "Sources whose points outlived their records, removed from the index by the sweep at start-up.",
                ingestion.orphans_swept() as f64,
            ),
        ];
        for (name, help, value) in counters {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP switchboard_ingestion_queue_depth Background jobs due or running (not those scheduled for later).\n# TYPE switchboard_ingestion_queue_depth gauge\nswitchboard_ingestion_queue_depth {queue_depth}"
        );
        out
    }
}

/// Times every request under the route it matched (not its raw path, which holds ids).
pub async fn track(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |path| path.as_str().to_string());
    let response = next.run(request).await;
    state.metrics.observe(
        &method,
        &route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}
