//! The inbox's use cases: a channel account made, a customer's message received, an AI
//! agent's turn on it, a person's reply, note, claim, assignment, status or handback, and the
//! send that delivers what leaves. Each reads the conversation, asks the `inbox` rules for its
//! next state and has the records write it only if nobody changed it meanwhile; then rings the
//! event bell.

use std::time::Duration;

use agentflow::{Action, Author, Contact, HandoffReason, Message, TurnRequest};
use connectors::SendOutcome;
use connectors::api::{self, OutboundContact, OutboundMessage, OutboundText};
use connectors::signing::SigningSecret;
use inbox::assignment::{self, Candidate};
use inbox::macros::MacroAction;
use inbox::routing::{OutsideHours, Routing};
use inbox::{Owner, Responder, RuleError, State, Viewer};
use records::{
    Change, ChannelRecord, ClaimedJob, ConversationRecord, ConversationStatus, DeliveryStatus,
    Direction, MessageKind, MessageRecord, NewChannel, NewMessage, OwnerKind, Ownership, Page,
    Presence, Principal, Received, Role, Routed, SenderKind, StoreError,
};
use serde::{Deserialize, Serialize};

use crate::{App, AppError};

/// The longest name of a channel, in characters.
const MAX_CHANNEL_NAME: usize = 100;
/// How long a webhook has to answer a delivery.
const SEND_TIMEOUT: Duration = Duration::from_secs(15);
/// When a failed delivery is tried again, by attempt (Standard Webhooks' schedule, cut short).
const SEND_RETRIES: &[Duration] = &[
    Duration::from_secs(5),
    Duration::from_secs(5 * 60),
    Duration::from_secs(30 * 60),
    Duration::from_secs(2 * 3600),
    Duration::from_secs(5 * 3600),
];
/// The handoff reason when the AI agent cannot answer at all.
const AGENT_FAILED: &str = "agent_failed";
/// The handoff reason when the customer sends only a file, which the AI agent does not read.
const MEDIA_RECEIVED: &str = "media_received";

/// A channel account as the API shows it: never its secrets.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChannelView {
    #[serde(flatten)]
    pub channel: ChannelRecord,
    /// Where the platform delivers the channel's events (messaging platforms): give it to
    /// the platform.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<String>,
    /// The tag that puts the chat on a site (widget channels): paste it into the page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub embed: Option<String>,
}

/// A channel account just made: the only time an `api` channel's signing secret is seen.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CreatedChannel {
    #[serde(flatten)]
    pub channel: ChannelView,
    /// `whsec_...` (`api` channels): signs what the channel sends to the webhook, and may sign
    /// what is posted to it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// Whether the platform took the `webhook_url`, where it is set through the platform's
    /// API (Telegram, Viber); elsewhere the business sets it in the platform's console.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_registration: Option<WebhookRegistration>,
}

/// What the platform answered when given the channel's webhook.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WebhookRegistration {
    pub registered: bool,
    /// The platform's reason when it refused (Telegram takes only HTTPS addresses: set
    /// `server.public_url`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A type of channel account and the text settings its `config` takes (a widget's
/// `require_identity` and `pre_chat` are not text: the widget's documentation gives them).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChannelType {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub fields: Vec<ChannelSetting>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChannelSetting {
    pub name: &'static str,
    /// Sealed at rest and never shown again.
    pub secret: bool,
    pub required: bool,
}

impl From<connectors::channel::Field> for ChannelSetting {
    fn from(field: connectors::channel::Field) -> Self {
        ChannelSetting {
            name: field.name,
            secret: field.secret,
            required: field.required,
        }
    }
}

/// Every type of channel account this version has: the messaging platforms, the web chat
/// widget, and the `api` channel.
pub fn channel_types() -> Vec<ChannelType> {
    let platforms = connectors::channel::PLATFORMS
        .iter()
        .map(|platform| ChannelType {
            kind: platform.kind(),
            fields: platform.fields().iter().copied().map(Into::into).collect(),
        });
    let widget = ChannelType {
        kind: "widget",
        fields: vec![
            connectors::channel::Field::secret("hmac_secret")
                .optional()
                .into(),
        ],
    };
    let api = ChannelType {
        kind: "api",
        fields: vec![connectors::channel::Field::public("webhook_url").into()],
    };
    platforms.chain([widget, api]).collect()
}

/// What a channel account is made of.
#[derive(Debug, Clone)]
pub struct ChannelRequest {
    pub kind: String,
    pub name: String,
    pub agent_id: Option<String>,
    pub team_id: Option<String>,
    /// The `api` channel's `webhook_url`, or a platform's settings under its names.
    pub config: serde_json::Map<String, serde_json::Value>,
    pub routing: Routing,
}

/// What is read back from the details an agent's reply was stored with: by later turns, and
/// by the widget, which shows the questions offered as buttons.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct AgentReplyDetails {
    #[serde(default)]
    pub unanswered: bool,
    #[serde(default)]
    pub offered: Vec<String>,
}

impl AgentReplyDetails {
    /// A message's details, as stored; nothing when they are not an agent reply's.
    pub fn of(details: Option<&str>) -> Self {
        details
            .and_then(|details| serde_json::from_str(details).ok())
            .unwrap_or_default()
    }
}

/// Who a conversation is given to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assignee {
    User(String),
    Team(String),
}

/// What a message from a person is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersonMessage {
    Reply,
    Note,
    /// A platform's approved template (WhatsApp's), which may go outside the window.
    Template,
}

fn state_of(ownership: &Ownership) -> State {
    let owner = Owner::from_parts(ownership.owner_kind, ownership.owner_id.clone());
    State {
        status: ownership.status,
        owner,
        team: ownership.team_id.clone(),
    }
}

/// A channel's routing, kept in its settings; a channel set up without one has the default.
fn routing_of(channel: &ChannelRecord) -> Result<Routing, AppError> {
    let config: serde_json::Value = serde_json::from_str(&channel.config)
        .map_err(|error| AppError::Internal(format!("channel {}: config: {error}", channel.id)))?;
    match config.get("routing") {
        Some(routing) => serde_json::from_value(routing.clone()).map_err(|error| {
            AppError::Internal(format!("channel {}: routing: {error}", channel.id))
        }),
        None => Ok(Routing::default()),
    }
}

/// The inbox's rules for a customer's message on `channel`: where it puts the conversation,
/// whether the AI agent answers, whether an away message goes.
pub(crate) fn decide_arrival(channel: &ChannelRecord) -> Result<records::Decide, AppError> {
    let routing = routing_of(channel)?;
    let agent = channel.agent_id.clone();
    let team = channel.team_id.clone();
    Ok(Box::new(move |current: Option<&ConversationRecord>| {
        let before = match current {
            Some(current) => state_of(&current.ownership()?),
            None => State::new_conversation(agent.as_deref(), team.as_deref()),
        };
        let arrival = routing.on_customer_message(
            &before,
            agent.as_deref(),
            records::now(),
            current.and_then(|current| current.away_sent_at),
        );
        Ok(Routed {
            ownership: ownership_of(&arrival.state),
            ai_answers: matches!(arrival.responder, Responder::Agent(_)),
            away_message: arrival.away_message.map(away_message),
        })
    }))
}

/// The away message as it is written to the conversation: from the system, leaving at once.
fn away_message(text: String) -> NewMessage {
    NewMessage {
        direction: Direction::Out,
        sender_kind: SenderKind::System,
        sender_id: None,
        kind: MessageKind::Text,
        search_text: search_form(&text),
        text,
        reply_to: None,
        turn_id: None,
        details: Some(serde_json::json!({ "away": true }).to_string()),
    }
}

fn ownership_of(state: &State) -> Ownership {
    Ownership {
        status: state.status,
        owner_kind: state.owner.as_ref().map(Owner::kind),
        owner_id: state.owner.as_ref().map(|owner| owner.id().to_string()),
        team_id: state.team.clone(),
    }
}

impl From<RuleError> for AppError {
    fn from(error: RuleError) -> Self {
        match error {
            RuleError::OwnedByAnother(_) => {
                AppError::Store(StoreError::Conflict(error.to_string()))
            }
            RuleError::SnoozeNeedsATime => AppError::Invalid(error.to_string()),
        }
    }
}

