//! Channel accounts (a WhatsApp number, a Telegram bot, the `api` channel) and the contacts
//! that write through them: one identity per channel account and platform user id.

use serde::Serialize;
use sqlx::{AnyConnection, Row};

use types::{Email, Phone};

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

    /// A channel account by its id alone, with its workspace: for the platforms' webhooks,
    /// which carry no credential of the workspace.
    pub async fn locate(&self, id: &str) -> Result<(String, ChannelRecord), StoreError> {
        let row = sqlx::query(&format!(
            "SELECT workspace_id, {CHANNEL_COLUMNS} FROM channels WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.0.pool)
        .await?
        .ok_or(StoreError::NotFound("channel"))?;
        let workspace: String = row.try_get("workspace_id")?;
        let channel = <ChannelRecord as sqlx::FromRow<_>>::from_row(&row)?;
        Ok((workspace, channel))
    }

    /// Keeps a delivery's events of kinds this version does not act on, as the platform sent
    /// them (`id`: the caller's hash of channel and payload; kept once). `false` when it was
    /// kept before.
    pub async fn keep_unhandled(
        &self,
        workspace: &str,
        channel: &str,
        id: &str,
        kinds: &str,
        payload: &str,
    ) -> Result<bool, StoreError> {
        let kept = sqlx::query(
            "INSERT INTO channel_events (id, workspace_id, channel_id, kinds, payload, received_at)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING",
        )
        .bind(id)
        .bind(workspace)
        .bind(channel)
        .bind(kinds)
        .bind(payload)
        .bind(now())
        .execute(self.0.writer())
        .await?;
        Ok(kept.rows_affected() == 1)
    }

    /// Replaces the channel's settings that are not secret (its routing among them).
    pub async fn set_config(
        &self,
        workspace: &str,
        actor: &str,
        id: &str,
        config: &serde_json::Value,
    ) -> Result<ChannelRecord, StoreError> {
        let mut transaction = self.0.write().await?;
        let updated = sqlx::query(
            "UPDATE channels SET config = $1, updated_at = $2 WHERE id = $3 AND workspace_id = $4",
        )
        .bind(config.to_string())
        .bind(now())
        .bind(id)
        .bind(workspace)
        .execute(&mut *transaction)
        .await?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound("channel"));
        }
        audit::record(&mut transaction, workspace, actor, "channel.configure", id).await?;
        transaction.commit().await?;
        self.get(workspace, id).await
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

    /// The workspace's channel accounts of one type, all of them.
    pub async fn of_kind(
        &self,
        workspace: &str,
        kind: &str,
    ) -> Result<Vec<ChannelRecord>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "SELECT {CHANNEL_COLUMNS} FROM channels WHERE workspace_id = $1 AND kind = $2
             ORDER BY created_at, id"
        ))
        .bind(workspace)
        .bind(kind)
        .fetch_all(&self.0.pool)
        .await?)
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

/// What a channel says of a customer, already checked.
#[derive(Debug, Clone, Default)]
pub struct ContactDetails {
    pub name: Option<String>,
    pub phone: Option<Phone>,
    pub email: Option<Email>,
    pub language: Option<String>,
}

impl ContactDetails {
    fn handles(&self) -> impl Iterator<Item = (&'static str, &str)> {
        let phone = self.phone.as_ref().map(|phone| ("phone", phone.as_str()));
        let email = self.email.as_ref().map(|email| ("email", email.as_str()));
        phone.into_iter().chain(email)
    }
}

async fn identity(
    connection: &mut AnyConnection,
    channel: &str,
    external_id: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT contact_id FROM contact_identities WHERE channel_id = $1 AND external_id = $2",
    )
    .bind(channel)
    .bind(external_id)
    .fetch_optional(&mut *connection)
    .await
}

