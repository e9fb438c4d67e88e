//! The ingestion job: a source parsed (or fetched), chunked, embedded and indexed, with its
//! progress in the records as it goes. A job is retried with backoff when what failed may pass
//! later (the network, the index) and failed for good with the parser's error otherwise.
//! Killing the process at any moment loses nothing: an unfinished job is claimed again and
//! re-run, and re-running a source replaces exactly its points. A job told to stop (its lease
//! lost, its source deleted, the process shutting down) stops between batches, and takes back
//! what it wrote when its source is gone.

use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use knowledge::fetch::{FetchError, FetchOptions, fetch_document};
use knowledge::index::Scope;
use knowledge::retrieve::{Retrieval, RetrieveError};
use knowledge::{Chunk, Document, Limits, SourceError, chunk_by_tokens};
use records::{ClaimedJob, Source, SourceOrigin, SourceStatus, StoreError};
use tokio::sync::watch;

use crate::{App, AppError};

/// Chunk size in tokens of the embedding model, and the overlap between neighbours.
pub const CHUNK_TOKENS: usize = 256;
pub const OVERLAP_TOKENS: usize = 32;

/// How often a running job writes its progress.
const PROGRESS_EVERY: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// A document's chunks, sized in the embedding model's tokens.
pub fn chunks(retrieval: &Retrieval, source_id: &str, document: &Document) -> Vec<Chunk> {
    chunk_by_tokens(
        source_id,
        document,
        retrieval.embedder().tokenizer(),
        CHUNK_TOKENS,
        OVERLAP_TOKENS,
    )
}

/// Tells a running job to stop at its next batch. Set by whoever supervises the job: when its
/// lease is lost, or the process shuts down.
#[derive(Debug, Clone, Default)]
pub struct Stop(Arc<AtomicBool>);