/// The text of a message a person or a business sends (the request's `field`): not empty,
/// within the channels' limit.
pub(crate) fn check_text(field: &str, text: &str) -> Result<(), AppError> {
    if text.trim().is_empty() {
        return Err(AppError::Invalid(format!("{field}: must not be empty")));
    }
    let length = text.chars().count();
    if length > api::MAX_TEXT_CHARS {
        return Err(AppError::TooLarge(format!(
            "{field}: {length} characters, more than the limit of {}",
            api::MAX_TEXT_CHARS
        )));
    }
    Ok(())
}

impl App {
    /// Who a credential is in the inbox: a person with their team, or a program acting as an
    /// admin.
    pub async fn viewer(&self, principal: &Principal) -> Result<Viewer, AppError> {
        match principal.actor.strip_prefix("user:") {
            Some(user) => {
                let person = self
                    .store
                    .people()
                    .get(&principal.workspace_id, user)
                    .await?;
                Ok(Viewer {
                    role: person.role,
                    user: Some(person.id),
                    team: person.team_id,
                })
            }
            None => Ok(Viewer {
                role: Role::Admin,
                user: None,
                team: None,
            }),
        }
    }

    pub async fn create_channel(
        &self,
        workspace: &str,
        actor: &str,
        request: ChannelRequest,
    ) -> Result<CreatedChannel, AppError> {
        let platform = connectors::channel::platform(&request.kind);
        if platform.is_none() && !["api", "widget"].contains(&request.kind.as_str()) {
            let kinds: Vec<&str> = channel_types().iter().map(|listed| listed.kind).collect();
            return Err(AppError::Invalid(format!(
                "type: {:?} is not a channel this version has; it has {}",
                request.kind,
                kinds.join(", ")
            )));
        }
        let name = request.name.trim();
        if name.is_empty() || name.chars().count() > MAX_CHANNEL_NAME {
            return Err(AppError::Invalid(format!(
                "name: a channel's name has 1 to {MAX_CHANNEL_NAME} characters"
            )));
        }
        self.check_routing(workspace, request.agent_id.as_deref(), &request.routing)
            .await?;
        let new = NewChannel {
            kind: request.kind.clone(),
            name: name.to_string(),
            agent_id: request.agent_id.clone(),
            team_id: request.team_id.clone(),
            config: serde_json::json!({ "routing": request.routing }),
            secret_sealed: String::new(),
        };
        if let Some(platform) = platform {
            return self
                .create_platform_channel(workspace, actor, platform, new, &request.config)
                .await;
        }
        if request.kind == "widget" {
            return self
                .create_widget_channel(workspace, actor, new, &request.config)
                .await;
        }
        if let Some(other) = request.config.keys().find(|key| *key != "webhook_url") {
            return Err(AppError::Invalid(format!(
                "config.{other}: not a setting of an api channel; it has webhook_url"
            )));
        }
        let webhook_url = request
            .config
            .get("webhook_url")
            .and_then(serde_json::Value::as_str)
            .map(str::to_string);
        let Some(webhook_url) = webhook_url.filter(|url| !url.trim().is_empty()) else {
            return Err(AppError::Invalid(
                "config.webhook_url: the api channel delivers replies to this URL; it is required"
                    .into(),
            ));
        };
        knowledge::fetch::check_url(&webhook_url, &self.fetch_options())
            .await
            .map_err(|error| AppError::Invalid(format!("config.webhook_url: {error}")))?;
        let secret = SigningSecret::from_bytes(self.vault.random_bytes(32)?).to_text();
        let channel = self
            .store
            .channels()
            .create(
                workspace,
                actor,
                &NewChannel {
                    kind: request.kind,
                    name: name.to_string(),
                    agent_id: request.agent_id,
                    team_id: request.team_id,
                    config: serde_json::json!({
                        "webhook_url": webhook_url, "routing": request.routing,
                    }),
                    secret_sealed: self.vault.seal(&secret)?,
                },
            )
            .await?;
        Ok(CreatedChannel {
            channel: self.channel_view(channel),
            secret: Some(secret),
            webhook_registration: None,
        })
    }

    /// A routing that can be carried out: its away message within limits, its reasons known,
    /// its teams the workspace's, and someone to answer outside business hours.
    async fn check_routing(
        &self,
        workspace: &str,
        agent: Option<&str>,
        routing: &Routing,
    ) -> Result<(), AppError> {
        routing
            .check()
            .map_err(|error| AppError::Invalid(format!("routing.{error}")))?;
        for (reason, team) in &routing.handoff_teams {
            if !HandoffReason::CODES.contains(&reason.as_str())
                && ![AGENT_FAILED, MEDIA_RECEIVED].contains(&reason.as_str())
            {
                return Err(AppError::Invalid(format!(
                    "routing.handoff_teams.{reason}: not a handoff reason; they are {}, \
                     {AGENT_FAILED}, {MEDIA_RECEIVED}",
                    HandoffReason::CODES.join(", ")
                )));
            }
            match self.store.teams().get(workspace, team).await {
                Ok(_) => {}
                Err(StoreError::NotFound(_)) => {
                    return Err(AppError::Invalid(format!(
                        "routing.handoff_teams.{reason}: {team:?} is not a team of the workspace"
                    )));
                }
                Err(error) => return Err(error.into()),
            }
        }
        if routing.business_hours.is_some()
            && routing.outside_hours == OutsideHours::Agent
            && agent.is_none()
        {
            return Err(AppError::Invalid(
                "routing.outside_hours: the channel has no agent_id to answer outside business \
                 hours; give it one, or reply {\"reply\": \"away_message\", \"text\": ...}"
                    .into(),
            ));
        }
        Ok(())
    }

    /// Replaces a channel's routing.
    pub async fn set_routing(
        &self,
        workspace: &str,
        actor: &str,
        channel_id: &str,
        routing: Routing,
    ) -> Result<ChannelRecord, AppError> {
        let channel = self.store.channels().get(workspace, channel_id).await?;
        self.check_routing(workspace, channel.agent_id.as_deref(), &routing)
            .await?;
        let mut config: serde_json::Value =
            serde_json::from_str(&channel.config).map_err(|error| {
                AppError::Internal(format!("channel {channel_id}: config: {error}"))
            })?;
        config["routing"] = serde_json::to_value(&routing)
            .map_err(|error| AppError::Internal(error.to_string()))?;
        Ok(self
            .store
            .channels()
            .set_config(workspace, actor, channel_id, &config)
            .await?)
    }

    /// The team a handoff goes to: the one the agent's rules chose, else the channel's team
    /// for the reason, else the agent's default team, else the channel's, else the
    /// conversation's. A team named but since deleted is passed over.
    async fn handoff_team(
        &self,
        workspace: &str,
        conversation: &ConversationRecord,
        reason: &str,
        turn_team: Option<(&str, bool)>,
    ) -> Result<Option<String>, AppError> {
        let by_name = match turn_team {
            Some((name, _)) => self.store.teams().find_by_name(workspace, name).await?,
            None => None,
        };
        let chosen = turn_team.is_some_and(|(_, chosen)| chosen);
        if let Some(team) = by_name.as_ref().filter(|_| chosen) {
            return Ok(Some(team.id.clone()));
        }
        let channel = self
            .store
            .channels()
            .get(workspace, &conversation.channel_id)
            .await?;
        if let Some(team) = routing_of(&channel)?.handoff_team(reason) {
            match self.store.teams().get(workspace, team).await {
                Ok(team) => return Ok(Some(team.id)),
                Err(StoreError::NotFound(_)) => {}
                Err(error) => return Err(error.into()),
            }
        }
        Ok(by_name
            .map(|team| team.id)
            .or(channel.team_id)
            .or_else(|| conversation.team_id.clone()))
    }

    fn fetch_options(&self) -> knowledge::fetch::FetchOptions {
        knowledge::fetch::FetchOptions {
            allow_private: self.settings.allow_private_addresses,
            ..Default::default()
        }
    }

    async fn signing_secret(
        &self,
        workspace: &str,
        channel: &str,
    ) -> Result<SigningSecret, AppError> {
        let sealed = self
            .store
            .channels()
            .sealed_secret(workspace, channel)
            .await?;
        SigningSecret::parse(&self.vault.open(&sealed)?)
            .map_err(|error| AppError::Internal(error.to_string()))
    }

