//! kill -9 during a burst of customers' messages with an AI agent answering them, then a
//! restart: every acknowledged message is stored once and has exactly one AI reply, none
//! twice; the messages the business saw fail are posted again and stored once too.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::service::{Api, TestServer, create_workspace};
use serde_json::{Value, json};

const FACT: &str = "Delivery inside Dubai costs 15 dirhams and takes one day.";
const CONTACTS: usize = 10;
const PER_CONTACT: usize = 6;

fn message(contact: usize, number: usize) -> Value {
    json!({
        "contact": { "external_id": format!("c-{contact}") },
        "message": { "id": format!("m-{contact}-{number}"), "text": FACT },
    })
}

async fn conversation_messages(api: &Api) -> Vec<Value> {
    let (status, conversations) = api.get("/v1/conversations?limit=500").await;
    assert_eq!(status, 200, "{conversations}");
    let mut all = Vec::new();
    for conversation in conversations.as_array().unwrap() {
        let id = conversation["id"].as_str().unwrap();
        let (status, messages) = api
            .get(&format!("/v1/conversations/{id}/messages?limit=500"))
            .await;
        assert_eq!(status, 200, "{messages}");
        all.extend(messages.as_array().unwrap().iter().cloned());
    }
    all
}

#[tokio::test]
async fn a_burst_killed_midway_leaves_each_message_stored_once_with_one_answer() {
    if !common::model_ready() {
        return;
    }
    let data_dir = tempfile::tempdir().unwrap();
    let env = [
        ("SWITCHBOARD_FETCH__ALLOW_PRIVATE_ADDRESSES", "true"),
        ("SWITCHBOARD_JOBS__LEASE_SECONDS", "3"),
        ("SWITCHBOARD_RATE_LIMIT__PER_SECOND", "10000"),
        ("SWITCHBOARD_RATE_LIMIT__BURST", "10000"),
    ];
    let (_, key) = create_workspace(data_dir.path(), &env, "acme", 10_000);
    let server = TestServer::start(data_dir.path(), &env);
    let api = Api::new(&server, &key);
    let agent = api.agent_answering(FACT).await;
    // A webhook that takes every delivery.
    let hook = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook_url = format!("http://{}/hook", hook.local_addr().unwrap());
    tokio::spawn(async move {
        let router = axum::Router::new().route("/hook", axum::routing::post(|| async { "ok" }));
        axum::serve(hook, router).await.unwrap();
    });
    let (status, channel) = api
        .post(
            "/v1/channels",
            json!({ "type": "api", "name": "Website", "agent_id": agent,
                    "config": { "webhook_url": hook_url } }),
        )
        .await;
    assert_eq!(status, 201, "{channel}");
    let inbound = format!("/v1/channels/{}/inbound", channel["id"].as_str().unwrap());

    // Eight senders post the burst; the server is killed once a third is acknowledged.
    let acknowledged: Arc<Mutex<HashMap<String, Value>>> = Arc::default();
    let work: Vec<(usize, usize)> = (0..PER_CONTACT)
        .flat_map(|number| (0..CONTACTS).map(move |contact| (contact, number)))
        .collect();
    let queue = Arc::new(Mutex::new(work.clone()));
    let senders: Vec<_> = (0..8)
        .map(|_| {
            let api = api.clone();
            let inbound = inbound.clone();
            let queue = queue.clone();
            let acknowledged = acknowledged.clone();
            tokio::spawn(async move {
                loop {
                    let Some((contact, number)) = queue.lock().unwrap().pop() else {
                        return;
                    };
                    let sent = api
                        .request(reqwest::Method::POST, &inbound)
                        .json(&message(contact, number))
                        .send()
                        .await;
                    match sent {
                        Ok(response) if response.status() == 200 => {
                            let ids: Value = response.json().await.unwrap();
                            acknowledged
                                .lock()
                                .unwrap()
                                .insert(format!("m-{contact}-{number}"), ids);
                        }
                        _ => return,
                    }
                }
            })
        })
        .collect();
    let started = Instant::now();
    while acknowledged.lock().unwrap().len() < work.len() / 3 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the burst stalled"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.kill();
    for sender in senders {
        let _ = sender.await;
    }
    let before_kill = acknowledged.lock().unwrap().clone();
    assert!(before_kill.len() < work.len(), "the kill came mid-burst");

    // The business posts again what it did not see acknowledged, and once more one it did.
    let server = TestServer::start(data_dir.path(), &env);
    let api = Api::new(&server, &key);
    for (contact, number) in &work {
        let id = format!("m-{contact}-{number}");
        let (status, ids) = api.post(&inbound, message(*contact, *number)).await;
        assert_eq!(status, 200, "{ids}");
        if let Some(first) = before_kill.get(&id) {
            assert_eq!(&ids, first, "{id} was stored before the kill: the same ids");
        }
    }

    // Every message gets its one answer.
    let started = Instant::now();
    let messages = loop {
        let messages = conversation_messages(&api).await;
        let answered = messages
            .iter()
            .filter(|message| message["sender"]["kind"] == "agent")
            .count();
        if answered >= work.len() {
            break messages;
        }
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "{answered} of {} answered after 5 minutes",
            work.len()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    tokio::time::sleep(Duration::from_secs(2)).await;
    let messages = {
        let again = conversation_messages(&api).await;
        assert_eq!(again.len(), messages.len(), "nothing more arrives");
        again
    };
    let inbound_ids: Vec<&Value> = messages
        .iter()
        .filter(|message| message["direction"] == "in")
        .map(|message| &message["id"])
        .collect();
    assert_eq!(inbound_ids.len(), work.len(), "each message stored once");
    for id in inbound_ids {
        let answers = messages
            .iter()
            .filter(|message| message["sender"]["kind"] == "agent" && &message["reply_to"] == id)
            .count();
        assert_eq!(answers, 1, "message {id} has {answers} answers");
    }
    let (_, conversations) = api.get("/v1/conversations").await;
    assert_eq!(
        conversations.as_array().unwrap().len(),
        CONTACTS,
        "one conversation each"
    );
    server.stop();
}
