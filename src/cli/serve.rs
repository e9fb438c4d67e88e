use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use agentflow::llm::{LlmClient, LlmSettings, OpenAiClient};
use anyhow::Context;
use app::{App, FileStore};
use clap::Args;
use records::Store;
use tokio::sync::watch;

use crate::config::Config;
use crate::server::AppState;

/// How long shutdown waits for workers to give their jobs back.
const WORKER_GRACE: Duration = Duration::from_secs(10);

#[derive(Debug, Args)]
pub struct Serve {
    #[command(flatten)]
    settings: Settings,
    /// Listen here (default 127.0.0.1:8080; port 0 picks a free one).
    #[arg(long, value_name = "ADDR")]
    bind: Option<SocketAddr>,
    /// Create (or find) the demo workspace, knowledge base and agent, and print a key and a
    /// curl line that asks the agent something.
    #[arg(long)]
    demo: bool,
}

/// Where the configuration comes from; shared by the commands that open the records.
#[derive(Debug, Args)]
pub struct Settings {
    /// A TOML configuration file (default: ./switchboard.toml when present).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Where records, the index and uploads live.
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
}

impl Settings {
    pub fn load(&self) -> anyhow::Result<Config> {
        let mut config = Config::load(self.config.as_deref(), std::env::vars())?;
        if let Some(dir) = &self.data_dir {
            config.data_dir = dir.clone();
        }
        Ok(config)
    }
}

impl Serve {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let mut config = self.settings.load()?;
        if let Some(bind) = self.bind {
            config.bind = bind;
        }
        init_logging(&config);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        runtime.block_on(serve(config, self.demo))?;
        Ok(ExitCode::SUCCESS)
    }
}

fn init_logging(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log.level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Escape codes belong on a terminal, not in a log file.
        .with_ansi(std::io::stderr().is_terminal());
    if config.log.json {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn serve(config: Config, demo: bool) -> anyhow::Result<()> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating {}", config.data_dir.display()))?;
    let store = Store::open(&config.database_url())
        .await
        .context("opening the records")?;
    let recovered = store.jobs().recover().await?;
    if recovered > 0 {
        tracing::info!(
            jobs = recovered,
            "resuming jobs a stopped process left running"
        );
    }
    let data_dir = config.data_dir.clone();
    let qdrant = config.qdrant.url.clone();
    let retrieval =
        tokio::task::spawn_blocking(move || crate::retrieval::open(&data_dir, qdrant.as_deref()))
            .await??;
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .with_context(|| format!("listening on {}", config.bind))?;
    let address = listener.local_addr()?;
    let app = Arc::new(App::new(
        store.clone(),
        retrieval,
        llm_client(&config),
        FileStore::new(config.data_dir.join("files")),
        app_settings(&config)?,
    ));
    app.queue_index_sweep().await?;
    hear_other_processes(&app, &config.database_url());
    let (stop, stopping) = watch::channel(false);
    let worker_tasks = crate::jobs::start(app.clone(), &config.jobs, &stopping);
    let state = Arc::new(AppState::new(config, app.clone()));
    let signalled = shutdown_signal();
    tokio::spawn(async move {
        signalled.await;
        tracing::info!("shutting down: finishing requests in flight");
        let _ = stop.send(true);
    });
    let base_url = format!("http://{address}");
    // Tests and scripts read this line to find the port.
    println!("switchboard listening on {base_url}");
    if demo {
        let state = state.clone();
        tokio::spawn(async move {
            if let Err(error) = crate::demo::prepare(state, base_url).await {
                eprintln!("error: the demo could not be set up: {error:#}");
            }
        });
    }
    crate::server::serve(state.clone(), listener, stopping).await?;
    for task in worker_tasks {
        let _ = tokio::time::timeout(WORKER_GRACE, task).await;
    }
    app.retrieval.index().flush()?;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// On PostgreSQL, other processes append inbox events too: a listener rings this process's
/// bell when they do, so its live streams read them at once.
pub fn hear_other_processes(app: &Arc<App>, database_url: &str) {
    if app.store.backend() != records::Backend::Postgres {
        return;
    }
    let app = app.clone();
    let url = database_url.to_string();
    tokio::spawn(async move {
        let bell = &app.events;
        if let Err(error) = records::listen_for_events(&url, || bell.ring()).await {
            tracing::warn!(%error, "listening for other processes' events stopped; live streams fall back to reading the log every few seconds");
        }
    });
}

/// The model the agents write with, when one is configured.
pub fn llm_client(config: &Config) -> Option<Arc<dyn LlmClient>> {
    config.llm.url.as_ref().map(|url| {
        let mut settings = LlmSettings::new(url, &config.llm.model);
        settings.timeout = Duration::from_secs(config.llm.timeout_seconds);
        settings.api_key = config.llm.api_key.as_ref().map(|key| key.0.clone());
        Arc::new(OpenAiClient::new(settings)) as Arc<dyn LlmClient>
    })
}

pub fn app_settings(config: &Config) -> anyhow::Result<app::Settings> {
    Ok(app::Settings {
        upload_bytes: config.limits.upload_bytes,
        lease: Duration::from_secs(config.jobs.lease_seconds.max(1)),
        max_attempts: config.jobs.max_attempts,
        allow_private_addresses: config.fetch.allow_private_addresses,
        secrets_key: app::SecretsKey(config.secrets_key()?),
        public_url: config
            .server
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", config.bind)),
        platform_api: config.channels.api_base.clone(),
    })
}

/// Resolves at SIGINT or SIGTERM. The listeners are in place when this returns, before the
/// service says it listens: a signal sent right after that line must stop it gracefully, not
/// by the default action (which is what a listener set up later, in a task, could miss).
#[cfg(unix)]
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    use tokio::signal::unix::{Signal, SignalKind, signal};
    async fn next(signal: Option<Signal>) {
        match signal {
            Some(mut signal) => {
                signal.recv().await;
            }
            None => std::future::pending().await,
        }
    }
    let interrupt = signal(SignalKind::interrupt()).ok();
    let terminate = signal(SignalKind::terminate()).ok();
    async move {
        tokio::select! {
            _ = next(interrupt) => {}
            _ = next(terminate) => {}
        }
    }
}

#[cfg(not(unix))]
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}