    /// A customer's message posted to an `api` channel: its signature checked when it carries
    /// one, stored once (the same message id again answers the first ids), and acknowledged
    /// only after it is committed with the job that answers it.
    pub async fn receive_inbound<'h>(
        &self,
        workspace: &str,
        channel_id: &str,
        header: impl Fn(&str) -> Option<&'h str>,
        body: &[u8],
    ) -> Result<Received, AppError> {
        let channel = self.store.channels().get(workspace, channel_id).await?;
        if header("webhook-signature").is_some() {
            let secret = self.signing_secret(workspace, channel_id).await?;
            secret
                .verify(header, body, records::now() / 1000)
                .map_err(|error| AppError::Unauthorized(error.to_string()))?;
        }
        let inbound = api::parse(body).map_err(|error| {
            if error.is_too_large() {
                AppError::TooLarge(error.to_string())
            } else {
                AppError::Invalid(error.to_string())
            }
        })?;
        let mut attachments = Vec::with_capacity(inbound.message.attachments.len());
        for attachment in &inbound.message.attachments {
            let bytes = &attachment.data.0;
            let checksum = self.files.keep_bytes(bytes).await.map_err(|error| {
                AppError::Internal(format!("keeping {}: {error}", attachment.name))
            })?;
            attachments.push(records::Attachment {
                checksum,
                name: attachment.name.trim().to_string(),
                content_type: attachment.content_type.to_ascii_lowercase(),
                bytes: i64::try_from(bytes.len()).unwrap_or(i64::MAX),
            });
        }
        let inbound = records::Inbound {
            channel_id: channel_id.to_string(),
            external_id: inbound.contact.external_id,
            contact: records::ContactDetails {
                name: inbound.contact.name,
                phone: inbound.contact.phone,
                email: inbound.contact.email,
                language: inbound.contact.language,
            },
            platform_message_id: inbound.message.id,
            search_text: search_form(&inbound.message.text),
            text: inbound.message.text,
            attachments,
            details: None,
            window_until: None,
        };
        self.intake(workspace, &channel, inbound).await
    }

    /// A customer's message into the inbox, routed by its channel's rules; the live streams
    /// hear of it when it is new.
    pub(crate) async fn intake(
        &self,
        workspace: &str,
        channel: &ChannelRecord,
        inbound: records::Inbound,
    ) -> Result<Received, AppError> {
        let received = self
            .store
            .conversations()
            .receive(workspace, inbound, decide_arrival(channel)?)
            .await?;
        if !received.duplicate {
            self.events.ring();
        }
        Ok(received)
    }

    /// A contact whole, for one who may work one of their conversations (admins: any).
    pub async fn contact_for(
        &self,
        workspace: &str,
        viewer: &Viewer,
        id: &str,
    ) -> Result<records::ContactProfile, AppError> {
        let profile = self.store.contacts().profile(workspace, id).await?;
        if viewer.role != Role::Admin {
            let filter = records::ConversationFilter {
                contact_id: Some(id.to_string()),
                visible_to: Some((viewer.user.clone(), viewer.team.clone())),
                ..records::ConversationFilter::default()
            };
            let page = Page {
                limit: 1,
                after: None,
            };
            let visible = self
                .store
                .conversations()
                .list(workspace, &filter, &page)
                .await?;
            if visible.items.is_empty() {
                return Err(AppError::Forbidden(
                    "this contact writes only in other teams' conversations".into(),
                ));
            }
        }
        Ok(profile)
    }

    /// The conversation, if the viewer may work it: another workspace's is not found, another
    /// team's is forbidden.
    pub async fn conversation_for(
        &self,
        workspace: &str,
        viewer: &Viewer,
        id: &str,
    ) -> Result<ConversationRecord, AppError> {
        let conversation = self.store.conversations().get(workspace, id).await?;
        let owner = Owner::from_parts(conversation.owner_kind()?, conversation.owner_id.clone());
        if viewer.may_work(conversation.team_id.as_deref(), owner.as_ref()) {
            Ok(conversation)
        } else {
            Err(AppError::Forbidden(
                "this conversation is another team's".into(),
            ))
        }
    }

    /// A conversation's messages as an agent's turn reads them: the customer's and what was
    /// said to them, not notes or activities, up to (not including) `until`.
    async fn history(
        &self,
        workspace: &str,
        conversation: &str,
        until: Option<&str>,
    ) -> Result<(Vec<Message>, Option<MessageRecord>), AppError> {
        let messages = self
            .store
            .conversations()
            .messages(workspace, conversation, &Page::all())
            .await?
            .items;
        let mut history = Vec::new();
        let mut last_customer = None;
        for message in messages {
            if Some(message.id.as_str()) == until {
                return Ok((history, Some(message)));
            }
            if !message.kind.reaches_the_customer() {
                continue;
            }
            let author = match message.sender_kind {
                SenderKind::Contact => Author::Customer,
                SenderKind::Agent => Author::Agent,
                SenderKind::User | SenderKind::System => Author::Human,
            };
            let details = AgentReplyDetails::of(message.details.as_deref());
            if author == Author::Customer {
                last_customer = Some(message.clone());
            }
            history.push(Message {
                author,
                text: message.text,
                unanswered: details.unanswered,
                offered: details.offered,
            });
        }
        Ok((history, last_customer))
    }

    /// The conversation a job is about; `None` when it was deleted meanwhile, and the job
    /// then ends.
    async fn conversation_of_job(
        &self,
        claimed: &ClaimedJob,
        worker: &str,
        conversation_id: &str,
    ) -> Result<Option<ConversationRecord>, AppError> {
        let workspace = claimed.workspace_id.as_deref().unwrap_or_default();
        match self
            .store
            .conversations()
            .get(workspace, conversation_id)
            .await
        {
            Ok(conversation) => Ok(Some(conversation)),
            Err(StoreError::NotFound(_)) => {
                self.store.jobs().complete(&claimed.id, worker).await?;
                Ok(None)
            }
            Err(error) => Err(error.into()),
        }
    }

    /// The AI agent's turn on a customer's message (the `AnswerMessage` job): its reply or its
    /// handoff stored with the end of the job, once per message. A person who took the
    /// conversation meanwhile keeps it: the turn is not run, or its outcome not stored.
    pub async fn answer_message(
        &self,
        claimed: &ClaimedJob,
        worker: &str,
        conversation_id: &str,
        message_id: &str,
    ) -> Result<(), AppError> {
        let workspace = claimed.workspace_id.as_deref().unwrap_or_default();
        let Some(conversation) = self
            .conversation_of_job(claimed, worker, conversation_id)
            .await?
        else {
            return Ok(());
        };
        let current = conversation.ownership()?;
        let Some(Owner::Agent(agent)) = state_of(&current).owner else {
            self.store.jobs().complete(&claimed.id, worker).await?;
            return Ok(());
        };
        let (history, message) = self
            .history(workspace, conversation_id, Some(message_id))
            .await?;
        let Some(message) = message else {
            self.store.jobs().complete(&claimed.id, worker).await?;
            return Ok(());
        };
        if message.text.trim().is_empty() {
            let files: Vec<&str> = message
                .attachments
                .iter()
                .map(|attachment| attachment.name.as_str())
                .collect();
            return self
                .hand_over(
                    claimed,
                    worker,
                    &conversation,
                    message_id,
                    MEDIA_RECEIVED,
                    &format!(
                        "The customer sent a file the AI agent does not read: {}",
                        files.join(", ")
                    ),
                )
                .await;
        }
        let contact = self
            .store
            .contacts()
            .get(
                workspace,
                &conversation.contact_id,
                &conversation.channel_id,
            )
            .await?;
        let request = TurnRequest {
            workspace: workspace.to_string(),
            message: message.text.clone(),
            history,
            contact: Contact {
                name: contact.name,
                ..Contact::default()
            },
        };
        // A web chat visitor sees the AI typing while its turn runs; only a courtesy.
        let shows_typing = self
            .store
            .channels()
            .get(workspace, &conversation.channel_id)
            .await
            .is_ok_and(|channel| channel.kind == "widget");
        if shows_typing {
            self.courtesy_typing(workspace, conversation_id, true).await;
        }
        let turn = self.run_turn(&agent, &request, None).await;
        if shows_typing {
            self.courtesy_typing(workspace, conversation_id, false)
                .await;
        }
        let turn = match turn {
            Ok(turn) => turn,
            Err(error) if claimed.attempt < self.settings.max_attempts && is_transient(&error) => {
                let delay = SEND_RETRIES[0];
                self.store
                    .jobs()
                    .retry(&claimed.id, worker, &error.to_string(), delay)
                    .await?;
                return Ok(());
            }
            Err(error) => {
                // The AI cannot answer (no credits, its agent deleted, the model down for
                // good): people take the conversation, told why.
                tracing::warn!(%error, conversation = conversation_id, "the agent could not answer; handing over");
                return self
                    .hand_over(
                        claimed,
                        worker,
                        &conversation,
                        message_id,
                        AGENT_FAILED,
                        &format!("The AI agent could not answer: {error}"),
                    )
                    .await;
            }
        };
        let turn_id = turn.id.to_string();
        match &turn.action {
            Action::Reply(reply) => {
                let details = serde_json::json!({
                    "citations": reply.citations, "unanswered": reply.unanswered,
                    "offered": reply.offered,
                });
                let answer = NewMessage {
                    direction: Direction::Out,
                    sender_kind: SenderKind::Agent,
                    sender_id: Some(agent.clone()),
                    kind: MessageKind::Text,
                    text: reply.text.clone(),
                    search_text: search_form(&reply.text),
                    reply_to: Some(message_id.to_string()),
                    turn_id: Some(turn_id.clone()),
                    details: Some(details.to_string()),
                };
                self.store_answer(
                    workspace,
                    claimed,
                    worker,
                    &conversation,
                    &current,
                    (message_id, &turn_id, "reply"),
                    vec![answer],
                    None,
                )
                .await
            }
            Action::Handoff(handoff) => {
                let team = self
                    .handoff_team(
                        workspace,
                        &conversation,
                        handoff.reason.code(),
                        Some((&handoff.team, handoff.team_is_chosen())),
                    )
                    .await?;
                let next = state_of(&current).on_handoff(team.as_deref());
                let citations: Vec<_> = turn
                    .trace
                    .retrieved
                    .iter()
                    .take(3)
                    .map(|passage| {
                        serde_json::json!({
                            "number": passage.number, "source": passage.source,
                            "position": passage.position, "quote": passage.text,
                        })
                    })
                    .collect();
                let details = serde_json::json!({
                    "reason": handoff.reason, "summary": handoff.summary,
                    "team": handoff.team, "team_id": team, "citations": citations,
                    "turn_id": turn_id,
                });
                let mut messages = vec![activity(
                    &format!("Handed over by the AI agent: {}", handoff.reason),
                    &details,
                )];
                if !handoff.message.trim().is_empty() {
                    messages.push(NewMessage {
                        direction: Direction::Out,
                        sender_kind: SenderKind::Agent,
                        sender_id: Some(agent.clone()),
                        kind: MessageKind::Text,
                        text: handoff.message.clone(),
                        search_text: search_form(&handoff.message),
                        reply_to: Some(message_id.to_string()),
                        turn_id: Some(turn_id.clone()),
                        details: None,
                    });
                }
                self.store_answer(
                    workspace,
                    claimed,
                    worker,
                    &conversation,
                    &current,
                    (message_id, &turn_id, "handoff"),
                    messages,
                    Some((ownership_of(&next), details.to_string())),
                )
                .await
            }
        }
    }

    /// Hands the conversation to people without a turn (the agent failed, or the customer
    /// sent only a file), saying why, with the end of the job.
    async fn hand_over(
        &self,
        claimed: &ClaimedJob,
        worker: &str,
        conversation: &ConversationRecord,
        message_id: &str,
        reason: &str,
        summary: &str,
    ) -> Result<(), AppError> {
        let workspace = claimed.workspace_id.as_deref().unwrap_or_default();
        let current = conversation.ownership()?;
        let team = self
            .handoff_team(workspace, conversation, reason, None)
            .await?;
        let next = state_of(&current).on_handoff(team.as_deref());
        let details = serde_json::json!({
            "reason": { "code": reason }, "summary": summary, "citations": [], "team_id": team,
        });
        self.store_answer(
            workspace,
            claimed,
            worker,
            conversation,
            &current,
            (message_id, "none", "handoff"),
            vec![activity(summary, &details)],
            Some((ownership_of(&next), details.to_string())),
        )
        .await
    }

    /// Writes a turn's outcome with the end of its job; when the conversation changed
    /// meanwhile (a person took it) or the message has its answer already, the outcome is
    /// dropped and the job ends.
    #[allow(clippy::too_many_arguments)]
    async fn store_answer(
        &self,
        workspace: &str,
        claimed: &ClaimedJob,
        worker: &str,
        conversation: &ConversationRecord,
        current: &Ownership,
        answers: (&str, &str, &str),
        messages: Vec<NewMessage>,
        handoff: Option<(Ownership, String)>,
    ) -> Result<(), AppError> {
        let next = handoff
            .as_ref()
            .map_or_else(|| current.clone(), |(next, _)| next.clone());
        let change = Change {
            transition: Some((current, &next)),
            transition_event: "conversation.handoff",
            handoff: handoff.map(|(_, details)| details),
            messages,
            answers: Some(answers),
            ends_job: Some((&claimed.id, worker)),
            ..Change::default()
        };
        match self
            .store
            .conversations()
            .apply(workspace, &conversation.id, &change)
            .await
        {
            Ok(_) => {
                self.events.ring();
                if next.owner_kind == Some(OwnerKind::Team) {
                    self.assign_waiting(workspace, next.team_id.as_deref())
                        .await;
                }
                Ok(())
            }
            Err(StoreError::Conflict(reason)) => {
                tracing::info!(conversation = %conversation.id, %reason, "the turn's outcome is not stored");
                self.store.jobs().complete(&claimed.id, worker).await?;
                Ok(())
            }
            Err(error) => Err(error.into()),
        }
    }

    /// A person's reply (it reopens a resolved conversation) or private note (it never
    /// leaves; the people it @mentions hear of it).
    pub async fn post_message(
        &self,
        workspace: &str,
        viewer: &Viewer,
        conversation_id: &str,
        text: &str,
        kind: PersonMessage,
    ) -> Result<MessageRecord, AppError> {
        self.post_person_message(workspace, viewer, conversation_id, text, kind, None)
            .await
    }

    /// A person's message with what else it carries (`details`: a template's definition and
    /// values).
    pub(crate) async fn post_person_message(
        &self,
        workspace: &str,
        viewer: &Viewer,
        conversation_id: &str,
        text: &str,
        kind: PersonMessage,
        details: Option<String>,
    ) -> Result<MessageRecord, AppError> {
        check_text("text", text)?;
        let conversation = self
            .conversation_for(workspace, viewer, conversation_id)
            .await?;
        if kind == PersonMessage::Reply {
            self.check_window(workspace, &conversation).await?;
        }
        let current = conversation.ownership()?;
        let (next, message_kind, mentions) = match kind {
            PersonMessage::Reply => (
                ownership_of(&state_of(&current).on_person_reply()),
                MessageKind::Text,
                Vec::new(),
            ),
            PersonMessage::Template => (
                ownership_of(&state_of(&current).on_person_reply()),
                MessageKind::Template,
                Vec::new(),
            ),
            PersonMessage::Note => (
                current.clone(),
                MessageKind::Note,
                self.mentioned(workspace, text).await?,
            ),
        };
        let change = Change {
            transition: Some((&current, &next)),
            transition_event: "conversation.status_changed",
            messages: vec![NewMessage {
                direction: Direction::Out,
                sender_kind: if viewer.user.is_some() {
                    SenderKind::User
                } else {
                    SenderKind::System
                },
                sender_id: viewer.user.clone(),
                kind: message_kind,
                text: text.to_string(),
                search_text: search_form(text),
                reply_to: None,
                turn_id: None,
                details,
            }],
            mentions,
            ..Change::default()
        };
        let applied = self
            .store
            .conversations()
            .apply(workspace, conversation_id, &change)
            .await?;
        self.events.ring();
        // Answering is reading: what the customer wrote before the reply is not unread.
        if let (PersonMessage::Reply, Some(user)) = (kind, &viewer.user) {
            self.store
                .conversations()
                .mark_read(workspace, conversation_id, user)
                .await?;
        }
        let id = applied
            .message_ids
            .first()
            .ok_or_else(|| AppError::Internal("the message was not stored".into()))?;
        Ok(self.store.conversations().message(workspace, id).await?)
    }

    /// The people a note mentions: `@` and their email, or the part of it before the `@`.
    async fn mentioned(&self, workspace: &str, text: &str) -> Result<Vec<String>, AppError> {
        let handles: Vec<String> = text
            .split_whitespace()
            .filter_map(|word| word.strip_prefix('@'))
            .map(|handle| {
                handle
                    .trim_end_matches(|c: char| !c.is_alphanumeric())
                    .to_lowercase()
            })
            .filter(|handle| !handle.is_empty())
            .collect();
        if handles.is_empty() {
            return Ok(Vec::new());
        }
        let people = self
            .store
            .people()
            .list(workspace, &Page::all())
            .await?
            .items;
        Ok(people
            .into_iter()
            .filter(|person| {
                let email = person.email.to_lowercase();
                let local = email.split('@').next().unwrap_or_default().to_string();
                handles
                    .iter()
                    .any(|handle| *handle == email || *handle == local)
            })
            .map(|person| person.id)
            .collect())
    }

    /// Applies a person's change of owner or status, or answers why it cannot be.
    async fn change_owner(
        &self,
        workspace: &str,
        conversation: &ConversationRecord,
        next: &State,
        event: &str,
        happened: Activity<'_>,
        snoozed_until: Option<i64>,
    ) -> Result<ConversationRecord, AppError> {
        let current = conversation.ownership()?;
        let next = ownership_of(next);
        let change = Change {
            transition: Some((&current, &next)),
            transition_event: event,
            snoozed_until,
            messages: vec![happened.message()],
            ..Change::default()
        };
        self.store
            .conversations()
            .apply(workspace, &conversation.id, &change)
            .await?;
        self.events.ring();
        // A person let a conversation go (resolved, unassigned, back to a queue): the team's
        // queue may have someone free now.
        let let_go = current.owner_kind == Some(OwnerKind::User)
            && (next.owner_kind != Some(OwnerKind::User)
                || next.status != ConversationStatus::Open);
        if let_go || next.owner_kind == Some(OwnerKind::Team) {
            Box::pin(self.assign_waiting(
                workspace,
                current.team_id.as_deref().or(next.team_id.as_deref()),
            ))
            .await;
        }
        Ok(self
            .store
            .conversations()
            .get(workspace, &conversation.id)
            .await?)
    }

    /// The viewer takes the conversation: of two people claiming at once, one wins and the
    /// other is told it is taken.
    pub async fn claim(
        &self,
        workspace: &str,
        viewer: &Viewer,
        conversation_id: &str,
    ) -> Result<ConversationRecord, AppError> {
        let conversation = self
            .conversation_for(workspace, viewer, conversation_id)
            .await?;
        let Some(user) = &viewer.user else {
            return Err(AppError::Invalid(
                "claiming is for a person: sign in, or assign with user_id".into(),
            ));
        };
        let next = state_of(&conversation.ownership()?).claimed_by(user)?;
        self.change_owner(
            workspace,
            &conversation,
            &next,
            "conversation.assigned",
            Activity::Claimed,
            None,
        )
        .await
    }

    /// Gives the conversation to a person (kept in their team) or a team's queue.
    pub async fn assign(
        &self,
        workspace: &str,
        viewer: &Viewer,
        conversation_id: &str,
        to: Assignee,
        transfer_note: Option<&str>,
    ) -> Result<ConversationRecord, AppError> {
        if let Some(note) = transfer_note {
            check_text("note", note)?;
        }
        let conversation = self
            .conversation_for(workspace, viewer, conversation_id)
            .await?;
        let state = state_of(&conversation.ownership()?);
        // The note travels with the transfer, for the people who take it over.
        let note = transfer_note.map(str::trim);
        let (next, named, team) = match &to {
            Assignee::User(user) => {
                let person = self.store.people().get(workspace, user).await?;
                let next =
                    state.assigned_to(Owner::User(person.id.clone()), person.team_id.as_deref());
                (next, person.email, person.team_id)
            }
            Assignee::Team(team) => {
                let team_record = self.store.teams().get(workspace, team).await?;
                let next = state.assigned_to(Owner::Team(team_record.id.clone()), None);
                (next, team_record.name, Some(team_record.id))
            }
        };
        let activity = match &to {
            Assignee::User(_) => Activity::AssignedTo {
                person: &named,
                note,
            },
            Assignee::Team(_) => Activity::AssignedToTeam { team: &named, note },
        };
        let to_self = matches!((&to, &viewer.user), (Assignee::User(user), Some(me)) if user == me);
        if !to_self && !viewer.may_assign(team.as_deref()) {
            return Err(AppError::Forbidden(
                "assigning to others needs the admin role, or team admin within the team".into(),
            ));
        }
        self.change_owner(
            workspace,
            &conversation,
            &next,
            "conversation.assigned",
            activity,
            None,
        )
        .await
    }

    /// Back to its team's queue.
    pub async fn unassign(
        &self,
        workspace: &str,
        viewer: &Viewer,
        conversation_id: &str,
    ) -> Result<ConversationRecord, AppError> {
        let conversation = self
            .conversation_for(workspace, viewer, conversation_id)
            .await?;
        let next = state_of(&conversation.ownership()?).unassigned();
        self.change_owner(
            workspace,
            &conversation,
            &next,
            "conversation.assigned",
            Activity::Unassigned,
            None,
        )
        .await
    }

    /// A person hands the conversation back to an AI agent of the workspace.
    pub async fn hand_back(
        &self,
        workspace: &str,
        viewer: &Viewer,
        conversation_id: &str,
        agent_id: &str,
    ) -> Result<ConversationRecord, AppError> {
        let conversation = self
            .conversation_for(workspace, viewer, conversation_id)
            .await?;
        let agent = self.store.agents().get(workspace, agent_id).await?;
        let next = state_of(&conversation.ownership()?).handed_back(&agent.id);
        self.change_owner(
            workspace,
            &conversation,
            &next,
            "conversation.assigned",
            Activity::HandedBack { agent: &agent.name },
            None,
        )
        .await
    }

    /// The AI's typing, announced where a failure to announce it must not fail the turn.
    async fn courtesy_typing(&self, workspace: &str, conversation: &str, typing: bool) {
        let announced = self
            .announce_typing(workspace, conversation, SenderKind::Agent, None, typing)
            .await;
        if let Err(error) = announced {
            tracing::warn!(%error, "announcing the AI's typing failed");
        }
    }

    /// A person is typing in a conversation they may work, or stopped: its customer sees it
    /// where the channel shows typing (the widget).
    pub async fn person_typing(
        &self,
        workspace: &str,
        viewer: &Viewer,
        conversation: &str,
        typing: bool,
    ) -> Result<(), AppError> {
        self.conversation_for(workspace, viewer, conversation)
            .await?;
        let user = viewer.user.as_deref();
        self.announce_typing(workspace, conversation, SenderKind::User, user, typing)
            .await
    }

    /// Opens, resolves, or snoozes until a time (a job opens it then).
    pub async fn set_status(
        &self,
        workspace: &str,
        viewer: &Viewer,
        conversation_id: &str,
        status: ConversationStatus,
        snoozed_until: Option<i64>,
    ) -> Result<ConversationRecord, AppError> {
        let conversation = self
            .conversation_for(workspace, viewer, conversation_id)
            .await?;
        let wakes = snoozed_until.is_some_and(|until| until > records::now());
        let next = state_of(&conversation.ownership()?).with_status(status, wakes)?;
        self.change_owner(
            workspace,
            &conversation,
            &next,
            "conversation.status_changed",
            Activity::Status(status),
            snoozed_until.filter(|_| status == ConversationStatus::Snoozed),
        )
        .await
    }

    /// A snoozed conversation's time came (the `WakeConversation` job).
    pub async fn wake_conversation(
        &self,
        claimed: &ClaimedJob,
        worker: &str,
        conversation_id: &str,
    ) -> Result<(), AppError> {
        let workspace = claimed.workspace_id.as_deref().unwrap_or_default();
        let Some(conversation) = self
            .conversation_of_job(claimed, worker, conversation_id)
            .await?
        else {
            return Ok(());
        };
        let due = conversation.status == ConversationStatus::Snoozed
            && conversation
                .snoozed_until
                .is_some_and(|until| until <= records::now());
        if due {
            let current = conversation.ownership()?;
            let reopened = state_of(&current).on_customer_message().0;
            let next = ownership_of(&reopened);
            let change = Change {
                transition: Some((&current, &next)),
                transition_event: "conversation.status_changed",
                messages: vec![Activity::SnoozeEnded.message()],
                ends_job: Some((&claimed.id, worker)),
                ..Change::default()
            };
            match self
                .store
                .conversations()
                .apply(workspace, conversation_id, &change)
                .await
            {
                Ok(_) => self.events.ring(),
                Err(StoreError::Conflict(_)) => {
                    self.store.jobs().complete(&claimed.id, worker).await?;
                }
                Err(error) => return Err(error.into()),
            }
        } else {
            self.store.jobs().complete(&claimed.id, worker).await?;
        }
        Ok(())
    }

    pub async fn label(
        &self,
        workspace: &str,
        viewer: &Viewer,
        conversation_id: &str,
        add: &[String],
        remove: &[String],
    ) -> Result<Vec<String>, AppError> {
        self.conversation_for(workspace, viewer, conversation_id)
            .await?;
        for label in add.iter().chain(remove) {
            let valid = !label.is_empty()
                && label.chars().count() <= 50
                && label
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '-' || c == '_');
            if !valid {
                return Err(AppError::Invalid(format!(
                    "labels: {label:?} is not a label (1 to 50 letters, digits, - or _)"
                )));
            }
        }
        let labels = self
            .store
            .conversations()
            .label(workspace, conversation_id, add, remove)
            .await?;
        self.events.ring();
        Ok(labels)
    }

    /// Sets how urgent a conversation is, for one who may work it.
    pub async fn set_priority(
        &self,
        workspace: &str,
        viewer: &Viewer,
        conversation_id: &str,
        priority: records::Priority,
    ) -> Result<ConversationRecord, AppError> {
        self.conversation_for(workspace, viewer, conversation_id)
            .await?;
        let conversation = self
            .store
            .conversations()
            .set_priority(workspace, conversation_id, priority)
            .await?;
        self.events.ring();
        Ok(conversation)
    }

    /// Smart replies for a person working the conversation, from the agent the channel (or
    /// `agent_id`) names, over the conversation so far. Metered like every smart reply.
    pub async fn suggest_for_conversation(
        &self,
        workspace: &str,
        viewer: &Viewer,
        conversation_id: &str,
        agent_id: Option<&str>,
    ) -> Result<agentflow::Suggestions, AppError> {
        let conversation = self
            .conversation_for(workspace, viewer, conversation_id)
            .await?;
        let agent = match agent_id {
            Some(agent) => agent.to_string(),
            None => self
                .store
                .channels()
                .get(workspace, &conversation.channel_id)
                .await?
                .agent_id
                .ok_or_else(|| {
                    AppError::Invalid(
                        "agent_id: the channel has no AI agent; name the agent that suggests"
                            .into(),
                    )
                })?,
        };
        let (history, last) = self.history(workspace, conversation_id, None).await?;
        let last = last.ok_or_else(|| {
            AppError::Invalid("the customer has not written yet: nothing to suggest for".into())
        })?;
        self.suggest_replies(&agent, workspace, last.text, history)
            .await
    }

    /// Delivers an outbound message through its channel (the `SendMessage` job): sent,
    /// retried on the schedule while the failure may pass, failed with the platform's error
    /// when it will not.
    pub async fn send_message(
        &self,
        claimed: &ClaimedJob,
        worker: &str,
        message_id: &str,
    ) -> Result<(), AppError> {
        let workspace = claimed.workspace_id.as_deref().unwrap_or_default();
        let conversations = self.store.conversations();
        let message = match conversations.message(workspace, message_id).await {
            // A send in parts goes on after its first part, even if the platform has reported
            // that part delivered meanwhile.
            Ok(message)
                if message.status == DeliveryStatus::Queued
                    || (message.sent_parts > 0 && message.status != DeliveryStatus::Failed) =>
            {
                message
            }
            Ok(_) | Err(StoreError::NotFound(_)) => {
                self.store.jobs().complete(&claimed.id, worker).await?;
                return Ok(());
            }
            Err(error) => return Err(error.into()),
        };
        let conversation = conversations
            .get(workspace, &message.conversation_id)
            .await?;
        let channel = self
            .store
            .channels()
            .get(workspace, &conversation.channel_id)
            .await?;
        let contact = self
            .store
            .contacts()
            .get(workspace, &conversation.contact_id, &channel.id)
            .await?;
        if channel.kind == "widget" {
            // The visitor's browser reads the message from the event log: nothing to send.
            let outcome = SendOutcome::Accepted { platform_id: None };
            return self.settle_send(claimed, worker, &message, outcome).await;
        }
        if channel.kind != "api" {
            let outcome = self
                .send_through_platform(claimed, &conversation, channel, &message, &contact)
                .await?;
            return self.settle_send(claimed, worker, &message, outcome).await;
        }
        let external_id = contact.external_id.unwrap_or_default();
        let reply_to = match &message.reply_to {
            Some(id) => {
                conversations
                    .message(workspace, id)
                    .await?
                    .platform_message_id
            }
            None => None,
        };
        let config: serde_json::Value = serde_json::from_str(&channel.config)
            .map_err(|error| AppError::Internal(error.to_string()))?;
        let webhook_url = config
            .get("webhook_url")
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default();
        let secret = self.signing_secret(workspace, &channel.id).await?;
        let request = api::outbound(
            webhook_url,
            &secret,
            &OutboundMessage {
                kind: "message.created",
                conversation_id: &conversation.id,
                contact: OutboundContact {
                    external_id: &external_id,
                },
                message: OutboundText {
                    id: &message.id,
                    text: &message.text,
                    reply_to: reply_to.as_deref(),
                },
            },
            records::now() / 1000,
        );
        let outcome = match knowledge::fetch::check_url(webhook_url, &self.fetch_options()).await {
            Err(error) => SendOutcome::Rejected {
                error: error.to_string(),
            },
            Ok(()) => self.deliver(request, api::read_answer).await,
        };
        self.settle_send(claimed, worker, &message, outcome).await
    }

    /// Records what became of a send: sent, retried on the schedule while the failure may
    /// pass, failed with the platform's error when it will not.
    async fn settle_send(
        &self,
        claimed: &ClaimedJob,
        worker: &str,
        message: &MessageRecord,
        outcome: SendOutcome,
    ) -> Result<(), AppError> {
        let workspace = claimed.workspace_id.as_deref().unwrap_or_default();
        let message_id = message.id.as_str();
        let conversations = self.store.conversations();
        let lease = Some((claimed.id.as_str(), worker));
        match outcome {
            SendOutcome::Accepted { platform_id } => {
                conversations
                    .set_delivery(
                        workspace,
                        message_id,
                        DeliveryStatus::Sent,
                        None,
                        platform_id.as_deref(),
                        lease,
                    )
                    .await?;
            }
            SendOutcome::Transient { error, retry_after }
                if claimed.attempt < self.settings.max_attempts =>
            {
                let scheduled =
                    SEND_RETRIES[(claimed.attempt.max(1) as usize - 1).min(SEND_RETRIES.len() - 1)];
                let delay = scheduled.max(Duration::from_secs(retry_after.unwrap_or(0)));
                self.store
                    .jobs()
                    .retry(&claimed.id, worker, &error, delay)
                    .await?;
                return Ok(());
            }
            SendOutcome::Transient { error, .. } | SendOutcome::Rejected { error } => {
                conversations
                    .set_delivery(
                        workspace,
                        message_id,
                        DeliveryStatus::Failed,
                        Some(&error),
                        None,
                        lease,
                    )
                    .await?;
            }
        }
        self.events.ring();
        Ok(())
    }

    /// Sends one request and reads the answer with `read` (status, `Retry-After` seconds,
    /// body). An error never carries the URL: a platform's may hold its token.
    pub(crate) async fn deliver(
        &self,
        request: connectors::OutboundRequest,
        read: impl FnOnce(u16, Option<u64>, &[u8]) -> SendOutcome,
    ) -> SendOutcome {
        let mut builder = self
            .http
            .post(&request.url)
            .timeout(SEND_TIMEOUT)
            .body(request.body);
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        match builder.send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                let retry_after = response
                    .headers()
                    .get("retry-after")
                    .and_then(|value| value.to_str().ok())
                    .and_then(|value| value.trim().parse().ok());
                let body = response.bytes().await.unwrap_or_default();
                read(status, retry_after, &body)
            }
            Err(error) => SendOutcome::Transient {
                error: format!(
                    "{} could not be reached: {}",
                    host_of(&request.url),
                    error.without_url()
                ),
                retry_after: None,
            },
        }
    }

    /// A delivery status a channel reported for one of its outbound messages (by the
    /// message's id or the platform's): it only ever moves forward.
    pub async fn report_delivery(
        &self,
        workspace: &str,
        channel: &str,
        message: &str,
        status: DeliveryStatus,
        error: Option<&str>,
    ) -> Result<bool, AppError> {
        self.store.channels().get(workspace, channel).await?;
        let conversations = self.store.conversations();
        let found = match conversations.message(workspace, message).await {
            Ok(found) => found,
            Err(StoreError::NotFound(_)) => {
                conversations
                    .find_by_platform_id(workspace, channel, message)
                    .await?
            }
            Err(error) => return Err(error.into()),
        };
        if found.direction != Direction::Out {
            return Err(AppError::Invalid(
                "message_id: delivery statuses are for outbound messages".into(),
            ));
        }
        let moved = conversations
            .set_delivery(workspace, &found.id, status, error, None, None)
            .await?;
        if moved {
            self.events.ring();
        }
        Ok(moved)
    }
}

