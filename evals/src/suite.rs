//! Eval suites: cases an agent must pass, written by hand in YAML (or JSON) or built from the
//! thumbs up and down people gave its turns. `evals/suites/demo.yaml` is a worked example.

use agentflow::{Contact, Message};
use serde::{Deserialize, Deserializer, Serialize};

/// The answer similarity a case asks for when it names none.
pub const DEFAULT_SIMILARITY: f32 = 0.85;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Suite {
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    pub cases: Vec<Case>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub id: String,
    pub input: Input,
    #[serde(default)]
    pub expect: Expect,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    pub message: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<Message>,
    #[serde(default)]
    pub contact: Contact,
}

/// What a turn must do. Every field is optional; a case with none only has to be answered.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// Phrases the reply must contain (case, Arabic letter forms and diacritics ignored).
    #[serde(
        default,
        deserialize_with = "one_or_many",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub contains: Vec<String>,
    #[serde(
        default,
        deserialize_with = "one_or_many",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub not_contains: Vec<String>,
    /// A reference answer the reply must be close to in meaning.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub similar_to: Option<Similar>,
    /// Sources the reply must cite (and, optionally, where in them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cites: Vec<Cited>,
    /// The team the conversation must go to, or `none` for no handoff.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handoff: Option<String>,
    /// The guardrail that must refuse the message (`prompt_injection`, `personal_data`,
    /// `blocked_topic`), or `none`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refuses: Option<String>,
    /// The language the reply must be in ("ar", "en", ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// Key facts of the answer, as the knowledge words them: the reply must carry at least
    /// one, and retrieval is scored on whether one is in the top three passages.
    #[serde(
        default,
        deserialize_with = "one_or_many",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub facts: Vec<String>,
    /// `false`: the knowledge does not answer this, and the agent must say so (and offer a
    /// person) rather than answer; `true`: it must not decline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered: Option<bool>,
    /// `greeting`, `courtesy` ("how are you?"), `thanks`, `goodbye`, `acknowledgement` ("ok",
    /// "👍"), `decline` ("no thanks") or `identity` ("are you a bot?"): the message is small
    /// talk, answered as such.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Similar {
    pub answer: String,
    #[serde(default = "default_similarity")]
    pub threshold: f32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cited {
    pub source: String,
    /// Words the citation's position must contain ("page 3", "row 12", a section name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<String>,
}

fn default_similarity() -> f32 {
    DEFAULT_SIMILARITY
}

fn one_or_many<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Form {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Form::deserialize(deserializer)? {
        Form::One(one) => vec![one],
        Form::Many(many) => many,
    })
}

#[derive(Debug, thiserror::Error)]
pub enum SuiteError {
    #[error("{file}: {message}")]
    Syntax { file: String, message: String },
    #[error("{file}: {place}: {problem}")]
    Invalid {
        file: String,
        place: String,
        problem: String,
    },
}

const GUARDRAILS: &[&str] = &["prompt_injection", "personal_data", "blocked_topic", "none"];

impl Suite {
    /// Reads a suite (YAML or JSON), checking every case; errors name the file, the case and
    /// the field.
    pub fn parse(file: &str, text: &str) -> Result<Self, SuiteError> {
        let suite: Suite = serde_norway::from_str(text).map_err(|error| SuiteError::Syntax {
            file: file.to_string(),
            message: error.to_string(),
        })?;
        let invalid = |place: String, problem: String| SuiteError::Invalid {
            file: file.to_string(),
            place,
            problem,
        };
        if suite.cases.is_empty() {
            return Err(invalid("cases".into(), "the suite has no cases".into()));
        }
        let mut seen = std::collections::HashSet::new();
        for (index, case) in suite.cases.iter().enumerate() {
            let place = |field: &str| format!("cases[{index}] ({}): {field}", case.id);
            if case.id.trim().is_empty() {
                return Err(invalid(
                    format!("cases[{index}]: id"),
                    "must not be empty".into(),
                ));
            }
            if !seen.insert(case.id.as_str()) {
                return Err(invalid(place("id"), "another case has this id".into()));
            }
            if case.input.message.trim().is_empty() {
                return Err(invalid(place("input.message"), "must not be empty".into()));
            }
            if let Some(similar) = &case.expect.similar_to
                && !(0.0..=1.0).contains(&similar.threshold)
            {
                return Err(invalid(
                    place("expect.similar_to.threshold"),
                    format!("must be between 0 and 1, got {}", similar.threshold),
                ));
            }
            if let Some(guardrail) = &case.expect.refuses
                && !GUARDRAILS.contains(&guardrail.as_str())
            {
                return Err(invalid(
                    place("expect.refuses"),
                    format!("{guardrail:?} is not one of {}", GUARDRAILS.join(", ")),
                ));
            }
        }
        Ok(suite)
    }
}

