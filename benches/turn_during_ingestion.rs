//! A customer's turn while another workspace's large file is being embedded: turn latency
//! (p50, p95, max) idle and during the ingestion, and the ingestion's chunks per second.
//!
//! `cargo bench --bench turn_during_ingestion` (needs scripts/setup.sh). One server, the
//! release binary, the real model: workspace A has the demo FAQ and an agent; workspace B
//! uploads a generated 4,000-paragraph bilingual catalogue; questions go to A's agent one at a
//! time, idle first, then for as long as B's file embeds.

#[allow(dead_code)] // the benchmark uses part of the tests' harness
#[path = "../tests/common/service.rs"]
mod service;

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::json;
use service::{Api, TestServer, create_workspace};

const QUESTIONS: &[&str] = &[
    "Can I return an opened bag of coffee?",
    "How much does delivery cost?",
    "When does the café open on Friday?",
    "هل يمكنني إرجاع كيس قهوة مفتوح؟",
    "كم تكلفة التوصيل؟",
    "متى يفتح المقهى يوم الجمعة؟",
];
const UNLIMITED: &[(&str, &str)] = &[
    ("SWITCHBOARD_RATE_LIMIT__PER_SECOND", "1000000"),
    ("SWITCHBOARD_RATE_LIMIT__BURST", "1000000"),
];
const IDLE_TURNS: usize = 30;

fn catalogue(paragraphs: usize) -> String {
    let mut text = String::from("# Catalogue\n\n");
    for number in 0..paragraphs {
        text.push_str(&format!(
            "Item {number}: the grinder model {number} costs {} AED and ships within {} days. \
             المنتج رقم {number} متوفر بسعر {} درهماً ويصل خلال {} أيام.\n\n",
            40 + number % 200,
            1 + number % 5,
            40 + number % 200,
            1 + number % 5
        ));
    }
    text
}

fn summary(label: &str, mut times: Vec<f64>) {
    times.sort_by(f64::total_cmp);
    let at = |fraction: f64| times[((times.len() - 1) as f64 * fraction) as usize];
    println!(
        "{label}: {} turns, p50 {:.0} ms, p95 {:.0} ms, max {:.0} ms",
        times.len(),
        at(0.5) * 1e3,
        at(0.95) * 1e3,
        times.last().copied().unwrap_or_default() * 1e3
    );
}

async fn turn(api: &Api, agent: &str, question: &str) -> f64 {
    let started = Instant::now();
    let (status, body) = api.ask(agent, question).await;
    assert_eq!(status, 200, "{body}");
    started.elapsed().as_secs_f64()
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let (_, answering_key) = create_workspace(&data, UNLIMITED, "answering", 1_000_000);
        let (_, uploading_key) = create_workspace(&data, UNLIMITED, "uploading", 1_000_000);
        let server = TestServer::start(&data, UNLIMITED);
        let answering = Api::new(&server, &answering_key);
        let uploading = Api::new(&server, &uploading_key);
        let kb = answering.create_knowledge_base("faq").await;
        for name in ["qahwa-house-faq.md", "qahwa-house-faq.ar.md"] {
            let bytes = std::fs::read(
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("demo")
                    .join(name),
            )
            .unwrap();
            answering
                .upload(&format!("/v1/knowledge-bases/{kb}/sources"), name, bytes)
                .await;
        }
        answering.wait_until_ready(&kb).await;
        let (_, agent) = answering
            .post(
                "/v1/agents",
                json!({ "name": "bench", "knowledge_base": kb }),
            )
            .await;
        let agent = agent["id"].as_str().unwrap().to_string();

        let mut idle = Vec::new();
        for number in 0..IDLE_TURNS {
            idle.push(turn(&answering, &agent, QUESTIONS[number % QUESTIONS.len()]).await);
        }
        summary("idle", idle);

        let big = uploading.create_knowledge_base("catalogue").await;
        let started = Instant::now();
        let (status, source) = uploading
            .upload(
                &format!("/v1/knowledge-bases/{big}/sources"),
                "catalogue.md",
                catalogue(4_000).into_bytes(),
            )
            .await;
        assert_eq!(status, 202, "{source}");
        let source = source["id"].as_str().unwrap().to_string();
        let mut during = Vec::new();
        let chunks = loop {
            let (_, detail) = uploading.get(&format!("/v1/sources/{source}")).await;
            if detail["status"] == "ready" {
                break detail["chunks"].as_i64().unwrap_or(0);
            }
            assert_ne!(detail["status"], "failed", "{detail}");
            if detail["status"] == "embedding" {
                let number = during.len();
                during.push(turn(&answering, &agent, QUESTIONS[number % QUESTIONS.len()]).await);
            } else {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        };
        let seconds = started.elapsed().as_secs_f64();
        summary("during ingestion", during);
        println!(
            "ingestion: {chunks} chunks ready in {seconds:.0} s ({:.1} chunks/s, upload to ready)",
            chunks as f64 / seconds
        );
        server.stop();
    });
}
