//! Live inbox events across processes: two servers share one PostgreSQL database; a message
//! received by one reaches a person streaming events from the other, and a client that
//! reconnects with `Last-Event-ID` gets what it missed, in order.

mod common;

use std::time::Duration;

use common::service::{Api, TestServer, create_workspace};
use records::scratch::scratch_postgres;
use serde_json::json;

/// Reads an event stream until `wanted` events arrived or `limit` passed: (id, event, data).
async fn read_events(
    api: &Api,
    last_event_id: Option<&str>,
    wanted: usize,
    limit: Duration,
) -> Vec<(String, String, serde_json::Value)> {
    let mut request = api.request(reqwest::Method::GET, "/v1/events");
    if let Some(id) = last_event_id {
        request = request.header("last-event-id", id);
    }
    let mut response = request.send().await.unwrap();
    assert_eq!(response.status(), 200);
    let mut events = Vec::new();
    let mut buffer = String::new();
    let deadline = tokio::time::Instant::now() + limit;
    while events.len() < wanted {
        let Ok(Ok(Some(chunk))) = tokio::time::timeout_at(deadline, response.chunk()).await else {
            break;
        };
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            let field = |name: &str| {
                block
                    .lines()
                    .find_map(|line| line.strip_prefix(&format!("{name}:")))
                    .map(|value| value.trim().to_string())
            };
            if let (Some(id), Some(event), Some(data)) =
                (field("id"), field("event"), field("data"))
            {
                events.push((id, event, serde_json::from_str(&data).unwrap()));
            }
        }
    }
    events
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_reach_a_person_connected_to_another_process_and_resume_in_order() {
    let Some(scratch) = scratch_postgres().await.unwrap() else {
        return;
    };
    let first_dir = tempfile::tempdir().unwrap();
    let second_dir = tempfile::tempdir().unwrap();
    let env = [
        ("SWITCHBOARD_DATABASE__URL", scratch.url.as_str()),
        // Both processes open the channels' sealed secrets.
        (
            "SWITCHBOARD_SECRETS__KEY",
            "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        ),
        ("SWITCHBOARD_FETCH__ALLOW_PRIVATE_ADDRESSES", "true"),
    ];
    let (_, key) = create_workspace(first_dir.path(), &env, "acme", 100);
    let first = TestServer::start(first_dir.path(), &env);
    let second = TestServer::start(second_dir.path(), &env);
    let on_first = Api::new(&first, &key);
    let on_second = Api::new(&second, &key);

    let (status, channel) = on_first
        .post(
            "/v1/channels",
            json!({ "type": "api", "name": "Website", "config": { "webhook_url": "http://127.0.0.1:9/hook" } }),
        )
        .await;
    assert_eq!(status, 201, "{channel}");
    let inbound = format!("/v1/channels/{}/inbound", channel["id"].as_str().unwrap());

    let watching = {
        let on_second = on_second.clone();
        tokio::spawn(async move { read_events(&on_second, None, 2, Duration::from_secs(30)).await })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (status, received) = on_first
        .post(
            &inbound,
            json!({ "contact": { "external_id": "c-1" }, "message": { "id": "m-1", "text": "مرحبا" } }),
        )
        .await;
    assert_eq!(status, 200, "{received}");
    let live = watching.await.unwrap();
    let kinds: Vec<&str> = live.iter().map(|(_, event, _)| event.as_str()).collect();
    assert_eq!(
        kinds,
        ["conversation.created", "message.created"],
        "{live:?}"
    );
    assert_eq!(live[1].2["message_id"], received["message_id"]);
    assert_eq!(live[1].2["text"], "مرحبا");

    // More happens while nobody watches; a client resuming after the first event gets the
    // rest, in order, from the other process.
    for number in 2..=4 {
        let (status, _) = on_first
            .post(
                &inbound,
                json!({ "contact": { "external_id": "c-1" },
                        "message": { "id": format!("m-{number}"), "text": format!("message {number}") } }),
            )
            .await;
        assert_eq!(status, 200);
    }
    let resumed = read_events(&on_second, Some(&live[0].0), 4, Duration::from_secs(10)).await;
    let texts: Vec<&str> = resumed
        .iter()
        .map(|(_, _, data)| data["text"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        texts,
        ["مرحبا", "message 2", "message 3", "message 4"],
        "{resumed:?}"
    );
    let ids: Vec<i64> = resumed
        .iter()
        .map(|(id, _, _)| id.parse().unwrap())
        .collect();
    assert!(
        ids.windows(2).all(|pair| pair[0] < pair[1]),
        "in order: {ids:?}"
    );

    first.stop();
    second.stop();
    scratch.drop().await.unwrap();
}
