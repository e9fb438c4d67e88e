//! Turns an agent produced through the API, and the thumbs up/down people give them.

use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit;
use crate::error::StoreError;
use crate::store::{Store, new_id, now};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TurnRecord {
    pub id: String,
    pub agent_id: String,
    pub agent_version: i64,
    pub question: String,
    /// The turn as the API returned it (JSON).
    pub turn: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Rating {
    Up,
    Down,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FeedbackRecord {
    pub id: String,
    pub turn_id: String,
    pub rating: Rating,
    pub correction: Option<String>,
    pub created_at: i64,
}

impl TurnRecord {
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(TurnRecord {
            id: row.try_get("id")?,
            agent_id: row.try_get("agent_id")?,
            agent_version: row.try_get("agent_version")?,
            question: row.try_get("question")?,
            turn: row.try_get("turn")?,
            created_at: row.try_get("created_at")?,
        })
    }
}

impl Store {
    pub async fn record_turn(&self, workspace: &str, turn: &TurnRecord) -> Result<(), StoreError> {
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
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn turn(&self, workspace: &str, id: &str) -> Result<TurnRecord, StoreError> {
        let row = sqlx::query(
            "SELECT id, agent_id, agent_version, question, turn, created_at FROM turns
             WHERE id = $1 AND workspace_id = $2",
        )
        .bind(id)
        .bind(workspace)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound("turn"))?;
        Ok(TurnRecord::from_row(&row)?)
    }

    pub async fn record_feedback(
        &self,
        workspace: &str,
        actor: &str,
        turn: &str,
        rating: Rating,
        correction: Option<&str>,
    ) -> Result<FeedbackRecord, StoreError> {
        self.turn(workspace, turn).await?;
        let feedback = FeedbackRecord {
            id: new_id(),
            turn_id: turn.to_string(),
            rating,
            correction: correction.map(str::to_string),
            created_at: now(),
        };
        let mut transaction = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO feedback (id, workspace_id, turn_id, rating, correction, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&feedback.id)
        .bind(workspace)
        .bind(turn)
        .bind(match rating {
            Rating::Up => "up",
            Rating::Down => "down",
        })
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

    /// An agent's rated turns, oldest first: what an eval suite is built from.
    pub async fn rated_turns(
        &self,
        workspace: &str,
        agent: &str,
    ) -> Result<Vec<(TurnRecord, FeedbackRecord)>, StoreError> {
        let rows = sqlx::query(
            "SELECT turns.id, turns.agent_id, turns.agent_version, turns.question, turns.turn,
                    turns.created_at, feedback.id AS feedback_id, feedback.rating,
                    feedback.correction, feedback.created_at AS rated_at
             FROM feedback JOIN turns ON turns.id = feedback.turn_id
             WHERE feedback.workspace_id = $1 AND turns.agent_id = $2
             ORDER BY feedback.created_at, feedback.id",
        )
        .bind(workspace)
        .bind(agent)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let turn = TurnRecord::from_row(row)?;
                let feedback = FeedbackRecord {
                    id: row.try_get("feedback_id")?,
                    turn_id: turn.id.clone(),
                    rating: if row.try_get::<String, _>("rating")? == "up" {
                        Rating::Up
                    } else {
                        Rating::Down
                    },
                    correction: row.try_get("correction")?,
                    created_at: row.try_get("rated_at")?,
                };
                Ok((turn, feedback))
            })
            .collect()
    }
}
