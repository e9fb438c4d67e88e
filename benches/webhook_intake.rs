//! The platforms' webhook intake: `POST /webhooks/{channel_id}` on the running service with
//! WhatsApp deliveries signed as Meta signs them, 16 senders at once, from the request to the
//! message stored (verified, parsed, its contact and conversation found or made) and
//! acknowledged. Then the same load killed with SIGKILL half way: the service starts again,
//! every sender retries what was not acknowledged, and the database must hold each message
//! exactly once.
//!
//! `cargo bench --bench webhook_intake` (SQLite in a fresh data directory). With
//! `SWITCHBOARD_BENCH_POSTGRES=postgres://...` (an empty database) it measures PostgreSQL too.
//! The channel has no AI agent: the figure is the intake's, not the answering's.

#[allow(dead_code)] // the benchmark uses part of the tests' harness
#[path = "../tests/common/service.rs"]
mod service;

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use serde_json::json;
use service::{Api, TestServer, create_workspace};
use sha2::Sha256;

const SENDERS: usize = 16;
const CONTACTS: usize = 500;
const RUN: Duration = Duration::from_secs(15);
/// Messages each sender delivers in the crash run.
const CRASH_MESSAGES: usize = 400;
const APP_SECRET: &str = "bench-app-secret";

fn percentile(sorted: &[Duration], share: f64) -> Duration {
    sorted[((sorted.len() as f64 * share) as usize).min(sorted.len() - 1)]
}

/// A WhatsApp delivery of one text from `contact`, with its signature header.
fn delivery(id: &str, contact: usize) -> (Vec<u8>, String) {
    let body = json!({ "object": "whatsapp_business_account", "entry": [{
        "id": "102290129340398", "changes": [{ "field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": { "display_phone_number": "15550783881", "phone_number_id": "106540352242922" },
            "contacts": [{ "profile": { "name": format!("Customer {contact}") }, "wa_id": format!("97150{contact:07}") }],
            "messages": [{ "from": format!("97150{contact:07}"), "id": id,
                "timestamp": "1764900000", "type": "text",
                "text": { "body": "مرحبا، كم سعر التوصيل إلى الشارقة؟" } }] } }] }] });
    let body = serde_json::to_vec(&body).unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(APP_SECRET.as_bytes()).unwrap();
    mac.update(&body);
    let signature = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    (body, signature)
}

async fn post(
    client: &reqwest::Client,
    url: &str,
    (body, signature): (Vec<u8>, String),
) -> Result<u16, reqwest::Error> {
    let response = client
        .post(url)
        .header("content-type", "application/json")
        .header("x-hub-signature-256", signature)
        .body(body)
        .send()
        .await?;
    Ok(response.status().as_u16())
}

/// Makes a WhatsApp channel account without an agent: its webhook path.
async fn whatsapp_channel(api: &Api) -> String {
    let (status, channel) = api
        .post(
            "/v1/channels",
            json!({ "type": "whatsapp", "name": "bench", "config": {
                "app_secret": APP_SECRET, "verify_token": "bench", "access_token": "bench",
                "phone_number_id": "106540352242922", "business_account_id": "102290129340398" } }),
        )
        .await;
    assert_eq!(status, 201, "{channel}");
    format!("/webhooks/{}", channel["id"].as_str().unwrap())
}

