//! Sending through the platforms: people's replies posted to the running service, each a
//! durable `SendMessage` job that calls the platform's send API, here a local server that
//! answers as Telegram's Bot API and WhatsApp's Graph API do and notes when each request
//! arrived. Unthrottled (a Telegram bot set to 10,000 sends a second): messages a second from
//! the first reply posted to the last send arrived. Throttled (a WhatsApp number at its
//! default of 80 a second): the most sends that arrived within any one second.
//!
//! `cargo bench --bench platform_sends` (SQLite in a fresh data directory).

#[allow(dead_code)] // the benchmark uses part of the tests' harness
#[path = "../tests/common/service.rs"]
mod service;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::http::Uri;
use serde_json::{Value, json};
use service::{Api, TestServer, create_workspace};

/// Replies sent in the unthrottled run, and in the throttled one.
const UNTHROTTLED: usize = 6_000;
const THROTTLED: usize = 800;
const CONVERSATIONS: usize = 100;
const POSTERS: usize = 16;

/// When each send arrived at the platform, by platform.
#[derive(Default)]
struct Arrivals {
    telegram: Vec<Instant>,
    whatsapp: Vec<Instant>,
}

async fn platform() -> (String, Arc<Mutex<Arrivals>>) {
    let arrivals: Arc<Mutex<Arrivals>> = Arc::default();
    let kept = arrivals.clone();
    let router = axum::Router::new().fallback(move |uri: Uri, body: Bytes| {
        let kept = kept.clone();
        async move {
            let at = Instant::now();
            let body: Value = serde_json::from_slice(&body).unwrap_or_default();
            let mut arrivals = kept.lock().unwrap();
            if uri.path().ends_with("/sendMessage") {
                arrivals.telegram.push(at);
                let chat: i64 = body["chat_id"].as_str().unwrap_or("0").parse().unwrap_or(0);
                axum::Json(json!({ "ok": true, "result": {
                    "message_id": arrivals.telegram.len(), "chat": { "id": chat } } }))
            } else {
                arrivals.whatsapp.push(at);
                axum::Json(json!({ "messaging_product": "whatsapp",
                    "messages": [{ "id": format!("wamid.out{}", arrivals.whatsapp.len()) }] }))
            }
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (url, arrivals)
}

/// Makes a channel account; its webhook path.
async fn channel(api: &Api, kind: &str, config: Value) -> String {
    let (status, channel) = api
        .post(
            "/v1/channels",
            json!({ "type": kind, "name": kind, "config": config }),
        )
        .await;
    assert_eq!(status, 201, "{channel}");
    format!("/webhooks/{}", channel["id"].as_str().unwrap())
}

/// One customer message per conversation, delivered as the platform does: the
/// conversations' ids.
async fn conversations(api: &Api, server: &TestServer, kind: &str, webhook: &str) -> Vec<String> {
    let client = reqwest::Client::new();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    for number in 0..CONVERSATIONS {
        let request = client.post(format!("{}{webhook}", server.url));
        let request = match kind {
            "telegram" => request
                .header("x-telegram-bot-api-secret-token", "bench-secret")
                .json(&json!({ "update_id": number, "message": {
                    "message_id": 1, "date": now, "text": "hello",
                    "from": { "id": 1000 + number, "is_bot": false, "first_name": "C" },
                    "chat": { "id": 1000 + number, "type": "private" } } })),
            _ => {
                let body = serde_json::to_vec(&json!({ "object": "whatsapp_business_account",
                    "entry": [{ "id": "1", "changes": [{ "field": "messages", "value": {
                        "messaging_product": "whatsapp",
                        "metadata": { "display_phone_number": "1", "phone_number_id": "106540352242922" },
                        "messages": [{ "from": format!("97150{number:07}"), "id": format!("wamid.in{number}"),
                            "timestamp": now.to_string(), "type": "text", "text": { "body": "hello" } }] } }] }] }))
                .unwrap();
                use hmac::Mac;
                let mut mac =
                    hmac::Hmac::<sha2::Sha256>::new_from_slice(b"bench-app-secret").unwrap();
                mac.update(&body);
                request
                    .header("content-type", "application/json")
                    .header(
                        "x-hub-signature-256",
                        format!("sha256={}", hex::encode(mac.finalize().into_bytes())),
                    )
                    .body(body)
            }
        };
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200);
    }
    let channel = webhook.trim_start_matches("/webhooks/");
    let (status, listed) = api
        .get(&format!(
            "/v1/conversations?view=all&channel_id={channel}&limit={CONVERSATIONS}"
        ))
        .await;
    assert_eq!(status, 200, "{listed}");
    let ids: Vec<String> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|conversation| conversation["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), CONVERSATIONS);
    ids
}

/// Posts `count` replies over the conversations from 16 posters: when the first went.
async fn post_replies(api: &Api, conversations: &[String], count: usize) -> (Instant, Duration) {
    let started = Instant::now();
    let posters = (0..POSTERS).map(|poster| {
        let api = api.clone();
        let conversations = conversations.to_vec();
        tokio::spawn(async move {
            for number in (poster..count).step_by(POSTERS) {
                let conversation = &conversations[number % conversations.len()];
                let (status, body) = api
                    .post(
                        &format!("/v1/conversations/{conversation}/messages"),
                        json!({ "text": format!("Your order {number} leaves today.") }),
                    )
                    .await;
                assert_eq!(status, 201, "{body}");
            }
        })
    });
    futures::future::join_all(posters).await;
    (started, started.elapsed())
}

async fn wait_for(arrivals: &Arc<Mutex<Arrivals>>, count: usize, whatsapp: bool) -> Vec<Instant> {
    let waited = Instant::now();
    loop {
        {
            let arrivals = arrivals.lock().unwrap();
            let seen = if whatsapp {
                &arrivals.whatsapp
            } else {
                &arrivals.telegram
            };
            if seen.len() >= count {
                return seen.clone();
            }
        }
        assert!(
            waited.elapsed() < Duration::from_secs(600),
            "the sends did not all arrive"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The most arrivals within any one second.
fn busiest_second(arrivals: &[Instant]) -> usize {
    let mut sorted = arrivals.to_vec();
    sorted.sort();
    let mut most = 0;
    let mut start = 0;
    for end in 0..sorted.len() {
        while sorted[end].duration_since(sorted[start]) >= Duration::from_secs(1) {
            start += 1;
        }
        most = most.max(end - start + 1);
    }
    most
}

async fn measure() {
    let (platform_url, arrivals) = platform().await;
    let env = [
        ("SWITCHBOARD_RATE_LIMIT__PER_SECOND", "1000000"),
        ("SWITCHBOARD_RATE_LIMIT__BURST", "1000000"),
        ("SWITCHBOARD_JOBS__INBOX_WORKERS", "16"),
        ("SWITCHBOARD_CHANNELS__API_BASE__TELEGRAM", &platform_url),
        ("SWITCHBOARD_CHANNELS__API_BASE__WHATSAPP", &platform_url),
    ];
    let data_dir = tempfile::tempdir().unwrap();
    let (_, key) = create_workspace(data_dir.path(), &env, "bench", 1_000);
    let server = TestServer::start(data_dir.path(), &env);
    let api = Api::new(&server, &key);

    let telegram = channel(
        &api,
        "telegram",
        json!({ "bot_token": "1:bench", "secret_token": "bench-secret", "sends_per_second": "10000" }),
    )
    .await;
    let open = conversations(&api, &server, "telegram", &telegram).await;
    let (started, posting) = post_replies(&api, &open, UNTHROTTLED).await;
    let arrived = wait_for(&arrivals, UNTHROTTLED, false).await;
    let last = arrived.iter().max().unwrap().duration_since(started);
    println!(
        "unthrottled (Telegram, 16 send workers): {UNTHROTTLED} replies posted in {:.1} s \
         ({:.0}/s); all sent in {:.1} s = {:.0} sends/s end to end",
        posting.as_secs_f64(),
        UNTHROTTLED as f64 / posting.as_secs_f64(),
        last.as_secs_f64(),
        UNTHROTTLED as f64 / last.as_secs_f64()
    );

    let whatsapp = channel(
        &api,
        "whatsapp",
        json!({ "app_secret": "bench-app-secret", "verify_token": "v", "access_token": "a",
                "phone_number_id": "106540352242922", "business_account_id": "1" }),
    )
    .await;
    let open = conversations(&api, &server, "whatsapp", &whatsapp).await;
    let (started, posting) = post_replies(&api, &open, THROTTLED).await;
    let arrived = wait_for(&arrivals, THROTTLED, true).await;
    let last = arrived.iter().max().unwrap().duration_since(started);
    println!(
        "throttled (WhatsApp, 80/s default): {THROTTLED} replies posted in {:.1} s; sent in \
         {:.1} s = {:.1} sends/s; busiest one-second window: {} sends",
        posting.as_secs_f64(),
        last.as_secs_f64(),
        THROTTLED as f64 / last.as_secs_f64(),
        busiest_second(&arrived)
    );
    assert!(busiest_second(&arrived) <= 80);
    drop(server);
}

fn main() {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(measure());
}
