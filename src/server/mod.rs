//! The HTTP API: axum handlers over the application (`app`). Handlers parse, authorise, call a
//! use case or read the records, and map errors; the work is in the crates.

mod agents;
mod auth;
mod chat;
mod error;
mod evals;
mod events;
mod inbox;
mod knowledge_bases;
mod metrics;
mod openapi;
mod ops;
mod pages;
mod web_app;
mod webhooks;
mod widget;
mod workspace;

use std::sync::Arc;

use app::App;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use tokio::sync::watch;

use crate::config::Config;
pub use error::ApiError;

/// The API's OpenAPI description as JSON.
pub fn openapi_json() -> serde_json::Result<String> {
    serde_json::to_string_pretty(&openapi::spec())
}
pub use metrics::Metrics;

/// What every handler shares: the application, and what only HTTP needs beside it.
pub struct AppState {
    pub app: Arc<App>,
    pub config: Config,
    pub metrics: Metrics,
    rate_limiter: auth::RateLimiter,
    /// The web chat widget's visitors, by client address.
    visitor_limiter: auth::RateLimiter,
    login_throttle: auth::LoginThrottle,
}

impl AppState {
    pub fn new(config: Config, app: Arc<App>) -> Self {
        AppState {
            rate_limiter: auth::RateLimiter::new(
                config.rate_limit.per_second,
                config.rate_limit.burst,
            ),
            visitor_limiter: auth::RateLimiter::new(
                config.rate_limit.visitor_per_second,
                config.rate_limit.visitor_burst,
            ),
            login_throttle: auth::LoginThrottle::new(
                config.login.failures_per_account,
                config.login.failures_per_address,
                std::time::Duration::from_secs(config.login.window_seconds),
            ),
            metrics: Metrics::default(),
            app,
            config,
        }
    }
}

pub fn router(state: Arc<AppState>) -> Router {
    let request_limit = state.config.limits.request_bytes;
    let api = Router::new()
        .merge(workspace::routes())
        .merge(knowledge_bases::routes())
        .merge(agents::routes())
        .merge(evals::routes())
        .merge(chat::routes())
        .merge(inbox::routes())
        .merge(events::routes())
        .merge(webhooks::routes())
        .merge(widget::routes())
        .layer(DefaultBodyLimit::max(request_limit));
    let web = web_app::routes(state.config.server.web_dir.as_deref());
    Router::new()
        .merge(ops::routes())
        .merge(api)
        .merge(web)
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
    // Sign-in is throttled per client address too: the handlers see the peer's address.
    let service = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, service)
        .with_graceful_shutdown(async move {
            let _ = stop.wait_for(|stopping| *stopping).await;
        })
        .await?;
    Ok(())
}