/// The host a request goes to, to name it in an error without the rest of its URL.
fn host_of(url: &str) -> String {
    reqwest::Url::parse(url)
        .ok()
        .and_then(|url| url.host_str().map(str::to_string))
        .unwrap_or_else(|| "the address".into())
}

/// Whether running a turn again may succeed (the model or the index failed), as opposed to
/// a refusal that will repeat (no credits, no agent).
fn is_transient(error: &AppError) -> bool {
    matches!(
        error,
        AppError::Agent(agentflow::AgentError::Llm(_))
            | AppError::Index(_)
            | AppError::Store(StoreError::Database(_))
    )
}

/// Text in the form search matches (and the form a search is put in): lower case, Arabic
/// diacritics and letter variants unified, Arabic-Indic digits as ASCII, as retrieval's.
pub fn search_form(text: &str) -> String {
    agentflow::text::matching_form(text)
}

/// An activity: what happened, for the people in the inbox.
fn activity(text: &str, details: &serde_json::Value) -> NewMessage {
    NewMessage {
        direction: Direction::Out,
        sender_kind: SenderKind::System,
        sender_id: None,
        kind: MessageKind::Activity,
        text: text.to_string(),
        search_text: search_form(text),
        reply_to: None,
        turn_id: None,
        details: (!details.is_null()).then(|| details.to_string()),
    }
}

