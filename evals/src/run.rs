//! The runner: every case of a suite through an agent (in this process or behind the API), a
//! bounded number at a time, then the metrics over all of them.

use std::collections::BTreeMap;
use std::time::Instant;

use agentflow::{Message, TurnRequest};
use futures::StreamExt;
use futures::future::BoxFuture;
use knowledge::embed::{Embedder, TextRole, cosine};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::check::{
    Check, answers_with_a_fact, carries_a_fact, check, customer_text, declined, handoff_team,
    refusal, same_source,
};
use crate::suite::{Case, Suite};

/// Where a retrieval hit must rank to count.
pub const RETRIEVAL_K: usize = 5;

/// Where a passage holding a key fact must rank to count.
pub const FACT_K: usize = 3;

/// Produces one turn, in the API's JSON shape, or says why it could not.
pub trait Answerer: Send + Sync {
    fn answer<'a>(&'a self, request: TurnRequest) -> BoxFuture<'a, Result<Value, String>>;
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CaseResult {
    pub id: String,
    pub tags: Vec<String>,
    pub message: String,
    pub passed: bool,
    pub checks: Vec<Check>,
    /// Set when no turn came back (the agent or the service failed).
    pub error: Option<String>,
    pub latency_ms: f64,
    pub similarity: Option<f32>,
    /// On a case that gives key facts, declined with questions of the knowledge offered:
    /// whether the customer's next message, one of their numbers, gets a key fact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fact_after_pick: Option<bool>,
    /// The turn with its trace (retrieved passages, grounding, guardrails, timings).
    #[schema(value_type = Object)]
    pub turn: Value,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct Rate {
    pub cases: usize,
    pub passed: usize,
    pub pass_rate: f64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct PrecisionRecall {
    pub true_positives: usize,
    pub false_positives: usize,
    pub false_negatives: usize,
    pub precision: Option<f64>,
    pub recall: Option<f64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct Metrics {
    pub overall: Rate,
    pub per_tag: BTreeMap<String, Rate>,
    pub errors: usize,
    /// Over the cases that name a source to cite: an expected source among the first
    /// [`RETRIEVAL_K`] passages retrieved, and the reciprocal rank of the first.
    pub retrieval_cases: usize,
    pub hit_rate: Option<f64>,
    pub mrr: Option<f64>,
    /// Mean similarity to the reference answer, over the cases that give one.
    pub answer_similarity: Option<f64>,
    /// Share of the replies' checked statements that the retrieved passages support.
    pub groundedness: Option<f64>,
    /// Refusals at input against the cases that expect one (a case that says nothing expects
    /// none).
    pub guardrails: PrecisionRecall,
    /// Handoffs against the cases that expect one, likewise.
    pub handoffs: PrecisionRecall,
    /// Over the cases that give key facts: the reply carries one, and one is in the top
    /// [`FACT_K`] passages retrieved.
    pub fact_rate: Option<f64>,
    pub fact_top3: Option<f64>,
    /// Over the same cases the agent answered (did not decline): the reply carries a key fact.
    /// What a customer who gets an answer can trust it with.
    #[serde(default)]
    pub fact_precision: Option<f64>,
    /// The fact rate over each tag's cases that give key facts.
    #[serde(default)]
    pub fact_rate_per_tag: BTreeMap<String, Rate>,
    /// Over the cases that give key facts: the reply carries one, or it declined offering
    /// questions of the knowledge and picking one by its number gets one (a single message
    /// more for the customer).
    #[serde(default)]
    pub fact_rate_with_pick: Option<f64>,
    #[serde(default)]
    pub fact_rate_with_pick_per_tag: BTreeMap<String, Rate>,
    /// Over the cases the knowledge does not answer: the agent declined.
    pub declined_rate: Option<f64>,
    /// The declined rate over each tag's cases the knowledge does not answer.
    #[serde(default)]
    pub declined_rate_per_tag: BTreeMap<String, Rate>,
    /// Over the replies that cite: every citation carries a position a person can find.
    pub positioned_citations: Option<f64>,
    pub latency_p50_ms: f64,
    pub latency_p95_ms: f64,
    pub credits: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    pub suite: String,
    /// Which agent ran (a file, or a service URL and agent id).
    pub agent: String,
    pub metrics: Metrics,
    pub cases: Vec<CaseResult>,
}

pub async fn run(
    suite: &Suite,
    agent: &str,
    answerer: &dyn Answerer,
    embedder: &Embedder,
    parallel: usize,
) -> Report {
    // The futures made before the stream, not by a closure inside it: a stream that holds the
    // closure is a future the compiler cannot prove `Send`, and the service runs suites on
    // its worker tasks.
    let pending: Vec<_> = suite
        .cases
        .iter()
        .map(|case| run_case(case, answerer, embedder))
        .collect();
    let cases: Vec<CaseResult> = futures::stream::iter(pending)
        .buffered(parallel.max(1))
        .collect()
        .await;
    Report {
        suite: suite.name.clone(),
        agent: agent.to_string(),
        metrics: metrics(suite, &cases),
        cases,
    }
}

async fn run_case(case: &Case, answerer: &dyn Answerer, embedder: &Embedder) -> CaseResult {
    let request = TurnRequest {
        workspace: String::new(),
        message: case.input.message.clone(),
        history: case.input.history.clone(),
        contact: case.input.contact.clone(),
    };
    let started = Instant::now();
    let answered = answerer.answer(request).await;
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    let (turn, error) = match answered {
        Ok(turn) => (turn, None),
        Err(error) => (Value::Null, Some(error)),
    };
    let similarity = match (&case.expect.similar_to, &error) {
        (Some(similar), None) => embedder
            .embed(
                &[customer_text(&turn), similar.answer.as_str()],
                TextRole::Passage,
                &mut |_| {},
            )
            .ok()
            .map(|vectors| cosine(&vectors[0], &vectors[1])),
        _ => None,
    };
    let checks = if error.is_none() {
        check(case, &turn, similarity)
    } else {
        Vec::new()
    };
    let fact_after_pick = if case.expect.facts.is_empty() || !declined(&turn) {
        None
    } else {
        fact_after_pick(case, &turn, answerer).await
    };
    CaseResult {
        id: case.id.clone(),
        tags: case.tags.clone(),
        message: case.input.message.clone(),
        passed: error.is_none() && checks.iter().all(|check| check.passed),
        checks,
        error,
        latency_ms,
        similarity,
        fact_after_pick,
        turn,
    }
}

/// Picks each question a declined turn offered, by its number, until a reply carries a key
/// fact; `None` when it offered none.
async fn fact_after_pick(case: &Case, turn: &Value, answerer: &dyn Answerer) -> Option<bool> {
    let offered: Vec<String> = serde_json::from_value(turn["offered"].clone()).ok()?;
    if offered.is_empty() {
        return None;
    }
    let mut history = case.input.history.clone();
    history.push(Message::customer(&case.input.message));
    history.push(Message {
        offered: offered.clone(),
        ..Message::agent(customer_text(turn), true)
    });
    for number in 1..=offered.len() {
        let request = TurnRequest {
            workspace: String::new(),
            message: number.to_string(),
            history: history.clone(),
            contact: case.input.contact.clone(),
        };
        if let Ok(picked) = answerer.answer(request).await
            && answers_with_a_fact(&picked, &case.expect.facts)
        {
            return Some(true);
        }
    }
    Some(false)
}

impl Rate {
    fn count(&mut self, passed: bool) {
        self.cases += 1;
        self.passed += usize::from(passed);
        self.pass_rate = self.passed as f64 / self.cases as f64;
    }
}

fn rate<'a>(results: impl Iterator<Item = &'a CaseResult>) -> Rate {
    let (cases, passed) = results.fold((0, 0), |(cases, passed), result| {
        (cases + 1, passed + usize::from(result.passed))
    });
    Rate {
        cases,
        passed,
        pass_rate: if cases == 0 {
            0.0
        } else {
            passed as f64 / cases as f64
        },
    }
}

fn precision_recall(pairs: impl Iterator<Item = (bool, bool)>) -> PrecisionRecall {
    let mut counts = PrecisionRecall::default();
    for (expected, predicted) in pairs {
        match (expected, predicted) {
            (true, true) => counts.true_positives += 1,
            (false, true) => counts.false_positives += 1,
            (true, false) => counts.false_negatives += 1,
            (false, false) => {}
        }
    }
    let ratio = |part: usize, whole: usize| (whole > 0).then(|| part as f64 / whole as f64);
    counts.precision = ratio(
        counts.true_positives,
        counts.true_positives + counts.false_positives,
    );
    counts.recall = ratio(
        counts.true_positives,
        counts.true_positives + counts.false_negatives,
    );
    counts
}

/// The share of `true`s, when there is anything to share.
fn share(outcomes: impl Iterator<Item = bool>) -> Option<f64> {
    let (yes, all) = outcomes.fold((0usize, 0usize), |(yes, all), outcome| {
        (yes + usize::from(outcome), all + 1)
    });
    (all > 0).then(|| yes as f64 / all as f64)
}

fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

fn percentile(sorted: &[f64], fraction: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 * fraction) as usize).min(sorted.len() - 1)]
}