/// The contact who holds a phone or email (`handle`), unless they have an account on `channel`
/// already: one channel account is one person, whatever number another account gives.
async fn holder_elsewhere(
    connection: &mut AnyConnection,
    workspace: &str,
    channel: &str,
    (kind, value): (&str, &str),
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT contact_id FROM contact_handles
         WHERE workspace_id = $1 AND kind = $2 AND value = $3
           AND NOT EXISTS (SELECT 1 FROM contact_identities
               WHERE contact_identities.contact_id = contact_handles.contact_id
                 AND contact_identities.channel_id = $4)",
    )
    .bind(workspace)
    .bind(kind)
    .bind(value)
    .bind(channel)
    .fetch_optional(&mut *connection)
    .await
}

/// The contact a channel's user is. On their first message: the contact another channel knows
/// by the same phone or email (`holder_elsewhere`), else a new one. Two first messages at once
/// find one contact: the identity's key (or the phone's or email's) decides, and the loser's
/// new contact is removed. What the channel says of them is kept: a name or language the
/// contact lacks, a phone or email no other contact has.
pub(crate) async fn identify_in(
    connection: &mut AnyConnection,
    workspace: &str,
    channel: &str,
    external_id: &str,
    details: &ContactDetails,
) -> Result<String, sqlx::Error> {
    let at = now();
    let mut created = false;
    let mut contact = match identity(connection, channel, external_id).await? {
        Some(contact) => contact,
        None => {
            let mut known = None;
            for (kind, value) in details.handles() {
                known = holder_elsewhere(connection, workspace, channel, (kind, value)).await?;
                if known.is_some() {
                    break;
                }
            }
            created = known.is_none();
            let contact = match known {
                Some(contact) => contact,
                None => {
                    let contact = new_id();
                    sqlx::query(
                        "INSERT INTO contacts (id, workspace_id, name, language, created_at,
                             updated_at)
                         VALUES ($1, $2, $3, $4, $5, $5)",
                    )
                    .bind(&contact)
                    .bind(workspace)
                    .bind(details.name.clone())
                    .bind(details.language.clone())
                    .bind(at)
                    .execute(&mut *connection)
                    .await?;
                    contact
                }
            };
            let linked = sqlx::query(
                "INSERT INTO contact_identities (channel_id, external_id, contact_id,
                     workspace_id, created_at)
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
                contact
            } else {
                if created {
                    sqlx::query("DELETE FROM contacts WHERE id = $1")
                        .bind(&contact)
                        .execute(&mut *connection)
                        .await?;
                    created = false;
                }
                identity(connection, channel, external_id)
                    .await?
                    .ok_or(sqlx::Error::RowNotFound)?
            }
        }
    };
    for (kind, value) in details.handles() {
        let kept = sqlx::query(
            "INSERT INTO contact_handles (workspace_id, kind, value, contact_id, created_at)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        )
        .bind(workspace)
        .bind(kind)
        .bind(value)
        .bind(&contact)
        .bind(at)
        .execute(&mut *connection)
        .await?;
        if kept.rows_affected() == 0 && created {
            // Another channel's first message with the same number committed meanwhile:
            // this account is that person's, and the contact just made goes.
            let holder = holder_elsewhere(connection, workspace, channel, (kind, value)).await?;
            let Some(holder) = holder else {
                continue;
            };
            sqlx::query(
                "UPDATE contact_identities SET contact_id = $1 WHERE channel_id = $2
                     AND external_id = $3",
            )
            .bind(&holder)
            .bind(channel)
            .bind(external_id)
            .execute(&mut *connection)
            .await?;
            sqlx::query("UPDATE contact_handles SET contact_id = $1 WHERE contact_id = $2")
                .bind(&holder)
                .bind(&contact)
                .execute(&mut *connection)
                .await?;
            sqlx::query("DELETE FROM contacts WHERE id = $1")
                .bind(&contact)
                .execute(&mut *connection)
                .await?;
            contact = holder;
            created = false;
        }
    }
    if details.name.is_some() || details.language.is_some() {
        sqlx::query(
            "UPDATE contacts SET name = COALESCE(name, $1), language = COALESCE(language, $2),
                 updated_at = $3
             WHERE id = $4 AND ((name IS NULL AND CAST($1 AS TEXT) IS NOT NULL)
                 OR (language IS NULL AND CAST($2 AS TEXT) IS NOT NULL))",
        )
        .bind(details.name.clone())
        .bind(details.language.clone())
        .bind(at)
        .bind(&contact)
        .execute(&mut *connection)
        .await?;
    }
    Ok(contact)
}

