//! Conversations and their messages: one aggregate, changed in one transaction at a time. A
//! customer's message is stored once per platform id (a retried delivery finds the first), a
//! change of owner or status is written only if the conversation is still as the caller read
//! it (so of two people claiming at once one wins), and every change appends its events and
//! queues its jobs (an AI turn, a send) in the transaction that makes it.

use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use types::{
    ConversationStatus, DeliveryStatus, Direction, MessageKind, OwnerKind, Priority, SenderKind,
};

use crate::channels::{ContactDetails, identify_in};
use crate::error::StoreError;
use crate::events::{self, NewEvent};
use crate::intake::Arrival;
use crate::jobs::{self, Job, NewJob};
use crate::page::{self, AFTER, Cursor, Listed, Page};
use crate::store::{Backend, Store, new_id, now};

/// Who owns a conversation and where it stands: what the inbox's rules read and decide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ownership {
    pub status: ConversationStatus,
    pub owner_kind: Option<OwnerKind>,
    pub owner_id: Option<String>,
    pub team_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ConversationRecord {
    pub id: String,
    /// Per workspace, from 1: what people call it ("#42").
    pub number: i64,
    pub channel_id: String,
    pub contact_id: String,
    #[sqlx(try_from = "String")]
    pub status: ConversationStatus,
    pub snoozed_until: Option<i64>,
    owner_kind: Option<String>,
    pub owner_id: Option<String>,
    pub team_id: Option<String>,
    #[sqlx(try_from = "String")]
    pub priority: Priority,
    /// The latest handoff (JSON: reason, summary, citations, team), when one happened.
    pub handoff: Option<String>,
    pub first_reply_at: Option<i64>,
    pub last_activity_at: i64,
    /// Since when the customer waits for a person's answer.
    pub waiting_since: Option<i64>,
    /// Until when the channel lets a free-form reply go out (the channels fill it).
    pub window_expires_at: Option<i64>,
    /// When the customer was last sent the channel's away message.
    pub away_sent_at: Option<i64>,
    pub created_at: i64,
    #[sqlx(skip)]
    pub labels: Vec<String>,
    /// The contact's name, when they gave one.
    #[sqlx(skip)]
    pub contact_name: Option<String>,
    /// The latest message a customer or an answer said (not a note or an activity), cut to
    /// [`PREVIEW_CHARS`].
    #[sqlx(skip)]
    pub preview: Option<String>,
}

fn by_id<'a>(items: &'a mut [ConversationRecord], id: &str) -> Option<&'a mut ConversationRecord> {
    items.iter_mut().find(|item| item.id == id)
}

/// How much of the latest message a conversation's preview shows.
pub const PREVIEW_CHARS: usize = 140;

impl ConversationRecord {
    pub fn owner_kind(&self) -> Result<Option<OwnerKind>, StoreError> {
        self.owner_kind
            .clone()
            .map(OwnerKind::try_from)
            .transpose()
            .map_err(StoreError::corrupt)
    }

    pub fn ownership(&self) -> Result<Ownership, StoreError> {
        Ok(Ownership {
            status: self.status,
            owner_kind: self.owner_kind()?,
            owner_id: self.owner_id.clone(),
            team_id: self.team_id.clone(),
        })
    }
}

const CONVERSATION_COLUMNS: &str = "id, number, channel_id, contact_id, status, snoozed_until,
    owner_kind, owner_id, team_id, priority, handoff, first_reply_at, last_activity_at,
    waiting_since, window_expires_at, away_sent_at, created_at";

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct MessageRecord {
    pub id: String,
    pub conversation_id: String,
    #[sqlx(try_from = "String")]
    pub direction: Direction,
    #[sqlx(try_from = "String")]
    pub sender_kind: SenderKind,
    pub sender_id: Option<String>,
    #[sqlx(try_from = "String")]
    pub kind: MessageKind,
    pub text: String,
    /// The message's id on its platform (the business's id on the `api` channel).
    pub platform_message_id: Option<String>,
    /// The message this one answers.
    pub reply_to: Option<String>,
    #[sqlx(try_from = "String")]
    pub status: DeliveryStatus,
    /// Why it failed, as the platform said.
    pub error: Option<String>,
    /// The AI turn that wrote it.
    pub turn_id: Option<String>,
    /// JSON: an AI reply's citations and whether it answered; a handoff's reason, summary
    /// and citations.
    pub details: Option<String>,
    /// How many parts of a send in several the platform has taken.
    #[serde(skip)]
    pub sent_parts: i64,
    pub created_at: i64,
    #[sqlx(skip)]
    pub attachments: Vec<Attachment>,
}

/// A file a message carries, kept in the file store under its checksum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Attachment {
    /// SHA-256 of the bytes, hex: the file's name in the file store.
    pub checksum: String,
    pub name: String,
    pub content_type: String,
    pub bytes: i64,
}

const MESSAGE_COLUMNS: &str = "id, conversation_id, direction, sender_kind, sender_id, kind, text,
    platform_message_id, reply_to, status, error, turn_id, details, sent_parts, created_at";

/// Where a customer's message puts its conversation, as the inbox's rules decide it.
#[derive(Debug, Clone)]
pub struct Routed {
    pub ownership: Ownership,
    /// An AI agent answers the message: its job is queued with it.
    pub ai_answers: bool,
    /// The business is closed: this goes out at once, queued with its send job.
    pub away_message: Option<NewMessage>,
}

/// A customer's message as a channel received it.
#[derive(Debug, Clone)]
pub struct Inbound {
    pub channel_id: String,
    /// The customer's id on the channel.
    pub external_id: String,
    /// What the channel says of the customer: kept on the contact, and the phone and email
    /// find the contact another channel already knows.
    pub contact: ContactDetails,
    pub platform_message_id: String,
    pub text: String,
    /// The text in the form search matches.
    pub search_text: String,
    /// Files already kept in the file store; a message with any is `media`.
    pub attachments: Vec<Attachment>,
    /// What else the platform said of the message (JSON: its reply token, what it holds).
    pub details: Option<String>,
    /// Until when the channel lets the business write freely after this message (ms); the
    /// conversation's window moves to it.
    pub window_until: Option<i64>,
}

/// The inbox's rules for a customer's message: where it puts the conversation (its current
/// state, `None` for a first message). Called again if the message's group commit fails and
/// it is stored alone.
pub type Decide =
    Box<dyn Fn(Option<&ConversationRecord>) -> Result<Routed, StoreError> + Send + Sync>;

/// Where an inbound message went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub conversation_id: String,
    pub message_id: String,
    /// The platform delivered this message before: nothing new was stored.
    pub duplicate: bool,
}

/// What a customer did to a message they sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revision {
    Edit {
        text: String,
        search_text: String,
    },
    /// Taken back: what it said is not kept.
    Unsend,
    /// An emoji on a message, theirs or one sent to them (empty: taken back).
    React {
        emoji: String,
    },
}

/// A message to append to a conversation.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub direction: Direction,
    pub sender_kind: SenderKind,
    pub sender_id: Option<String>,
    pub kind: MessageKind,
    pub text: String,
    /// The text in the form search matches.
    pub search_text: String,
    pub reply_to: Option<String>,
    pub turn_id: Option<String>,
    pub details: Option<String>,
}

