//! The inbox's intake: `POST /v1/channels/{id}/inbound` on the running service, from the
//! request to the message stored (with its conversation, contact and events) and
//! acknowledged, with 16 senders at once; and the time from an acknowledged message to its
//! `message.created` event at an SSE client of the same process, and (on PostgreSQL) of a
//! second process.
//!
//! `cargo bench --bench inbox_inbound` (SQLite in a fresh data directory). With
//! `SWITCHBOARD_BENCH_POSTGRES=postgres://...` (an empty database) it measures PostgreSQL too.
//! The channel has no AI agent: the figure is the intake's, not the answering's.

#[allow(dead_code)] // the benchmark uses part of the tests' harness
#[path = "../tests/common/service.rs"]
mod service;

use std::time::{Duration, Instant};

use serde_json::json;
use service::{Api, TestServer, create_workspace};

const SENDERS: usize = 16;
const CONTACTS: usize = 500;
const RUN: Duration = Duration::from_secs(15);
const EVENT_SAMPLES: usize = 200;

fn percentile(sorted: &[Duration], share: f64) -> Duration {
    sorted[((sorted.len() as f64 * share) as usize).min(sorted.len() - 1)]
}

async fn measure(label: &str, env: &[(&str, &str)]) {
    let data_dir = tempfile::tempdir().unwrap();
    let (_, key) = create_workspace(data_dir.path(), env, "bench", 1_000);
    let server = TestServer::start(data_dir.path(), env);
    let api = Api::new(&server, &key);
    let (status, channel) = api
        .post(
            "/v1/channels",
            json!({ "type": "api", "name": "bench", "config": { "webhook_url": "http://127.0.0.1:9/hook" } }),
        )
        .await;
    assert_eq!(status, 201, "{channel}");
    let inbound = format!("/v1/channels/{}/inbound", channel["id"].as_str().unwrap());

    let started = Instant::now();
    let senders = (0..SENDERS).map(|sender| {
        let api = api.clone();
        let inbound = inbound.clone();
        tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut number = 0;
            while started.elapsed() < RUN {
                number += 1;
                let body = json!({
                    "contact": { "external_id": format!("contact-{}", (sender * 7919 + number) % CONTACTS) },
                    "message": { "id": format!("{sender}-{number}"), "text": "مرحبا، كم سعر التوصيل إلى الشارقة؟" },
                });
                let sent = Instant::now();
                let (status, answer) = api.post(&inbound, body).await;
                assert_eq!(status, 200, "{answer}");
                latencies.push(sent.elapsed());
            }
            latencies
        })
    });
    let mut latencies: Vec<Duration> = futures::future::join_all(senders)
        .await
        .into_iter()
        .flat_map(Result::unwrap)
        .collect();
    let elapsed = started.elapsed();
    latencies.sort();
    println!(
        "{label}: {} messages in {:.1} s = {:.0} msg/s with {SENDERS} senders; p50 {:.1} ms, p99 {:.1} ms",
        latencies.len(),
        elapsed.as_secs_f64(),
        latencies.len() as f64 / elapsed.as_secs_f64(),
        percentile(&latencies, 0.5).as_secs_f64() * 1000.0,
        percentile(&latencies, 0.99).as_secs_f64() * 1000.0,
    );

    event_latency(&format!("{label}, same process"), &api, &api, &inbound).await;
    if label == "postgres" {
        // A second process on the same database: the event crosses by NOTIFY.
        let second_dir = tempfile::tempdir().unwrap();
        let second = TestServer::start(second_dir.path(), env);
        let watcher = Api::new(&second, &key);
        event_latency(
            &format!("{label}, across two processes"),
            &api,
            &watcher,
            &inbound,
        )
        .await;
        drop(second);
    }
    drop(server);
}

/// Acknowledged by `sender`'s process -> seen at a live stream of `watcher`'s, one message at a
/// time.
async fn event_latency(label: &str, sender: &Api, watcher: &Api, inbound: &str) {
    let (seen, mut events) = tokio::sync::mpsc::unbounded_channel::<Instant>();
    let stream = watcher.request(reqwest::Method::GET, "/v1/events");
    tokio::spawn(async move {
        let mut response = stream.send().await.unwrap();
        while let Ok(Some(chunk)) = response.chunk().await {
            let text = String::from_utf8_lossy(&chunk);
            for _ in text.matches("event: message.created") {
                let _ = seen.send(Instant::now());
            }
        }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut delays = Vec::new();
    for number in 0..EVENT_SAMPLES {
        let body = json!({
            "contact": { "external_id": "watched" },
            "message": { "id": format!("{label}-{number}"), "text": "hello" },
        });
        let (status, _) = sender.post(inbound, body).await;
        let acknowledged = Instant::now();
        assert_eq!(status, 200);
        let arrived = tokio::time::timeout(Duration::from_secs(10), events.recv())
            .await
            .unwrap()
            .unwrap();
        delays.push(arrived.saturating_duration_since(acknowledged));
    }
    delays.sort();
    println!(
        "{label}: acknowledged -> SSE event: p50 {:.1} ms, p99 {:.1} ms ({EVENT_SAMPLES} messages)",
        percentile(&delays, 0.5).as_secs_f64() * 1000.0,
        percentile(&delays, 0.99).as_secs_f64() * 1000.0,
    );
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let unlimited = [
        ("SWITCHBOARD_RATE_LIMIT__PER_SECOND", "1000000"),
        ("SWITCHBOARD_RATE_LIMIT__BURST", "1000000"),
        // The channel's webhook is on this machine.
        ("SWITCHBOARD_FETCH__ALLOW_PRIVATE_ADDRESSES", "true"),
    ];
    runtime.block_on(measure("sqlite", &unlimited));
    if let Ok(url) = std::env::var("SWITCHBOARD_BENCH_POSTGRES") {
        let mut env = unlimited.to_vec();
        env.push(("SWITCHBOARD_DATABASE__URL", &url));
        runtime.block_on(measure("postgres", &env));
    }
}