/// A contact as the inbox shows it beside a conversation.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ContactRecord {
    pub id: String,
    pub name: Option<String>,
    pub language: Option<String>,
    /// The contact's id on the conversation's channel.
    pub external_id: Option<String>,
    /// When they stopped the business's messages on that channel, if they have.
    pub unsubscribed_at: Option<i64>,
    pub created_at: i64,
}

/// One of a contact's accounts on a channel.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ContactIdentity {
    pub channel_id: String,
    pub external_id: String,
    /// When they stopped the business's messages there (blocked the bot, sent STOP,
    /// unfollowed), if they have: nothing is sent to them there.
    pub unsubscribed_at: Option<i64>,
    pub created_at: i64,
}

/// A contact whole: what is known of them, and every channel account they write from.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ContactProfile {
    pub id: String,
    pub name: Option<String>,
    pub language: Option<String>,
    /// In E.164.
    pub phones: Vec<String>,
    pub emails: Vec<String>,
    pub identities: Vec<ContactIdentity>,
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
                    contact_identities.external_id, contact_identities.unsubscribed_at,
                    contacts.created_at
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

    /// The contact a channel's user is, if they have written on it.
    pub async fn of_identity(
        &self,
        channel: &str,
        external_id: &str,
    ) -> Result<Option<String>, StoreError> {
        let mut connection = self.0.pool.acquire().await?;
        Ok(identity(&mut connection, channel, external_id).await?)
    }

    /// Records that a channel's customer stopped (or started again) the business's messages
    /// there. `false` when the channel does not know them yet.
    pub async fn set_subscribed(
        &self,
        channel: &str,
        external_id: &str,
        subscribed: bool,
    ) -> Result<bool, StoreError> {
        let changed = sqlx::query(
            "UPDATE contact_identities SET unsubscribed_at = $1
             WHERE channel_id = $2 AND external_id = $3",
        )
        .bind((!subscribed).then(now))
        .bind(channel)
        .bind(external_id)
        .execute(self.0.writer())
        .await?;
        Ok(changed.rows_affected() > 0)
    }

    /// A contact of the workspace with their phones, emails and channel accounts.
    pub async fn profile(&self, workspace: &str, id: &str) -> Result<ContactProfile, StoreError> {
        let (name, language, created_at): (Option<String>, Option<String>, i64) = sqlx::query_as(
            "SELECT name, language, created_at FROM contacts
                 WHERE id = $1 AND workspace_id = $2",
        )
        .bind(id)
        .bind(workspace)
        .fetch_optional(&self.0.pool)
        .await?
        .ok_or(StoreError::NotFound("contact"))?;
        let handles: Vec<(String, String)> = sqlx::query_as(
            "SELECT kind, value FROM contact_handles WHERE contact_id = $1
             ORDER BY created_at, value",
        )
        .bind(id)
        .fetch_all(&self.0.pool)
        .await?;
        let of = |wanted: &str| {
            handles
                .iter()
                .filter(|(kind, _)| kind == wanted)
                .map(|(_, value)| value.clone())
                .collect()
        };
        let identities = sqlx::query_as(
            "SELECT channel_id, external_id, unsubscribed_at, created_at FROM contact_identities
             WHERE contact_id = $1 ORDER BY created_at, channel_id",
        )
        .bind(id)
        .fetch_all(&self.0.pool)
        .await?;
        Ok(ContactProfile {
            id: id.to_string(),
            name,
            language,
            phones: of("phone"),
            emails: of("email"),
            identities,
            created_at,
        })
    }
}