/// What a person, or the inbox itself, did to a conversation, as its thread records it: the
/// text in English, and in the details `activity` (its `kind` and what it names), so an
/// interface says it in its reader's language.
enum Activity<'a> {
    Claimed,
    AssignedTo {
        person: &'a str,
        note: Option<&'a str>,
    },
    AssignedToTeam {
        team: &'a str,
        note: Option<&'a str>,
    },
    Unassigned,
    AutoAssigned,
    HandedBack {
        agent: &'a str,
    },
    Status(ConversationStatus),
    SnoozeEnded,
}

impl Activity<'_> {
    fn message(&self) -> NewMessage {
        let (text, said) = match self {
            Activity::Claimed => (
                "Claimed".to_string(),
                serde_json::json!({ "kind": "claimed" }),
            ),
            Activity::AssignedTo { person, note } => (
                with_note(format!("Assigned to {person}"), *note),
                serde_json::json!({ "kind": "assigned", "to": person, "note": note }),
            ),
            Activity::AssignedToTeam { team, note } => (
                with_note(format!("Assigned to the team {team}"), *note),
                serde_json::json!({ "kind": "assigned_to_team", "to": team, "note": note }),
            ),
            Activity::Unassigned => (
                "Unassigned".to_string(),
                serde_json::json!({ "kind": "unassigned" }),
            ),
            Activity::AutoAssigned => (
                "Assigned automatically".to_string(),
                serde_json::json!({ "kind": "auto_assigned" }),
            ),
            Activity::HandedBack { agent } => (
                format!("Handed back to the AI agent {agent}"),
                serde_json::json!({ "kind": "handed_back", "agent": agent }),
            ),
            Activity::Status(status) => (
                format!("Status: {status}"),
                serde_json::json!({ "kind": "status", "status": status }),
            ),
            Activity::SnoozeEnded => (
                "The snooze ended".to_string(),
                serde_json::json!({ "kind": "snooze_ended" }),
            ),
        };
        activity(&text, &serde_json::json!({ "activity": said }))
    }
}

