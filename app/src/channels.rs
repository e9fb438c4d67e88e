//! The messaging platforms' channel accounts: made with their settings (secrets sealed), their
//! webhooks verified and stored once per event, and texts delivered through their send APIs
//! within their windows. What each platform means is in `connectors::channel`; this is the
//! I/O around it.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use connectors::SendOutcome;
use connectors::channel::{self, OutgoingText, Platform, Settings, WebhookError, WebhookRequest};
use connectors::event::{ChannelEvent, Content, IncomingMessage};
use connectors::whatsapp_templates::{self, TemplateDefinition, TemplateValues};
use inbox::Viewer;
use records::{
    ChannelRecord, ClaimedJob, ContactRecord, ConversationRecord, MessageKind, MessageRecord,
    NewChannel, Received, Revision, SenderKind, StoreError,
};
use serde::Serialize;
use sha2::{Digest, Sha256};
use types::Phone;

use crate::inbox::{
    ChannelView, CreatedChannel, PersonMessage, WebhookRegistration, decide_arrival, search_form,
};
use crate::{App, AppError};

/// The largest webhook delivery read, in bytes; a larger one is refused with 413. Platforms
/// batch at most a few hundred events (well under this).
pub const MAX_WEBHOOK_BYTES: usize = 1024 * 1024;

/// What a platform's webhook call brought.
pub struct WebhookCall<'a> {
    /// A GET (a subscription check) rather than a POST (events).
    pub handshake: bool,
    /// The query string as it came, to rebuild the URL the platform called.
    pub raw_query: Option<&'a str>,
    pub header: &'a (dyn Fn(&str) -> Option<&'a str> + Sync),
    pub query: &'a (dyn Fn(&str) -> Option<&'a str> + Sync),
    pub body: &'a [u8],
}

/// What to answer the platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookAnswer {
    /// The subscription check passed: the challenge goes back as the body.
    Challenge(String),
    /// Every event of the delivery is stored (or was before).
    Stored {
        tally: WebhookTally,
        /// The content type and body the platform expects back, where it reads them.
        acknowledgment: Option<(&'static str, &'static str)>,
    },
}

/// What a delivery held, once stored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct WebhookTally {
    /// Customers' messages stored now.
    pub messages: usize,
    /// Customers' messages stored by an earlier delivery of the same event.
    pub duplicates: usize,
    /// Statuses that moved an outbound message forward.
    pub statuses: usize,
    /// Customers' messages edited or taken back, or reacted to.
    pub revisions: usize,
    /// Customers who stopped (or started again) the business's messages.
    pub subscriptions: usize,
    /// Events acknowledged and not acted on (unknown kinds, statuses of messages sent
    /// elsewhere, opt-outs of customers not known yet).
    pub ignored: usize,
    /// Whether this delivery's unknown events were kept as they came (not when kept before).
    pub kept_unknown: usize,
}

/// Keeps each channel account's sends within its rate, in this process: at most `rate` in
/// any second (a little more than a second, so the platform's clock never counts one more).
#[derive(Debug, Default)]
pub(crate) struct SendPacer {
    sent: std::sync::Mutex<HashMap<String, VecDeque<Instant>>>,
}

/// The span a rate is counted over, with a margin for the time a request takes to arrive.
const RATE_SPAN: Duration = Duration::from_millis(1_010);

impl SendPacer {
    /// Waits until the channel account may send once more, and counts that send.
    pub(crate) async fn wait_turn(&self, channel: &str, rate: u32) {
        loop {
            let wait = {
                let mut all = self
                    .sent
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                let sent = all.entry(channel.to_string()).or_default();
                let now = Instant::now();
                while sent
                    .front()
                    .is_some_and(|at| now.duration_since(*at) >= RATE_SPAN)
                {
                    sent.pop_front();
                }
                match sent.front() {
                    Some(oldest) if sent.len() >= rate as usize => *oldest + RATE_SPAN - now,
                    _ => {
                        sent.push_back(now);
                        return;
                    }
                }
            };
            tokio::time::sleep(wait).await;
        }
    }
}

/// The access tokens platforms sold (WeChat's last two hours), by channel account, with
/// when they stop being good.
#[derive(Debug, Default)]
pub(crate) struct AccessTokens(std::sync::Mutex<HashMap<String, (String, Instant)>>);

/// A token is bought again this long before it expires.
const TOKEN_MARGIN: Duration = Duration::from_secs(300);

/// WhatsApp's templates by channel account, with when they were read.
#[derive(Debug, Default)]
pub(crate) struct TemplateLists(std::sync::Mutex<HashMap<String, (Instant, TemplateList)>>);

type TemplateList = Arc<Vec<TemplateDefinition>>;

/// How long a channel account's template list is kept before it is read again.
const TEMPLATES_KEPT: Duration = Duration::from_secs(300);

