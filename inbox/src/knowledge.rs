//! Knowledge bases and their sources as records: what was uploaded or linked, where its bytes
//! are kept, and how far its ingestion got. The chunks themselves live in the vector index.

use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit;
use crate::error::StoreError;
use crate::store::{Store, new_id, now};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct KnowledgeBase {
    pub id: String,
    pub name: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// An upload, kept in the data directory by checksum.
    File,
    Url,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SourceStatus {
    Queued,
    Parsing,
    Embedding,
    Ready,
    Failed,
}

impl SourceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceStatus::Queued => "queued",
            SourceStatus::Parsing => "parsing",
            SourceStatus::Embedding => "embedding",
            SourceStatus::Ready => "ready",
            SourceStatus::Failed => "failed",
        }
    }

    fn parse(text: &str) -> Result<Self, sqlx::Error> {
        Ok(match text {
            "queued" => SourceStatus::Queued,
            "parsing" => SourceStatus::Parsing,
            "embedding" => SourceStatus::Embedding,
            "ready" => SourceStatus::Ready,
            "failed" => SourceStatus::Failed,
            other => {
                return Err(sqlx::Error::Decode(
                    format!("unknown source status {other:?}").into(),
                ));
            }
        })
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Source {
    pub id: String,
    pub workspace_id: String,
    pub knowledge_base_id: String,
    /// The file name or URL.
    pub name: String,
    pub kind: SourceKind,
    /// The URL, or the checksum that names the kept file.
    pub location: String,
    pub checksum: Option<String>,
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
    pub kind: SourceKind,
    pub location: String,
    pub checksum: Option<String>,
}

impl Source {
    pub(crate) fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Source {
            id: row.try_get("id")?,
            workspace_id: row.try_get("workspace_id")?,
            knowledge_base_id: row.try_get("knowledge_base_id")?,
            name: row.try_get("name")?,
            kind: match row.try_get::<String, _>("kind")?.as_str() {
                "url" => SourceKind::Url,
                _ => SourceKind::File,
            },
            location: row.try_get("location")?,
            checksum: row.try_get("checksum")?,
            status: SourceStatus::parse(&row.try_get::<String, _>("status")?)?,
            progress_done: row.try_get("progress_done")?,
            progress_total: row.try_get("progress_total")?,
            chunks: row.try_get("chunks")?,
            error: row.try_get("error")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        })
    }
}

pub(crate) const SOURCE_COLUMNS: &str = "id, workspace_id, knowledge_base_id, name, kind, location, checksum, status, progress_done, progress_total, chunks, error, created_at, updated_at";

impl Store {
    pub async fn create_knowledge_base(
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
        let mut transaction = self.pool.begin().await?;
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

    pub async fn knowledge_base(
        &self,
        workspace: &str,
        id: &str,
    ) -> Result<KnowledgeBase, StoreError> {
        let row = sqlx::query(
            "SELECT id, name, created_at FROM knowledge_bases WHERE id = $1 AND workspace_id = $2",
        )
        .bind(id)
        .bind(workspace)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound("knowledge base"))?;
        Ok(KnowledgeBase {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            created_at: row.try_get("created_at")?,
        })
    }