/// A turn people rated, as the service exports it.
#[derive(Debug, Clone, Deserialize)]
pub struct RatedTurn {
    pub turn_id: String,
    pub question: String,
    /// The turn as the API returned it.
    pub turn: serde_json::Value,
    pub rating: agentflow::feedback::Rating,
    #[serde(default)]
    pub correction: Option<String>,
}

/// A suite from feedback: a thumbs-up turn becomes a regression case (the reply must stay
/// close to what was approved, the handoff must stay the same); a thumbs-down with a
/// correction becomes a case expecting the correction. A thumbs-down without one says what is
/// wrong but not what is right, so it is left out.
/// A turn rated more than once counts with its latest rating (`rated` is oldest first).
pub fn from_feedback(name: &str, rated: &[RatedTurn]) -> Suite {
    let latest: std::collections::HashMap<&str, usize> = rated
        .iter()
        .enumerate()
        .map(|(index, rated)| (rated.turn_id.as_str(), index))
        .collect();
    let cases = rated
        .iter()
        .enumerate()
        .filter(|(index, rated)| latest.get(rated.turn_id.as_str()) == Some(index))
        .filter_map(|(_, rated)| {
            let mut expect = Expect::default();
            let tag = match (&rated.rating, &rated.correction) {
                (agentflow::feedback::Rating::Up, _) => {
                    match rated.turn["action"].as_str() {
                        Some("handoff") => {
                            expect.handoff = rated.turn["team"].as_str().map(str::to_string);
                        }
                        _ => {
                            expect.handoff = Some("none".into());
                            expect.similar_to = rated.turn["text"].as_str().map(|text| Similar {
                                answer: text.to_string(),
                                threshold: DEFAULT_SIMILARITY,
                            });
                        }
                    }
                    "thumbs-up"
                }
                (agentflow::feedback::Rating::Down, Some(correction))
                    if !correction.trim().is_empty() =>
                {
                    expect.similar_to = Some(Similar {
                        answer: correction.trim().to_string(),
                        threshold: DEFAULT_SIMILARITY,
                    });
                    "correction"
                }
                _ => return None,
            };
            expect.language = rated.turn["language"].as_str().map(str::to_string);
            Some(Case {
                id: format!("feedback-{}", rated.turn_id),
                input: Input {
                    message: rated.question.clone(),
                    history: Vec::new(),
                    contact: Contact::default(),
                },
                expect,
                tags: vec!["feedback".into(), tag.into()],
            })
        })
        .collect();
    Suite {
        name: name.to_string(),
        description: "Built from thumbs up and down on the agent's turns.".into(),
        cases,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_suite_reads_from_yaml_with_one_or_many_phrases() {
        let suite = Suite::parse(
            "suite.yaml",
            "name: demo\ncases:\n  - id: hours\n    input: { message: \"متى تفتحون؟\" }\n    expect:\n      contains: الجمعة\n      not_contains: [closed, مغلق]\n      cites: [{ source: faq.md, position: Hours }]\n      handoff: none\n    tags: [arabic]\n",
        )
        .unwrap();
        let case = &suite.cases[0];
        assert_eq!(case.expect.contains, ["الجمعة"]);
        assert_eq!(case.expect.not_contains.len(), 2);
        assert_eq!(case.expect.cites[0].position.as_deref(), Some("Hours"));
    }

    #[test]
    fn mistakes_name_the_file_case_and_field() {
        let cases = [
            ("name: x\ncases: []\n", "cases"),
            (
                "name: x\ncases:\n  - { id: a, input: { message: hi } }\n  - { id: a, input: { message: ho } }\n",
                "cases[1] (a): id",
            ),
            (
                "name: x\ncases:\n  - { id: a, input: { message: \" \" } }\n",
                "input.message",
            ),
            (
                "name: x\ncases:\n  - { id: a, input: { message: hi }, expect: { refuses: rudeness } }\n",
                "expect.refuses",
            ),
            (
                "name: x\ncases:\n  - { id: a, input: { message: hi }, expect: { similar_to: { answer: b, threshold: 2 } } }\n",
                "threshold",
            ),
            (
                "name: x\ncases:\n  - { id: a, input: { message: hi }, expect: { contain: b } }\n",
                "contain",
            ),
        ];
        for (text, named) in cases {
            let error = Suite::parse("s.yaml", text).unwrap_err().to_string();
            assert!(
                error.starts_with("s.yaml: ") && error.contains(named),
                "{error}"
            );
        }
    }

    #[test]
    fn feedback_becomes_regression_and_correction_cases() {
        let rated: Vec<RatedTurn> = serde_json::from_value(serde_json::json!([
            { "turn_id": "1", "question": "delivery?", "rating": "up",
              "turn": { "action": "reply", "text": "Delivery is 15 AED.", "language": "en" } },
            { "turn_id": "2", "question": "returns?", "rating": "down", "correction": "Opened bags are replaced.",
              "turn": { "action": "reply", "text": "No.", "language": "en" } },
            { "turn_id": "3", "question": "hmm", "rating": "down", "turn": { "action": "reply", "text": "?" } },
            { "turn_id": "4", "question": "wholesale", "rating": "up",
              "turn": { "action": "handoff", "team": "sales", "language": "en" } }
        ]))
        .unwrap();
        let suite = from_feedback("feedback", &rated);
        assert_eq!(suite.cases.len(), 3);
        assert_eq!(
            suite.cases[0].expect.similar_to.as_ref().unwrap().answer,
            "Delivery is 15 AED."
        );
        assert_eq!(suite.cases[0].expect.handoff.as_deref(), Some("none"));
        assert_eq!(
            suite.cases[1].expect.similar_to.as_ref().unwrap().answer,
            "Opened bags are replaced."
        );
        assert_eq!(suite.cases[2].expect.handoff.as_deref(), Some("sales"));
        // What it writes reads back as a suite.
        let text = serde_norway::to_string(&suite).unwrap();
        assert_eq!(Suite::parse("f.yaml", &text).unwrap().cases.len(), 3);
    }

    /// A turn rated twice used to give two cases with one id, a suite `eval run` refuses.
    #[test]
    fn a_turn_rated_twice_counts_with_its_latest_rating() {
        let rated: Vec<RatedTurn> = serde_json::from_value(serde_json::json!([
            { "turn_id": "1", "question": "delivery?", "rating": "up",
              "turn": { "action": "reply", "text": "Delivery is 15 AED.", "language": "en" } },
            { "turn_id": "1", "question": "delivery?", "rating": "down", "correction": "Delivery is free.",
              "turn": { "action": "reply", "text": "Delivery is 15 AED.", "language": "en" } }
        ]))
        .unwrap();
        let suite = from_feedback("feedback", &rated);
        assert_eq!(suite.cases.len(), 1);
        assert_eq!(
            suite.cases[0].expect.similar_to.as_ref().unwrap().answer,
            "Delivery is free."
        );
        let text = serde_norway::to_string(&suite).unwrap();
        assert!(Suite::parse("f.yaml", &text).is_ok());
    }
}
