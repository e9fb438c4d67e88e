//! Whether one turn meets its case's expectations, check by check.

use agentflow::text::matching_form;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::suite::Case;

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Check {
    /// `contains`, `similar_to`, `cites`, `handoff`, ...
    pub name: String,
    pub passed: bool,
    /// What was expected and what the turn did.
    pub detail: String,
}

/// The turn's text a customer reads: the reply, or the handoff's message.
pub fn customer_text(turn: &Value) -> &str {
    turn["text"]
        .as_str()
        .or_else(|| turn["message"].as_str())
        .unwrap_or("")
}

/// Whether a cited or retrieved source is the one a case names: the same name, or a path
/// ending in it (a local knowledge base records the path a file was ingested from).
pub fn same_source(actual: &str, expected: &str) -> bool {
    actual == expected
        || actual
            .strip_suffix(expected)
            .is_some_and(|directory| directory.ends_with(['/', '\\']))
}

/// The guardrail that refused the message at input, if one did.
pub fn refusal(turn: &Value) -> Option<&str> {
    turn["trace"]["guardrails"]
        .as_array()?
        .iter()
        .find(|hit| hit["stage"] == "input")
        .and_then(|hit| hit["guardrail"].as_str())
}

/// The team a handoff went to, or `none`.
pub fn handoff_team(turn: &Value) -> &str {
    if turn["action"] == "handoff" {
        turn["team"].as_str().unwrap_or("")
    } else {
        "none"
    }
}

/// Whether the turn declined to answer: it asked to rephrase, or handed over because the
/// knowledge does not answer.
pub fn declined(turn: &Value) -> bool {
    turn["unanswered"] == true
        || (turn["action"] == "handoff" && turn["reason"]["code"] == "low_confidence")
}

/// Whether the turn answers with one of the facts. A declined turn answers nothing, even when
/// it quotes the questions the knowledge does answer.
pub fn answers_with_a_fact(turn: &Value, facts: &[String]) -> bool {
    !declined(turn) && carries_a_fact(customer_text(turn), facts)
}

/// Whether `text` carries one of the facts (case, Arabic letter forms and diacritics ignored).
pub fn carries_a_fact(text: &str, facts: &[String]) -> bool {
    let text = matching_form(text);
    facts.iter().any(|fact| text.contains(&matching_form(fact)))
}

