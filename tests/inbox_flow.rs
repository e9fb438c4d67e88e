//! The inbox end to end, in this process, on SQLite and PostgreSQL: a customer's message
//! through the api channel gets the AI's answer at the business's webhook (signed); a handoff
//! lands in the team's queue with its summary; a person sees it live, claims it, replies with a
//! suggestion, writes a note that never leaves, resolves it; the customer's next message
//! reopens it for that person. The business's webhook is a local server here, checking each
//! delivery's Standard Webhooks signature as a receiver would.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::routing::post;
use common::app::{Database, Embedding, Options, spawn_app};
use common::eventually;
use common::service::Api;
use connectors::signing::SigningSecret;
use serde_json::{Value, json};

const FACT: &str = "Delivery inside Dubai costs 15 dirhams and takes one day.";

/// What the business's webhook received: each delivery's headers and JSON.
type Deliveries = Arc<Mutex<Vec<(HeaderMap, Bytes)>>>;

async fn webhook() -> (String, Deliveries) {
    let received: Deliveries = Arc::default();
    let kept = received.clone();
    let router = axum::Router::new().route(
        "/hook",
        post(move |headers: HeaderMap, body: Bytes| {
            let kept = kept.clone();
            async move {
                kept.lock().unwrap().push((headers, body));
                axum::Json(json!({ "id": format!("ext-{}", kept.lock().unwrap().len()) }))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (url, received)
}

/// The events an SSE stream delivers, collected as (event, data) while the test runs.
fn watch_events(api: &Api) -> Arc<Mutex<Vec<(String, Value)>>> {
    let seen: Arc<Mutex<Vec<(String, Value)>>> = Arc::default();
    let kept = seen.clone();
    let request = api.request(reqwest::Method::GET, "/v1/events");
    tokio::spawn(async move {
        let mut response = request.send().await.unwrap();
        assert_eq!(response.status(), 200);
        let mut buffer = String::new();
        while let Ok(Some(chunk)) = response.chunk().await {
            buffer.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buffer.find("\n\n") {
                let block: String = buffer.drain(..end + 2).collect();
                let field = |name: &str| {
                    block
                        .lines()
                        .find_map(|line| line.strip_prefix(&format!("{name}:")))
                        .map(|value| value.trim().to_string())
                };
                if let (Some(event), Some(data)) = (field("event"), field("data")) {
                    let data = serde_json::from_str(&data).unwrap_or(Value::Null);
                    kept.lock().unwrap().push((event, data));
                }
            }
        }
    });
    seen
}

async fn the_inbox_takes_a_conversation_from_the_ai_to_a_person_and_back(database: Database) {
    let Some(app) = spawn_app(Options {
        database,
        ..Options::default()
    })
    .await
    else {
        return;
    };
    let api = app.api();
    let agent = api.agent_answering(FACT).await;
    let team = api.create_team("support").await;
    let (amal, amal_api) = api.staff_member("amal@example.com", &team).await;
    let (_, badr_api) = api.staff_member("badr@example.com", &team).await;

    let (hook, deliveries) = webhook().await;
    let channel = website_channel(&api, &agent, &hook).await;
    let channel_id = channel["id"].as_str().unwrap().to_string();
    let secret = SigningSecret::parse(channel["secret"].as_str().unwrap()).unwrap();
    let (_, listed) = api.get(&format!("/v1/channels/{channel_id}")).await;
    assert!(
        listed.get("secret").is_none(),
        "the secret is shown once: {listed}"
    );
    let inbound = format!("/v1/channels/{channel_id}/inbound");

    // The customer asks what the knowledge answers: the AI replies, once, with citations,
    // and the reply reaches the webhook signed.
    let question = json!({ "contact": { "external_id": "c-1", "name": "Huda" },
                           "message": { "id": "m-1", "text": FACT } });
    let (status, first) = api.post(&inbound, question.clone()).await;
    assert_eq!(status, 200, "{first}");
    let (status, again) = api.post(&inbound, question).await;
    assert_eq!(
        (status, &again),
        (200, &first),
        "a retried delivery gives the same ids"
    );
    let conversation = first["conversation_id"].as_str().unwrap().to_string();
    let reply = eventually("the AI's reply", || async {
        api.messages(&conversation)
            .await
            .into_iter()
            .find(|message| message["sender"]["kind"] == "agent")
    })
    .await;
    assert_eq!(reply["direction"], "out");
    assert_eq!(reply["reply_to"], first["message_id"]);
    assert!(reply["text"].as_str().unwrap().contains("15"), "{reply}");
    assert!(
        !reply["citations"].as_array().unwrap().is_empty(),
        "{reply}"
    );
    let delivered = eventually("the webhook's delivery", || async {
        deliveries.lock().unwrap().first().cloned()
    })
    .await;
    let header = |name: &str| delivered.0.get(name).and_then(|value| value.to_str().ok());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!(
        secret.verify(header, &delivered.1, now).is_ok(),
        "signed with the channel's secret"
    );
    let sent: Value = serde_json::from_slice(&delivered.1).unwrap();
    assert_eq!(sent["contact"]["external_id"], "c-1");
    assert_eq!(sent["message"]["reply_to"], "m-1");
    eventually("the reply marked sent", || async {
        let all = api.messages(&conversation).await;
        all.iter()
            .any(|message| message["id"] == reply["id"] && message["status"] == "sent")
            .then_some(())
    })
    .await;
    let (_, shown) = api.get(&format!("/v1/conversations/{conversation}")).await;
    assert_eq!(shown["status"], "pending", "the AI has it: {shown}");
    assert_eq!(shown["owner"]["kind"], "agent");
    assert_eq!(shown["number"], 1);

    // Amal watches the inbox live; the customer asks for a person: the conversation lands in
    // the support queue with the handoff's reason and summary.
    let seen = watch_events(&amal_api);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (status, _) = api
        .post(
            &inbound,
            json!({ "contact": { "external_id": "c-1" },
                    "message": { "id": "m-2", "text": "Can I talk to a human?" } }),
        )
        .await;
    assert_eq!(status, 200);
    let handed = eventually("the handoff", || async {
        let (_, shown) = api.get(&format!("/v1/conversations/{conversation}")).await;
        (shown["status"] == "open").then_some(shown)
    })
    .await;
    assert_eq!(handed["owner"], json!({ "kind": "team", "id": team }));
    assert_eq!(
        handed["handoff"]["reason"]["code"], "human_requested",
        "{handed}"
    );
    assert!(!handed["handoff"]["summary"].as_str().unwrap().is_empty());
    let (_, queue) = amal_api.get("/v1/conversations?view=handoffs").await;
    assert_eq!(queue.as_array().unwrap().len(), 1, "{queue}");
    eventually("the live handoff event", || async {
        seen.lock()
            .unwrap()
            .iter()
            .any(|(event, data)| {
                event == "conversation.handoff" && data["conversation_id"] == conversation.as_str()
            })
            .then_some(())
    })
    .await;
    let activity = api
        .messages(&conversation)
        .await
        .into_iter()
        .find(|message| message["kind"] == "activity")
        .unwrap();
    assert_eq!(activity["handoff"]["reason"]["code"], "human_requested");

    // Amal claims it; Badr cannot take it from her.
    let (status, claimed) = amal_api
        .post(
            &format!("/v1/conversations/{conversation}/claim"),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{claimed}");
    assert_eq!(claimed["owner"], json!({ "kind": "user", "id": amal }));
    let claim = amal_api
        .messages(&conversation)
        .await
        .into_iter()
        .rfind(|message| message["kind"] == "activity")
        .unwrap();
    assert_eq!(claim["text"], "Claimed");
    assert_eq!(claim["activity"], json!({ "kind": "claimed" }));
    assert_eq!(
        claimed["unread"],
        Value::Null,
        "the claim answers as any change does"
    );
    let (_, mine) = amal_api.get("/v1/conversations?view=mine").await;
    assert_eq!(
        mine[0]["unread"], 2,
        "the question and the request for a person: {mine}"
    );
    // The list shows who wrote and what was said last (not the activities).
    assert_eq!(mine[0]["contact_name"], "Huda");
    assert_eq!(claimed["contact_name"], "Huda");
    let said_last = amal_api
        .messages(&conversation)
        .await
        .into_iter()
        .rfind(|message| message["kind"] != "activity" && message["kind"] != "note")
        .unwrap();
    assert_eq!(mine[0]["preview"], said_last["text"], "{mine}");
    let (status, _) = badr_api
        .post(
            &format!("/v1/conversations/{conversation}/claim"),
            json!({}),
        )
        .await;
    assert_eq!(status, 409);

    // She asks for suggestions, replies, and writes a note that never leaves.
    let (status, suggestions) = amal_api
        .post(
            &format!("/v1/conversations/{conversation}/suggestions"),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{suggestions}");
    let text = suggestions["replies"][0]["text"]
        .as_str()
        .unwrap_or("Hello Huda, I am Amal and I will help you.")
        .to_string();
    let (status, sent_reply) = amal_api
        .post(
            &format!("/v1/conversations/{conversation}/messages"),
            json!({ "text": text }),
        )
        .await;
    assert_eq!(status, 201, "{sent_reply}");
    assert_eq!(sent_reply["sender"], json!({ "kind": "user", "id": amal }));
    let (status, note) = amal_api
        .post(
            &format!("/v1/conversations/{conversation}/messages"),
            json!({ "text": "@badr she wants a refund too", "kind": "note" }),
        )
        .await;
    assert_eq!(status, 201, "{note}");
    eventually("the person's reply at the webhook", || async {
        let all = deliveries.lock().unwrap().clone();
        all.iter()
            .any(|(_, body)| String::from_utf8_lossy(body).contains(&text))
            .then_some(())
    })
    .await;

    // Resolved; the customer writes again: open again, Amal's, and the AI stays out of it.
    let (status, resolved) = amal_api
        .post(
            &format!("/v1/conversations/{conversation}/status"),
            json!({ "status": "resolved" }),
        )
        .await;
    assert_eq!(status, 200, "{resolved}");
    assert_eq!(resolved["status"], "resolved");
    let (status, _) = api
        .post(
            &inbound,
            json!({ "contact": { "external_id": "c-1" }, "message": { "id": "m-3", "text": FACT } }),
        )
        .await;
    assert_eq!(status, 200);
    let (_, reopened) = amal_api
        .get(&format!("/v1/conversations/{conversation}"))
        .await;
    assert_eq!(reopened["status"], "open");
    assert_eq!(
        reopened["unread"], 1,
        "her reply read what came before; m-3 is new"
    );
    let read = amal_api
        .send(amal_api.request(
            reqwest::Method::POST,
            &format!("/v1/conversations/{conversation}/read"),
        ))
        .await;
    assert_eq!(read.0, 204);
    let (_, reopened) = amal_api
        .get(&format!("/v1/conversations/{conversation}"))
        .await;
    assert_eq!(reopened["unread"], 0);
    assert_eq!(reopened["owner"]["id"], amal.as_str());
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let all = api.messages(&conversation).await;
    let ai_replies = all
        .iter()
        .filter(|message| message["sender"]["kind"] == "agent" && message["kind"] == "text")
        .count();
    assert_eq!(
        ai_replies, 2,
        "the answer and the handoff's wait message, nothing for m-3"
    );
    let outbound: Vec<String> = deliveries
        .lock()
        .unwrap()
        .iter()
        .map(|(_, body)| String::from_utf8_lossy(body).to_string())
        .collect();
    assert!(
        outbound.iter().all(|body| !body.contains("refund")),
        "the note never reached the customer"
    );
    assert!(
        seen.lock()
            .unwrap()
            .iter()
            .any(|(event, _)| event == "message.created"),
        "the person saw messages live"
    );

    // A wrong signature is refused and stores nothing; unknown ids are not found.
    let body =
        json!({ "contact": { "external_id": "c-1" }, "message": { "id": "m-4", "text": "hi" } })
            .to_string();
    let forged = SigningSecret::from_bytes(vec![1; 32]).headers("d-1", now, body.as_bytes());
    let mut request = api
        .request(reqwest::Method::POST, &inbound)
        .header("content-type", "application/json")
        .body(body.clone());
    for (name, value) in &forged {
        request = request.header(name, value);
    }
    let (status, error) = api.send(request).await;
    assert_eq!(status, 401, "{error}");
    let mut request = api
        .request(reqwest::Method::POST, &inbound)
        .header("content-type", "application/json")
        .body(body.clone());
    for (name, value) in secret.headers("d-2", now, body.as_bytes()) {
        request = request.header(name, value);
    }
    assert_eq!(
        api.send(request).await.0,
        200,
        "the right signature is taken"
    );
    let stored = api.messages(&conversation).await;
    assert_eq!(
        stored
            .iter()
            .filter(|message| message["text"] == "hi")
            .count(),
        1,
        "the forged delivery stored nothing"
    );
    assert_eq!(api.get("/v1/conversations/no-such-id").await.0, 404);
    assert_eq!(
        api.post("/v1/channels/no-such-id/inbound", json!({}))
            .await
            .0,
        404
    );
    let too_long = json!({ "contact": { "external_id": "c-1" },
                           "message": { "id": "m-5", "text": "x".repeat(5_000) } });
    let (status, error) = api.post(&inbound, too_long).await;
    assert_eq!(status, 413, "{error}");
    assert!(error["error"]["message"].as_str().unwrap().contains("4096"));

    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inbox_takes_a_conversation_from_the_ai_to_a_person_and_back_on_sqlite() {
    the_inbox_takes_a_conversation_from_the_ai_to_a_person_and_back(Database::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inbox_takes_a_conversation_from_the_ai_to_a_person_and_back_on_postgres() {
    the_inbox_takes_a_conversation_from_the_ai_to_a_person_and_back(Database::Postgres).await;
}

/// A question the FAQ almost answers is offered the FAQ's nearest questions, numbered; the
/// customer's next message, a number, is answered with the entry it picks: the offer is
/// stored with the reply and read back into the next turn's history. Over the
/// OpenAI-compatible endpoint, where the client keeps the conversation as words, too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_answers_an_offer_with_the_number_of_a_question() {
    let Some(faq) = common::arabic_faq() else {
        return;
    };
    let Some(app) = spawn_app(Options {
        embedding: Embedding::Real,
        ..Options::default()
    })
    .await
    else {
        return;
    };
    let api = app.api();
    let agent = api.agent_answering(&faq).await;
    let (hook, _) = webhook().await;
    let channel = website_channel(&api, &agent, &hook).await;
    let inbound = format!("/v1/channels/{}/inbound", channel["id"].as_str().unwrap());
    let send = |id: &str, text: &str| json!({ "contact": { "external_id": "c-1" }, "message": { "id": id, "text": text } });
    let (status, first) = api
        .post(&inbound, send("m-1", "هل يمكن ربط المنصة بنظام HubSpot؟"))
        .await;
    assert_eq!(status, 200, "{first}");
    let conversation = first["conversation_id"].as_str().unwrap();
    let offer = eventually("the offer", || agent_replies(&api, conversation, 1))
        .await
        .remove(0);
    let offered = "كيف يمكنني التكامل مع أنظمة إدارة علاقات العملاء (CRMs) الأخرى؟";
    let text = offer["text"].as_str().unwrap();
    let number = ["1", "2"]
        .into_iter()
        .find(|number| text.contains(&format!("{number}. «{offered}»")))
        .unwrap_or("1");
    assert!(text.contains(&format!("«{offered}»")), "{offer}");
    assert!(offer["citations"].as_array().unwrap().is_empty(), "{offer}");

    let (status, _) = api.post(&inbound, send("m-2", number)).await;
    assert_eq!(status, 200);
    let answer = eventually("the answer", || agent_replies(&api, conversation, 2))
        .await
        .remove(1);
    assert!(cites(&answer, offered), "{answer}");

    let asked = json!({ "role": "user", "content": "هل يمكن ربط المنصة بنظام HubSpot؟" });
    let (status, completion) = api
        .post(
            "/v1/chat/completions",
            json!({ "model": agent, "messages": [asked] }),
        )
        .await;
    assert_eq!(status, 200, "{completion}");
    let number = completion["offered"]
        .as_array()
        .and_then(|questions| questions.iter().position(|question| question == offered))
        .unwrap_or_else(|| panic!("{completion}"))
        + 1;
    let decline = completion["choices"][0]["message"].clone();
    let picked = json!({ "role": "user", "content": number.to_string() });
    let (status, completion) = api
        .post(
            "/v1/chat/completions",
            json!({ "model": agent, "messages": [asked, decline, picked] }),
        )
        .await;
    assert_eq!(status, 200, "{completion}");
    assert!(cites(&completion, offered), "{completion}");
    app.stop().await;
}

/// Whether a reply (a message or a chat completion) cites a passage at a position naming `place`.
fn cites(reply: &Value, place: &str) -> bool {
    reply["citations"].as_array().is_some_and(|citations| {
        citations.iter().any(|citation| {
            citation["position"]
                .as_str()
                .is_some_and(|position| position.contains(place))
        })
    })
}

/// An api channel answered by `agent`, delivering to `hook`.
async fn website_channel(api: &Api, agent: &str, hook: &str) -> Value {
    let (status, channel) = api
        .post(
            "/v1/channels",
            json!({ "type": "api", "name": "Website", "agent_id": agent, "config": { "webhook_url": hook } }),
        )
        .await;
    assert_eq!(status, 201, "{channel}");
    channel
}

/// The AI's replies in the conversation, once there are `count` of them.
async fn agent_replies(api: &Api, conversation: &str, count: usize) -> Option<Vec<Value>> {
    let replies: Vec<Value> = api
        .messages(conversation)
        .await
        .into_iter()
        .filter(|message| message["sender"]["kind"] == "agent")
        .collect();
    (replies.len() >= count).then_some(replies)
}

/// Many people claim one conversation at once: exactly one gets it.
async fn one_of_many_concurrent_claimers_wins(database: Database) {
    let Some(app) = spawn_app(Options {
        database,
        ..Options::default()
    })
    .await
    else {
        return;
    };
    let api = app.api();
    let (_, team) = api.post("/v1/teams", json!({ "name": "support" })).await;
    let team = team["id"].as_str().unwrap().to_string();
    let (hook, _) = webhook().await;
    let (status, channel) = api
        .post(
            "/v1/channels",
            json!({ "type": "api", "name": "Direct", "team_id": team, "config": { "webhook_url": hook } }),
        )
        .await;
    assert_eq!(status, 201, "{channel}");
    let (_, received) = api
        .post(
            &format!("/v1/channels/{}/inbound", channel["id"].as_str().unwrap()),
            json!({ "contact": { "external_id": "c" }, "message": { "id": "m", "text": "hello" } }),
        )
        .await;
    let conversation = received["conversation_id"].as_str().unwrap().to_string();
    let (_, shown) = api.get(&format!("/v1/conversations/{conversation}")).await;
    assert_eq!(shown["status"], "open", "no agent: straight to people");
    assert_eq!(shown["owner"], json!({ "kind": "team", "id": team }));

    let mut people = Vec::new();
    for number in 0..8 {
        people.push(
            api.staff_member(&format!("p{number}@example.com"), &team)
                .await,
        );
    }
    let claims = people.iter().map(|(_, person)| {
        let path = format!("/v1/conversations/{conversation}/claim");
        async move { person.post(&path, json!({})).await }
    });
    let answers = futures::future::join_all(claims).await;
    let won: Vec<_> = answers
        .iter()
        .filter(|(status, _)| *status == 200)
        .collect();
    assert_eq!(won.len(), 1, "{answers:?}");
    assert!(
        answers
            .iter()
            .all(|(status, _)| *status == 200 || *status == 409),
        "{answers:?}"
    );
    let (_, shown) = api.get(&format!("/v1/conversations/{conversation}")).await;
    assert_eq!(shown["owner"], won[0].1["owner"]);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_of_many_concurrent_claimers_wins_on_sqlite() {
    one_of_many_concurrent_claimers_wins(Database::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_of_many_concurrent_claimers_wins_on_postgres() {
    one_of_many_concurrent_claimers_wins(Database::Postgres).await;
}

/// Conversations wait in the team's queue while nobody is online; people coming online are
/// given the longest waiting first, never past their capacity; one freed by a resolution
/// goes to the next waiting conversation.
async fn waiting_conversations_go_to_people_online_within_their_capacity(database: Database) {
    let Some(app) = spawn_app(Options {
        database,
        ..Options::default()
    })
    .await
    else {
        return;
    };
    let api = app.api();
    let (_, team) = api.post("/v1/teams", json!({ "name": "support" })).await;
    let team = team["id"].as_str().unwrap().to_string();
    let (hook, _) = webhook().await;
    let (_, channel) = api
        .post(
            "/v1/channels",
            json!({ "type": "api", "name": "Direct", "team_id": team, "config": { "webhook_url": hook } }),
        )
        .await;
    let inbound = format!("/v1/channels/{}/inbound", channel["id"].as_str().unwrap());
    let mut conversations = Vec::new();
    for number in 0..4 {
        let (status, received) = api
            .post(
                &inbound,
                json!({ "contact": { "external_id": format!("c-{number}") },
                        "message": { "id": format!("m-{number}"), "text": "hello" } }),
            )
            .await;
        assert_eq!(status, 200, "{received}");
        conversations.push(received["conversation_id"].as_str().unwrap().to_string());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let (amal, amal_api) = api.staff_member("amal@example.com", &team).await;
    let (badr, badr_api) = api.staff_member("badr@example.com", &team).await;
    for (user, capacity) in [(&amal, 1), (&badr, 2)] {
        let (status, body) = api
            .send(
                api.request(reqwest::Method::PATCH, &format!("/v1/users/{user}"))
                    .json(&json!({ "role": "staff", "team_id": team, "capacity": capacity })),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["capacity"], capacity);
    }
    let owner = |conversation: String| {
        let api = api.clone();
        async move {
            let (_, shown) = api.get(&format!("/v1/conversations/{conversation}")).await;
            shown["owner"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        }
    };
    for conversation in &conversations {
        assert_eq!(
            owner(conversation.clone()).await,
            team,
            "all wait in the queue"
        );
    }
    let (status, me) = amal_api
        .put("/v1/presence", json!({ "presence": "online" }))
        .await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["presence"], "online");
    assert_eq!(
        owner(conversations[0].clone()).await,
        amal,
        "the longest waiting to Amal"
    );
    assert_eq!(
        owner(conversations[1].clone()).await,
        team,
        "Amal is at her capacity"
    );
    let (status, _) = badr_api
        .put("/v1/presence", json!({ "presence": "online" }))
        .await;
    assert_eq!(status, 200);
    assert_eq!(owner(conversations[1].clone()).await, badr);
    assert_eq!(owner(conversations[2].clone()).await, badr);
    assert_eq!(
        owner(conversations[3].clone()).await,
        team,
        "nobody is free: it waits"
    );
    let (status, _) = amal_api
        .post(
            &format!("/v1/conversations/{}/status", conversations[0]),
            json!({ "status": "resolved" }),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        owner(conversations[3].clone()).await,
        amal,
        "freed, she takes the next"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_conversations_go_to_people_online_within_their_capacity_on_sqlite() {
    waiting_conversations_go_to_people_online_within_their_capacity(Database::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_conversations_go_to_people_online_within_their_capacity_on_postgres() {
    waiting_conversations_go_to_people_online_within_their_capacity(Database::Postgres).await;
}

/// Search finds a conversation by the words of its messages, Arabic written with or without
/// diacritics and in its letter variants, and only among those the person may see.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conversations_are_found_by_their_messages_words_in_arabic_forms_on_sqlite() {
    conversations_are_found_by_their_messages_words_in_arabic_forms(Database::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conversations_are_found_by_their_messages_words_in_arabic_forms_on_postgres() {
    conversations_are_found_by_their_messages_words_in_arabic_forms(Database::Postgres).await;
}

async fn conversations_are_found_by_their_messages_words_in_arabic_forms(database: Database) {
    let Some(app) = spawn_app(Options {
        database,
        ..Options::default()
    })
    .await
    else {
        return;
    };
    let api = app.api();
    let (hook, _) = webhook().await;
    let (_, channel) = api
        .post(
            "/v1/channels",
            json!({ "type": "api", "name": "Direct", "config": { "webhook_url": hook } }),
        )
        .await;
    let inbound = format!("/v1/channels/{}/inbound", channel["id"].as_str().unwrap());
    let mut ids = Vec::new();
    for (number, text) in [
        "أريد إلغاء الطلبيّة رقم ٤٥",
        "Where is my parcel?",
        "100% sure_thing",
    ]
    .iter()
    .enumerate()
    {
        let (_, received) = api
            .post(
                &inbound,
                json!({ "contact": { "external_id": format!("c-{number}") },
                        "message": { "id": format!("m-{number}"), "text": text } }),
            )
            .await;
        ids.push(received["conversation_id"].as_str().unwrap().to_string());
    }
    let found = |query: &str| {
        let api = api.clone();
        let path = format!("/v1/conversations?q={}", urlencode(query));
        async move {
            let (status, body) = api.get(&path).await;
            assert_eq!(status, 200, "{body}");
            body.as_array()
                .unwrap()
                .iter()
                .map(|conversation| conversation["id"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        found("الغاء الطلبية").await,
        [ids[0].clone()],
        "without hamza or shadda"
    );
    assert_eq!(
        found("رقم 45").await,
        [ids[0].clone()],
        "Arabic-Indic digits"
    );
    assert_eq!(
        found("45").await,
        [ids[0].clone()],
        "shorter than a trigram"
    );
    assert_eq!(found("PARCEL").await, [ids[1].clone()]);
    assert_eq!(
        found("100%").await,
        [ids[2].clone()],
        "% is a character, not a wildcard"
    );
    assert!(
        found("u_e").await.is_empty(),
        "_ is a character, not a wildcard"
    );
    assert!(found("refund").await.is_empty());
    app.stop().await;
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'~' => {
                (byte as char).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

/// Who may do what to which conversation: every role (admin, team admin, staff, and a
/// program's API key) × every action a person takes × a conversation of their team, of another
/// team, of another workspace. Another workspace's is not found; another team's is forbidden
/// below admin; staff give conversations to no one but themselves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_role_may_work_its_own_teams_conversations_and_no_one_elses() {
    let app = spawn_app(Options::default()).await.unwrap();
    let api = app.api();
    let (hook, _) = webhook().await;
    let (_, team_a) = api.post("/v1/teams", json!({ "name": "a" })).await;
    let (_, team_b) = api.post("/v1/teams", json!({ "name": "b" })).await;
    let (team_a, team_b) = (
        team_a["id"].as_str().unwrap().to_string(),
        team_b["id"].as_str().unwrap().to_string(),
    );
    let channel = |api: Api, team: Option<String>| {
        let hook = hook.clone();
        async move {
            let (status, channel) = api
                .post(
                    "/v1/channels",
                    json!({ "type": "api", "name": "Direct", "team_id": team, "config": { "webhook_url": hook } }),
                )
                .await;
            assert_eq!(status, 201, "{channel}");
            format!("/v1/channels/{}/inbound", channel["id"].as_str().unwrap())
        }
    };
    let inbound_a = channel(api.clone(), Some(team_a.clone())).await;
    let inbound_b = channel(api.clone(), Some(team_b.clone())).await;
    let other = app
        .app
        .store
        .workspaces()
        .create("globex", "trial", 100)
        .await
        .unwrap();
    let other_key = app
        .app
        .store
        .api_keys()
        .create(&other.id, "system", "tests")
        .await
        .unwrap();
    let other_api = Api {
        key: other_key.secret,
        ..api.clone()
    };
    let inbound_other = channel(other_api.clone(), None).await;

    let mut callers = vec![("api key", api.clone())];
    for (role, email) in [
        ("admin", "root@example.com"),
        ("team_admin", "lead@example.com"),
        ("staff", "agent@example.com"),
    ] {
        let (status, user) = api
            .post(
                "/v1/users",
                json!({ "email": email, "password": "a long password", "role": role, "team_id": team_a }),
            )
            .await;
        assert_eq!(status, 201, "{user}");
        let (_, session) = api
            .post(
                "/v1/sessions",
                json!({ "email": email, "password": "a long password" }),
            )
            .await;
        callers.push((
            role,
            Api {
                key: session["token"].as_str().unwrap().to_string(),
                ..api.clone()
            },
        ));
    }

    let mut contact = 0;
    for (role, caller) in &callers {
        for (target, sender, inbound) in [
            ("my team's", &api, &inbound_a),
            ("another team's", &api, &inbound_b),
            ("another workspace's", &other_api, &inbound_other),
        ] {
            contact += 1;
            let (_, received) = sender
                .post(
                    inbound,
                    json!({ "contact": { "external_id": format!("c-{contact}") },
                            "message": { "id": format!("m-{contact}"), "text": "hello" } }),
                )
                .await;
            let id = received["conversation_id"].as_str().unwrap().to_string();
            let path = |action: &str| format!("/v1/conversations/{id}{action}");
            let actions: Vec<(&str, reqwest::RequestBuilder)> = vec![
                ("read", caller.request(reqwest::Method::GET, &path(""))),
                (
                    "read messages",
                    caller.request(reqwest::Method::GET, &path("/messages")),
                ),
                (
                    "note",
                    caller
                        .request(reqwest::Method::POST, &path("/messages"))
                        .json(&json!({ "text": "a note", "kind": "note" })),
                ),
                (
                    "reply",
                    caller
                        .request(reqwest::Method::POST, &path("/messages"))
                        .json(&json!({ "text": "a reply" })),
                ),
                (
                    "label",
                    caller
                        .request(reqwest::Method::POST, &path("/labels"))
                        .json(&json!({ "add": ["vip"] })),
                ),
                (
                    "give to a team",
                    caller
                        .request(reqwest::Method::POST, &path("/assign"))
                        .json(&json!({ "team_id": team_a })),
                ),
                (
                    "resolve",
                    caller
                        .request(reqwest::Method::POST, &path("/status"))
                        .json(&json!({ "status": "resolved" })),
                ),
                (
                    "reopen",
                    caller
                        .request(reqwest::Method::POST, &path("/status"))
                        .json(&json!({ "status": "open" })),
                ),
                (
                    "claim",
                    caller.request(reqwest::Method::POST, &path("/claim")),
                ),
            ];
            for (action, request) in actions {
                let (status, body) = caller.send(request).await;
                let expected = match (target, *role, action) {
                    ("another workspace's", _, _) => 404,
                    (_, "api key", "claim") => 422,
                    ("another team's", "api key" | "admin", _) => 200,
                    ("another team's", _, _) => 403,
                    (_, "staff", "give to a team") => 403,
                    _ => 200,
                };
                let status = if status == 201 { 200 } else { status };
                assert_eq!(
                    status, expected,
                    "{role} may {action} {target} conversation? {body}"
                );
            }
        }
    }
    app.stop().await;
}

/// Canned responses: shared ones by admins, a person's own, found by short code prefix, sent
/// with their variables filled for this conversation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn canned_responses_are_sent_with_their_variables_filled() {
    let app = spawn_app(Options::default()).await.unwrap();
    let api = app.api();
    let (_, team) = api.post("/v1/teams", json!({ "name": "support" })).await;
    let team = team["id"].as_str().unwrap().to_string();
    let (_, amal_api) = api.staff_member("amal@example.com", &team).await;
    let (hook, _) = webhook().await;
    let (_, channel) = api
        .post(
            "/v1/channels",
            json!({ "type": "api", "name": "Direct", "team_id": team, "config": { "webhook_url": hook } }),
        )
        .await;
    let (_, received) = api
        .post(
            &format!("/v1/channels/{}/inbound", channel["id"].as_str().unwrap()),
            json!({ "contact": { "external_id": "c", "name": "هدى" }, "message": { "id": "m", "text": "السلام عليكم" } }),
        )
        .await;
    let conversation = received["conversation_id"].as_str().unwrap().to_string();

    let (status, shared) = api
        .post(
            "/v1/canned-responses",
            json!({ "short_code": "Greet", "text": "مرحبا {{contact.name}}، معك {{ agent.name }} في المحادثة {{conversation.number}}", "shared": true }),
        )
        .await;
    assert_eq!(status, 201, "{shared}");
    assert_eq!(shared["short_code"], "greet", "codes are lower case");
    let (status, _) = api
        .post(
            "/v1/canned-responses",
            json!({ "short_code": "greet", "text": "again", "shared": true }),
        )
        .await;
    assert_eq!(status, 409, "one shared code once");
    let (status, error) = amal_api
        .post(
            "/v1/canned-responses",
            json!({ "short_code": "oops", "text": "Hi {{contact.nmae}}" }),
        )
        .await;
    assert_eq!(status, 422, "{error}");
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("contact.nmae")
    );
    let (status, _) = amal_api
        .post(
            "/v1/canned-responses",
            json!({ "short_code": "team", "text": "x", "shared": true }),
        )
        .await;
    assert_eq!(status, 403, "staff make their own, not shared ones");
    let (status, own) = amal_api
        .post(
            "/v1/canned-responses",
            json!({ "short_code": "goodbye", "text": "مع السلامة {{contact.name}}" }),
        )
        .await;
    assert_eq!(status, 201, "{own}");
    let (_, found) = amal_api.get("/v1/canned-responses?prefix=g").await;
    let codes: Vec<&str> = found
        .as_array()
        .unwrap()
        .iter()
        .map(|canned| canned["short_code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["goodbye", "greet"]);
    let (_, for_admin) = api.get("/v1/canned-responses").await;
    assert_eq!(for_admin.as_array().unwrap().len(), 1, "Amal's own is hers");

    let (status, sent) = amal_api
        .post(
            &format!("/v1/conversations/{conversation}/messages"),
            json!({ "canned": "greet" }),
        )
        .await;
    assert_eq!(status, 201, "{sent}");
    assert_eq!(sent["text"], "مرحبا هدى، معك amal في المحادثة 1");
    let (status, _) = amal_api
        .post(
            &format!("/v1/conversations/{conversation}/messages"),
            json!({ "canned": "nope" }),
        )
        .await;
    assert_eq!(status, 404);
    // The writing assistant on this conversation needs a model; none is configured here.
    let (status, error) = amal_api
        .post(
            &format!("/v1/conversations/{conversation}/polish"),
            json!({ "draft": "ok will check", "tone": "formal" }),
        )
        .await;
    assert_eq!(status, 503, "{error}");
    assert_eq!(error["error"]["code"], "llm_not_configured");
    let (status, _) = amal_api
        .post(
            "/v1/conversations/no-such-id/polish",
            json!({ "draft": "x" }),
        )
        .await;
    assert_eq!(status, 404);
    let shared_id = shared["id"].as_str().unwrap();
    assert_eq!(
        amal_api
            .delete(&format!("/v1/canned-responses/{shared_id}"))
            .await,
        404
    );
    assert_eq!(
        api.delete(&format!("/v1/canned-responses/{shared_id}"))
            .await,
        204
    );
    app.stop().await;
}

/// A macro runs its steps in order as the person would; a bulk action does one step to each
/// selected conversation and says, for each other, why not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn macros_and_bulk_actions_do_what_a_person_would_step_by_step() {
    let app = spawn_app(Options::default()).await.unwrap();
    let api = app.api();
    let (_, team) = api.post("/v1/teams", json!({ "name": "billing" })).await;
    let team = team["id"].as_str().unwrap().to_string();
    let (hook, deliveries) = webhook().await;
    let (_, channel) = api
        .post(
            "/v1/channels",
            json!({ "type": "api", "name": "Direct", "config": { "webhook_url": hook } }),
        )
        .await;
    let inbound = format!("/v1/channels/{}/inbound", channel["id"].as_str().unwrap());
    let mut conversations = Vec::new();
    for number in 0..3 {
        let (_, received) = api
            .post(
                &inbound,
                json!({ "contact": { "external_id": format!("c-{number}"), "name": "Huda" },
                        "message": { "id": format!("m-{number}"), "text": "my invoice is wrong" } }),
            )
            .await;
        conversations.push(received["conversation_id"].as_str().unwrap().to_string());
    }
    let (status, _) = api
        .post(
            "/v1/canned-responses",
            json!({ "short_code": "billing", "text": "Thank you {{contact.name}}, billing will answer today.", "shared": true }),
        )
        .await;
    assert_eq!(status, 201);
    let (status, created) = api
        .post(
            "/v1/macros",
            json!({ "name": "To billing", "shared": true, "actions": [
                { "type": "add_label", "label": "billing" },
                { "type": "send_canned", "short_code": "billing" },
                { "type": "assign_team", "team_id": team },
                { "type": "note", "text": "moved by the macro" },
            ] }),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let (status, error) = api
        .post(
            "/v1/macros",
            json!({ "name": "Later", "shared": true, "actions": [{ "type": "set_status", "status": "snoozed" }] }),
        )
        .await;
    assert_eq!(status, 422, "{error}");
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("actions[0]")
    );

    let macro_id = created["id"].as_str().unwrap();
    let (status, ran) = api
        .post(
            &format!("/v1/conversations/{}/macros/{macro_id}", conversations[0]),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{ran}");
    assert_eq!(ran["labels"], json!(["billing"]));
    let (_, labelled) = api.get("/v1/conversations?label=billing").await;
    assert_eq!(
        labelled[0]["labels"],
        json!(["billing"]),
        "a list shows labels too"
    );
    assert_eq!(ran["owner"], json!({ "kind": "team", "id": team }));
    let (_, messages) = api
        .get(&format!("/v1/conversations/{}/messages", conversations[0]))
        .await;
    let texts: Vec<&str> = messages
        .as_array()
        .unwrap()
        .iter()
        .filter(|message| message["kind"] != "activity")
        .map(|message| message["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        texts,
        [
            "my invoice is wrong",
            "Thank you Huda, billing will answer today.",
            "moved by the macro"
        ]
    );
    eventually("the canned reply at the webhook", || async {
        deliveries
            .lock()
            .unwrap()
            .iter()
            .any(|(_, body)| String::from_utf8_lossy(body).contains("Thank you Huda"))
            .then_some(())
    })
    .await;

    let (status, outcomes) = api
        .post(
            "/v1/conversations/bulk",
            json!({ "conversation_ids": [conversations[1], conversations[2], "no-such-id"],
                    "action": { "type": "set_status", "status": "resolved" } }),
        )
        .await;
    assert_eq!(status, 200, "{outcomes}");
    let errors: Vec<&Value> = outcomes
        .as_array()
        .unwrap()
        .iter()
        .map(|outcome| &outcome["error"])
        .collect();
    assert_eq!(errors[0], &Value::Null);
    assert_eq!(errors[1], &Value::Null);
    assert!(
        errors[2].as_str().unwrap().contains("not found"),
        "{outcomes}"
    );
    let (_, resolved) = api.get("/v1/conversations?status=resolved").await;
    assert_eq!(resolved.as_array().unwrap().len(), 2);

    // A filtered list's next page, by its Link header, is filtered alike.
    let mut path = "/v1/conversations?status=resolved&limit=1".to_string();
    let mut pages = Vec::new();
    loop {
        let response = api
            .request(reqwest::Method::GET, &path)
            .send()
            .await
            .unwrap();
        let link = response
            .headers()
            .get("link")
            .map(|value| value.to_str().unwrap().to_string());
        let page: Vec<Value> = response.json().await.unwrap();
        pages.extend(
            page.into_iter()
                .map(|conversation| conversation["status"].clone()),
        );
        let Some(link) = link else { break };
        let target = link
            .trim_start_matches('<')
            .split('>')
            .next()
            .unwrap()
            .to_string();
        assert!(target.contains("status=resolved"), "{target}");
        path = target;
    }
    assert_eq!(pages, [json!("resolved"), json!("resolved")]);
    app.stop().await;
}

/// A week open at all hours, or never.
fn hours(open: bool) -> Value {
    let days: serde_json::Map<String, Value> = if open {
        ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
            .iter()
            .map(|day| (day.to_string(), json!(["00:00-24:00"])))
            .collect()
    } else {
        serde_json::Map::new()
    };
    json!({ "time_zone": "Asia/Riyadh", "days": days })
}

async fn routing_places_handoffs_by_reason_and_covers_closed_hours(database: Database) {
    let Some(app) = spawn_app(Options {
        database,
        ..Options::default()
    })
    .await
    else {
        return;
    };
    let api = app.api();
    let agent = api.agent_answering(FACT).await;
    let mut teams = Vec::new();
    for name in ["support", "care"] {
        let (status, team) = api.post("/v1/teams", json!({ "name": name })).await;
        assert_eq!(status, 201, "{team}");
        teams.push(team["id"].as_str().unwrap().to_string());
    }
    let (support, care) = (&teams[0], &teams[1]);
    let (hook, deliveries) = webhook().await;

    // Open hours: a customer asking for a person goes to the team the channel names for that
    // reason, not the agent's default team.
    let (status, channel) = api
        .post(
            "/v1/channels",
            json!({ "type": "api", "name": "Website", "agent_id": agent, "team_id": support,
                    "config": { "webhook_url": hook },
                    "routing": { "handoff_teams": { "human_requested": care },
                                 "business_hours": hours(true) } }),
        )
        .await;
    assert_eq!(status, 201, "{channel}");
    assert_eq!(
        channel["config"]["routing"]["handoff_teams"]["human_requested"],
        care.as_str()
    );
    let channel_id = channel["id"].as_str().unwrap().to_string();
    let inbound = format!("/v1/channels/{channel_id}/inbound");
    let (status, first) = api
        .post(
            &inbound,
            json!({ "contact": { "external_id": "c-1" },
                    "message": { "id": "m-1", "text": "Can I talk to a human?" } }),
        )
        .await;
    assert_eq!(status, 200, "{first}");
    let conversation = first["conversation_id"].as_str().unwrap().to_string();
    let handed = eventually("the handoff", || async {
        let (_, shown) = api.get(&format!("/v1/conversations/{conversation}")).await;
        (shown["status"] == "open").then_some(shown)
    })
    .await;
    assert_eq!(handed["owner"], json!({ "kind": "team", "id": care }));

    // The business closes; outside hours the AI agent takes the waiting conversation back
    // and answers.
    let (status, changed) = api
        .put(
            &format!("/v1/channels/{channel_id}/routing"),
            json!({ "handoff_teams": { "human_requested": care },
                    "business_hours": hours(false), "outside_hours": { "reply": "agent" } }),
        )
        .await;
    assert_eq!(status, 200, "{changed}");
    let (status, second) = api
        .post(
            &inbound,
            json!({ "contact": { "external_id": "c-1" },
                    "message": { "id": "m-2", "text": FACT } }),
        )
        .await;
    assert_eq!(status, 200, "{second}");
    let (_, shown) = api.get(&format!("/v1/conversations/{conversation}")).await;
    assert_eq!(
        shown["owner"],
        json!({ "kind": "agent", "id": agent }),
        "{shown}"
    );
    assert_eq!(shown["team_id"], care.as_str(), "it keeps its team");
    eventually("the AI's answer outside hours", || async {
        api.messages(&conversation)
            .await
            .into_iter()
            .find(|message| {
                message["sender"]["kind"] == "agent" && message["reply_to"] == second["message_id"]
            })
    })
    .await;

    // A photo alone: the AI does not read it, so people get the conversation, told why.
    let (status, photo) = api
        .post(
            &inbound,
            json!({ "contact": { "external_id": "c-1" },
                    "message": { "id": "m-3", "attachments": [{ "name": "receipt.jpg",
                        "content_type": "image/jpeg", "data": "/9j/4AAQSkZJRgABAQ==" }] } }),
        )
        .await;
    assert_eq!(status, 200, "{photo}");
    let handed = eventually("the handoff of a file", || async {
        let (_, shown) = api.get(&format!("/v1/conversations/{conversation}")).await;
        (shown["owner"]["kind"] == "team").then_some(shown)
    })
    .await;
    assert_eq!(
        handed["handoff"]["reason"]["code"], "media_received",
        "{handed}"
    );
    let website = conversation.clone();
    assert!(
        handed["handoff"]["summary"]
            .as_str()
            .unwrap()
            .contains("receipt.jpg")
    );

    // A channel straight to people, closed: the customer is told once, and waits in the queue.
    const AWAY: &str = "We are closed now; the team answers from 9 in the morning.";
    let (status, people) = api
        .post(
            "/v1/channels",
            json!({ "type": "api", "name": "Shop", "team_id": support,
                    "config": { "webhook_url": hook },
                    "routing": { "business_hours": hours(false),
                                 "outside_hours": { "reply": "away_message", "text": AWAY } } }),
        )
        .await;
    assert_eq!(status, 201, "{people}");
    let people_inbound = format!("/v1/channels/{}/inbound", people["id"].as_str().unwrap());
    let mut conversation = String::new();
    for (id, text) in [("s-1", "Is my order shipped?"), ("s-2", "Hello?")] {
        let (status, received) = api
            .post(
                &people_inbound,
                json!({ "contact": { "external_id": "c-2" }, "message": { "id": id, "text": text } }),
            )
            .await;
        assert_eq!(status, 200, "{received}");
        conversation = received["conversation_id"].as_str().unwrap().to_string();
        // Messages are listed by the millisecond they arrived.
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let all = api.messages(&conversation).await;
    let away: Vec<_> = all
        .iter()
        .filter(|message| message["direction"] == "out")
        .collect();
    assert_eq!(
        away.len(),
        1,
        "one away message for the closed spell: {all:?}"
    );
    assert_eq!(away[0]["text"], AWAY);
    assert_eq!(away[0]["sender"]["kind"], "system");
    assert_eq!(
        (&all[1]["id"], &all[1]["reply_to"]),
        (&away[0]["id"], &all[0]["id"]),
        "it answers the first message and is listed after it: {all:?}"
    );
    let (_, shown) = api.get(&format!("/v1/conversations/{conversation}")).await;
    assert_eq!(shown["owner"], json!({ "kind": "team", "id": support }));
    assert_eq!(shown["status"], "open");
    assert_eq!(
        shown["first_reply_at"],
        Value::Null,
        "an away message is not a reply"
    );
    eventually("the away message at the webhook", || async {
        deliveries
            .lock()
            .unwrap()
            .iter()
            .any(|(_, body)| String::from_utf8_lossy(body).contains(AWAY))
            .then_some(())
    })
    .await;

    // The queue, longest waiting first; a later customer marked urgent is found by priority.
    let (status, later) = api
        .post(
            &people_inbound,
            json!({ "contact": { "external_id": "c-3" }, "message": { "id": "s-3", "text": "Refund?" } }),
        )
        .await;
    assert_eq!(status, 200, "{later}");
    let later = later["conversation_id"].as_str().unwrap();
    let (status, urgent) = api
        .post(
            &format!("/v1/conversations/{later}/priority"),
            json!({ "priority": "urgent" }),
        )
        .await;
    assert_eq!(status, 200, "{urgent}");
    assert_eq!(urgent["priority"], "urgent");
    let ids = |list: &Value| -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|conversation| conversation["id"].as_str().unwrap().to_string())
            .collect()
    };
    let (status, waiting) = api.get("/v1/conversations?sort=waiting").await;
    assert_eq!(status, 200, "{waiting}");
    assert_eq!(
        ids(&waiting),
        [website.as_str(), conversation.as_str(), later],
        "handed over first, then the shop's customers in the order they wrote"
    );
    let (_, page) = api.get("/v1/conversations?sort=waiting&limit=1").await;
    assert_eq!(ids(&page), [website.as_str()]);
    let (_, urgent) = api.get("/v1/conversations?priority=urgent").await;
    assert_eq!(ids(&urgent), [later]);
    let (status, body) = api.get("/v1/conversations?sort=oldest").await;
    assert_eq!(status, 422, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("sort"));

    // Transferred to another team with a note for them; the note stays inside.
    let (status, moved) = api
        .post(
            &format!("/v1/conversations/{later}/assign"),
            json!({ "team_id": care, "note": "Asks for a refund of order 1042" }),
        )
        .await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(moved["owner"], json!({ "kind": "team", "id": care }));
    let (status, body) = api
        .post(
            &format!("/v1/conversations/{later}/assign"),
            json!({ "team_id": support, "note": "x".repeat(5000) }),
        )
        .await;
    assert_eq!(status, 413, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("note: 5000 characters"),
        "{body}"
    );
    let transfer = api
        .messages(later)
        .await
        .into_iter()
        .find(|message| message["kind"] == "activity")
        .unwrap();
    assert!(
        transfer["text"]
            .as_str()
            .unwrap()
            .ends_with(": Asks for a refund of order 1042"),
        "{transfer}"
    );
    // Said in English, and described for an interface to say in its reader's language.
    assert_eq!(
        transfer["activity"]["kind"], "assigned_to_team",
        "{transfer}"
    );
    assert_eq!(
        transfer["activity"]["note"],
        "Asks for a refund of order 1042"
    );
    assert!(transfer["handoff"].is_null());

    // Resolved without a reply, a conversation waits for no one any more.
    let (status, done) = api
        .post(
            &format!("/v1/conversations/{conversation}/status"),
            json!({ "status": "resolved" }),
        )
        .await;
    assert_eq!(status, 200, "{done}");
    let (_, waiting) = api.get("/v1/conversations?sort=waiting").await;
    assert_eq!(ids(&waiting), [website.as_str(), later]);

    // Routing that cannot be carried out is refused, naming the field; nothing changes.
    let people_routing = format!("/v1/channels/{}/routing", people["id"].as_str().unwrap());
    for (routing, field) in [
        (
            json!({ "business_hours": hours(false), "outside_hours": { "reply": "agent" } }),
            "routing.outside_hours",
        ),
        (
            json!({ "business_hours": { "time_zone": "Mars/Olympus", "days": {} } }),
            "business_hours.time_zone",
        ),
        (
            json!({ "business_hours": { "time_zone": "UTC", "days": { "mon": ["17:00-09:00"] } } }),
            "business_hours.days.mon",
        ),
        (
            json!({ "handoff_teams": { "angry": care } }),
            "routing.handoff_teams.angry",
        ),
        (
            json!({ "outside_hours": { "reply": "away_message", "text": " " } }),
            "routing.outside_hours.text",
        ),
    ] {
        let (status, body) = api.put(&people_routing, routing.clone()).await;
        assert_eq!(status, 422, "{routing}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(field), "{routing}: {message}");
    }
    let (status, body) = api
        .put(
            &people_routing,
            json!({ "handoff_teams": { "complaint": "no-such-team" } }),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("routing.handoff_teams.complaint"),
        "{body}"
    );
    let (_, unchanged) = api
        .get(&format!("/v1/channels/{}", people["id"].as_str().unwrap()))
        .await;
    assert_eq!(
        unchanged["config"]["routing"]["outside_hours"]["text"],
        AWAY
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routing_places_handoffs_by_reason_and_covers_closed_hours_on_sqlite() {
    routing_places_handoffs_by_reason_and_covers_closed_hours(Database::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routing_places_handoffs_by_reason_and_covers_closed_hours_on_postgres() {
    routing_places_handoffs_by_reason_and_covers_closed_hours(Database::Postgres).await;
}

async fn one_person_on_two_channels_is_one_contact(database: Database) {
    let Some(app) = spawn_app(Options {
        database,
        ..Options::default()
    })
    .await
    else {
        return;
    };
    let api = app.api();
    let (hook, _) = webhook().await;
    let mut inbound = Vec::new();
    for name in ["WhatsApp line", "Website", "Instagram"] {
        let (status, channel) = api
            .post(
                "/v1/channels",
                json!({ "type": "api", "name": name, "config": { "webhook_url": hook } }),
            )
            .await;
        assert_eq!(status, 201, "{channel}");
        inbound.push(format!(
            "/v1/channels/{}/inbound",
            channel["id"].as_str().unwrap()
        ));
    }
    let contact_of = |received: &Value| {
        let conversation = received["conversation_id"].as_str().unwrap().to_string();
        let api = &api;
        async move {
            let (_, shown) = api.get(&format!("/v1/conversations/{conversation}")).await;
            shown["contact_id"].as_str().unwrap().to_string()
        }
    };
    let post = |channel: usize, contact: Value, id: &str| {
        let (path, api) = (inbound[channel].clone(), &api);
        let body = json!({ "contact": contact, "message": { "id": id, "text": "مرحبا" } });
        async move { api.post(&path, body).await }
    };

    let (status, on_whatsapp) = post(
        0,
        json!({ "external_id": "wa-1", "name": "Huda", "phone": "+971 50 123 4567", "language": "ar" }),
        "m-1",
    )
    .await;
    assert_eq!(status, 200, "{on_whatsapp}");
    let (status, on_web) = post(
        1,
        json!({ "external_id": "web-9", "phone": "+971-50-123-4567", "email": "Huda@Example.com" }),
        "m-2",
    )
    .await;
    assert_eq!(status, 200, "{on_web}");
    let contact = contact_of(&on_whatsapp).await;
    assert_eq!(
        contact,
        contact_of(&on_web).await,
        "the same number, the same person"
    );
    assert_ne!(
        on_whatsapp["conversation_id"], on_web["conversation_id"],
        "a conversation per channel"
    );
    let (status, profile) = api.get(&format!("/v1/contacts/{contact}")).await;
    assert_eq!(status, 200, "{profile}");
    assert_eq!(profile["name"], "Huda");
    assert_eq!(profile["language"], "ar");
    assert_eq!(profile["phones"], json!(["+971501234567"]));
    assert_eq!(profile["emails"], json!(["huda@example.com"]));
    let accounts: Vec<&str> = profile["identities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|identity| identity["external_id"].as_str().unwrap())
        .collect();
    assert_eq!(accounts, ["wa-1", "web-9"]);

    // Known by the email the website gave, on a third channel: the same person again. Another
    // account on a channel where she has one is another person, whatever address it gives;
    // and a new address is a new person.
    let (_, by_email) = post(
        2,
        json!({ "external_id": "ig-7", "email": "huda@example.com" }),
        "m-3",
    )
    .await;
    assert_eq!(contact_of(&by_email).await, contact);
    let (_, same_channel) = post(
        0,
        json!({ "external_id": "wa-2", "email": "huda@example.com" }),
        "m-3b",
    )
    .await;
    assert_ne!(contact_of(&same_channel).await, contact);
    let (_, stranger) = post(
        1,
        json!({ "external_id": "web-10", "email": "sara@example.com" }),
        "m-4",
    )
    .await;
    assert_ne!(contact_of(&stranger).await, contact);
    let (_, profile) = api.get(&format!("/v1/contacts/{contact}")).await;
    assert_eq!(
        profile["identities"].as_array().unwrap().len(),
        3,
        "{profile}"
    );

    // A staff member of a team none of her conversations is in does not see her details.
    let (status, team) = api.post("/v1/teams", json!({ "name": "sales" })).await;
    assert_eq!(status, 201, "{team}");
    let (_, staff) = api
        .staff_member("badr@example.com", team["id"].as_str().unwrap())
        .await;
    let (status, body) = staff.get(&format!("/v1/contacts/{contact}")).await;
    assert_eq!(status, 403, "{body}");

    // A number without its country code, a broken address, a made-up language: refused by
    // field, nothing stored.
    let (_, before) = api.get("/v1/conversations").await;
    for (field, value) in [
        ("phone", "050 123 4567"),
        ("email", "huda.example.com"),
        ("language", "Arabic language"),
    ] {
        let mut contact = json!({ "external_id": "wa-3" });
        contact[field] = json!(value);
        let (status, body) = post(0, contact, "m-5").await;
        assert_eq!(status, 422, "{field}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(&format!("contact.{field}")), "{message}");
    }
    let (_, after) = api.get("/v1/conversations").await;
    assert_eq!(before, after);
    let (status, _) = api.get("/v1/contacts/no-such-contact").await;
    assert_eq!(status, 404);

    // A photo with a caption is kept by its checksum and read back whole; one over the cap
    // is refused naming the limit, and nothing is stored.
    use base64::Engine;
    let photo: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    let encoded = base64::engine::general_purpose::STANDARD.encode(&photo);
    let body = json!({ "contact": { "external_id": "wa-1" },
                       "message": { "id": "m-7", "text": "هذه الفاتورة",
                                    "attachments": [{ "name": "invoice.png", "content_type": "image/png", "data": encoded }] } });
    let (status, with_file) = api.post(&inbound[0], body).await;
    assert_eq!(status, 200, "{with_file}");
    let conversation = with_file["conversation_id"].as_str().unwrap();
    let listed = api.messages(conversation).await;
    let media = listed
        .iter()
        .find(|message| message["id"] == with_file["message_id"])
        .unwrap();
    assert_eq!(media["kind"], "media");
    assert_eq!(media["text"], "هذه الفاتورة");
    let attachment = &media["attachments"][0];
    assert_eq!(attachment["name"], "invoice.png");
    assert_eq!(attachment["bytes"], 70_000);
    let response = api
        .request(
            reqwest::Method::GET,
            &format!(
                "/v1/conversations/{conversation}/attachments/{}",
                attachment["checksum"].as_str().unwrap()
            ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/png");
    assert_eq!(response.bytes().await.unwrap().as_ref(), photo.as_slice());
    let (status, _) = api
        .get(&format!(
            "/v1/conversations/{}/attachments/{}",
            on_web["conversation_id"].as_str().unwrap(),
            attachment["checksum"].as_str().unwrap()
        ))
        .await;
    assert_eq!(
        status, 404,
        "another conversation's file is not found there"
    );

    let large = base64::engine::general_purpose::STANDARD.encode(vec![
        7u8;
        connectors::api::MAX_ATTACHMENT_BYTES
            + 1
    ]);
    let body = json!({ "contact": { "external_id": "wa-1" },
                       "message": { "id": "m-8", "attachments": [{ "name": "film.mp4", "content_type": "video/mp4", "data": large }] } });
    let (status, refused) = api.post(&inbound[0], body).await;
    assert_eq!(status, 413, "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains(&connectors::api::MAX_ATTACHMENT_BYTES.to_string()),
        "{refused}"
    );
    let after_refusal = api.messages(conversation).await;
    assert_eq!(after_refusal.len(), listed.len(), "nothing stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_person_on_two_channels_is_one_contact_on_sqlite() {
    one_person_on_two_channels_is_one_contact(Database::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_person_on_two_channels_is_one_contact_on_postgres() {
    one_person_on_two_channels_is_one_contact(Database::Postgres).await;
}