fn with_note(text: String, note: Option<&str>) -> String {
    match note {
        Some(note) => format!("{text}: {note}"),
        None => text,
    }
}

/// How many conversations one round of auto-assignment hands out at most.
const ASSIGN_ROUND: usize = 100;

impl App {
    /// Hands a team's waiting conversations, the longest waiting first, to its members who
    /// are online and below their capacity, until either runs out. Run after a handoff into
    /// the team, when a member comes online, and when one lets a conversation go.
    pub async fn auto_assign(&self, workspace: &str, team: &str) -> Result<usize, AppError> {
        let mut assigned = 0;
        for _ in 0..ASSIGN_ROUND {
            let waiting = self
                .store
                .conversations()
                .waiting_in(workspace, team, 1)
                .await?;
            let Some(conversation) = waiting.into_iter().next() else {
                break;
            };
            let candidates: Vec<Candidate> = self
                .store
                .people()
                .online_in_team(workspace, team)
                .await?
                .into_iter()
                .map(|member| Candidate {
                    user: member.id,
                    open: member.open,
                    capacity: member.capacity,
                    last_assigned_at: member.last_assigned_at,
                })
                .collect();
            let Some(user) = assignment::choose(&candidates) else {
                break;
            };
            let next = state_of(&conversation.ownership()?)
                .assigned_to(Owner::User(user.to_string()), Some(team));
            match self
                .change_owner(
                    workspace,
                    &conversation,
                    &next,
                    "conversation.assigned",
                    Activity::AutoAssigned,
                    None,
                )
                .await
            {
                Ok(_) => {
                    self.store.people().mark_assigned(user).await?;
                    assigned += 1;
                }
                // Someone took it meanwhile: on to the next.
                Err(AppError::Store(StoreError::Conflict(_))) => {}
                Err(error) => return Err(error),
            }
        }
        Ok(assigned)
    }

