//! What one turn of an agent produces: data the service applies (send the reply, or give the
//! conversation to a team; update the contact; meter credits) and a trace of how it got there.

use std::collections::BTreeMap;

use knowledge::retrieve::Confidence;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::grounding::CheckedSentence;
use crate::guardrails::GuardrailHit;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Turn {
    pub id: Uuid,
    /// The language the customer wrote in ("ar", "en", ...).
    pub language: String,
    #[serde(flatten)]
    pub action: Action,
    /// Qualification fields found in this message, to be written to the contact.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub contact_updates: BTreeMap<String, String>,
    /// 0-100, when the agent qualifies leads.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lead_score: Option<u32>,
    pub credits: u32,
    pub trace: Trace,
}

/// The turn's decision: answer the customer, or give the conversation to people.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    Reply(Reply),
    Handoff(Handoff),
}

/// Described by hand as one object: `action` says which, and the fields of a reply or of a
/// handoff sit beside it. (The derived description, a union of `allOf`s, is one that client
/// generators drop, and the turn with it.)
impl utoipa::PartialSchema for Action {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::Ref;
        use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
        let text = |description: &str| {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some(description))
        };
        ObjectBuilder::new()
            .property(
                "action",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some(["reply", "handoff"])),
            )
            .required("action")
            .property("text", text("The reply (action reply)."))
            .property(
                "citations",
                ArrayBuilder::new().items(Ref::from_schema_name("Citation")),
            )
            .property("origin", Ref::from_schema_name("ReplyOrigin"))
            .property(
                "unanswered",
                ObjectBuilder::new()
                    .schema_type(Type::Boolean)
                    .description(Some("The agent could not answer and asked to rephrase.")),
            )
            .property(
                "offered",
                ArrayBuilder::new()
                    .items(ObjectBuilder::new().schema_type(Type::String))
                    .description(Some(
                        "On an unanswered reply: the knowledge's questions it offers, numbered in this order.",
                    )),
            )
            .property("team", text("The team that takes over (action handoff)."))
            .property("reason", Ref::from_schema_name("HandoffReason"))
            .property("summary", text("For the person who takes over."))
            .property(
                "message",
                text("What the customer is told while they wait."),
            )
            .into()
    }
}

impl utoipa::ToSchema for Action {
    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        use utoipa::PartialSchema;
        schemas.push(("Citation".into(), Citation::schema()));
        schemas.push(("ReplyOrigin".into(), ReplyOrigin::schema()));
        schemas.push(("HandoffReason".into(), HandoffReason::schema()));
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Reply {
    pub text: String,
    pub citations: Vec<Citation>,
    pub origin: ReplyOrigin,
    /// True when the agent could not answer and asked the customer to rephrase: the service
    /// stores it with the message so the next turn counts unanswered questions.
    pub unanswered: bool,
    /// On an unanswered reply: the knowledge's questions it offers instead, numbered in this
    /// order. Stored with the message, so that the customer may answer with a number.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub offered: Vec<String>,
}

/// Where a reply's words came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReplyOrigin {
    CustomAnswer,
    Generated,
    Extractive,
    /// One of the agent's fixed messages: a refusal, or asking to rephrase.
    Fixed,
}

/// A passage a reply rests on, as the customer can be shown it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Citation {
    /// The number the reply cites it by: `[1]`.
    pub number: usize,
    pub source: String,
    /// Page, sheet and row, section or URL, as text ("page 3", "sheet Prices, row 12").
    pub position: String,
    /// The words of the passage the reply used.
    pub quote: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Handoff {
    pub team: String,
    pub reason: HandoffReason,
    /// For the person who takes over: what the customer wants, in a few lines.
    pub summary: String,
    /// What the customer is told while they wait.
    pub message: String,
}

