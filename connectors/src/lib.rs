//! Messaging channels (WhatsApp, Instagram, Messenger, WeChat, LINE, Telegram, Viber, SMS, web
//! chat) and integrations: verify and parse what arrives, build the requests that go out. Pure
//! domain code: bytes and headers in, checked messages and outbound requests out; `app` does the
//! sending. Built so far: webhook signing (Standard Webhooks), the `api` channel (a
//! business's own system speaking JSON), the events every channel's webhook is read into
//! (`event`), the platforms behind one interface (`channel`), and the webhooks and sending of
//! WhatsApp (`whatsapp`), Messenger and Instagram (`messenger`), Telegram (`telegram`), LINE
//! (`line`), Viber (`viber`), SMS through Twilio (`sms`) and WeChat (`wechat`); and the web chat
//! widget's visitors and settings (`widget`).

pub mod api;
pub mod channel;
pub mod event;
pub mod line;
mod mac;
pub mod messenger;
pub mod meta;
pub mod signing;
pub mod sms;
pub mod telegram;
mod text;
pub mod viber;
pub mod wechat;
pub mod whatsapp;
pub mod whatsapp_templates;
pub mod widget;

/// An HTTP request to send: `app` sends it and reads the answer back through the channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundRequest {
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// What became of a send, as the channel reads the platform's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    /// The platform took it, with its id for the message when it gave one.
    Accepted { platform_id: Option<String> },
    /// Worth trying again later (a timeout, a 5xx, a 429), after at least `retry_after`
    /// seconds when the platform said so.
    Transient {
        error: String,
        retry_after: Option<u64>,
    },
    /// Never going to work as sent (a 4xx): the message fails with this error.
    Rejected { error: String },
}
