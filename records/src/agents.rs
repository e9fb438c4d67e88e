//! Agents as records: the configuration (JSON text the service validates before it stores it)
//! and every earlier version of it.

use serde::Serialize;

use crate::audit;
use crate::error::StoreError;
use crate::jobs::{self, Job};
use crate::page::{self, AFTER, Cursor, Listed, Page};
use crate::store::{Store, new_id, now};

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct AgentRecord {
    pub id: String,
    pub workspace_id: String,
    pub name: String,
    /// Starts at 1; every update adds one.
    pub version: i64,
    /// The agent's configuration as JSON.
    pub config: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct AgentVersion {
    pub version: i64,
    pub config: String,
    pub created_at: i64,
}

const AGENT_COLUMNS: &str = "id, workspace_id, name, version, config, created_at, updated_at";

/// The agents area of the records.
pub struct Agents<'a>(pub(crate) &'a Store);

impl Agents<'_> {
    pub async fn create(
        &self,
        workspace: &str,
        actor: &str,
        name: &str,
        config: &str,
    ) -> Result<AgentRecord, StoreError> {
        let created = now();
        let agent = AgentRecord {
            id: new_id(),
            workspace_id: workspace.to_string(),
            name: name.to_string(),
            version: 1,
            config: config.to_string(),
            created_at: created,
            updated_at: created,
        };
        let mut transaction = self.0.write().await?;
        sqlx::query(&format!(
            "INSERT INTO agents ({AGENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        ))
        .bind(&agent.id)
        .bind(workspace)
        .bind(&agent.name)
        .bind(agent.version)
        .bind(&agent.config)
        .bind(created)
        .bind(created)
        .execute(&mut *transaction)
        .await?;
        insert_version(&mut transaction, &agent.id, 1, config, created).await?;
        audit::record(
            &mut transaction,
            workspace,
            actor,
            "agent.create",
            &agent.id,
        )
        .await?;
        transaction.commit().await?;
        Ok(agent)
    }

    /// Stores a new version of the agent's configuration.
    pub async fn update(
        &self,
        workspace: &str,
        actor: &str,
        id: &str,
        name: &str,
        config: &str,
    ) -> Result<AgentRecord, StoreError> {
        let updated = now();
        let mut transaction = self.0.write().await?;
        let agent: AgentRecord = sqlx::query_as(&format!(
            "UPDATE agents SET name = $1, config = $2, version = version + 1, updated_at = $3
             WHERE id = $4 AND workspace_id = $5 RETURNING {AGENT_COLUMNS}"
        ))
        .bind(name)
        .bind(config)
        .bind(updated)
        .bind(id)
        .bind(workspace)
        .fetch_optional(&mut *transaction)
        .await?
        .ok_or(StoreError::NotFound("agent"))?;
        insert_version(&mut transaction, id, agent.version, config, updated).await?;
        audit::record(&mut transaction, workspace, actor, "agent.update", id).await?;
        transaction.commit().await?;
        Ok(agent)
    }

    pub async fn get(&self, workspace: &str, id: &str) -> Result<AgentRecord, StoreError> {
        sqlx::query_as(&format!(
            "SELECT {AGENT_COLUMNS} FROM agents WHERE id = $1 AND workspace_id = $2"
        ))
        .bind(id)
        .bind(workspace)
        .fetch_optional(&self.0.pool)
        .await?
        .ok_or(StoreError::NotFound("agent"))
    }

    /// The workspace's agents, oldest first.
    pub async fn list(
        &self,
        workspace: &str,
        page: &Page,
    ) -> Result<Listed<AgentRecord>, StoreError> {
        let sql = format!(
            "SELECT {AGENT_COLUMNS} FROM agents WHERE workspace_id = $1 {AFTER}
             ORDER BY created_at, id LIMIT $4"
        );
        page::fetch(&self.0.pool, &sql, workspace, &[], page).await
    }

    /// An agent's versions, first first (the cursor's time is the version number).
    pub async fn versions(
        &self,
        workspace: &str,
        id: &str,
        page: &Page,
    ) -> Result<Listed<AgentVersion>, StoreError> {
        self.get(workspace, id).await?;
        let (after, _) = page.bounds(None)?;
        let rows: Vec<AgentVersion> = sqlx::query_as(
            "SELECT version, config, created_at FROM agent_versions
             WHERE agent_id = $1 AND (CAST($2 AS BIGINT) IS NULL OR version > $2)
             ORDER BY version LIMIT $3",
        )
        .bind(id)
        .bind(after)
        .bind(page.fetch())
        .fetch_all(&self.0.pool)
        .await?;
        Ok(page.cut(rows, |row| Cursor::new(row.version, id)))
    }

    /// The agent as it was at `version`: its record with that version's configuration.
    pub async fn at_version(
        &self,
        workspace: &str,
        id: &str,
        version: i64,
    ) -> Result<AgentRecord, StoreError> {
        let mut record = self.get(workspace, id).await?;
        let stored: AgentVersion = sqlx::query_as(
            "SELECT version, config, created_at FROM agent_versions
             WHERE agent_id = $1 AND version = $2",
        )
        .bind(id)
        .bind(version)
        .fetch_optional(&self.0.pool)
        .await?
        .ok_or(StoreError::NotFound("agent version"))?;
        record.version = stored.version;
        record.config = stored.config;
        record.updated_at = stored.created_at;
        Ok(record)
    }

    pub async fn delete(&self, workspace: &str, actor: &str, id: &str) -> Result<(), StoreError> {
        let mut transaction = self.0.write().await?;
        // Its runs go with it (the tables cascade); a run at work stops at its next renewal.
        let runs: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM eval_runs WHERE agent_id = $1 AND workspace_id = $2 AND status = 'queued'",
        )
        .bind(id)
        .bind(workspace)
        .fetch_all(&mut *transaction)
        .await?;
        for run in runs {
            let job = Job::RunEval { run_id: run };
            if let Some(key) = job.dedupe_key() {
                jobs::cancel_in(&mut transaction, &key).await?;
            }
        }
        audit::delete_owned(&mut transaction, "agents", "agent", workspace, actor, id).await?;
        transaction.commit().await?;
        Ok(())
    }
}

async fn insert_version(
    connection: &mut sqlx::AnyConnection,
    agent: &str,
    version: i64,
    config: &str,
    created: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO agent_versions (agent_id, version, config, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(agent)
    .bind(version)
    .bind(config)
    .bind(created)
    .execute(connection)
    .await?;
    Ok(())
}