/// Runs every check the case asks for. `similarity` is the reply's similarity to the case's
/// reference answer, when it has one (the runner embeds both).
pub fn check(case: &Case, turn: &Value, similarity: Option<f32>) -> Vec<Check> {
    let expect = &case.expect;
    let text = customer_text(turn);
    let said = matching_form(text);
    let mut checks = Vec::new();
    let mut add = |name: &str, passed: bool, detail: String| {
        checks.push(Check {
            name: name.to_string(),
            passed,
            detail,
        })
    };
    for phrase in &expect.contains {
        add(
            "contains",
            said.contains(&matching_form(phrase)),
            format!("{phrase:?} in the reply"),
        );
    }
    for phrase in &expect.not_contains {
        add(
            "not_contains",
            !said.contains(&matching_form(phrase)),
            format!("{phrase:?} not in the reply"),
        );
    }
    if let Some(similar) = &expect.similar_to {
        let score = similarity.unwrap_or(0.0);
        add(
            "similar_to",
            score >= similar.threshold,
            format!("similarity {score:.3}, needs {:.2}", similar.threshold),
        );
    }
    let citations = turn["citations"].as_array().cloned().unwrap_or_default();
    for cited in &expect.cites {
        let found = citations.iter().any(|citation| {
            same_source(citation["source"].as_str().unwrap_or(""), &cited.source)
                && cited.position.as_ref().is_none_or(|position| {
                    matching_form(citation["position"].as_str().unwrap_or(""))
                        .contains(&matching_form(position))
                })
        });
        let cited_sources: Vec<&str> = citations
            .iter()
            .filter_map(|citation| citation["source"].as_str())
            .collect();
        add(
            "cites",
            found,
            format!(
                "{}{} among the citations {cited_sources:?}",
                cited.source,
                cited
                    .position
                    .as_ref()
                    .map(|position| format!(" ({position})"))
                    .unwrap_or_default()
            ),
        );
    }
    if let Some(team) = &expect.handoff {
        let actual = handoff_team(turn);
        add(
            "handoff",
            actual == team,
            format!("expected {team}, got {actual}"),
        );
    }
    if let Some(guardrail) = &expect.refuses {
        let actual = refusal(turn).unwrap_or("none");
        add(
            "refuses",
            actual == guardrail,
            format!("expected {guardrail}, got {actual}"),
        );
    }
    if let Some(language) = &expect.language {
        let actual = turn["language"].as_str().unwrap_or("");
        add(
            "language",
            actual == language,
            format!("expected {language}, got {actual}"),
        );
    }
    if !expect.facts.is_empty() {
        add(
            "facts",
            answers_with_a_fact(turn, &expect.facts),
            format!("one of {:?} in the reply", expect.facts),
        );
    }
    if let Some(answered) = expect.answered {
        let declined = declined(turn);
        add(
            "answered",
            answered != declined,
            format!(
                "expected {}, the agent {}",
                if answered { "an answer" } else { "to decline" },
                if declined { "declined" } else { "answered" }
            ),
        );
    }
    if let Some(kind) = &expect.kind {
        let decided = turn["trace"]["decided_by"].as_str().unwrap_or("");
        add(
            "kind",
            decided == format!("small talk: {kind}"),
            format!("expected small talk ({kind}), decided by {decided:?}"),
        );
    }
    checks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::Suite;

    fn case(expect: &str) -> Case {
        let text = format!(
            "name: t\ncases:\n  - id: c\n    input: {{ message: m }}\n    expect: {expect}\n"
        );
        Suite::parse("t.yaml", &text).unwrap().cases.remove(0)
    }

    #[test]
    fn phrases_match_across_case_and_arabic_letter_forms() {
        let turn = serde_json::json!({ "action": "reply", "text": "يفتح المقهى يوم الجُمعة من الساعة 2. Delivery is FREE.", "citations": [] });
        let checks = check(
            &case("{ contains: [الجمعة, free], not_contains: مغلق }"),
            &turn,
            None,
        );
        assert!(checks.iter().all(|check| check.passed), "{checks:?}");
        let checks = check(&case("{ contains: closed }"), &turn, None);
        assert!(!checks[0].passed);
    }

    #[test]
    fn citations_handoffs_refusals_and_language_are_checked() {
        let reply = serde_json::json!({
            "action": "reply", "text": "x", "language": "ar",
            "citations": [{ "source": "faq.md", "position": "FAQ > Returns and refunds" }],
            "trace": { "guardrails": [] }
        });
        let passing = check(
            &case(
                "{ cites: [{ source: faq.md, position: returns }], handoff: none, refuses: none, language: ar }",
            ),
            &reply,
            None,
        );
        assert!(passing.iter().all(|check| check.passed), "{passing:?}");
        let failing = check(
            &case("{ cites: [{ source: prices.csv }], handoff: sales, language: en }"),
            &reply,
            None,
        );
        assert!(failing.iter().all(|check| !check.passed), "{failing:?}");
        let refused = serde_json::json!({
            "action": "reply", "text": "I can't help with that.",
            "trace": { "guardrails": [{ "guardrail": "prompt_injection", "stage": "input", "detail": "ignore" }] }
        });
        assert!(check(&case("{ refuses: prompt_injection }"), &refused, None)[0].passed);
        let handoff =
            serde_json::json!({ "action": "handoff", "team": "sales", "message": "One moment." });
        assert!(check(&case("{ handoff: sales }"), &handoff, None)[0].passed);
    }

    #[test]
    fn facts_declines_and_small_talk_are_checked() {
        let reply = serde_json::json!({
            "action": "reply", "text": "الرسوم تبدأ من 79 دولاراً شهرياً [1]", "unanswered": false,
            "trace": { "decided_by": null }
        });
        let checks = check(
            &case("{ facts: [\"79 دولارا\", nothing], answered: true }"),
            &reply,
            None,
        );
        assert!(checks.iter().all(|check| check.passed), "{checks:?}");
        assert!(!check(&case("{ answered: false }"), &reply, None)[0].passed);
        let rephrase = serde_json::json!({ "action": "reply", "text": "?", "unanswered": true });
        assert!(check(&case("{ answered: false }"), &rephrase, None)[0].passed);
        let offering = serde_json::json!({
            "action": "reply", "unanswered": true,
            "text": "I couldn't find an exact answer. Our FAQ answers \"Is it 79 دولاراً a month?\""
        });
        assert!(
            !check(&case("{ facts: [\"79 دولارا\"] }"), &offering, None)[0].passed,
            "a declined reply quoting a question answers nothing"
        );
        let handoff = serde_json::json!({
            "action": "handoff", "team": "support", "reason": { "code": "low_confidence" }
        });
        assert!(check(&case("{ answered: false }"), &handoff, None)[0].passed);
        let hello = serde_json::json!({
            "action": "reply", "text": "Hello!", "trace": { "decided_by": "small talk: greeting" }
        });
        assert!(check(&case("{ kind: greeting }"), &hello, None)[0].passed);
        assert!(!check(&case("{ kind: thanks }"), &hello, None)[0].passed);
    }

    #[test]
    fn a_source_matches_by_name_or_path() {
        assert!(same_source("faq.md", "faq.md"));
        assert!(same_source("demo/faq.md", "faq.md"));
        assert!(!same_source("demo/old-faq.md", "faq.md"));
        assert!(!same_source("faq.md.bak", "faq.md"));
    }

    #[test]
    fn similarity_is_compared_with_the_cases_threshold() {
        let turn = serde_json::json!({ "action": "reply", "text": "x" });
        let expect = "{ similar_to: { answer: y, threshold: 0.9 } }";
        assert!(check(&case(expect), &turn, Some(0.93))[0].passed);
        assert!(!check(&case(expect), &turn, Some(0.89))[0].passed);
        assert!(
            !check(&case(expect), &turn, None)[0].passed,
            "no similarity is a failure"
        );
    }
}
