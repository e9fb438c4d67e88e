//! Eval runs: a suite (written by hand, or made from the thumbs people gave the agent's turns)
//! through one version of an agent, in the background, its report kept beside the agent.

use agentflow::{Agent, REPLY_CREDITS, TurnRequest};
use evals::run::{Answerer, Report};
use evals::suite::{RatedTurn, Suite, from_feedback};
use futures::future::BoxFuture;
use records::{AgentRecord, ClaimedJob, EvalOutcome, EvalRun, NewEvalRun, Page, StoreError};
use serde_json::Value;

use crate::ingestion::Stop;
use crate::turns::{PreparedTurn, check_message};
use crate::{App, AppError};

/// The most cases one run takes: a run is one job, and holds its worker until it ends.
pub const MAX_EVAL_CASES: usize = 500;

/// Cases of a run in flight at once.
const PARALLEL_CASES: usize = 4;

/// Where a run's cases come from.
pub enum SuiteSource {
    /// A suite as its YAML or JSON file has it.
    Text(String),
    /// The agent's rated turns: a thumbs-up keeps its reply, a correction is expected.
    Feedback,
}

impl App {
    /// Queues a run of the suite through the agent at `version` (its current one when none).
    pub async fn start_eval_run(
        &self,
        workspace: &str,
        actor: &str,
        agent_id: &str,
        source: SuiteSource,
        version: Option<i64>,
    ) -> Result<EvalRun, AppError> {
        let agent = self.store.agents().get(workspace, agent_id).await?;
        let version = match version {
            Some(version) if (1..=agent.version).contains(&version) => version,
            Some(version) => {
                return Err(AppError::Invalid(format!(
                    "version: the agent has versions 1 to {}, not {version}",
                    agent.version
                )));
            }
            None => agent.version,
        };
        let suite = match source {
            SuiteSource::Text(text) => Suite::parse("suite", &text)
                .map_err(|error| AppError::Invalid(error.to_string()))?,
            SuiteSource::Feedback => {
                let rated = self.rated_turns(workspace, agent_id).await?;
                if rated.is_empty() {
                    return Err(AppError::Invalid(
                        "from_feedback: nobody has rated this agent's replies yet".into(),
                    ));
                }
                let mut suite = from_feedback(&format!("feedback: {}", agent.name), &rated);
                // The newest ratings, when there are more than a run takes.
                let over = suite.cases.len().saturating_sub(MAX_EVAL_CASES);
                suite.cases.drain(..over);
                suite
            }
        };
        if suite.cases.is_empty() {
            return Err(AppError::Invalid("suite: cases: there are none".into()));
        }
        if suite.cases.len() > MAX_EVAL_CASES {
            return Err(AppError::Invalid(format!(
                "suite: cases: {} is more than the {MAX_EVAL_CASES} one run takes",
                suite.cases.len()
            )));
        }
        for case in &suite.cases {
            check_message(&case.input.message).map_err(|error| {
                AppError::Invalid(format!("suite: cases: {}: {error}", case.id))
            })?;
        }
        // Every case is a reply: the run starts only if the balance covers them all.
        let needed = suite.cases.len() as i64 * i64::from(REPLY_CREDITS);
        let account = self.store.workspaces().get(workspace).await?;
        if account.credit_balance < needed {
            return Err(StoreError::InsufficientCredits {
                workspace: workspace.to_string(),
                plan: account.plan,
                balance: account.credit_balance,
                needed,
            }
            .into());
        }
        let text =
            serde_json::to_string(&suite).map_err(|error| AppError::Internal(error.to_string()))?;
        let new = NewEvalRun {
            agent_id,
            agent_version: version,
            suite_name: &suite.name,
            suite: &text,
            cases: suite.cases.len() as i64,
        };
        Ok(self
            .store
            .eval_runs()
            .create(workspace, actor, &new)
            .await?)
    }

