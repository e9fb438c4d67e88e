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

/// Ingests `knowledge` (a path under ../shared/data) and runs `suite` over it with
/// `thresholds`; panics with the run's table when one breaks. Skips, saying why, where the
/// knowledge or the model is missing.
fn holds(knowledge: &str, suite: &str, thresholds: &[&str]) {
    let Some(knowledge) = shared(knowledge) else {
        return;
    };
    if !common::model_ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let kb = dir.path().join("kb");
    common::ingest(&kb, &[knowledge.display().to_string()]);
    let suite = repo(suite);
    let mut args = vec!["eval", "run", &suite, "--kb", kb.to_str().unwrap()];
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
            "fact_rate[ar-ar]>=0.61",
            "fact_rate[en-ar]>=0.44",
            "fact_rate[followup]>=0.7",
            "fact_rate[offer]>=1",
            "fact_rate_with_pick[ar-ar]>=0.74",
            "fact_rate_with_pick[en-ar]>=0.66",
            "fact_precision>=0.78",
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
            "fact_rate>=0.67",
            "fact_rate[arabic-letters]>=0.66",
            "fact_rate_with_pick>=0.77",
            "fact_precision>=0.81",
            "declined_rate>=1",
            "fact_top3>=0.87",
            "positioned_citations>=1",
        ],
    );
}

#[test]
fn an_english_article_is_answered_in_english_and_arabic() {
    holds(
        "documents/html/readability/google-sre-book-1/source.html",
        "evals/suites/english-kb.yaml",
        &[
            "fact_rate[en-en]>=0.71",
            "fact_rate[ar-en]>=0.35",
            "fact_precision>=0.75",
            "declined_rate>=0.85",
            "fact_top3>=0.88",
            "positioned_citations>=1",
        ],
    );
}
