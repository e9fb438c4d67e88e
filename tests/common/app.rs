//! The service in this process (`spawn_app`): the router on a free port over a fresh data
//! directory and a fresh database (SQLite, or a scratch PostgreSQL database), the job workers
//! running, a workspace with an API key. The embedder is the real model, or a deterministic
//! one for tests that are about the service rather than retrieval, so they need no model.

use std::sync::Arc;
use std::time::Duration;

use agentflow::llm::LlmClient;
use app::{App, FileStore};
use knowledge::embed::{Embedder, EmbedderConfig};
use knowledge::index::{EdgeIndex, VectorIndex};
use knowledge::retrieve::Retrieval;
use records::Store;
use records::scratch::{ScratchPostgres, scratch_postgres};
use switchboard::config::Config;
use switchboard::server::AppState;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::service::Api;

pub enum Embedding {
    /// The configured model (scripts/setup.sh).
    Real,
    /// Words hashed into vectors: no model needed, no sense of meaning.
    Deterministic,
}

pub enum Database {
    Sqlite,
    /// A scratch database on the PostgreSQL of the machine; the test skips without one.
    Postgres,
}

/// What a test changes from the defaults.
pub struct Options {
    pub embedding: Embedding,
    pub database: Database,
    /// The vector index: the embedded one in the data directory unless given.
    pub index: Option<Arc<dyn VectorIndex>>,
    pub llm: Option<Arc<dyn LlmClient>>,
    pub credits: i64,
    /// Let URL sources reach this machine (the tests' own web servers).
    pub private_urls: bool,
    /// Where every messaging platform's API is (a local server that speaks them).
    pub platform_api: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            embedding: Embedding::Deterministic,
            database: Database::Sqlite,
            index: None,
            llm: None,
            credits: 1_000,
            private_urls: true,
            platform_api: None,
        }
    }
}

pub struct TestApp {
    pub url: String,
    pub app: Arc<App>,
    pub workspace: String,
    /// An API key of `workspace`.
    pub key: String,
    stop: watch::Sender<bool>,
    server: JoinHandle<()>,
    workers: Vec<JoinHandle<()>>,
    scratch: Option<ScratchPostgres>,
    _data_dir: tempfile::TempDir,
}

const DIMENSION: usize = 384;

/// Starts the service in this process, or `None` (with the reason printed) when the database
/// it asks for is not here.
pub async fn spawn_app(options: Options) -> Option<TestApp> {
    let data_dir = tempfile::tempdir().unwrap();
    let (url, scratch) = match options.database {
        Database::Sqlite => (
            format!(
                "sqlite://{}?mode=rwc",
                data_dir.path().join("records.db").display()
            ),
            None,
        ),
        Database::Postgres => {
            let scratch = scratch_postgres().await.unwrap()?;
            (scratch.url.clone(), Some(scratch))
        }
    };
    let store = Store::open(&url).await.unwrap();
    let embedder = match options.embedding {
        Embedding::Real => {
            Embedder::load(EmbedderConfig::from_environment()).expect("the model loads")
        }
        Embedding::Deterministic => Embedder::deterministic(DIMENSION),
    };
    let dimension = embedder.dimension();
    let index = match options.index {
        Some(index) => index,
        None => Arc::new(EdgeIndex::open(&data_dir.path().join("index"), dimension).unwrap()),
    };
    let retrieval = Arc::new(Retrieval::new(Arc::new(embedder), index));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let mut config = Config {
        data_dir: data_dir.path().to_path_buf(),
        ..Config::default()
    };
    config.fetch.allow_private_addresses = options.private_urls;
    config.rate_limit.per_second = 10_000.0;
    config.rate_limit.burst = 10_000;
    config.jobs.lease_seconds = 5;
    config.server.public_url = Some(url.clone());
    if let Some(url) = &options.platform_api {
        for platform in connectors::channel::PLATFORMS {
            config
                .channels
                .api_base
                .insert(platform.kind().to_string(), url.clone());
        }
    }
    let app = Arc::new(App::new(
        store.clone(),
        retrieval,
        options.llm,
        FileStore::new(data_dir.path().join("files")),
        switchboard::cli::serve::app_settings(&config).unwrap(),
    ));
    let workspace = store
        .workspaces()
        .create("acme", "trial", options.credits)
        .await
        .unwrap();
    let key = store
        .api_keys()
        .create(&workspace.id, "system", "tests")
        .await
        .unwrap();
    let (stop, stopping) = watch::channel(false);
    let workers = switchboard::jobs::start(app.clone(), &config.jobs, &stopping);
    let state = Arc::new(AppState::new(config, app.clone()));
    let server = tokio::spawn(async move {
        switchboard::server::serve(state, listener, stopping)
            .await
            .unwrap();
    });
    Some(TestApp {
        url,
        app,
        workspace: workspace.id,
        key: key.secret,
        stop,
        server,
        workers,
        scratch,
        _data_dir: data_dir,
    })
}

impl TestApp {
    /// A client of the API with the workspace's key.
    pub fn api(&self) -> Api {
        Api {
            url: self.url.clone(),
            key: self.key.clone(),
            client: reqwest::Client::new(),
        }
    }

    /// Stops the server and the workers, and drops a scratch database.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = tokio::time::timeout(Duration::from_secs(10), self.server).await;
        for worker in self.workers {
            let _ = tokio::time::timeout(Duration::from_secs(10), worker).await;
        }
        // The index flushes when the last holder of the application lets go: wait for the
        // tasks still holding it, so that it flushes before the data directory is removed.
        for _ in 0..100 {
            if Arc::strong_count(&self.app) == 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.app.store.close().await;
        if let Some(scratch) = self.scratch {
            scratch.drop().await.unwrap();
        }
    }
}
