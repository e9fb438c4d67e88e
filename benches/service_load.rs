//! Load on the running service: `POST /v1/agents/{id}/messages` (extractive answerer) against a
//! knowledge base whose index holds 100,000 chunks, at several concurrencies.
//!
//! `cargo bench --bench service_load` (needs scripts/setup.sh). The data directory is built
//! once into the cache and reused: the demo FAQ (English and Arabic) ingested through the API,
//! then 100,000 filler chunks written straight into the same knowledge base's index (random
//! unit vectors, BM25 vectors of texts from a vocabulary no question uses, so every request
//! still does retrieval, extractive answering and groundedness over the FAQ), optimised.
//!
//! With `SWITCHBOARD_UPLOAD_SET=DIR` it measures instead the time from uploading every file of
//! DIR at once (`bench/make_upload_set.py` writes ten at the 20 MB limit) to every source ready,
//! and the server's peak memory.

#[allow(dead_code)] // the benchmark uses part of the tests' harness
#[path = "../tests/common/service.rs"]
mod service;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use knowledge::Position;
use knowledge::embed::EmbedderConfig;
use knowledge::index::{ChunkPayload, EdgeIndex, IndexPoint, VectorIndex};
use knowledge::lexical::Lexical;
use serde_json::{Value, json};
use service::{Api, TestServer, create_workspace};

const FILLER: usize = 100_000;
const DIMENSION: usize = 384;
const RUN: Duration = Duration::from_secs(20);
const CONCURRENCY: &[usize] = &[1, 4, 16];
const QUESTIONS: &[&str] = &[
    "Can I return an opened bag of coffee?",
    "How much does delivery cost?",
    "Do you deliver to Sharjah?",
    "When does the café open on Friday?",
    "Can I pause my subscription?",
    "Which payment methods do you accept?",
    "Is cash on delivery available?",
    "Do you have oat milk?",
    "How fresh is the coffee?",
    "How long does a refund take?",
    "هل يمكنني إرجاع كيس قهوة مفتوح؟",
    "كم تكلفة التوصيل؟",
    "متى يفتح المقهى يوم الجمعة؟",
    "هل يمكن إيقاف الاشتراك مؤقتاً؟",
    "ما طرق الدفع المتاحة؟",
    "هل لديكم حليب اللوز؟",
    "متى تحمصون القهوة؟",
    "هل توصلون إلى أبوظبي؟",
];

/// splitmix64: a small, fast, deterministic source of filler.
struct Filler(u64);

