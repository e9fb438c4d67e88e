//! Eval runs: a suite queued against a version of an agent, its report (failures first), and
//! two runs compared.

use std::sync::Arc;

use app::evals::SuiteSource;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use evals::run::{CaseResult, Metrics, Report};
use records::{EvalRun, EvalStatus, Role};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::auth::Caller;
use super::error::{ApiError, Code, ErrorBody};
use super::pages::{self, PageQuery};

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route(
            "/v1/agents/{id}/eval-runs",
            get(eval_runs).post(start_eval_run),
        )
        .route("/v1/eval-runs/{id}", get(eval_run))
        .route("/v1/eval-runs/{id}/comparison", get(compare_eval_runs))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct StartEvalRun {
    /// A suite as its YAML or JSON file has it (`evals/suites/demo.yaml` is an example).
    suite: Option<String>,
    /// Instead of `suite`: the agent's rated turns become the cases (a thumbs-up keeps its
    /// reply, a thumbs-down's correction is expected).
    #[serde(default)]
    from_feedback: bool,
    /// The agent's version to run; its current one when absent.
    version: Option<i64>,
}

/// A run as the API shows it: `metrics` once it is done, `cases` when one run is asked for
/// (failures first).
#[derive(Serialize, utoipa::ToSchema)]
pub struct EvalRunView {
    id: String,
    agent_id: String,
    agent_version: i64,
    suite: String,
    cases: i64,
    status: EvalStatus,
    passed: Option<i64>,
    error: Option<String>,
    metrics: Option<Metrics>,
    #[serde(skip_serializing_if = "Option::is_none")]
    results: Option<Vec<CaseResult>>,
    created_at: i64,
    finished_at: Option<i64>,
}

fn parsed<T: serde::de::DeserializeOwned>(
    run: &EvalRun,
    what: &str,
    text: Option<&str>,
) -> Result<Option<T>, ApiError> {
    text.map(|text| {
        serde_json::from_str(text)
            .map_err(|error| ApiError::internal(format!("stored {what} of {}: {error}", run.id)))
    })
    .transpose()
}

fn view(run: EvalRun, with_cases: bool) -> Result<EvalRunView, ApiError> {
    let metrics = parsed(&run, "metrics", run.metrics.as_deref())?;
    let results = if with_cases {
        parsed::<Report>(&run, "report", run.report.as_deref())?.map(|report| {
            let mut cases = report.cases;
            // What needs a person's eyes first: the failures, in the suite's order.
            cases.sort_by_key(|case| case.passed);
            cases
        })
    } else {
        None
    };
    Ok(EvalRunView {
        id: run.id,
        agent_id: run.agent_id,
        agent_version: run.agent_version,
        suite: run.suite_name,
        cases: run.cases,
        status: run.status,
        passed: run.passed,
        error: run.error,
        metrics,
        results,
        created_at: run.created_at,
        finished_at: run.finished_at,
    })
}

/// Queues a run of a suite through the agent; its report comes when the run ends (one credit
/// per reply, as any turn).
#[utoipa::path(post, path = "/v1/agents/{id}/eval-runs", params(("id" = String, Path, description = "the agent")),
    tag = "evals", security(("bearer" = [])), request_body = StartEvalRun,
    responses((status = 202, body = EvalRunView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn start_eval_run(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    Json(request): Json<StartEvalRun>,
) -> Result<(StatusCode, Json<EvalRunView>), ApiError> {
    caller.require(Role::TeamAdmin)?;
    let source = match (request.suite, request.from_feedback) {
        (Some(text), false) => SuiteSource::Text(text),
        (None, true) => SuiteSource::Feedback,
        (None, false) => {
            return Err(
                ApiError::invalid("suite: give a suite, or from_feedback: true").about("suite"),
            );
        }
        (Some(_), true) => {
            return Err(
                ApiError::invalid("suite: a suite or from_feedback: true, not both").about("suite"),
            );
        }
    };
    let run = state
        .app
        .start_eval_run(
            caller.workspace(),
            caller.actor(),
            &id,
            source,
            request.version,
        )
        .await?;
    Ok((StatusCode::ACCEPTED, Json(view(run, false)?)))
}

/// The agent's runs, oldest first, each with its metrics once done.
#[utoipa::path(get, path = "/v1/agents/{id}/eval-runs", params(("id" = String, Path, description = "the agent"), PageQuery),
    tag = "evals", security(("bearer" = [])),
    responses((status = 200, body = Vec<EvalRunView>), (status = 404, body = ErrorBody)))]
async fn eval_runs(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    uri: Uri,
    Query(query): Query<PageQuery>,
) -> Result<Response, ApiError> {
    let page = query.page()?;
    let runs = state
        .app
        .store
        .eval_runs()
        .list(caller.workspace(), &id, &page)
        .await?;
    Ok(pages::respond(
        &uri,
        &page,
        runs.try_map(|run| view(run, false))?,
    ))
}

/// One run with every case's checks and turn, failures first.
#[utoipa::path(get, path = "/v1/eval-runs/{id}", params(("id" = String, Path, description = "the run")),
    tag = "evals", security(("bearer" = [])),
    responses((status = 200, body = EvalRunView), (status = 404, body = ErrorBody)))]
async fn eval_run(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<EvalRunView>, ApiError> {
    let run = state
        .app
        .store
        .eval_runs()
        .get(caller.workspace(), &id)
        .await?;
    Ok(Json(view(run, true)?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CompareWith {
    /// The later run, compared with the one in the path.
    with: String,
}

/// A metric in the two runs.
#[derive(Serialize, utoipa::ToSchema)]
pub struct MetricChange {
    metric: String,
    first: Option<f64>,
    second: Option<f64>,
}

/// What changed from one run to another: cases that now fail or now pass, and every metric.
#[derive(Serialize, utoipa::ToSchema)]
pub struct EvalComparison {
    regressions: Vec<String>,
    improvements: Vec<String>,
    only_in_first: Vec<String>,
    only_in_second: Vec<String>,
    metrics: Vec<MetricChange>,
}

#[utoipa::path(get, path = "/v1/eval-runs/{id}/comparison", params(("id" = String, Path, description = "the earlier run"), CompareWith),
    tag = "evals", security(("bearer" = [])),
    responses((status = 200, body = EvalComparison), (status = 404, body = ErrorBody),
        (status = 409, description = "A run has no report yet", body = ErrorBody)))]
async fn compare_eval_runs(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    Query(query): Query<CompareWith>,
) -> Result<Json<EvalComparison>, ApiError> {
    let runs = state.app.store.eval_runs();
    let mut reports = Vec::new();
    for run_id in [&id, &query.with] {
        let run = runs.get(caller.workspace(), run_id).await?;
        let why = match run.status {
            EvalStatus::Queued => "is still running",
            EvalStatus::Failed => "failed, so it has no report",
            EvalStatus::Done => "has lost its report",
        };
        let report = parsed::<Report>(&run, "report", run.report.as_deref())?
            .ok_or_else(|| ApiError::new(Code::Conflict, format!("run {run_id} {why}")))?;
        reports.push(report);
    }
    let compared = evals::report::compare(&reports[0], &reports[1]);
    Ok(Json(EvalComparison {
        regressions: compared.regressions,
        improvements: compared.improvements,
        only_in_first: compared.only_in_first,
        only_in_second: compared.only_in_second,
        metrics: compared
            .metrics
            .into_iter()
            .map(|(metric, first, second)| MetricChange {
                metric,
                first,
                second,
            })
            .collect(),
    }))
}
