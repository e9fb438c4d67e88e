//! The web chat widget over HTTP, as the script on a site speaks to it: a visitor answers the
//! pre-chat form, writes, and reads the AI's answer and a person's live from the event stream
//! (typing included); a returning visitor keeps their conversation; the site's identity hash
//! links its signed-in users and a wrong one is refused. The script itself in a real browser
//! is `tests/browser/widget.test.mjs`.

mod common;

use std::time::Duration;

use common::app::{Database, Options, spawn_app};
use common::eventually;
use common::service::Api;
use serde_json::{Value, json};

const FACT: &str = "Delivery inside Dubai costs 15 dirhams and takes one day.";
const HMAC_SECRET: &str = "the site's widget secret, 32 chars";

/// A visitor's client: the widget's endpoints with their token.
struct Visitor {
    base: String,
    token: String,
    client: reqwest::Client,
}

impl Visitor {
    async fn start(
        api: &Api,
        channel: &str,
        body: Value,
    ) -> Result<(Visitor, Value), (u16, Value)> {
        let base = format!("{}/widget/{channel}", api.url);
        let response = api
            .client
            .post(format!("{base}/sessions"))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let session: Value = response.json().await.unwrap();
        if status != 200 {
            return Err((status, session));
        }
        let visitor = Visitor {
            base,
            token: session["token"].as_str().unwrap().to_string(),
            client: api.client.clone(),
        };
        Ok((visitor, session))
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn messages(&self) -> Vec<Value> {
        let response = self
            .client
            .get(format!("{}/messages", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    async fn stream(&self) -> EventStream {
        let response = self
            .client
            .get(format!("{}/events?token={}", self.base, self.token))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        EventStream {
            response,
            buffer: String::new(),
        }
    }
}

/// A Server-Sent Events stream read as it comes.
struct EventStream {
    response: reqwest::Response,
    buffer: String,
}

impl EventStream {
    /// The next event that `wanted` accepts (event name, data), waiting 20 s at most; the
    /// events passed over on the way are returned too, in order.
    async fn until(&mut self, wanted: impl Fn(&str, &Value) -> bool) -> Vec<(String, Value)> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        let mut seen = Vec::new();
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let field = |name: &str| {
                    block
                        .lines()
                        .find_map(|line| line.strip_prefix(&format!("{name}:")))
                        .map(|value| value.trim().to_string())
                };
                if let (Some(event), Some(data)) = (field("event"), field("data")) {
                    let data: Value = serde_json::from_str(&data).unwrap();
                    let done = wanted(&event, &data);
                    seen.push((event, data));
                    if done {
                        return seen;
                    }
                }
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk()).await;
            let Ok(Ok(Some(chunk))) = chunk else {
                panic!("the stream ended or went quiet; seen: {seen:?}");
            };
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visitor_chats_with_the_ai_and_then_a_person_live_on_sqlite() {
    a_visitor_chats_with_the_ai_and_then_a_person_live(Database::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visitor_chats_with_the_ai_and_then_a_person_live_on_postgres() {
    a_visitor_chats_with_the_ai_and_then_a_person_live(Database::Postgres).await;
}

async fn a_visitor_chats_with_the_ai_and_then_a_person_live(database: Database) {
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
    let (_, amal) = api.staff_member("amal@example.com", &team).await;
    let (status, channel) = api
        .post(
            "/v1/channels",
            json!({ "type": "widget", "name": "Acme", "agent_id": agent, "team_id": team,
                    "config": { "hmac_secret": HMAC_SECRET,
                                "pre_chat": { "name": "required", "email": "optional" } } }),
        )
        .await;
    assert_eq!(status, 201, "{channel}");
    let id = channel["id"].as_str().unwrap();
    let embed = channel["embed"].as_str().unwrap();
    assert!(
        embed.contains("/widget.js") && embed.contains(&format!("data-channel=\"{id}\"")),
        "{embed}"
    );
    assert!(!channel.to_string().contains(HMAC_SECRET), "{channel}");

    let (status, config) = api.get(&format!("/widget/{id}/config")).await;
    assert_eq!(status, 200);
    assert_eq!(
        config,
        json!({ "name": "Acme", "require_identity": false,
                "pre_chat": { "name": "required", "email": "optional", "phone": "off" } })
    );

    // The form's required answer is named when missing.
    let refused = Visitor::start(&api, id, json!({})).await.err().unwrap();
    assert_eq!(refused.0, 422);
    assert_eq!(
        refused.1["error"]["message"],
        "name: the pre-chat form requires it"
    );
    let (visitor, session) = Visitor::start(
        &api,
        id,
        json!({ "name": "Amal Haddad", "email": "amal.h@example.com", "language": "ar-AE" }),
    )
    .await
    .unwrap();
    assert_eq!(session["conversation_id"], Value::Null);
    assert_eq!(session["visitor"]["verified"], false);

    // The stream is open before the conversation exists: it finds it as it is made.
    let mut stream = visitor.stream().await;
    let sent = json!({ "text": FACT, "id": "m-1", "page_url": "https://acme.example/pricing" });
    let (status, stored) = visitor.post("/messages", sent.clone()).await;
    assert_eq!(status, 202, "{stored}");
    let conversation = stored["conversation_id"].as_str().unwrap().to_string();
    let (status, again) = visitor.post("/messages", sent).await;
    assert_eq!(
        (status, &again["duplicate"]),
        (202, &json!(true)),
        "{again}"
    );
    assert_eq!(again["message_id"], stored["message_id"]);

    let seen = stream
        .until(|event, data| event == "message" && data["sender"] == "agent")
        .await;
    let (_, answer) = seen.last().unwrap();
    assert!(answer["text"].as_str().unwrap().contains("15"), "{answer}");
    assert!(
        seen.iter()
            .any(|(event, data)| event == "typing"
                && data == &json!({"by": "agent", "typing": true})),
        "the AI is seen typing first: {seen:?}"
    );
    assert!(
        seen.iter()
            .any(|(event, data)| event == "message" && data["id"] == stored["message_id"]),
        "the visitor's own message too (another tab shows it): {seen:?}"
    );

    // The inbox sees a customer like any other, with what the form said and where they were.
    let (_, shown) = api.get(&format!("/v1/conversations/{conversation}")).await;
    let contact = shown["contact_id"].as_str().unwrap().to_string();
    let (_, profile) = api.get(&format!("/v1/contacts/{contact}")).await;
    assert_eq!(profile["name"], "Amal Haddad", "{profile}");
    assert_eq!(profile["language"], "ar", "{profile}");
    assert_eq!(
        profile["emails"],
        json!([]),
        "an email anyone could have typed joins no contact: {profile}"
    );
    let first = &api.messages(&conversation).await[0];
    assert_eq!(first["visitor"]["email"], "amal.h@example.com", "{first}");
    assert_eq!(first["visitor"]["page_url"], "https://acme.example/pricing");

    // A person takes over: their typing and their reply reach the visitor; a note does not.
    let (status, _) = visitor
        .post("/messages", json!({ "text": "Can I talk to a human?" }))
        .await;
    assert_eq!(status, 202);
    eventually("the handoff", || async {
        let (_, shown) = api.get(&format!("/v1/conversations/{conversation}")).await;
        (shown["status"] == "open").then_some(())
    })
    .await;
    let (status, claimed) = amal
        .post(
            &format!("/v1/conversations/{conversation}/claim"),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{claimed}");
    let (status, _) = amal
        .post(
            &format!("/v1/conversations/{conversation}/typing"),
            json!({ "typing": true }),
        )
        .await;
    assert_eq!(status, 204);
    let (status, _) = amal
        .post(
            &format!("/v1/conversations/{conversation}/messages"),
            json!({ "text": "She asked twice: check the order.", "kind": "note" }),
        )
        .await;
    assert_eq!(status, 201);
    let reply = "Amal here: your parcel leaves today.";
    let (status, _) = amal
        .post(
            &format!("/v1/conversations/{conversation}/messages"),
            json!({ "text": reply }),
        )
        .await;
    assert_eq!(status, 201);
    let seen = stream
        .until(|event, data| event == "message" && data["sender"] == "user")
        .await;
    assert_eq!(seen.last().unwrap().1["text"], reply);
    assert!(
        seen.iter().any(|(event, data)| event == "typing"
            && data["by"] == "user"
            && data["typing"] == true),
        "{seen:?}"
    );
    assert!(
        !seen.iter().any(|(_, data)| data["text"]
            .as_str()
            .is_some_and(|text| text.contains("check the order"))),
        "a private note never reaches the visitor: {seen:?}"
    );
    // What is said to a visitor needs no platform: it is sent once stored.
    eventually("the reply marked sent", || async {
        let messages = api.messages(&conversation).await;
        let last = messages
            .iter()
            .rev()
            .find(|message| message["text"] == reply)?;
        (last["status"] == "sent").then_some(())
    })
    .await;

    // The visitor comes back with their token: the same conversation, without the note.
    let (returning, session) = Visitor::start(&api, id, json!({ "token": visitor.token }))
        .await
        .unwrap();
    assert_eq!(session["conversation_id"], conversation.as_str());
    assert_eq!(session["visitor"]["name"], "Amal Haddad");
    let thread = returning.messages().await;
    let texts: Vec<&str> = thread
        .iter()
        .map(|message| message["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts.first(), Some(&FACT), "{texts:?}");
    assert_eq!(texts.last(), Some(&reply), "{texts:?}");
    assert!(!texts.iter().any(|text| text.contains("check the order")));
    assert_eq!(
        thread
            .iter()
            .filter(|message| message["text"] == FACT)
            .count(),
        1,
        "stored once"
    );
    let (status, _) = returning.post("/typing", json!({ "typing": true })).await;
    assert_eq!(status, 204);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sites_identity_hash_links_its_user_and_a_wrong_one_is_refused() {
    let Some(app) = spawn_app(Options::default()).await else {
        return;
    };
    let api = app.api();
    let (status, channel) = api
        .post(
            "/v1/channels",
            json!({ "type": "widget", "name": "Members",
                    "config": { "hmac_secret": HMAC_SECRET, "require_identity": true } }),
        )
        .await;
    assert_eq!(status, 201, "{channel}");
    let id = channel["id"].as_str().unwrap();

    let refused = Visitor::start(&api, id, json!({})).await.err().unwrap();
    assert_eq!(
        refused.0, 401,
        "anonymous, where identity is required: {}",
        refused.1
    );
    let hash = connectors::widget::identity_hash(HMAC_SECRET, "customer-42");
    let wrong = connectors::widget::identity_hash("another secret, 32 characters", "customer-42");
    let refused = Visitor::start(
        &api,
        id,
        json!({ "user_id": "customer-42", "user_hash": wrong }),
    )
    .await
    .err()
    .unwrap();
    assert_eq!(refused.0, 401);
    assert!(
        refused.1["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("user_hash"),
        "{}",
        refused.1
    );
    let (visitor, session) = Visitor::start(
        &api,
        id,
        json!({ "user_id": "customer-42", "user_hash": hash, "email": "member42@example.com" }),
    )
    .await
    .unwrap();
    assert_eq!(session["visitor"]["id"], "user:customer-42");
    assert_eq!(session["visitor"]["verified"], true);
    let (status, stored) = visitor
        .post("/messages", json!({ "text": "Where is my order?" }))
        .await;
    assert_eq!(status, 202, "{stored}");
    // The site signs its user's id, not the email beside it: the email joins no contact, and
    // the people answering see it on the message.
    let (_, shown) = api
        .get(&format!(
            "/v1/conversations/{}",
            stored["conversation_id"].as_str().unwrap()
        ))
        .await;
    let contact = shown["contact_id"].as_str().unwrap().to_string();
    let (_, profile) = api.get(&format!("/v1/contacts/{contact}")).await;
    assert_eq!(profile["emails"], json!([]), "{profile}");
    assert_eq!(
        profile["identities"][0]["external_id"], "user:customer-42",
        "{profile}"
    );
    let conversation = stored["conversation_id"].as_str().unwrap();
    let first = &api.messages(conversation).await[0];
    assert_eq!(first["visitor"]["verified"], true, "{first}");
    assert_eq!(first["visitor"]["email"], "member42@example.com");
    // The same user on another device is the same visitor, in the same conversation; their
    // token alone (a shared browser after they signed out) resumes nobody.
    let hash = connectors::widget::identity_hash(HMAC_SECRET, "customer-42");
    let (_, again) = Visitor::start(
        &api,
        id,
        json!({ "user_id": "customer-42", "user_hash": hash }),
    )
    .await
    .unwrap();
    assert_eq!(again["conversation_id"], conversation);
    let refused = Visitor::start(&api, id, json!({ "token": visitor.token }))
        .await
        .err()
        .unwrap();
    assert_eq!(refused.0, 401, "{}", refused.1);

    // A token is no key to another chat, and the widget's endpoints need one.
    let (status, other) = api
        .post(
            "/v1/channels",
            json!({ "type": "widget", "name": "Open", "config": {} }),
        )
        .await;
    assert_eq!(status, 201, "{other}");
    let misplaced = Visitor {
        base: format!("{}/widget/{}", api.url, other["id"].as_str().unwrap()),
        token: visitor.token.clone(),
        client: reqwest::Client::new(),
    };
    let (status, _) = misplaced.post("/messages", json!({ "text": "hi" })).await;
    assert_eq!(status, 401);
    let bare = reqwest::Client::new()
        .get(format!("{}/widget/{id}/messages", api.url))
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status(), 401);

    // Browsers on the business's site may call it: the preflight is answered.
    let preflight = reqwest::Client::new()
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/widget/{id}/messages", api.url),
        )
        .header("origin", "https://shop.example")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization,content-type",
        )
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success(), "{}", preflight.status());
    assert_eq!(preflight.headers()["access-control-allow-origin"], "*");
    let script = reqwest::get(format!("{}/widget.js", api.url))
        .await
        .unwrap();
    assert_eq!(script.status(), 200);
    assert!(
        script.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );

    // The business tries the chat on a page of its own before putting it on its site.
    let preview = reqwest::get(format!("{}/widget/{id}/preview?lang=ar", api.url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        preview.contains("<html lang=\"ar\" dir=\"rtl\">"),
        "{preview}"
    );
    assert!(
        preview.contains(&format!("<script src=\"/widget.js\" data-channel=\"{id}\"")),
        "{preview}"
    );

    // A setting the widget does not have is named; so is an identity nobody can check.
    let (status, body) = api
        .post(
            "/v1/channels",
            json!({ "type": "widget", "name": "Bad", "config": { "require_identity": true } }),
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("config.require_identity"),
        "{body}"
    );
    // Another kind of channel is no widget.
    let (status, _) = api.get("/widget/no-such-channel/config").await;
    assert_eq!(status, 404);
    app.stop().await;
}
