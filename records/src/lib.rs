//! The business records: workspaces, people and their roles, API keys and sessions, agents with
//! their version history, knowledge bases and their sources, the job queue, turns and
//! feedback, the credit ledger and the audit log; the inbox's channel accounts, contacts,
//! conversations with their messages, and its event log; later tickets and broadcasts, each as
//! an area of its own.
//!
//! One [`Store`] over SQLite (the embedded default, a file in the data directory) or PostgreSQL
//! (scale-out), chosen by the database URL, handing out one handle per area
//! (`store.sources()`, `store.credits()`, ...). The SQL is shared; where the two dialects
//! differ (claiming a job, serialising migrations) [`Backend`] says which statement runs.
//! Every query that reads or changes a workspace's records names the workspace, so a caller
//! cannot reach another tenant's rows by guessing an id.

mod access;
mod agents;
mod audit;
mod canned;
mod channels;
mod conversations;
mod credits;
mod error;
mod evals;
mod events;
mod intake;
mod jobs;
mod knowledge;
mod macros;
mod migrate;
mod page;
#[cfg(feature = "test-support")]
pub mod scratch;
mod secret;
mod store;
mod turns;
mod workspaces;

pub use access::{ApiKey, ApiKeys, NewApiKey, OnlineMember, People, Principal, Team, Teams, User};
pub use agents::{AgentRecord, AgentVersion, Agents};
pub use audit::{AuditEntry, AuditLog};
pub use canned::{CannedResponse, CannedResponses};
pub use channels::{
    ChannelRecord, Channels, ContactDetails, ContactIdentity, ContactProfile, ContactRecord,
    Contacts, NewChannel,
};
pub use conversations::{
    Applied, Attachment, Change, ConversationFilter, ConversationOrder, ConversationRecord,
    Conversations, Decide, Inbound, MessageRecord, NewMessage, Ownership, Received, Revision,
    Routed,
};
pub use credits::{Credits, LedgerEntry, Reservation};
pub use error::{StoreError, UnknownValue};
pub use evals::{EvalOutcome, EvalRun, EvalRuns, EvalStatus, NewEvalRun};
pub use events::{EventRecord, Events, listen_for_events};
pub use jobs::{ClaimedJob, Job, JobKind, Jobs, NewJob};
pub use knowledge::{
    KnowledgeBase, KnowledgeBases, NewSource, Source, SourceOrigin, SourceStatus, Sources,
};
pub use macros::{MacroRecord, Macros};
pub use page::{Cursor, Listed, Page};
pub use store::{Backend, Store, now};
pub use turns::{FeedbackRecord, TurnRecord, Turns};
pub use types::{
    ConversationStatus, DeliveryStatus, Direction, Email, MessageKind, OwnerKind, Presence,
    Priority, Rating, Role, SenderKind,
};
pub use workspaces::{Workspace, Workspaces};
