//! Channel accounts (a WhatsApp number, a Telegram bot, the `api` channel) and the contacts
//! that write through them: one identity per channel account and platform user id.

use serde::Serialize;
use sqlx::{AnyConnection, Row};

use crate::audit;
use crate::error::StoreError;
use crate::page::{self, AFTER, Listed, Page};
use crate::store::{Store, new_id, now};

/// A channel account as the API shows it: never its secret.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ChannelRecord {
    pub id: String,
    /// `api` (the others arrive with the channels).
    pub kind: String,
    pub name: String,
    /// The AI agent that answers first; none: straight to people.
    pub agent_id: Option<String>,
    /// The team that receives handoffs no agent rule places, and conversations without an
    /// agent.
    pub team_id: Option<String>,
    /// The channel's settings that are not secret (JSON; `webhook_url` for `api`).
    #[schema(value_type = Object)]
    #[serde(serialize_with = "as_json")]
    pub config: String,
    pub created_at: i64,
}

fn as_json<S: serde::Serializer>(text: &str, serializer: S) -> Result<S::Ok, S::Error> {
    let value: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
    value.serialize(serializer)
}

/// A channel account to create; its secret arrives sealed by the caller.
#[derive(Debug, Clone)]
pub struct NewChannel {
    pub kind: String,
    pub name: String,
    pub agent_id: Option<String>,
    pub team_id: Option<String>,
    pub config: serde_json::Value,
    pub secret_sealed: String,
}

const CHANNEL_COLUMNS: &str = "id, kind, name, agent_id, team_id, config, created_at";

/// The channel-accounts area of the records.
pub struct Channels<'a>(pub(crate) &'a Store);

impl Channels<'_> {
    /// Creates a channel account. Its agent and team must be the workspace's own.
    pub async fn create(
        &self,
        workspace: &str,
        actor: &str,
        new: &NewChannel,
    ) -> Result<ChannelRecord, StoreError> {
        if let Some(agent) = &new.agent_id {
            self.0.agents().get(workspace, agent).await?;
        }
        self.0
            .teams()
            .check(workspace, new.team_id.as_deref())
            .await?;
        let at = now();
        let channel = ChannelRecord {
            id: new_id(),
            kind: new.kind.clone(),
            name: new.name.clone(),
            agent_id: new.agent_id.clone(),
            team_id: new.team_id.clone(),
            config: new.config.to_string(),
            created_at: at,
        };
        let mut transaction = self.0.write().await?;
        sqlx::query(
            "INSERT INTO channels (id, workspace_id, kind, name, agent_id, team_id, config,
                 secret_sealed, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
        )
        .bind(&channel.id)
        .bind(workspace)
        .bind(&channel.kind)
        .bind(&channel.name)
        .bind(channel.agent_id.clone())
        .bind(channel.team_id.clone())
        .bind(&channel.config)
        .bind(&new.secret_sealed)
        .bind(at)
        .execute(&mut *transaction)
        .await?;
        audit::record(
            &mut transaction,
            workspace,
            actor,
            "channel.create",
            &channel.id,
        )
        .await?;
        transaction.commit().await?;
        Ok(channel)
    }

    pub async fn get(&self, workspace: &str, id: &str) -> Result<ChannelRecord, StoreError> {
        sqlx::query_as(&format!(
            "SELECT {CHANNEL_COLUMNS} FROM channels WHERE id = $1 AND workspace_id = $2"
        ))
        .bind(id)
        .bind(workspace)
        .fetch_optional(&self.0.pool)
        .await?
        .ok_or(StoreError::NotFound("channel"))
    }

    /// The channel's secret as stored (sealed): for the caller to open when it signs or
    /// verifies, never to show.
    pub async fn sealed_secret(&self, workspace: &str, id: &str) -> Result<String, StoreError> {
        sqlx::query("SELECT secret_sealed FROM channels WHERE id = $1 AND workspace_id = $2")
            .bind(id)
            .bind(workspace)
            .fetch_optional(&self.0.pool)
            .await?
            .map(|row| row.try_get(0))
            .transpose()?
            .ok_or(StoreError::NotFound("channel"))
    }

    /// The workspace's channel accounts, oldest first.
    pub async fn list(
        &self,
        workspace: &str,
        page: &Page,
    ) -> Result<Listed<ChannelRecord>, StoreError> {
        let sql = format!(
            "SELECT {CHANNEL_COLUMNS} FROM channels WHERE workspace_id = $1 {AFTER}
             ORDER BY created_at, id LIMIT $4"
        );
        page::fetch(&self.0.pool, &sql, workspace, &[], page).await
    }
}

/// The contact a channel's user is, created on their first message. Two first messages at
/// once find one contact: the identity's key decides, and the loser's new contact is removed.
pub(crate) async fn identify_in(
    connection: &mut AnyConnection,
    workspace: &str,
    channel: &str,
    external_id: &str,
    name: Option<&str>,
) -> Result<String, sqlx::Error> {
    let known: Option<String> = sqlx::query_scalar(
        "SELECT contact_id FROM contact_identities WHERE channel_id = $1 AND external_id = $2",
    )
    .bind(channel)
    .bind(external_id)
    .fetch_optional(&mut *connection)
    .await?;
    if let Some(contact) = known {
        return Ok(contact);
    }
    let contact = new_id();
    let at = now();
    sqlx::query(
        "INSERT INTO contacts (id, workspace_id, name, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $4)",
    )
    .bind(&contact)
    .bind(workspace)
    .bind(name.map(str::to_string))
    .bind(at)
    .execute(&mut *connection)
    .await?;
    let linked = sqlx::query(
        "INSERT INTO contact_identities (channel_id, external_id, contact_id, workspace_id,
             created_at)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
    )
    .bind(channel)
    .bind(external_id)
    .bind(&contact)
    .bind(workspace)
    .bind(at)
    .execute(&mut *connection)
    .await?;
    if linked.rows_affected() > 0 {
        return Ok(contact);
    }
    sqlx::query("DELETE FROM contacts WHERE id = $1")
        .bind(&contact)
        .execute(&mut *connection)
        .await?;
    sqlx::query_scalar(
        "SELECT contact_id FROM contact_identities WHERE channel_id = $1 AND external_id = $2",
    )
    .bind(channel)
    .bind(external_id)
    .fetch_one(&mut *connection)
    .await
}

/// A contact as the inbox shows it beside a conversation.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ContactRecord {
    pub id: String,
    pub name: Option<String>,
    pub language: Option<String>,
    /// The contact's id on the conversation's channel.
    pub external_id: Option<String>,
    pub created_at: i64,
}

/// The contacts area of the records (the CRM grows it).
pub struct Contacts<'a>(pub(crate) &'a Store);

impl Contacts<'_> {
    /// A contact, with its id on `channel`.
    pub async fn get(
        &self,
        workspace: &str,
        id: &str,
        channel: &str,
    ) -> Result<ContactRecord, StoreError> {
        sqlx::query_as(
            "SELECT contacts.id, contacts.name, contacts.language,
                    contact_identities.external_id, contacts.created_at
             FROM contacts
             LEFT JOIN contact_identities ON contact_identities.contact_id = contacts.id
                 AND contact_identities.channel_id = $3
             WHERE contacts.id = $1 AND contacts.workspace_id = $2",
        )
        .bind(id)
        .bind(workspace)
        .bind(channel)
        .fetch_optional(&self.0.pool)
        .await?
        .ok_or(StoreError::NotFound("contact"))
    }
}
