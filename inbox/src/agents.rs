//! Agents as records: the configuration (JSON text the service validates before it stores it)
//! and every earlier version of it.

use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit;
use crate::error::StoreError;
use crate::store::{Store, new_id, now};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
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

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AgentVersion {
    pub version: i64,
    pub config: String,
    pub created_at: i64,
}

impl AgentRecord {
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(AgentRecord {
            id: row.try_get("id")?,
            workspace_id: row.try_get("workspace_id")?,
            name: row.try_get("name")?,
            version: row.try_get("version")?,
            config: row.try_get("config")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        })
    }
}

const AGENT_COLUMNS: &str = "id, workspace_id, name, version, config, created_at, updated_at";

impl Store {
    pub async fn create_agent(
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
        let mut transaction = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO agents (id, workspace_id, name, version, config, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
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
    pub async fn update_agent(
        &self,
        workspace: &str,
        actor: &str,
        id: &str,
        name: &str,
        config: &str,
    ) -> Result<AgentRecord, StoreError> {
        let updated = now();
        let mut transaction = self.pool.begin().await?;
        let row = sqlx::query(&format!(
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
        let agent = AgentRecord::from_row(&row)?;
        insert_version(&mut transaction, id, agent.version, config, updated).await?;
        audit::record(&mut transaction, workspace, actor, "agent.update", id).await?;
        transaction.commit().await?;
        Ok(agent)
    }

    pub async fn agent(&self, workspace: &str, id: &str) -> Result<AgentRecord, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {AGENT_COLUMNS} FROM agents WHERE id = $1 AND workspace_id = $2"
        ))
        .bind(id)
        .bind(workspace)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound("agent"))?;
        Ok(AgentRecord::from_row(&row)?)
    }

    pub async fn agents(&self, workspace: &str) -> Result<Vec<AgentRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {AGENT_COLUMNS} FROM agents WHERE workspace_id = $1 ORDER BY created_at, id"
        ))
        .bind(workspace)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(AgentRecord::from_row)
            .collect::<Result<_, _>>()?)
    }

    pub async fn agent_versions(
        &self,
        workspace: &str,
        id: &str,
    ) -> Result<Vec<AgentVersion>, StoreError> {
        self.agent(workspace, id).await?;
        let rows = sqlx::query(
            "SELECT version, config, created_at FROM agent_versions
             WHERE agent_id = $1 ORDER BY version",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(AgentVersion {
                    version: row.try_get("version")?,
                    config: row.try_get("config")?,
                    created_at: row.try_get("created_at")?,
                })
            })
            .collect()
    }

    pub async fn delete_agent(
        &self,
        workspace: &str,
        actor: &str,
        id: &str,
    ) -> Result<(), StoreError> {
        self.delete_owned("agents", "agent", workspace, actor, id)
            .await
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
