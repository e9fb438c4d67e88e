//! The API end to end, through the binary: on SQLite, and on PostgreSQL where one answers
//! (SWITCHBOARD_TEST_POSTGRES, default postgres://postgres@127.0.0.1:5432/postgres).

mod common;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::service::{Api, TestServer, create_workspace};
use serde_json::{Value, json};

fn demo_document(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("demo")
            .join(name),
    )
    .unwrap()
}

#[tokio::test]
async fn the_api_on_sqlite() {
    if !common::model_ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    scenario(dir.path(), &[]).await;
}

#[tokio::test]
async fn the_api_on_postgres() {
    if !common::model_ready() {
        return;
    }
    let Some(database) = records::scratch::scratch_postgres().await.unwrap() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    scenario(dir.path(), &[("SWITCHBOARD_DATABASE__URL", &database.url)]).await;
    database.drop().await.unwrap();
}

async fn scenario(data_dir: &Path, env: &[(&str, &str)]) {
    let mut env = env.to_vec();
    env.push(("SWITCHBOARD_LIMITS__UPLOAD_BYTES", "200000"));
    // The test's web server is on loopback.
    env.push(("SWITCHBOARD_FETCH__ALLOW_PRIVATE_ADDRESSES", "true"));
    let (_, key) = create_workspace(data_dir, &env, "acme", 1000);
    let (_, other_key) = create_workspace(data_dir, &env, "globex", 1000);
    let (_, poor_key) = create_workspace(data_dir, &env, "poor", 1);
    let server = TestServer::start(data_dir, &env);
    let api = Api::new(&server, &key);
    let other = Api::new(&server, &other_key);

    // Knowledge: two uploads (English, Arabic), ingested in the background.
    let kb = api.create_knowledge_base("faq").await;
    let (status, english) = api
        .upload(
            &format!("/v1/knowledge-bases/{kb}/sources"),
            "faq.md",
            demo_document("qahwa-house-faq.md"),
        )
        .await;
    assert_eq!(status, 202, "{english}");
    assert_eq!(english["status"], "queued");
    let (status, arabic) = api
        .upload(
            &format!("/v1/knowledge-bases/{kb}/sources"),
            "faq.ar.md",
            demo_document("qahwa-house-faq.ar.md"),
        )
        .await;
    assert_eq!(status, 202, "{arabic}");
    let sources = api.wait_until_ready(&kb).await;
    assert_eq!(sources.len(), 2);
    for source in &sources {
        let (_, detail) = api
            .get(&format!("/v1/sources/{}", source["id"].as_str().unwrap()))
            .await;
        assert!(detail["chunks"].as_i64().unwrap() > 0);
        assert_eq!(detail["indexed"], detail["chunks"], "{detail}");
    }

    // Bad uploads: too large (the error names the limit), no file, an unparseable file.
    let (status, body) = api
        .upload(
            &format!("/v1/knowledge-bases/{kb}/sources"),
            "huge.txt",
            vec![b'a'; 300_000],
        )
        .await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["error"]["code"], "payload_too_large");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("200000"),
        "{body}"
    );
    let (status, body) = api
        .upload(
            &format!("/v1/knowledge-bases/{kb}/sources"),
            "empty.txt",
            Vec::new(),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let broken_kb = api.create_knowledge_base("broken").await;
    let (_, broken) = api
        .upload(
            &format!("/v1/knowledge-bases/{broken_kb}/sources"),
            "broken.pdf",
            b"%PDF-1.7\nnot really".to_vec(),
        )
        .await;
    let broken_id = broken["id"].as_str().unwrap().to_string();
    let failed = wait_for_status(&api, &broken_id, "failed").await;
    assert!(
        failed["error"].as_str().unwrap().contains("broken.pdf"),
        "{failed}"
    );

    // A web page as a source, and a page that is not there (a permanent failure that says so).
    let (site, flaky_requests) = serve_pages();
    let (status, page) = api
        .post(
            &format!("/v1/knowledge-bases/{kb}/urls"),
            json!({ "url": format!("{site}/shipping.html") }),
        )
        .await;
    assert_eq!(status, 202, "{page}");
    let page = wait_for_status(&api, page["id"].as_str().unwrap(), "ready").await;
    assert!(page["chunks"].as_i64().unwrap() > 0, "{page}");
    let (_, missing) = api
        .post(
            &format!("/v1/knowledge-bases/{broken_kb}/urls"),
            json!({ "url": format!("{site}/gone.html") }),
        )
        .await;
    let missing = wait_for_status(&api, missing["id"].as_str().unwrap(), "failed").await;
    assert!(
        missing["error"].as_str().unwrap().contains("404"),
        "{missing}"
    );
    // A page that answers 503 once is fetched again after a backoff, and becomes ready.
    let (_, flaky) = api
        .post(
            &format!("/v1/knowledge-bases/{broken_kb}/urls"),
            json!({ "url": format!("{site}/flaky.html") }),
        )
        .await;
    let flaky = wait_for_status(&api, flaky["id"].as_str().unwrap(), "ready").await;
    assert!(flaky["chunks"].as_i64().unwrap() > 0, "{flaky}");
    assert_eq!(
        flaky_requests.load(Ordering::SeqCst),
        2,
        "one failure, one retry"
    );
    let (status, body) = api
        .post(
            &format!("/v1/knowledge-bases/{kb}/urls"),
            json!({ "url": "file:///etc/passwd" }),
        )
        .await;
    assert_eq!(status, 422, "{body}");

    // An agent over the knowledge base.
    let config = json!({
        "name": "Qahwa helper",
        "tone": "friendly",
        "knowledge_base": kb,
        "handoff": { "rules": [ { "name": "wholesale", "team": "sales", "keywords": ["wholesale", "بالجملة"] } ] }
    });
    let (status, agent) = api.post("/v1/agents", config.clone()).await;
    assert_eq!(status, 201, "{agent}");
    let agent_id = agent["id"].as_str().unwrap().to_string();
    let (status, body) = api
        .post(
            "/v1/agents",
            json!({ "name": "x", "knowledge_base": "missing" }),
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("knowledge_base"),
        "{body}"
    );
    let (status, body) = api
        .post(
            "/v1/agents",
            json!({ "name": "x", "knowledge_base": kb, "handoff": { "min_confidence": 3 } }),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("handoff.min_confidence"),
        "{body}"
    );

    // English and Arabic questions get cited answers from the right document.
    let (status, turn) = api
        .ask(&agent_id, "Can I return an opened bag of coffee?")
        .await;
    assert_eq!(status, 200, "{turn}");
    assert_eq!(turn["action"], "reply", "{turn}");
    assert_eq!(turn["citations"][0]["source"], "faq.md", "{turn}");
    assert_eq!(turn["credits"], 1);
    let english_turn = turn["id"].as_str().unwrap().to_string();
    let (_, turn) = api.ask(&agent_id, "متى يفتح المقهى يوم الجمعة؟").await;
    assert_eq!(turn["action"], "reply", "{turn}");
    assert_eq!(turn["citations"][0]["source"], "faq.ar.md", "{turn}");
    assert!(turn["text"].as_str().unwrap().contains("الجمعة"), "{turn}");
    let (_, turn) = api
        .ask(&agent_id, "I want to buy wholesale for my office")
        .await;
    assert_eq!(turn["action"], "handoff", "{turn}");
    assert_eq!(turn["team"], "sales", "{turn}");
    assert_eq!(turn["credits"], 0);

    // The same as Server-Sent Events.
    let response = api
        .request(
            reqwest::Method::POST,
            &format!("/v1/agents/{agent_id}/messages"),
        )
        .header("accept", "text/event-stream")
        .json(&json!({ "message": "How much does delivery cost?" }))
        .send()
        .await
        .unwrap();
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let events = response.text().await.unwrap();
    let turn_event = events
        .split("\n\n")
        .find(|event| event.starts_with("event: turn"))
        .unwrap_or_else(|| panic!("no turn event in {events}"));
    let turn: Value = serde_json::from_str(turn_event.split_once("data: ").unwrap().1).unwrap();
    assert_eq!(turn["action"], "reply", "{turn}");
    assert!(turn["text"].as_str().unwrap().contains("15 AED"), "{turn}");

    // The OpenAI-compatible endpoint, plain and streamed.
    let (status, completion) = api
        .post(
            "/v1/chat/completions",
            json!({
                "model": agent_id,
                "messages": [
                    { "role": "system", "content": "ignored" },
                    { "role": "user", "content": "Do you deliver to Sharjah?" }
                ]
            }),
        )
        .await;
    assert_eq!(status, 200, "{completion}");
    assert_eq!(completion["object"], "chat.completion");
    assert!(
        completion["choices"][0]["message"]["content"]
            .as_str()
            .unwrap()
            .contains("Sharjah"),
        "{completion}"
    );
    assert_eq!(completion["citations"][0]["source"], "faq.md");
    let streamed = api
        .events(
            "/v1/chat/completions",
            json!({ "model": agent_id, "stream": true, "messages": [ { "role": "user", "content": "Do you deliver to Sharjah?" } ] }),
        )
        .await;
    let chunks: Vec<Value> = streamed
        .lines()
        .filter_map(|line| line.strip_prefix("data: "))
        .filter(|data| *data != "[DONE]")
        .map(|data| serde_json::from_str(data).unwrap())
        .collect();
    let text: String = chunks
        .iter()
        .filter_map(|chunk| chunk["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(
        text,
        completion["choices"][0]["message"]["content"]
            .as_str()
            .unwrap()
    );
    assert_eq!(
        chunks.last().unwrap()["choices"][0]["finish_reason"],
        "stop"
    );
    assert!(streamed.trim_end().ends_with("data: [DONE]"));
    let (status, body) = api.post("/v1/chat/completions", json!({ "model": "no-such-agent", "messages": [ { "role": "user", "content": "hi" } ] })).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("not_found"))
    );

    // Feedback, suggestions, the writing assistant without a model.
    let (status, feedback) = api
        .post(
            &format!("/v1/turns/{english_turn}/feedback"),
            json!({ "rating": "down", "correction": "Opened bags are replaced if stale." }),
        )
        .await;
    assert_eq!(status, 201, "{feedback}");
    let (status, suggestions) = api
        .post(
            &format!("/v1/agents/{agent_id}/suggestions"),
            json!({ "message": "Can I pay cash on delivery?" }),
        )
        .await;
    assert_eq!(status, 200, "{suggestions}");
    assert!(
        !suggestions["replies"].as_array().unwrap().is_empty(),
        "{suggestions}"
    );
    let (status, body) = api
        .post("/v1/polish", json!({ "draft": "ur order is late sorry" }))
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (503, Some("llm_not_configured"))
    );

    // A new version keeps the old one.
    let mut updated = config.clone();
    updated["tone"] = json!("formal");
    let (status, agent) = api.put(&format!("/v1/agents/{agent_id}"), updated).await;
    assert_eq!(
        (status, agent["version"].as_i64()),
        (200, Some(2)),
        "{agent}"
    );
    let (_, versions) = api.get(&format!("/v1/agents/{agent_id}/versions")).await;
    assert_eq!(versions.as_array().unwrap().len(), 2);

    // Another workspace sees none of it.
    let english_id = english["id"].as_str().unwrap();
    for path in [
        format!("/v1/agents/{agent_id}"),
        format!("/v1/knowledge-bases/{kb}"),
        format!("/v1/knowledge-bases/{kb}/sources"),
        format!("/v1/sources/{english_id}"),
    ] {
        let (status, body) = other.get(&path).await;
        assert_eq!(status, 404, "{path}: {body}");
    }
    let (status, _) = other.ask(&agent_id, "hours?").await;
    assert_eq!(status, 404);
    let (status, _) = other
        .post(
            &format!("/v1/turns/{english_turn}/feedback"),
            json!({ "rating": "up" }),
        )
        .await;
    assert_eq!(status, 404);
    assert_eq!(
        other.delete(&format!("/v1/sources/{english_id}")).await,
        404
    );
    assert!(
        other
            .get("/v1/agents")
            .await
            .1
            .as_array()
            .unwrap()
            .is_empty()
    );

    // No credential, a wrong one: 401 everywhere under /v1.
    let anonymous = Api {
        key: "sb_wrong".into(),
        ..api.clone()
    };
    let (status, body) = anonymous.get("/v1/agents").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("unauthorized"))
    );
    let (status, _) = api
        .send(api.client.get(format!("{}/v1/knowledge-bases", api.url)))
        .await;
    assert_eq!(status, 401);

    // Credits: the ledger shows what was spent; a spent balance is 402, naming plan and balance.
    let (_, workspace) = api.get("/v1/workspace").await;
    let spent = 1000 - workspace["credit_balance"].as_i64().unwrap();
    assert!(
        (4..=8).contains(&spent),
        "replies and suggestions spent {spent}: {workspace}"
    );
    let poor = Api::new(&server, &poor_key);
    let poor_kb = poor.create_knowledge_base("faq").await;
    poor.upload(
        &format!("/v1/knowledge-bases/{poor_kb}/sources"),
        "faq.md",
        demo_document("qahwa-house-faq.md"),
    )
    .await;
    poor.wait_until_ready(&poor_kb).await;
    let (_, poor_agent) = poor
        .post(
            "/v1/agents",
            json!({ "name": "a", "knowledge_base": poor_kb }),
        )
        .await;
    let poor_agent = poor_agent["id"].as_str().unwrap().to_string();
    let (status, _) = poor.ask(&poor_agent, "How much does delivery cost?").await;
    assert_eq!(status, 200);
    let (status, body) = poor.ask(&poor_agent, "How much does delivery cost?").await;
    assert_eq!(status, 402, "{body}");
    assert_eq!(body["error"]["code"], "insufficient_credits");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("trial") && message.contains("0 credits"),
        "{message}"
    );
    let (status, body) = poor
        .post(
            &format!("/v1/agents/{poor_agent}/suggestions"),
            json!({ "message": "delivery?" }),
        )
        .await;
    assert_eq!(status, 402, "{body}");

    // A top-up from the command line, and the agent answers again.
    common::service::grant_credits(data_dir, &env, "poor", 5);
    let (status, _) = poor.ask(&poor_agent, "How much does delivery cost?").await;
    assert_eq!(status, 200);

    // People: an admin adds staff, who log in with a session, may not manage people, and log out.
    let (status, staff) = api
        .post("/v1/users", json!({ "email": "Sara@acme.example", "password": "a long passphrase", "role": "staff" }))
        .await;
    assert_eq!(status, 201, "{staff}");
    let (status, body) = api
        .post(
            "/v1/users",
            json!({ "email": "x@acme.example", "password": "short", "role": "staff" }),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let (status, session) = api
        .send(
            api.client
                .post(format!("{}/v1/sessions", api.url))
                .json(&json!({ "email": "sara@acme.example", "password": "a long passphrase" })),
        )
        .await;
    assert_eq!(status, 200, "{session}");
    let sara = Api {
        key: session["token"].as_str().unwrap().to_string(),
        ..api.clone()
    };
    assert_eq!(sara.get("/v1/agents").await.0, 200);
    let (status, body) = sara.get("/v1/users").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("forbidden"))
    );
    let staff_id = staff["id"].as_str().unwrap();
    let (status, promoted) = api
        .send(
            api.request(reqwest::Method::PATCH, &format!("/v1/users/{staff_id}"))
                .json(&json!({ "role": "team_admin" })),
        )
        .await;
    assert_eq!(
        (status, promoted["role"].as_str()),
        (200, Some("team_admin")),
        "{promoted}"
    );
    assert_eq!(sara.get("/v1/users").await.1.as_array().unwrap().len(), 1);
    assert_eq!(other.get("/v1/users").await.1.as_array().unwrap().len(), 0);
    let (status, _) = api
        .send(api.request(reqwest::Method::DELETE, "/v1/sessions"))
        .await;
    assert_eq!(status, 422, "an API key is not a session");
    assert_eq!(
        sara.send(sara.request(reqwest::Method::DELETE, "/v1/sessions"))
            .await
            .0,
        204
    );
    assert_eq!(sara.get("/v1/agents").await.0, 401);
    let (status, _) = api
        .send(
            api.client
                .post(format!("{}/v1/sessions", api.url))
                .json(&json!({ "email": "sara@acme.example", "password": "wrong" })),
        )
        .await;
    assert_eq!(status, 401);

    // Replacing a file replaces its chunks; deleting a source removes them.
    let (status, replaced) = api
        .replace(
            english_id,
            "faq-short.md",
            b"# Hours\n\nWe open at 8 every day.".to_vec(),
        )
        .await;
    assert_eq!(status, 202, "{replaced}");
    let ready = wait_for_status(&api, english_id, "ready").await;
    assert_eq!(
        (ready["chunks"].as_i64(), ready["indexed"].as_i64()),
        (Some(1), Some(1)),
        "{ready}"
    );
    assert_eq!(ready["name"], "faq-short.md");
    let (status, _) = api
        .post(&format!("/v1/sources/{english_id}/resync"), json!({}))
        .await;
    assert_eq!(status, 202);
    wait_for_status(&api, english_id, "ready").await;
    assert_eq!(api.delete(&format!("/v1/sources/{english_id}")).await, 204);
    assert_eq!(api.get(&format!("/v1/sources/{english_id}")).await.0, 404);

    // Operations: health, readiness, metrics, the OpenAPI description, JSON errors.
    let plain = reqwest::Client::new();
    assert_eq!(
        plain
            .get(format!("{}/healthz", api.url))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        plain
            .get(format!("{}/readyz", api.url))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let metrics = plain
        .get(format!("{}/metrics", api.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("switchboard_http_request_duration_seconds_bucket{method=\"POST\",route=\"/v1/agents/{id}/messages\",status=\"200\""), "{metrics}");
    assert!(
        metrics.contains("switchboard_ingestion_queue_depth 0"),
        "{metrics}"
    );
    let embedded = metrics
        .lines()
        .find_map(|line| line.strip_prefix("switchboard_chunks_embedded_total "))
        .unwrap();
    assert!(embedded.parse::<f64>().unwrap() > 10.0);
    let spec: Value = plain
        .get(format!("{}/openapi.json", api.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(spec["openapi"].as_str().unwrap().starts_with("3.1"));
    for schema in [
        "Turn",
        "Citation",
        "Handoff",
        "Trace",
        "Suggestions",
        "AgentConfig",
        "HandoffRule",
    ] {
        assert!(
            spec["components"]["schemas"].get(schema).is_some(),
            "{schema} missing from the OpenAPI schemas"
        );
    }
    for path in [
        "/v1/agents/{id}/messages",
        "/v1/chat/completions",
        "/v1/knowledge-bases/{id}/sources",
    ] {
        assert!(
            spec["paths"].get(path).is_some(),
            "{path} missing from the OpenAPI description"
        );
    }
    let (status, body) = api
        .send(
            api.request(reqwest::Method::POST, "/v1/agents")
                .body("{not json")
                .header("content-type", "application/json"),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("bad_request"))
    );

    // The audit log saw the changes.
    let (_, audit) = api.get("/v1/audit-log").await;
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["action"].as_str().unwrap())
        .collect();
    for expected in [
        "agent.create",
        "agent.update",
        "source.create",
        "source.delete",
        "feedback.create",
        "user.create",
        "user.update",
    ] {
        assert!(actions.contains(&expected), "{expected} not in {actions:?}");
    }
    assert_eq!(
        server.stop().code(),
        Some(0),
        "a graceful stop exits cleanly"
    );
}

/// A web server on loopback with the test's HTML fixture at /shipping.html, the same at
/// /flaky.html after a first 503, and nothing else; and how often /flaky.html was asked for.
fn serve_pages() -> (String, Arc<AtomicUsize>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let page = std::fs::read(common::fixture("shipping.html")).unwrap();
    let flaky_requests = Arc::new(AtomicUsize::new(0));
    let counter = flaky_requests.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = [0u8; 4096];
            let read = stream.read(&mut request).unwrap_or(0);
            let head = String::from_utf8_lossy(&request[..read]);
            let flaky = head.starts_with("GET /flaky.html ");
            let unavailable = flaky && counter.fetch_add(1, Ordering::SeqCst) == 0;
            let response = if unavailable {
                b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec()
            } else if flaky || head.starts_with("GET /shipping.html ") {
                let mut response = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    page.len()
                )
                .into_bytes();
                response.extend_from_slice(&page);
                response
            } else {
                b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec()
            };
            let _ = stream.write_all(&response);
        }
    });
    (format!("http://{address}"), flaky_requests)
}

async fn wait_for_status(api: &Api, source: &str, wanted: &str) -> Value {
    for _ in 0..3000 {
        let (_, detail) = api.get(&format!("/v1/sources/{source}")).await;
        if detail["status"] == wanted {
            return detail;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("source {source} never became {wanted}");
}

#[tokio::test]
async fn a_key_past_its_rate_is_told_when_to_come_back() {
    if !common::model_ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("SWITCHBOARD_RATE_LIMIT__BURST", "3"),
        ("SWITCHBOARD_RATE_LIMIT__PER_SECOND", "0.2"),
    ];
    let (_, key) = create_workspace(dir.path(), &env, "busy", 10);
    let server = TestServer::start(dir.path(), &env);
    let api = Api::new(&server, &key);
    for _ in 0..3 {
        assert_eq!(api.get("/v1/agents").await.0, 200);
    }
    let response = api
        .request(reqwest::Method::GET, "/v1/agents")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "5");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited");
}
