//! `switchboard inbox tail`: a workspace's inbox, live, in a terminal; a client of the API's
//! event stream like any other.

use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use eventsource_stream::Eventsource;
use futures::StreamExt;

#[derive(Debug, Args)]
pub struct Inbox {
    #[command(subcommand)]
    command: InboxCommand,
}

#[derive(Debug, Subcommand)]
enum InboxCommand {
    /// Print the inbox's events as they happen: messages, handoffs, assignments, statuses.
    Tail(Tail),
}

#[derive(Debug, Args)]
struct Tail {
    /// The service's base URL.
    #[arg(long, env = "SWITCHBOARD_URL", default_value = "http://127.0.0.1:8080")]
    url: String,
    /// An API key or a person's session token: the events they may see.
    #[arg(long, env = "SWITCHBOARD_API_KEY", hide_env_values = true)]
    key: String,
    /// Start after this event (0: from the first); default: from now.
    #[arg(long)]
    since: Option<i64>,
    /// One JSON object per line instead of columns.
    #[arg(long)]
    json: bool,
}

impl Inbox {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let InboxCommand::Tail(tail) = self.command;
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
            .block_on(tail.run())
    }
}

impl Tail {
    async fn run(self) -> anyhow::Result<ExitCode> {
        let mut request = reqwest::Client::new()
            .get(format!("{}/v1/events", self.url.trim_end_matches('/')))
            .bearer_auth(&self.key);
        if let Some(since) = self.since {
            request = request.header("last-event-id", since.to_string());
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("connecting to {}", self.url))?;
        if !response.status().is_success() {
            let status = response.status();
            let body = response.text().await.unwrap_or_default();
            anyhow::bail!("{} answered {status}: {body}", self.url);
        }
        let mut events = response.bytes_stream().eventsource();
        while let Some(event) = events.next().await {
            let event = event.context("reading the event stream")?;
            let data: serde_json::Value = serde_json::from_str(&event.data).unwrap_or_default();
            if self.json {
                let line =
                    serde_json::json!({ "id": event.id, "event": event.event, "data": data });
                println!("{line}");
            } else {
                println!("{}", line(&event.id, &event.event, &data));
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// `id  event  conversation  what happened`, one line per event.
fn line(id: &str, event: &str, data: &serde_json::Value) -> String {
    let text = |key: &str| data.get(key).and_then(serde_json::Value::as_str);
    let conversation = text("conversation_id").unwrap_or("-");
    let what = match event {
        "message.created" => format!(
            "{} {}: {}",
            text("direction").unwrap_or_default(),
            text("kind").unwrap_or_default(),
            text("text").unwrap_or_default().replace('\n', " ")
        ),
        "message.status" => format!(
            "message {} {}",
            text("message_id").unwrap_or_default(),
            text("status").unwrap_or_default()
        ),
        "presence" => format!(
            "{} is {}",
            text("user_id").unwrap_or_default(),
            text("presence").unwrap_or_default()
        ),
        _ => format!(
            "{} {}",
            text("status").unwrap_or_default(),
            data.get("owner")
                .map(|owner| format!(
                    "{}:{}",
                    owner["kind"].as_str().unwrap_or("none"),
                    owner["id"].as_str().unwrap_or("-")
                ))
                .unwrap_or_default()
        )
        .trim()
        .to_string(),
    };
    format!("{id}\t{event}\t{conversation}\t{what}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_event_reads_as_one_line() {
        let message = serde_json::json!({ "conversation_id": "c1", "direction": "in", "kind": "text", "text": "مرحبا\nثانية" });
        assert_eq!(
            line("7", "message.created", &message),
            "7\tmessage.created\tc1\tin text: مرحبا ثانية"
        );
        let handoff = serde_json::json!({ "conversation_id": "c1", "status": "open", "owner": { "kind": "team", "id": "t1" } });
        assert_eq!(
            line("8", "conversation.handoff", &handoff),
            "8\tconversation.handoff\tc1\topen team:t1"
        );
    }
}