pub fn metrics(suite: &Suite, results: &[CaseResult]) -> Metrics {
    let answered: Vec<(&Case, &CaseResult)> = suite
        .cases
        .iter()
        .zip(results)
        .filter(|(_, result)| result.error.is_none())
        .collect();
    let mut tags: BTreeMap<String, Vec<&CaseResult>> = BTreeMap::new();
    for result in results {
        for tag in &result.tags {
            tags.entry(tag.clone()).or_default().push(result);
        }
    }
    let mut reciprocal_ranks = Vec::new();
    let mut hits = Vec::new();
    for (case, result) in &answered {
        if case.expect.cites.is_empty() {
            continue;
        }
        let retrieved: Vec<&str> = result.turn["trace"]["retrieved"]
            .as_array()
            .map(|passages| {
                passages
                    .iter()
                    .filter_map(|passage| passage["source"].as_str())
                    .collect()
            })
            .unwrap_or_default();
        let rank = retrieved.iter().position(|source| {
            case.expect
                .cites
                .iter()
                .any(|cited| same_source(source, &cited.source))
        });
        hits.push(f64::from(u8::from(
            rank.is_some_and(|rank| rank < RETRIEVAL_K),
        )));
        reciprocal_ranks.push(rank.map_or(0.0, |rank| 1.0 / (rank + 1) as f64));
    }
    let similarities: Vec<f64> = answered
        .iter()
        .filter_map(|(_, result)| result.similarity.map(f64::from))
        .collect();
    let (supported, statements) = answered
        .iter()
        .filter_map(|(_, result)| result.turn["trace"]["grounding"].as_array())
        .flatten()
        .fold((0usize, 0usize), |(supported, all), sentence| {
            (
                supported + usize::from(sentence["supported"] == true),
                all + 1,
            )
        });
    let with_facts: Vec<(&Case, &CaseResult)> = answered
        .iter()
        .copied()
        .filter(|(case, _)| !case.expect.facts.is_empty())
        .collect();
    let fact_rate = share(
        with_facts
            .iter()
            .map(|(case, result)| answers_with_a_fact(&result.turn, &case.expect.facts)),
    );
    let with_pick = |(case, result): &(&Case, &CaseResult)| {
        answers_with_a_fact(&result.turn, &case.expect.facts)
            || result.fact_after_pick == Some(true)
    };
    let fact_rate_with_pick = share(with_facts.iter().map(with_pick));
    let fact_precision = share(
        with_facts
            .iter()
            .filter(|(_, result)| !declined(&result.turn))
            .map(|(case, result)| answers_with_a_fact(&result.turn, &case.expect.facts)),
    );
    let fact_top3 = share(with_facts.iter().map(|(case, result)| {
        result.turn["trace"]["retrieved"]
            .as_array()
            .is_some_and(|passages| {
                passages.iter().take(FACT_K).any(|passage| {
                    carries_a_fact(passage["text"].as_str().unwrap_or(""), &case.expect.facts)
                })
            })
    }));
    let mut fact_rate_per_tag: BTreeMap<String, Rate> = BTreeMap::new();
    let mut fact_rate_with_pick_per_tag: BTreeMap<String, Rate> = BTreeMap::new();
    let mut declined_rate_per_tag: BTreeMap<String, Rate> = BTreeMap::new();
    for (case, result) in &answered {
        let outcomes = [
            (
                !case.expect.facts.is_empty(),
                &mut fact_rate_per_tag,
                answers_with_a_fact(&result.turn, &case.expect.facts),
            ),
            (
                !case.expect.facts.is_empty(),
                &mut fact_rate_with_pick_per_tag,
                with_pick(&(*case, *result)),
            ),
            (
                case.expect.answered == Some(false),
                &mut declined_rate_per_tag,
                declined(&result.turn),
            ),
        ];
        for (applies, rates, outcome) in outcomes {
            if !applies {
                continue;
            }
            for tag in &case.tags {
                rates.entry(tag.clone()).or_default().count(outcome);
            }
        }
    }
    let declined_rate = share(
        answered
            .iter()
            .filter(|(case, _)| case.expect.answered == Some(false))
            .map(|(_, result)| declined(&result.turn)),
    );
    let positioned_citations = share(answered.iter().filter_map(|(_, result)| {
        let citations = result.turn["citations"].as_array()?;
        (!citations.is_empty()).then(|| {
            citations.iter().all(|citation| {
                citation["position"]
                    .as_str()
                    .is_some_and(|position| !position.trim().is_empty())
            })
        })
    }));
    let mut latencies: Vec<f64> = results.iter().map(|result| result.latency_ms).collect();
    latencies.sort_by(f64::total_cmp);
    let expects = |value: &Option<String>| value.as_deref().is_some_and(|value| value != "none");
    Metrics {
        overall: rate(results.iter()),
        per_tag: tags
            .into_iter()
            .map(|(tag, results)| (tag, rate(results.into_iter())))
            .collect(),
        errors: results.len() - answered.len(),
        retrieval_cases: hits.len(),
        hit_rate: mean(&hits),
        mrr: mean(&reciprocal_ranks),
        answer_similarity: mean(&similarities),
        groundedness: (statements > 0).then(|| supported as f64 / statements as f64),
        guardrails: precision_recall(answered.iter().map(|(case, result)| {
            (
                expects(&case.expect.refuses),
                refusal(&result.turn).is_some(),
            )
        })),
        handoffs: precision_recall(answered.iter().map(|(case, result)| {
            (
                expects(&case.expect.handoff),
                handoff_team(&result.turn) != "none",
            )
        })),
        fact_rate,
        fact_top3,
        fact_precision,
        fact_rate_per_tag,
        fact_rate_with_pick,
        fact_rate_with_pick_per_tag,
        declined_rate,
        declined_rate_per_tag,
        positioned_citations,
        latency_p50_ms: percentile(&latencies, 0.50),
        latency_p95_ms: percentile(&latencies, 0.95),
        credits: answered
            .iter()
            .filter_map(|(_, result)| result.turn["credits"].as_u64())
            .sum(),
    }
}
