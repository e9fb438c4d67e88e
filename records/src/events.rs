//! The inbox's event log: every change a person may want to see live (a message, an
//! assignment, a handoff) is appended in the transaction that makes the change, so an event
//! exists exactly when its change committed. The live stream reads the log after the last
//! sequence number a client saw, which is how a client resumes (`Last-Event-ID`) and how a
//! process hears of changes another process made (on PostgreSQL a `NOTIFY` at commit wakes
//! it).

use serde::Serialize;
use sqlx::AnyConnection;

use crate::error::StoreError;
use crate::store::{Backend, Store, now};

/// The channel PostgreSQL notifies when events were appended.
const EVENTS_CHANNEL: &str = "switchboard_events";

/// An event as stored: who may see it is decided from its workspace, team and person.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct EventRecord {
    pub seq: i64,
    pub workspace_id: String,
    /// `message.created`, `conversation.assigned`, ...
    pub kind: String,
    pub conversation_id: Option<String>,
    /// The conversation's team when it happened.
    pub team_id: Option<String>,
    /// The person it concerns (the owner, the one mentioned).
    pub user_id: Option<String>,
    /// JSON.
    pub payload: String,
    pub created_at: i64,
}

/// An event to append.
#[derive(Debug, Clone)]
pub(crate) struct NewEvent<'a> {
    pub kind: &'a str,
    pub conversation_id: Option<&'a str>,
    pub team_id: Option<&'a str>,
    pub user_id: Option<&'a str>,
    pub payload: serde_json::Value,
}

/// Appends an event in the caller's transaction. On PostgreSQL the appends are taken in turn
/// (a transaction-scoped advisory lock, held to commit), so sequence numbers commit in order
/// and a reader that has seen number n never later finds an n - 1 it skipped; the `NOTIFY`
/// goes out at commit.
pub(crate) async fn append_in(
    connection: &mut AnyConnection,
    backend: Backend,
    workspace: &str,
    event: &NewEvent<'_>,
) -> Result<(), sqlx::Error> {
    if backend == Backend::Postgres {
        // Selected from, not selected: the Any driver cannot read the `void` it returns.
        sqlx::query("SELECT 1 FROM pg_advisory_xact_lock(72620105)")
            .execute(&mut *connection)
            .await?;
    }
    sqlx::query(
        "INSERT INTO events (workspace_id, kind, conversation_id, team_id, user_id, payload,
             created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(workspace)
    .bind(event.kind)
    .bind(event.conversation_id.map(str::to_string))
    .bind(event.team_id.map(str::to_string))
    .bind(event.user_id.map(str::to_string))
    .bind(event.payload.to_string())
    .bind(now())
    .execute(&mut *connection)
    .await?;
    if backend == Backend::Postgres {
        sqlx::query("SELECT 1 FROM pg_notify($1, '')")
            .bind(EVENTS_CHANNEL)
            .execute(&mut *connection)
            .await?;
    }
    Ok(())
}

/// Appends an event about a conversation, for its team and its owner as they are now.
pub(crate) async fn append_about_conversation(
    connection: &mut AnyConnection,
    backend: Backend,
    workspace: &str,
    conversation: &str,
    kind: &str,
    payload: serde_json::Value,
) -> Result<(), sqlx::Error> {
    let (team, owner): (Option<String>, Option<String>) =
        sqlx::query_as("SELECT team_id, owner_id FROM conversations WHERE id = $1")
            .bind(conversation)
            .fetch_one(&mut *connection)
            .await?;
    append_in(
        connection,
        backend,
        workspace,
        &NewEvent {
            kind,
            conversation_id: Some(conversation),
            team_id: team.as_deref(),
            user_id: owner.as_deref(),
            payload,
        },
    )
    .await
}

const EVENT_COLUMNS: &str =
    "seq, workspace_id, kind, conversation_id, team_id, user_id, payload, created_at";

/// The event-log area of the records.
pub struct Events<'a>(pub(crate) &'a Store);

impl Events<'_> {
    /// Up to `limit` events of every workspace after `seq`, oldest first: what a process
    /// hands its live streams.
    pub async fn after(&self, seq: i64, limit: i64) -> Result<Vec<EventRecord>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE seq > $1 ORDER BY seq LIMIT $2"
        ))
        .bind(seq)
        .bind(limit)
        .fetch_all(&self.0.pool)
        .await?)
    }

    /// Up to `limit` of a workspace's events after `seq`, oldest first: what a client that
    /// reconnects missed.
    pub async fn since(
        &self,
        workspace: &str,
        seq: i64,
        limit: i64,
    ) -> Result<Vec<EventRecord>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE workspace_id = $1 AND seq > $2
             ORDER BY seq LIMIT $3"
        ))
        .bind(workspace)
        .bind(seq)
        .bind(limit)
        .fetch_all(&self.0.pool)
        .await?)
    }

    /// Appends an event about a conversation that changes nothing stored (someone typing),
    /// for the conversation's team and owner.
    pub async fn append(
        &self,
        workspace: &str,
        conversation: &str,
        kind: &str,
        payload: serde_json::Value,
    ) -> Result<(), StoreError> {
        let mut transaction = self.0.write().await?;
        let backend = self.0.backend();
        append_about_conversation(
            &mut transaction,
            backend,
            workspace,
            conversation,
            kind,
            payload,
        )
        .await?;
        transaction.commit().await?;
        Ok(())
    }

    /// The newest sequence number (0 with no events): where a process starts listening.
    pub async fn last_seq(&self) -> Result<i64, StoreError> {
        let last: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM events")
            .fetch_one(&self.0.pool)
            .await?;
        Ok(last.unwrap_or(0))
    }
}

/// Waits for appends other processes commit (PostgreSQL's `NOTIFY`) and calls `heard` at
/// each. The listener reconnects by itself when its connection drops (a stream that missed a
/// notification reads the log at its next check anyway); this returns only when it cannot.
pub async fn listen_for_events(url: &str, mut heard: impl FnMut()) -> Result<(), StoreError> {
    let mut listener = sqlx::postgres::PgListener::connect(url).await?;
    listener.listen(EVENTS_CHANNEL).await?;
    loop {
        listener.recv().await?;
        heard();
    }
}
