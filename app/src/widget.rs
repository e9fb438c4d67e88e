//! The web chat widget's side of the inbox: a visitor on the business's site starts a session
//! (who they are: the site's signed-in user, or someone anonymous who answered the pre-chat
//! form), reads their conversation, writes to it and says they are typing. The visitor's token
//! is all they hold; their messages enter the inbox as any channel's customer messages do, and
//! what is said to them needs no send: their browser reads it from the event log.

use connectors::widget::{self, PreChat, SessionRequest, Visitor, WidgetError, WidgetSettings};
use records::{ChannelRecord, ConversationRecord, NewChannel, Page};
use records::{Direction, SenderKind};
use serde::{Deserialize, Serialize};

use crate::inbox::{AgentReplyDetails, CreatedChannel, check_text, search_form};
use crate::{App, AppError};

/// What a widget channel keeps sealed.
#[derive(Serialize, Deserialize)]
struct WidgetSecrets {
    /// Signs visitors' tokens (hex).
    visitor_key: String,
    hmac_secret: Option<String>,
}

/// A widget channel ready to serve a visitor.
pub struct WidgetChannel {
    pub workspace: String,
    pub channel: ChannelRecord,
    settings: WidgetSettings,
    visitor_key: Vec<u8>,
}

/// What the script shows before a visitor writes.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WidgetConfig {
    /// The chat's title: the channel's name.
    pub name: String,
    pub pre_chat: PreChat,
    /// Only the site's signed-in users may chat.
    pub require_identity: bool,
}

/// A session: the token the visitor's browser keeps, and who it names.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VisitorSession {
    /// Sent back as `Authorization: Bearer <token>` (and `?token=` on the event stream).
    pub token: String,
    pub visitor: Visitor,
    /// Their conversation, once they have written.
    pub conversation_id: Option<String>,
}

/// A message of the visitor's conversation as they see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VisitorMessage {
    pub id: String,
    /// `in`: the visitor's; `out`: said to them.
    #[schema(value_type = String)]
    pub direction: Direction,
    /// `contact` (the visitor), `agent` (the AI), `user` (a person), `system`.
    #[schema(value_type = String)]
    pub sender: SenderKind,
    pub text: String,
    /// On the AI's reply that could not answer: the questions it offers instead, numbered in
    /// this order; the widget shows them as buttons.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub offered: Vec<String>,
    /// Milliseconds since the epoch.
    pub created_at: i64,
}

/// A message a visitor sends.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VisitorText {
    pub text: String,
    /// The browser's id for the message: a retried send with the same id is stored once.
    pub id: Option<String>,
    /// The page the visitor is on, shown to the people answering.
    pub page_url: Option<String>,
}

/// The longest client id a visitor's message carries.
const MAX_CLIENT_ID_CHARS: usize = 100;
/// How much of the page's address is kept with a message.
const MAX_PAGE_URL_CHARS: usize = 2_000;
/// How much of a conversation a returning visitor sees: the latest messages.
const HISTORY: i64 = 200;

