use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor};

use crate::access::{ApiKeys, People, Teams};
use crate::agents::Agents;
use crate::audit::AuditLog;
use crate::canned::CannedResponses;
use crate::channels::{Channels, Contacts};
use crate::conversations::Conversations;
use crate::credits::Credits;
use crate::error::StoreError;
use crate::evals::EvalRuns;
use crate::events::Events;
use crate::intake::Intake;
use crate::jobs::Jobs;
use crate::knowledge::{KnowledgeBases, Sources};
use crate::macros::Macros;
use crate::migrate;
use crate::turns::Turns;
use crate::workspaces::Workspaces;

/// Which database the records are in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::UnsupportedUrl(url.to_string()))
        }
    }
}

#[derive(Clone)]
pub struct Store {
    pub(crate) pool: AnyPool,
    /// Where write transactions begin: on SQLite a pool of one connection, so writers wait
    /// their turn in the pool's queue rather than in SQLite's busy handler, which sleeps in
    /// steps of up to 100 ms; on PostgreSQL the same pool.
    writer: AnyPool,
    backend: Backend,
    pub(crate) intake: Arc<Intake>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Connects and applies the migrations this version has that the database lacks.
    /// A SQLite URL should carry `?mode=rwc` to create the file.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        install_default_drivers();
        let backend = Backend::of(url)?;
        let connections = match backend {
            // One writer at a time anyway; a few readers beside it.
            Backend::Sqlite => 4,
            Backend::Postgres => 16,
        };
        let pool = AnyPoolOptions::new()
            .max_connections(connections)
            .connect(url)
            .await?;
        let writer = match backend {
            Backend::Sqlite => {
                // Readers do not wait for the writer, and a commit is one append.
                pool.execute("PRAGMA journal_mode = WAL").await?;
                AnyPoolOptions::new()
                    .max_connections(1)
                    .connect(url)
                    .await?
            }
            Backend::Postgres => pool.clone(),
        };
        let store = Store {
            pool,
            writer,
            backend,
            intake: Arc::default(),
        };
        migrate::run(&store).await?;
        Ok(store)
    }

    /// A transaction that will write. On SQLite it takes the write lock at once (`BEGIN
    /// IMMEDIATE`), waiting for it under the busy timeout: a transaction that starts reading
    /// and writes later cannot wait for a writer that committed in between, and fails with
    /// "database is locked" (schemathesis met it, resyncing sources while uploads ingested).
    pub(crate) async fn write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.writer.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.writer.begin().await,
        }
    }

    /// The same database with a queue of its own: what the intake's committing task holds,
    /// so that it ends when the last handle to the queue it serves is dropped.
    pub(crate) fn detached(&self) -> Store {
        Store {
            intake: Arc::default(),
            ..self.clone()
        }
    }

    /// Where a write outside a transaction runs: on SQLite the writers' queue, which it joins
    /// in turn (on the readers' connections it would wait in SQLite's busy handler, and lose
    /// every race to a busy intake); on PostgreSQL the pool.
    pub(crate) fn writer(&self) -> &AnyPool {
        &self.writer
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Whether the database answers (for readiness checks).
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.writer.close().await;
        self.pool.close().await;
    }

    pub fn workspaces(&self) -> Workspaces<'_> {
        Workspaces(self)
    }

    pub fn people(&self) -> People<'_> {
        People(self)
    }

    pub fn teams(&self) -> Teams<'_> {
        Teams(self)
    }

    pub fn api_keys(&self) -> ApiKeys<'_> {
        ApiKeys(self)
    }

    pub fn agents(&self) -> Agents<'_> {
        Agents(self)
    }

    pub fn knowledge_bases(&self) -> KnowledgeBases<'_> {
        KnowledgeBases(self)
    }

    pub fn sources(&self) -> Sources<'_> {
        Sources(self)
    }

    pub fn jobs(&self) -> Jobs<'_> {
        Jobs(self)
    }

    pub fn credits(&self) -> Credits<'_> {
        Credits(self)
    }

    pub fn turns(&self) -> Turns<'_> {
        Turns(self)
    }

    pub fn eval_runs(&self) -> EvalRuns<'_> {
        EvalRuns(self)
    }

    pub fn audit_log(&self) -> AuditLog<'_> {
        AuditLog(self)
    }

    pub fn channels(&self) -> Channels<'_> {
        Channels(self)
    }

    pub fn canned_responses(&self) -> CannedResponses<'_> {
        CannedResponses(self)
    }

    pub fn macros(&self) -> Macros<'_> {
        Macros(self)
    }

    pub fn contacts(&self) -> Contacts<'_> {
        Contacts(self)
    }

    pub fn conversations(&self) -> Conversations<'_> {
        Conversations(self)
    }

    pub fn events(&self) -> Events<'_> {
        Events(self)
    }
}

/// Milliseconds since the Unix epoch: every time column.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as i64)
}

pub(crate) fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
