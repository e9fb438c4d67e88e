//! Knowledge bases and their sources as records: what was uploaded or linked, where its bytes
//! are kept, and how far its ingestion got. The chunks themselves live in the vector index.

use std::time::Duration;

use serde::Serialize;
use sqlx::{AnyConnection, Row};

use crate::audit;
use crate::error::StoreError;
use crate::jobs::{self, Job, NewJob, ingestion_key};
use crate::page::{self, AFTER, Listed, Page};
use crate::store::{Backend, Store, new_id, now};

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct KnowledgeBase {
    pub id: String,
    pub name: String,
    pub created_at: i64,
}

/// Where a source's bytes come from.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    strum::Display,
    strum::EnumString,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum SourceOrigin {
    /// An upload, kept in the data directory by checksum.
    File,
    Url,
}
crate::stored_as_text!(SourceOrigin);

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    strum::Display,
    strum::EnumString,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum SourceStatus {
    Queued,
    Parsing,
    Embedding,
    Ready,
    Failed,
}
crate::stored_as_text!(SourceStatus);

/// A source as the records keep it (the API shows a view of it, without where it is kept).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Source {
    pub id: String,
    pub workspace_id: String,
    pub knowledge_base_id: String,
    /// The file name or URL.
    pub name: String,
    #[sqlx(rename = "kind", try_from = "String")]
    pub origin: SourceOrigin,
    /// The URL, or the checksum that names the kept file.
    pub location: String,
    pub checksum: Option<String>,
    #[sqlx(try_from = "String")]
    pub status: SourceStatus,
    /// Pages parsed or chunks embedded so far, of `progress_total`.
    pub progress_done: i64,
    pub progress_total: i64,
    pub chunks: i64,
    pub error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A source to add: an upload already kept under its checksum, or a URL.
#[derive(Debug, Clone)]
pub struct NewSource {
    pub name: String,
    pub origin: SourceOrigin,
    pub location: String,
    pub checksum: Option<String>,
}

const SOURCE_COLUMNS: &str = "id, workspace_id, knowledge_base_id, name, kind, location, checksum, status, progress_done, progress_total, chunks, error, created_at, updated_at";

/// The knowledge-bases area of the records.
pub struct KnowledgeBases<'a>(pub(crate) &'a Store);

impl KnowledgeBases<'_> {
    pub async fn create(
        &self,
        workspace: &str,
        actor: &str,
        name: &str,
    ) -> Result<KnowledgeBase, StoreError> {
        let knowledge_base = KnowledgeBase {
            id: new_id(),
            name: name.to_string(),
            created_at: now(),
        };
        let mut transaction = self.0.write().await?;
        sqlx::query(
            "INSERT INTO knowledge_bases (id, workspace_id, name, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(&knowledge_base.id)
        .bind(workspace)
        .bind(&knowledge_base.name)
        .bind(knowledge_base.created_at)
        .execute(&mut *transaction)
        .await?;
        audit::record(
            &mut transaction,
            workspace,
            actor,
            "knowledge_base.create",
            &knowledge_base.id,
        )
        .await?;
        transaction.commit().await?;
        Ok(knowledge_base)
    }

    pub async fn get(&self, workspace: &str, id: &str) -> Result<KnowledgeBase, StoreError> {
        sqlx::query_as(
            "SELECT id, name, created_at FROM knowledge_bases WHERE id = $1 AND workspace_id = $2",
        )
        .bind(id)
        .bind(workspace)
        .fetch_optional(&self.0.pool)
        .await?
        .ok_or(StoreError::NotFound("knowledge base"))
    }

    /// The workspace's knowledge bases, oldest first.
    pub async fn list(
        &self,
        workspace: &str,
        page: &Page,
    ) -> Result<Listed<KnowledgeBase>, StoreError> {
        let sql = format!(
            "SELECT id, name, created_at FROM knowledge_bases WHERE workspace_id = $1 {AFTER}
             ORDER BY created_at, id LIMIT $4"
        );
        page::fetch(&self.0.pool, &sql, workspace, &[], page).await
    }

    /// Deletes the knowledge base's record and its sources' records, cancels their ingestion
    /// and queues the removal of their points after `purge_after` (the caller removes what it
    /// can at once).
    pub async fn delete(
        &self,
        workspace: &str,
        actor: &str,
        id: &str,
        purge_after: Duration,
    ) -> Result<(), StoreError> {
        let mut transaction = self.0.write().await?;
        let sources: Vec<String> = sqlx::query(
            "SELECT id FROM sources WHERE knowledge_base_id = $1 AND workspace_id = $2",
        )
        .bind(id)
        .bind(workspace)
        .fetch_all(&mut *transaction)
        .await?
        .iter()
        .map(|row| row.try_get(0))
        .collect::<Result<_, _>>()?;
        for source in &sources {
            forget_source(&mut transaction, workspace, id, source, purge_after).await?;
        }
        audit::delete_owned(
            &mut transaction,
            "knowledge_bases",
            "knowledge base",
            workspace,
            actor,
            id,
        )
        .await?;
        transaction.commit().await?;
        Ok(())
    }
}

