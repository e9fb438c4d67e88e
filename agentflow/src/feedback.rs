//! Ratings of an agent's replies, and what they become: a thumbs-down with a correction can be
//! promoted to a custom answer, and every rated turn can be exported as an eval case.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::config::CustomAnswer;
use crate::turn::{Action, HandoffReason, Turn};
pub use types::Rating;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Feedback {
    pub turn_id: Uuid,
    pub rating: Rating,
    /// What the reply should have said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correction: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FeedbackError {
    #[error("only a thumbs-down with a correction can become a custom answer")]
    NotACorrection,
    #[error("the feedback is for turn {feedback}, not turn {turn}")]
    WrongTurn { feedback: Uuid, turn: Uuid },
}

/// An eval case, as the evals suites read them (one JSON object per line).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalCase {
    pub question: String,
    pub language: String,
    /// The answer a rater approved or wrote; absent when the turn should have handed off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_answer: Option<String>,
    /// The sources a good answer cites.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expected_sources: Vec<String>,
    /// The handoff the rated turn made and the rater approved (a reason code).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_handoff: Option<String>,
    pub rating: Rating,
    pub from_turn: Uuid,
}

impl Feedback {
    /// The curated answer a correction becomes, for the question the customer asked.
    pub fn promote(&self, question: &str) -> Result<CustomAnswer, FeedbackError> {
        match (&self.rating, &self.correction) {
            (Rating::Down, Some(correction)) if !correction.trim().is_empty() => Ok(CustomAnswer {
                question: question.trim().to_string(),
                answer: correction.trim().to_string(),
            }),
            _ => Err(FeedbackError::NotACorrection),
        }
    }

    /// The rated turn as an eval case: a thumbs-up keeps what the agent did as the expectation,
    /// a thumbs-down expects the correction (or, without one, only records the failure).
    pub fn eval_case(&self, question: &str, turn: &Turn) -> Result<EvalCase, FeedbackError> {
        if self.turn_id != turn.id {
            return Err(FeedbackError::WrongTurn {
                feedback: self.turn_id,
                turn: turn.id,
            });
        }
        let mut case = EvalCase {
            question: question.to_string(),
            language: turn.language.clone(),
            expected_answer: None,
            expected_sources: Vec::new(),
            expected_handoff: None,
            rating: self.rating,
            from_turn: turn.id,
        };
        match (self.rating, &turn.action) {
            (Rating::Up, Action::Reply(reply)) => {
                case.expected_answer = Some(reply.text.clone());
                case.expected_sources = reply
                    .citations
                    .iter()
                    .map(|citation| citation.source.clone())
                    .collect();
                case.expected_sources.dedup();
            }
            (Rating::Up, Action::Handoff(handoff)) => {
                case.expected_handoff = Some(reason_code(&handoff.reason).to_string());
            }
            (Rating::Down, _) => case.expected_answer = self.correction.clone(),
        }
        Ok(case)
    }
}

fn reason_code(reason: &HandoffReason) -> &'static str {
    match reason {
        HandoffReason::HumanRequested => "human_requested",
        HandoffReason::LowConfidence => "low_confidence",
        HandoffReason::BlockedTopic { .. } => "blocked_topic",
        HandoffReason::Complaint => "complaint",
        HandoffReason::HotLead => "hot_lead",
        HandoffReason::Rule { .. } => "rule",
        HandoffReason::Ungrounded => "ungrounded",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::turn::{Citation, Handoff, Reply, ReplyOrigin, Trace};

    fn turn(action: Action) -> Turn {
        Turn {
            id: Uuid::from_u128(7),
            language: "en".into(),
            action,
            contact_updates: Default::default(),
            lead_score: None,
            credits: 1,
            trace: Trace::default(),
        }
    }

    fn reply() -> Action {
        Action::Reply(Reply {
            text: "Delivery takes two days [1].".into(),
            citations: vec![Citation {
                number: 1,
                source: "faq.md".into(),
                position: "Shipping".into(),
                quote: "Delivery takes two days.".into(),
            }],
            origin: ReplyOrigin::Extractive,
            unanswered: false,
            offered: Vec::new(),
        })
    }

    #[test]
    fn a_correction_becomes_a_custom_answer() {
        let down = Feedback {
            turn_id: Uuid::from_u128(7),
            rating: Rating::Down,
            correction: Some(" Delivery takes one day in Dubai. ".into()),
        };
        assert_eq!(
            down.promote("How long is delivery to Dubai?").unwrap(),
            CustomAnswer {
                question: "How long is delivery to Dubai?".into(),
                answer: "Delivery takes one day in Dubai.".into()
            }
        );
        let up = Feedback {
            rating: Rating::Up,
            ..down.clone()
        };
        assert_eq!(up.promote("q"), Err(FeedbackError::NotACorrection));
        let bare = Feedback {
            correction: None,
            ..down
        };
        assert_eq!(bare.promote("q"), Err(FeedbackError::NotACorrection));
    }

    #[test]
    fn rated_turns_become_eval_cases() {
        let up = Feedback {
            turn_id: Uuid::from_u128(7),
            rating: Rating::Up,
            correction: None,
        };
        let case = up
            .eval_case("How long is delivery?", &turn(reply()))
            .unwrap();
        assert_eq!(
            case.expected_answer.as_deref(),
            Some("Delivery takes two days [1].")
        );
        assert_eq!(case.expected_sources, ["faq.md"]);
        let line = serde_json::to_string(&case).unwrap();
        let back: EvalCase = serde_json::from_str(&line).unwrap();
        assert_eq!(back, case);

        let handoff = turn(Action::Handoff(Handoff {
            team: "support".into(),
            reason: HandoffReason::Complaint,
            summary: String::new(),
            message: String::new(),
        }));
        let case = up.eval_case("This is unacceptable", &handoff).unwrap();
        assert_eq!(case.expected_handoff.as_deref(), Some("complaint"));

        let other = Feedback {
            turn_id: Uuid::from_u128(8),
            ..up
        };
        assert!(matches!(
            other.eval_case("q", &handoff),
            Err(FeedbackError::WrongTurn { .. })
        ));
    }
}
