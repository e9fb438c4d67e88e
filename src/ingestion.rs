//! Background ingestion: workers claim source jobs from the records, parse, chunk, embed and
//! index, reporting progress as they go. A job is retried with backoff when what failed may
//! pass later (the network, the index) and failed for good with the parser's error otherwise.
//! Killing the process at any moment loses nothing: an unfinished job is claimed again and
//! re-run, and re-running a source replaces exactly its points.

use std::sync::Arc;
use std::time::{Duration, Instant};

use inbox::{ClaimedJob, SourceKind, SourceStatus};
use knowledge::fetch::{FetchError, FetchOptions, fetch_document};
use knowledge::index::Scope;
use knowledge::{Document, Limits, SourceError};
use tokio::sync::watch;

use crate::server::AppState;

/// How often a worker writes progress and renews its claim while it works.
const PROGRESS_EVERY: Duration = Duration::from_millis(500);
const IDLE_POLL: Duration = Duration::from_millis(300);
const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// Why an attempt failed, and whether trying again may help.
enum Failure {
    Transient(String),
    Permanent(String),
}

/// Claims and runs jobs until `shutdown` turns true. A job still running then is given back
/// to the queue (its progress is recorded), so the next start resumes it.
pub async fn work(state: Arc<AppState>, worker: String, mut shutdown: watch::Receiver<bool>) {
    let lease = Duration::from_secs(state.config.jobs.lease_seconds.max(1));
    while !*shutdown.borrow() {
        let job = match state.store.claim_job(&worker, lease).await {
            Ok(Some(job)) => job,
            Ok(None) => {
                tokio::select! {
                    _ = tokio::time::sleep(IDLE_POLL) => {}
                    _ = shutdown.changed() => {}
                }
                continue;
            }
            Err(error) => {
                tracing::warn!(%error, "claiming an ingestion job failed");
                tokio::time::sleep(Duration::from_secs(2)).await;
                continue;
            }
        };
        let job_id = job.id.clone();
        tokio::select! {
            () = run(&state, &worker, job) => {}
            () = stopped(&mut shutdown) => {
                tracing::info!(job = %job_id, "shutting down: the job goes back to the queue");
                if let Err(error) = state.store.release_job(&job_id, &worker).await {
                    tracing::warn!(%error, "giving back a job failed; its lease will expire");
                }
            }
        }
    }
}

async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stopping| *stopping).await;
}

async fn run(state: &Arc<AppState>, worker: &str, job: ClaimedJob) {
    let source = &job.source;
    let scope = Scope::new(&source.workspace_id, &source.knowledge_base_id);
    tracing::info!(source = %source.id, name = %source.name, attempt = job.attempt, "ingesting");
    let outcome = ingest(state, worker, &job, &scope).await;
    let store = &state.store;
    let recorded = match outcome {
        Ok(chunks) => match store.finish_job(&job.id, worker, chunks as i64).await {
            Ok(true) => {
                state.metrics.source_finished(true);
                tracing::info!(source = %source.id, chunks, "source ready");
                Ok(())
            }
            // Deleted while it was ingested: take back what this attempt wrote.
            Ok(false) => remove_if_deleted(state, &job, &scope).await,
            Err(error) => Err(error),
        },
        Err(Failure::Transient(error)) if job.attempt < state.config.jobs.max_attempts => {
            let delay = backoff(job.attempt);
            tracing::warn!(source = %source.id, %error, ?delay, "ingestion failed; retrying");
            store.retry_job(&job.id, worker, &error, delay).await
        }
        Err(Failure::Transient(error) | Failure::Permanent(error)) => {
            tracing::warn!(source = %source.id, %error, "ingestion failed");
            state.metrics.source_finished(false);
            // A failed source keeps no points, not even from earlier attempts.
            let _ = delete_points(state, &scope, &source.id).await;
            store.fail_job(&job.id, worker, &error).await
        }
    };
    if let Err(error) = recorded {
        tracing::warn!(source = %source.id, %error, "recording the job's outcome failed; it will run again");
    }
}

fn backoff(attempt: i64) -> Duration {
    let exponent = u32::try_from(attempt.clamp(0, 16)).unwrap_or(16);
    Duration::from_secs(2u64.saturating_pow(exponent)).min(MAX_BACKOFF)
}

async fn remove_if_deleted(
    state: &Arc<AppState>,
    job: &ClaimedJob,
    scope: &Scope,
) -> Result<(), inbox::StoreError> {
    match state
        .store
        .source(&job.source.workspace_id, &job.source.id)
        .await
    {
        Err(inbox::StoreError::NotFound(_)) => {
            let _ = delete_points(state, scope, &job.source.id).await;
            Ok(())
        }
        // Still there: another worker took the job over after this one's lease ran out.
        _ => Ok(()),
    }
}

