//! Messaging channels (WhatsApp, Instagram, Messenger, WeChat, LINE, Telegram, Viber, SMS, web
//! chat) and integrations (Shopify, Salesforce, HubSpot, Zapier, webhooks): verify and parse what
//! arrives, build the requests that go out. Pure domain code. Not built yet.
