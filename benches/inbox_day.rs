//! A scripted day in the inbox, on the running service with the real embedding model: 2,000
//! conversations from 500 contacts (each writes on four channels, known as one person by their
//! phone number) over three teams. The AI agent answers every first message; 30% of the
//! customers then ask for a person, and the channel's routing sends each handoff to its team;
//! people claim them, ask for suggestions, reply with one and resolve some. At the end the
//! counts by status, owner and team are read from the API and must equal the counts the
//! script's own rules give.
//!
//! `cargo bench --bench inbox_day` (SQLite in a fresh data directory). With
//! `SWITCHBOARD_BENCH_POSTGRES=postgres://...` (an empty database) it runs on PostgreSQL
//! instead.

#[allow(dead_code)] // the benchmark uses part of the tests' harness
#[path = "../tests/common/service.rs"]
mod service;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use knowledge::embed::EmbedderConfig;
use serde_json::{Value, json};
use service::{Api, TestServer, create_workspace};

const CONTACTS: usize = 500;
const CHANNELS: usize = 4;
const CONVERSATIONS: usize = CONTACTS * CHANNELS;
const TEAMS: [&str; 3] = ["support", "billing", "sales"];
const PEOPLE_PER_TEAM: usize = 2;
const SENDERS: usize = 16;
const FACT: &str = "Delivery inside Dubai costs 15 dirhams and takes one day.";
/// A customer who wants a person, about what the knowledge answers (so suggestions have
/// something to rest on).
const ASK_FOR_A_PERSON: &str =
    "Delivery inside Dubai costs 15 dirhams and takes one day? I want to talk to a human.";
const UNLIMITED: &[(&str, &str)] = &[
    ("SWITCHBOARD_RATE_LIMIT__PER_SECOND", "1000000"),
    ("SWITCHBOARD_RATE_LIMIT__BURST", "1000000"),
    // The business's webhook is a local server here.
    ("SWITCHBOARD_FETCH__ALLOW_PRIVATE_ADDRESSES", "true"),
];

/// The script: conversation `k` is contact `k % 500` on channel `k / 500`.
fn contact(k: usize) -> usize {
    k % CONTACTS
}
fn channel(k: usize) -> usize {
    k / CONTACTS
}
/// The team each channel's handoffs go to.
fn team_of_channel(channel: usize) -> usize {
    channel % TEAMS.len()
}
/// Three in ten customers ask for a person.
fn handed_off(k: usize) -> bool {
    k % 10 < 3
}
/// Of those, the ones resolved by the end of the day.
fn resolved(k: usize) -> bool {
    handed_off(k) && k.is_multiple_of(4)
}

/// What the script says the inbox holds at the end: counts by status, by owner kind, by
/// team name.
fn expected() -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for k in 0..CONVERSATIONS {
        let (status, owner) = match (handed_off(k), resolved(k)) {
            (false, _) => ("pending", "agent"),
            (true, false) => ("open", "user"),
            (true, true) => ("resolved", "user"),
        };
        *counts.entry(format!("status {status}")).or_default() += 1;
        *counts.entry(format!("owner {owner}")).or_default() += 1;
        *counts
            .entry(format!("team {}", TEAMS[team_of_channel(channel(k))]))
            .or_default() += 1;
    }
    counts.insert("contacts".into(), CONTACTS);
    counts
}

/// Runs `work` over `items`, SENDERS at a time.
async fn in_parallel<F, Fut>(items: Vec<usize>, work: F)
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send,
{
    let queue = Arc::new(std::sync::Mutex::new(items));
    let work = Arc::new(work);
    let workers = (0..SENDERS).map(|_| {
        let (queue, work) = (queue.clone(), work.clone());
        tokio::spawn(async move {
            loop {
                let next = queue.lock().unwrap().pop();
                match next {
                    Some(item) => work(item).await,
                    None => break,
                }
            }
        })
    });
    for worker in workers.collect::<Vec<_>>() {
        worker.await.unwrap();
    }
}