/// The template a message carries, as it was checked when a person sent it.
fn template_of(message: &MessageRecord) -> Result<(TemplateDefinition, TemplateValues), AppError> {
    #[derive(serde::Deserialize)]
    struct Carried {
        template: Template,
    }
    #[derive(serde::Deserialize)]
    struct Template {
        definition: TemplateDefinition,
        values: TemplateValues,
    }
    let carried: Carried = message
        .details
        .as_deref()
        .and_then(|details| serde_json::from_str(details).ok())
        .ok_or_else(|| {
            AppError::Internal(format!(
                "message {}: a template without its definition",
                message.id
            ))
        })?;
    Ok((carried.template.definition, carried.template.values))
}

/// A platform channel account, with its workspace and settings opened.
struct Account {
    workspace: String,
    channel: ChannelRecord,
    platform: &'static dyn Platform,
    settings: Settings,
}

impl From<WebhookError> for AppError {
    fn from(error: WebhookError) -> Self {
        match error {
            WebhookError::Unauthenticated(reason) => AppError::Unauthorized(reason),
            WebhookError::Malformed(reason) => AppError::Invalid(reason),
        }
    }
}

/// What the inbox keeps of a customer's message: its text (what people see and the agent
/// reads) and what else the platform said of it; `None` for what changes an earlier message
/// (a reaction, an edit, an unsend), which is not a new message.
fn stored_form(message: &IncomingMessage) -> Option<(String, serde_json::Value)> {
    let mut details = serde_json::Map::new();
    if let Some(token) = &message.reply_token {
        details.insert("reply_token".into(), token.clone().into());
    }
    if let Some(sent_at) = message.sent_at {
        details.insert("sent_at".into(), sent_at.into());
    }
    let text = match &message.content {
        Content::Text(text) => text.clone(),
        // The file stays on the platform; the agent does not read it, and hands the
        // conversation to a person when no caption says anything.
        Content::Media(media) => {
            details.insert(
                "media".into(),
                serde_json::json!({
                    "kind": format!("{:?}", media.kind).to_lowercase(),
                    "file": media.file, "name": media.name,
                    "content_type": media.content_type, "bytes": media.bytes,
                }),
            );
            media.caption.clone().unwrap_or_default()
        }
        Content::Location {
            latitude,
            longitude,
            name,
        } => {
            details.insert(
                "location".into(),
                serde_json::json!({ "latitude": latitude, "longitude": longitude }),
            );
            match name {
                Some(name) => format!("📍 {name} ({latitude}, {longitude})"),
                None => format!("📍 {latitude}, {longitude}"),
            }
        }
        Content::ContactCard { name, phone } => match phone {
            Some(phone) => format!("👤 {name} {phone}"),
            None => format!("👤 {name}"),
        },
        Content::Choice { payload, title } => {
            details.insert("choice".into(), payload.clone().into());
            title.clone().unwrap_or_else(|| payload.clone())
        }
        Content::Reaction { .. } | Content::Edit { .. } | Content::Unsend { .. } => return None,
    };
    Some((text, serde_json::Value::Object(details)))
}

/// A phone number as a platform gives it: WhatsApp's ids are the digits without the `+`.
fn phone_of(given: &str) -> Option<Phone> {
    let given = given.trim();
    let written = if given.starts_with('+') {
        given.to_string()
    } else {
        format!("+{given}")
    };
    Phone::parse(&written).ok()
}

/// Whether a message may go to the conversation's customer now on the platform, and whether
/// as a person's late answer (`Err`: why not). The conversation's window holds the end of the
/// platform's standard window after the customer's last message.
fn window_check(
    platform: &dyn Platform,
    conversation: &ConversationRecord,
    now: i64,
    by_person: bool,
    answered: u32,
) -> Result<bool, String> {
    let Some(window) = platform.window() else {
        return Ok(false);
    };
    if let Some(answers) = window.answers
        && answered >= answers
    {
        return Err(format!(
            "{}: {answered} messages already answer the customer's last one, the most it \
             allows; the customer must write again first",
            platform.kind()
        ));
    }
    let Some(expires) = conversation.window_expires_at else {
        return Err(format!(
            "{}: the customer has not written on it yet; only an approved template may start a \
             conversation",
            platform.kind()
        ));
    };
    let last_wrote = expires - i64::try_from(window.standard.as_millis()).unwrap_or(i64::MAX);
    let since = Duration::from_millis(u64::try_from(now - last_wrote).unwrap_or(0));
    window
        .admits(since, by_person)
        .map_err(|reason| format!("{}: {reason}", platform.kind()))
}