    /// Auto-assignment after something freed a person or filled a queue: its failure is
    /// logged, never the failure of what triggered it.
    async fn assign_waiting(&self, workspace: &str, team: Option<&str>) {
        let Some(team) = team else {
            return;
        };
        if let Err(error) = self.auto_assign(workspace, team).await {
            tracing::warn!(%error, team, "auto-assignment failed; the conversations wait in the queue");
        }
    }

    /// A person says whether they take conversations; coming online, they are given what
    /// waits in their team's queue.
    pub async fn set_presence(
        &self,
        workspace: &str,
        viewer: &Viewer,
        presence: Presence,
    ) -> Result<records::User, AppError> {
        let Some(user) = &viewer.user else {
            return Err(AppError::Invalid(
                "presence is a person's: sign in as the person".into(),
            ));
        };
        let person = self
            .store
            .people()
            .set_presence(workspace, user, presence)
            .await?;
        self.events.ring();
        if presence == Presence::Online {
            self.assign_waiting(workspace, person.team_id.as_deref())
                .await;
        }
        Ok(person)
    }
}

/// Who owns a new canned response or macro: refused as forbidden for a person asking for a
/// shared one, as invalid for a program asking for its own.
fn owner_of_new<'v>(
    viewer: &'v Viewer,
    shared: bool,
    what: &str,
) -> Result<Option<&'v str>, AppError> {
    viewer.owner_of_new(shared).map_err(|why| {
        let message = format!("shared: {what}: {why}");
        if viewer.user.is_some() {
            AppError::Forbidden(message)
        } else {
            AppError::Invalid(message)
        }
    })
}

