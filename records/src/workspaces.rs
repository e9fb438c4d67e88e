//! Workspaces: the tenants. Every other record belongs to one.

use serde::Serialize;

use sqlx::AnyConnection;

use crate::audit;
use crate::error::StoreError;
use crate::store::{Store, new_id, now};

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Workspace {
    pub id: String,
    pub name: String,
    pub plan: String,
    /// Credits the plan grants.
    pub credit_allowance: i64,
    /// Credits left.
    pub credit_balance: i64,
    pub created_at: i64,
}

const WORKSPACE_COLUMNS: &str = "id, name, plan, credit_allowance, credit_balance, created_at";

/// The workspaces area of the records.
pub struct Workspaces<'a>(pub(crate) &'a Store);

impl Workspaces<'_> {
    /// A new workspace on `plan`, its balance the plan's allowance.
    pub async fn create(
        &self,
        name: &str,
        plan: &str,
        allowance: i64,
    ) -> Result<Workspace, StoreError> {
        let mut transaction = self.0.write().await?;
        let workspace = insert_in(&mut transaction, name, plan, allowance).await?;
        transaction.commit().await?;
        Ok(workspace)
    }

    /// Whether the service has any workspace (a fresh install has none).
    pub async fn any(&self) -> Result<bool, StoreError> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM workspaces")
            .fetch_one(&self.0.pool)
            .await?;
        Ok(count > 0)
    }

    pub async fn get(&self, id: &str) -> Result<Workspace, StoreError> {
        sqlx::query_as(&format!(
            "SELECT {WORKSPACE_COLUMNS} FROM workspaces WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.0.pool)
        .await?
        .ok_or(StoreError::NotFound("workspace"))
    }

    /// The workspace with this name, if one exists (the demo finds its own this way).
    pub async fn named(&self, name: &str) -> Result<Option<Workspace>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "SELECT {WORKSPACE_COLUMNS} FROM workspaces WHERE name = $1 ORDER BY created_at LIMIT 1"
        ))
        .bind(name)
        .fetch_optional(&self.0.pool)
        .await?)
    }
}

/// Writes a new workspace, its allowance and the audit entry, in the caller's transaction.
pub(crate) async fn insert_in(
    connection: &mut AnyConnection,
    name: &str,
    plan: &str,
    allowance: i64,
) -> Result<Workspace, StoreError> {
    let workspace = Workspace {
        id: new_id(),
        name: name.to_string(),
        plan: plan.to_string(),
        credit_allowance: allowance,
        credit_balance: allowance,
        created_at: now(),
    };
    sqlx::query(&format!(
        "INSERT INTO workspaces ({WORKSPACE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)"
    ))
    .bind(&workspace.id)
    .bind(&workspace.name)
    .bind(&workspace.plan)
    .bind(workspace.credit_allowance)
    .bind(workspace.credit_balance)
    .bind(workspace.created_at)
    .execute(&mut *connection)
    .await?;
    crate::credits::insert_entry(
        connection,
        &workspace.id,
        allowance,
        &format!("{plan} plan allowance"),
    )
    .await?;
    audit::record(
        connection,
        &workspace.id,
        "system",
        "workspace.create",
        &workspace.id,
    )
    .await?;
    Ok(workspace)
}