impl Stop {
    pub fn stop(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn is_stopped(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Why an attempt failed, and whether trying again may help.
enum Failure {
    Transient(String),
    Permanent(String),
    Stopped,
}

impl From<AppError> for Failure {
    fn from(error: AppError) -> Self {
        Failure::Transient(error.to_string())
    }
}

impl App {
    pub(crate) async fn ingest_source(
        &self,
        claimed: &ClaimedJob,
        worker: &str,
        source_id: &str,
        stop: &Stop,
    ) -> Result<(), AppError> {
        let source = match self.store.sources().by_id(source_id).await {
            Ok(source) => source,
            // Deleted before its job ran: nothing to do.
            Err(StoreError::NotFound(_)) => {
                self.store.jobs().complete(&claimed.id, worker).await?;
                return Ok(());
            }
            Err(error) => return Err(error.into()),
        };
        let scope = Scope::new(&source.workspace_id, &source.knowledge_base_id);
        tracing::info!(source = %source.id, name = %source.name, attempt = claimed.attempt, "ingesting");
        let sources = self.store.sources();
        match self.ingest(&source, &scope, stop).await {
            Ok(chunks) => {
                if sources
                    .ingested(&claimed.id, worker, &source.id, chunks as i64)
                    .await?
                {
                    self.stats.source_finished(true);
                    tracing::info!(source = %source.id, chunks, "source ready");
                } else {
                    // Deleted while it was ingested: take back what this attempt wrote.
                    self.remove_if_deleted(&source, &scope).await?;
                }
            }
            Err(Failure::Stopped) => {
                tracing::info!(source = %source.id, "ingestion stopped");
                self.remove_if_deleted(&source, &scope).await?;
            }
            Err(Failure::Transient(error)) if claimed.attempt < self.settings.max_attempts => {
                let delay = backoff(claimed.attempt);
                tracing::warn!(source = %source.id, %error, ?delay, "ingestion failed; retrying");
                sources
                    .retry_ingestion(&claimed.id, worker, &source.id, &error, delay)
                    .await?;
            }
            Err(Failure::Transient(error) | Failure::Permanent(error)) => {
                tracing::warn!(source = %source.id, %error, "ingestion failed");
                // Only the job's holder fails it; then the source keeps no points, not even
                // from earlier attempts (another worker that took the job over keeps its own).
                if sources
                    .failed(&claimed.id, worker, &source.id, &error)
                    .await?
                {
                    self.stats.source_finished(false);
                    self.remove_points(&scope.workspace, &scope.knowledge_base, &source.id)
                        .await?;
                }
            }
        }
        Ok(())
    }

    async fn remove_if_deleted(&self, source: &Source, scope: &Scope) -> Result<(), AppError> {
        match self.store.sources().by_id(&source.id).await {
            Err(StoreError::NotFound(_)) => {
                self.remove_points(&scope.workspace, &scope.knowledge_base, &source.id)
                    .await
            }
            // Still there: another worker took the job over, or it will run again.
            Ok(_) => Ok(()),
            Err(error) => Err(error.into()),
        }
    }

    /// Parses, chunks, embeds and indexes one source; returns how many chunks it has.
    async fn ingest(&self, source: &Source, scope: &Scope, stop: &Stop) -> Result<usize, Failure> {
        let limits = Limits {
            max_file_bytes: self.settings.upload_bytes,
            ..Limits::default()
        };
        let _ = self
            .store
            .sources()
            .progress(&source.id, SourceStatus::Parsing, 0, 0)
            .await;
        let document = match source.origin {
            SourceOrigin::Url => {
                let options = FetchOptions {
                    allow_private: self.settings.allow_private_addresses,
                    ..FetchOptions::default()
                };
                fetch_document(&source.location, &options, &limits)
                    .await
                    .map_err(|error| classify(SourceError::new(&source.name, error)))?
            }
            SourceOrigin::File => {
                let bytes = self.files.read(&source.location).await.map_err(|error| {
                    Failure::Permanent(format!(
                        "{}: the uploaded file is no longer in the data directory ({error}); upload it again",
                        source.name
                    ))
                })?;
                let name = source.name.clone();
                self.reporting(source, SourceStatus::Parsing, stop, move |report| {
                    knowledge::parse_with_progress(&name, &bytes, &limits, &mut |done, total| {
                        let _ = report(done, total);
                    })
                })
                .await?
                .map_err(classify)?
            }
        };
        if stop.is_stopped() {
            return Err(Failure::Stopped);
        }
        let retrieval = self.retrieval.clone();
        let source_id = source.id.clone();
        let chunks = App::blocking(move || chunks(&retrieval, &source_id, &document)).await?;
        let total = chunks.len();
        let _ = self
            .store
            .sources()
            .progress(&source.id, SourceStatus::Embedding, 0, total as i64)
            .await;
        let retrieval = self.retrieval.clone();
        let owned_scope = scope.clone();
        let name = source.name.clone();
        let started = Instant::now();
        let indexed = self
            .reporting(source, SourceStatus::Embedding, stop, move |report| {
                retrieval.index_source(&owned_scope, &name, &chunks, &mut |done| {
                    report(done, total)
                })
            })
            .await?;
        match indexed {
            Ok(()) => {}
            Err(RetrieveError::Stopped) => return Err(Failure::Stopped),
            Err(error) => {
                return Err(Failure::Transient(format!("{}: {error}", source.name)));
            }
        }
        self.stats
            .embedded(total as u64, started.elapsed().as_secs_f64());
        Ok(total)
    }

    /// Runs `work` on the blocking pool, writing the progress it reports to the source at most
    /// every [`PROGRESS_EVERY`]; the report answers `Break` once the job is told to stop.
    async fn reporting<T: Send + 'static>(
        &self,
        source: &Source,
        status: SourceStatus,
        stop: &Stop,
        work: impl FnOnce(&mut dyn FnMut(usize, usize) -> ControlFlow<()>) -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let (sender, mut receiver) = watch::channel((0usize, 0usize));
        let stopping = stop.clone();
        let task = tokio::task::spawn_blocking(move || {
            work(&mut |done, total| {
                sender.send_replace((done, total));
                if stopping.is_stopped() {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            })
        });
        tokio::pin!(task);
        let mut ticker = tokio::time::interval(PROGRESS_EVERY);
        loop {
            tokio::select! {
                joined = &mut task => {
                    return joined.map_err(|error| AppError::Internal(format!("ingestion task: {error}")));
                }
                _ = ticker.tick() => {
                    if receiver.has_changed().unwrap_or(false) {
                        let (done, total) = *receiver.borrow_and_update();
                        let _ = self
                            .store
                            .sources()
                            .progress(&source.id, status, done as i64, total as i64)
                            .await;
                    }
                }
            }
        }
    }
}

fn backoff(attempt: i64) -> Duration {
    let exponent = u32::try_from(attempt.clamp(0, 16)).unwrap_or(16);
    Duration::from_secs(2u64.saturating_pow(exponent)).min(MAX_BACKOFF)
}

/// The network and the index may recover; a document that does not parse will not.
fn classify(error: SourceError) -> Failure {
    let transient = matches!(
        &error.error,
        knowledge::Error::Fetch(FetchError::Timeout { .. } | FetchError::Network { .. })
    ) || matches!(
        &error.error,
        knowledge::Error::Fetch(FetchError::Status { status, .. }) if *status == 429 || *status >= 500
    );
    if transient {
        Failure::Transient(error.to_string())
    } else {
        Failure::Permanent(error.to_string())
    }
}