/// A browser's id for a message: short, and no '/' (it follows the visitor's id).
fn is_client_id(id: &str) -> bool {
    (1..=MAX_CLIENT_ID_CHARS).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// The page a visitor wrote from, kept only as a web address (never `javascript:` or the
/// like, which the inbox might show as a link), cut to its first 2,000 characters.
fn page_address(url: &str) -> Option<String> {
    let url = url.trim();
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://"))
        .then(|| url.chars().take(MAX_PAGE_URL_CHARS).collect())
}

impl From<WidgetError> for AppError {
    fn from(error: WidgetError) -> Self {
        match error {
            WidgetError::Invalid(message) => AppError::Invalid(message),
            WidgetError::Refused(message) => AppError::Unauthorized(message),
        }
    }
}

impl App {
    /// A widget channel: its settings checked, its visitor key made, its `hmac_secret` sealed.
    pub(crate) async fn create_widget_channel(
        &self,
        workspace: &str,
        actor: &str,
        new: NewChannel,
        posted: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<CreatedChannel, AppError> {
        let settings = WidgetSettings::read(posted)?;
        let secrets = WidgetSecrets {
            visitor_key: hex::encode(self.vault.random_bytes(32)?),
            hmac_secret: settings.hmac_secret,
        };
        let mut config = new.config.clone();
        config["require_identity"] = settings.require_identity.into();
        config["pre_chat"] = serde_json::to_value(&settings.pre_chat)
            .map_err(|error| AppError::Internal(error.to_string()))?;
        let channel = self
            .store_channel(workspace, actor, NewChannel { config, ..new }, &secrets)
            .await?;
        Ok(CreatedChannel {
            channel: self.channel_view(channel),
            secret: None,
            webhook_registration: None,
        })
    }

    /// The widget channel a visitor's page names, whichever workspace it is in.
    pub async fn widget_channel(&self, channel_id: &str) -> Result<WidgetChannel, AppError> {
        let (workspace, channel) = self.store.channels().locate(channel_id).await?;
        if channel.kind != "widget" {
            return Err(AppError::Store(records::StoreError::NotFound(
                "widget channel",
            )));
        }
        let config: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&channel.config)
                .map_err(|error| AppError::Internal(format!("channel {channel_id}: {error}")))?;
        let sealed = self
            .store
            .channels()
            .sealed_secret(&workspace, channel_id)
            .await?;
        let secrets: WidgetSecrets = serde_json::from_str(&self.vault.open(&sealed)?)
            .map_err(|error| AppError::Internal(format!("channel {channel_id}: {error}")))?;
        let pre_chat = config
            .get("pre_chat")
            .cloned()
            .map(serde_json::from_value)
            .transpose()
            .map_err(|error| AppError::Internal(format!("channel {channel_id}: {error}")))?
            .unwrap_or_default();
        Ok(WidgetChannel {
            workspace,
            settings: WidgetSettings {
                hmac_secret: secrets.hmac_secret,
                require_identity: config
                    .get("require_identity")
                    .and_then(serde_json::Value::as_bool)
                    .unwrap_or(false),
                pre_chat,
            },
            visitor_key: hex::decode(&secrets.visitor_key)
                .map_err(|error| AppError::Internal(format!("channel {channel_id}: {error}")))?,
            channel,
        })
    }

    pub async fn widget_config(&self, channel_id: &str) -> Result<WidgetConfig, AppError> {
        let widget = self.widget_channel(channel_id).await?;
        Ok(WidgetConfig {
            name: widget.channel.name,
            pre_chat: widget.settings.pre_chat,
            require_identity: widget.settings.require_identity,
        })
    }

    /// Starts or resumes a visitor's session. Nothing is stored: the token carries the visitor.
    pub async fn start_visitor_session(
        &self,
        channel_id: &str,
        request: &SessionRequest,
    ) -> Result<VisitorSession, AppError> {
        let widget = self.widget_channel(channel_id).await?;
        let fresh = hex::encode(self.vault.random_bytes(16)?);
        let visitor = widget::start_session(
            &widget.settings,
            &widget.visitor_key,
            channel_id,
            request,
            || fresh,
        )?;
        let conversation = self.visitor_conversation(&widget, &visitor).await?;
        Ok(VisitorSession {
            token: widget::sign_token(&widget.visitor_key, channel_id, &visitor),
            visitor,
            conversation_id: conversation.map(|conversation| conversation.id),
        })
    }

    /// The visitor a token names on this channel; a token of an anonymous visitor no longer
    /// serves once the widget requires identity.
    pub async fn visitor(
        &self,
        channel_id: &str,
        token: &str,
    ) -> Result<(WidgetChannel, Visitor), AppError> {
        let widget = self.widget_channel(channel_id).await?;
        let visitor = widget::read_token(&widget.visitor_key, channel_id, token)?;
        if widget.settings.require_identity && !visitor.verified {
            return Err(AppError::Unauthorized(
                "this chat is for the site's signed-in users: start a session with user_id and \
                 user_hash"
                    .into(),
            ));
        }
        Ok((widget, visitor))
    }

    /// The visitor's conversation on the widget: the latest, as their messages go to it.
    pub async fn visitor_conversation(
        &self,
        widget: &WidgetChannel,
        visitor: &Visitor,
    ) -> Result<Option<ConversationRecord>, AppError> {
        let Some(contact) = self
            .store
            .contacts()
            .of_identity(&widget.channel.id, &visitor.id)
            .await?
        else {
            return Ok(None);
        };
        let filter = records::ConversationFilter {
            channel_id: Some(widget.channel.id.clone()),
            contact_id: Some(contact),
            ..records::ConversationFilter::default()
        };
        let page = Page {
            limit: 1,
            after: None,
        };
        let listed = self
            .store
            .conversations()
            .list(&widget.workspace, &filter, &page)
            .await?;
        Ok(listed.items.into_iter().next())
    }

    /// What a returning visitor sees: their conversation's messages for them, oldest first
    /// (notes and activities are the people's own).
    pub async fn visitor_messages(
        &self,
        channel_id: &str,
        token: &str,
    ) -> Result<Vec<VisitorMessage>, AppError> {
        let (widget, visitor) = self.visitor(channel_id, token).await?;
        let Some(conversation) = self.visitor_conversation(&widget, &visitor).await? else {
            return Ok(Vec::new());
        };
        let thread = self
            .store
            .conversations()
            .customer_thread(&widget.workspace, &conversation.id, HISTORY)
            .await?;
        Ok(thread
            .into_iter()
            .map(|message| VisitorMessage {
                offered: AgentReplyDetails::of(message.details.as_deref()).offered,
                id: message.id,
                direction: message.direction,
                sender: message.sender_kind,
                text: message.text,
                created_at: message.created_at,
            })
            .collect())
    }

    /// A visitor's message, stored once (by the browser's id for it) and answered as any
    /// customer's: by the channel's agent, or its people.
    pub async fn receive_visitor_message(
        &self,
        channel_id: &str,
        token: &str,
        posted: VisitorText,
    ) -> Result<records::Received, AppError> {
        let (widget, visitor) = self.visitor(channel_id, token).await?;
        check_text("text", &posted.text)?;
        let client_id = match posted.id {
            Some(id) if !is_client_id(&id) => {
                return Err(AppError::Invalid(format!(
                    "id: 1 to {MAX_CLIENT_ID_CHARS} letters, digits, '.', '_' or '-'"
                )));
            }
            Some(id) => id,
            None => hex::encode(self.vault.random_bytes(16)?),
        };
        // Anyone can type any address into a form, and the site signs only its user's id: a
        // visitor's email and phone are shown to the people answering, and never join them to
        // the contact who has them.
        let details = serde_json::json!({
            "visitor": {
                "verified": visitor.verified,
                "email": visitor.email,
                "phone": visitor.phone,
                "page_url": posted.page_url.as_deref().and_then(page_address),
            }
        });
        let inbound = records::Inbound {
            channel_id: channel_id.to_string(),
            external_id: visitor.id.clone(),
            contact: records::ContactDetails {
                name: visitor.name.clone(),
                phone: None,
                email: None,
                language: visitor.language.clone(),
            },
            // The visitor's id, then the browser's (which holds no '/'): unambiguous.
            platform_message_id: format!("{}/{client_id}", visitor.id),
            search_text: search_form(&posted.text),
            text: posted.text,
            attachments: Vec::new(),
            details: Some(details.to_string()),
            window_until: None,
        };
        self.intake(&widget.workspace, &widget.channel, inbound)
            .await
    }

    /// The visitor is typing (or stopped): the people working their conversation see it live.
    pub async fn visitor_typing(
        &self,
        channel_id: &str,
        token: &str,
        typing: bool,
    ) -> Result<(), AppError> {
        let (widget, visitor) = self.visitor(channel_id, token).await?;
        if let Some(conversation) = self.visitor_conversation(&widget, &visitor).await? {
            self.announce_typing(
                &widget.workspace,
                &conversation.id,
                SenderKind::Contact,
                None,
                typing,
            )
            .await?;
        }
        Ok(())
    }

    /// Someone (`by`) is typing in a conversation, or stopped: an event, nothing stored.
    pub(crate) async fn announce_typing(
        &self,
        workspace: &str,
        conversation: &str,
        by: SenderKind,
        user: Option<&str>,
        typing: bool,
    ) -> Result<(), AppError> {
        let payload = serde_json::json!({
            "conversation_id": conversation, "by": by, "user_id": user, "typing": typing,
        });
        self.store
            .events()
            .append(workspace, conversation, "conversation.typing", payload)
            .await?;
        self.events.ring();
        Ok(())
    }
}