impl App {
    /// The channel account's access token: the one held while it is good, else a new one
    /// bought with `request`. `Err` is the send's outcome when none can be had.
    async fn access_token(
        &self,
        account: &Account,
        request: connectors::OutboundRequest,
    ) -> Result<String, SendOutcome> {
        let channel = &account.channel.id;
        {
            let held = self
                .tokens
                .0
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if let Some((token, until)) = held.get(channel)
                && Instant::now() + TOKEN_MARGIN < *until
            {
                return Ok(token.clone());
            }
        }
        let mut bought = None;
        let platform = account.platform;
        let outcome = self
            .deliver(request, |status, _, body| {
                match platform.read_token(status, body) {
                    Ok(token) => {
                        bought = Some(token);
                        SendOutcome::Accepted { platform_id: None }
                    }
                    Err(error) if status >= 500 || status == 429 => SendOutcome::Transient {
                        error,
                        retry_after: None,
                    },
                    Err(error) => SendOutcome::Rejected { error },
                }
            })
            .await;
        match bought {
            Some((token, life)) => {
                self.tokens
                    .0
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .insert(channel.clone(), (token.clone(), Instant::now() + life));
                Ok(token)
            }
            None => Err(outcome),
        }
    }

    /// Forgets a channel account's access token, so the next send buys a new one (the
    /// platform may have refused it as stale).
    fn forget_token(&self, channel: &str) {
        self.tokens
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .remove(channel);
    }

    /// Refuses a person's reply the channel's platform would refuse: outside its window.
    pub(crate) async fn check_window(
        &self,
        workspace: &str,
        conversation: &ConversationRecord,
    ) -> Result<(), AppError> {
        let channel = self
            .store
            .channels()
            .get(workspace, &conversation.channel_id)
            .await?;
        let Some(platform) = channel::platform(&channel.kind) else {
            return Ok(());
        };
        let answered = self
            .answered(workspace, platform, conversation, None)
            .await?;
        let Err(refusal) = window_check(platform, conversation, records::now(), true, answered)
        else {
            return Ok(());
        };
        let offer = match platform.kind() {
            "whatsapp" => {
                let approved = match self.whatsapp_templates(workspace, &channel.id).await {
                    Ok(templates) => templates
                        .iter()
                        .filter(|template| template.status == "APPROVED")
                        .map(|template| format!("{} ({})", template.name, template.language))
                        .collect::<Vec<_>>()
                        .join(", "),
                    Err(error) => format!("none could be read: {error}"),
                };
                format!(
                    "; send one with POST /v1/conversations/{}/templates (approved: {approved})",
                    conversation.id
                )
            }
            _ => String::new(),
        };
        Err(AppError::Invalid(format!("text: {refusal}{offer}")))
    }

