//! One durable queue for every kind of background work. A job is a typed [`Job`] (stored as its
//! kind and a JSON payload), a run-after time (delays and schedules), a priority, and a dedupe
//! key that is unique while the job waits or runs (so the same work is never queued twice).
//!
//! A worker claims a job of its kind with a lease and renews it while it works; a job whose
//! lease ran out (its worker died) is claimable again, and every transition checks that the
//! worker still holds it. On PostgreSQL many workers claim at once (`FOR UPDATE SKIP LOCKED`);
//! on SQLite one statement claims under the database's single writer lock.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, Row};

use crate::error::StoreError;
use crate::store::{Backend, Store, new_id, now};

/// Every kind of background work, with what it needs to run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, strum::EnumDiscriminants)]
#[serde(tag = "kind", content = "payload", rename_all = "snake_case")]
#[strum_discriminants(
    name(JobKind),
    derive(
        Hash,
        strum::Display,
        strum::EnumString,
        strum::IntoStaticStr,
        strum::EnumIter
    ),
    strum(serialize_all = "snake_case")
)]
pub enum Job {
    /// Parse, chunk, embed and index a source.
    IngestSource { source_id: String },
    /// Remove a deleted source's points from the index: queued with the deletion, and run
    /// after an ingestion that was writing them has had time to stop, so that nothing it
    /// wrote survives, even across a crash.
    PurgeSource {
        workspace_id: String,
        knowledge_base_id: String,
        source_id: String,
    },
    /// Remove the points of every source the records no longer hold: queued at each start,
    /// for what a crash or an older version left behind.
    SweepIndex {},
    /// Run the owning AI agent's turn on a customer's message: queued with the message.
    AnswerMessage {
        conversation_id: String,
        message_id: String,
    },
    /// Deliver an outbound message through its channel: queued with the message.
    SendMessage { message_id: String },
    /// Open a snoozed conversation again when its time comes.
    WakeConversation { conversation_id: String },
    /// Run an eval suite through an agent: queued with the run.
    RunEval { run_id: String },
}

impl Job {
    pub fn kind(&self) -> JobKind {
        JobKind::from(self)
    }

    /// Two jobs with the same key are the same work: while one waits or runs, another is not
    /// queued.
    pub fn dedupe_key(&self) -> Option<String> {
        match self {
            Job::IngestSource { source_id } => Some(ingestion_key(source_id)),
            Job::PurgeSource { source_id, .. } => Some(format!("{}:{source_id}", self.kind())),
            Job::SweepIndex {} => Some(self.kind().to_string()),
            Job::AnswerMessage { message_id, .. } | Job::SendMessage { message_id } => {
                Some(format!("{}:{message_id}", self.kind()))
            }
            // A new snooze replaces the one before: the job checks the time it finds.
            Job::WakeConversation { .. } => None,
            Job::RunEval { run_id } => Some(format!("{}:{run_id}", self.kind())),
        }
    }

    fn payload(&self) -> Result<String, StoreError> {
        let tagged = serde_json::to_value(self).map_err(StoreError::corrupt)?;
        Ok(tagged
            .get("payload")
            .map_or_else(|| "null".to_string(), ToString::to_string))
    }

    fn decode(kind: &str, payload: &str) -> Result<Self, StoreError> {
        let payload: serde_json::Value =
            serde_json::from_str(payload).map_err(StoreError::corrupt)?;
        serde_json::from_value(serde_json::json!({ "kind": kind, "payload": payload }))
            .map_err(|error| StoreError::Corrupt(format!("a job of kind {kind:?}: {error}")))
    }
}

pub(crate) fn ingestion_key(source: &str) -> String {
    format!("{}:{source}", JobKind::IngestSource)
}

/// A job to queue: when it may run, how urgent it is, whose it is.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub job: Job,
    /// The workspace the work is for (fairness and deletion), or none for the system's own.
    pub workspace_id: Option<String>,
    /// Milliseconds since the Unix epoch; now or earlier runs at once.
    pub run_after: i64,
    /// Higher runs first among jobs that are due.
    pub priority: i64,
}

impl NewJob {
    /// Due now, at normal priority.
    pub fn now(job: Job, workspace: Option<&str>) -> Self {
        NewJob::after(job, workspace, Duration::ZERO)
    }

    /// Due `delay` from now, at normal priority.
    pub fn after(job: Job, workspace: Option<&str>, delay: Duration) -> Self {
        NewJob {
            job,
            workspace_id: workspace.map(str::to_string),
            run_after: now() + millis(delay),
            priority: 0,
        }
    }
}

