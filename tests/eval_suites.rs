//! Eval suites through the binary: the demo suite in this process and against the service
//! (the CI gate), a suite built from thumbs up and down, reports, comparison and thresholds.

mod common;

use std::path::Path;
use std::process::Output;

use common::service::{Api, TestServer, create_workspace};
use serde_json::{Value, json};

fn repo(path: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(path)
        .display()
        .to_string()
}

fn report(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn succeeded(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).to_string()
}

#[tokio::test]
async fn the_demo_suite_passes_in_process_and_against_the_service() {
    if !common::model_ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let kb = dir.path().join("kb");
    common::ingest(
        &kb,
        &[
            repo("demo/qahwa-house-faq.md"),
            repo("demo/qahwa-house-faq.ar.md"),
        ],
    );
    let local = dir.path().join("local.json");
    let junit = dir.path().join("local.xml");
    let html = dir.path().join("local.html");
    let suite = repo("evals/suites/demo.yaml");
    let agent_file = repo("demo/agent.yaml");
    let in_process = |suite: &str, more: &[&str]| {
        let local = [
            "eval",
            "run",
            suite,
            "--agent",
            &agent_file,
            "--kb",
            kb.to_str().unwrap(),
        ];
        common::switchboard(&[&local[..], more].concat())
    };
    let table = succeeded(&in_process(
        &suite,
        &[
            "--min-pass-rate",
            "1",
            "--threshold",
            "mrr>=0.9",
            "--json",
            local.to_str().unwrap(),
            "--junit",
            junit.to_str().unwrap(),
            "--html",
            html.to_str().unwrap(),
        ],
    ));
    assert!(table.contains("passed 14/14"), "{table}");
    let local_report = report(&local);
    assert_eq!(local_report["metrics"]["overall"]["pass_rate"], 1.0);
    assert_eq!(local_report["metrics"]["retrieval_cases"], 7);
    assert_eq!(local_report["metrics"]["guardrails"]["recall"], 1.0);
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains("<testsuite name=\"demo\" tests=\"14\" failures=\"0\""),
        "{xml}"
    );
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("demo: 14 of 14 passed") && page.contains("Retrieved passages"));

    // A threshold the run cannot meet fails it, and says which.
    let gated = in_process(&suite, &["--threshold", "latency_p95_ms<=0"]);
    assert_eq!(gated.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&gated.stderr).contains("latency_p95_ms is"));
    let bad = common::switchboard(&[
        "eval",
        "run",
        &suite,
        "--kb",
        kb.to_str().unwrap(),
        "--threshold",
        "speed>=1",
    ]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("is not a metric"));

    // The same suite against the service, with the demo agent created through the API.
    let data = dir.path().join("service");
    let (_, key) = create_workspace(&data, &[], "acme", 1000);
    let server = TestServer::start(&data, &[]);
    let api = Api::new(&server, &key);
    let kb_id = api.create_knowledge_base("faq").await;
    for name in ["qahwa-house-faq.md", "qahwa-house-faq.ar.md"] {
        let bytes = std::fs::read(repo(&format!("demo/{name}"))).unwrap();
        api.upload(&format!("/v1/knowledge-bases/{kb_id}/sources"), name, bytes)
            .await;
    }
    api.wait_until_ready(&kb_id).await;
    let mut config: Value =
        serde_norway::from_str(&std::fs::read_to_string(repo("demo/agent.yaml")).unwrap()).unwrap();
    config["knowledge_base"] = json!(kb_id);
    let (status, agent) = api.post("/v1/agents", config).await;
    assert_eq!(status, 201, "{agent}");
    let agent = agent["id"].as_str().unwrap().to_string();
    let remote = dir.path().join("remote.json");
    let service = [
        "--server",
        server.url.as_str(),
        "--key",
        key.as_str(),
        "--agent",
        agent.as_str(),
    ];
    let against_service = |suite: &str, more: &[&str]| {
        let args = [&["eval", "run", suite], &service[..], more].concat();
        succeeded(&common::switchboard(&args))
    };
    let table = against_service(
        &suite,
        &["--min-pass-rate", "1", "--json", remote.to_str().unwrap()],
    );
    assert!(table.contains("passed 14/14"), "{table}");
    assert_eq!(
        report(&remote)["metrics"]["credits"],
        report(&local)["metrics"]["credits"]
    );
    let comparison = succeeded(&common::switchboard(&[
        "eval",
        "compare",
        local.to_str().unwrap(),
        remote.to_str().unwrap(),
    ]));
    assert!(
        comparison.contains("regressions: 0") && comparison.contains("improvements: 0"),
        "{comparison}"
    );

    // Thumbs up and a correction become a suite, which runs against the service.
    let mut turns = Vec::new();
    for question in [
        "How much does delivery cost?",
        "هل يمكن إرجاع الكيس المفتوح؟",
        "Do you have oat milk?",
    ] {
        let (_, turn) = api.ask(&agent, question).await;
        turns.push(turn);
    }
    let [liked, disliked, unexplained] = [&turns[0], &turns[1], &turns[2]];
    for (turn, body) in [
        (liked, json!({ "rating": "up" })),
        (
            disliked,
            json!({ "rating": "down", "correction": "لا يمكن إرجاع الأكياس المفتوحة، لكننا نستبدل الكيس مجاناً إذا تضرر أثناء الشحن أو كان طعمه قديماً." }),
        ),
        (unexplained, json!({ "rating": "down" })),
    ] {
        let (status, _) = api
            .post(
                &format!("/v1/turns/{}/feedback", turn["id"].as_str().unwrap()),
                body,
            )
            .await;
        assert_eq!(status, 201);
    }
    let yaml = succeeded(&common::switchboard(
        &[&["eval", "from-feedback"], &service[..]].concat(),
    ));
    let feedback_suite = dir.path().join("feedback.yaml");
    std::fs::write(&feedback_suite, &yaml).unwrap();
    let from_feedback = dir.path().join("feedback.json");
    against_service(
        feedback_suite.to_str().unwrap(),
        &["--json", from_feedback.to_str().unwrap()],
    );
    // The same feedback suite in this process, over the local copy of the knowledge.
    let local_feedback = dir.path().join("feedback-local.json");
    succeeded(&in_process(
        feedback_suite.to_str().unwrap(),
        &["--json", local_feedback.to_str().unwrap()],
    ));
    assert_eq!(
        report(&local_feedback)["cases"].as_array().unwrap().len(),
        2
    );
    let run = report(&from_feedback);
    let cases = run["cases"].as_array().unwrap();
    assert_eq!(
        cases.len(),
        2,
        "the thumbs-down without a correction is not a case: {yaml}"
    );
    let tagged = |tag: &str| {
        cases
            .iter()
            .find(|case| case["tags"][1] == tag)
            .unwrap_or_else(|| panic!("no {tag} case in {yaml}"))
    };
    let regression = tagged("thumbs-up");
    assert_eq!(
        regression["passed"], true,
        "the approved reply still comes back: {regression}"
    );
    let corrected = tagged("correction");
    assert!(
        corrected["similarity"].as_f64().unwrap() > 0.8,
        "{corrected}"
    );
}
