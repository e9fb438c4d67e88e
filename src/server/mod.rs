//! The HTTP API: axum handlers over the records (`inbox`), knowledge and agents. Handlers
//! parse, authorise, call the domain and map errors; the work is in the crates.

mod agents;
mod auth;
mod chat;
mod error;
mod knowledge_bases;
mod metrics;
mod openapi;
mod ops;
mod workspace;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use agentflow::llm::{LlmClient, LlmSettings, OpenAiClient};
use agentflow::{Agent, AgentConfig};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use inbox::{AgentRecord, Store};
use knowledge::retrieve::Retrieval;
use tokio::sync::watch;

use crate::config::Config;
use crate::files::FileStore;
pub use error::ApiError;
pub use metrics::Metrics;

/// What every handler and worker shares.
pub struct AppState {
    pub config: Config,
    pub store: Store,
    pub retrieval: Arc<Retrieval>,
    pub llm: Option<Arc<dyn LlmClient>>,
    pub files: FileStore,
    pub metrics: Metrics,
    rate_limiter: auth::RateLimiter,
    /// Built agents by id, with the version they were built from.
    agents: Mutex<HashMap<String, (i64, Arc<Agent>)>>,
}

impl AppState {
    pub fn new(config: Config, store: Store, retrieval: Arc<Retrieval>) -> Self {
        let llm = config.llm.url.as_ref().map(|url| {
            let mut settings = LlmSettings::new(url, &config.llm.model);
            settings.timeout = Duration::from_secs(config.llm.timeout_seconds);
            settings.api_key = config.llm.api_key.as_ref().map(|key| key.0.clone());
            Arc::new(OpenAiClient::new(settings)) as Arc<dyn LlmClient>
        });
        AppState {
            files: FileStore::new(config.data_dir.join("files")),
            rate_limiter: auth::RateLimiter::new(
                config.rate_limit.per_second,
                config.rate_limit.burst,
            ),
            metrics: Metrics::default(),
            agents: Mutex::new(HashMap::new()),
            llm,
            retrieval,
            store,
            config,
        }
    }

    /// The agent as its record's current version configures it, built once per version.
    pub fn agent(&self, record: &AgentRecord) -> Result<Arc<Agent>, ApiError> {
        if let Ok(cache) = self.agents.lock()
            && let Some((version, agent)) = cache.get(&record.id)
            && *version == record.version
        {
            return Ok(agent.clone());
        }
        let config = AgentConfig::parse("agent", &record.config)
            .map_err(|error| ApiError::internal(format!("stored agent {}: {error}", record.id)))?;
        let agent = Arc::new(Agent::new(
            config,
            self.retrieval.clone(),
            self.llm.clone(),
        )?);
        if let Ok(mut cache) = self.agents.lock() {
            cache.insert(record.id.clone(), (record.version, agent.clone()));
        }
        Ok(agent)
    }
}

pub fn router(state: Arc<AppState>) -> Router {
    let request_limit = state.config.limits.request_bytes;
    let api = Router::new()
        .merge(workspace::routes())
        .merge(knowledge_bases::routes())
        .merge(agents::routes())
        .merge(chat::routes())
        .layer(DefaultBodyLimit::max(request_limit));
    Router::new()
        .merge(ops::routes())
        .merge(api)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(axum::middleware::from_fn(error::json_errors))
        .with_state(state)
}

/// Serves until ctrl-c or SIGTERM, then finishes in-flight requests and gives back the jobs
/// it holds.
pub async fn serve(
    state: Arc<AppState>,
    listener: tokio::net::TcpListener,
    shutdown: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let mut stop = shutdown.clone();
    axum::serve(listener, router(state))
        .with_graceful_shutdown(async move {
            let _ = stop.wait_for(|stopping| *stopping).await;
        })
        .await?;
    Ok(())
}
