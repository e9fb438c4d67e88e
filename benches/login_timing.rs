//! Whether the time of a failed sign-in tells if an email has an account: `POST /v1/sessions`
//! with a wrong password for an account that exists, and with an email that has none,
//! alternating, through the running service. The two medians should be the same.
//!
//! `cargo bench --bench login_timing`. The sign-in limits are lifted for the run (they would
//! answer 429 after five failures, which is what a client sees, but not what is timed here).

#[allow(dead_code)] // the benchmark uses part of the tests' harness
#[path = "../tests/common/service.rs"]
mod service;

use std::time::Instant;

use serde_json::json;
use service::{Api, TestServer, create_workspace};

const ATTEMPTS: usize = 200;
const UNLIMITED: &[(&str, &str)] = &[
    ("SWITCHBOARD_LOGIN__FAILURES_PER_ACCOUNT", "1000000"),
    ("SWITCHBOARD_LOGIN__FAILURES_PER_ADDRESS", "1000000"),
    ("SWITCHBOARD_RATE_LIMIT__PER_SECOND", "100000"),
    ("SWITCHBOARD_RATE_LIMIT__BURST", "100000"),
];

fn percentile(sorted: &[f64], fraction: f64) -> f64 {
    sorted[((sorted.len() as f64 * fraction) as usize).min(sorted.len() - 1)]
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let data = dir.path().join("data");
        let (_, key) = create_workspace(&data, UNLIMITED, "timing", 10);
        let server = TestServer::start(&data, UNLIMITED);
        let api = Api::new(&server, &key);
        let (status, body) = api
            .post(
                "/v1/users",
                json!({ "email": "known@acme.example", "password": "correct horse battery", "role": "staff" }),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        let client = reqwest::Client::new();
        let url = format!("{}/v1/sessions", server.url);
        let mut timings: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
        for attempt in 0..ATTEMPTS * 2 {
            let unknown = attempt % 2;
            // One email each, so both carry the same history of failures.
            let email = if unknown == 1 {
                "nobody@acme.example"
            } else {
                "known@acme.example"
            };
            let started = Instant::now();
            let response = client
                .post(&url)
                .json(&json!({ "email": email, "password": format!("wrong {attempt}") }))
                .send()
                .await
                .expect("the service answers");
            let elapsed = started.elapsed().as_secs_f64() * 1000.0;
            assert_eq!(response.status(), 401);
            // The first few warm connections and caches up.
            if attempt >= 10 {
                timings[unknown].push(elapsed);
            }
        }
        println!("| email | attempts | p10 | median | p90 |");
        println!("|---|---|---|---|---|");
        for (name, times) in ["has an account", "has none"].iter().zip(&mut timings) {
            times.sort_by(f64::total_cmp);
            println!(
                "| {name} | {} | {:.1} ms | {:.1} ms | {:.1} ms |",
                times.len(),
                percentile(times, 0.1),
                percentile(times, 0.5),
                percentile(times, 0.9)
            );
        }
        drop(server);
    });
}