/// A change to a conversation, applied whole or not at all.
#[derive(Debug, Clone, Default)]
pub struct Change<'a> {
    /// The owner and status to set, written only if the conversation is still `expected`.
    pub transition: Option<(&'a Ownership, &'a Ownership)>,
    /// The event the transition is (`conversation.assigned`, `conversation.status_changed`,
    /// `conversation.handoff`, ...).
    pub transition_event: &'a str,
    pub snoozed_until: Option<i64>,
    /// The handoff to record (JSON).
    pub handoff: Option<String>,
    pub messages: Vec<NewMessage>,
    /// The customer message an AI agent's turn answered, with the turn and its outcome: one
    /// outcome per message, ever.
    pub answers: Option<(&'a str, &'a str, &'a str)>,
    /// People a note mentions: each hears of it.
    pub mentions: Vec<String>,
    /// The job this change finishes (its id and worker): the change is written only while
    /// the worker still holds it, and the job ends with it.
    pub ends_job: Option<(&'a str, &'a str)>,
}

/// What a change wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub message_ids: Vec<String>,
}

/// The order of a list of conversations.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ConversationOrder {
    /// The latest activity first.
    #[default]
    LastActivity,
    /// Only those waiting for a person's answer (open, not with an AI agent), the longest
    /// waiting first.
    LongestWaiting,
}

/// The name a cursor of the longest-waiting order carries.
const WAITING: &str = "waiting";

/// Which conversations a list shows, and in what order.
#[derive(Debug, Clone, Default)]
pub struct ConversationFilter {
    pub order: ConversationOrder,
    pub status: Option<ConversationStatus>,
    pub priority: Option<Priority>,
    pub owner_kind: Option<OwnerKind>,
    pub owner_id: Option<String>,
    /// Only conversations without a person (a team's queue, or nobody's).
    pub without_person: bool,
    pub team_id: Option<String>,
    pub label: Option<String>,
    pub channel_id: Option<String>,
    pub contact_id: Option<String>,
    /// Only conversations with a message containing this, in the form search matches.
    pub text: Option<String>,
    /// Only these a viewer may see: their team's (when they have one) or their own.
    pub visible_to: Option<(Option<String>, Option<String>)>,
}

/// The conversations area of the records.
pub struct Conversations<'a>(pub(crate) &'a Store);

/// Why a group of arrivals was not committed together.
enum GroupFailure {
    /// The arrival at this position of the group failed.
    Arrival(usize),
    /// Beginning or committing the transaction failed: no arrival is to blame.
    Transaction(sqlx::Error),
}

fn conflict_lost_job() -> StoreError {
    StoreError::Conflict("the job is no longer this worker's".into())
}

