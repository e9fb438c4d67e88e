//! What a platform's webhook delivers, in the one shape the inbox reads: each channel's
//! `parse` turns its payload into these, and `app` stores them the same way for every channel.

/// One thing a webhook delivery reported. A delivery may hold several (Meta and LINE batch
/// them); each is stored once by its own key.
#[derive(Debug, Clone, PartialEq)]
pub enum ChannelEvent {
    /// A customer wrote (or reacted, edited, took a message back).
    Message(Box<IncomingMessage>),
    /// What became of a message sent to the customer.
    Status(StatusUpdate),
    /// Every message sent to the customer up to a time (ms since the epoch, the platform's
    /// clock) reached a status: Messenger's delivery and read watermarks.
    StatusUpTo {
        external_id: String,
        status: types::DeliveryStatus,
        up_to: i64,
    },
    /// The customer stopped (or started again) receiving messages from the business.
    Subscription {
        external_id: String,
        subscribed: bool,
    },
    /// Something this version does not act on; the delivery is still acknowledged, so the
    /// platform does not disable the webhook.
    Unhandled { kind: String },
}

/// A customer's message as a platform delivered it.
#[derive(Debug, Clone, PartialEq)]
pub struct IncomingMessage {
    /// The platform's id for it, unique on the channel account: a repeated delivery carries
    /// the same one, and is stored once.
    pub id: String,
    /// Who wrote, by the platform's id for them on this channel account (where replies go).
    pub sender: Sender,
    pub content: Content,
    /// The platform's id of the message this one answers.
    pub reply_to: Option<String>,
    /// When the platform says it was sent, in seconds since the Unix epoch.
    pub sent_at: Option<i64>,
    /// A token the platform gives to answer this message with, free while it is fresh
    /// (LINE's reply token).
    pub reply_token: Option<String>,
}

/// What a platform says of the person writing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sender {
    pub external_id: String,
    pub name: Option<String>,
    /// As the platform gives it; the inbox checks it before keeping it.
    pub phone: Option<String>,
    /// The language the person's app is set to (BCP 47), where the platform tells.
    pub language: Option<String>,
}

/// What a customer's message holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Content {
    Text(String),
    /// A file the platform keeps: fetched by its id through the platform's API.
    Media(Media),
    Location {
        latitude: f64,
        longitude: f64,
        name: Option<String>,
    },
    /// A contact card the customer shared.
    ContactCard {
        name: String,
        phone: Option<String>,
    },
    /// A button or list item the customer chose: what it carries, and what it said.
    Choice {
        payload: String,
        title: Option<String>,
    },
    /// An emoji on an earlier message (empty: the reaction was taken back).
    Reaction {
        message_id: String,
        emoji: String,
    },
    /// The customer changed an earlier message's text.
    Edit {
        message_id: String,
        text: String,
    },
    /// The customer took an earlier message back.
    Unsend {
        message_id: String,
    },
}

/// A file on the platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Media {
    pub kind: MediaKind,
    /// The platform's id (or URL) to fetch it by.
    pub file: String,
    pub name: Option<String>,
    pub content_type: Option<String>,
    pub bytes: Option<u64>,
    pub caption: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKind {
    Image,
    Video,
    Audio,
    Voice,
    Document,
    Sticker,
}

/// A platform's word on a message sent through it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusUpdate {
    /// The platform's id of the message sent (what its send API answered).
    pub message_id: String,
    pub status: types::DeliveryStatus,
    /// Why it failed, in the platform's words and code.
    pub error: Option<String>,
}