async fn delete_points(state: &Arc<AppState>, scope: &Scope, source: &str) -> Result<(), String> {
    let retrieval = state.retrieval.clone();
    let scope = scope.clone();
    let source = source.to_string();
    tokio::task::spawn_blocking(move || retrieval.delete_source(&scope, &source))
        .await
        .map_err(|error| error.to_string())?
        .map_err(|error| error.to_string())
}

/// Parses, chunks, embeds and indexes one source; returns how many chunks it has.
async fn ingest(
    state: &Arc<AppState>,
    worker: &str,
    job: &ClaimedJob,
    scope: &Scope,
) -> Result<usize, Failure> {
    let source = &job.source;
    let limits = Limits {
        max_file_bytes: state.config.limits.upload_bytes,
        ..Limits::default()
    };
    let _ = state
        .store
        .source_progress(&source.id, SourceStatus::Parsing, 0, 0)
        .await;
    let document = match source.kind {
        SourceKind::Url => {
            let options = FetchOptions {
                allow_private: state.config.fetch.allow_private_addresses,
                ..FetchOptions::default()
            };
            fetch_document(&source.location, &options, &limits)
                .await
                .map_err(|error| classify(SourceError::new(&source.name, error)))?
        }
        SourceKind::File => {
            let bytes = state.files.read(&source.location).await.map_err(|error| {
                Failure::Permanent(format!(
                    "{}: the uploaded file is no longer in the data directory ({error}); upload it again",
                    source.name
                ))
            })?;
            parse(state, worker, job, bytes, limits).await?
        }
    };
    let retrieval = state.retrieval.clone();
    let source_id = source.id.clone();
    let chunks = tokio::task::spawn_blocking(move || {
        crate::retrieval::chunks(&retrieval, &source_id, &document)
    })
    .await
    .map_err(|error| Failure::Transient(error.to_string()))?;
    let total = chunks.len();
    let _ = state
        .store
        .source_progress(&source.id, SourceStatus::Embedding, 0, total as i64)
        .await;
    let reporter = Reporter::new(state, worker, job, SourceStatus::Embedding);
    let retrieval = state.retrieval.clone();
    let scope = scope.clone();
    let name = source.name.clone();
    let started = Instant::now();
    tokio::task::spawn_blocking(move || {
        let mut reporter = reporter;
        retrieval.index_source(&scope, &name, &chunks, &mut |done| {
            reporter.report(done as i64, total as i64)
        })
    })
    .await
    .map_err(|error| Failure::Transient(error.to_string()))?
    .map_err(|error| Failure::Transient(format!("{}: {error}", source.name)))?;
    state
        .metrics
        .embedded(total as u64, started.elapsed().as_secs_f64());
    Ok(total)
}

async fn parse(
    state: &Arc<AppState>,
    worker: &str,
    job: &ClaimedJob,
    bytes: Vec<u8>,
    limits: Limits,
) -> Result<Document, Failure> {
    let mut reporter = Reporter::new(state, worker, job, SourceStatus::Parsing);
    let name = job.source.name.clone();
    tokio::task::spawn_blocking(move || {
        knowledge::parse_with_progress(&name, &bytes, &limits, &mut |done, total| {
            reporter.report(done as i64, total as i64)
        })
    })
    .await
    .map_err(|error| Failure::Transient(error.to_string()))?
    .map_err(classify)
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

/// Writes progress from a blocking thread at most every [`PROGRESS_EVERY`], renewing the
/// worker's claim each time.
struct Reporter {
    state: Arc<AppState>,
    runtime: tokio::runtime::Handle,
    worker: String,
    job: String,
    source: String,
    status: SourceStatus,
    last: Instant,
}

impl Reporter {
    fn new(state: &Arc<AppState>, worker: &str, job: &ClaimedJob, status: SourceStatus) -> Self {
        Reporter {
            state: state.clone(),
            runtime: tokio::runtime::Handle::current(),
            worker: worker.to_string(),
            job: job.id.clone(),
            source: job.source.id.clone(),
            status,
            last: Instant::now(),
        }
    }

    fn report(&mut self, done: i64, total: i64) {
        if self.last.elapsed() < PROGRESS_EVERY {
            return;
        }
        self.last = Instant::now();
        let lease = Duration::from_secs(self.state.config.jobs.lease_seconds.max(1));
        let store = &self.state.store;
        self.runtime.block_on(async {
            let _ = store
                .source_progress(&self.source, self.status, done, total)
                .await;
            let _ = store.renew_job(&self.job, &self.worker, lease).await;
        });
    }
}