/// A job a worker holds.
#[derive(Debug, Clone)]
pub struct ClaimedJob {
    pub id: String,
    pub job: Job,
    pub workspace_id: Option<String>,
    /// 1 on the first try.
    pub attempt: i64,
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX / 2)
}

/// Queues a job in the caller's transaction (so a record and its job are written together).
/// False when a job with the same dedupe key is already waiting or running.
pub(crate) async fn enqueue_in(
    connection: &mut AnyConnection,
    new: &NewJob,
) -> Result<bool, StoreError> {
    let inserted = sqlx::query(
        "INSERT INTO jobs (id, kind, payload, workspace_id, dedupe_key, priority, state,
             run_after, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, 'queued', $7, $8)
         ON CONFLICT DO NOTHING",
    )
    .bind(new_id())
    .bind(new.job.kind().to_string())
    .bind(new.job.payload()?)
    .bind(new.workspace_id.clone())
    .bind(new.job.dedupe_key())
    .bind(new.priority)
    .bind(new.run_after)
    .bind(now())
    .execute(connection)
    .await?;
    Ok(inserted.rows_affected() > 0)
}

/// Removes the waiting or running jobs with this key: a worker running one finds its lease
/// gone at its next renewal and stops.
pub(crate) async fn cancel_in(
    connection: &mut AnyConnection,
    dedupe_key: &str,
) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("DELETE FROM jobs WHERE dedupe_key = $1 AND state IN ('queued', 'running')")
            .bind(dedupe_key)
            .execute(connection)
            .await?
            .rows_affected(),
    )
}

/// Moves a job this worker holds from running to `state`, in the caller's transaction.
/// False when the worker no longer holds it.
pub(crate) async fn end_in(
    connection: &mut AnyConnection,
    job: &str,
    worker: &str,
    state: &'static str,
    error: Option<&str>,
) -> Result<bool, sqlx::Error> {
    let ended = sqlx::query(
        "UPDATE jobs SET state = $1, locked_by = NULL, locked_until = NULL, last_error = $2
         WHERE id = $3 AND locked_by = $4 AND state = 'running'",
    )
    .bind(state)
    .bind(error.map(str::to_string))
    .bind(job)
    .bind(worker)
    .execute(connection)
    .await?;
    Ok(ended.rows_affected() > 0)
}

/// Puts a job this worker holds back in the queue to run after `delay`, in the caller's
/// transaction. False when the worker no longer holds it.
pub(crate) async fn retry_in(
    connection: &mut AnyConnection,
    job: &str,
    worker: &str,
    error: &str,
    delay: Duration,
) -> Result<bool, sqlx::Error> {
    let retried = sqlx::query(
        "UPDATE jobs SET state = 'queued', locked_by = NULL, locked_until = NULL,
             last_error = $1, run_after = $2
         WHERE id = $3 AND locked_by = $4 AND state = 'running'",
    )
    .bind(error)
    .bind(now() + millis(delay))
    .bind(job)
    .bind(worker)
    .execute(connection)
    .await?;
    Ok(retried.rows_affected() > 0)
}

/// The job-queue area of the records.
pub struct Jobs<'a>(pub(crate) &'a Store);