/// The sources area of the records: a source's life from queued to ready or failed, always
/// together with its ingestion job.
pub struct Sources<'a>(pub(crate) &'a Store);

impl Sources<'_> {
    /// Adds a source and the job that will ingest it, in one transaction: a source is never
    /// without its job. Refused with [`StoreError::LimitReached`] when the knowledge base
    /// holds `max_sources` already, counted in the statement that inserts (on PostgreSQL with
    /// the knowledge base locked), so parallel requests cannot pass the limit together.
    pub async fn create(
        &self,
        workspace: &str,
        actor: &str,
        knowledge_base: &str,
        source: NewSource,
        max_sources: usize,
    ) -> Result<Source, StoreError> {
        self.0
            .knowledge_bases()
            .get(workspace, knowledge_base)
            .await?;
        let created = now();
        let id = new_id();
        let mut transaction = self.0.write().await?;
        if self.0.backend() == Backend::Postgres {
            sqlx::query("SELECT id FROM knowledge_bases WHERE id = $1 FOR UPDATE")
                .bind(knowledge_base)
                .execute(&mut *transaction)
                .await?;
        }
        let row: Option<Source> = sqlx::query_as(&format!(
            "INSERT INTO sources (id, workspace_id, knowledge_base_id, name, kind, location,
                 checksum, status, created_at, updated_at)
             SELECT CAST($1 AS TEXT), CAST($2 AS TEXT), CAST($3 AS TEXT), CAST($4 AS TEXT),
                 CAST($5 AS TEXT), CAST($6 AS TEXT), CAST($7 AS TEXT), 'queued',
                 CAST($8 AS BIGINT), CAST($8 AS BIGINT)
             WHERE (SELECT COUNT(*) FROM sources WHERE knowledge_base_id = $3) < $9
             RETURNING {SOURCE_COLUMNS}"
        ))
        .bind(&id)
        .bind(workspace)
        .bind(knowledge_base)
        .bind(&source.name)
        .bind(source.origin.to_string())
        .bind(&source.location)
        .bind(source.checksum.clone())
        .bind(created)
        .bind(i64::try_from(max_sources).unwrap_or(i64::MAX))
        .fetch_optional(&mut *transaction)
        .await?;
        let Some(row) = row else {
            return Err(StoreError::LimitReached {
                what: "sources in a knowledge base",
                limit: max_sources,
            });
        };
        enqueue_ingestion(&mut transaction, workspace, &id).await?;
        audit::record(&mut transaction, workspace, actor, "source.create", &id).await?;
        transaction.commit().await?;
        Ok(row)
    }

    pub async fn get(&self, workspace: &str, id: &str) -> Result<Source, StoreError> {
        sqlx::query_as(&format!(
            "SELECT {SOURCE_COLUMNS} FROM sources WHERE id = $1 AND workspace_id = $2"
        ))
        .bind(id)
        .bind(workspace)
        .fetch_optional(&self.0.pool)
        .await?
        .ok_or(StoreError::NotFound("source"))
    }

    /// A source by id alone: for workers, whose job names the source but not the caller.
    pub async fn by_id(&self, id: &str) -> Result<Source, StoreError> {
        sqlx::query_as(&format!(
            "SELECT {SOURCE_COLUMNS} FROM sources WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.0.pool)
        .await?
        .ok_or(StoreError::NotFound("source"))
    }

    /// All of a knowledge base's sources, for the service's own use (the API pages them).
    pub async fn list(
        &self,
        workspace: &str,
        knowledge_base: &str,
    ) -> Result<Vec<Source>, StoreError> {
        Ok(self
            .page(workspace, knowledge_base, &Page::all())
            .await?
            .items)
    }

    /// A page of a knowledge base's sources, oldest first.
    pub async fn page(
        &self,
        workspace: &str,
        knowledge_base: &str,
        page: &Page,
    ) -> Result<Listed<Source>, StoreError> {
        self.0
            .knowledge_bases()
            .get(workspace, knowledge_base)
            .await?;
        let sql = format!(
            "SELECT {SOURCE_COLUMNS} FROM sources
             WHERE workspace_id = $1 AND knowledge_base_id = $5 {AFTER}
             ORDER BY created_at, id LIMIT $4"
        );
        page::fetch(&self.0.pool, &sql, workspace, &[knowledge_base], page).await
    }

    /// Deletes the source's record, cancels its ingestion and queues the removal of its points
    /// after `purge_after` (the caller removes what it can at once).
    pub async fn delete(
        &self,
        workspace: &str,
        actor: &str,
        id: &str,
        purge_after: Duration,
    ) -> Result<(), StoreError> {
        let mut transaction = self.0.write().await?;
        let knowledge_base: String = sqlx::query(
            "SELECT knowledge_base_id FROM sources WHERE id = $1 AND workspace_id = $2",
        )
        .bind(id)
        .bind(workspace)
        .fetch_optional(&mut *transaction)
        .await?
        .ok_or(StoreError::NotFound("source"))?
        .try_get(0)?;
        audit::delete_owned(&mut transaction, "sources", "source", workspace, actor, id).await?;
        forget_source(
            &mut transaction,
            workspace,
            &knowledge_base,
            id,
            purge_after,
        )
        .await?;
        transaction.commit().await?;
        Ok(())
    }

    /// Queues the source to be ingested again (a changed upload, a page that moved on).
    /// A job still waiting is brought forward to run now (out of any retry delay); a job
    /// already running read the old file or page, so it is cancelled and a new one queued
    /// after `restart_after`, when the cancelled worker has stopped writing.
    pub async fn resync(
        &self,
        workspace: &str,
        actor: &str,
        id: &str,
        replacement: Option<NewSource>,
        restart_after: Duration,
    ) -> Result<Source, StoreError> {
        let updated = now();
        let mut transaction = self.0.write().await?;
        let requeue = format!(
            "UPDATE sources SET status = 'queued', error = NULL, progress_done = 0,
                 progress_total = 0, updated_at = $1, name = COALESCE($2, name),
                 location = COALESCE($3, location), checksum = COALESCE($4, checksum)
             WHERE id = $5 AND workspace_id = $6 RETURNING {SOURCE_COLUMNS}"
        );
        let source: Source = sqlx::query_as(&requeue)
            .bind(updated)
            .bind(replacement.as_ref().map(|source| source.name.clone()))
            .bind(replacement.as_ref().map(|source| source.location.clone()))
            .bind(
                replacement
                    .as_ref()
                    .and_then(|source| source.checksum.clone()),
            )
            .bind(id)
            .bind(workspace)
            .fetch_optional(&mut *transaction)
            .await?
            .ok_or(StoreError::NotFound("source"))?;
        let key = ingestion_key(id);
        let running =
            sqlx::query("SELECT id FROM jobs WHERE dedupe_key = $1 AND state = 'running'")
                .bind(&key)
                .fetch_optional(&mut *transaction)
                .await?
                .is_some();
        if running {
            jobs::cancel_in(&mut transaction, &key).await?;
            let job = Job::IngestSource {
                source_id: id.to_string(),
            };
            let new = NewJob::after(job, Some(workspace), restart_after);
            jobs::enqueue_in(&mut transaction, &new).await?;
        } else {
            sqlx::query(
                "UPDATE jobs SET run_after = $1 WHERE dedupe_key = $2 AND state = 'queued'",
            )
            .bind(updated)
            .bind(&key)
            .execute(&mut *transaction)
            .await?;
            enqueue_ingestion(&mut transaction, workspace, id).await?;
        }
        audit::record(&mut transaction, workspace, actor, "source.resync", id).await?;
        transaction.commit().await?;
        Ok(source)
    }

    /// Records how far ingestion got. Returns false when the source is gone (deleted while it
    /// was being ingested).
    pub async fn progress(
        &self,
        id: &str,
        status: SourceStatus,
        done: i64,
        total: i64,
    ) -> Result<bool, StoreError> {
        let updated = sqlx::query(
            "UPDATE sources SET status = $1, progress_done = $2, progress_total = $3, updated_at = $4
             WHERE id = $5",
        )
        .bind(status.to_string())
        .bind(done)
        .bind(total)
        .bind(now())
        .bind(id)
        .execute(self.0.writer())
        .await?;
        Ok(updated.rows_affected() > 0)
    }

    /// The ingestion job is done and its source ready with `chunks` chunks, in one
    /// transaction. False when the job or the source is gone (deleted meanwhile: its points
    /// must then be removed).
    pub async fn ingested(
        &self,
        job: &str,
        worker: &str,
        id: &str,
        chunks: i64,
    ) -> Result<bool, StoreError> {
        let mut transaction = self.0.write().await?;
        if !jobs::end_in(&mut transaction, job, worker, "done", None).await? {
            return Ok(false);
        }
        let updated = sqlx::query(
            "UPDATE sources SET status = 'ready', chunks = $1, progress_done = progress_total,
                 error = NULL, updated_at = $2 WHERE id = $3",
        )
        .bind(chunks)
        .bind(now())
        .bind(id)
        .execute(&mut *transaction)
        .await?;
        transaction.commit().await?;
        Ok(updated.rows_affected() > 0)
    }

    /// A transient failure: the job runs again after `delay`, its source waits as queued.
    pub async fn retry_ingestion(
        &self,
        job: &str,
        worker: &str,
        id: &str,
        error: &str,
        delay: Duration,
    ) -> Result<(), StoreError> {
        let mut transaction = self.0.write().await?;
        if jobs::retry_in(&mut transaction, job, worker, error, delay).await? {
            sqlx::query(
                "UPDATE sources SET status = 'queued', error = $1, updated_at = $2 WHERE id = $3",
            )
            .bind(format!("retrying: {error}"))
            .bind(now())
            .bind(id)
            .execute(&mut *transaction)
            .await?;
        }
        transaction.commit().await?;
        Ok(())
    }

    /// A permanent failure: the job stops and its source shows the error. False when the job
    /// was no longer this worker's (nothing changed).
    pub async fn failed(
        &self,
        job: &str,
        worker: &str,
        id: &str,
        error: &str,
    ) -> Result<bool, StoreError> {
        let mut transaction = self.0.write().await?;
        let owned = jobs::end_in(&mut transaction, job, worker, "failed", Some(error)).await?;
        if owned {
            sqlx::query(
                "UPDATE sources SET status = 'failed', error = $1, chunks = 0, updated_at = $2
                 WHERE id = $3",
            )
            .bind(error)
            .bind(now())
            .bind(id)
            .execute(&mut *transaction)
            .await?;
        }
        transaction.commit().await?;
        Ok(owned)
    }
}

/// A deleted source's ingestion is cancelled and its points' removal queued.
async fn forget_source(
    connection: &mut AnyConnection,
    workspace: &str,
    knowledge_base: &str,
    source: &str,
    purge_after: Duration,
) -> Result<(), StoreError> {
    jobs::cancel_in(connection, &ingestion_key(source)).await?;
    let purge = Job::PurgeSource {
        workspace_id: workspace.to_string(),
        knowledge_base_id: knowledge_base.to_string(),
        source_id: source.to_string(),
    };
    jobs::enqueue_in(
        connection,
        &NewJob::after(purge, Some(workspace), purge_after),
    )
    .await?;
    Ok(())
}

async fn enqueue_ingestion(
    connection: &mut AnyConnection,
    workspace: &str,
    source: &str,
) -> Result<bool, StoreError> {
    let job = Job::IngestSource {
        source_id: source.to_string(),
    };
    jobs::enqueue_in(connection, &NewJob::now(job, Some(workspace))).await
}