/// The longest short code of a canned response, in characters.
const MAX_SHORT_CODE: usize = 30;

impl App {
    /// A canned response: shared by the workspace (admins make those) or the person's own.
    pub async fn create_canned(
        &self,
        workspace: &str,
        viewer: &Viewer,
        short_code: &str,
        text: &str,
        shared: bool,
    ) -> Result<records::CannedResponse, AppError> {
        let code = short_code.trim().to_lowercase();
        let valid = !code.is_empty()
            && code.chars().count() <= MAX_SHORT_CODE
            && code
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '_');
        if !valid {
            return Err(AppError::Invalid(format!(
                "short_code: 1 to {MAX_SHORT_CODE} letters, digits, - or _"
            )));
        }
        check_text("text", text)?;
        inbox::template::check(text)
            .map_err(|error| AppError::Invalid(format!("text: {error}")))?;
        let owner = owner_of_new(viewer, shared, "canned responses")?;
        Ok(self
            .store
            .canned_responses()
            .create(workspace, owner, &code, text)
            .await?)
    }

    /// The text a canned response sends in this conversation, its variables filled.
    pub async fn render_canned(
        &self,
        workspace: &str,
        viewer: &Viewer,
        conversation_id: &str,
        short_code: &str,
    ) -> Result<String, AppError> {
        let conversation = self
            .conversation_for(workspace, viewer, conversation_id)
            .await?;
        let code = short_code.trim().to_lowercase();
        let canned = self
            .store
            .canned_responses()
            .usable(workspace, viewer.user.as_deref(), &code)
            .await?
            .into_iter()
            .find(|canned| canned.short_code == code)
            .ok_or(StoreError::NotFound("canned response"))?;
        let contact = self
            .store
            .contacts()
            .get(
                workspace,
                &conversation.contact_id,
                &conversation.channel_id,
            )
            .await?;
        let mut values = std::collections::BTreeMap::new();
        if let Some(name) = contact.name {
            values.insert("contact.name", name);
        }
        if let Some(user) = &viewer.user {
            let person = self.store.people().get(workspace, user).await?;
            let name = person
                .email
                .split('@')
                .next()
                .unwrap_or_default()
                .to_string();
            values.insert("agent.name", name);
        }
        values.insert("conversation.number", conversation.number.to_string());
        Ok(inbox::template::render(&canned.text, &values))
    }
}

/// A macro as people see it: its actions read.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MacroView {
    pub id: String,
    /// The person whose own it is; null: shared by the workspace.
    pub owner_id: Option<String>,
    pub name: String,
    pub actions: Vec<MacroAction>,
    pub created_at: i64,
}

impl TryFrom<records::MacroRecord> for MacroView {
    type Error = AppError;

    fn try_from(record: records::MacroRecord) -> Result<Self, AppError> {
        Ok(MacroView {
            actions: serde_json::from_str(&record.actions)
                .map_err(|error| AppError::Store(StoreError::Corrupt(error.to_string())))?,
            id: record.id,
            owner_id: record.owner_id,
            name: record.name,
            created_at: record.created_at,
        })
    }
}

/// What a bulk action did to one conversation.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BulkOutcome {
    pub conversation_id: String,
    /// Why it was not done to this one; null when it was.
    pub error: Option<String>,
}

/// The most conversations one bulk action takes.
pub const MAX_BULK: usize = 500;

impl App {
    pub async fn create_macro(
        &self,
        workspace: &str,
        viewer: &Viewer,
        name: &str,
        actions: Vec<MacroAction>,
        shared: bool,
    ) -> Result<MacroView, AppError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > MAX_CHANNEL_NAME {
            return Err(AppError::Invalid(format!(
                "name: a macro's name has 1 to {MAX_CHANNEL_NAME} characters"
            )));
        }
        inbox::macros::check(&actions).map_err(AppError::Invalid)?;
        let owner = owner_of_new(viewer, shared, "macros")?;
        let text = serde_json::to_string(&actions)
            .map_err(|error| AppError::Internal(error.to_string()))?;
        self.store
            .macros()
            .create(workspace, owner, name, &text)
            .await?
            .try_into()
    }

    pub async fn macros_for(
        &self,
        workspace: &str,
        viewer: &Viewer,
    ) -> Result<Vec<MacroView>, AppError> {
        self.store
            .macros()
            .usable(workspace, viewer.user.as_deref())
            .await?
            .into_iter()
            .map(MacroView::try_from)
            .collect()
    }

    /// Runs a macro's actions on a conversation in order, each as the person would; stops at
    /// the first that cannot be done, naming it (the ones before it stay done).
    pub async fn run_macro(
        &self,
        workspace: &str,
        viewer: &Viewer,
        conversation_id: &str,
        macro_id: &str,
    ) -> Result<ConversationRecord, AppError> {
        let view: MacroView = self
            .store
            .macros()
            .get(workspace, viewer.user.as_deref(), macro_id)
            .await?
            .try_into()?;
        for (index, action) in view.actions.iter().enumerate() {
            self.apply_action(workspace, viewer, conversation_id, action)
                .await
                .map_err(|error| match error {
                    AppError::Invalid(message) => {
                        AppError::Invalid(format!("actions[{index}]: {message}"))
                    }
                    other => other,
                })?;
        }
        self.conversation_for(workspace, viewer, conversation_id)
            .await
    }

    /// One action, as the person doing it by hand would.
    pub async fn apply_action(
        &self,
        workspace: &str,
        viewer: &Viewer,
        conversation_id: &str,
        action: &MacroAction,
    ) -> Result<(), AppError> {
        match action {
            MacroAction::AddLabel { label } => {
                self.label(
                    workspace,
                    viewer,
                    conversation_id,
                    std::slice::from_ref(label),
                    &[],
                )
                .await?;
            }
            MacroAction::RemoveLabel { label } => {
                self.label(
                    workspace,
                    viewer,
                    conversation_id,
                    &[],
                    std::slice::from_ref(label),
                )
                .await?;
            }
            MacroAction::AssignUser { user_id } => {
                self.assign(
                    workspace,
                    viewer,
                    conversation_id,
                    Assignee::User(user_id.clone()),
                    None,
                )
                .await?;
            }
            MacroAction::AssignTeam { team_id } => {
                self.assign(
                    workspace,
                    viewer,
                    conversation_id,
                    Assignee::Team(team_id.clone()),
                    None,
                )
                .await?;
            }
            MacroAction::Unassign => {
                self.unassign(workspace, viewer, conversation_id).await?;
            }
            MacroAction::SetStatus { status } => {
                self.set_status(workspace, viewer, conversation_id, *status, None)
                    .await?;
            }
            MacroAction::SendCanned { short_code } => {
                let text = self
                    .render_canned(workspace, viewer, conversation_id, short_code)
                    .await?;
                self.post_message(
                    workspace,
                    viewer,
                    conversation_id,
                    &text,
                    PersonMessage::Reply,
                )
                .await?;
            }
            MacroAction::Note { text } => {
                self.post_message(
                    workspace,
                    viewer,
                    conversation_id,
                    text,
                    PersonMessage::Note,
                )
                .await?;
            }
        }
        Ok(())
    }

    /// One action over many conversations (a filtered list the person selected): done to each
    /// it can be done to, and for each other the reason.
    pub async fn bulk(
        &self,
        workspace: &str,
        viewer: &Viewer,
        conversations: &[String],
        action: &MacroAction,
    ) -> Result<Vec<BulkOutcome>, AppError> {
        if conversations.is_empty() || conversations.len() > MAX_BULK {
            return Err(AppError::Invalid(format!(
                "conversation_ids: 1 to {MAX_BULK} of them"
            )));
        }
        inbox::macros::check(std::slice::from_ref(action)).map_err(AppError::Invalid)?;
        let mut outcomes = Vec::with_capacity(conversations.len());
        for id in conversations {
            let done = self.apply_action(workspace, viewer, id, action).await;
            outcomes.push(BulkOutcome {
                conversation_id: id.clone(),
                error: done.err().map(|error| error.to_string()),
            });
        }
        Ok(outcomes)
    }
}
