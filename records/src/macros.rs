//! Macros: named lists of actions (stored as JSON, read by the inbox's rules) that people run
//! on a conversation; shared by the workspace or a person's own.

use crate::canned::delete_own;
use crate::error::StoreError;
use crate::store::{Store, new_id, now};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MacroRecord {
    pub id: String,
    /// The person whose own it is; none: shared by the workspace.
    pub owner_id: Option<String>,
    pub name: String,
    /// JSON: the list of actions.
    pub actions: String,
    pub created_at: i64,
}

const COLUMNS: &str = "id, owner_id, name, actions, created_at";

/// The macros area of the records.
pub struct Macros<'a>(pub(crate) &'a Store);

impl Macros<'_> {
    pub async fn create(
        &self,
        workspace: &str,
        owner: Option<&str>,
        name: &str,
        actions: &str,
    ) -> Result<MacroRecord, StoreError> {
        let record = MacroRecord {
            id: new_id(),
            owner_id: owner.map(str::to_string),
            name: name.to_string(),
            actions: actions.to_string(),
            created_at: now(),
        };
        sqlx::query(
            "INSERT INTO macros (id, workspace_id, owner_id, name, actions, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&record.id)
        .bind(workspace)
        .bind(record.owner_id.clone())
        .bind(&record.name)
        .bind(&record.actions)
        .bind(record.created_at)
        .execute(self.0.writer())
        .await?;
        Ok(record)
    }

    /// The macros a person may run: the shared ones and their own, oldest first.
    pub async fn usable(
        &self,
        workspace: &str,
        person: Option<&str>,
    ) -> Result<Vec<MacroRecord>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM macros
             WHERE workspace_id = $1 AND (owner_id IS NULL OR owner_id = $2)
             ORDER BY created_at, id LIMIT 500"
        ))
        .bind(workspace)
        .bind(person.unwrap_or_default())
        .fetch_all(&self.0.pool)
        .await?)
    }

    /// A macro the person may run.
    pub async fn get(
        &self,
        workspace: &str,
        person: Option<&str>,
        id: &str,
    ) -> Result<MacroRecord, StoreError> {
        sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM macros
             WHERE id = $1 AND workspace_id = $2 AND (owner_id IS NULL OR owner_id = $3)"
        ))
        .bind(id)
        .bind(workspace)
        .bind(person.unwrap_or_default())
        .fetch_optional(&self.0.pool)
        .await?
        .ok_or(StoreError::NotFound("macro"))
    }

    /// Deletes a macro: a person their own, an admin (`person` none) any.
    pub async fn delete(
        &self,
        workspace: &str,
        person: Option<&str>,
        id: &str,
    ) -> Result<(), StoreError> {
        delete_own(self.0, "macros", "macro", workspace, person, id).await
    }
}
