//! The messaging platforms end to end, in this process: WhatsApp, Telegram, LINE and Viber
//! deliver a customer's message to the channel's webhook, signed as each signs it; the AI's
//! answer goes out through the platform's send API; the customer asks for a person, who
//! claims the conversation and answers through the same platform; the platform reports the
//! answer delivered and read.
//!
//! The platforms cannot be reached from here: their APIs are a local server that answers as
//! each documents (`platform`), and the deliveries are built in each platform's documented
//! shape and signed with its scheme, computed here independently of the connectors.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, Uri};
use base64::Engine;
use common::app::{Database, Embedding, Options, spawn_app};
use common::eventually;
use common::service::Api;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

const FACT: &str = "Delivery inside Dubai costs 15 dirhams and takes one day.";

/// A request the platform's API received.
#[derive(Clone, Debug)]
struct Sent {
    path: String,
    query: String,
    headers: HeaderMap,
    body: Value,
}

type SentLog = Arc<Mutex<Vec<Sent>>>;

/// A delivery as the platform makes it: the URL it calls, the body, the headers.
type Signed = (String, Vec<u8>, Vec<(String, String)>);

/// A local server that answers sends as WhatsApp's Graph API, Telegram's Bot API, LINE's
/// Messaging API and Viber's REST API do, keeping every request.
async fn platform() -> (String, SentLog) {
    let log: SentLog = Arc::default();
    let kept = log.clone();
    let router = axum::Router::new().fallback(
        move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
            let kept = kept.clone();
            async move {
                if method == Method::GET && uri.path().ends_with("/message_templates") {
                    return (axum::http::StatusCode::OK, axum::Json(templates()));
                }
                assert_eq!(method, Method::POST);
                let body: Value = match serde_json::from_slice(&body) {
                    Ok(json) => json,
                    // Twilio's API takes forms.
                    Err(_) => form_urlencoded::parse(&body)
                        .map(|(name, value)| (name.into_owned(), Value::String(value.into_owned())))
                        .collect::<serde_json::Map<_, _>>()
                        .into(),
                };
                let path = uri.path().to_string();
                let number = {
                    let mut log = kept.lock().unwrap();
                    log.push(Sent {
                        path: path.clone(),
                        query: uri.query().unwrap_or_default().to_string(),
                        headers,
                        body: body.clone(),
                    });
                    log.len()
                };
                let answer = if path.ends_with("/sendMessage") {
                    json!({ "ok": true, "result": {
                        "message_id": 9000 + number, "date": 1_700_000_000,
                        "chat": { "id": body["chat_id"].as_str().unwrap().parse::<i64>().unwrap(), "type": "private" },
                        "text": body["text"] } })
                } else if path.ends_with("/messages")
                    && body.to_string().contains(FAILS_ONCE)
                    && !FAILED_ONCE.swap(true, std::sync::atomic::Ordering::SeqCst)
                {
                    // Meta down for a moment, for the part that carries the mark.
                    return (
                        axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                        axum::Json(json!({ "error": { "message": "Service temporarily unavailable", "code": 2 } })),
                    );
                } else if path.ends_with("/messages") && body.get("messaging_product").is_some() {
                    json!({ "messaging_product": "whatsapp",
                            "contacts": [{ "input": body["to"], "wa_id": body["to"] }],
                            "messages": [{ "id": format!("wamid.out{number}") }] })
                } else if path.ends_with("/messages") {
                    json!({ "recipient_id": body["recipient"]["id"], "message_id": format!("m_out{number}") })
                } else if path.starts_with("/v2/bot/message/") {
                    json!({ "sentMessages": [{ "id": format!("{}", 500_000 + number), "quoteToken": "q" }] })
                } else if path.ends_with("/Messages.json") {
                    json!({ "sid": format!("SMout{number}"), "status": "queued", "num_segments": "1" })
                } else if path.ends_with("/setWebhook") {
                    json!({ "ok": true, "result": true, "description": "Webhook was set" })
                } else if path == "/pa/set_webhook" {
                    json!({ "status": 0, "status_message": "ok", "event_types": ["delivered"] })
                } else if path == "/cgi-bin/stable_token" {
                    json!({ "access_token": "wx-token-1", "expires_in": 7200 })
                } else if path == "/cgi-bin/message/custom/send" {
                    json!({ "errcode": 0, "errmsg": "ok" })
                } else if path == "/pa/send_message" {
                    json!({ "status": 0, "status_message": "ok", "message_token": 7_000_000 + number,
                            "chat_hostname": "SN-CHAT-01_" })
                } else {
                    panic!("no such platform endpoint: {path}");
                };
                (axum::http::StatusCode::OK, axum::Json(answer))
            }
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (url, log)
}

/// A text part carrying this is refused once by the local Graph API (a 5xx).
const FAILS_ONCE: &str = "⟂";
static FAILED_ONCE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// A WhatsApp business account's templates as Graph lists them.
fn templates() -> Value {
    json!({ "data": [
        { "name": "order_update", "language": "en_US", "status": "APPROVED", "category": "UTILITY",
          "id": "1", "components": [
            { "type": "HEADER", "format": "TEXT", "text": "Order {{1}}" },
            { "type": "BODY", "text": "Hi {{1}}, your order {{2}} ships today." },
            { "type": "BUTTONS", "buttons": [
                { "type": "URL", "text": "Track", "url": "https://acme.example/t/{{1}}" }] }] },
        { "name": "spring_sale", "language": "ar", "status": "PENDING", "category": "MARKETING",
          "id": "2", "components": [{ "type": "BODY", "text": "خصم {{1}}" }] }
    ], "paging": { "cursors": { "before": "a", "after": "b" } } })
}

fn hmac_sha256(key: &str, body: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(body);
    mac.finalize().into_bytes().to_vec()
}

fn now_seconds() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// One platform as the test drives it.
struct Platform {
    kind: &'static str,
    config: Value,
    /// The customer's id on the platform.
    customer: &'static str,
}

impl Platform {
    fn all() -> Vec<Platform> {
        vec![
            Platform {
                kind: "whatsapp",
                config: json!({ "app_secret": "wa-app-secret", "verify_token": "wa-verify",
                    "access_token": "wa-access", "phone_number_id": "106540352242922",
                    "business_account_id": "102290129340398" }),
                customer: "971501234567",
            },
            Platform {
                kind: "messenger",
                config: json!({ "app_secret": "fb-app-secret", "verify_token": "fb-verify",
                    "page_id": "105386", "access_token": "fb-page-token" }),
                customer: "6024863207620411",
            },
            Platform {
                kind: "instagram",
                config: json!({ "app_secret": "ig-app-secret", "verify_token": "ig-verify",
                    "page_id": "17841405309211844", "access_token": "ig-page-token" }),
                customer: "1254459154682919",
            },
            Platform {
                kind: "telegram",
                config: json!({ "bot_token": "123456:ABC-token", "secret_token": "tg_secret-1" }),
                customer: "4242",
            },
            Platform {
                kind: "line",
                config: json!({ "channel_secret": "line-secret", "access_token": "line-access" }),
                customer: "U4af4980629d2e1f8a9b4c1d2e3f4a5b6",
            },
            Platform {
                kind: "viber",
                config: json!({ "auth_token": "445da6az1s345z78-dazcczb2542zv51a-e0vc5fva17480im9" }),
                customer: "01234567890A=",
            },
            Platform {
                kind: "wechat",
                config: json!({ "token": "wechat-token", "app_id": "wx49f0ab532d5d035a",
                    "app_secret": "wechat-app-secret" }),
                customer: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
            },
            Platform {
                kind: "sms",
                config: json!({ "account_sid": "AC0123456789abcdef0123456789abcdef",
                    "auth_token": "twilio-auth-token", "from": "+15005550006" }),
                customer: "+971501234567",
            },
        ]
    }

    /// The platform's delivery of a customer's text, as it sends it (`sent_at` seconds ago),
    /// and its headers, signed with `signing` in place of the channel's secret when given.
    fn message(
        &self,
        webhook: &str,
        id: u32,
        text: &str,
        age: i64,
        signing: Option<&str>,
    ) -> Signed {
        let at = now_seconds() - age;
        if self.kind == "wechat" {
            let xml = format!(
                "<xml><ToUserName><![CDATA[gh_7f083739789a]]></ToUserName>\
                 <FromUserName><![CDATA[{}]]></FromUserName><CreateTime>{at}</CreateTime>\
                 <MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{text}]]></Content>\
                 <MsgId>{}</MsgId></xml>",
                self.customer,
                23_000_000_000_u64 + u64::from(id)
            );
            let token = signing.unwrap_or(self.config["token"].as_str().unwrap());
            let (timestamp, nonce) = (now_seconds().to_string(), format!("{}", 1_000 + id));
            let mut parts = [token, timestamp.as_str(), nonce.as_str()];
            parts.sort_unstable();
            let signature = hex::encode(<sha1::Sha1 as sha1::Digest>::digest(parts.concat()));
            return (
                format!(
                    "{webhook}?signature={signature}&timestamp={timestamp}&nonce={nonce}&openid={}",
                    self.customer
                ),
                xml.into_bytes(),
                vec![("content-type".into(), "text/xml".into())],
            );
        }
        if self.kind == "sms" {
            let form = form_urlencoded::Serializer::new(String::new())
                .append_pair("MessageSid", &format!("SMin{id}"))
                .append_pair("AccountSid", self.config["account_sid"].as_str().unwrap())
                .append_pair("From", self.customer)
                .append_pair("To", "+15005550006")
                .append_pair("Body", text)
                .append_pair("NumMedia", "0")
                .append_pair("SmsStatus", "received")
                .finish();
            let headers = self.signed(webhook, form.as_bytes(), signing);
            return (webhook.to_string(), form.into_bytes(), headers);
        }
        let body = match self.kind {
            "whatsapp" => json!({ "object": "whatsapp_business_account", "entry": [{
                "id": "102290129340398", "changes": [{ "field": "messages", "value": {
                    "messaging_product": "whatsapp",
                    "metadata": { "display_phone_number": "15550783881", "phone_number_id": "106540352242922" },
                    "contacts": [{ "profile": { "name": "Layla" }, "wa_id": self.customer }],
                    "messages": [{ "from": self.customer, "id": format!("wamid.in{id}"),
                        "timestamp": at.to_string(), "type": "text", "text": { "body": text } }] } }] }] }),
            "messenger" | "instagram" => json!({
                "object": if self.kind == "messenger" { "page" } else { "instagram" },
                "entry": [{ "id": self.config["page_id"], "time": at * 1000, "messaging": [{
                    "sender": { "id": self.customer }, "recipient": { "id": self.config["page_id"] },
                    "timestamp": at * 1000,
                    "message": { "mid": format!("m_in{id}"), "text": text } }] }] }),
            "telegram" => json!({ "update_id": 10_000 + id, "message": {
                "message_id": id, "date": at, "text": text,
                "from": { "id": 4242, "is_bot": false, "first_name": "Omar", "language_code": "ar" },
                "chat": { "id": 4242, "type": "private", "first_name": "Omar" } } }),
            "line" => json!({ "destination": "Uxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "events": [{
                "type": "message", "mode": "active", "timestamp": at * 1000,
                "webhookEventId": format!("01HZ{id:022}"), "deliveryContext": { "isRedelivery": false },
                "replyToken": format!("reply-token-{id}"),
                "source": { "type": "user", "userId": self.customer },
                "message": { "id": format!("{}", 100_000 + id), "type": "text", "quoteToken": "q", "text": text } }] }),
            "viber" => {
                json!({ "event": "message", "timestamp": at * 1000, "chat_hostname": "SN-CHAT-01_",
                "message_token": 5_000_000_000_u64 + u64::from(id), "silent": false,
                "sender": { "id": self.customer, "name": "Mira", "language": "en", "country": "AE", "api_version": 10 },
                "message": { "type": "text", "text": text } })
            }
            other => panic!("{other}"),
        };
        let body = serde_json::to_vec(&body).unwrap();
        let headers = self.signed(webhook, &body, signing);
        (webhook.to_string(), body, headers)
    }

    /// The platform's report that its message `platform_id` was delivered or read, where it
    /// reports that (LINE and Telegram do not).
    fn status(&self, webhook: &str, platform_id: &str, status: &str) -> Option<Signed> {
        if self.kind == "sms" {
            let form = form_urlencoded::Serializer::new(String::new())
                .append_pair("MessageSid", platform_id)
                .append_pair("MessageStatus", status)
                .append_pair("To", self.customer)
                .finish();
            let headers = self.signed(webhook, form.as_bytes(), None);
            return Some((webhook.to_string(), form.into_bytes(), headers));
        }
        let body = match self.kind {
            "whatsapp" => json!({ "object": "whatsapp_business_account", "entry": [{
                "id": "102290129340398", "changes": [{ "field": "messages", "value": {
                    "messaging_product": "whatsapp",
                    "metadata": { "display_phone_number": "15550783881", "phone_number_id": "106540352242922" },
                    "statuses": [{ "id": platform_id, "status": status, "timestamp": now_seconds().to_string(),
                        "recipient_id": self.customer }] } }] }] }),
            "messenger" | "instagram" => {
                let report = match (self.kind, status) {
                    (_, "delivered") => {
                        json!({ "delivery": { "mids": [platform_id], "watermark": now_seconds() * 1000 } })
                    }
                    ("messenger", _) => {
                        json!({ "read": { "watermark": now_seconds() * 1000 + 1000 } })
                    }
                    _ => json!({ "read": { "mid": platform_id } }),
                };
                let mut item = json!({ "sender": { "id": self.customer },
                    "recipient": { "id": self.config["page_id"] }, "timestamp": now_seconds() * 1000 });
                item.as_object_mut()
                    .unwrap()
                    .extend(report.as_object().unwrap().clone());
                json!({ "object": if self.kind == "messenger" { "page" } else { "instagram" },
                        "entry": [{ "id": self.config["page_id"], "time": now_seconds() * 1000, "messaging": [item] }] })
            }
            "viber" => json!({ "event": if status == "read" { "seen" } else { "delivered" },
                "timestamp": now_seconds() * 1000, "chat_hostname": "SN-CHAT-01_",
                "message_token": platform_id.parse::<u64>().unwrap(), "user_id": self.customer }),
            _ => return None,
        };
        let body = serde_json::to_vec(&body).unwrap();
        let headers = self.signed(webhook, &body, None);
        Some((webhook.to_string(), body, headers))
    }

    fn signed(&self, webhook: &str, body: &[u8], signing: Option<&str>) -> Vec<(String, String)> {
        let secret = |name: &str| signing.unwrap_or(self.config[name].as_str().unwrap());
        let (name, value) = match self.kind {
            "whatsapp" | "messenger" | "instagram" => (
                "x-hub-signature-256",
                format!(
                    "sha256={}",
                    hex::encode(hmac_sha256(secret("app_secret"), body))
                ),
            ),
            "telegram" => (
                "x-telegram-bot-api-secret-token",
                secret("secret_token").to_string(),
            ),
            "line" => (
                "x-line-signature",
                base64::engine::general_purpose::STANDARD
                    .encode(hmac_sha256(secret("channel_secret"), body)),
            ),
            "viber" => (
                "x-viber-content-signature",
                hex::encode(hmac_sha256(secret("auth_token"), body)),
            ),
            "sms" => {
                let mut parameters: Vec<(String, String)> = form_urlencoded::parse(body)
                    .map(|(name, value)| (name.into_owned(), value.into_owned()))
                    .collect();
                parameters.sort();
                let signed: String = parameters
                    .iter()
                    .fold(webhook.to_string(), |signed, (name, value)| {
                        signed + name + value
                    });
                let mut mac =
                    Hmac::<sha1::Sha1>::new_from_slice(secret("auth_token").as_bytes()).unwrap();
                mac.update(signed.as_bytes());
                let signature =
                    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
                return vec![
                    (
                        "content-type".into(),
                        "application/x-www-form-urlencoded".into(),
                    ),
                    ("x-twilio-signature".into(), signature),
                ];
            }
            other => panic!("{other}"),
        };
        vec![
            ("content-type".into(), "application/json".into()),
            (name.into(), value),
        ]
    }

    /// Whether a request to the platform's API is this channel's send, authenticated as
    /// the platform wants.
    fn is_send(&self, sent: &Sent) -> bool {
        let header = |name: &str| {
            sent.headers
                .get(name)
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default()
                .to_string()
        };
        match self.kind {
            "whatsapp" => {
                sent.path == "/v21.0/106540352242922/messages"
                    && header("authorization") == "Bearer wa-access"
                    && sent.body["to"] == self.customer
            }
            "messenger" | "instagram" => {
                sent.path
                    == format!(
                        "/v21.0/{}/messages",
                        self.config["page_id"].as_str().unwrap()
                    )
                    && header("authorization")
                        == format!("Bearer {}", self.config["access_token"].as_str().unwrap())
                    && sent.body["recipient"]["id"] == self.customer
            }
            "telegram" => {
                sent.path == "/bot123456:ABC-token/sendMessage" && sent.body["chat_id"] == "4242"
            }
            "line" => {
                sent.path.starts_with("/v2/bot/message/")
                    && header("authorization") == "Bearer line-access"
            }
            "sms" => {
                let credentials = base64::engine::general_purpose::STANDARD.encode(format!(
                    "{}:{}",
                    self.config["account_sid"].as_str().unwrap(),
                    self.config["auth_token"].as_str().unwrap()
                ));
                sent.path
                    == format!(
                        "/2010-04-01/Accounts/{}/Messages.json",
                        self.config["account_sid"].as_str().unwrap()
                    )
                    && header("authorization") == format!("Basic {credentials}")
                    && sent.body["To"] == self.customer
            }
            "wechat" => {
                sent.path == "/cgi-bin/message/custom/send"
                    && sent.query == "access_token=wx-token-1"
                    && sent.body["touser"] == self.customer
            }
            "viber" => {
                sent.path == "/pa/send_message"
                    && header("x-viber-auth-token") == self.config["auth_token"]
                    && sent.body["receiver"] == self.customer
            }
            other => panic!("{other}"),
        }
    }

    /// The text a send carried.
    fn text_of(&self, sent: &Sent) -> String {
        match self.kind {
            "whatsapp" => sent.body["text"]["body"].as_str().unwrap().to_string(),
            "line" => sent.body["messages"][0]["text"]
                .as_str()
                .unwrap()
                .to_string(),
            "messenger" | "instagram" => sent.body["message"]["text"].as_str().unwrap().to_string(),
            "sms" => sent.body["Body"].as_str().unwrap().to_string(),
            "wechat" => sent.body["text"]["content"].as_str().unwrap().to_string(),
            _ => sent.body["text"].as_str().unwrap().to_string(),
        }
    }
}

