//! Eval runs through the API: a suite queued against a version of an agent, its report with
//! the failures first, a suite made from the thumbs people gave, two versions compared, and
//! the runs gone with their agent; on SQLite and on PostgreSQL.

mod common;

use common::app::{Database, Embedding, Options, spawn_app};
use common::service::Api;
use serde_json::{Value, json};

const KNOWLEDGE: &str = "Delivery\n\
    We deliver across the city within 45 minutes. Delivery costs 10 riyals.\n\n\
    Opening hours\n\
    We are open every day from 8 in the morning until 11 at night.\n";

const SUITE: &str = r#"
name: café basics
cases:
  - id: delivery-time
    input: { message: "How long does delivery take?" }
    expect: { contains: "45 minutes" }
  - id: gift-cards
    input: { message: "Do you sell gift cards?" }
    expect: { contains: "sold at the counter" }
"#;

/// Polls the run until it has ended.
async fn ended(api: &Api, run: &str) -> Value {
    common::eventually("the eval run to end", || async {
        let (status, body) = api.get(&format!("/v1/eval-runs/{run}")).await;
        assert_eq!(status, 200, "{body}");
        (body["status"] != "queued").then_some(body)
    })
    .await
}

async fn start(api: &Api, agent: &str, body: Value) -> String {
    let (status, run) = api
        .post(&format!("/v1/agents/{agent}/eval-runs"), body)
        .await;
    assert_eq!(status, 202, "{run}");
    assert_eq!(run["status"], "queued");
    run["id"].as_str().unwrap().to_string()
}

fn ids(results: &Value) -> Vec<&str> {
    results
        .as_array()
        .unwrap()
        .iter()
        .map(|case| case["id"].as_str().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eval_runs_report_and_compare_versions_on_sqlite() {
    eval_runs_report_and_compare_versions(Database::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eval_runs_report_and_compare_versions_on_postgres() {
    eval_runs_report_and_compare_versions(Database::Postgres).await;
}

async fn eval_runs_report_and_compare_versions(database: Database) {
    if !common::model_ready() {
        return;
    }
    let Some(app) = spawn_app(Options {
        embedding: Embedding::Real,
        database,
        ..Options::default()
    })
    .await
    else {
        return;
    };
    let api = app.api();
    let agent = api.agent_answering(KNOWLEDGE).await;

    // Version 1 knows delivery, not gift cards: the failure comes first in the report.
    let first = start(&api, &agent, json!({ "suite": SUITE })).await;
    let report = ended(&api, &first).await;
    assert_eq!(report["status"], "done", "{report}");
    assert_eq!(report["agent_version"], 1);
    assert_eq!(report["suite"], "café basics");
    assert_eq!(report["cases"], 2);
    assert_eq!(report["passed"], 1, "{report}");
    assert_eq!(ids(&report["results"]), ["gift-cards", "delivery-time"]);
    assert_eq!(report["results"][0]["passed"], false);
    assert!(report["results"][1]["turn"]["trace"].is_object());
    assert_eq!(report["metrics"]["overall"]["passed"], 1);

    // Version 2 has a custom answer for gift cards.
    let (status, current) = api.get(&format!("/v1/agents/{agent}")).await;
    assert_eq!(status, 200);
    let mut config = current["config"].clone();
    config["custom_answers"] = json!([{
        "question": "Do you sell gift cards?",
        "answer": "Yes: gift cards are sold at the counter, from 50 riyals."
    }]);
    let (status, updated) = api.put(&format!("/v1/agents/{agent}"), config).await;
    assert_eq!(status, 200, "{updated}");
    let second = start(&api, &agent, json!({ "suite": SUITE })).await;
    let report = ended(&api, &second).await;
    assert_eq!(report["agent_version"], 2);
    assert_eq!(report["passed"], 2, "{report}");
    // An earlier version can be run again, as it was.
    let again = start(&api, &agent, json!({ "suite": SUITE, "version": 1 })).await;
    assert_eq!(ended(&api, &again).await["passed"], 1);

    let (status, compared) = api
        .get(&format!("/v1/eval-runs/{first}/comparison?with={second}"))
        .await;
    assert_eq!(status, 200, "{compared}");
    assert_eq!(compared["improvements"], json!(["gift-cards"]));
    assert_eq!(compared["regressions"], json!([]));
    let pass_rate = compared["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["metric"] == "pass_rate")
        .expect("the pass rate is compared");
    assert_eq!(pass_rate["first"], 0.5);
    assert_eq!(pass_rate["second"], 1.0);

    // The list: every run, oldest first, metrics without the cases.
    let (status, listed) = api.get(&format!("/v1/agents/{agent}/eval-runs")).await;
    assert_eq!(status, 200);
    assert_eq!(
        ids(&listed),
        [first.as_str(), second.as_str(), again.as_str()]
    );
    assert!(listed[0].get("results").is_none());

    // A suite from feedback: the approved reply must stay.
    let (status, turn) = api.ask(&agent, "How long does delivery take?").await;
    assert_eq!(status, 200, "{turn}");
    let (status, rated) = api
        .post(
            &format!("/v1/turns/{}/feedback", turn["id"].as_str().unwrap()),
            json!({ "rating": "up" }),
        )
        .await;
    assert_eq!(status, 201, "{rated}");
    let from_feedback = start(&api, &agent, json!({ "from_feedback": true })).await;
    let report = ended(&api, &from_feedback).await;
    assert_eq!(report["cases"], 1);
    assert_eq!(report["passed"], 1, "{report}");

    // What cannot be run is refused, naming why.
    let long_case = format!(
        "name: long\ncases:\n  - id: too-long\n    input: {{ message: \"{}\" }}\n",
        "word ".repeat(2_000)
    );
    for (body, names) in [
        (json!({}), "suite"),
        (json!({ "suite": SUITE, "from_feedback": true }), "suite"),
        (json!({ "suite": "name: x\ncases: 3" }), "suite"),
        (json!({ "suite": "name: empty\ncases: []" }), "cases"),
        (json!({ "suite": SUITE, "version": 9 }), "version"),
        (json!({ "suite": long_case }), "too-long"),
    ] {
        let (status, error) = api
            .post(&format!("/v1/agents/{agent}/eval-runs"), body)
            .await;
        assert_eq!(status, 422, "{error}");
        assert!(
            error["error"]["message"].as_str().unwrap().contains(names),
            "{error}"
        );
    }

    // Deleted with the agent.
    assert_eq!(api.delete(&format!("/v1/agents/{agent}")).await, 204);
    let (status, _) = api.get(&format!("/v1/eval-runs/{first}")).await;
    assert_eq!(status, 404);
    app.stop().await;
}
