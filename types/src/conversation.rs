//! The inbox's vocabulary: what a conversation and a message can be. The rules that move them
//! between these states are in the `inbox` crate; `records` stores them as their snake_case
//! names.

use serde::{Deserialize, Serialize};

/// Declares a closed set of words stored and sent as their snake_case names.
macro_rules! words {
    ($(#[$meta:meta])* $name:ident { $($(#[$variant_meta:meta])* $variant:ident),* $(,)? }) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize,
            strum::Display, strum::EnumString, strum::IntoStaticStr, strum::EnumIter,
            utoipa::ToSchema,
        )]
        #[serde(rename_all = "snake_case")]
        #[strum(serialize_all = "snake_case")]
        pub enum $name { $($(#[$variant_meta])* $variant),* }

        impl $name {
            pub fn as_str(self) -> &'static str {
                self.into()
            }
        }

        /// How a stored word is read back; an unknown one is an error, never another variant.
        impl TryFrom<String> for $name {
            type Error = strum::ParseError;

            fn try_from(text: String) -> Result<Self, Self::Error> {
                text.parse()
            }
        }
    };
}

words!(
    /// Where a conversation stands. An AI agent's conversations are `pending` (no person needs
    /// to look); a handoff opens them.
    ConversationStatus {
        Open,
        Pending,
        /// Out of the way until a time, then open again.
        Snoozed,
        Resolved,
    }
);

words!(
    /// Who owns a conversation: an AI agent answers it, a team's queue holds it, a person
    /// works it.
    OwnerKind { Agent, Team, User }
);

words!(
    /// How urgent a conversation is.
    Priority { None, Low, Medium, High, Urgent }
);

words!(
    /// Which way a message went: from the customer, or to them (notes and activities are
    /// `out` and never leave).
    Direction { In, Out }
);

words!(
    /// Who wrote a message.
    SenderKind { Contact, Agent, User, System }
);

words!(
    /// What a message is.
    MessageKind {
        Text,
        Media,
        Template,
        Interactive,
        Location,
        /// A private note among people: never sent to the customer.
        Note,
        /// What happened (a handoff, an assignment), for the people in the inbox.
        Activity,
    }
);

words!(
    /// How far an outbound message got. It only ever moves forward: a late "delivered" after
    /// "read" changes nothing.
    DeliveryStatus {
        Queued,
        Sent,
        Delivered,
        Read,
        /// With the platform's error beside it.
        Failed,
    }
);

words!(
    /// Whether a person takes conversations now.
    Presence { Online, Busy, Offline }
);

impl DeliveryStatus {
    /// The statuses a message may be in to move to this one: never backwards, and a failure
    /// only before the platform took the message.
    pub fn follows(self) -> &'static [DeliveryStatus] {
        use DeliveryStatus::*;
        match self {
            Queued => &[],
            Sent => &[Queued],
            Delivered => &[Queued, Sent],
            Read => &[Queued, Sent, Delivered],
            Failed => &[Queued, Sent],
        }
    }

    pub fn may_become(self, next: DeliveryStatus) -> bool {
        next.follows().contains(&self)
    }
}

impl MessageKind {
    /// Whether a message of this kind is for the customer's eyes (notes and activities are
    /// the people's own).
    pub fn reaches_the_customer(self) -> bool {
        !matches!(self, MessageKind::Note | MessageKind::Activity)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::IntoEnumIterator;

    #[test]
    fn delivery_never_moves_backwards() {
        use DeliveryStatus::*;
        assert!(Queued.may_become(Sent));
        assert!(Sent.may_become(Read));
        assert!(!Read.may_become(Delivered));
        assert!(!Delivered.may_become(Failed));
        assert!(!Failed.may_become(Sent));
        for status in DeliveryStatus::iter() {
            assert!(!status.may_become(status), "{status} to itself is no move");
        }
    }

    #[test]
    fn words_read_back_and_unknown_ones_are_refused() {
        for status in ConversationStatus::iter() {
            assert_eq!(
                ConversationStatus::try_from(status.to_string()).unwrap(),
                status
            );
        }
        assert!(OwnerKind::try_from("robot".to_string()).is_err());
    }
}
