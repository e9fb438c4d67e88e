//! The job supervisor: one consumer loop per job kind, each with its own number of workers,
//! over the one durable queue. A worker claims a job with a lease, renews it while the job
//! runs, and tells the job to stop when a renewal fails (the job was cancelled or another
//! worker took it over) or the process shuts down; a job stopped by a shutdown goes back to
//! the queue at once.

use std::sync::Arc;
use std::time::Duration;

use app::App;
use app::ingestion::Stop;
use records::{ClaimedJob, JobKind};
use strum::IntoEnumIterator;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::JobsConfig;

/// How often an idle worker looks for due jobs: a delayed job starts at most this late.
pub const IDLE_POLL: Duration = Duration::from_millis(250);

/// Starts the workers of every kind; they stop when `shutdown` turns true.
pub fn start(
    app: Arc<App>,
    config: &JobsConfig,
    shutdown: &watch::Receiver<bool>,
) -> Vec<JoinHandle<()>> {
    let lease = Duration::from_secs(config.lease_seconds.max(1));
    let mut workers = Vec::new();
    for kind in JobKind::iter() {
        let count = match kind {
            JobKind::IngestSource => config.workers,
            JobKind::AnswerMessage | JobKind::SendMessage => config.inbox_workers,
            JobKind::PurgeSource
            | JobKind::SweepIndex
            | JobKind::WakeConversation
            | JobKind::RunEval => 1,
        };
        for number in 0..count {
            let name = format!(
                "{kind}-{}-{number}-{}",
                std::process::id(),
                uuid::Uuid::new_v4().simple()
            );
            workers.push(tokio::spawn(consume(
                app.clone(),
                kind,
                name,
                lease,
                shutdown.clone(),
            )));
        }
    }
    workers
}

async fn consume(
    app: Arc<App>,
    kind: JobKind,
    worker: String,
    lease: Duration,
    mut shutdown: watch::Receiver<bool>,
) {
    while !*shutdown.borrow() {
        match app.store.jobs().claim(kind, &worker, lease).await {
            Ok(Some(job)) => supervise(&app, &job, &worker, lease, &mut shutdown).await,
            Ok(None) => {
                tokio::select! {
                    _ = tokio::time::sleep(IDLE_POLL) => {}
                    _ = shutdown.changed() => {}
                }
            }
            Err(error) => {
                tracing::warn!(%error, %kind, "claiming a job failed");
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        }
    }
}

/// Runs one job while renewing its lease every third of it.
async fn supervise(
    app: &App,
    job: &ClaimedJob,
    worker: &str,
    lease: Duration,
    shutdown: &mut watch::Receiver<bool>,
) {
    let stop = Stop::default();
    let run = app.run_job(job, worker, &stop);
    tokio::pin!(run);
    let mut heartbeat = tokio::time::interval(lease / 3);
    heartbeat.tick().await;
    let mut shutting_down = false;
    // A renewal that failed says nothing of who holds the job now: give it back when done.
    let mut in_doubt = false;
    let outcome = loop {
        tokio::select! {
            outcome = &mut run => break outcome,
            _ = heartbeat.tick(), if !stop.is_stopped() => {
                match app.store.jobs().renew(&job.id, worker, lease).await {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::info!(job = %job.id, "the job is no longer this worker's: stopping it");
                        stop.stop();
                    }
                    Err(error) => {
                        tracing::warn!(job = %job.id, %error, "renewing the lease failed: stopping the job");
                        in_doubt = true;
                        stop.stop();
                    }
                }
            }
            _ = stopped(shutdown), if !shutting_down => {
                tracing::info!(job = %job.id, "shutting down: stopping the job");
                shutting_down = true;
                stop.stop();
            }
        }
    };
    if let Err(error) = outcome {
        tracing::warn!(job = %job.id, %error, "recording the job's outcome failed; it will run again");
    }
    if (shutting_down || in_doubt)
        && let Err(error) = app.store.jobs().release(&job.id, worker).await
    {
        tracing::warn!(%error, "giving back a job failed; its lease will expire");
    }
}

async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stopping| *stopping).await;
}
