//! The vocabulary the crates share. Plain data with its rules, no I/O: a value of these types
//! has been checked once, where it entered, and is trusted everywhere after.

mod conversation;
mod email;
mod phone;
mod rating;
mod role;

pub use conversation::{
    ConversationStatus, DeliveryStatus, Direction, MessageKind, OwnerKind, Presence, Priority,
    SenderKind,
};
pub use email::{Email, EmailError};
pub use phone::{Phone, PhoneError};
pub use rating::Rating;
pub use role::Role;
