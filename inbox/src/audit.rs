//! Who changed what: written in the same transaction as the change it records.

use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::error::StoreError;
use crate::store::{Store, new_id, now};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub id: String,
    /// `key:<id>`, `user:<id>` or `system`.
    pub actor: String,
    pub action: String,
    pub target: String,
    pub created_at: i64,
}

impl AuditEntry {
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(AuditEntry {
            id: row.try_get("id")?,
            actor: row.try_get("actor")?,
            action: row.try_get("action")?,
            target: row.try_get("target")?,
            created_at: row.try_get("created_at")?,
        })
    }
}

pub(crate) async fn record(
    connection: &mut AnyConnection,
    workspace: &str,
    actor: &str,
    action: &str,
    target: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_log (id, workspace_id, actor, action, target, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(new_id())
    .bind(workspace)
    .bind(actor)
    .bind(action)
    .bind(target)
    .bind(now())
    .execute(connection)
    .await?;
    Ok(())
}

impl Store {
    /// Deletes the row `id` of `table` if it is the workspace's, with its audit entry
    /// (`agent.delete`, `knowledge_base.delete`, ...) in the same transaction; rows that hang
    /// off it go by cascade.
    /// `table` is one of the store's own table names, never input.
    pub(crate) async fn delete_owned(
        &self,
        table: &'static str,
        what: &'static str,
        workspace: &str,
        actor: &str,
        id: &str,
    ) -> Result<(), StoreError> {
        let mut transaction = self.pool.begin().await?;
        let deleted = sqlx::query(&format!(
            "DELETE FROM {table} WHERE id = $1 AND workspace_id = $2"
        ))
        .bind(id)
        .bind(workspace)
        .execute(&mut *transaction)
        .await?;
        if deleted.rows_affected() == 0 {
            return Err(StoreError::NotFound(what));
        }
        let action = format!("{}.delete", what.replace(' ', "_"));
        record(&mut transaction, workspace, actor, &action, id).await?;
        transaction.commit().await?;
        Ok(())
    }

    /// The workspace's audit log, newest first.
    pub async fn audit_log(
        &self,
        workspace: &str,
        limit: i64,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, actor, action, target, created_at FROM audit_log
             WHERE workspace_id = $1 ORDER BY created_at DESC, id LIMIT $2",
        )
        .bind(workspace)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(AuditEntry::from_row)
            .collect::<Result<_, _>>()?)
    }
}
