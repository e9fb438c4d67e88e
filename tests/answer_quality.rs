//! Answer quality on real knowledge, as a customer meets it: the development sets (an Arabic
//! FAQ asked in Arabic, in English, in Arabic typed in Latin letters and in Arabic with English
//! words; an English article asked in English and Arabic) through `switchboard eval run`, each
//! held at thresholds just under what they measured (docs/calibration.md). A regression fails
//! CI. The figures are far from the targets the product wants (a key fact in 85% of replies):
//! the thresholds hold what there is.

mod common;

use std::path::Path;

use common::shared;

fn repo(path: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(path)
        .display()
        .to_string()
}

/// Ingests `knowledge` (a path under ../shared/data) and runs `suite` (a path in the
/// repository) over it with thresholds; see [`holds_at`].
fn holds(knowledge: &str, suite: &str, thresholds: &[&str]) {
    holds_at(knowledge, &repo(suite), thresholds);
}

/// Ingests `knowledge` (a path under ../shared/data) and runs the suite at `suite` over it with
/// `thresholds`; panics with the run's table when one breaks. Skips, saying why, where the
/// knowledge or the model is missing.
fn holds_at(knowledge: &str, suite: &str, thresholds: &[&str]) {
    let Some(knowledge) = shared(knowledge) else {
        return;
    };
    if !common::model_ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let kb = dir.path().join("kb");
    common::ingest(&kb, &[knowledge.display().to_string()]);
    let mut args = vec!["eval", "run", suite, "--kb", kb.to_str().unwrap()];
    for threshold in thresholds {
        args.extend(["--threshold", threshold]);
    }
    let output = common::switchboard(&args);
    assert!(
        output.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_arabic_faq_is_answered_in_arabic_and_english() {
    holds(
        "knowledge/sleekflow-faq-ar.txt",
        "evals/suites/faq-ar.yaml",
        &[
            "fact_rate[ar-ar]>=0.69",
            "fact_rate[en-ar]>=0.44",
            "fact_rate[followup]>=0.7",
            "fact_rate[offer]>=1",
            "fact_rate_with_pick[ar-ar]>=0.74",
            "fact_rate_with_pick[en-ar]>=0.66",
            "fact_precision>=0.77",
            "declined_rate>=0.9",
            "declined_rate[off-topic]>=1",
            "fact_top3>=0.8",
            "pass_rate[greeting]>=1",
            "pass_rate[thanks]>=1",
            "pass_rate[goodbye]>=1",
            "positioned_citations>=1",
        ],
    );
}

#[test]
fn the_arabic_faq_is_answered_when_asked_in_latin_letters() {
    holds(
        "knowledge/sleekflow-faq-ar.txt",
        "evals/suites/faq-arabizi.yaml",
        &[
            "fact_rate>=0.44",
            "fact_rate_with_pick>=0.64",
            "fact_precision>=0.64",
            "declined_rate>=1",
            "pass_rate[greeting]>=1",
            "pass_rate[thanks]>=1",
            "pass_rate[goodbye]>=1",
            "positioned_citations>=1",
        ],
    );
}

#[test]
fn the_arabic_faq_is_answered_when_asked_with_english_words() {
    holds(
        "knowledge/sleekflow-faq-ar.txt",
        "evals/suites/faq-code-switch.yaml",
        &[
            "fact_rate>=0.72",
            "fact_rate[arabic-letters]>=0.66",
            "fact_rate_with_pick>=0.77",
            "fact_precision>=0.82",
            "declined_rate>=1",
            "fact_top3>=0.87",
            "positioned_citations>=1",
        ],
    );
}

/// The FAQ suite's single questions as customers type them on a phone: without their question
/// marks, and the English ones all in lower case ("how can i export my contacts and chats").
/// Asked so, they were answered less often and near misses more often (docs/calibration.md,
/// "Questions typed on a phone"); the turn now reads them as written out.
#[test]
fn the_arabic_faq_is_answered_as_customers_type_on_a_phone() {
    let path = repo("evals/suites/faq-ar.yaml");
    let written = std::fs::read_to_string(&path).unwrap();
    let mut suite = evals::suite::Suite::parse(&path, &written).unwrap();
    let tagged = |case: &evals::suite::Case, tag: &str| case.tags.iter().any(|t| t == tag);
    // A follow-up or a pick of an offer leans on its history: only questions asked alone.
    suite.cases.retain(|case| {
        (tagged(case, "ar-ar") || tagged(case, "en-ar")) && case.input.history.is_empty()
    });
    for case in &mut suite.cases {
        let message = case.input.message.trim_end_matches(['?', '؟', '.', ' ']);
        case.input.message = if tagged(case, "en-ar") {
            message.to_lowercase()
        } else {
            message.to_string()
        };
    }
    let dir = tempfile::tempdir().unwrap();
    let typed = dir.path().join("faq-ar-typed.yaml");
    std::fs::write(&typed, serde_norway::to_string(&suite).unwrap()).unwrap();
    holds_at(
        "knowledge/sleekflow-faq-ar.txt",
        typed.to_str().unwrap(),
        &[
            "fact_rate[ar-ar]>=0.64",
            "fact_rate[en-ar]>=0.4",
            "fact_precision>=0.74",
            "declined_rate>=0.87",
        ],
    );
}

#[test]
fn an_english_article_is_answered_in_english_and_arabic() {
    holds(
        "documents/html/readability/google-sre-book-1/source.html",
        "evals/suites/english-kb.yaml",
        &[
            "fact_rate[en-en]>=0.78",
            "fact_rate[ar-en]>=0.45",
            "fact_precision>=0.84",
            "declined_rate>=0.85",
            "fact_top3>=0.88",
            "positioned_citations>=1",
        ],
    );
}