impl Handoff {
    /// Whether one of the agent's own rules chose the team (a handoff rule, or the sales team
    /// for a hot lead) rather than its default team taking whatever no rule placed.
    pub fn team_is_chosen(&self) -> bool {
        matches!(
            self.reason,
            HandoffReason::Rule { .. } | HandoffReason::HotLead
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum HandoffReason {
    HumanRequested,
    LowConfidence,
    BlockedTopic { topic: String },
    Complaint,
    HotLead,
    Rule { rule: String },
    Ungrounded,
}

impl HandoffReason {
    /// The reasons' codes, as `code` carries them.
    pub const CODES: &[&str] = &[
        "human_requested",
        "low_confidence",
        "blocked_topic",
        "complaint",
        "hot_lead",
        "rule",
        "ungrounded",
    ];

    pub fn code(&self) -> &'static str {
        match self {
            HandoffReason::HumanRequested => "human_requested",
            HandoffReason::LowConfidence => "low_confidence",
            HandoffReason::BlockedTopic { .. } => "blocked_topic",
            HandoffReason::Complaint => "complaint",
            HandoffReason::HotLead => "hot_lead",
            HandoffReason::Rule { .. } => "rule",
            HandoffReason::Ungrounded => "ungrounded",
        }
    }
}

impl std::fmt::Display for HandoffReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HandoffReason::HumanRequested => f.write_str("the customer asked for a person"),
            HandoffReason::LowConfidence => f.write_str("the knowledge does not answer"),
            HandoffReason::BlockedTopic { topic } => write!(f, "blocked topic {topic}"),
            HandoffReason::Complaint => f.write_str("complaint"),
            HandoffReason::HotLead => f.write_str("hot lead"),
            HandoffReason::Rule { rule } => write!(f, "rule {rule}"),
            HandoffReason::Ungrounded => f.write_str("no grounded answer"),
        }
    }
}

/// How the turn was decided, for the inbox's "why did the agent say that" view and for evals.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct Trace {
    /// The query retrieval ran (the message, or the message with earlier context).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retrieval_query: Option<String>,
    pub retrieved: Vec<RetrievedPassage>,
    /// What the confidence gate compared: the best cosine and the question's term coverage.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<std::collections::BTreeMap<String, f32>>)]
    pub confidence: Option<Confidence>,
    /// Over FAQ knowledge, the entry ranked first: the one a reply is taken from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matched_question: Option<MatchedQuestionTrace>,
    pub guardrails: Vec<GuardrailHit>,
    /// How each statement of the reply was found supported, or not, by the passages.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub grounding: Vec<CheckedSentence>,
    /// The handoff trigger, custom answer or rule that decided the turn, when one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<String>,
    /// How many of the retrieved passages the model was shown, when fewer than all of them
    /// fitted its context.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt_passages: Option<usize>,
    pub steps: Vec<StepTiming>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RetrievedPassage {
    pub number: usize,
    pub source: String,
    pub position: String,
    pub score: f32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub similarity: Option<f32>,
    /// The passage's rank among the candidates by cosine, from 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dense_rank: Option<usize>,
    /// Its rank by BM25, from 1, where the lexical list counted: not when it shared no term
    /// with the question (across languages, mostly).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lexical_rank: Option<usize>,
    pub text: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MatchedQuestionTrace {
    pub question: String,
    /// Cosine of the customer's question and this one.
    pub similarity: f32,
    /// How closely the entry answers: the mean of the customer's question's cosines with
    /// this question, the entry's passage and its closest sentence. What entries are ranked
    /// by and what the confidence gate compares.
    pub score: f32,
    /// The share of the retrieval query's content terms (BM25's, Arabic function words left
    /// out) the entry's passages (its question line among them) hold: an entry scoring just
    /// under the gate's bound answers when it holds three fifths of them, unless the query is
    /// a follow-up's, with the conversation's words.
    pub coverage: f32,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StepTiming {
    pub step: &'static str,
    pub ms: f64,
}

impl Trace {
    pub fn record(&mut self, step: &'static str, started: std::time::Instant) {
        self.steps.push(StepTiming {
            step,
            ms: started.elapsed().as_secs_f64() * 1000.0,
        });
    }
}

impl Turn {
    pub fn reply(&self) -> Option<&Reply> {
        match &self.action {
            Action::Reply(reply) => Some(reply),
            Action::Handoff(_) => None,
        }
    }

    pub fn handoff(&self) -> Option<&Handoff> {
        match &self.action {
            Action::Handoff(handoff) => Some(handoff),
            Action::Reply(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_reason_code_is_the_one_serialized_and_listed() {
        let reasons = [
            HandoffReason::HumanRequested,
            HandoffReason::LowConfidence,
            HandoffReason::BlockedTopic {
                topic: "refunds".into(),
            },
            HandoffReason::Complaint,
            HandoffReason::HotLead,
            HandoffReason::Rule {
                rule: "billing".into(),
            },
            HandoffReason::Ungrounded,
        ];
        assert_eq!(reasons.len(), HandoffReason::CODES.len());
        for (reason, listed) in reasons.iter().zip(HandoffReason::CODES) {
            let serialized = serde_json::to_value(reason).unwrap();
            assert_eq!(serialized["code"], reason.code());
            assert_eq!(reason.code(), *listed);
        }
    }
}
