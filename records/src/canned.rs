//! Canned responses: short codes people type for texts they send often, shared by the
//! workspace or a person's own.

use serde::Serialize;

use crate::error::StoreError;
use crate::store::{Store, new_id, now};

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct CannedResponse {
    pub id: String,
    /// The person whose own it is; null: shared by the workspace.
    pub owner_id: Option<String>,
    pub short_code: String,
    /// With `{{contact.name}}`-style variables.
    pub text: String,
    pub created_at: i64,
}

const COLUMNS: &str = "id, owner_id, short_code, text, created_at";

/// The canned-responses area of the records.
pub struct CannedResponses<'a>(pub(crate) &'a Store);

impl CannedResponses<'_> {
    pub async fn create(
        &self,
        workspace: &str,
        owner: Option<&str>,
        short_code: &str,
        text: &str,
    ) -> Result<CannedResponse, StoreError> {
        let canned = CannedResponse {
            id: new_id(),
            owner_id: owner.map(str::to_string),
            short_code: short_code.to_string(),
            text: text.to_string(),
            created_at: now(),
        };
        sqlx::query(
            "INSERT INTO canned_responses (id, workspace_id, owner_id, short_code, text, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&canned.id)
        .bind(workspace)
        .bind(canned.owner_id.clone())
        .bind(&canned.short_code)
        .bind(&canned.text)
        .bind(canned.created_at)
        .execute(self.0.writer())
        .await
        .map_err(|error| {
            StoreError::conflict_or(error, || {
                format!("short_code: {short_code:?} is taken already")
            })
        })?;
        Ok(canned)
    }

    /// The responses a person may use (the shared ones and their own) whose short code starts
    /// with `prefix`, by short code; a person's own first where both have one code.
    pub async fn usable(
        &self,
        workspace: &str,
        person: Option<&str>,
        prefix: &str,
    ) -> Result<Vec<CannedResponse>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM canned_responses
             WHERE workspace_id = $1 AND (owner_id IS NULL OR owner_id = $2)
               AND substr(short_code, 1, length($3)) = $3
             ORDER BY short_code, owner_id IS NULL, id LIMIT 200"
        ))
        .bind(workspace)
        .bind(person.unwrap_or_default())
        .bind(prefix)
        .fetch_all(&self.0.pool)
        .await?)
    }

    /// Deletes a response: a person their own, an admin (`person` none) any.
    pub async fn delete(
        &self,
        workspace: &str,
        person: Option<&str>,
        id: &str,
    ) -> Result<(), StoreError> {
        delete_own(
            self.0,
            "canned_responses",
            "canned response",
            workspace,
            person,
            id,
        )
        .await
    }
}

/// Deletes a record of `table` that is a person's own or shared: a person (`person`) only
/// their own, an admin (`person` none) any.
pub(crate) async fn delete_own(
    store: &Store,
    table: &'static str,
    what: &'static str,
    workspace: &str,
    person: Option<&str>,
    id: &str,
) -> Result<(), StoreError> {
    let deleted = sqlx::query(&format!(
        "DELETE FROM {table} WHERE id = $1 AND workspace_id = $2
           AND (CAST($3 AS TEXT) IS NULL OR owner_id = $3)"
    ))
    .bind(id)
    .bind(workspace)
    .bind(person.map(str::to_string))
    .execute(store.writer())
    .await?;
    if deleted.rows_affected() == 0 {
        return Err(StoreError::NotFound(what));
    }
    Ok(())
}