    /// A WhatsApp channel account's message templates, as Graph lists them (kept 5 minutes).
    pub async fn whatsapp_templates(
        &self,
        workspace: &str,
        channel_id: &str,
    ) -> Result<Arc<Vec<TemplateDefinition>>, AppError> {
        let channel = self.store.channels().get(workspace, channel_id).await?;
        if channel.kind != "whatsapp" {
            return Err(AppError::Invalid(format!(
                "channel: templates are WhatsApp's; this channel is {}",
                channel.kind
            )));
        }
        {
            let held = self
                .templates
                .0
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if let Some((read, templates)) = held.get(channel_id)
                && read.elapsed() < TEMPLATES_KEPT
            {
                return Ok(templates.clone());
            }
        }
        let account = self.account(workspace, channel).await?;
        let url = format!(
            "{}/{}/{}/message_templates?limit=250",
            self.api_base(account.platform).trim_end_matches('/'),
            connectors::whatsapp::GRAPH_VERSION,
            account.settings.get("business_account_id")
        );
        let unreadable = |error: String| {
            AppError::Platform(format!(
                "WhatsApp's template list could not be read: {error}"
            ))
        };
        let response = self
            .http
            .get(&url)
            .bearer_auth(account.settings.get("access_token"))
            .timeout(Duration::from_secs(15))
            .send()
            .await
            .map_err(|error| unreadable(error.without_url().to_string()))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|error| unreadable(error.without_url().to_string()))?;
        if !status.is_success() {
            return Err(unreadable(format!(
                "Graph answered {status}: {}",
                String::from_utf8_lossy(&body)
                    .chars()
                    .take(300)
                    .collect::<String>()
            )));
        }
        let templates = Arc::new(whatsapp_templates::read_definitions(&body).map_err(unreadable)?);
        self.templates
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(channel_id.to_string(), (Instant::now(), templates.clone()));
        Ok(templates)
    }

    /// Refuses a template that would start a conversation past the business portfolio's
    /// messaging limit: outside the customer's window, to one more customer than the limit
    /// allows in 24 hours across the portfolio's numbers (its channel accounts with the same
    /// `business_account_id`).
    async fn check_messaging_limit(
        &self,
        workspace: &str,
        conversation: &ConversationRecord,
    ) -> Result<(), AppError> {
        let now = records::now();
        if conversation
            .window_expires_at
            .is_some_and(|until| until > now)
        {
            return Ok(());
        }
        let channel = self
            .store
            .channels()
            .get(workspace, &conversation.channel_id)
            .await?;
        let config = |channel: &ChannelRecord, name: &str| {
            serde_json::from_str::<serde_json::Value>(&channel.config)
                .ok()
                .and_then(|config| config.get(name)?.as_str().map(str::to_string))
        };
        let limit = match config(&channel, "messaging_limit") {
            Some(limit) => connectors::whatsapp::read_messaging_limit(&limit).flatten(),
            None => Some(connectors::whatsapp::DEFAULT_MESSAGING_LIMIT),
        };
        let Some(limit) = limit else {
            return Ok(());
        };
        let portfolio = config(&channel, "business_account_id");
        let numbers: Vec<String> = self
            .store
            .channels()
            .of_kind(workspace, "whatsapp")
            .await?
            .into_iter()
            .filter(|other| config(other, "business_account_id") == portfolio)
            .map(|other| other.id)
            .collect();
        let day = 24 * 3600 * 1000;
        let (reached, counted) = self
            .store
            .conversations()
            .template_recipients(workspace, &numbers, now - day, &conversation.contact_id)
            .await?;
        if !counted && reached >= i64::from(limit) {
            return Err(AppError::Invalid(format!(
                "name: WhatsApp's messaging limit: the business account {} may start \
                 conversations with {limit} customers in 24 hours, and has with {reached}; \
                 when WhatsApp raises it, set the channel's config.messaging_limit",
                portfolio.unwrap_or_default()
            )));
        }
        Ok(())
    }

    /// A person sends a WhatsApp template to the conversation's customer: its values checked
    /// against the template's definition (naming what does not fit) before it is queued; it may
    /// go outside the 24-hour window.
    pub async fn send_template(
        &self,
        workspace: &str,
        viewer: &Viewer,
        conversation_id: &str,
        name: &str,
        language: &str,
        values: TemplateValues,
    ) -> Result<MessageRecord, AppError> {
        let conversation = self
            .conversation_for(workspace, viewer, conversation_id)
            .await?;
        let templates = self
            .whatsapp_templates(workspace, &conversation.channel_id)
            .await?;
        let Some(definition) = templates
            .iter()
            .find(|template| template.name == name && template.language == language)
        else {
            let known: Vec<String> = templates
                .iter()
                .filter(|template| template.status == "APPROVED")
                .map(|template| format!("{} ({})", template.name, template.language))
                .collect();
            return Err(AppError::Invalid(format!(
                "name: no template {name:?} in {language:?}; approved: {}",
                known.join(", ")
            )));
        };
        definition.check(&values).map_err(AppError::Invalid)?;
        self.check_messaging_limit(workspace, &conversation).await?;
        let details =
            serde_json::json!({ "template": { "definition": definition, "values": values } });
        self.post_person_message(
            workspace,
            viewer,
            conversation_id,
            &definition.render(&values),
            PersonMessage::Template,
            Some(details.to_string()),
        )
        .await
    }

    /// How many messages went to the customer since their last message (before `message`),
    /// where the platform limits it.
    async fn answered(
        &self,
        workspace: &str,
        platform: &dyn Platform,
        conversation: &ConversationRecord,
        message: Option<&MessageRecord>,
    ) -> Result<u32, AppError> {
        let (Some(window), Some(expires)) = (platform.window(), conversation.window_expires_at)
        else {
            return Ok(0);
        };
        if window.answers.is_none() {
            return Ok(0);
        }
        let last_wrote = expires - i64::try_from(window.standard.as_millis()).unwrap_or(i64::MAX);
        let count = self
            .store
            .conversations()
            .count_answers(
                workspace,
                &conversation.id,
                last_wrote,
                message.map(|m| m.id.as_str()),
            )
            .await?;
        Ok(u32::try_from(count).unwrap_or(u32::MAX))
    }

    /// Makes a channel account of a messaging platform: its settings checked against the
    /// platform's, the secret ones sealed, the rest kept in its config.
    pub(crate) async fn create_platform_channel(
        &self,
        workspace: &str,
        actor: &str,
        platform: &'static dyn Platform,
        new: NewChannel,
        posted: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<CreatedChannel, AppError> {
        let settings = channel::read_settings(platform, posted)
            .map_err(|error| AppError::Invalid(error.to_string()))?;
        let (public, secret) = channel::split_secrets(platform, &settings);
        let mut config = new.config;
        for (name, value) in public.0 {
            config[name] = value.into();
        }
        let channel = self
            .store_channel(workspace, actor, NewChannel { config, ..new }, &secret.0)
            .await?;
        let channel = self.channel_view(channel);
        let webhook_registration = match (
            &channel.webhook_url,
            platform.register_webhook(
                self.api_base(platform),
                &settings,
                channel.webhook_url.as_deref().unwrap_or_default(),
            ),
        ) {
            (Some(_), Some(request)) => Some(self.register_webhook(platform, request).await),
            _ => None,
        };
        Ok(CreatedChannel {
            channel,
            secret: None,
            webhook_registration,
        })
    }

    /// Stores a channel account with its secrets sealed together (as JSON).
    pub(crate) async fn store_channel(
        &self,
        workspace: &str,
        actor: &str,
        new: NewChannel,
        secrets: &impl serde::Serialize,
    ) -> Result<ChannelRecord, AppError> {
        let sealed = serde_json::to_string(secrets)
            .map_err(|error| AppError::Internal(error.to_string()))?;
        let new = NewChannel {
            secret_sealed: self.vault.seal(&sealed)?,
            ..new
        };
        Ok(self.store.channels().create(workspace, actor, &new).await?)
    }

    /// Gives the platform the channel's webhook, and reads whether it took it.
    async fn register_webhook(
        &self,
        platform: &'static dyn Platform,
        request: connectors::OutboundRequest,
    ) -> WebhookRegistration {
        let outcome = self
            .deliver(request, |status, _, body| {
                match platform.read_register_answer(status, body) {
                    Ok(()) => SendOutcome::Accepted { platform_id: None },
                    Err(error) => SendOutcome::Rejected { error },
                }
            })
            .await;
        match outcome {
            SendOutcome::Accepted { .. } => WebhookRegistration {
                registered: true,
                error: None,
            },
            SendOutcome::Transient { error, .. } | SendOutcome::Rejected { error } => {
                WebhookRegistration {
                    registered: false,
                    error: Some(error),
                }
            }
        }
    }

    /// Where the platform's API is: the service's setting, else the platform's own.
    fn api_base(&self, platform: &dyn Platform) -> &str {
        self.settings
            .platform_api
            .get(platform.kind())
            .map_or(platform.default_api_base(), String::as_str)
    }

    /// A channel account with where its platform delivers its webhooks (none for the `api`
    /// channel, which is posted to with an API key).
    pub fn channel_view(&self, channel: ChannelRecord) -> ChannelView {
        let webhook_url = channel::platform(&channel.kind).map(|_| {
            format!(
                "{}/webhooks/{}",
                self.settings.public_url.trim_end_matches('/'),
                channel.id
            )
        });
        let embed = (channel.kind == "widget").then(|| {
            format!(
                r#"<script src="{}/widget.js" data-channel="{}" async></script>"#,
                self.settings.public_url.trim_end_matches('/'),
                channel.id
            )
        });
        ChannelView {
            channel,
            webhook_url,
            embed,
        }
    }

    async fn account(&self, workspace: &str, channel: ChannelRecord) -> Result<Account, AppError> {
        let platform = channel::platform(&channel.kind).ok_or(AppError::Store(
            StoreError::NotFound("channel with a platform webhook"),
        ))?;
        let config: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&channel.config).map_err(|error| {
                AppError::Internal(format!("channel {}: config: {error}", channel.id))
            })?;
        let sealed = self
            .store
            .channels()
            .sealed_secret(workspace, &channel.id)
            .await?;
        let mut settings: std::collections::BTreeMap<String, String> =
            serde_json::from_str(&self.vault.open(&sealed)?).map_err(|error| {
                AppError::Internal(format!("channel {}: secrets: {error}", channel.id))
            })?;
        let public = platform.fields().iter().chain([&channel::SENDS_PER_SECOND]);
        for field in public.filter(|field| !field.secret) {
            if let Some(value) = config.get(field.name).and_then(serde_json::Value::as_str) {
                settings.insert(field.name.to_string(), value.to_string());
            }
        }
        Ok(Account {
            workspace: workspace.to_string(),
            channel,
            platform,
            settings: Settings(settings),
        })
    }

    /// A platform's call to a channel's webhook: the subscription check answered, or the
    /// delivery verified (nothing stored when it is not the platform's), read, and each of its
    /// events stored once before the answer.
    pub async fn receive_webhook(
        &self,
        channel_id: &str,
        call: &WebhookCall<'_>,
    ) -> Result<WebhookAnswer, AppError> {
        let (workspace, channel) = self.store.channels().locate(channel_id).await?;
        let account = self.account(&workspace, channel).await?;
        if call.handshake {
            return match account.platform.handshake(&account.settings, call.query) {
                Some(answer) => Ok(WebhookAnswer::Challenge(answer?)),
                None => Err(AppError::Invalid(format!(
                    "{} makes no subscription check: its webhook takes POSTs",
                    account.platform.kind()
                ))),
            };
        }
        let url = format!(
            "{}/webhooks/{channel_id}{}",
            self.settings.public_url.trim_end_matches('/'),
            call.raw_query
                .map(|query| format!("?{query}"))
                .unwrap_or_default()
        );
        let request = WebhookRequest {
            url: &url,
            header: call.header,
            query: call.query,
            body: call.body,
        };
        account.platform.verify(&account.settings, &request)?;
        let payload = account.platform.open(&account.settings, &request)?;
        let events = account.platform.parse(&payload)?;
        let mut tally = WebhookTally::default();
        let unhandled: Vec<&str> = events
            .iter()
            .filter_map(|event| match event {
                ChannelEvent::Unhandled { kind } => Some(kind.as_str()),
                _ => None,
            })
            .collect();
        if !unhandled.is_empty() {
            let payload = String::from_utf8_lossy(&payload);
            let key: String = Sha256::digest(format!("{channel_id}\n{payload}"))
                .iter()
                .map(|byte| format!("{byte:02x}"))
                .collect();
            let kept = self
                .store
                .channels()
                .keep_unhandled(
                    &account.workspace,
                    channel_id,
                    &key,
                    &unhandled.join(","),
                    &payload,
                )
                .await?;
            tally.kept_unknown = usize::from(kept);
        }
        for event in events {
            self.store_event(&account, event, &mut tally).await?;
        }
        if tally.messages > 0 || tally.statuses > 0 || tally.revisions > 0 {
            self.events.ring();
        }
        Ok(WebhookAnswer::Stored {
            tally,
            acknowledgment: account.platform.acknowledgment(),
        })
    }

    async fn store_event(
        &self,
        account: &Account,
        event: ChannelEvent,
        tally: &mut WebhookTally,
    ) -> Result<(), AppError> {
        match event {
            ChannelEvent::Message(message) => {
                let revision = match &message.content {
                    Content::Edit { message_id, text } => Some((
                        message_id,
                        Revision::Edit {
                            search_text: search_form(text),
                            text: text.clone(),
                        },
                    )),
                    Content::Unsend { message_id } => Some((message_id, Revision::Unsend)),
                    Content::Reaction { message_id, emoji } => Some((
                        message_id,
                        Revision::React {
                            emoji: emoji.clone(),
                        },
                    )),
                    _ => None,
                };
                if let Some((original, revision)) = revision {
                    let revised = self
                        .store
                        .conversations()
                        .revise_inbound(&account.workspace, &account.channel.id, original, revision)
                        .await?;
                    if revised {
                        tally.revisions += 1;
                    } else {
                        tally.ignored += 1;
                    }
                    return Ok(());
                }
                let Some((text, details)) = stored_form(&message) else {
                    tally.ignored += 1;
                    return Ok(());
                };
                let received = self.store_message(account, &message, text, details).await?;
                if received.duplicate {
                    tally.duplicates += 1;
                } else {
                    tally.messages += 1;
                }
            }
            ChannelEvent::Status(update) => {
                let conversations = self.store.conversations();
                let found = match conversations
                    .find_by_platform_id(
                        &account.workspace,
                        &account.channel.id,
                        &update.message_id,
                    )
                    .await
                {
                    Ok(found) => found,
                    // A status of a message sent from elsewhere (the platform's own app).
                    Err(StoreError::NotFound(_)) => {
                        tally.ignored += 1;
                        return Ok(());
                    }
                    Err(error) => return Err(error.into()),
                };
                let moved = conversations
                    .set_delivery(
                        &account.workspace,
                        &found.id,
                        update.status,
                        update.error.as_deref(),
                        None,
                        None,
                    )
                    .await?;
                if moved {
                    tally.statuses += 1;
                } else {
                    tally.ignored += 1;
                }
            }
            ChannelEvent::StatusUpTo {
                external_id,
                status,
                up_to,
            } => {
                let conversations = self.store.conversations();
                let reached = conversations
                    .sent_up_to(
                        &account.workspace,
                        &account.channel.id,
                        &external_id,
                        status,
                        up_to,
                    )
                    .await?;
                if reached.is_empty() {
                    tally.ignored += 1;
                }
                for message in reached {
                    if conversations
                        .set_delivery(&account.workspace, &message, status, None, None, None)
                        .await?
                    {
                        tally.statuses += 1;
                    }
                }
            }
            ChannelEvent::Subscription {
                external_id,
                subscribed,
            } => {
                let known = self
                    .store
                    .contacts()
                    .set_subscribed(&account.channel.id, &external_id, subscribed)
                    .await?;
                if known {
                    tally.subscriptions += 1;
                } else {
                    tally.ignored += 1;
                }
            }
            ChannelEvent::Unhandled { .. } => {
                tally.ignored += 1;
            }
        }
        Ok(())
    }

    async fn store_message(
        &self,
        account: &Account,
        message: &IncomingMessage,
        text: String,
        details: serde_json::Value,
    ) -> Result<Received, AppError> {
        let sender = &message.sender;
        let arrived = records::now();
        let window_until = account.platform.window().map(|window| {
            let written = message
                .sent_at
                .map_or(arrived, |seconds| seconds.saturating_mul(1000));
            written.min(arrived) + i64::try_from(window.standard.as_millis()).unwrap_or(i64::MAX)
        });
        let inbound = records::Inbound {
            channel_id: account.channel.id.clone(),
            external_id: sender.external_id.clone(),
            contact: records::ContactDetails {
                name: sender.name.clone(),
                phone: sender.phone.as_deref().and_then(phone_of),
                email: None,
                language: sender.language.clone(),
            },
            platform_message_id: message.id.clone(),
            search_text: search_form(&text),
            text,
            attachments: Vec::new(),
            details: Some(details.to_string()),
            window_until,
        };
        let decide = decide_arrival(&account.channel)?;
        Ok(self
            .store
            .conversations()
            .receive(&account.workspace, inbound, decide)
            .await?)
    }

    /// Delivers an outbound message through its channel's platform (the `SendMessage` job for
    /// a platform channel): refused before any call outside the platform's window; each part
    /// the platform takes recorded before the next goes, so a retry never sends one twice.
    pub(crate) async fn send_through_platform(
        &self,
        claimed: &ClaimedJob,
        conversation: &ConversationRecord,
        channel: ChannelRecord,
        message: &MessageRecord,
        customer: &ContactRecord,
    ) -> Result<SendOutcome, AppError> {
        let workspace = claimed.workspace_id.as_deref().unwrap_or_default();
        let account = self.account(workspace, channel).await?;
        let now = records::now();
        if customer.unsubscribed_at.is_some() {
            return Ok(SendOutcome::Rejected {
                error: format!(
                    "the customer stopped this account's messages on {} (blocked, unfollowed or \
                     sent STOP); nothing is sent until they subscribe again",
                    account.platform.kind()
                ),
            });
        }
        let customer = customer.external_id.as_deref().unwrap_or_default();
        let by_person = message.sender_kind == SenderKind::User;
        let template = match message.kind {
            MessageKind::Template => Some(template_of(message)?),
            _ => None,
        };
        let answered = self
            .answered(workspace, account.platform, conversation, Some(message))
            .await?;
        let human_agent =
            match window_check(account.platform, conversation, now, by_person, answered) {
                Ok(human_agent) => human_agent,
                // A template is what may go outside the window.
                Err(_) if template.is_some() => false,
                Err(error) => return Ok(SendOutcome::Rejected { error }),
            };
        let answered = match &message.reply_to {
            Some(id) => Some(self.store.conversations().message(workspace, id).await?),
            None => None,
        };
        // A reply token is used once: only a first attempt, while it is fresh, spends it.
        let reply_token = match (&answered, account.platform.reply_token_life()) {
            (Some(answered), Some(life)) if claimed.attempt <= 1 => {
                let details: serde_json::Value = answered
                    .details
                    .as_deref()
                    .and_then(|details| serde_json::from_str(details).ok())
                    .unwrap_or_default();
                // Fresh from when the platform sent it, which a redelivery may be long after.
                let given = details["sent_at"]
                    .as_i64()
                    .map_or(answered.created_at, |seconds| seconds.saturating_mul(1000));
                details["reply_token"]
                    .as_str()
                    .filter(|_| reply_token_is_fresh(now, given, life))
                    .map(str::to_string)
            }
            _ => None,
        };
        let api_base = self.api_base(account.platform);
        let mut settings = account.settings.clone();
        if let Some(request) = account.platform.token_request(api_base, &settings) {
            match self.access_token(&account, request).await {
                Ok(token) => {
                    settings.0.insert("access_token".into(), token);
                }
                Err(outcome) => return Ok(outcome),
            }
        }
        // The questions an AI's unanswered reply offers, by their numbers: the customer's tap
        // sends the number, which picks the question.
        let offered = crate::inbox::AgentReplyDetails::of(message.details.as_deref()).offered;
        let choices: Vec<String> = (1..=offered.len())
            .map(|number| number.to_string())
            .collect();
        let requests = match template {
            Some((definition, values)) => vec![definition.send_request(
                &format!(
                    "{}/{}",
                    api_base.trim_end_matches('/'),
                    connectors::whatsapp::GRAPH_VERSION
                ),
                settings.get("access_token"),
                settings.get("phone_number_id"),
                customer,
                &values,
            )],
            None => match account.platform.send_text(
                api_base,
                &settings,
                &OutgoingText {
                    to: customer,
                    text: &message.text,
                    reply_to: answered
                        .as_ref()
                        .and_then(|answered| answered.platform_message_id.as_deref()),
                    reply_token: reply_token.as_deref(),
                    message_id: &message.id,
                    channel_name: &account.channel.name,
                    human_agent,
                    choices: &choices,
                },
            ) {
                Ok(requests) => requests,
                Err(error) => return Ok(SendOutcome::Rejected { error }),
            },
        };
        let rate = channel::sends_per_second(account.platform, &settings);
        let total = requests.len();
        let mut first_id = message.platform_message_id.clone();
        let already = usize::try_from(message.sent_parts).unwrap_or(0);
        for (part, request) in requests.into_iter().enumerate().skip(already) {
            self.pacer.wait_turn(&account.channel.id, rate).await;
            let platform = account.platform;
            let outcome = self
                .deliver(request, |status, retry_after, body| {
                    match platform.read_send_answer(status, body) {
                        SendOutcome::Transient {
                            error,
                            retry_after: None,
                        } => SendOutcome::Transient { error, retry_after },
                        outcome => outcome,
                    }
                })
                .await;
            match outcome {
                SendOutcome::Accepted { platform_id } => {
                    first_id = first_id.or(platform_id);
                    if part + 1 < total {
                        self.store
                            .conversations()
                            .record_sent_parts(
                                workspace,
                                &message.id,
                                i64::try_from(part + 1).unwrap_or(i64::MAX),
                                first_id.as_deref(),
                            )
                            .await?;
                    }
                }
                failed @ SendOutcome::Transient { .. } => {
                    self.forget_token(&account.channel.id);
                    return Ok(failed);
                }
                failed => return Ok(failed),
            }
        }
        // The platform took it: a failure to note its cost must not send it again.
        if let Some(units) = account.platform.cost_units(&message.text)
            && let Err(error) = self
                .store
                .conversations()
                .record_cost(workspace, &message.id, units)
                .await
        {
            tracing::warn!(message = %message.id, %error, "the send's cost was not recorded");
        }
        Ok(SendOutcome::Accepted {
            platform_id: first_id,
        })
    }
}