impl Conversations<'_> {
    /// Stores a customer's message once: in the contact's latest conversation on the channel
    /// (a new one when they have none), which moves to the state `decide` gives; when an AI
    /// agent answers it, the job that does is queued with it. Messages arriving together are
    /// committed together (`intake`): one commit, one wait for the disk, for many.
    pub async fn receive(
        &self,
        workspace: &str,
        inbound: Inbound,
        decide: Decide,
    ) -> Result<Received, StoreError> {
        if let Some(received) = self.find_inbound(&inbound).await? {
            return Ok(received);
        }
        self.0
            .intake
            .receive(
                self.0,
                Arrival {
                    workspace: workspace.to_string(),
                    inbound,
                    decide,
                },
            )
            .await
    }

    /// Stores arrivals in one transaction, in order. An arrival that fails (a message
    /// delivered twice in the group, routing that fails) is taken out and stored alone, and
    /// the rest are tried together again; when the transaction itself fails (the database
    /// busy or gone), every arrival is told to come again.
    pub(crate) async fn receive_together(
        &self,
        arrivals: &[Arrival],
    ) -> Vec<Result<Received, StoreError>> {
        let mut results: Vec<Option<Result<Received, StoreError>>> =
            arrivals.iter().map(|_| None).collect();
        let mut together: Vec<usize> = (0..arrivals.len()).collect();
        while together.len() > 1 {
            match self.try_together(arrivals, &together).await {
                Ok(received) => {
                    for (&index, received) in together.iter().zip(received) {
                        results[index] = Some(Ok(received));
                    }
                    together.clear();
                }
                Err(GroupFailure::Arrival(position)) => {
                    let index = together.remove(position);
                    results[index] = Some(self.receive_alone(&arrivals[index]).await);
                }
                Err(GroupFailure::Transaction(error)) => {
                    for &index in &together {
                        results[index] = Some(Err(StoreError::Unavailable(format!(
                            "the message could not be committed ({error}); deliver it again"
                        ))));
                    }
                    together.clear();
                }
            }
        }
        for index in together {
            results[index] = Some(self.receive_alone(&arrivals[index]).await);
        }
        results.into_iter().flatten().collect()
    }

    /// One transaction for these arrivals (their indexes), or what failed it.
    async fn try_together(
        &self,
        arrivals: &[Arrival],
        indexes: &[usize],
    ) -> Result<Vec<Received>, GroupFailure> {
        let mut transaction = self.0.write().await.map_err(GroupFailure::Transaction)?;
        let mut received = Vec::with_capacity(indexes.len());
        for (position, &index) in indexes.iter().enumerate() {
            // One clock for the group; ids made in order (UUIDv7) keep one customer's
            // messages of the same millisecond in the order they came.
            let stored = self.receive_in(&mut transaction, &arrivals[index], now());
            received.push(stored.await.map_err(|_| GroupFailure::Arrival(position))?);
        }
        transaction
            .commit()
            .await
            .map_err(GroupFailure::Transaction)?;
        Ok(received)
    }

    pub(crate) async fn receive_alone(&self, arrival: &Arrival) -> Result<Received, StoreError> {
        let alone = async {
            let mut transaction = self.0.write().await?;
            let received = self.receive_in(&mut transaction, arrival, now()).await?;
            transaction.commit().await?;
            Ok(received)
        };
        match alone.await {
            Err(StoreError::Database(sqlx::Error::Database(error)))
                if error.is_unique_violation() =>
            {
                // The same message delivered twice at once: the other delivery stored it.
                self.find_inbound(&arrival.inbound)
                    .await?
                    .ok_or(StoreError::Conflict(
                        "the message was stored twice at once".into(),
                    ))
            }
            received => received,
        }
    }

    async fn find_inbound(&self, inbound: &Inbound) -> Result<Option<Received>, StoreError> {
        let found = sqlx::query(
            "SELECT id, conversation_id FROM messages
             WHERE channel_id = $1 AND direction = 'in' AND platform_message_id = $2",
        )
        .bind(&inbound.channel_id)
        .bind(&inbound.platform_message_id)
        .fetch_optional(&self.0.pool)
        .await?;
        found
            .map(|row| {
                Ok(Received {
                    message_id: row.try_get("id")?,
                    conversation_id: row.try_get("conversation_id")?,
                    duplicate: true,
                })
            })
            .transpose()
    }

    async fn receive_in(
        &self,
        connection: &mut AnyConnection,
        Arrival {
            workspace,
            inbound,
            decide,
        }: &Arrival,
        at: i64,
    ) -> Result<Received, StoreError> {
        let backend = self.0.backend();
        let contact = identify_in(
            &mut *connection,
            workspace,
            &inbound.channel_id,
            &inbound.external_id,
            &inbound.contact,
        )
        .await?;
        if backend == Backend::Postgres {
            // One contact's messages take turns: two first messages make one conversation.
            sqlx::query(
                "SELECT contact_id FROM contact_identities
                 WHERE channel_id = $1 AND external_id = $2 FOR UPDATE",
            )
            .bind(&inbound.channel_id)
            .bind(&inbound.external_id)
            .fetch_one(&mut *connection)
            .await?;
        }
        let current: Option<ConversationRecord> = sqlx::query_as(&format!(
            "SELECT {CONVERSATION_COLUMNS} FROM conversations
             WHERE workspace_id = $1 AND channel_id = $2 AND contact_id = $3
             ORDER BY created_at DESC, id DESC LIMIT 1"
        ))
        .bind(workspace)
        .bind(&inbound.channel_id)
        .bind(&contact)
        .fetch_optional(&mut *connection)
        .await?;
        let routed = decide(current.as_ref())?;
        let next = routed.ownership.clone();
        let (conversation, created) = match current {
            None => {
                let number: i64 = sqlx::query_scalar(
                    "UPDATE workspaces SET conversation_counter = conversation_counter + 1
                     WHERE id = $1 RETURNING conversation_counter",
                )
                .bind(workspace)
                .fetch_one(&mut *connection)
                .await?;
                let id = new_id();
                sqlx::query(
                    "INSERT INTO conversations (id, workspace_id, number, channel_id, contact_id,
                         status, owner_kind, owner_id, team_id, last_activity_at, waiting_since,
                         created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $10, $10)",
                )
                .bind(&id)
                .bind(workspace)
                .bind(number)
                .bind(&inbound.channel_id)
                .bind(&contact)
                .bind(next.status.as_str())
                .bind(next.owner_kind.map(|kind| kind.as_str().to_string()))
                .bind(next.owner_id.clone())
                .bind(next.team_id.clone())
                .bind(at)
                .bind(waits_for_people(&next).then_some(at))
                .execute(&mut *connection)
                .await?;
                (id, true)
            }
            Some(current) => {
                sqlx::query(
                    "UPDATE conversations SET status = $1, owner_kind = $2, owner_id = $3,
                         team_id = $4, snoozed_until = NULL, last_activity_at = $5,
                         waiting_since = CASE WHEN $6 THEN COALESCE(waiting_since, $5) ELSE NULL END,
                         updated_at = $5
                     WHERE id = $7",
                )
                .bind(next.status.as_str())
                .bind(next.owner_kind.map(|kind| kind.as_str().to_string()))
                .bind(next.owner_id.clone())
                .bind(next.team_id.clone())
                .bind(at)
                .bind(waits_for_people(&next))
                .bind(&current.id)
                .execute(&mut *connection)
                .await?;
                (current.id, false)
            }
        };
        let message = new_id();
        let kind = if inbound.attachments.is_empty() {
            MessageKind::Text
        } else {
            MessageKind::Media
        };
        sqlx::query(
            "INSERT INTO messages (id, workspace_id, conversation_id, channel_id, direction,
                 sender_kind, sender_id, kind, text, search_text, platform_message_id, status,
                 details, created_at, updated_at)
             VALUES ($1, $2, $3, $4, 'in', 'contact', $5, $10, $6, $9, $7, 'delivered', $11,
                 $8, $8)",
        )
        .bind(&message)
        .bind(workspace)
        .bind(&conversation)
        .bind(&inbound.channel_id)
        .bind(&contact)
        .bind(&inbound.text)
        .bind(&inbound.platform_message_id)
        .bind(at)
        .bind(&inbound.search_text)
        .bind(kind.as_str())
        .bind(inbound.details.clone())
        .execute(&mut *connection)
        .await?;
        if let Some(until) = inbound.window_until {
            sqlx::query(
                "UPDATE conversations SET window_expires_at = $1
                 WHERE id = $2 AND (window_expires_at IS NULL OR window_expires_at < $1)",
            )
            .bind(until)
            .bind(&conversation)
            .execute(&mut *connection)
            .await?;
        }
        for (position, attachment) in inbound.attachments.iter().enumerate() {
            sqlx::query(
                "INSERT INTO message_attachments (message_id, position, workspace_id, checksum,
                     name, content_type, bytes)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&message)
            .bind(i64::try_from(position).unwrap_or(i64::MAX))
            .bind(workspace)
            .bind(&attachment.checksum)
            .bind(&attachment.name)
            .bind(&attachment.content_type)
            .bind(attachment.bytes)
            .execute(&mut *connection)
            .await?;
        }
        if routed.ai_answers {
            let job = Job::AnswerMessage {
                conversation_id: conversation.clone(),
                message_id: message.clone(),
            };
            jobs::enqueue_in(&mut *connection, &NewJob::now(job, Some(workspace))).await?;
        }
        let away = match &routed.away_message {
            Some(away) => {
                // It answers the customer's message, and is listed after it.
                let away = NewMessage {
                    reply_to: Some(message.clone()),
                    ..away.clone()
                };
                let id = insert_message(
                    &mut *connection,
                    workspace,
                    (&conversation, &inbound.channel_id),
                    &away,
                    at + 1,
                )
                .await?;
                sqlx::query("UPDATE conversations SET away_sent_at = $1 WHERE id = $2")
                    .bind(at)
                    .bind(&conversation)
                    .execute(&mut *connection)
                    .await?;
                Some((id, away))
            }
            None => None,
        };
        let person = person_of(&next);
        if created {
            events::append_in(
                &mut *connection,
                backend,
                workspace,
                &NewEvent {
                    kind: "conversation.created",
                    conversation_id: Some(&conversation),
                    team_id: next.team_id.as_deref(),
                    user_id: person,
                    // Whose it is: a customer's own live stream (the widget's) finds it by this.
                    payload: serde_json::json!({
                        "conversation_id": conversation, "channel_id": inbound.channel_id,
                        "contact_id": contact, "external_id": inbound.external_id,
                    }),
                },
            )
            .await?;
        }
        events::append_in(
            &mut *connection,
            backend,
            workspace,
            &NewEvent {
                kind: "message.created",
                conversation_id: Some(&conversation),
                team_id: next.team_id.as_deref(),
                user_id: person,
                payload: serde_json::json!({
                    "conversation_id": conversation, "message_id": message,
                    "direction": "in", "kind": kind, "text": inbound.text,
                }),
            },
        )
        .await?;
        if let Some((id, away)) = away {
            events::append_in(
                &mut *connection,
                backend,
                workspace,
                &message_created(&conversation, &id, &away, next.team_id.as_deref(), person),
            )
            .await?;
        }
        Ok(Received {
            conversation_id: conversation,
            message_id: message,
            duplicate: false,
        })
    }

    /// A conversation of the workspace, with its labels.
    pub async fn get(&self, workspace: &str, id: &str) -> Result<ConversationRecord, StoreError> {
        let mut conversation: ConversationRecord = sqlx::query_as(&format!(
            "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE id = $1 AND workspace_id = $2"
        ))
        .bind(id)
        .bind(workspace)
        .fetch_optional(&self.0.pool)
        .await?
        .ok_or(StoreError::NotFound("conversation"))?;
        self.describe(std::slice::from_mut(&mut conversation))
            .await?;
        Ok(conversation)
    }

    /// Fills what a list shows beside each conversation (its labels, its contact's name, the
    /// latest message), three queries for the whole page, not three per conversation.
    async fn describe(&self, items: &mut [ConversationRecord]) -> Result<(), StoreError> {
        if items.is_empty() {
            return Ok(());
        }
        let places: Vec<String> = (1..=items.len()).map(|place| format!("${place}")).collect();
        let places = places.join(", ");
        let ids: Vec<String> = items.iter().map(|item| item.id.clone()).collect();
        let rows = |sql: String| {
            let ids = ids.clone();
            async move {
                let mut query = sqlx::query_as::<_, (String, Option<String>)>(&sql);
                for id in &ids {
                    query = query.bind(id);
                }
                query.fetch_all(&self.0.pool).await
            }
        };
        let labels = rows(format!(
            "SELECT conversation_id, label FROM conversation_labels
             WHERE conversation_id IN ({places}) ORDER BY label"
        ))
        .await?;
        let names = rows(format!(
            "SELECT conversations.id, contacts.name FROM conversations
             JOIN contacts ON contacts.id = conversations.contact_id
             WHERE conversations.id IN ({places})"
        ))
        .await?;
        let latest = rows(format!(
            "SELECT conversation_id, SUBSTR(text, 1, {PREVIEW_CHARS}) FROM (
                 SELECT conversation_id, text, ROW_NUMBER() OVER (
                     PARTITION BY conversation_id ORDER BY created_at DESC, id DESC) AS place
                 FROM messages
                 WHERE conversation_id IN ({places}) AND kind NOT IN ('note', 'activity')
                   AND text <> ''
             ) AS latest WHERE place = 1"
        ))
        .await?;
        for item in items.iter_mut() {
            item.labels.clear();
        }
        for (conversation, label) in labels {
            if let (Some(item), Some(label)) = (by_id(items, &conversation), label) {
                item.labels.push(label);
            }
        }
        for (conversation, name) in names {
            if let Some(item) = by_id(items, &conversation) {
                item.contact_name = name;
            }
        }
        for (conversation, text) in latest {
            if let Some(item) = by_id(items, &conversation) {
                item.preview = text;
            }
        }
        Ok(())
    }

    /// Applies a change whole: the transition only if the conversation is still as expected
    /// (else `Conflict`), its messages with their send jobs, its events, and the end of the
    /// job that made it.
    pub async fn apply(
        &self,
        workspace: &str,
        id: &str,
        change: &Change<'_>,
    ) -> Result<Applied, StoreError> {
        let backend = self.0.backend();
        let mut transaction = self.0.write().await?;
        let current: ConversationRecord = sqlx::query_as(&format!(
            "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE id = $1 AND workspace_id = $2"
        ))
        .bind(id)
        .bind(workspace)
        .fetch_optional(&mut *transaction)
        .await?
        .ok_or(StoreError::NotFound("conversation"))?;
        let mut state = current.ownership()?;
        let at = now();
        if let Some((expected, next)) = change.transition {
            let moved = sqlx::query(
                "UPDATE conversations SET status = $1, owner_kind = $2, owner_id = $3,
                     team_id = $4, snoozed_until = $5, handoff = COALESCE($6, handoff),
                     waiting_since = CASE WHEN $7 THEN COALESCE(waiting_since, $8) ELSE waiting_since END,
                     last_activity_at = $8, updated_at = $8
                 WHERE id = $9 AND status = $10
                   AND COALESCE(owner_kind, '') = $11 AND COALESCE(owner_id, '') = $12
                   AND COALESCE(team_id, '') = $13",
            )
            .bind(next.status.as_str())
            .bind(next.owner_kind.map(|kind| kind.as_str().to_string()))
            .bind(next.owner_id.clone())
            .bind(next.team_id.clone())
            .bind(change.snoozed_until)
            .bind(change.handoff.clone())
            .bind(waits_for_people(next) && expected.owner_kind == Some(OwnerKind::Agent))
            .bind(at)
            .bind(id)
            .bind(expected.status.as_str())
            .bind(expected.owner_kind.map_or("", |kind| kind.as_str()))
            .bind(expected.owner_id.clone().unwrap_or_default())
            .bind(expected.team_id.clone().unwrap_or_default())
            .execute(&mut *transaction)
            .await?;
            if moved.rows_affected() == 0 {
                return Err(StoreError::Conflict(
                    "the conversation changed meanwhile: read it again".into(),
                ));
            }
            if next.status == ConversationStatus::Snoozed
                && let Some(until) = change.snoozed_until
            {
                let job = Job::WakeConversation {
                    conversation_id: id.to_string(),
                };
                let mut wake = NewJob::now(job, Some(workspace));
                wake.run_after = until;
                jobs::enqueue_in(&mut transaction, &wake).await?;
            }
            state = next.clone();
        }
        let person = person_of(&state).map(str::to_string);
        if let Some((message, turn, outcome)) = change.answers {
            sqlx::query(
                "INSERT INTO message_answers (message_id, turn_id, outcome, created_at)
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(message)
            .bind(turn)
            .bind(outcome)
            .bind(at)
            .execute(&mut *transaction)
            .await
            .map_err(|error| {
                StoreError::conflict_or(error, || "the message has its answer already".into())
            })?;
        }
        let mut message_ids = Vec::new();
        for message in &change.messages {
            let message_id = insert_message(
                &mut transaction,
                workspace,
                (&current.id, &current.channel_id),
                message,
                at,
            )
            .await?;
            events::append_in(
                &mut transaction,
                backend,
                workspace,
                &message_created(
                    id,
                    &message_id,
                    message,
                    state.team_id.as_deref(),
                    person.as_deref(),
                ),
            )
            .await?;
            message_ids.push(message_id);
        }
        if let Some((expected, next)) = change.transition
            && expected != next
        {
            events::append_in(
                &mut transaction,
                backend,
                workspace,
                &NewEvent {
                    kind: change.transition_event,
                    conversation_id: Some(id),
                    team_id: state.team_id.as_deref(),
                    user_id: person.as_deref(),
                    payload: serde_json::json!({
                        "conversation_id": id, "status": state.status,
                        "owner": { "kind": state.owner_kind, "id": state.owner_id },
                        "team_id": state.team_id,
                    }),
                },
            )
            .await?;
        }
        for mentioned in &change.mentions {
            events::append_in(
                &mut transaction,
                backend,
                workspace,
                &NewEvent {
                    kind: "note.mention",
                    conversation_id: Some(id),
                    team_id: None,
                    user_id: Some(mentioned),
                    payload: serde_json::json!({
                        "conversation_id": id, "message_id": message_ids.last(),
                    }),
                },
            )
            .await?;
        }
        if let Some((job, worker)) = change.ends_job
            && !jobs::end_in(&mut transaction, job, worker, "done", None).await?
        {
            return Err(conflict_lost_job());
        }
        transaction.commit().await?;
        Ok(Applied { message_ids })
    }

    /// Adds and removes labels (lowercased); returns the conversation's labels after.
    pub async fn label(
        &self,
        workspace: &str,
        id: &str,
        add: &[String],
        remove: &[String],
    ) -> Result<Vec<String>, StoreError> {
        let conversation = self.get(workspace, id).await?;
        let mut transaction = self.0.write().await?;
        for label in add {
            sqlx::query(
                "INSERT INTO conversation_labels (conversation_id, label) VALUES ($1, $2)
                 ON CONFLICT DO NOTHING",
            )
            .bind(id)
            .bind(label.to_lowercase())
            .execute(&mut *transaction)
            .await?;
        }
        for label in remove {
            sqlx::query(
                "DELETE FROM conversation_labels WHERE conversation_id = $1 AND label = $2",
            )
            .bind(id)
            .bind(label.to_lowercase())
            .execute(&mut *transaction)
            .await?;
        }
        events::append_in(
            &mut transaction,
            self.0.backend(),
            workspace,
            &NewEvent {
                kind: "conversation.labels",
                conversation_id: Some(id),
                team_id: conversation.team_id.as_deref(),
                user_id: conversation.owner_id.as_deref(),
                payload: serde_json::json!({ "conversation_id": id }),
            },
        )
        .await?;
        transaction.commit().await?;
        Ok(self.get(workspace, id).await?.labels)
    }

    /// Sets how urgent the conversation is.
    pub async fn set_priority(
        &self,
        workspace: &str,
        id: &str,
        priority: Priority,
    ) -> Result<ConversationRecord, StoreError> {
        let conversation = self.get(workspace, id).await?;
        let mut transaction = self.0.write().await?;
        sqlx::query("UPDATE conversations SET priority = $1, updated_at = $2 WHERE id = $3")
            .bind(priority.as_str())
            .bind(now())
            .bind(id)
            .execute(&mut *transaction)
            .await?;
        events::append_in(
            &mut transaction,
            self.0.backend(),
            workspace,
            &NewEvent {
                kind: "conversation.priority",
                conversation_id: Some(id),
                team_id: conversation.team_id.as_deref(),
                user_id: conversation.owner_id.as_deref(),
                payload: serde_json::json!({ "conversation_id": id, "priority": priority }),
            },
        )
        .await?;
        transaction.commit().await?;
        self.get(workspace, id).await
    }

    /// A page of conversations in the filter's order.
    pub async fn list(
        &self,
        workspace: &str,
        filter: &ConversationFilter,
        page: &Page,
    ) -> Result<Listed<ConversationRecord>, StoreError> {
        let mut sql = match filter.order {
            ConversationOrder::LastActivity => format!(
                "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE workspace_id = $1
                 AND (CAST($2 AS BIGINT) IS NULL OR last_activity_at < $2
                      OR (last_activity_at = $2 AND id < $3))"
            ),
            ConversationOrder::LongestWaiting => format!(
                "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE workspace_id = $1
                 AND waiting_since IS NOT NULL AND status = 'open'
                 AND (owner_kind IS NULL OR owner_kind <> 'agent')
                 AND (CAST($2 AS BIGINT) IS NULL OR waiting_since > $2
                      OR (waiting_since = $2 AND id > $3))"
            ),
        };
        let mut binds: Vec<String> = Vec::new();
        let mut bind = |sql: &mut String, condition: &str, value: String| {
            binds.push(value);
            sql.push_str(&condition.replace('?', &format!("${}", binds.len() + 4)));
        };
        if let Some(status) = filter.status {
            bind(&mut sql, " AND status = ?", status.to_string());
        }
        if let Some(priority) = filter.priority {
            bind(&mut sql, " AND priority = ?", priority.to_string());
        }
        if let Some(kind) = filter.owner_kind {
            bind(&mut sql, " AND owner_kind = ?", kind.to_string());
        }
        if let Some(owner) = &filter.owner_id {
            bind(&mut sql, " AND owner_id = ?", owner.clone());
        }
        if filter.without_person {
            sql.push_str(" AND (owner_kind IS NULL OR owner_kind = 'team')");
        }
        if let Some(team) = &filter.team_id {
            bind(&mut sql, " AND team_id = ?", team.clone());
        }
        if let Some(channel) = &filter.channel_id {
            bind(&mut sql, " AND channel_id = ?", channel.clone());
        }
        if let Some(contact) = &filter.contact_id {
            bind(&mut sql, " AND contact_id = ?", contact.clone());
        }
        if let Some(label) = &filter.label {
            bind(
                &mut sql,
                " AND id IN (SELECT conversation_id FROM conversation_labels WHERE label = ?)",
                label.to_lowercase(),
            );
        }
        if let Some(text) = &filter.text {
            if self.0.backend() == Backend::Sqlite && text.chars().count() >= 3 {
                // The FTS5 trigram index: a phrase is a substring of three characters or more.
                bind(
                    &mut sql,
                    " AND id IN (SELECT conversation_id FROM messages
                       WHERE messages.workspace_id = $1 AND messages.rowid IN
                         (SELECT rowid FROM messages_search WHERE messages_search MATCH ?))",
                    format!("\"{}\"", text.replace('"', "\"\"")),
                );
            } else {
                // PostgreSQL's trigram index serves LIKE; a search too short for trigrams
                // reads the messages.
                let escaped = text
                    .replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_");
                bind(
                    &mut sql,
                    " AND id IN (SELECT conversation_id FROM messages
                       WHERE messages.workspace_id = $1 AND search_text LIKE ? ESCAPE '\\')",
                    format!("%{escaped}%"),
                );
            }
        }
        if let Some((user, team)) = &filter.visible_to {
            bind(
                &mut sql,
                " AND ((owner_kind = 'user' AND owner_id = ?)",
                user.clone().unwrap_or_default(),
            );
            bind(
                &mut sql,
                " OR team_id = ?)",
                team.clone().unwrap_or_default(),
            );
        }
        sql.push_str(match filter.order {
            ConversationOrder::LastActivity => " ORDER BY last_activity_at DESC, id DESC LIMIT $4",
            ConversationOrder::LongestWaiting => " ORDER BY waiting_since, id LIMIT $4",
        });
        let (at, after) = page.bounds(match filter.order {
            ConversationOrder::LastActivity => None,
            ConversationOrder::LongestWaiting => Some(WAITING),
        })?;
        let mut query = sqlx::query_as(&sql)
            .bind(workspace)
            .bind(at)
            .bind(after)
            .bind(page.fetch());
        for value in binds {
            query = query.bind(value);
        }
        let rows: Vec<ConversationRecord> = query.fetch_all(&self.0.pool).await?;
        let mut listed = page.cut(rows, |conversation| match filter.order {
            ConversationOrder::LastActivity => {
                Cursor::new(conversation.last_activity_at, &conversation.id)
            }
            ConversationOrder::LongestWaiting => Cursor::in_order(
                WAITING,
                conversation.waiting_since.unwrap_or_default(),
                &conversation.id,
            ),
        });
        self.describe(&mut listed.items).await?;
        Ok(listed)
    }

    /// A person has read the conversation up to now.
    pub async fn mark_read(
        &self,
        workspace: &str,
        conversation: &str,
        user: &str,
    ) -> Result<(), StoreError> {
        self.get(workspace, conversation).await?;
        sqlx::query(
            "INSERT INTO conversation_reads (user_id, conversation_id, read_at) VALUES ($1, $2, $3)
             ON CONFLICT (user_id, conversation_id) DO UPDATE SET read_at = excluded.read_at",
        )
        .bind(user)
        .bind(conversation)
        .bind(now())
        .execute(self.0.writer())
        .await?;
        Ok(())
    }

    /// For each of these conversations, how many of the customer's messages arrived after
    /// the person last read it (all of them, if never): conversations with none are left out.
    pub async fn unread(
        &self,
        workspace: &str,
        user: &str,
        conversations: &[String],
    ) -> Result<std::collections::HashMap<String, i64>, StoreError> {
        if conversations.is_empty() {
            return Ok(Default::default());
        }
        let places: Vec<String> = (0..conversations.len())
            .map(|index| format!("${}", index + 3))
            .collect();
        let sql = format!(
            "SELECT messages.conversation_id, COUNT(*) FROM messages
             LEFT JOIN conversation_reads ON conversation_reads.conversation_id = messages.conversation_id
                 AND conversation_reads.user_id = $2
             WHERE messages.workspace_id = $1 AND messages.direction = 'in'
               AND messages.conversation_id IN ({})
               AND messages.created_at > COALESCE(conversation_reads.read_at, 0)
             GROUP BY messages.conversation_id",
            places.join(", ")
        );
        let mut query = sqlx::query_as::<_, (String, i64)>(&sql)
            .bind(workspace)
            .bind(user);
        for conversation in conversations {
            query = query.bind(conversation);
        }
        Ok(query.fetch_all(&self.0.pool).await?.into_iter().collect())
    }

    /// A team's open conversations no person has, the longest waiting first: what
    /// auto-assignment hands out.
    pub async fn waiting_in(
        &self,
        workspace: &str,
        team: &str,
        limit: i64,
    ) -> Result<Vec<ConversationRecord>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "SELECT {CONVERSATION_COLUMNS} FROM conversations
             WHERE workspace_id = $1 AND team_id = $2 AND status = 'open'
               AND (owner_kind IS NULL OR owner_kind = 'team')
             ORDER BY COALESCE(waiting_since, last_activity_at), id LIMIT $3"
        ))
        .bind(workspace)
        .bind(team)
        .bind(limit)
        .fetch_all(&self.0.pool)
        .await?)
    }

    /// A page of a conversation's messages, oldest first.
    pub async fn messages(
        &self,
        workspace: &str,
        conversation: &str,
        page: &Page,
    ) -> Result<Listed<MessageRecord>, StoreError> {
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE workspace_id = $1 {AFTER}
               AND conversation_id = $5
             ORDER BY created_at, id LIMIT $4"
        );
        let mut listed: Listed<MessageRecord> =
            page::fetch(&self.0.pool, &sql, workspace, &[conversation], page).await?;
        // A page's attachments in one query, not one per message.
        let media: Vec<&str> = listed
            .items
            .iter()
            .filter(|message| message.kind == MessageKind::Media)
            .map(|message| message.id.as_str())
            .collect();
        if !media.is_empty() {
            let places: Vec<String> = (1..=media.len()).map(|place| format!("${place}")).collect();
            let sql = format!(
                "SELECT message_id, checksum, name, content_type, bytes FROM message_attachments
                 WHERE message_id IN ({}) ORDER BY message_id, position",
                places.join(", ")
            );
            let mut query = sqlx::query_as::<_, (String, String, String, String, i64)>(&sql);
            for id in media {
                query = query.bind(id);
            }
            for (message, checksum, name, content_type, bytes) in
                query.fetch_all(&self.0.pool).await?
            {
                if let Some(item) = listed.items.iter_mut().find(|item| item.id == message) {
                    item.attachments.push(Attachment {
                        checksum,
                        name,
                        content_type,
                        bytes,
                    });
                }
            }
        }
        Ok(listed)
    }

    /// The latest `limit` messages of a conversation that are for the customer's eyes (no
    /// notes, no activities), oldest first: what a returning web chat visitor sees.
    pub async fn customer_thread(
        &self,
        workspace: &str,
        conversation: &str,
        limit: i64,
    ) -> Result<Vec<MessageRecord>, StoreError> {
        let mut latest: Vec<MessageRecord> = sqlx::query_as(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages
             WHERE workspace_id = $1 AND conversation_id = $2
               AND kind NOT IN ('note', 'activity')
             ORDER BY created_at DESC, id DESC LIMIT $3"
        ))
        .bind(workspace)
        .bind(conversation)
        .bind(limit)
        .fetch_all(&self.0.pool)
        .await?;
        latest.reverse();
        Ok(latest)
    }

    pub async fn message(&self, workspace: &str, id: &str) -> Result<MessageRecord, StoreError> {
        let mut message: MessageRecord = sqlx::query_as(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE id = $1 AND workspace_id = $2"
        ))
        .bind(id)
        .bind(workspace)
        .fetch_optional(&self.0.pool)
        .await?
        .ok_or(StoreError::NotFound("message"))?;
        message.attachments = sqlx::query_as(
            "SELECT checksum, name, content_type, bytes FROM message_attachments
             WHERE message_id = $1 ORDER BY position",
        )
        .bind(id)
        .fetch_all(&self.0.pool)
        .await?;
        Ok(message)
    }

    /// A file one of the conversation's messages carries, found by its checksum.
    pub async fn attachment(
        &self,
        workspace: &str,
        conversation: &str,
        checksum: &str,
    ) -> Result<Attachment, StoreError> {
        sqlx::query_as(
            "SELECT message_attachments.checksum, message_attachments.name,
                    message_attachments.content_type, message_attachments.bytes
             FROM message_attachments
             JOIN messages ON messages.id = message_attachments.message_id
             WHERE message_attachments.workspace_id = $1 AND messages.conversation_id = $2
               AND message_attachments.checksum = $3
             LIMIT 1",
        )
        .bind(workspace)
        .bind(conversation)
        .bind(checksum)
        .fetch_optional(&self.0.pool)
        .await?
        .ok_or(StoreError::NotFound("attachment"))
    }

    /// Moves an outbound message's delivery status forward (never back: a late "delivered"
    /// after "read" changes nothing) and ends the send job that learnt it, when one did.
    /// False when the status did not move.
    pub async fn set_delivery(
        &self,
        workspace: &str,
        message: &str,
        status: DeliveryStatus,
        error: Option<&str>,
        platform_id: Option<&str>,
        ends_job: Option<(&str, &str)>,
    ) -> Result<bool, StoreError> {
        let earlier: Vec<&str> = status.follows().iter().map(|s| s.as_str()).collect();
        let earlier = earlier
            .iter()
            .map(|status| format!("'{status}'"))
            .collect::<Vec<_>>()
            .join(", ");
        if earlier.is_empty() {
            return Ok(false);
        }
        let mut transaction = self.0.write().await?;
        let moved: Option<AnyRow> = sqlx::query(&format!(
            "UPDATE messages SET status = $1, error = COALESCE($2, error),
                 platform_message_id = COALESCE(platform_message_id, $3), updated_at = $4
             WHERE id = $5 AND workspace_id = $6 AND status IN ({earlier})
             RETURNING conversation_id"
        ))
        .bind(status.as_str())
        .bind(error.map(str::to_string))
        .bind(platform_id.map(str::to_string))
        .bind(now())
        .bind(message)
        .bind(workspace)
        .fetch_optional(&mut *transaction)
        .await?;
        if let Some(row) = &moved {
            let conversation: String = row.try_get(0)?;
            let payload = serde_json::json!({
                "conversation_id": conversation, "message_id": message,
                "status": status, "error": error,
            });
            events::append_about_conversation(
                &mut transaction,
                self.0.backend(),
                workspace,
                &conversation,
                "message.status",
                payload,
            )
            .await?;
        }
        if let Some((job, worker)) = ends_job {
            let state = if status == DeliveryStatus::Failed {
                "failed"
            } else {
                "done"
            };
            if !jobs::end_in(&mut transaction, job, worker, state, error).await? {
                return Err(conflict_lost_job());
            }
        }
        transaction.commit().await?;
        Ok(moved.is_some())
    }

    /// Changes a message as the platform says the customer did: a new text or taken back
    /// (its text gone, from search too) for their own; a reaction on either side's. `false`
    /// when no such message is stored (sent before the channel was connected).
    pub async fn revise_inbound(
        &self,
        workspace: &str,
        channel: &str,
        platform_id: &str,
        revision: Revision,
    ) -> Result<bool, StoreError> {
        let mut transaction = self.0.write().await?;
        // A reaction may be to either side's message; the rest only to the customer's own.
        let found: Option<(String, String, Option<String>)> = sqlx::query_as(
            "SELECT id, conversation_id, details FROM messages
             WHERE workspace_id = $1 AND channel_id = $2 AND platform_message_id = $3
                 AND (direction = 'in' OR $4)
             ORDER BY direction LIMIT 1",
        )
        .bind(workspace)
        .bind(channel)
        .bind(platform_id)
        .bind(matches!(revision, Revision::React { .. }))
        .fetch_optional(&mut *transaction)
        .await?;
        let Some((message, conversation, details)) = found else {
            return Ok(false);
        };
        let mut details: serde_json::Map<String, serde_json::Value> = details
            .as_deref()
            .and_then(|details| serde_json::from_str(details).ok())
            .unwrap_or_default();
        let at = now();
        let changed_text = match revision {
            Revision::React { emoji } if emoji.is_empty() => {
                details.remove("reaction");
                None
            }
            Revision::React { emoji } => {
                details.insert("reaction".into(), emoji.into());
                None
            }
            Revision::Edit { text, search_text } => {
                details.insert("edited_at".into(), at.into());
                Some((text, search_text))
            }
            Revision::Unsend => {
                details.insert("unsent_at".into(), at.into());
                details.remove("media");
                details.remove("location");
                Some((String::new(), String::new()))
            }
        };
        let (text, search_text) = changed_text.unzip();
        sqlx::query(
            "UPDATE messages SET text = COALESCE($1, text),
                 search_text = COALESCE($2, search_text), details = $3, updated_at = $4
             WHERE id = $5",
        )
        .bind(text)
        .bind(search_text)
        .bind(serde_json::Value::Object(details).to_string())
        .bind(at)
        .bind(&message)
        .execute(&mut *transaction)
        .await?;
        let payload = serde_json::json!({ "conversation_id": conversation, "message_id": message });
        events::append_about_conversation(
            &mut transaction,
            self.0.backend(),
            workspace,
            &conversation,
            "message.updated",
            payload,
        )
        .await?;
        transaction.commit().await?;
        Ok(true)
    }

    /// The customers sent a template on any of `channels` since `since` (ms), failures aside:
    /// how many, and whether `contact` is one of them.
    pub async fn template_recipients(
        &self,
        workspace: &str,
        channels: &[String],
        since: i64,
        contact: &str,
    ) -> Result<(i64, bool), StoreError> {
        if channels.is_empty() {
            return Ok((0, false));
        }
        let listed: Vec<String> = (0..channels.len())
            .map(|at| format!("${}", at + 4))
            .collect();
        let sql = format!(
            "SELECT COUNT(DISTINCT conversations.contact_id),
                    CAST(COALESCE(MAX(CASE WHEN conversations.contact_id = $3 THEN 1 ELSE 0 END),
                        0) AS BIGINT)
             FROM messages JOIN conversations ON conversations.id = messages.conversation_id
             WHERE messages.workspace_id = $1 AND messages.kind = 'template'
                 AND messages.status <> 'failed' AND messages.created_at > $2
                 AND messages.channel_id IN ({})",
            listed.join(", ")
        );
        let mut query = sqlx::query_as::<_, (i64, i64)>(&sql)
            .bind(workspace)
            .bind(since)
            .bind(contact);
        for channel in channels {
            query = query.bind(channel);
        }
        let (count, includes) = query.fetch_one(&self.0.pool).await?;
        Ok((count, includes == 1))
    }

    /// Notes what an outbound message cost in the platform's billing units (SMS segments).
    pub async fn record_cost(
        &self,
        workspace: &str,
        message: &str,
        units: u32,
    ) -> Result<(), StoreError> {
        let mut transaction = self.0.write().await?;
        let details: Option<Option<String>> =
            sqlx::query_scalar("SELECT details FROM messages WHERE id = $1 AND workspace_id = $2")
                .bind(message)
                .bind(workspace)
                .fetch_optional(&mut *transaction)
                .await?;
        let Some(details) = details else {
            return Err(StoreError::NotFound("message"));
        };
        let mut details: serde_json::Map<String, serde_json::Value> = details
            .as_deref()
            .and_then(|details| serde_json::from_str(details).ok())
            .unwrap_or_default();
        details.insert("cost_units".into(), units.into());
        sqlx::query("UPDATE messages SET details = $1 WHERE id = $2")
            .bind(serde_json::Value::Object(details).to_string())
            .bind(message)
            .execute(&mut *transaction)
            .await?;
        transaction.commit().await?;
        Ok(())
    }

    /// Records that the platform took the first `parts` parts of an outbound message (the
    /// first part's id is the message's), before the rest go: a retry starts after them.
    pub async fn record_sent_parts(
        &self,
        workspace: &str,
        message: &str,
        parts: i64,
        platform_id: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE messages SET sent_parts = $1,
                 platform_message_id = COALESCE(platform_message_id, $2), updated_at = $3
             WHERE id = $4 AND workspace_id = $5 AND status <> 'failed'",
        )
        .bind(parts)
        .bind(platform_id.map(str::to_string))
        .bind(now())
        .bind(message)
        .bind(workspace)
        .execute(self.0.writer())
        .await?;
        Ok(())
    }

    /// The messages sent to a channel's customer (by their id on the platform), written before
    /// `up_to` (ms) and taken by the platform, that have not reached `status` yet, oldest
    /// first: what a watermark moves forward.
    pub async fn sent_up_to(
        &self,
        workspace: &str,
        channel: &str,
        external_id: &str,
        status: DeliveryStatus,
        up_to: i64,
    ) -> Result<Vec<String>, StoreError> {
        let earlier: Vec<String> = status
            .follows()
            .iter()
            .filter(|earlier| **earlier != DeliveryStatus::Queued)
            .map(|earlier| format!("'{}'", earlier.as_str()))
            .collect();
        if earlier.is_empty() {
            return Ok(Vec::new());
        }
        Ok(sqlx::query_scalar(&format!(
            "SELECT messages.id FROM messages
             JOIN conversations ON conversations.id = messages.conversation_id
             JOIN contact_identities ON contact_identities.contact_id = conversations.contact_id
                 AND contact_identities.channel_id = conversations.channel_id
             WHERE messages.workspace_id = $1 AND messages.channel_id = $2
                 AND contact_identities.external_id = $3 AND messages.direction = 'out'
                 AND messages.created_at <= $4 AND messages.status IN ({})
             ORDER BY messages.created_at, messages.id",
            earlier.join(", ")
        ))
        .bind(workspace)
        .bind(channel)
        .bind(external_id)
        .bind(up_to)
        .fetch_all(&self.0.pool)
        .await?)
    }

    /// How many messages went to the customer in a conversation after `since` (ms), before
    /// `message` when given: sends and sends to come, not notes, not failures.
    pub async fn count_answers(
        &self,
        workspace: &str,
        conversation: &str,
        since: i64,
        message: Option<&str>,
    ) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM messages
             WHERE workspace_id = $1 AND conversation_id = $2 AND direction = 'out'
                 AND kind NOT IN ('note', 'activity') AND status <> 'failed' AND created_at > $3
                 AND ($4 IS NULL OR (id <> $4 AND created_at <= (SELECT created_at FROM messages
                     WHERE id = $4)))",
        )
        .bind(workspace)
        .bind(conversation)
        .bind(since)
        .bind(message.map(str::to_string))
        .fetch_one(&self.0.pool)
        .await?)
    }

    /// The outbound message with this platform id on a channel (a status callback names it
    /// so).
    pub async fn find_by_platform_id(
        &self,
        workspace: &str,
        channel: &str,
        platform_id: &str,
    ) -> Result<MessageRecord, StoreError> {
        sqlx::query_as(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE workspace_id = $1 AND channel_id = $2
               AND direction = 'out' AND platform_message_id = $3"
        ))
        .bind(workspace)
        .bind(channel)
        .bind(platform_id)
        .fetch_optional(&self.0.pool)
        .await?
        .ok_or(StoreError::NotFound("message"))
    }
}