/// Every conversation of the workspace, through the API's pages.
async fn all_conversations(api: &Api, query: &str) -> Vec<Value> {
    let mut all = Vec::new();
    let mut cursor = String::new();
    loop {
        let response = api
            .request(
                reqwest::Method::GET,
                &format!("/v1/conversations?limit=500&{query}&cursor={cursor}"),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let next = response
            .headers()
            .get("x-next-cursor")
            .map(|value| value.to_str().unwrap().to_string());
        let page: Vec<Value> = response.json().await.unwrap();
        all.extend(page);
        match next {
            Some(next) => cursor = next,
            None => return all,
        }
    }
}

async fn wait_for(what: &str, mut done: impl AsyncFnMut() -> bool) {
    let started = Instant::now();
    while !done().await {
        assert!(
            started.elapsed() < Duration::from_secs(1800),
            "waited 30 minutes for {what}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// The business's webhook: takes every delivery, answering an id for each.
async fn webhook() -> String {
    let delivered = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let router = axum::Router::new().route(
        "/hook",
        axum::routing::post(move || {
            let number = delivered.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            async move { axum::Json(json!({ "id": format!("delivered-{number}") })) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    url
}

async fn day(label: &str, env: &[(&str, &str)]) {
    let data_dir = tempfile::tempdir().unwrap();
    let (_, key) = create_workspace(data_dir.path(), env, "day", 100_000_000);
    let server = TestServer::start(data_dir.path(), env);
    let api = Api::new(&server, &key);
    let agent = api.agent_answering(FACT).await;
    let mut teams = Vec::new();
    let mut people = Vec::new();
    for name in TEAMS {
        let (status, team) = api.post("/v1/teams", json!({ "name": name })).await;
        assert_eq!(status, 201, "{team}");
        let team = team["id"].as_str().unwrap().to_string();
        let mut members = Vec::new();
        for number in 0..PEOPLE_PER_TEAM {
            let email = format!("{name}{number}@example.com");
            members.push(api.staff_member(&email, &team).await.1);
        }
        teams.push(team);
        people.push(members);
    }
    let hook = webhook().await;
    let mut inbound = Vec::new();
    for number in 0..CHANNELS {
        let team = &teams[team_of_channel(number)];
        let (status, channel) = api
            .post(
                "/v1/channels",
                json!({ "type": "api", "name": format!("channel {number}"), "agent_id": agent,
                        "team_id": team, "config": { "webhook_url": hook },
                        "routing": { "handoff_teams": { "human_requested": team } } }),
            )
            .await;
        assert_eq!(status, 201, "{channel}");
        inbound.push(format!(
            "/v1/channels/{}/inbound",
            channel["id"].as_str().unwrap()
        ));
    }
    let inbound = Arc::new(inbound);
    // Which conversation of the script each stored conversation is.
    let script: Arc<std::sync::Mutex<BTreeMap<String, usize>>> = Arc::default();
    let started = Instant::now();

    // Morning: every customer writes; the AI answers each.
    let post = {
        let (api, inbound, script) = (api.clone(), inbound.clone(), script.clone());
        move |k: usize, id: &'static str, text: &'static str| {
            let (api, inbound, script) = (api.clone(), inbound.clone(), script.clone());
            async move {
                let body = json!({
                    "contact": { "external_id": format!("c{}-{}", channel(k), contact(k)),
                                 "phone": format!("+97150{:07}", 1_000_000 + contact(k)) },
                    "message": { "id": format!("{id}-{k}"), "text": text },
                });
                let (status, answer) = api.post(&inbound[channel(k)], body).await;
                assert_eq!(status, 200, "{answer}");
                let conversation = answer["conversation_id"].as_str().unwrap().to_string();
                script.lock().unwrap().insert(conversation, k);
            }
        }
    };
    let first = post.clone();
    in_parallel((0..CONVERSATIONS).collect(), move |k| first(k, "q", FACT)).await;
    let received = started.elapsed();
    wait_for("the AI's answers", async || {
        all_conversations(&api, "")
            .await
            .iter()
            .filter(|conversation| !conversation["first_reply_at"].is_null())
            .count()
            == CONVERSATIONS
    })
    .await;
    let answered = started.elapsed();

    // Three in ten ask for a person; each lands in its channel's team's queue.
    let asking: Vec<usize> = (0..CONVERSATIONS).filter(|k| handed_off(*k)).collect();
    let handoffs = asking.len();
    let second = post.clone();
    in_parallel(asking, move |k| second(k, "h", ASK_FOR_A_PERSON)).await;
    wait_for("the handoffs", async || {
        all_conversations(&api, "view=handoffs").await.len() == handoffs
    })
    .await;
    let handed = started.elapsed();

    // People of the conversation's team claim, ask for suggestions, reply with one, and
    // resolve the ones the script resolves.
    let script = Arc::new(script.lock().unwrap().clone());
    let queue: Vec<String> = all_conversations(&api, "view=handoffs")
        .await
        .iter()
        .map(|conversation| conversation["id"].as_str().unwrap().to_string())
        .collect();
    let queue = Arc::new(queue);
    let people = Arc::new(people);
    let suggested = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let work = {
        let (queue, people, suggested, script) = (
            queue.clone(),
            people.clone(),
            suggested.clone(),
            script.clone(),
        );
        move |index: usize| {
            let (queue, people, suggested, script) = (
                queue.clone(),
                people.clone(),
                suggested.clone(),
                script.clone(),
            );
            async move {
                let id = &queue[index];
                let k = script[id];
                let person = &people[team_of_channel(channel(k))][k % PEOPLE_PER_TEAM];
                let (status, claimed) = person
                    .post(&format!("/v1/conversations/{id}/claim"), json!({}))
                    .await;
                assert_eq!(status, 200, "{claimed}");
                let (status, suggestions) = person
                    .post(&format!("/v1/conversations/{id}/suggestions"), json!({}))
                    .await;
                assert_eq!(status, 200, "{suggestions}");
                let text = match suggestions["replies"][0]["text"].as_str() {
                    Some(text) => {
                        suggested.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        text.to_string()
                    }
                    None => "Hello, I am here to help you.".to_string(),
                };
                let (status, reply) = person
                    .post(
                        &format!("/v1/conversations/{id}/messages"),
                        json!({ "text": text }),
                    )
                    .await;
                assert_eq!(status, 201, "{reply}");
                if resolved(k) {
                    let (status, done) = person
                        .post(
                            &format!("/v1/conversations/{id}/status"),
                            json!({ "status": "resolved" }),
                        )
                        .await;
                    assert_eq!(status, 200, "{done}");
                }
            }
        }
    };
    in_parallel((0..queue.len()).collect(), work).await;
    let worked = started.elapsed();

    // The end of the day, counted from the API.
    let team_names: BTreeMap<&str, &str> = teams.iter().map(String::as_str).zip(TEAMS).collect();
    let mut counted: BTreeMap<String, usize> = BTreeMap::new();
    let mut contacts = std::collections::BTreeSet::new();
    for conversation in all_conversations(&api, "view=all").await {
        let status = conversation["status"].as_str().unwrap();
        let owner = conversation["owner"]["kind"].as_str().unwrap_or("none");
        let team = conversation["team_id"]
            .as_str()
            .map_or("none", |id| team_names[id]);
        *counted.entry(format!("status {status}")).or_default() += 1;
        *counted.entry(format!("owner {owner}")).or_default() += 1;
        *counted.entry(format!("team {team}")).or_default() += 1;
        contacts.insert(conversation["contact_id"].as_str().unwrap().to_string());
    }
    counted.insert("contacts".into(), contacts.len());
    let expected = expected();
    println!("inbox_day ({label}):");
    println!("  {:<20} {:>8} {:>8}", "count", "script", "inbox");
    for (what, count) in &expected {
        println!(
            "  {what:<20} {count:>8} {:>8}",
            counted.get(what).copied().unwrap_or(0)
        );
    }
    assert_eq!(counted, expected, "the inbox's counts are the script's");
    let turns = CONVERSATIONS + handoffs;
    println!(
        "  {CONVERSATIONS} first messages acknowledged in {:.1} s; all answered by the AI at {:.1} s",
        received.as_secs_f64(),
        answered.as_secs_f64()
    );
    println!(
        "  {handoffs} handoffs in their teams' queues at {:.1} s ({turns} AI turns, {:.1} turns/s)",
        handed.as_secs_f64(),
        turns as f64 / handed.as_secs_f64()
    );
    println!(
        "  claimed, {} replied with a suggestion ({} without one), resolved the script's: done at {:.1} s",
        suggested.load(std::sync::atomic::Ordering::Relaxed),
        queue.len() - suggested.load(std::sync::atomic::Ordering::Relaxed),
        worked.as_secs_f64()
    );
    drop(server);
}

fn main() {
    if !std::env::args().any(|arg| arg == "--bench") {
        return;
    }
    if !EmbedderConfig::from_environment().is_installed() {
        eprintln!("inbox_day: the embedding model is not installed (scripts/setup-model.sh)");
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        match std::env::var("SWITCHBOARD_BENCH_POSTGRES") {
            Ok(url) => {
                let mut env = UNLIMITED.to_vec();
                env.push(("SWITCHBOARD_DATABASE__URL", url.as_str()));
                day("postgres", &env).await;
            }
            Err(_) => day("sqlite", UNLIMITED).await,
        }
    });
}
