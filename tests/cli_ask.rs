//! `switchboard ask`: the real binary over a knowledge base that `ingest --kb` filled, with the
//! default support agent and with an agent file, without a model and with one that is down.
//! Skipped with a printed reason where the embedding model is not set up, unless
//! SWITCHBOARD_REQUIRE_MODEL is set.

mod common;

use std::path::Path;

use common::{fixture, ingest, model_ready, switchboard};

fn ask(args: &[&str]) -> serde_json::Value {
    let mut all = vec!["ask", "--json"];
    all.extend_from_slice(args);
    let output = switchboard(&all);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the turn as one JSON document")
}

#[test]
fn ask_answers_from_a_knowledge_base_and_hands_off_by_the_agents_rules() {
    if !model_ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let kb = dir.path().join("kb");
    ingest(
        &kb,
        &[
            fixture("faq.md"),
            fixture("prices-windows1256.csv"),
            fixture("shipping.html"),
        ],
    );
    let kb_arg = kb.to_str().unwrap();

    let turn = ask(&["--kb", kb_arg, "How much does delivery cost in Amman?"]);
    assert_eq!(turn["action"], "reply", "{turn:#}");
    assert_eq!(turn["origin"], "extractive");
    assert!(
        turn["text"].as_str().unwrap().contains("costs 2 JOD"),
        "{turn:#}"
    );
    assert!(
        turn["citations"][0]["source"]
            .as_str()
            .unwrap()
            .ends_with("faq.md")
    );
    assert_eq!(turn["credits"], 1);
    assert!(turn["trace"]["steps"].as_array().unwrap().len() >= 5);

    let turn = ask(&["--kb", kb_arg, "كم سعر البن الكولومبي؟"]);
    assert_eq!(turn["action"], "reply", "{turn:#}");
    assert!(
        turn["text"].as_str().unwrap().contains("بن كولومبي"),
        "{turn:#}"
    );
    assert_eq!(turn["citations"][0]["position"], "row 3");
    assert_eq!(turn["language"], "ar");

    let agent = dir.path().join("agent.yaml");
    std::fs::write(
        &agent,
        "name: Qamar\nknowledge_base: kb\nhandoff:\n  rules:\n    - {name: wholesale, team: wholesale, keywords: [wholesale, جملة]}\n",
    )
    .unwrap();
    let turn = ask(&["--agent", agent.to_str().unwrap(), "هل تبيعون بالجملة؟"]);
    assert_eq!(turn["action"], "handoff", "{turn:#}");
    assert_eq!(turn["team"], "wholesale");
    assert_eq!(turn["reason"]["code"], "rule");
    assert_eq!(turn["credits"], 0);

    // A model that cannot be reached: the extractive answer, and the trace says why.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/v1");
    let turn = ask(&[
        "--kb",
        kb_arg,
        "--llm-url",
        &url,
        "--llm-timeout",
        "2",
        "How much does delivery cost in Amman?",
    ]);
    assert_eq!(turn["origin"], "extractive", "{turn:#}");
    assert!(
        turn["trace"]["decided_by"]
            .as_str()
            .unwrap()
            .contains("the model failed")
    );

    // The assistants for people: grounded suggestions, and no fake polishing without a model.
    let output = switchboard(&[
        "suggest",
        "--json",
        "--kb",
        kb_arg,
        "Can I return an unopened bag?",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let suggestions: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let replies = suggestions["replies"].as_array().unwrap();
    assert!((1..=3).contains(&replies.len()), "{suggestions:#}");
    assert_eq!(suggestions["credits"], replies.len());
    assert!(replies[0]["citations"][0]["source"].is_string());
    let polish = switchboard(&["polish", "hi ur order is late sry"]);
    assert!(!polish.status.success());
    assert!(
        String::from_utf8_lossy(&polish.stderr).contains("writing assistant needs an LLM endpoint"),
        "{}",
        String::from_utf8_lossy(&polish.stderr)
    );

    let text = switchboard(&["ask", "--kb", kb_arg, "I want to talk to a human"]);
    let printed = String::from_utf8_lossy(&text.stdout);
    assert!(
        printed.contains("handoff to support: the customer asked for a person"),
        "{printed}"
    );
}

#[test]
fn a_real_arabic_faq_answers_an_arabic_question() {
    let faq =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/knowledge/sleekflow-faq-ar.txt");
    if !faq.is_file() {
        println!("skipped: {} is absent", faq.display());
        return;
    }
    if !model_ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let kb = dir.path().join("kb");
    ingest(&kb, &[faq.display().to_string()]);
    let turn = ask(&["--kb", kb.to_str().unwrap(), "ما هو SleekFlow؟"]);
    assert_eq!(turn["action"], "reply", "{turn:#}");
    assert!(
        turn["text"].as_str().unwrap().contains("SleekFlow"),
        "{turn:#}"
    );
    assert!(
        turn["citations"][0]["source"]
            .as_str()
            .unwrap()
            .ends_with("sleekflow-faq-ar.txt")
    );
}

#[test]
fn a_bad_agent_file_is_refused_naming_the_file_and_the_field() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("kb/index")).unwrap();
    let agent = dir.path().join("agent.yaml");
    std::fs::write(
        &agent,
        "name: Qamar\ntone: friendly\nhandoff: {min_confidence: 3}\n",
    )
    .unwrap();
    let output = switchboard(&[
        "ask",
        "--agent",
        agent.to_str().unwrap(),
        "--kb",
        dir.path().join("kb").to_str().unwrap(),
        "hello",
    ]);
    assert!(!output.status.success());
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(
        error.contains("agent.yaml: handoff.min_confidence: must be between 0 and 1.1"),
        "{error}"
    );
    let neither = switchboard(&["ask", "hello"]);
    assert!(!neither.status.success());
}

#[test]
fn the_writing_assistant_says_it_needs_a_model_and_a_handoff_reads_as_words() {
    let help = common::switchboard(&["polish", "--help"]);
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(
        help.contains("polish needs one") && !help.contains("the extractive answerer replies"),
        "polish's help used to be ask's: {help}"
    );
    let reason = agentflow::HandoffReason::Rule {
        rule: "wholesale".into(),
    };
    assert_eq!(
        reason.to_string(),
        "rule wholesale",
        "not Rule {{ rule: .. }}"
    );
}