    pub async fn knowledge_bases(&self, workspace: &str) -> Result<Vec<KnowledgeBase>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, name, created_at FROM knowledge_bases WHERE workspace_id = $1
             ORDER BY created_at, id",
        )
        .bind(workspace)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(KnowledgeBase {
                    id: row.try_get("id")?,
                    name: row.try_get("name")?,
                    created_at: row.try_get("created_at")?,
                })
            })
            .collect()
    }

    /// Deletes the knowledge base's record and its sources' records; the caller removes their
    /// points from the index first.
    pub async fn delete_knowledge_base(
        &self,
        workspace: &str,
        actor: &str,
        id: &str,
    ) -> Result<(), StoreError> {
        self.delete_owned("knowledge_bases", "knowledge base", workspace, actor, id)
            .await
    }

    /// Adds a source and the job that will ingest it, in one transaction: a source is never
    /// without its job.
    pub async fn create_source(
        &self,
        workspace: &str,
        actor: &str,
        knowledge_base: &str,
        source: NewSource,
    ) -> Result<Source, StoreError> {
        self.knowledge_base(workspace, knowledge_base).await?;
        let created = now();
        let id = new_id();
        let mut transaction = self.pool.begin().await?;
        let row = sqlx::query(&format!(
            "INSERT INTO sources (id, workspace_id, knowledge_base_id, name, kind, location,
                 checksum, status, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'queued', $8, $8)
             RETURNING {SOURCE_COLUMNS}"
        ))
        .bind(&id)
        .bind(workspace)
        .bind(knowledge_base)
        .bind(&source.name)
        .bind(match source.kind {
            SourceKind::File => "file",
            SourceKind::Url => "url",
        })
        .bind(&source.location)
        .bind(source.checksum.clone())
        .bind(created)
        .fetch_one(&mut *transaction)
        .await?;
        crate::jobs::enqueue(&mut transaction, workspace, &id, created).await?;
        audit::record(&mut transaction, workspace, actor, "source.create", &id).await?;
        transaction.commit().await?;
        Ok(Source::from_row(&row)?)
    }

    pub async fn source(&self, workspace: &str, id: &str) -> Result<Source, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {SOURCE_COLUMNS} FROM sources WHERE id = $1 AND workspace_id = $2"
        ))
        .bind(id)
        .bind(workspace)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound("source"))?;
        Ok(Source::from_row(&row)?)
    }

    pub async fn sources(
        &self,
        workspace: &str,
        knowledge_base: &str,
    ) -> Result<Vec<Source>, StoreError> {
        self.knowledge_base(workspace, knowledge_base).await?;
        let rows = sqlx::query(&format!(
            "SELECT {SOURCE_COLUMNS} FROM sources
             WHERE workspace_id = $1 AND knowledge_base_id = $2 ORDER BY created_at, id"
        ))
        .bind(workspace)
        .bind(knowledge_base)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(Source::from_row)
            .collect::<Result<_, _>>()?)
    }

    /// Deletes the source's record (and its jobs); the caller removes its points first.
    pub async fn delete_source(
        &self,
        workspace: &str,
        actor: &str,
        id: &str,
    ) -> Result<(), StoreError> {
        self.delete_owned("sources", "source", workspace, actor, id)
            .await
    }

    /// Queues the source to be ingested again (a changed upload, a page that moved on).
    /// A source whose job is still waiting or running keeps that job.
    pub async fn resync_source(
        &self,
        workspace: &str,
        actor: &str,
        id: &str,
        replacement: Option<NewSource>,
    ) -> Result<Source, StoreError> {
        let updated = now();
        let mut transaction = self.pool.begin().await?;
        let requeue = format!(
            "UPDATE sources SET status = 'queued', error = NULL, progress_done = 0,
                 progress_total = 0, updated_at = $1, name = COALESCE($2, name),
                 location = COALESCE($3, location), checksum = COALESCE($4, checksum)
             WHERE id = $5 AND workspace_id = $6 RETURNING {SOURCE_COLUMNS}"
        );
        let row = sqlx::query(&requeue)
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
        let pending: i64 = sqlx::query(
            "SELECT COUNT(*) FROM jobs WHERE source_id = $1 AND state IN ('queued', 'running')",
        )
        .bind(id)
        .fetch_one(&mut *transaction)
        .await?
        .try_get(0)?;
        if pending == 0 {
            crate::jobs::enqueue(&mut transaction, workspace, id, updated).await?;
        }
        audit::record(&mut transaction, workspace, actor, "source.resync", id).await?;
        transaction.commit().await?;
        Ok(Source::from_row(&row)?)
    }

    /// Records how far ingestion got. Returns false when the source is gone (deleted while it
    /// was being ingested).
    pub async fn source_progress(
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
        .bind(status.as_str())
        .bind(done)
        .bind(total)
        .bind(now())
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(updated.rows_affected() > 0)
    }
}
