//! The business records: workspaces, people and their roles, API keys and sessions, agents with
//! their version history, knowledge bases and their sources, ingestion jobs, turns and feedback,
//! the credit ledger and the audit log; later contacts, conversations, tickets and broadcasts.
//!
//! One [`Store`] over SQLite (the embedded default, a file in the data directory) or PostgreSQL
//! (scale-out), chosen by the database URL. The SQL is shared; where the two dialects differ
//! (claiming a job, serialising migrations) [`Backend`] says which statement runs. Every query
//! that reads or changes a workspace's records names the workspace, so a caller cannot reach
//! another tenant's rows by guessing an id.

mod access;
mod agents;
mod audit;
mod credits;
mod error;
mod jobs;
mod knowledge;
mod migrate;
#[cfg(feature = "test-support")]
pub mod scratch;
mod secret;
mod store;
mod turns;
mod workspaces;

pub use access::{ApiKey, NewApiKey, Principal, Role, Team, User};
pub use agents::{AgentRecord, AgentVersion};
pub use audit::AuditEntry;
pub use credits::{LedgerEntry, Reservation};
pub use error::StoreError;
pub use jobs::ClaimedJob;
pub use knowledge::{KnowledgeBase, NewSource, Source, SourceKind, SourceStatus};
pub use store::{Backend, Store};
pub use turns::{FeedbackRecord, Rating, TurnRecord};
pub use workspaces::Workspace;
