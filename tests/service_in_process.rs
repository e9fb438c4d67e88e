//! The API in this process (`spawn_app`), with the deterministic embedder: the service's own
//! behaviour, which does not depend on what the model understands.

mod common;

use std::sync::Arc;
use std::time::Duration;

use agentflow::AgentConfig;
use agentflow::llm::{LlmClient, LlmSettings, OpenAiClient};
use axum::routing::post;
use common::app::{Database, Options, spawn_app};
use knowledge::index::local_qdrant::LocalQdrant;
use knowledge::index::{ServerIndex, VectorIndex};
use serde_json::{Value, json};

/// An OpenAI-compatible server that takes `delay` to answer anything.
async fn slow_model(delay: Duration) -> Arc<dyn LlmClient> {
    let router = axum::Router::new().route(
        "/v1/chat/completions",
        post(move || async move {
            tokio::time::sleep(delay).await;
            axum::Json(json!({
                "id": "chatcmpl-slow",
                "object": "chat.completion",
                "created": 0,
                "model": "slow",
                "choices": [{
                    "index": 0,
                    "message": { "role": "assistant", "content": "Delivery inside Dubai costs 15 dirhams [1]." },
                    "finish_reason": "stop"
                }]
            }))
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    Arc::new(OpenAiClient::new(LlmSettings::new(&url, "slow")))
}

const FACT: &str = "Delivery inside Dubai costs 15 dirhams and takes one day.";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_leaves_mid_turn_is_not_charged_on_sqlite() {
    a_client_that_leaves_mid_turn_is_not_charged(Database::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_leaves_mid_turn_is_not_charged_on_postgres() {
    a_client_that_leaves_mid_turn_is_not_charged(Database::Postgres).await;
}

/// Twenty customers give up on a turn while the model is still writing: each request's
/// reservation is given back, no turn is recorded, and the ledger adds up to the allowance.
async fn a_client_that_leaves_mid_turn_is_not_charged(database: Database) {
    let Some(app) = spawn_app(Options {
        database,
        llm: Some(slow_model(Duration::from_secs(3)).await),
        credits: 100,
        ..Options::default()
    })
    .await
    else {
        return;
    };
    let api = app.api();
    let agent = api.agent_answering(FACT).await;

    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(400))
        .build()
        .unwrap();
    for _ in 0..20 {
        let cut = impatient
            .post(format!("{}/v1/agents/{agent}/messages", app.url))
            .bearer_auth(&app.key)
            .json(&json!({ "message": FACT }))
            .send()
            .await;
        assert!(
            cut.is_err(),
            "the turn waits for the model, longer than the client"
        );
    }
    // Reservations come back as the abandoned requests are dropped.
    let mut balance = 0;
    for _ in 0..100 {
        let (_, workspace) = api.get("/v1/workspace").await;
        balance = workspace["credit_balance"].as_i64().unwrap();
        if balance == 100 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(balance, 100, "every abandoned reservation is given back");
    let (_, ledger) = api.get("/v1/credits").await;
    let spent: i64 = ledger
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["delta"].as_i64().unwrap())
        .sum();
    assert_eq!(spent, 100, "the ledger adds up to the allowance: {ledger}");
    app.stop().await;
}

/// With `qdrant.url` set every turn used to panic ("Cannot start a runtime from within a
/// runtime"): messages closed with no response, streams ended empty, credits were lost, and
/// shutdown panicked too. Here the whole path runs against a local server speaking Qdrant's
/// gRPC protocol (built from qdrant-client's own service definitions).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agents_answer_from_a_qdrant_server() {
    let qdrant = LocalQdrant::start().await.unwrap();
    let url = qdrant.url().to_string();
    let index = tokio::task::spawn_blocking(move || ServerIndex::connect(&url, "switchboard", 384))
        .await
        .unwrap()
        .unwrap();
    let index: Arc<dyn VectorIndex> = Arc::new(index);
    let app = spawn_app(Options {
        index: Some(index),
        credits: 100,
        ..Options::default()
    })
    .await
    .unwrap();
    let api = app.api();
    let knowledge_base = api.create_knowledge_base("faq").await;
    let (status, body) = api
        .upload(
            &format!("/v1/knowledge-bases/{knowledge_base}/sources"),
            "delivery.txt",
            FACT.as_bytes().to_vec(),
        )
        .await;
    assert_eq!(status, 202, "{body}");
    let sources = api.wait_until_ready(&knowledge_base).await;
    let source = sources[0]["id"].as_str().unwrap();
    let (_, detail) = api.get(&format!("/v1/sources/{source}")).await;
    assert_eq!(detail["indexed"], detail["chunks"], "{detail}");
    let config = serde_json::to_value(AgentConfig::default_support(&knowledge_base)).unwrap();
    let (status, agent) = api.post("/v1/agents", config).await;
    assert_eq!(status, 201, "{agent}");
    let agent = agent["id"].as_str().unwrap();

    let (status, turn) = api.ask(agent, FACT).await;
    assert_eq!(status, 200, "{turn}");
    assert_eq!(turn["action"], "reply", "{turn}");
    assert!(
        turn["text"].as_str().unwrap().contains("15 dirhams"),
        "{turn}"
    );
    let streamed = api
        .events(
            &format!("/v1/agents/{agent}/messages"),
            json!({ "message": FACT, "stream": true }),
        )
        .await;
    assert!(streamed.contains("event: turn"), "{streamed}");
    let (status, completion) = api
        .post(
            "/v1/chat/completions",
            json!({ "model": agent, "messages": [{ "role": "user", "content": FACT }] }),
        )
        .await;
    assert_eq!(status, 200, "{completion}");
    let content = completion["choices"][0]["message"]["content"].clone();
    assert!(
        content.as_str().unwrap_or_default().contains("15 dirhams"),
        "{completion}"
    );
    let (_, workspace) = api.get("/v1/workspace").await;
    assert_eq!(
        workspace["credit_balance"],
        Value::from(97),
        "three replies, three credits"
    );

    assert_eq!(api.delete(&format!("/v1/sources/{source}")).await, 204);
    let (status, turn) = api.ask(agent, FACT).await;
    assert_eq!(status, 200, "{turn}");
    assert!(
        !turn["text"]
            .as_str()
            .unwrap_or_default()
            .contains("15 dirhams")
            && turn["trace"]["retrieved"] == json!([]),
        "a deleted source answers nothing: {turn}"
    );
    // Shutting down drops the index inside the runtime: it must not panic.
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_sources_stop_at_the_limit_on_sqlite() {
    parallel_sources_stop_at_the_limit(Database::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_sources_stop_at_the_limit_on_postgres() {
    parallel_sources_stop_at_the_limit(Database::Postgres).await;
}

/// Twenty URLs added at once to an empty knowledge base with room for ten: ten are accepted
/// and ten refused naming the limit (they were all accepted before the limit was counted in
/// the inserting statement).
async fn parallel_sources_stop_at_the_limit(database: Database) {
    let Some(app) = spawn_app(Options {
        database,
        ..Options::default()
    })
    .await
    else {
        return;
    };
    let api = app.api();
    let knowledge_base = api.create_knowledge_base("crowded").await;
    let requests = (0..20).map(|number| {
        let api = api.clone();
        let path = format!("/v1/knowledge-bases/{knowledge_base}/urls");
        tokio::spawn(async move {
            api.post(
                &path,
                json!({ "url": format!("http://127.0.0.1:9/page-{number}") }),
            )
            .await
        })
    });
    let mut accepted = 0;
    for request in requests {
        let (status, body) = request.await.unwrap();
        match status {
            202 => accepted += 1,
            422 => assert!(
                body["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("at most 10"),
                "{body}"
            ),
            other => panic!("{other}: {body}"),
        }
    }
    assert_eq!(accepted, 10);
    let (_, sources) = api
        .get(&format!("/v1/knowledge-bases/{knowledge_base}/sources"))
        .await;
    assert_eq!(sources.as_array().unwrap().len(), 10);
    app.stop().await;
}

/// Every id a request body carries is checked against the caller's workspace: another
/// workspace's is "not found" like one that does not exist (a team id of another workspace
/// used to be accepted, and an unknown one answered 500).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ids_in_bodies_stay_in_the_callers_workspace() {
    let app = spawn_app(Options::default()).await.unwrap();
    let api = app.api();
    let store = &app.app.store;
    let other = store
        .workspaces()
        .create("globex", "trial", 10)
        .await
        .unwrap();
    let their_team = store
        .teams()
        .create(&other.id, "system", "sales")
        .await
        .unwrap();
    let their_kb = store
        .knowledge_bases()
        .create(&other.id, "system", "theirs")
        .await
        .unwrap();
    let their_config = serde_json::to_value(AgentConfig::default_support(&their_kb.id)).unwrap();
    let their_agent = store
        .agents()
        .create(&other.id, "system", "theirs", &their_config.to_string())
        .await
        .unwrap();

    for team in [their_team.id.as_str(), "no-such-team"] {
        let (status, body) = api
            .post(
                "/v1/users",
                json!({ "email": "omar@acme.example", "password": "long enough password", "role": "staff", "team_id": team }),
            )
            .await;
        assert_eq!(status, 404, "team {team}: {body}");
        assert_eq!(body["error"]["code"], "not_found");
    }
    let (status, user) = api
        .post(
            "/v1/users",
            json!({ "email": "omar@acme.example", "password": "long enough password", "role": "staff" }),
        )
        .await;
    assert_eq!(status, 201, "{user}");
    let patch = api
        .request(
            reqwest::Method::PATCH,
            &format!("/v1/users/{}", user["id"].as_str().unwrap()),
        )
        .json(&json!({ "role": "staff", "team_id": their_team.id }));
    let (status, body) = api.send(patch).await;
    assert_eq!(status, 404, "{body}");

    let (status, body) = api.post("/v1/agents", their_config).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("knowledge_base"),
        "{body}"
    );
    let (status, body) = api
        .post(
            "/v1/chat/completions",
            json!({ "model": their_agent.id, "messages": [{ "role": "user", "content": "hi" }] }),
        )
        .await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = api
        .post(
            &format!("/v1/agents/{}/suggestions", their_agent.id),
            json!({ "message": "hi" }),
        )
        .await;
    assert_eq!(status, 404, "{body}");
    app.stop().await;
}

/// Wrong passwords are limited per account (and per client address): after five, even the
/// right password waits, with `Retry-After`; another account is not locked by them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_passwords_lock_the_account_for_a_while() {
    let app = spawn_app(Options::default()).await.unwrap();
    let store = &app.app.store;
    for email in ["mona@acme.example", "omar@acme.example"] {
        store
            .people()
            .create(
                &app.workspace,
                "system",
                &records::Email::parse(email).unwrap(),
                "correct horse battery",
                records::Role::Staff,
                None,
            )
            .await
            .unwrap();
    }
    let client = reqwest::Client::new();
    let sign_in = |email: &str, password: &str| {
        client
            .post(format!("{}/v1/sessions", app.url))
            .json(&json!({ "email": email, "password": password }))
            .send()
    };
    for _ in 0..5 {
        let response = sign_in("mona@acme.example", "wrong").await.unwrap();
        assert_eq!(response.status(), 401);
    }
    let locked = sign_in("Mona@acme.example", "correct horse battery")
        .await
        .unwrap();
    assert_eq!(locked.status(), 429);
    let wait: u64 = locked.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait > 0 && wait <= 900, "{wait}");
    let other = sign_in("omar@acme.example", "correct horse battery")
        .await
        .unwrap();
    assert_eq!(other.status(), 200, "another account is not locked");

    // Twenty guesses sent at once are counted as they arrive, not after their checks: at most
    // five are checked (the first one was counted before the others were admitted).
    let guesses = (0..20).map(|number| {
        let client = client.clone();
        let url = format!("{}/v1/sessions", app.url);
        tokio::spawn(async move {
            client
                .post(url)
                .json(
                    &json!({ "email": "omar@acme.example", "password": format!("guess {number}") }),
                )
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        })
    });
    let mut checked = 0;
    for guess in guesses {
        match guess.await.unwrap() {
            401 => checked += 1,
            429 => {}
            other => panic!("{other}"),
        }
    }
    assert!(checked <= 5, "{checked} guesses were checked");
    // An error rewritten to JSON keeps its headers.
    let response = client
        .delete(format!("{}/v1/workspace", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    assert!(response.headers().contains_key("allow"));
    app.stop().await;
}

/// What can be known when a source is added is refused then, with the error its ingestion
/// would have given later (both were accepted with 202 and failed in the background).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_that_cannot_be_read_is_refused_at_once() {
    let app = spawn_app(Options {
        private_urls: false,
        ..Options::default()
    })
    .await
    .unwrap();
    let api = app.api();
    let knowledge_base = api.create_knowledge_base("faq").await;
    let sources = format!("/v1/knowledge-bases/{knowledge_base}/sources");
    let mut program = b"MZ\x90\x00\x03\x00\x00\x00".to_vec();
    program.extend(std::iter::repeat_n(0u8, 4096));
    let (status, body) = api.upload(&sources, "setup.exe", program).await;
    assert_eq!(status, 422, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.starts_with("setup.exe: "), "{message}");
    let urls = format!("/v1/knowledge-bases/{knowledge_base}/urls");
    for (url, expected) in [
        ("http://127.0.0.1:9/admin", "refusing to fetch"),
        (
            "http://169.254.169.254/latest/meta-data",
            "refusing to fetch",
        ),
        ("http://[::1]/", "refusing to fetch"),
    ] {
        let (status, body) = api.post(&urls, json!({ "url": url })).await;
        assert_eq!(status, 422, "{url}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(expected), "{url}: {message}");
    }
    let (_, listed) = api.get(&sources).await;
    assert_eq!(listed, json!([]), "nothing was stored");
    app.stop().await;
}

/// What OpenAI clients rely on: real token counts, the agents listed as models, errors with
/// `type` and `param`, usage on request at the end of a stream, and what an agent cannot do
/// refused rather than ignored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openai_clients_get_usage_models_and_clear_refusals() {
    let app = spawn_app(Options::default()).await.unwrap();
    let api = app.api();
    let agent = api.agent_answering(FACT).await;
    let agent = agent.as_str();

    let (status, models) = api.get("/v1/models").await;
    assert_eq!(status, 200, "{models}");
    assert_eq!(models["object"], "list");
    assert_eq!(models["data"][0]["id"], agent, "{models}");
    assert_eq!(models["data"][0]["object"], "model");

    let ask = json!({ "model": agent, "messages": [{ "role": "user", "content": FACT }] });
    let (status, completion) = api.post("/v1/chat/completions", ask.clone()).await;
    assert_eq!(status, 200, "{completion}");
    let usage = &completion["usage"];
    assert!(usage["prompt_tokens"].as_u64().unwrap() >= 10, "{usage}");
    assert!(usage["completion_tokens"].as_u64().unwrap() > 0, "{usage}");
    assert_eq!(
        usage["total_tokens"].as_u64(),
        Some(
            usage["prompt_tokens"].as_u64().unwrap() + usage["completion_tokens"].as_u64().unwrap()
        )
    );

    let mut streamed = ask.clone();
    streamed["stream"] = json!(true);
    streamed["stream_options"] = json!({ "include_usage": true });
    let events = api.events("/v1/chat/completions", streamed).await;
    let chunks: Vec<Value> = events
        .lines()
        .filter_map(|line| line.strip_prefix("data: "))
        .filter(|data| *data != "[DONE]")
        .map(|data| serde_json::from_str(data).unwrap())
        .collect();
    let last = chunks.last().unwrap();
    assert_eq!(last["choices"], json!([]), "{last}");
    assert_eq!(last["usage"], completion["usage"], "{last}");
    assert!(events.trim_end().ends_with("data: [DONE]"));

    for (field, value) in [
        ("n", json!(2)),
        (
            "tools",
            json!([{ "type": "function", "function": { "name": "f" } }]),
        ),
        ("response_format", json!({ "type": "json_object" })),
    ] {
        let mut refused = ask.clone();
        refused[field] = value;
        let (status, body) = api.post("/v1/chat/completions", refused).await;
        assert_eq!(status, 400, "{field}: {body}");
        assert_eq!(body["error"]["param"], field, "{body}");
        assert_eq!(body["error"]["type"], "invalid_request_error", "{body}");
    }
    let (status, body) = api
        .post(
            "/v1/chat/completions",
            json!({ "model": "no-such-agent", "messages": [{ "role": "user", "content": "hi" }] }),
        )
        .await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "not_found");
    assert_eq!(body["error"]["type"], "invalid_request_error");
    assert_eq!(body["error"]["param"], Value::Null);
    app.stop().await;
}

/// Every list pages with a cursor: `?limit=` and `?cursor=`, the next page's cursor in
/// `X-Next-Cursor` and `Link`; a limit out of range or a cursor no list gave is refused by name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_page_with_a_cursor() {
    let app = spawn_app(Options::default()).await.unwrap();
    let api = app.api();
    let mut created = Vec::new();
    for number in 0..5 {
        created.push(api.create_knowledge_base(&format!("kb {number}")).await);
    }
    let mut seen = Vec::new();
    let mut path = "/v1/knowledge-bases?limit=2".to_string();
    for expected in [2, 2, 1] {
        let response = api
            .request(reqwest::Method::GET, &path)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let next = response
            .headers()
            .get("x-next-cursor")
            .map(|value| value.to_str().unwrap().to_string());
        let link = response
            .headers()
            .get("link")
            .map(|value| value.to_str().unwrap().to_string());
        let page: Vec<Value> = response.json().await.unwrap();
        assert_eq!(page.len(), expected);
        seen.extend(page.iter().map(|kb| kb["id"].as_str().unwrap().to_string()));
        match next {
            Some(cursor) => {
                assert!(link.unwrap().contains(&cursor));
                path = format!("/v1/knowledge-bases?limit=2&cursor={cursor}");
            }
            None => assert_eq!(expected, 1, "only the last page has no cursor"),
        }
    }
    // Created within one millisecond, knowledge bases follow their ids: compare as sets.
    let mut sorted_seen = seen.clone();
    sorted_seen.sort();
    sorted_seen.dedup();
    let mut sorted_created = created.clone();
    sorted_created.sort();
    assert_eq!(
        sorted_seen, sorted_created,
        "every knowledge base once: {seen:?}"
    );
    let (_, ledger) = api.get("/v1/credits?limit=1").await;
    assert_eq!(ledger.as_array().unwrap().len(), 1);
    for (path, field) in [
        ("/v1/audit-log?limit=0", "limit"),
        ("/v1/agents?limit=501", "limit"),
        ("/v1/teams?cursor=nonsense", "cursor"),
    ] {
        let (status, body) = api.get(path).await;
        assert_eq!(status, 422, "{path}: {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with(field),
            "{path}: {body}"
        );
    }
    app.stop().await;
}