/// Whether a reply token the platform sent at `sent` is still good at `now` (both in
/// milliseconds), for a token that lives `life`. The platform's delivery says when it sent it:
/// however far off that is, the difference must not overflow.
fn reply_token_is_fresh(now: i64, sent: i64, life: Duration) -> bool {
    now.saturating_sub(sent) < i64::try_from(life.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use connectors::event::{Media, MediaKind, Sender};

    use super::*;

    #[test]
    fn a_reply_token_sent_at_the_ends_of_time_is_judged_without_a_crash() {
        let life = Duration::from_secs(60);
        let now = 1_700_000_000_000;
        assert!(reply_token_is_fresh(now, now - 59_000, life));
        assert!(!reply_token_is_fresh(now, now - 61_000, life));
        assert!(!reply_token_is_fresh(now, i64::MIN, life));
        assert!(reply_token_is_fresh(now, i64::MAX, life));
    }

    #[tokio::test]
    async fn the_pacer_lets_no_more_than_the_rate_through_in_any_second() {
        let pacer = std::sync::Arc::new(SendPacer::default());
        let started = Instant::now();
        let mut sends = tokio::task::JoinSet::new();
        for _ in 0..25 {
            let pacer = pacer.clone();
            sends.spawn(async move {
                pacer.wait_turn("channel-1", 10).await;
                started.elapsed()
            });
        }
        let mut times: Vec<Duration> = sends.join_all().await;
        times.sort();
        for (at, time) in times.iter().enumerate() {
            let within = times[at..]
                .iter()
                .take_while(|later| **later - *time < Duration::from_secs(1))
                .count();
            assert!(within <= 10, "{within} sends within a second from {time:?}");
        }
        assert!(times[24] >= Duration::from_secs(2), "25 at 10 a second");
        // Another channel account is not held up by this one's pace.
        let before = Instant::now();
        pacer.wait_turn("channel-2", 10).await;
        assert!(before.elapsed() < Duration::from_millis(500));
    }

    fn message(content: Content) -> IncomingMessage {
        IncomingMessage {
            id: "wamid.1".into(),
            sender: Sender::default(),
            content,
            reply_to: None,
            sent_at: Some(1_700_000_000),
            reply_token: Some("token".into()),
        }
    }

    #[test]
    fn a_message_is_kept_as_the_text_people_read_with_what_else_the_platform_said() {
        let (text, details) = stored_form(&message(Content::Media(Media {
            kind: MediaKind::Image,
            file: "media-1".into(),
            name: None,
            content_type: Some("image/jpeg".into()),
            bytes: None,
            caption: Some("is this in stock?".into()),
        })))
        .unwrap();
        assert_eq!(text, "is this in stock?");
        assert_eq!(details["media"]["kind"], "image");
        assert_eq!(details["reply_token"], "token");
        let (text, _) = stored_form(&message(Content::Choice {
            payload: "plan-pro".into(),
            title: Some("Pro".into()),
        }))
        .unwrap();
        assert_eq!(text, "Pro");
        assert!(
            stored_form(&message(Content::Unsend {
                message_id: "wamid.0".into()
            }))
            .is_none()
        );
    }

    #[test]
    fn whatsapp_ids_are_read_as_phone_numbers() {
        assert_eq!(phone_of("971501234567").unwrap().as_str(), "+971501234567");
        assert!(phone_of("not a number").is_none());
    }
}