impl Filler {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32 - 0.5
    }

    fn vector(&mut self) -> Vec<f32> {
        let raw: Vec<f32> = (0..DIMENSION).map(|_| self.unit()).collect();
        let norm = raw.iter().map(|x| x * x).sum::<f32>().sqrt();
        raw.into_iter().map(|x| x / norm).collect()
    }

    fn text(&mut self) -> String {
        (0..50)
            .map(|_| format!("zq{}", (self.next() % 5000) * (self.next() % 4)))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The service with the rate limit lifted: the benchmark is the only client.
const UNLIMITED: &[(&str, &str)] = &[
    ("SWITCHBOARD_RATE_LIMIT__PER_SECOND", "1000000"),
    ("SWITCHBOARD_RATE_LIMIT__BURST", "1000000"),
];

struct Prepared {
    key: String,
    agent: String,
}

fn cache_dir() -> PathBuf {
    EmbedderConfig::from_environment()
        .model_dir
        .parent()
        .and_then(|models| models.parent())
        .map(|cache| cache.join("bench/service-100k"))
        .expect("cache dir")
}

async fn prepare(data: &Path) -> Prepared {
    let marker = data.join("bench.json");
    if let Ok(text) = std::fs::read_to_string(&marker) {
        let saved: Value = serde_json::from_str(&text).unwrap();
        return Prepared {
            key: saved["key"].as_str().unwrap().to_string(),
            agent: saved["agent"].as_str().unwrap().to_string(),
        };
    }
    let _ = std::fs::remove_dir_all(data);
    let (workspace, key) = create_workspace(data, UNLIMITED, "load", 1_000_000_000);
    let server = TestServer::start(data, UNLIMITED);
    let api = Api::new(&server, &key);
    let kb = api.create_knowledge_base("faq").await;
    for name in ["qahwa-house-faq.md", "qahwa-house-faq.ar.md"] {
        let bytes = std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("demo")
                .join(name),
        )
        .unwrap();
        api.upload(&format!("/v1/knowledge-bases/{kb}/sources"), name, bytes)
            .await;
    }
    api.wait_until_ready(&kb).await;
    let (_, agent) = api
        .post(
            "/v1/agents",
            json!({ "name": "load", "knowledge_base": kb }),
        )
        .await;
    let agent = agent["id"].as_str().unwrap().to_string();
    server.stop();

    let started = Instant::now();
    let index = EdgeIndex::open(&data.join("index"), DIMENSION).expect("the index opens");
    let lexical = Lexical::new();
    let mut filler = Filler(7);
    for batch in 0..FILLER / 1000 {
        let points: Vec<IndexPoint> = (0..1000)
            .map(|n| {
                let ordinal = batch * 1000 + n;
                let text = filler.text();
                IndexPoint {
                    id: uuid::Uuid::from_u128(0xf111_0000_0000 + ordinal as u128),
                    dense: filler.vector(),
                    sparse: lexical.document(&text, "en"),
                    payload: ChunkPayload {
                        workspace: workspace.clone(),
                        knowledge_base: kb.clone(),
                        source_id: format!("filler-{}", ordinal / 500),
                        source: "filler".into(),
                        ordinal,
                        position: Position::page(ordinal % 100 + 1),
                        language: "en".into(),
                        text,
                        sentence_vectors: Default::default(),
                    },
                }
            })
            .collect();
        index.upsert(&points).expect("upsert");
    }
    index.flush().expect("flush");
    index.optimize().expect("optimize");
    println!(
        "service_load: wrote and optimised {FILLER} filler chunks in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    drop(index);
    std::fs::write(&marker, json!({ "key": key, "agent": agent }).to_string()).unwrap();
    Prepared { key, agent }
}

fn percentile(sorted: &[f64], fraction: f64) -> f64 {
    sorted[((sorted.len() as f64 * fraction) as usize).min(sorted.len() - 1)]
}

async fn load(url: &str, prepared: &Prepared, concurrency: usize) {
    let client = reqwest::Client::new();
    let endpoint = Arc::new(format!("{url}/v1/agents/{}/messages", prepared.agent));
    let deadline = Instant::now() + RUN;
    let tasks: Vec<_> = (0..concurrency)
        .map(|worker| {
            let client = client.clone();
            let endpoint = endpoint.clone();
            let key = prepared.key.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut outcomes = [0usize; 3]; // reply, handoff, error
                let mut n = worker;
                while Instant::now() < deadline {
                    let question = QUESTIONS[n % QUESTIONS.len()];
                    n += concurrency;
                    let started = Instant::now();
                    let response = client
                        .post(endpoint.as_str())
                        .bearer_auth(&key)
                        .json(&json!({ "message": question }))
                        .send()
                        .await;
                    let turn: Option<Value> = match response {
                        Ok(response) if response.status().is_success() => {
                            response.json().await.ok()
                        }
                        _ => None,
                    };
                    latencies.push(started.elapsed().as_secs_f64() * 1000.0);
                    let slot = match turn.as_ref().and_then(|turn| turn["action"].as_str()) {
                        Some("reply") => 0,
                        Some(_) => 1,
                        None => 2,
                    };
                    outcomes[slot] += 1;
                }
                (latencies, outcomes)
            })
        })
        .collect();
    let started = Instant::now();
    let mut latencies = Vec::new();
    let mut outcomes = [0usize; 3];
    for task in tasks {
        let (mine, counted) = task.await.unwrap();
        latencies.extend(mine);
        for (total, count) in outcomes.iter_mut().zip(counted) {
            *total += count;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    println!(
        "| {concurrency} | {:.1} | {:.1} ms | {:.1} ms | {:.1} ms | {} / {} / {} |",
        latencies.len() as f64 / elapsed,
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99),
        latencies.last().copied().unwrap_or(0.0),
        outcomes[0],
        outcomes[1],
        outcomes[2],
    );
}

