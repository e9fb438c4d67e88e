//! The human side of a conversation as rules, with no I/O: where a conversation goes when the
//! customer writes, when an AI agent hands it over, when a person claims, assigns, hands back
//! or resolves it; who takes it from a team's queue; and who may see and change it. `app` reads a conversation, asks these rules
//! for its next state and has `records` write it only if nobody changed it meanwhile, so two
//! people claiming at once cannot both win.

mod access;
pub mod assignment;
mod conversation;
pub mod macros;
pub mod routing;
pub mod template;

pub use access::Viewer;
pub use conversation::{Owner, Responder, RuleError, State};