impl Jobs<'_> {
    /// Queues a job; false when the same work (by dedupe key) is already waiting or running.
    pub async fn enqueue(&self, new: &NewJob) -> Result<bool, StoreError> {
        let mut connection = self.0.writer().acquire().await?;
        enqueue_in(&mut connection, new).await
    }

    /// Takes the most urgent due job of `kind`, or one of that kind whose worker's lease ran
    /// out. Among jobs of one priority, the workspace with the fewest jobs of the kind running
    /// goes first, so one workspace's big upload does not starve another's small one; then
    /// the oldest.
    pub async fn claim(
        &self,
        kind: JobKind,
        worker: &str,
        lease: Duration,
    ) -> Result<Option<ClaimedJob>, StoreError> {
        let at = now();
        let lock = match self.0.backend() {
            Backend::Postgres => "FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let claimed = sqlx::query(&format!(
            "UPDATE jobs SET state = 'running', locked_by = $1, locked_until = $2,
                 attempts = attempts + 1
             WHERE id = (
                 SELECT candidate.id FROM jobs AS candidate
                 WHERE candidate.kind = $4 AND ((candidate.state = 'queued' AND candidate.run_after <= $3)
                    OR (candidate.state = 'running' AND candidate.locked_until < $3))
                 ORDER BY candidate.priority DESC,
                     (SELECT COUNT(*) FROM jobs AS busy
                      WHERE busy.workspace_id = candidate.workspace_id AND busy.kind = $4
                        AND busy.state = 'running' AND busy.locked_until >= $3),
                     candidate.run_after, candidate.created_at
                 LIMIT 1 {lock}
             )
             RETURNING id, kind, payload, workspace_id, attempts"
        ))
        .bind(worker)
        .bind(at + millis(lease))
        .bind(at)
        .bind(kind.to_string())
        .fetch_optional(self.0.writer())
        .await?;
        let Some(claimed) = claimed else {
            return Ok(None);
        };
        let id: String = claimed.try_get("id")?;
        let kind: String = claimed.try_get("kind")?;
        let payload: String = claimed.try_get("payload")?;
        let job = match Job::decode(&kind, &payload) {
            Ok(job) => job,
            Err(error) => {
                // A payload this version cannot read would be claimed forever: fail it.
                let mut connection = self.0.writer().acquire().await?;
                end_in(
                    &mut connection,
                    &id,
                    worker,
                    "failed",
                    Some(&error.to_string()),
                )
                .await?;
                return Err(error);
            }
        };
        Ok(Some(ClaimedJob {
            id,
            job,
            workspace_id: claimed.try_get("workspace_id")?,
            attempt: claimed.try_get("attempts")?,
        }))
    }

    /// Extends the worker's lease. False when the job is no longer this worker's (its lease
    /// ran out and another took it, or it was cancelled): the worker must stop.
    pub async fn renew(
        &self,
        job: &str,
        worker: &str,
        lease: Duration,
    ) -> Result<bool, StoreError> {
        let renewed = sqlx::query(
            "UPDATE jobs SET locked_until = $1
             WHERE id = $2 AND locked_by = $3 AND state = 'running'",
        )
        .bind(now() + millis(lease))
        .bind(job)
        .bind(worker)
        .execute(self.0.writer())
        .await?;
        Ok(renewed.rows_affected() > 0)
    }

    /// The job is done. False when the worker no longer held it.
    pub async fn complete(&self, job: &str, worker: &str) -> Result<bool, StoreError> {
        let mut connection = self.0.writer().acquire().await?;
        Ok(end_in(&mut connection, job, worker, "done", None).await?)
    }

    /// Puts a job this worker holds back in the queue, to run again after `delay`. False when
    /// the worker no longer holds it.
    pub async fn retry(
        &self,
        job: &str,
        worker: &str,
        error: &str,
        delay: Duration,
    ) -> Result<bool, StoreError> {
        let mut connection = self.0.writer().acquire().await?;
        Ok(retry_in(&mut connection, job, worker, error, delay).await?)
    }

    /// The job cannot succeed: it ends failed, with the reason.
    pub async fn fail(&self, job: &str, worker: &str, error: &str) -> Result<bool, StoreError> {
        let mut connection = self.0.writer().acquire().await?;
        Ok(end_in(&mut connection, job, worker, "failed", Some(error)).await?)
    }

    /// Gives back a job this worker will not finish (shutting down, or its lease in doubt):
    /// claimable at once, and the attempt it was does not count.
    pub async fn release(&self, job: &str, worker: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE jobs SET state = 'queued', locked_by = NULL, locked_until = NULL,
                 attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END
             WHERE id = $1 AND locked_by = $2 AND state = 'running'",
        )
        .bind(job)
        .bind(worker)
        .execute(self.0.writer())
        .await?;
        Ok(())
    }

    /// On SQLite the one process that opened the file owns every job, so at start any job
    /// still marked running was left by a process that died: it is claimable at once rather
    /// than when its lease runs out. (On PostgreSQL other live instances may hold jobs; their
    /// leases decide.)
    pub async fn recover(&self) -> Result<u64, StoreError> {
        if self.0.backend() != Backend::Sqlite {
            return Ok(0);
        }
        let released = sqlx::query(
            "UPDATE jobs SET state = 'queued', locked_by = NULL, locked_until = NULL,
                 attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END
             WHERE state = 'running'",
        )
        .execute(self.0.writer())
        .await?;
        Ok(released.rows_affected())
    }

    /// Jobs due or running, across workspaces and kinds (the queue depth metric): the backlog,
    /// not the work scheduled for later.
    pub async fn pending(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query(
            "SELECT COUNT(*) FROM jobs
             WHERE state = 'running' OR (state = 'queued' AND run_after <= $1)",
        )
        .bind(now())
        .fetch_one(&self.0.pool)
        .await?
        .try_get(0)?)
    }
}
