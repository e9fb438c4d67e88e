//! `switchboard ingest --kb` then `switchboard search`: the real binary, the real model, the
//! embedded Qdrant index, questions in Arabic and English, and an index whose lexical vectors
//! another analysis made. Skipped with a printed reason where
//! the model is not set up (scripts/setup.sh), unless SWITCHBOARD_REQUIRE_MODEL is set.

mod common;

use std::path::{Path, PathBuf};

use common::{fixture, ingest, model_ready, switchboard};
use knowledge::embed::{Embedder, EmbedderConfig};
use knowledge::index::{EdgeIndex, VectorIndex};
use knowledge::lexical::{LEXICAL_ANALYSIS, SparseVector};

fn top_passage(kb: &Path, question: &str) -> serde_json::Value {
    let output = switchboard(&[
        "search",
        "--kb",
        kb.to_str().unwrap(),
        "-k",
        "3",
        "--json",
        question,
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let document: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("one JSON document");
    assert_eq!(document["question"], question);
    document["passages"][0].clone()
}

#[test]
fn answers_arabic_and_english_questions_from_ingested_files() {
    if !model_ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let kb: PathBuf = dir.path().join("kb");
    let mut sources = vec![
        fixture("faq.md"),
        fixture("prices-windows1256.csv"),
        fixture("shipping.html"),
    ];
    let shared_faq =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/knowledge/sleekflow-faq-ar.txt");
    if shared_faq.is_file() {
        sources.push(shared_faq.display().to_string());
    }
    ingest(&kb, &sources);

    let delivery = top_passage(&kb, "How much does delivery cost in Amman?");
    assert!(
        delivery["text"].as_str().unwrap().contains("costs 2 JOD"),
        "{delivery}"
    );
    assert_eq!(delivery["position"]["section"][1], "Orders and delivery");

    let price = top_passage(&kb, "كم سعر البن الكولومبي؟");
    assert_eq!(
        price["text"], "المنتج: بن كولومبي; السعر: 8; الوزن: 250 غرام",
        "{price}"
    );
    assert_eq!(price["position"]["row"], 3);

    // Across languages: an Arabic question, answered in the English part and the Arabic part.
    let refunds = top_passage(&kb, "هل يمكن إرجاع الأكياس غير المفتوحة؟");
    let text = refunds["text"].as_str().unwrap();
    assert!(
        text.contains("Unopened bags") || text.contains("غير المفتوحة"),
        "{refunds}"
    );

    // Another model of the same vector size may not read these vectors.
    let other_model = std::process::Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["search", "--kb", kb.to_str().unwrap(), "delivery"])
        .env("SWITCHBOARD_MODEL", "all-minilm-l6-v2")
        .output()
        .unwrap();
    assert!(!other_model.status.success());
    let error = String::from_utf8_lossy(&other_model.stderr);
    assert!(
        error.contains("was embedded with multilingual-e5-small"),
        "{error}"
    );

    // Re-ingesting keeps the same chunks; the knowledge base refuses an eleventh source.
    let again = switchboard(&["ingest", "--kb", kb.to_str().unwrap(), &fixture("faq.md")]);
    assert!(again.status.success());
    assert_eq!(
        top_passage(&kb, "How much does delivery cost in Amman?")["id"],
        delivery["id"]
    );
    let mut many = vec![
        "ingest".to_string(),
        "--kb".into(),
        kb.display().to_string(),
    ];
    for n in 0..8 {
        let extra = dir.path().join(format!("note-{n}.txt"));
        std::fs::write(&extra, format!("note {n}")).unwrap();
        many.push(extra.display().to_string());
    }
    let refused = switchboard(&many.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("at most 10 sources"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
}

/// Blanks every lexical vector of the index in `kb`, as an analysis that finds no term would
/// have made them.
fn blank_lexical_vectors(kb: &Path) {
    let dimension = Embedder::load(EmbedderConfig::from_environment())
        .unwrap()
        .dimension();
    let index = EdgeIndex::open(&kb.join("index"), dimension).unwrap();
    let (texts, next) = index.texts(None, 1000).unwrap();
    assert!(next.is_none());
    let blank: Vec<_> = texts
        .iter()
        .map(|stored| (stored.id, SparseVector::default()))
        .collect();
    index.replace_sparse(&blank).unwrap();
}

#[test]
fn an_index_made_with_another_lexical_analysis_is_analysed_again_when_opened() {
    if !model_ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let faq = dir.path().join("faq.txt");
    std::fs::write(
        &faq,
        "ما هي القنوات التي تدعمونها؟\nندعم واتساب وإنستغرام وتيليجرام.\n\nكم سعر الخطة؟\nالخطة الأساسية بعشرة دولارات.\n",
    )
    .unwrap();
    let kb = dir.path().join("kb");
    ingest(&kb, &[faq.display().to_string()]);
    let record = kb.join("lexical-analysis");
    let recorded = std::fs::read_to_string(&record).unwrap();
    assert_eq!(recorded.trim(), LEXICAL_ANALYSIS.to_string());
    // Without its article, as a customer writes it.
    assert_eq!(top_passage(&kb, "قنوات")["sparse_rank"], 1);

    blank_lexical_vectors(&kb);
    assert!(
        top_passage(&kb, "قنوات")["sparse_rank"].is_null(),
        "the record says the vectors are this analysis's: they are left alone"
    );

    std::fs::write(&record, "1\n").unwrap();
    assert_eq!(top_passage(&kb, "قنوات")["sparse_rank"], 1);
    let recorded = std::fs::read_to_string(&record).unwrap();
    assert_eq!(recorded.trim(), LEXICAL_ANALYSIS.to_string());
}

#[test]
fn searching_a_missing_knowledge_base_says_how_to_fill_it() {
    let dir = tempfile::tempdir().unwrap();
    let output = switchboard(&[
        "search",
        "--kb",
        dir.path().join("nothing").to_str().unwrap(),
        "hello",
    ]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("switchboard ingest --kb"));
}

/// A model named for the hub, on a machine that reaches none: the error names the model, what
/// failed and the offline models.
#[test]
fn a_hub_model_out_of_reach_is_a_clear_error() {
    if !common::model_ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["ingest", "--kb"])
        .arg(dir.path().join("kb"))
        .arg(common::fixture("faq.md"))
        .env("SWITCHBOARD_MODEL", "BAAI/bge-small-en-v1.5")
        .output()
        .unwrap();
    let error = String::from_utf8_lossy(&output.stderr);
    if output.status.success() {
        println!("the hub answered here: the named model was fetched and used");
        return;
    }
    assert!(
        error.contains("bge-small-en-v1.5")
            && error.contains("model hub")
            && error.contains("scripts/setup.sh"),
        "{error}"
    );
}

#[test]
fn asking_for_no_passages_is_refused() {
    let output = common::switchboard(&["search", "--kb", "/nonexistent", "-k", "0", "delivery"]);
    assert!(!output.status.success(), "-k 0 used to exit 0");
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(
        error.contains("at least 1") && error.contains("--limit"),
        "{error}"
    );
}
