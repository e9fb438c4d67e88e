//! Who changed what: written in the same transaction as the change it records.

use serde::Serialize;
use sqlx::AnyConnection;

use crate::error::StoreError;
use crate::page::{self, BEFORE, Listed, Page};
use crate::store::{Store, new_id, now};

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct AuditEntry {
    pub id: String,
    /// `key:<id>`, `user:<id>` or `system`.
    pub actor: String,
    pub action: String,
    pub target: String,
    pub created_at: i64,
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

/// Deletes the row `id` of `table` if it is the workspace's, with its audit entry
/// (`agent.delete`, `knowledge_base.delete`, ...) in the caller's transaction; rows that hang
/// off it go by cascade. `table` is one of the store's own table names, never input.
pub(crate) async fn delete_owned(
    connection: &mut AnyConnection,
    table: &'static str,
    what: &'static str,
    workspace: &str,
    actor: &str,
    id: &str,
) -> Result<(), StoreError> {
    let deleted = sqlx::query(&format!(
        "DELETE FROM {table} WHERE id = $1 AND workspace_id = $2"
    ))
    .bind(id)
    .bind(workspace)
    .execute(&mut *connection)
    .await?;
    if deleted.rows_affected() == 0 {
        return Err(StoreError::NotFound(what));
    }
    let action = format!("{}.delete", what.replace(' ', "_"));
    record(connection, workspace, actor, &action, id).await?;
    Ok(())
}

/// The audit-log area of the records.
pub struct AuditLog<'a>(pub(crate) &'a Store);

impl AuditLog<'_> {
    /// The workspace's audit log, newest first.
    pub async fn list(
        &self,
        workspace: &str,
        page: &Page,
    ) -> Result<Listed<AuditEntry>, StoreError> {
        let sql = format!(
            "SELECT id, actor, action, target, created_at FROM audit_log
             WHERE workspace_id = $1 {BEFORE} ORDER BY created_at DESC, id DESC LIMIT $4"
        );
        page::fetch(&self.0.pool, &sql, workspace, &[], page).await
    }
}
