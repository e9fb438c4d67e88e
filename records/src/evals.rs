//! Eval runs: a suite queued against one version of an agent, then its report or its error.
//! A run is written in three steps (queued with its job, finished with its report, or failed),
//! each one statement or one transaction, so a run is never half-reported.

use serde::Serialize;

use crate::audit;
use crate::error::StoreError;
use crate::jobs::{self, Job, NewJob};
use crate::page::{self, AFTER, Listed, Page};
use crate::store::{Store, new_id, now};

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    strum::Display,
    strum::EnumString,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum EvalStatus {
    Queued,
    Done,
    Failed,
}
crate::stored_as_text!(EvalStatus);

/// A run as the records keep it; `suite` and `report` are JSON.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EvalRun {
    pub id: String,
    pub agent_id: String,
    pub agent_version: i64,
    pub suite_name: String,
    pub suite: String,
    pub cases: i64,
    #[sqlx(try_from = "String")]
    pub status: EvalStatus,
    pub passed: Option<i64>,
    /// The report's metrics (JSON), without its cases.
    pub metrics: Option<String>,
    /// Not read by [`EvalRuns::list`].
    pub report: Option<String>,
    pub error: Option<String>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
}

/// A run's report (JSON), its metrics alone (JSON) and how many cases passed.
pub struct EvalOutcome<'a> {
    pub report: &'a str,
    pub metrics: &'a str,
    pub passed: i64,
}

/// What a new run is: the agent and version it runs against, and its suite.
pub struct NewEvalRun<'a> {
    pub agent_id: &'a str,
    pub agent_version: i64,
    pub suite_name: &'a str,
    pub suite: &'a str,
    pub cases: i64,
}

const RUN_COLUMNS: &str = "id, agent_id, agent_version, suite_name, suite, cases, status, passed, \
                           metrics, report, error, created_at, finished_at";

/// The same without the report, which a list does not show.
const LISTED_COLUMNS: &str = "id, agent_id, agent_version, suite_name, suite, cases, status, \
                              passed, metrics, CAST(NULL AS TEXT) AS report, error, created_at, \
                              finished_at";

/// The eval runs area of the records.
pub struct EvalRuns<'a>(pub(crate) &'a Store);

impl EvalRuns<'_> {
    /// Records the run and queues its job, together.
    pub async fn create(
        &self,
        workspace: &str,
        actor: &str,
        new: &NewEvalRun<'_>,
    ) -> Result<EvalRun, StoreError> {
        let run = EvalRun {
            id: new_id(),
            agent_id: new.agent_id.to_string(),
            agent_version: new.agent_version,
            suite_name: new.suite_name.to_string(),
            suite: new.suite.to_string(),
            cases: new.cases,
            status: EvalStatus::Queued,
            passed: None,
            metrics: None,
            report: None,
            error: None,
            created_at: now(),
            finished_at: None,
        };
        let mut transaction = self.0.write().await?;
        sqlx::query(
            "INSERT INTO eval_runs (id, workspace_id, agent_id, agent_version, suite_name, suite,
                                    cases, status, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&run.id)
        .bind(workspace)
        .bind(&run.agent_id)
        .bind(run.agent_version)
        .bind(&run.suite_name)
        .bind(&run.suite)
        .bind(run.cases)
        .bind(run.status.to_string())
        .bind(run.created_at)
        .execute(&mut *transaction)
        .await?;
        let job = Job::RunEval {
            run_id: run.id.clone(),
        };
        jobs::enqueue_in(&mut transaction, &NewJob::now(job, Some(workspace))).await?;
        audit::record(
            &mut transaction,
            workspace,
            actor,
            "eval_run.create",
            &run.id,
        )
        .await?;
        transaction.commit().await?;
        Ok(run)
    }

    pub async fn get(&self, workspace: &str, id: &str) -> Result<EvalRun, StoreError> {
        sqlx::query_as(&format!(
            "SELECT {RUN_COLUMNS} FROM eval_runs WHERE id = $1 AND workspace_id = $2"
        ))
        .bind(id)
        .bind(workspace)
        .fetch_optional(&self.0.pool)
        .await?
        .ok_or(StoreError::NotFound("eval run"))
    }

    /// The agent's runs, oldest first.
    pub async fn list(
        &self,
        workspace: &str,
        agent: &str,
        page: &Page,
    ) -> Result<Listed<EvalRun>, StoreError> {
        self.0.agents().get(workspace, agent).await?;
        let sql = format!(
            "SELECT {LISTED_COLUMNS} FROM eval_runs
             WHERE workspace_id = $1 AND agent_id = $5 {AFTER}
             ORDER BY created_at, id LIMIT $4"
        );
        page::fetch(&self.0.pool, &sql, workspace, &[agent], page).await
    }

    /// The report of a queued run, and the end of its job, together; false when the run is
    /// not queued any more (it was finished, or deleted with its agent).
    pub async fn finish(
        &self,
        id: &str,
        outcome: &EvalOutcome<'_>,
        job: (&str, &str),
    ) -> Result<bool, StoreError> {
        self.end(id, EvalStatus::Done, Some(outcome), None, job)
            .await
    }

    /// Why a queued run could not run, and the end of its job, together.
    pub async fn fail(&self, id: &str, error: &str, job: (&str, &str)) -> Result<bool, StoreError> {
        self.end(id, EvalStatus::Failed, None, Some(error), job)
            .await
    }

    async fn end(
        &self,
        id: &str,
        status: EvalStatus,
        outcome: Option<&EvalOutcome<'_>>,
        error: Option<&str>,
        (job, worker): (&str, &str),
    ) -> Result<bool, StoreError> {
        let mut transaction = self.0.write().await?;
        let ended = sqlx::query(
            "UPDATE eval_runs SET status = $1, report = $2, passed = $3, error = $4,
                                  finished_at = $5, metrics = $7
             WHERE id = $6 AND status = 'queued'",
        )
        .bind(status.to_string())
        .bind(outcome.map(|outcome| outcome.report.to_string()))
        .bind(outcome.map(|outcome| outcome.passed))
        .bind(error.map(str::to_string))
        .bind(now())
        .bind(id)
        .bind(outcome.map(|outcome| outcome.metrics.to_string()))
        .execute(&mut *transaction)
        .await?
        .rows_affected()
            == 1;
        if !jobs::end_in(&mut transaction, job, worker, "done", None).await? {
            // The job is not this worker's any more: whoever holds it writes the outcome.
            return Ok(false);
        }
        transaction.commit().await?;
        Ok(ended)
    }

    /// A queued run by id alone, for its job (which carries its workspace).
    pub async fn queued(&self, workspace: &str, id: &str) -> Result<Option<EvalRun>, StoreError> {
        let run = sqlx::query_as::<_, EvalRun>(&format!(
            "SELECT {RUN_COLUMNS} FROM eval_runs
             WHERE id = $1 AND workspace_id = $2 AND status = 'queued'"
        ))
        .bind(id)
        .bind(workspace)
        .fetch_optional(&self.0.pool)
        .await?;
        Ok(run)
    }
}
