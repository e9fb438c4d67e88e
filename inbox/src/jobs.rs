//! Durable ingestion jobs. A worker claims a job with a lease and renews it while it works; a
//! job whose lease ran out (its worker died) is claimable again. On PostgreSQL many workers
//! claim at once (`FOR UPDATE SKIP LOCKED`); on SQLite one statement claims under the
//! database's single writer lock.

use std::time::Duration;

use sqlx::{AnyConnection, Row};

use crate::error::StoreError;
use crate::knowledge::{SOURCE_COLUMNS, Source};
use crate::store::{Backend, Store, new_id, now};

/// A job a worker holds, with the source it ingests.
#[derive(Debug, Clone)]
pub struct ClaimedJob {
    pub id: String,
    /// 1 on the first try.
    pub attempt: i64,
    pub source: Source,
}

pub(crate) async fn enqueue(
    connection: &mut AnyConnection,
    workspace: &str,
    source: &str,
    at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO jobs (id, workspace_id, source_id, state, run_after, created_at)
         VALUES ($1, $2, $3, 'queued', $4, $4)",
    )
    .bind(new_id())
    .bind(workspace)
    .bind(source)
    .bind(at)
    .execute(connection)
    .await?;
    Ok(())
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX / 2)
}

impl Store {
    /// Takes the oldest job that is due, or one whose worker's lease ran out.
    pub async fn claim_job(
        &self,
        worker: &str,
        lease: Duration,
    ) -> Result<Option<ClaimedJob>, StoreError> {
        let at = now();
        let lock = match self.backend() {
            Backend::Postgres => "FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let claimed = sqlx::query(&format!(
            "UPDATE jobs SET state = 'running', locked_by = $1, locked_until = $2,
                 attempts = attempts + 1
             WHERE id = (
                 SELECT id FROM jobs
                 WHERE (state = 'queued' AND run_after <= $3)
                    OR (state = 'running' AND locked_until < $3)
                 ORDER BY run_after, created_at LIMIT 1 {lock}
             )
             RETURNING id, source_id, attempts"
        ))
        .bind(worker)
        .bind(at + millis(lease))
        .bind(at)
        .fetch_optional(&self.pool)
        .await?;
        let Some(claimed) = claimed else {
            return Ok(None);
        };
        let source_id: String = claimed.try_get("source_id")?;
        let row = sqlx::query(&format!(
            "SELECT {SOURCE_COLUMNS} FROM sources WHERE id = $1"
        ))
        .bind(&source_id)
        .fetch_one(&self.pool)
        .await?;
        Ok(Some(ClaimedJob {
            id: claimed.try_get("id")?,
            attempt: claimed.try_get("attempts")?,
            source: Source::from_row(&row)?,
        }))
    }

    /// Extends the worker's lease. False when the job is no longer this worker's (its lease
    /// ran out and another took it, or the source was deleted): the worker must stop.
    pub async fn renew_job(
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
        .execute(&self.pool)
        .await?;
        Ok(renewed.rows_affected() > 0)
    }

    /// The job is done and its source is ready with `chunks` chunks, in one transaction.
    /// False when the source was deleted meanwhile (its points must then be removed).
    pub async fn finish_job(
        &self,
        job: &str,
        worker: &str,
        chunks: i64,
    ) -> Result<bool, StoreError> {
        let mut transaction = self.pool.begin().await?;
        let owned = sqlx::query(
            "UPDATE jobs SET state = 'done', locked_by = NULL, locked_until = NULL, last_error = NULL
             WHERE id = $1 AND locked_by = $2 AND state = 'running' RETURNING source_id",
        )
        .bind(job)
        .bind(worker)
        .fetch_optional(&mut *transaction)
        .await?;
        let Some(owned) = owned else {
            return Ok(false);
        };
        let source: String = owned.try_get("source_id")?;
        let updated = sqlx::query(
            "UPDATE sources SET status = 'ready', chunks = $1, progress_done = progress_total,
                 error = NULL, updated_at = $2 WHERE id = $3",
        )
        .bind(chunks)
        .bind(now())
        .bind(&source)
        .execute(&mut *transaction)
        .await?;
        transaction.commit().await?;
        Ok(updated.rows_affected() > 0)
    }

    /// A transient failure: the job runs again after `delay`, its source waits as queued.
    pub async fn retry_job(
        &self,
        job: &str,
        worker: &str,
        error: &str,
        delay: Duration,
    ) -> Result<(), StoreError> {
        let at = now();
        let mut transaction = self.pool.begin().await?;
        let owned = sqlx::query(
            "UPDATE jobs SET state = 'queued', locked_by = NULL, locked_until = NULL,
                 last_error = $1, run_after = $2
             WHERE id = $3 AND locked_by = $4 AND state = 'running' RETURNING source_id",
        )
        .bind(error)
        .bind(at + millis(delay))
        .bind(job)
        .bind(worker)
        .fetch_optional(&mut *transaction)
        .await?;
        if let Some(owned) = owned {
            sqlx::query(
                "UPDATE sources SET status = 'queued', error = $1, updated_at = $2 WHERE id = $3",
            )
            .bind(format!("retrying: {error}"))
            .bind(at)
            .bind(owned.try_get::<String, _>("source_id")?)
            .execute(&mut *transaction)
            .await?;
        }
        transaction.commit().await?;
        Ok(())
    }

    /// A permanent failure: the job stops and its source shows the error.
    pub async fn fail_job(&self, job: &str, worker: &str, error: &str) -> Result<(), StoreError> {
        let mut transaction = self.pool.begin().await?;
        let owned = sqlx::query(
            "UPDATE jobs SET state = 'failed', locked_by = NULL, locked_until = NULL, last_error = $1
             WHERE id = $2 AND locked_by = $3 AND state = 'running' RETURNING source_id",
        )
        .bind(error)
        .bind(job)
        .bind(worker)
        .fetch_optional(&mut *transaction)
        .await?;
        if let Some(owned) = owned {
            sqlx::query(
                "UPDATE sources SET status = 'failed', error = $1, chunks = 0, updated_at = $2
                 WHERE id = $3",
            )
            .bind(error)
            .bind(now())
            .bind(owned.try_get::<String, _>("source_id")?)
            .execute(&mut *transaction)
            .await?;
        }
        transaction.commit().await?;
        Ok(())
    }

    /// Gives back a job this worker will not finish (shutting down): claimable at once.
    pub async fn release_job(&self, job: &str, worker: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE jobs SET state = 'queued', locked_by = NULL, locked_until = NULL
             WHERE id = $1 AND locked_by = $2 AND state = 'running'",
        )
        .bind(job)
        .bind(worker)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// On SQLite the one process that opened the file owns every job, so at start any job
    /// still marked running was left by a process that died: it is claimable at once rather
    /// than when its lease runs out. (On PostgreSQL other live instances may hold jobs; their
    /// leases decide.)
    pub async fn recover_jobs(&self) -> Result<u64, StoreError> {
        if self.backend() != Backend::Sqlite {
            return Ok(0);
        }
        let released = sqlx::query(
            "UPDATE jobs SET state = 'queued', locked_by = NULL, locked_until = NULL
             WHERE state = 'running'",
        )
        .execute(&self.pool)
        .await?;
        Ok(released.rows_affected())
    }

    /// Jobs waiting or running, across workspaces (the queue depth metric).
    pub async fn pending_jobs(&self) -> Result<i64, StoreError> {
        Ok(
            sqlx::query("SELECT COUNT(*) FROM jobs WHERE state IN ('queued', 'running')")
                .fetch_one(&self.pool)
                .await?
                .try_get(0)?,
        )
    }
}
