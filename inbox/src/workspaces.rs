use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit;
use crate::error::StoreError;
use crate::store::{Store, new_id, now};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
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

impl Workspace {
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Workspace {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            plan: row.try_get("plan")?,
            credit_allowance: row.try_get("credit_allowance")?,
            credit_balance: row.try_get("credit_balance")?,
            created_at: row.try_get("created_at")?,
        })
    }
}

impl Store {
    /// A new workspace on `plan`, its balance the plan's allowance.
    pub async fn create_workspace(
        &self,
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
        let mut transaction = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO workspaces (id, name, plan, credit_allowance, credit_balance, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&workspace.id)
        .bind(&workspace.name)
        .bind(&workspace.plan)
        .bind(workspace.credit_allowance)
        .bind(workspace.credit_balance)
        .bind(workspace.created_at)
        .execute(&mut *transaction)
        .await?;
        sqlx::query(
            "INSERT INTO credit_ledger (id, workspace_id, delta, reason, created_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(new_id())
        .bind(&workspace.id)
        .bind(allowance)
        .bind(format!("{plan} plan allowance"))
        .bind(workspace.created_at)
        .execute(&mut *transaction)
        .await?;
        audit::record(
            &mut transaction,
            &workspace.id,
            "system",
            "workspace.create",
            &workspace.id,
        )
        .await?;
        transaction.commit().await?;
        Ok(workspace)
    }

    pub async fn workspace(&self, id: &str) -> Result<Workspace, StoreError> {
        let row = sqlx::query(
            "SELECT id, name, plan, credit_allowance, credit_balance, created_at
             FROM workspaces WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound("workspace"))?;
        Ok(Workspace::from_row(&row)?)
    }

    /// The workspace with this name, if one exists (the demo finds its own this way).
    pub async fn workspace_named(&self, name: &str) -> Result<Option<Workspace>, StoreError> {
        let row = sqlx::query(
            "SELECT id, name, plan, credit_allowance, credit_balance, created_at
             FROM workspaces WHERE name = $1 ORDER BY created_at LIMIT 1",
        )
        .bind(name)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.as_ref().map(Workspace::from_row).transpose()?)
    }
}