/// The service in this process with every platform's API at a local server that speaks it:
/// the service, and the requests the platforms received.
async fn spawn_with_platforms(database: Database) -> Option<(common::app::TestApp, SentLog)> {
    let (platform_url, sends) = platform().await;
    let app = spawn_app(Options {
        database,
        platform_api: Some(platform_url),
        ..Options::default()
    })
    .await?;
    Some((app, sends))
}

async fn post_webhook(client: &reqwest::Client, (url, body, headers): Signed) -> (u16, Value) {
    let mut request = client.post(url).body(body);
    for (name, value) in headers {
        request = request.header(name, value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn conversations_of(api: &Api, channel: &str) -> Vec<Value> {
    let (status, listed) = api
        .get(&format!("/v1/conversations?view=all&channel_id={channel}"))
        .await;
    assert_eq!(status, 200, "{listed}");
    listed.as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_platform_carries_a_conversation_from_the_ai_to_a_person_on_sqlite() {
    each_platform_carries_a_conversation_from_the_ai_to_a_person(Database::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_platform_carries_a_conversation_from_the_ai_to_a_person_on_postgres() {
    each_platform_carries_a_conversation_from_the_ai_to_a_person(Database::Postgres).await;
}

async fn each_platform_carries_a_conversation_from_the_ai_to_a_person(database: Database) {
    let Some((app, sends)) = spawn_with_platforms(database).await else {
        return;
    };
    let api = app.api();
    let agent = api.agent_answering(FACT).await;
    let team = api.create_team("support").await;
    let (_, amal_api) = api.staff_member("amal@example.com", &team).await;
    let client = reqwest::Client::new();

    for platform in Platform::all() {
        let kind = platform.kind;
        let (status, channel) = api
            .post(
                "/v1/channels",
                json!({ "type": kind, "name": format!("Acme on {kind}"), "agent_id": agent,
                        "team_id": team, "config": platform.config }),
            )
            .await;
        assert_eq!(status, 201, "{kind}: {channel}");
        let channel_id = channel["id"].as_str().unwrap().to_string();
        let webhook_path = format!("/webhooks/{channel_id}");
        assert!(
            channel["webhook_url"]
                .as_str()
                .unwrap()
                .ends_with(&webhook_path),
            "{kind}: {channel}"
        );
        let webhook = format!("{}{webhook_path}", app.url);
        if ["telegram", "viber"].contains(&kind) {
            // The platform is given the webhook through its API as the account is made.
            assert_eq!(
                channel["webhook_registration"],
                json!({ "registered": true }),
                "{kind}: {channel}"
            );
            let registered = sends
                .lock()
                .unwrap()
                .iter()
                .find(|sent| sent.path.ends_with("etWebhook") || sent.path == "/pa/set_webhook")
                .cloned()
                .unwrap();
            sends
                .lock()
                .unwrap()
                .retain(|sent| sent.path != registered.path);
            assert_eq!(registered.body["url"], webhook.as_str(), "{kind}");
            if kind == "telegram" {
                assert_eq!(registered.body["secret_token"], "tg_secret-1");
            }
        } else {
            assert!(
                channel.get("webhook_registration").is_none(),
                "{kind}: {channel}"
            );
        }
        let (_, shown) = api.get(&format!("/v1/channels/{channel_id}")).await;
        for (name, value) in platform.config.as_object().unwrap() {
            let secret = connectors::channel::platform(kind)
                .unwrap()
                .fields()
                .iter()
                .any(|field| field.secret && field.name == name);
            if secret {
                assert!(
                    !shown.to_string().contains(value.as_str().unwrap()),
                    "{kind}: {name} is never shown: {shown}"
                );
            }
        }
        assert_eq!(shown["webhook_url"], channel["webhook_url"]);

        if ["whatsapp", "messenger", "instagram"].contains(&kind) {
            // Meta's subscription check: the challenge back when the token is the channel's.
            let check = |token: &str| {
                client
                    .get(format!(
                        "{webhook}?hub.mode=subscribe&hub.verify_token={token}&hub.challenge=1158201444"
                    ))
                    .send()
            };
            let answered = check(platform.config["verify_token"].as_str().unwrap())
                .await
                .unwrap();
            assert_eq!(answered.status(), 200);
            assert_eq!(answered.text().await.unwrap(), "1158201444");
            assert_eq!(check("guess").await.unwrap().status(), 401);
        }

        // Signed with another secret, or not at all: refused, and nothing is stored.
        let (status, refused) = post_webhook(
            &client,
            platform.message(&webhook, 1, FACT, 0, Some("not-the-secret")),
        )
        .await;
        assert_eq!(status, 401, "{kind}: {refused}");
        let (_, body, _) = platform.message(&webhook, 1, FACT, 0, None);
        let (status, _) = post_webhook(
            &client,
            (
                webhook.clone(),
                body,
                vec![("content-type".into(), "application/json".into())],
            ),
        )
        .await;
        assert_eq!(status, 401, "{kind}: an unsigned delivery");
        assert!(
            conversations_of(&api, &channel_id).await.is_empty(),
            "{kind}"
        );

        // The question, delivered twice (a platform's retry): one message, one answer.
        let question = platform.message(&webhook, 1, FACT, 0, None);
        let (status, first) = post_webhook(&client, question.clone()).await;
        assert_eq!(status, 200, "{kind}: {first}");
        let (status, again) = post_webhook(&client, question).await;
        assert_eq!(status, 200, "{kind}: {again}");
        if ["sms", "wechat"].contains(&kind) {
            assert_eq!(first, Value::Null, "{kind} is answered as it reads answers");
        } else {
            assert_eq!(first["received"]["messages"], 1, "{kind}: {first}");
            assert_eq!(again["received"]["duplicates"], 1, "{kind}: {again}");
        }
        let conversations = conversations_of(&api, &channel_id).await;
        assert_eq!(conversations.len(), 1, "{kind}");
        let conversation = conversations[0]["id"].as_str().unwrap().to_string();

        let answer = eventually(
            &format!("{kind}: the AI's answer at the platform"),
            || async {
                sends
                    .lock()
                    .unwrap()
                    .iter()
                    .find(|sent| platform.is_send(sent))
                    .cloned()
            },
        )
        .await;
        assert!(
            platform.text_of(&answer).contains("15"),
            "{kind}: {answer:?}"
        );
        if kind == "line" {
            assert_eq!(
                answer.path, "/v2/bot/message/reply",
                "a fresh reply token is used"
            );
            assert_eq!(answer.body["replyToken"], "reply-token-1");
        }
        let reply = eventually(&format!("{kind}: the answer marked sent"), || async {
            api.messages(&conversation)
                .await
                .into_iter()
                .find(|message| message["sender"]["kind"] == "agent" && message["status"] == "sent")
        })
        .await;
        if kind == "sms" {
            // The answer is one GSM-7 segment or more, as billed.
            assert!(reply["cost_units"].as_i64().unwrap() >= 1, "{reply}");
        }
        let all = api.messages(&conversation).await;
        assert_eq!(
            all.iter()
                .filter(|message| message["direction"] == "in")
                .count(),
            1,
            "{kind}: the repeated delivery stored nothing: {all:?}"
        );

        // The platform reports the answer delivered, then read; a late "delivered" does not
        // take it back.
        let (_, reply_record) = api
            .get(&format!("/v1/conversations/{conversation}/messages"))
            .await;
        let platform_id = reply_record
            .as_array()
            .unwrap()
            .iter()
            .find(|message| message["id"] == reply["id"])
            .and_then(|message| message["platform_message_id"].as_str().map(str::to_string));
        if kind == "wechat" {
            // The customer-service API answers with no id; WeChat reports no statuses.
            assert_eq!(platform_id, None);
        } else if let Some(platform_id) = platform_id {
            if let Some(report) = platform.status(&webhook, &platform_id, "delivered") {
                let (status, body) = post_webhook(&client, report).await;
                assert_eq!(status, 200, "{kind}: {body}");
                let read = platform.status(&webhook, &platform_id, "read").unwrap();
                let (status, body) = post_webhook(&client, read).await;
                assert_eq!(status, 200, "{kind}: {body}");
                let late = platform
                    .status(&webhook, &platform_id, "delivered")
                    .unwrap();
                let (status, body) = post_webhook(&client, late).await;
                assert_eq!(status, 200, "{kind}: {body}");
                if kind != "sms" {
                    assert_eq!(body["received"]["statuses"], 0, "{kind}: {body}");
                }
                let status_now = api
                    .messages(&conversation)
                    .await
                    .into_iter()
                    .find(|message| message["id"] == reply["id"])
                    .unwrap()["status"]
                    .clone();
                assert_eq!(status_now, "read", "{kind}");
            }
        } else {
            panic!("{kind}: the answer has no platform id: {reply_record}");
        }

        // The customer asks for a person: the team's queue has it; Amal claims it and
        // answers through the platform.
        let (status, _) = post_webhook(
            &client,
            platform.message(&webhook, 2, "Can I talk to a human?", 0, None),
        )
        .await;
        assert_eq!(status, 200);
        eventually(&format!("{kind}: the handoff"), || async {
            let (_, shown) = api.get(&format!("/v1/conversations/{conversation}")).await;
            (shown["status"] == "open").then_some(())
        })
        .await;
        let (status, claimed) = amal_api
            .post(
                &format!("/v1/conversations/{conversation}/claim"),
                json!({}),
            )
            .await;
        assert_eq!(status, 200, "{kind}: {claimed}");
        let words = format!("Amal here, on {kind}: your parcel leaves today.");
        let (status, posted) = amal_api
            .post(
                &format!("/v1/conversations/{conversation}/messages"),
                json!({ "text": words }),
            )
            .await;
        assert_eq!(status, 201, "{kind}: {posted}");
        let human = eventually(
            &format!("{kind}: Amal's answer at the platform"),
            || async {
                sends
                    .lock()
                    .unwrap()
                    .iter()
                    .find(|sent| platform.is_send(sent) && platform.text_of(sent) == words)
                    .cloned()
            },
        )
        .await;
        if kind == "line" {
            assert_eq!(human.path, "/v2/bot/message/push", "no token to reply with");
            assert_eq!(human.body["to"], platform.customer);
            let key = human.headers["x-line-retry-key"].to_str().unwrap();
            assert_eq!(key.len(), 36, "a UUID: {key}");
        }
    }
    app.stop().await;
}

/// What a channel account is made with is checked against its platform, naming the setting.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_channel_account_names_the_setting_it_lacks() {
    let Some(app) = spawn_app(Options::default()).await else {
        return;
    };
    let api = app.api();
    let (status, body) = api
        .post(
            "/v1/channels",
            json!({ "type": "telegram", "name": "Bot", "config": { "bot_token": "1:A" } }),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("config.secret_token"),
        "{body}"
    );
    let (status, body) = api
        .post(
            "/v1/channels",
            json!({ "type": "telegram", "name": "Bot",
                    "config": { "bot_token": "1:A", "secret_token": "has spaces" } }),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = api
        .post(
            "/v1/channels",
            json!({ "type": "icq", "name": "Old", "config": {} }),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("whatsapp"),
        "{body}"
    );
    let (status, body) = api.post("/webhooks/no-such-channel", json!({})).await;
    assert_eq!(status, 404, "{body}");

    // What each type takes is listed for the forms that make them: the one the 422 named.
    let (status, types) = api.get("/v1/channel-types").await;
    assert_eq!(status, 200, "{types}");
    let telegram = types
        .as_array()
        .unwrap()
        .iter()
        .find(|listed| listed["type"] == "telegram")
        .expect("telegram is listed");
    assert_eq!(
        telegram["fields"],
        json!([{ "name": "bot_token", "secret": true, "required": true },
               { "name": "secret_token", "secret": true, "required": true }])
    );
    let kinds: Vec<&str> = types
        .as_array()
        .unwrap()
        .iter()
        .map(|listed| listed["type"].as_str().unwrap())
        .collect();
    for kind in [
        "whatsapp",
        "messenger",
        "instagram",
        "telegram",
        "line",
        "viber",
        "sms",
        "wechat",
        "widget",
        "api",
    ] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    app.stop().await;
}

/// A conversation on `kind` whose customer wrote `age` seconds ago, and the AI's answer to
/// it, which the platform's window refused before any call to it.
struct LateConversation {
    app: common::app::TestApp,
    channel: String,
    sends: SentLog,
    /// A staff member of the channel's team.
    amal: Api,
    conversation: String,
    refused: Value,
}

async fn late_conversation(
    database: Database,
    kind: &str,
    age: i64,
    extra: Value,
) -> Option<LateConversation> {
    let (app, sends) = spawn_with_platforms(database).await?;
    let api = app.api();
    let agent = api.agent_answering(FACT).await;
    let team = api.create_team("support").await;
    let (_, amal) = api.staff_member("amal@example.com", &team).await;
    let mut platform = Platform::all()
        .into_iter()
        .find(|platform| platform.kind == kind)
        .unwrap();
    if let Some(extra) = extra.as_object() {
        platform
            .config
            .as_object_mut()
            .unwrap()
            .extend(extra.clone());
    }
    let (status, channel) = api
        .post(
            "/v1/channels",
            json!({ "type": kind, "name": "Acme", "agent_id": agent, "team_id": team,
                    "config": platform.config }),
        )
        .await;
    assert_eq!(status, 201, "{channel}");
    let channel_id = channel["id"].as_str().unwrap();
    let webhook = format!("{}/webhooks/{channel_id}", app.url);
    let (status, body) = post_webhook(
        &reqwest::Client::new(),
        platform.message(&webhook, 1, FACT, age, None),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let conversation = conversations_of(&api, channel_id).await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let refused = eventually("the AI's answer refused", || async {
        api.messages(&conversation)
            .await
            .into_iter()
            .find(|message| message["direction"] == "out" && message["status"] == "failed")
    })
    .await;
    Some(LateConversation {
        channel: channel_id.to_string(),
        app,
        sends,
        amal,
        conversation,
        refused,
    })
}

/// WhatsApp lets a business write freely for 24 hours after the customer's last message;
/// after that only templates. An answer to a message older than that is refused before any
/// call to the platform, with the reason on the message; a person's, at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whatsapp_refuses_free_text_outside_the_customer_service_window_on_sqlite() {
    whatsapp_refuses_free_text_outside_the_customer_service_window(Database::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whatsapp_refuses_free_text_outside_the_customer_service_window_on_postgres() {
    whatsapp_refuses_free_text_outside_the_customer_service_window(Database::Postgres).await;
}

async fn whatsapp_refuses_free_text_outside_the_customer_service_window(database: Database) {
    // Delivered now, written 25 hours ago (the platform held it while the phone was off).
    let limit = json!({ "messaging_limit": "1" });
    let Some(late) = late_conversation(database, "whatsapp", 25 * 3600, limit).await else {
        return;
    };
    let error = late.refused["error"].as_str().unwrap();
    assert!(error.contains("24-hour"), "{error}");
    let (status, refused) = late
        .amal
        .post(
            &format!("/v1/conversations/{}/messages", late.conversation),
            json!({ "text": "Sorry for the wait!" }),
        )
        .await;
    assert_eq!(status, 422, "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("24-hour"),
        "{refused}"
    );
    assert!(
        late.sends.lock().unwrap().is_empty(),
        "nothing reached WhatsApp"
    );
    let refusal = refused["error"]["message"].as_str().unwrap();
    assert!(
        refusal.contains("order_update (en_US)") && !refusal.contains("spring_sale"),
        "the approved templates are offered: {refusal}"
    );

    // A template may go: its values are checked against its definition first.
    let templates = format!("/v1/conversations/{}/templates", late.conversation);
    let (status, wrong) = late
        .amal
        .post(
            &templates,
            json!({ "name": "order_update", "language": "en_US",
                    "values": { "header": "A-17", "body": ["Huda"], "buttons": ["A-17"] } }),
        )
        .await;
    assert_eq!(status, 422, "{wrong}");
    assert!(
        wrong["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("values.body:"),
        "{wrong}"
    );
    let (status, pending) = late
        .amal
        .post(
            &templates,
            json!({ "name": "spring_sale", "language": "ar", "values": { "body": ["20%"] } }),
        )
        .await;
    assert_eq!(status, 422, "only an approved one: {pending}");
    let (status, sent) = late
        .amal
        .post(
            &templates,
            json!({ "name": "order_update", "language": "en_US",
                    "values": { "header": "A-17", "body": ["Huda", "A-17"], "buttons": ["A-17"] } }),
        )
        .await;
    assert_eq!(status, 201, "{sent}");
    assert_eq!(sent["kind"], "template");
    assert_eq!(
        sent["text"],
        "Order A-17\nHi Huda, your order A-17 ships today."
    );
    let at_whatsapp = eventually("the template at WhatsApp", || async {
        late.sends
            .lock()
            .unwrap()
            .iter()
            .find(|sent| sent.body["type"] == "template")
            .cloned()
    })
    .await;
    assert_eq!(at_whatsapp.body["template"]["name"], "order_update");
    assert_eq!(
        at_whatsapp.body["template"]["components"][1]["parameters"][0]["text"],
        "Huda"
    );
    // The portfolio's messaging limit (1 here) is reached: a template to another customer
    // outside their window is refused; the same customer again is not another one.
    let other = Platform {
        customer: "971509999999",
        ..Platform::all().remove(0)
    };
    let webhook = format!("{}/webhooks/{}", late.app.url, late.channel);
    let (status, _) = post_webhook(
        &reqwest::Client::new(),
        other.message(&webhook, 2, "hi", 30 * 3600, None),
    )
    .await;
    assert_eq!(status, 200);
    let conversations = conversations_of(&late.app.api(), &late.channel).await;
    let second = conversations
        .iter()
        .find(|conversation| conversation["id"] != late.conversation.as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let values = json!({ "name": "order_update", "language": "en_US",
        "values": { "header": "A-18", "body": ["Omar", "A-18"], "buttons": ["A-18"] } });
    let (status, limited) = late
        .amal
        .post(
            &format!("/v1/conversations/{second}/templates"),
            values.clone(),
        )
        .await;
    assert_eq!(status, 422, "{limited}");
    assert!(
        limited["error"]["message"]
            .as_str()
            .unwrap()
            .contains("messaging limit"),
        "{limited}"
    );
    let (status, again) = late.amal.post(&templates, values).await;
    assert_eq!(status, 201, "the same customer again: {again}");
    let message_id = sent["id"].as_str().unwrap().to_string();
    eventually("the template marked sent", || async {
        late.amal
            .messages(&late.conversation)
            .await
            .into_iter()
            .find(|message| message["id"] == message_id.as_str() && message["status"] == "sent")
    })
    .await;
    late.app.stop().await;
}

/// Messenger lets a person (never the AI) answer up to 7 days after the customer's last
/// message, tagged HUMAN_AGENT; the AI's answer after 24 hours is refused before any call.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messenger_lets_only_a_person_answer_after_a_day_tagged_human_agent() {
    let Some(late) = late_conversation(Database::Sqlite, "messenger", 30 * 3600, json!({})).await
    else {
        return;
    };
    let error = late.refused["error"].as_str().unwrap();
    assert!(error.contains("only a person"), "{error}");
    let conversation = &late.conversation;
    let (status, claimed) = late
        .amal
        .post(
            &format!("/v1/conversations/{conversation}/claim"),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{claimed}");
    let (status, posted) = late
        .amal
        .post(
            &format!("/v1/conversations/{conversation}/messages"),
            json!({ "text": "Sorry for the wait, your parcel left today." }),
        )
        .await;
    assert_eq!(status, 201, "{posted}");
    let sent = eventually("Amal's answer at Messenger", || async {
        late.sends.lock().unwrap().first().cloned()
    })
    .await;
    assert_eq!(
        sent.body["messaging_type"], "MESSAGE_TAG",
        "{:?}",
        sent.body
    );
    assert_eq!(sent.body["tag"], "HUMAN_AGENT");
    assert_eq!(
        late.sends.lock().unwrap().len(),
        1,
        "the AI's answer never went"
    );
    late.app.stop().await;
}

/// A customer who edits a message on Telegram changes the stored text; one who takes a
/// message back on LINE leaves nothing of what it said, in the thread or in search.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_and_unsends_change_the_stored_message() {
    let Some(app) = spawn_app(Options::default()).await else {
        return;
    };
    let api = app.api();
    let client = reqwest::Client::new();
    let mut conversations = Vec::new();
    for platform in Platform::all()
        .into_iter()
        .filter(|platform| ["telegram", "line"].contains(&platform.kind))
    {
        let (status, channel) = api
            .post(
                "/v1/channels",
                json!({ "type": platform.kind, "name": platform.kind, "config": platform.config }),
            )
            .await;
        assert_eq!(status, 201, "{channel}");
        let channel_id = channel["id"].as_str().unwrap().to_string();
        let webhook = format!("{}/webhooks/{channel_id}", app.url);
        let (status, _) = post_webhook(
            &client,
            platform.message(&webhook, 1, "My order number is 4471", 0, None),
        )
        .await;
        assert_eq!(status, 200);
        let change = match platform.kind {
            "telegram" => json!({ "update_id": 20_001, "edited_message": {
                "message_id": 1, "date": now_seconds(), "edit_date": now_seconds(),
                "text": "My order number is 4472",
                "from": { "id": 4242, "is_bot": false, "first_name": "Omar" },
                "chat": { "id": 4242, "type": "private" } } }),
            _ => json!({ "destination": "U0", "events": [{ "type": "unsend", "mode": "active",
                "timestamp": now_seconds() * 1000, "webhookEventId": "01HZUNSEND",
                "deliveryContext": { "isRedelivery": false },
                "source": { "type": "user", "userId": platform.customer },
                "unsend": { "messageId": "100001" } }] }),
        };
        let body = serde_json::to_vec(&change).unwrap();
        let headers = platform.signed(&webhook, &body, None);
        let (status, answer) = post_webhook(&client, (webhook.clone(), body, headers)).await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["received"]["revisions"], 1, "{answer}");
        let conversation = conversations_of(&api, &channel_id).await[0]["id"]
            .as_str()
            .unwrap()
            .to_string();
        conversations.push((platform.kind, conversation));
    }
    for (kind, conversation) in conversations {
        let stored = api.messages(&conversation).await;
        let first = &stored[0];
        match kind {
            "telegram" => assert_eq!(first["text"], "My order number is 4472", "{first}"),
            _ => assert_eq!(first["text"], "", "{first}"),
        }
    }
    // A reaction to the edited message is kept on it; an update of a kind this version does
    // not know is kept as it came.
    let telegram = Platform::all()
        .into_iter()
        .find(|p| p.kind == "telegram")
        .unwrap();
    let (_, channels) = api.get("/v1/channels").await;
    let webhook = channels
        .as_array()
        .unwrap()
        .iter()
        .find(|channel| channel["kind"] == "telegram")
        .unwrap()["webhook_url"]
        .as_str()
        .unwrap()
        .to_string();
    for update in [
        json!({ "update_id": 20_002, "message_reaction": { "chat": { "id": 4242, "type": "private" },
            "message_id": 1, "date": now_seconds(), "user": { "id": 4242, "is_bot": false, "first_name": "Omar" },
            "old_reaction": [], "new_reaction": [{ "type": "emoji", "emoji": "👍" }] } }),
        json!({ "update_id": 20_003, "chat_boost": { "chat": { "id": 4242, "type": "private" } } }),
    ] {
        let body = serde_json::to_vec(&update).unwrap();
        let headers = telegram.signed(&webhook, &body, None);
        let (status, first) =
            post_webhook(&client, (webhook.clone(), body.clone(), headers.clone())).await;
        assert_eq!(status, 200, "{first}");
        let (status, again) = post_webhook(&client, (webhook.clone(), body, headers)).await;
        assert_eq!(status, 200, "{again}");
        if update.get("chat_boost").is_some() {
            assert_eq!(
                first["received"]["kept_unknown"], 1,
                "kept as it came: {first}"
            );
            assert_eq!(again["received"]["kept_unknown"], 0, "and once: {again}");
        } else {
            assert_eq!(first["received"]["revisions"], 1, "{first}");
        }
    }
    let (_, telegram_conversation) = api.get("/v1/conversations?view=all&q=4472").await;
    let conversation = telegram_conversation[0]["id"].as_str().unwrap().to_string();
    let first = &api.messages(&conversation).await[0];
    assert_eq!(first["reaction"], "👍", "{first}");
    let (_, found) = api.get("/v1/conversations?view=all&q=4471").await;
    assert_eq!(found.as_array().unwrap().len(), 0, "{found}");
    let (_, found) = api.get("/v1/conversations?view=all&q=4472").await;
    assert_eq!(found.as_array().unwrap().len(), 1, "{found}");
    app.stop().await;
}

/// A channel account of `platform` without an agent, and the conversation its customer
/// started with a "hello": the account's webhook and the conversation's id.
async fn channel_with_a_conversation(
    app: &common::app::TestApp,
    platform: &Platform,
) -> (String, String) {
    let api = app.api();
    let (status, channel) = api
        .post(
            "/v1/channels",
            json!({ "type": platform.kind, "name": platform.kind, "config": platform.config }),
        )
        .await;
    assert_eq!(status, 201, "{channel}");
    let channel_id = channel["id"].as_str().unwrap();
    let webhook = format!("{}/webhooks/{channel_id}", app.url);
    let (status, _) = post_webhook(
        &reqwest::Client::new(),
        platform.message(&webhook, 1, "hello", 0, None),
    )
    .await;
    assert_eq!(status, 200);
    let conversation = conversations_of(&api, channel_id).await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    (webhook, conversation)
}

/// A customer who blocks the bot is not written to: a reply fails before any call, saying
/// why; once they start the bot again, replies go.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_who_blocks_the_bot_is_not_written_to() {
    let Some((app, sends)) = spawn_with_platforms(Database::Sqlite).await else {
        return;
    };
    let api = app.api();
    let client = reqwest::Client::new();
    let telegram = Platform::all()
        .into_iter()
        .find(|platform| platform.kind == "telegram")
        .unwrap();
    let (webhook, conversation) = channel_with_a_conversation(&app, &telegram).await;
    let membership = |update: u32, status: &str| {
        let body = serde_json::to_vec(&json!({ "update_id": update, "my_chat_member": {
            "chat": { "id": 4242, "type": "private" },
            "from": { "id": 4242, "is_bot": false, "first_name": "Omar" }, "date": now_seconds(),
            "old_chat_member": { "status": "member", "user": { "id": 1, "is_bot": true, "first_name": "bot" } },
            "new_chat_member": { "status": status, "user": { "id": 1, "is_bot": true, "first_name": "bot" } } } }))
        .unwrap();
        let headers = telegram.signed(&webhook, &body, None);
        (webhook.clone(), body, headers)
    };
    let (_, blocked) = post_webhook(&client, membership(30_001, "kicked")).await;
    assert_eq!(blocked["received"]["subscriptions"], 1, "{blocked}");
    let reply = |text: &'static str| {
        let api = api.clone();
        let conversation = conversation.clone();
        async move {
            let (status, posted) = api
                .post(
                    &format!("/v1/conversations/{conversation}/messages"),
                    json!({ "text": text }),
                )
                .await;
            assert_eq!(status, 201, "{posted}");
            posted["id"].as_str().unwrap().to_string()
        }
    };
    let refused = reply("Are you still there?").await;
    let failed = eventually("the reply refused", || async {
        api.messages(&conversation)
            .await
            .into_iter()
            .find(|message| message["id"] == refused.as_str() && message["status"] == "failed")
    })
    .await;
    assert!(
        failed["error"].as_str().unwrap().contains("stopped"),
        "{failed}"
    );
    assert!(
        !sends
            .lock()
            .unwrap()
            .iter()
            .any(|sent| sent.path.ends_with("/sendMessage")),
        "nothing reached Telegram"
    );
    let (_, back) = post_webhook(&client, membership(30_002, "member")).await;
    assert_eq!(back["received"]["subscriptions"], 1, "{back}");
    let sent = reply("Welcome back!").await;
    eventually("the reply sent", || async {
        api.messages(&conversation)
            .await
            .into_iter()
            .find(|message| message["id"] == sent.as_str() && message["status"] == "sent")
    })
    .await;
    app.stop().await;
}

/// A long reply goes in parts. When the platform reports the first part delivered while the
/// second waits for a retry, the retry still sends the second part, and never the first
/// again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_in_parts_is_finished_after_its_first_part_is_reported_delivered() {
    let Some((app, sends)) = spawn_with_platforms(Database::Sqlite).await else {
        return;
    };
    let api = app.api();
    let client = reqwest::Client::new();
    let messenger = Platform::all().remove(1);
    let (webhook, conversation) = channel_with_a_conversation(&app, &messenger).await;
    // Two parts: Messenger takes 2,000 characters a message.
    let text = format!(
        "{} {FAILS_ONCE} the rest of it.",
        "first ".repeat(350).trim()
    );
    let (status, posted) = api
        .post(
            &format!("/v1/conversations/{conversation}/messages"),
            json!({ "text": text }),
        )
        .await;
    assert_eq!(status, 201, "{posted}");
    let parts = |marked: bool| {
        sends
            .lock()
            .unwrap()
            .iter()
            .filter(|sent| {
                sent.body["message"]["text"]
                    .as_str()
                    .is_some_and(|part| part.contains(FAILS_ONCE) == marked)
            })
            .count()
    };
    eventually("the first part at Messenger", || async {
        (parts(false) == 1).then_some(())
    })
    .await;
    let platform_id = eventually("the first part's id on the message", || async {
        api.messages(&conversation)
            .await
            .into_iter()
            .find(|message| message["id"] == posted["id"])
            .and_then(|message| message["platform_message_id"].as_str().map(str::to_string))
    })
    .await;
    let (status, report) = post_webhook(
        &client,
        messenger
            .status(&webhook, &platform_id, "delivered")
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{report}");
    eventually("the second part at Messenger, tried again", || async {
        (parts(true) == 2).then_some(())
    })
    .await;
    assert_eq!(parts(false), 1, "the first part went once");
    app.stop().await;
}

/// An AI reply that offers the FAQ's nearest questions goes with their numbers as buttons
/// where the platform has them (WhatsApp's reply buttons, Telegram's and Viber's keyboards,
/// Messenger's, Instagram's and LINE's quick replies); the customer's tap comes back as the
/// number, and the question it numbers is answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offer_goes_as_buttons_and_a_tap_is_answered() {
    let Some(faq) = common::arabic_faq() else {
        return;
    };
    let (platform_url, sends) = platform().await;
    let Some(app) = spawn_app(Options {
        embedding: Embedding::Real,
        platform_api: Some(platform_url),
        ..Options::default()
    })
    .await
    else {
        return;
    };
    let (api, client) = (app.api(), reqwest::Client::new());
    let agent = api.agent_answering(&faq).await;
    let offered = "كيف يمكنني التكامل مع أنظمة إدارة علاقات العملاء (CRMs) الأخرى؟";
    let with_buttons = [
        "whatsapp",
        "telegram",
        "messenger",
        "instagram",
        "line",
        "viber",
    ];
    for platform in Platform::all()
        .into_iter()
        .filter(|platform| with_buttons.contains(&platform.kind))
    {
        let kind = platform.kind;
        let (status, channel) = api
            .post(
                "/v1/channels",
                json!({ "type": kind, "name": kind, "agent_id": agent, "config": platform.config }),
            )
            .await;
        assert_eq!(status, 201, "{kind}: {channel}");
        let webhook = format!("{}/webhooks/{}", app.url, channel["id"].as_str().unwrap());
        sends.lock().unwrap().clear();
        let question = platform.message(&webhook, 1, "هل يمكن ربط المنصة بنظام HubSpot؟", 0, None);
        assert_eq!(post_webhook(&client, question).await.0, 200);
        let sent = |count: usize| {
            let sends = sends.clone();
            async move {
                let found: Vec<Value> = sends
                    .lock()
                    .unwrap()
                    .iter()
                    .filter(|sent| !sent.path.ends_with("etWebhook"))
                    .map(|sent| sent.body.clone())
                    .collect();
                (found.len() >= count).then_some(found)
            }
        };
        let offer = eventually("the offer", || sent(1)).await.remove(0);
        let (text, numbers) = said_and_buttons(kind, &offer);
        assert!(text.contains(offered), "{kind}: {offer}");
        let number = numbers
            .iter()
            .find(|number| text.contains(&format!("{number}. «{offered}»")))
            .unwrap_or_else(|| panic!("{kind}: {offer}"))
            .clone();
        // The tap, as the platform delivers it: WhatsApp's button reply, Messenger's and
        // Instagram's quick reply; Telegram, LINE and Viber send the button's text.
        let tap = |body: Value| {
            let body = serde_json::to_vec(&body).unwrap();
            let headers = platform.signed(&webhook, &body, None);
            (webhook.clone(), body, headers)
        };
        let tapped = match kind {
            "whatsapp" => tap(json!({ "object": "whatsapp_business_account", "entry": [{
                "id": "102290129340398", "changes": [{ "field": "messages", "value": {
                    "messaging_product": "whatsapp",
                    "metadata": { "display_phone_number": "15550783881", "phone_number_id": "106540352242922" },
                    "contacts": [{ "profile": { "name": "Layla" }, "wa_id": platform.customer }],
                    "messages": [{ "from": platform.customer, "id": "wamid.tap",
                        "timestamp": now_seconds().to_string(), "type": "interactive",
                        "interactive": { "type": "button_reply",
                            "button_reply": { "id": number, "title": number } } }] } }] }] })),
            "messenger" | "instagram" => tap(json!({
                "object": if kind == "messenger" { "page" } else { "instagram" },
                "entry": [{ "id": platform.config["page_id"], "time": now_seconds() * 1000, "messaging": [{
                    "sender": { "id": platform.customer }, "recipient": { "id": platform.config["page_id"] },
                    "timestamp": now_seconds() * 1000,
                    "message": { "mid": "m_tap", "text": number,
                        "quick_reply": { "payload": number } } }] }] })),
            _ => platform.message(&webhook, 2, &number, 0, None),
        };
        assert_eq!(post_webhook(&client, tapped).await.0, 200);
        let answer = eventually("the answer", || sent(2)).await.remove(1);
        let (said, buttons) = said_and_buttons(kind, &answer);
        assert!(buttons.is_empty(), "{kind}: {answer}");
        assert!(said.contains("التكامل المباشر"), "{kind}: {answer}");
    }
    app.stop().await;
}

/// What a send to `kind`'s API says, and the labels of the buttons under it.
fn said_and_buttons(kind: &str, body: &Value) -> (String, Vec<String>) {
    let labels = |list: &Value, label: &dyn Fn(&Value) -> &Value| -> Vec<String> {
        list.as_array()
            .map(|items| {
                items
                    .iter()
                    .map(|item| label(item).as_str().unwrap().to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    match kind {
        "whatsapp" if body["type"] == "interactive" => (
            body["interactive"]["body"]["text"].as_str().unwrap().into(),
            labels(&body["interactive"]["action"]["buttons"], &|button| {
                &button["reply"]["title"]
            }),
        ),
        "whatsapp" => (body["text"]["body"].as_str().unwrap().into(), Vec::new()),
        "telegram" => (
            body["text"].as_str().unwrap().into(),
            labels(
                &body["reply_markup"]["keyboard"][0],
                &|button| &button["text"],
            ),
        ),
        "viber" => (
            body["text"].as_str().unwrap().into(),
            labels(&body["keyboard"]["Buttons"], &|button| &button["Text"]),
        ),
        "messenger" | "instagram" => (
            body["message"]["text"].as_str().unwrap().into(),
            labels(&body["message"]["quick_replies"], &|reply| &reply["title"]),
        ),
        "line" => {
            let messages = body["messages"].as_array().unwrap();
            let text = messages
                .iter()
                .map(|message| message["text"].as_str().unwrap())
                .collect::<Vec<_>>()
                .join(" ");
            let last = messages.last().unwrap();
            let buttons = labels(
                &last["quickReply"]["items"],
                &|item| &item["action"]["label"],
            );
            (text, buttons)
        }
        other => panic!("{other}"),
    }
}