fn main() {
    if !std::env::args().any(|arg| arg == "--bench") {
        return;
    }
    if !EmbedderConfig::from_environment().is_installed() {
        println!("service_load: skipped, needs scripts/setup.sh");
        return;
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    if let Some(set) = std::env::var_os("SWITCHBOARD_UPLOAD_SET") {
        runtime.block_on(upload_to_ready(Path::new(&set)));
        return;
    }
    runtime.block_on(async {
        let data = cache_dir();
        let prepared = prepare(&data).await;
        let server = TestServer::start(&data, UNLIMITED);
        // Warm the agent, the caches and the connection pool.
        for question in QUESTIONS {
            reqwest::Client::new()
                .post(format!(
                    "{}/v1/agents/{}/messages",
                    server.url, prepared.agent
                ))
                .bearer_auth(&prepared.key)
                .json(&json!({ "message": question }))
                .send()
                .await
                .unwrap();
        }
        println!(
            "| concurrent clients | requests/s | p50 | p99 | max | replies / handoffs / errors |"
        );
        println!("|---|---|---|---|---|---|");
        for concurrency in CONCURRENCY {
            load(&server.url, &prepared, *concurrency).await;
        }
        server.stop();
    });
}

async fn upload_to_ready(set: &Path) {
    let mut files: Vec<PathBuf> = std::fs::read_dir(set)
        .expect("the upload set")
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    let data = tempfile::tempdir().unwrap();
    let (_, key) = create_workspace(data.path(), &[], "uploads", 1000);
    let server = TestServer::start(data.path(), &[]);
    let url = server.url.clone();
    let api = Api::new(&server, &key);
    let kb = api.create_knowledge_base("uploads").await;
    let client = api.client.clone();
    let started = Instant::now();
    let uploads = files.iter().map(|path| {
        let client = client.clone();
        let endpoint = format!("{url}/v1/knowledge-bases/{kb}/sources");
        let key = key.clone();
        let path = path.clone();
        tokio::spawn(async move {
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            let form = reqwest::multipart::Form::new().part(
                "file",
                reqwest::multipart::Part::bytes(std::fs::read(&path).unwrap()).file_name(name),
            );
            let response = client
                .post(endpoint)
                .bearer_auth(key)
                .multipart(form)
                .send()
                .await
                .unwrap();
            assert_eq!(
                response.status(),
                202,
                "{}",
                response.text().await.unwrap_or_default()
            );
        })
    });
    for upload in uploads.collect::<Vec<_>>() {
        upload.await.unwrap();
    }
    let uploaded = started.elapsed().as_secs_f64();
    let mut ready_at: std::collections::BTreeMap<String, f64> = Default::default();
    let sources = loop {
        let (_, sources) = api.get(&format!("/v1/knowledge-bases/{kb}/sources")).await;
        let sources = sources.as_array().unwrap().clone();
        for source in &sources {
            assert_ne!(source["status"], "failed", "{source}");
            if source["status"] == "ready" {
                let name = source["name"].as_str().unwrap().to_string();
                ready_at
                    .entry(name)
                    .or_insert(started.elapsed().as_secs_f64());
            }
        }
        if ready_at.len() == files.len() {
            break sources;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let total = started.elapsed().as_secs_f64();
    println!("| file | MB | chunks | ready after |");
    println!("|---|---|---|---|");
    let mut bytes = 0u64;
    let mut chunks = 0i64;
    for source in &sources {
        let name = source["name"].as_str().unwrap();
        let size = std::fs::metadata(set.join(name)).unwrap().len();
        bytes += size;
        chunks += source["chunks"].as_i64().unwrap();
        println!(
            "| {name} | {:.1} | {} | {:.1} s |",
            size as f64 / 1e6,
            source["chunks"],
            ready_at[name]
        );
    }
    println!(
        "\nuploaded {} files ({:.0} MB) in {uploaded:.1} s; all ready after {total:.1} s: {:.2} MB/s, {:.1} chunks/s; server peak memory {:.0} MB",
        files.len(),
        bytes as f64 / 1e6,
        bytes as f64 / 1e6 / total,
        chunks as f64 / total,
        server.peak_memory_mb(),
    );
    server.stop();
}