/// A conversation waits for people when no AI agent owns it.
fn waits_for_people(state: &Ownership) -> bool {
    state.owner_kind != Some(OwnerKind::Agent)
}

fn person_of(state: &Ownership) -> Option<&str> {
    match state.owner_kind {
        Some(OwnerKind::User) => state.owner_id.as_deref(),
        _ => None,
    }
}

/// The event of a message written to a conversation.
fn message_created<'e>(
    conversation: &'e str,
    message_id: &str,
    message: &NewMessage,
    team: Option<&'e str>,
    person: Option<&'e str>,
) -> NewEvent<'e> {
    NewEvent {
        kind: "message.created",
        conversation_id: Some(conversation),
        team_id: team,
        user_id: person,
        payload: serde_json::json!({
            "conversation_id": conversation, "message_id": message_id,
            "direction": message.direction, "kind": message.kind,
            "sender": { "kind": message.sender_kind, "id": message.sender_id },
            "text": message.text,
            "details": shown_details(message),
        }),
    }
}

/// The details an event may carry: an AI reply's (its citations, the questions it offers),
/// which its readers show. A customer's message keeps what it arrived with (a platform's
/// reply token, a visitor's pre-chat answers) out of the event log.
fn shown_details(message: &NewMessage) -> Option<serde_json::Value> {
    if message.sender_kind != SenderKind::Agent {
        return None;
    }
    serde_json::from_str(message.details.as_deref()?).ok()
}

