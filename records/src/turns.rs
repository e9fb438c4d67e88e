//! Turns an agent produced through the API, and the thumbs up/down people give them.

use serde::Serialize;
use types::Rating;

use crate::audit;
use crate::error::StoreError;
use crate::page::{Cursor, Listed, Page};
use crate::store::{Store, new_id, now};

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct TurnRecord {
    pub id: String,
    pub agent_id: String,
    pub agent_version: i64,
    pub question: String,
    /// The turn as the API returned it (JSON).
    pub turn: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct FeedbackRecord {
    pub id: String,
    pub turn_id: String,
    #[sqlx(try_from = "String")]
    pub rating: Rating,
    pub correction: Option<String>,
    pub created_at: i64,
}

/// A rated turn as one row: the turn, then its rating.
#[derive(sqlx::FromRow)]
struct RatedRow {
    #[sqlx(flatten)]
    turn: TurnRecord,
    feedback_id: String,
    #[sqlx(try_from = "String")]
    rating: Rating,
    correction: Option<String>,
    rated_at: i64,
}

/// The turns-and-feedback area of the records.
pub struct Turns<'a>(pub(crate) &'a Store);

impl Turns<'_> {
    pub async fn record(&self, workspace: &str, turn: &TurnRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO turns (id, workspace_id, agent_id, agent_version, question, turn, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&turn.id)
        .bind(workspace)
        .bind(&turn.agent_id)
        .bind(turn.agent_version)
        .bind(&turn.question)
        .bind(&turn.turn)
        .bind(turn.created_at)
        .execute(self.0.writer())
        .await?;
        Ok(())
    }

    pub async fn get(&self, workspace: &str, id: &str) -> Result<TurnRecord, StoreError> {
        sqlx::query_as(
            "SELECT id, agent_id, agent_version, question, turn, created_at FROM turns
             WHERE id = $1 AND workspace_id = $2",
        )
        .bind(id)
        .bind(workspace)
        .fetch_optional(&self.0.pool)
        .await?
        .ok_or(StoreError::NotFound("turn"))
    }

    pub async fn rate(
        &self,
        workspace: &str,
        actor: &str,
        turn: &str,
        rating: Rating,
        correction: Option<&str>,
    ) -> Result<FeedbackRecord, StoreError> {
        self.get(workspace, turn).await?;
        let feedback = FeedbackRecord {
            id: new_id(),
            turn_id: turn.to_string(),
            rating,
            correction: correction.map(str::to_string),
            created_at: now(),
        };
        let mut transaction = self.0.write().await?;
        sqlx::query(
            "INSERT INTO feedback (id, workspace_id, turn_id, rating, correction, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&feedback.id)
        .bind(workspace)
        .bind(turn)
        .bind(rating.to_string())
        .bind(feedback.correction.clone())
        .bind(feedback.created_at)
        .execute(&mut *transaction)
        .await?;
        audit::record(
            &mut transaction,
            workspace,
            actor,
            "feedback.create",
            &feedback.id,
        )
        .await?;
        transaction.commit().await?;
        Ok(feedback)
    }

    /// An agent's rated turns, oldest rating first: what an eval suite is built from.
    pub async fn rated(
        &self,
        workspace: &str,
        agent: &str,
        page: &Page,
    ) -> Result<Listed<(TurnRecord, FeedbackRecord)>, StoreError> {
        let (at, id) = page.bounds(None)?;
        let rows: Vec<RatedRow> = sqlx::query_as(
            "SELECT turns.id, turns.agent_id, turns.agent_version, turns.question, turns.turn,
                    turns.created_at, feedback.id AS feedback_id, feedback.rating,
                    feedback.correction, feedback.created_at AS rated_at
             FROM feedback JOIN turns ON turns.id = feedback.turn_id
             WHERE feedback.workspace_id = $1 AND turns.agent_id = $5
               AND (CAST($2 AS BIGINT) IS NULL OR feedback.created_at > $2
                    OR (feedback.created_at = $2 AND feedback.id > $3))
             ORDER BY feedback.created_at, feedback.id LIMIT $4",
        )
        .bind(workspace)
        .bind(at)
        .bind(id)
        .bind(page.fetch())
        .bind(agent)
        .fetch_all(&self.0.pool)
        .await?;
        let rows = rows
            .into_iter()
            .map(|row| {
                let feedback = FeedbackRecord {
                    id: row.feedback_id,
                    turn_id: row.turn.id.clone(),
                    rating: row.rating,
                    correction: row.correction,
                    created_at: row.rated_at,
                };
                (row.turn, feedback)
            })
            .collect();
        Ok(
            page.cut(rows, |(_, feedback): &(TurnRecord, FeedbackRecord)| {
                Cursor::new(feedback.created_at, &feedback.id)
            }),
        )
    }
}
