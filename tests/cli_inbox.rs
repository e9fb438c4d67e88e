//! `switchboard inbox tail` against a running service: a customer's message appears as a line.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::service::{Api, TestServer, create_workspace};
use serde_json::json;

#[tokio::test]
async fn the_tail_prints_each_event_as_a_line() {
    let data_dir = tempfile::tempdir().unwrap();
    let env = [("SWITCHBOARD_FETCH__ALLOW_PRIVATE_ADDRESSES", "true")];
    let (_, key) = create_workspace(data_dir.path(), &env, "acme", 10);
    let server = TestServer::start(data_dir.path(), &env);
    let api = Api::new(&server, &key);
    let (status, channel) = api
        .post(
            "/v1/channels",
            json!({ "type": "api", "name": "Website", "config": { "webhook_url": "http://127.0.0.1:9/hook" } }),
        )
        .await;
    assert_eq!(status, 201, "{channel}");
    let (status, received) = api
        .post(
            &format!("/v1/channels/{}/inbound", channel["id"].as_str().unwrap()),
            json!({ "contact": { "external_id": "c-1" }, "message": { "id": "m-1", "text": "هل التوصيل مجاني؟" } }),
        )
        .await;
    assert_eq!(status, 200, "{received}");

    let mut tail = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["inbox", "tail", "--since", "0", "--url", &server.url])
        .env("SWITCHBOARD_API_KEY", &key)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = tail.stdout.take().unwrap();
    let (lines, arrived) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    let first = arrived.recv_timeout(Duration::from_secs(30)).unwrap();
    let second = arrived.recv_timeout(Duration::from_secs(30)).unwrap();
    let _ = tail.kill();
    let _ = tail.wait();
    let conversation = received["conversation_id"].as_str().unwrap();
    assert_eq!(first, format!("1\tconversation.created\t{conversation}\t"));
    assert_eq!(
        second,
        format!("2\tmessage.created\t{conversation}\tin text: هل التوصيل مجاني؟")
    );
    server.stop();
}