async fn throughput(label: &str, env: &[(&str, &str)]) {
    let data_dir = tempfile::tempdir().unwrap();
    let (_, key) = create_workspace(data_dir.path(), env, "bench", 1_000);
    let server = TestServer::start(data_dir.path(), env);
    let api = Api::new(&server, &key);
    let webhook = format!("{}{}", server.url, whatsapp_channel(&api).await);
    let client = reqwest::Client::new();
    let started = Instant::now();
    let senders = (0..SENDERS).map(|sender| {
        let client = client.clone();
        let webhook = webhook.clone();
        tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut number = 0;
            while started.elapsed() < RUN {
                number += 1;
                let id = format!("wamid.bench-{sender}-{number}");
                let signed = delivery(&id, (sender * 7919 + number) % CONTACTS);
                let sent = Instant::now();
                let status = post(&client, &webhook, signed).await.unwrap();
                assert_eq!(status, 200);
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
        "{label}: {} WhatsApp messages in {:.1} s = {:.0} msg/s acknowledged with {SENDERS} senders; p50 {:.1} ms, p99 {:.1} ms",
        latencies.len(),
        elapsed.as_secs_f64(),
        latencies.len() as f64 / elapsed.as_secs_f64(),
        percentile(&latencies, 0.5).as_secs_f64() * 1000.0,
        percentile(&latencies, 0.99).as_secs_f64() * 1000.0,
    );
    drop(server);
}

/// SIGKILL under load, a restart, every unacknowledged delivery retried: each message stored
/// once.
async fn crash(label: &str, env: &[(&str, &str)], database_url: &str) {
    let data_dir = tempfile::tempdir().unwrap();
    let (_, key) = create_workspace(data_dir.path(), env, "bench", 1_000);
    let server = TestServer::start(data_dir.path(), env);
    let api = Api::new(&server, &key);
    let path = whatsapp_channel(&api).await;
    let base = Arc::new(RwLock::new(server.url.clone()));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let senders: Vec<_> = (0..SENDERS)
        .map(|sender| {
            let client = client.clone();
            let base = base.clone();
            let path = path.clone();
            tokio::spawn(async move {
                let mut acknowledged_before_retry = 0;
                let mut retries = 0;
                for number in 0..CRASH_MESSAGES {
                    let id = format!("wamid.crash-{sender}-{number}");
                    let mut first = true;
                    loop {
                        let url = format!("{}{path}", base.read().unwrap());
                        match post(
                            &client,
                            &url,
                            delivery(&id, (sender * 31 + number) % CONTACTS),
                        )
                        .await
                        {
                            Ok(200) => {
                                if first {
                                    acknowledged_before_retry += 1;
                                }
                                break;
                            }
                            _ => {
                                first = false;
                                retries += 1;
                                tokio::time::sleep(Duration::from_millis(50)).await;
                            }
                        }
                    }
                }
                (acknowledged_before_retry, retries)
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(2)).await;
    server.kill();
    let killed = Instant::now();
    let restarted = TestServer::start(data_dir.path(), env);
    *base.write().unwrap() = restarted.url.clone();
    let restart = killed.elapsed();
    let mut retried = 0;
    for sender in futures::future::join_all(senders).await {
        retried += sender.unwrap().1;
    }
    drop(restarted);
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(database_url).await.unwrap();
    let (rows, distinct): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), COUNT(DISTINCT platform_message_id) FROM messages WHERE direction = 'in'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let sent = (SENDERS * CRASH_MESSAGES) as i64;
    println!(
        "{label}, SIGKILL after 2 s of load: {sent} messages delivered, {retried} deliveries \
         retried after the kill (restart took {:.1} s); stored {rows} rows for {distinct} \
         messages: {} lost, {} stored twice",
        restart.as_secs_f64(),
        sent - distinct,
        rows - distinct
    );
    assert_eq!((rows, distinct), (sent, sent));
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let unlimited = [
        ("SWITCHBOARD_RATE_LIMIT__PER_SECOND", "1000000"),
        ("SWITCHBOARD_RATE_LIMIT__BURST", "1000000"),
    ];
    runtime.block_on(throughput("sqlite", &unlimited));
    let crash_dir = tempfile::tempdir().unwrap();
    let sqlite_url = format!(
        "sqlite://{}?mode=rwc",
        crash_dir.path().join("records.db").display()
    );
    let mut env = unlimited.to_vec();
    env.push(("SWITCHBOARD_DATABASE__URL", &sqlite_url));
    runtime.block_on(crash("sqlite", &env, &sqlite_url));
    if let Ok(url) = std::env::var("SWITCHBOARD_BENCH_POSTGRES") {
        let mut env = unlimited.to_vec();
        env.push(("SWITCHBOARD_DATABASE__URL", &url));
        runtime.block_on(throughput("postgres", &env));
    }
    if let Ok(url) = std::env::var("SWITCHBOARD_BENCH_POSTGRES_CRASH") {
        let mut env = unlimited.to_vec();
        env.push(("SWITCHBOARD_DATABASE__URL", &url));
        runtime.block_on(crash("postgres", &env, &url));
    }
}
