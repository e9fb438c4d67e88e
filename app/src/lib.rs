//! The use cases, composed from the domain crates and the records: what the HTTP API, the
//! command line and the background workers all call, so none of them holds a use case of its
//! own. A metered agent turn (reserve credits, answer, settle, record), the assistants for
//! people, knowledge sources from upload to index and out of it again, the ingestion job, and
//! the inbox: channel accounts, messages in and out, conversations people work.

mod agents;
pub mod channels;
mod credits;
mod error;
pub mod evals;
pub mod events;
pub mod files;
mod inbox;
pub mod ingestion;
mod jobs;
mod knowledge_bases;
mod stats;
mod turns;
pub mod vault;
pub mod widget;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use agentflow::Agent;
use agentflow::llm::LlmClient;
use knowledge::retrieve::Retrieval;
use records::Store;

pub use credits::CreditGuard;
pub use error::AppError;
pub use events::EventBell;
pub use files::FileStore;
pub use inbox::{
    Assignee, BulkOutcome, ChannelRequest, ChannelSetting, ChannelType, ChannelView,
    CreatedChannel, MacroView, PersonMessage, channel_types, search_form,
};
pub use stats::IngestionStats;
pub use turns::{PreparedTurn, check_message};

/// What the use cases need to know of the configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The largest upload accepted, in bytes.
    pub upload_bytes: u64,
    /// How long a claimed job stays a worker's without a renewal.
    pub lease: Duration,
    /// Attempts before a transiently failing job is given up.
    pub max_attempts: i64,
    /// Let URL sources and webhooks reach private, loopback and link-local addresses (tests
    /// only).
    pub allow_private_addresses: bool,
    /// The key that seals secrets at rest.
    pub secrets_key: SecretsKey,
    /// The service's address as the platforms reach it: their webhooks are under it.
    pub public_url: String,
    /// The platforms' API addresses where they are not the platforms' own, by channel type
    /// (a local server that speaks the platform's protocol, in tests).
    pub platform_api: std::collections::BTreeMap<String, String>,
}

/// The key secrets are sealed with; never printed.
#[derive(Clone)]
pub struct SecretsKey(pub [u8; vault::KEY_BYTES]);

impl std::fmt::Debug for SecretsKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretsKey([key])")
    }
}

/// The application: the records, the retrieval stack, the model, the kept files.
pub struct App {
    pub store: Store,
    pub retrieval: Arc<Retrieval>,
    pub llm: Option<Arc<dyn LlmClient>>,
    pub files: FileStore,
    pub settings: Settings,
    pub stats: IngestionStats,
    /// Rung when the inbox's event log grew.
    pub events: EventBell,
    vault: vault::Vault,
    /// The client deliveries to webhooks go out with.
    http: reqwest::Client,
    /// Each channel account's sends, kept within its rate.
    pacer: channels::SendPacer,
    /// Access tokens platforms sold, by channel account.
    tokens: channels::AccessTokens,
    /// WhatsApp's template lists, by channel account.
    templates: channels::TemplateLists,
    /// Built agents by id, with the version they were built from.
    agents: Mutex<HashMap<String, (i64, Agent)>>,
}

impl App {
    pub fn new(
        store: Store,
        retrieval: Arc<Retrieval>,
        llm: Option<Arc<dyn LlmClient>>,
        files: FileStore,
        settings: Settings,
    ) -> Self {
        App {
            vault: vault::Vault::new(&settings.secrets_key.0),
            events: EventBell::default(),
            pacer: channels::SendPacer::default(),
            tokens: channels::AccessTokens::default(),
            templates: channels::TemplateLists::default(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .user_agent(concat!("Switchboard/", env!("CARGO_PKG_VERSION")))
                .build()
                .unwrap_or_default(),
            store,
            retrieval,
            llm,
            files,
            settings,
            stats: IngestionStats::default(),
            agents: Mutex::new(HashMap::new()),
        }
    }

    /// Runs blocking work (the vector index, parsing, embedding) on tokio's blocking pool:
    /// the one boundary between async use cases and synchronous domain code.
    pub(crate) async fn blocking<T: Send + 'static>(
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AppError> {
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|error| AppError::Internal(format!("a blocking task failed: {error}")))
    }
}