/// Writes a message to a conversation (its id and channel); one that leaves is queued with
/// its send job. Only a reply (not the system's away message) counts as the first reply.
async fn insert_message(
    connection: &mut AnyConnection,
    workspace: &str,
    (conversation, channel): (&str, &str),
    message: &NewMessage,
    at: i64,
) -> Result<String, StoreError> {
    let id = new_id();
    let leaves = message.direction == Direction::Out && message.kind.reaches_the_customer();
    let status = if leaves {
        DeliveryStatus::Queued
    } else {
        DeliveryStatus::Delivered
    };
    sqlx::query(
        "INSERT INTO messages (id, workspace_id, conversation_id, channel_id, direction,
             sender_kind, sender_id, kind, text, reply_to, status, turn_id, details,
             created_at, updated_at, search_text)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14, $15)",
    )
    .bind(&id)
    .bind(workspace)
    .bind(conversation)
    .bind(channel)
    .bind(message.direction.as_str())
    .bind(message.sender_kind.as_str())
    .bind(message.sender_id.clone())
    .bind(message.kind.as_str())
    .bind(&message.text)
    .bind(message.reply_to.clone())
    .bind(status.as_str())
    .bind(message.turn_id.clone())
    .bind(message.details.clone())
    .bind(at)
    .bind(&message.search_text)
    .execute(&mut *connection)
    .await?;
    if leaves {
        let replied_by_person = message.sender_kind == SenderKind::User;
        let replied = message.sender_kind != SenderKind::System;
        sqlx::query(
            "UPDATE conversations SET
                 first_reply_at = CASE WHEN $4 THEN COALESCE(first_reply_at, $1)
                     ELSE first_reply_at END,
                 waiting_since = CASE WHEN $2 THEN NULL ELSE waiting_since END,
                 last_activity_at = $1, updated_at = $1
             WHERE id = $3",
        )
        .bind(at)
        .bind(replied_by_person)
        .bind(conversation)
        .bind(replied)
        .execute(&mut *connection)
        .await?;
        let job = Job::SendMessage {
            message_id: id.clone(),
        };
        jobs::enqueue_in(connection, &NewJob::now(job, Some(workspace))).await?;
    } else {
        sqlx::query(
            "UPDATE conversations SET last_activity_at = $1, updated_at = $1 WHERE id = $2",
        )
        .bind(at)
        .bind(conversation)
        .execute(&mut *connection)
        .await?;
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_ai_replys_details_reach_the_event_log() {
        let message = |sender_kind: SenderKind, details: &str| NewMessage {
            direction: Direction::In,
            sender_kind,
            sender_id: None,
            kind: MessageKind::Text,
            text: "1".into(),
            search_text: "1".into(),
            reply_to: None,
            turn_id: None,
            details: Some(details.into()),
        };
        let customer = message(
            SenderKind::Contact,
            r#"{"reply_token":"r-1","visitor":{"email":"a@b.c"}}"#,
        );
        let event = message_created("c", "m", &customer, None, None);
        assert!(event.payload["details"].is_null(), "{}", event.payload);
        let reply = message(SenderKind::Agent, r#"{"unanswered":true,"offered":["Q?"]}"#);
        let event = message_created("c", "m", &reply, None, None);
        assert_eq!(event.payload["details"]["offered"][0], "Q?");
    }
}