    /// Every rated turn of the agent, as suites are made from them.
    async fn rated_turns(
        &self,
        workspace: &str,
        agent_id: &str,
    ) -> Result<Vec<RatedTurn>, AppError> {
        let mut rated = Vec::new();
        let mut page = Page::default();
        loop {
            let listed = self.store.turns().rated(workspace, agent_id, &page).await?;
            for (turn, feedback) in listed.items {
                rated.push(RatedTurn {
                    turn: serde_json::from_str(&turn.turn).map_err(|error| {
                        AppError::Internal(format!("stored turn {}: {error}", turn.id))
                    })?,
                    turn_id: turn.id,
                    question: turn.question,
                    rating: feedback.rating,
                    correction: feedback.correction,
                });
            }
            match listed.next {
                Some(cursor) => page.after = Some(cursor),
                None => return Ok(rated),
            }
        }
    }

    /// The job of a run: every case through the agent, then the report (or why there is none).
    pub(crate) async fn run_eval(
        &self,
        claimed: &ClaimedJob,
        worker: &str,
        run_id: &str,
        stop: &Stop,
    ) -> Result<(), AppError> {
        let workspace = claimed.workspace_id.as_deref().unwrap_or_default();
        let Some(run) = self.store.eval_runs().queued(workspace, run_id).await? else {
            // Deleted with its agent, or already reported.
            self.store.jobs().complete(&claimed.id, worker).await?;
            return Ok(());
        };
        let job = (claimed.id.as_str(), worker);
        if claimed.attempt > 1 {
            // An earlier attempt died part way (a shutdown gives its job back uncounted): its
            // replies were charged and recorded, so the run is not started over behind the
            // business's back.
            self.store
                .eval_runs()
                .fail(
                    &run.id,
                    "the run was interrupted before it ended; start it again",
                    job,
                )
                .await?;
            return Ok(());
        }
        let report = self.eval_report(workspace, &run, stop).await;
        if stop.is_stopped() {
            // Shutting down, or the job is no longer this worker's: whoever has it reports.
            return Ok(());
        }
        match report {
            Ok(report) => {
                let report_text = serde_json::to_string(&report)
                    .map_err(|error| AppError::Internal(error.to_string()))?;
                let metrics_text = serde_json::to_string(&report.metrics)
                    .map_err(|error| AppError::Internal(error.to_string()))?;
                let outcome = EvalOutcome {
                    report: &report_text,
                    metrics: &metrics_text,
                    passed: report.metrics.overall.passed as i64,
                };
                self.store
                    .eval_runs()
                    .finish(&run.id, &outcome, job)
                    .await?;
            }
            Err(error) => {
                tracing::warn!(run = %run.id, %error, "eval run failed");
                self.store
                    .eval_runs()
                    .fail(&run.id, &error.to_string(), job)
                    .await?;
            }
        }
        Ok(())
    }

    async fn eval_report(
        &self,
        workspace: &str,
        run: &EvalRun,
        stop: &Stop,
    ) -> Result<Report, AppError> {
        let suite: Suite = serde_json::from_str(&run.suite)
            .map_err(|error| AppError::Internal(format!("stored suite of {}: {error}", run.id)))?;
        let record = self
            .store
            .agents()
            .at_version(workspace, &run.agent_id, run.agent_version)
            .await?;
        let agent = self.build_agent(&record)?;
        let label = format!("{} (version {})", record.name, record.version);
        let answerer = InService {
            app: self,
            workspace: workspace.to_string(),
            record,
            agent,
            stop,
        };
        Ok(evals::run::run(
            &suite,
            &label,
            &answerer,
            answerer.agent.embedder(),
            PARALLEL_CASES,
        )
        .await)
    }
}

/// One version of an agent answering in this service: each case a metered, recorded turn.
struct InService<'a> {
    app: &'a App,
    workspace: String,
    record: AgentRecord,
    agent: Agent,
    /// Once set, the cases not yet asked are not asked.
    stop: &'a Stop,
}

impl Answerer for InService<'_> {
    fn answer<'a>(&'a self, mut request: TurnRequest) -> BoxFuture<'a, Result<Value, String>> {
        Box::pin(async move {
            if self.stop.is_stopped() {
                return Err("the run stopped".to_string());
            }
            request.workspace = self.workspace.clone();
            let prepared = PreparedTurn::reserve(
                self.app,
                &self.workspace,
                self.record.clone(),
                self.agent.clone(),
            )
            .await
            .map_err(|error| error.to_string())?;
            let turn = prepared
                .run(self.app, &request, None)
                .await
                .map_err(|error| error.to_string())?;
            serde_json::to_value(turn).map_err(|error| error.to_string())
        })
    }
}
