//! What a run is shown as: a terminal table, JUnit XML for CI systems, a self-contained HTML
//! page (failures first, with each turn's trace and retrieved passages); the comparison of two
//! runs; and the thresholds that fail a run.

use std::fmt::Write;

use serde::Serialize;

use crate::run::{CaseResult, Metrics, Rate, Report};

fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_string(), |value| format!("{:.1}%", value * 100.0))
}

fn number(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_string(), |value| format!("{value:.3}"))
}

fn failed_checks(result: &CaseResult) -> String {
    match &result.error {
        Some(error) => format!("error: {error}"),
        None => result
            .checks
            .iter()
            .filter(|check| !check.passed)
            .map(|check| format!("{}: {}", check.name, check.detail))
            .collect::<Vec<_>>()
            .join("; "),
    }
}

/// The metrics as (name, value) rows, the same names thresholds use.
pub fn metric_rows(metrics: &Metrics) -> Vec<(&'static str, Option<f64>)> {
    vec![
        ("pass_rate", Some(metrics.overall.pass_rate)),
        ("hit_rate", metrics.hit_rate),
        ("mrr", metrics.mrr),
        ("answer_similarity", metrics.answer_similarity),
        ("groundedness", metrics.groundedness),
        ("guardrail_precision", metrics.guardrails.precision),
        ("guardrail_recall", metrics.guardrails.recall),
        ("handoff_precision", metrics.handoffs.precision),
        ("handoff_recall", metrics.handoffs.recall),
        ("fact_rate", metrics.fact_rate),
        ("fact_top3", metrics.fact_top3),
        ("fact_precision", metrics.fact_precision),
        ("fact_rate_with_pick", metrics.fact_rate_with_pick),
        ("declined_rate", metrics.declined_rate),
        ("positioned_citations", metrics.positioned_citations),
        ("latency_p50_ms", Some(metrics.latency_p50_ms)),
        ("latency_p95_ms", Some(metrics.latency_p95_ms)),
        ("credits", Some(metrics.credits as f64)),
        ("errors", Some(metrics.errors as f64)),
    ]
}

fn tag_rates(out: &mut String, rates: &std::collections::BTreeMap<String, Rate>) {
    for (tag, rate) in rates {
        let _ = writeln!(
            out,
            "  {tag:<20} {}/{} ({})",
            rate.passed,
            rate.cases,
            percent(Some(rate.pass_rate))
        );
    }
}

pub fn table(report: &Report) -> String {
    let mut out = String::new();
    let metrics = &report.metrics;
    let _ = writeln!(out, "suite {} against {}\n", report.suite, report.agent);
    for result in report.cases.iter().filter(|result| !result.passed) {
        let _ = writeln!(out, "FAIL {}  {}", result.id, failed_checks(result));
    }
    for result in report.cases.iter().filter(|result| result.passed) {
        let _ = writeln!(out, "pass {}  ({:.0} ms)", result.id, result.latency_ms);
    }
    let _ = writeln!(
        out,
        "\npassed {}/{} ({}), errors {}",
        metrics.overall.passed,
        metrics.overall.cases,
        percent(Some(metrics.overall.pass_rate)),
        metrics.errors
    );
    tag_rates(&mut out, &metrics.per_tag);
    for (name, rates) in [
        ("key fact in the reply", &metrics.fact_rate_per_tag),
        (
            "key fact in the reply or in the pick of a question it offers",
            &metrics.fact_rate_with_pick_per_tag,
        ),
        ("declined when unanswerable", &metrics.declined_rate_per_tag),
    ] {
        if !rates.is_empty() {
            let _ = writeln!(out, "{name}, by tag:");
            tag_rates(&mut out, rates);
        }
    }
    let _ = writeln!(
        out,
        "retrieval hit@{} {} and MRR {} over {} cases naming a source",
        crate::run::RETRIEVAL_K,
        percent(metrics.hit_rate),
        number(metrics.mrr),
        metrics.retrieval_cases
    );
    let _ = writeln!(
        out,
        "key fact in the reply {} (or in the pick of a question it offers {}), in the top {} passages {}, in the answered replies {}; declined when unanswerable {}; citations with a position {}",
        percent(metrics.fact_rate),
        percent(metrics.fact_rate_with_pick),
        crate::run::FACT_K,
        percent(metrics.fact_top3),
        percent(metrics.fact_precision),
        percent(metrics.declined_rate),
        percent(metrics.positioned_citations)
    );
    let _ = writeln!(
        out,
        "answer similarity {}, groundedness {}",
        number(metrics.answer_similarity),
        percent(metrics.groundedness)
    );
    let _ = writeln!(
        out,
        "guardrails precision {} recall {}; handoffs precision {} recall {}",
        percent(metrics.guardrails.precision),
        percent(metrics.guardrails.recall),
        percent(metrics.handoffs.precision),
        percent(metrics.handoffs.recall)
    );
    let _ = writeln!(
        out,
        "latency p50 {:.0} ms, p95 {:.0} ms; credits {}",
        metrics.latency_p50_ms, metrics.latency_p95_ms, metrics.credits
    );
    out
}

fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

pub fn junit(report: &Report) -> String {
    let metrics = &report.metrics;
    let seconds: f64 = report.cases.iter().map(|case| case.latency_ms).sum::<f64>() / 1000.0;
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" time=\"{seconds:.3}\">",
        xml(&report.suite),
        metrics.overall.cases,
        metrics.overall.cases - metrics.overall.passed - metrics.errors,
        metrics.errors
    );
    for result in &report.cases {
        let _ = write!(
            out,
            "  <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\"",
            xml(&report.suite),
            xml(&result.id),
            result.latency_ms / 1000.0
        );
        match (&result.error, result.passed) {
            (Some(error), _) => {
                let _ = writeln!(out, "><error message=\"{}\"/></testcase>", xml(error));
            }
            (None, false) => {
                let _ = writeln!(
                    out,
                    "><failure message=\"{}\"/></testcase>",
                    xml(&failed_checks(result))
                );
            }
            (None, true) => out.push_str("/>\n"),
        }
    }
    out.push_str("</testsuite>\n");
    out
}

pub fn html(report: &Report) -> String {
    let metrics = &report.metrics;
    let mut out = String::new();
    let _ = write!(
        out,
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{suite}: {passed}/{cases}</title><style>\
body{{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:70em;color:#222}}\
h1{{font-size:1.4em}} table{{border-collapse:collapse}} td,th{{padding:.2em .8em;border-bottom:1px solid #ddd;text-align:left}}\
.case{{border:1px solid #ccc;border-radius:6px;margin:.8em 0;padding:.6em 1em}} .fail{{border-left:6px solid #c0392b}} .pass{{border-left:6px solid #27ae60}}\
.label{{font-weight:600}} .bad{{color:#c0392b}} .good{{color:#27ae60}} .passage{{background:#f6f6f6;padding:.4em .6em;margin:.3em 0;border-radius:4px}}\
bdi{{unicode-bidi:isolate}} pre{{white-space:pre-wrap;font-size:12px}}\
</style></head><body><h1>{suite}: {passed} of {cases} passed</h1><p>Agent: {agent}</p><table>",
        suite = xml(&report.suite),
        passed = metrics.overall.passed,
        cases = metrics.overall.cases,
        agent = xml(&report.agent),
    );
    for (name, value) in metric_rows(metrics) {
        let _ = write!(out, "<tr><th>{name}</th><td>{}</td></tr>", number(value));
    }
    for (tag, rate) in &metrics.per_tag {
        let _ = write!(
            out,
            "<tr><th>tag {}</th><td>{}/{}</td></tr>",
            xml(tag),
            rate.passed,
            rate.cases
        );
    }
    out.push_str("</table><h2>Cases, failures first</h2>");
    let mut ordered: Vec<&CaseResult> = report.cases.iter().collect();
    ordered.sort_by_key(|result| result.passed);
    for result in ordered {
        let class = if result.passed { "pass" } else { "fail" };
        let _ = write!(
            out,
            "<div class=\"case {class}\"><div class=\"label\">{} <span class=\"{}\">{}</span> <small>{:.0} ms</small></div>\
<p><b>Customer:</b> <bdi>{}</bdi></p><p><b>Agent ({}):</b> <bdi>{}</bdi></p><ul>",
            xml(&result.id),
            if result.passed { "good" } else { "bad" },
            if result.passed { "passed" } else { "failed" },
            result.latency_ms,
            xml(&result.message),
            xml(result.turn["action"].as_str().unwrap_or("no turn")),
            xml(crate::check::customer_text(&result.turn)),
        );
        if let Some(error) = &result.error {
            let _ = write!(out, "<li class=\"bad\">error: {}</li>", xml(error));
        }
        for check in &result.checks {
            let _ = write!(
                out,
                "<li class=\"{}\">{}: {}</li>",
                if check.passed { "good" } else { "bad" },
                xml(&check.name),
                xml(&check.detail)
            );
        }
        out.push_str("</ul>");
        if let Some(decided) = result.turn["trace"]["decided_by"].as_str() {
            let _ = write!(out, "<p>Decided by: {}</p>", xml(decided));
        }
        if let Some(passages) = result.turn["trace"]["retrieved"].as_array() {
            out.push_str("<details><summary>Retrieved passages</summary>");
            for passage in passages {
                let _ = write!(
                    out,
                    "<div class=\"passage\"><b>[{}] <bdi>{}</bdi> — <bdi>{}</bdi></b> score {}<br><bdi>{}</bdi></div>",
                    passage["number"],
                    xml(passage["source"].as_str().unwrap_or("")),
                    xml(passage["position"].as_str().unwrap_or("")),
                    passage["score"],
                    xml(passage["text"].as_str().unwrap_or(""))
                );
            }
            out.push_str("</details>");
        }
        let _ = write!(
            out,
            "<details><summary>Trace</summary><pre>{}</pre></details></div>",
            xml(&serde_json::to_string_pretty(&result.turn["trace"]).unwrap_or_default())
        );
    }
    out.push_str("</body></html>\n");
    out
}

/// What changed between two runs of the same suite.
#[derive(Debug, Serialize)]
pub struct Comparison {
    /// Cases that passed in the first run and fail in the second.
    pub regressions: Vec<String>,
    pub improvements: Vec<String>,
    /// Cases only one run has.
    pub only_in_first: Vec<String>,
    pub only_in_second: Vec<String>,
    /// (metric, first, second).
    pub metrics: Vec<(String, Option<f64>, Option<f64>)>,
}

pub fn compare(first: &Report, second: &Report) -> Comparison {
    let find = |report: &Report, id: &str| {
        report
            .cases
            .iter()
            .find(|case| case.id == id)
            .map(|case| case.passed)
    };
    let mut comparison = Comparison {
        regressions: Vec::new(),
        improvements: Vec::new(),
        only_in_first: Vec::new(),
        only_in_second: Vec::new(),
        metrics: Vec::new(),
    };
    for case in &first.cases {
        match find(second, &case.id) {
            Some(passed) if case.passed && !passed => comparison.regressions.push(case.id.clone()),
            Some(passed) if !case.passed && passed => comparison.improvements.push(case.id.clone()),
            Some(_) => {}
            None => comparison.only_in_first.push(case.id.clone()),
        }
    }
    for case in &second.cases {
        if find(first, &case.id).is_none() {
            comparison.only_in_second.push(case.id.clone());
        }
    }
    for ((name, a), (_, b)) in metric_rows(&first.metrics)
        .into_iter()
        .zip(metric_rows(&second.metrics))
    {
        comparison.metrics.push((name.to_string(), a, b));
    }
    comparison
}

pub fn render_comparison(comparison: &Comparison) -> String {
    let mut out = String::new();
    for (label, ids) in [
        ("regressions", &comparison.regressions),
        ("improvements", &comparison.improvements),
        ("only in the first run", &comparison.only_in_first),
        ("only in the second run", &comparison.only_in_second),
    ] {
        let _ = writeln!(out, "{label}: {}", ids.len());
        for id in ids {
            let _ = writeln!(out, "  {id}");
        }
    }
    let _ = writeln!(out, "\n{:<22} {:>10} {:>10}", "metric", "first", "second");
    for (name, a, b) in &comparison.metrics {
        let _ = writeln!(out, "{name:<22} {:>10} {:>10}", number(*a), number(*b));
    }
    out
}

/// A bound a metric must keep: `name>=value` or `name<=value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    pub metric: String,
    pub at_least: bool,
    pub value: f64,
}

impl std::str::FromStr for Threshold {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let (metric, at_least, value) = if let Some((metric, value)) = text.split_once(">=") {
            (metric, true, value)
        } else if let Some((metric, value)) = text.split_once("<=") {
            (metric, false, value)
        } else {
            return Err(format!("{text:?}: write METRIC>=VALUE or METRIC<=VALUE"));
        };
        let metric = metric.trim();
        let known: Vec<&str> = metric_rows(&Metrics::default())
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        let by_tag = tagged(metric).is_some_and(|(_, tag)| !tag.is_empty());
        if !by_tag && !known.contains(&metric) {
            return Err(format!(
                "{metric:?} is not a metric; the metrics are {}, and {} of the cases with a tag (METRIC[TAG])",
                known.join(", "),
                PER_TAG.join(", ")
            ));
        }
        let value = value
            .trim()
            .parse()
            .map_err(|_| format!("{text:?}: {value:?} is not a number"))?;
        Ok(Threshold {
            metric: metric.to_string(),
            at_least,
            value,
        })
    }
}

/// The metrics kept per tag: `fact_rate[en-ar]` is the fact rate of the cases tagged `en-ar`.
const PER_TAG: [&str; 4] = [
    "pass_rate",
    "fact_rate",
    "fact_rate_with_pick",
    "declined_rate",
];

/// A per-tag metric's name and tag.
fn tagged(metric: &str) -> Option<(&str, &str)> {
    let (name, tag) = metric.strip_suffix(']')?.split_once('[')?;
    PER_TAG.contains(&name).then_some((name, tag))
}

fn per_tag<'a>(metrics: &'a Metrics, name: &str) -> &'a std::collections::BTreeMap<String, Rate> {
    match name {
        "fact_rate" => &metrics.fact_rate_per_tag,
        "fact_rate_with_pick" => &metrics.fact_rate_with_pick_per_tag,
        "declined_rate" => &metrics.declined_rate_per_tag,
        _ => &metrics.per_tag,
    }
}

/// The thresholds the report breaks, each as a sentence; a metric with no value (no case
/// measured it) breaks any threshold on it.
pub fn broken(report: &Report, thresholds: &[Threshold]) -> Vec<String> {
    let rows = metric_rows(&report.metrics);
    thresholds
        .iter()
        .filter_map(|threshold| {
            let value = match tagged(&threshold.metric) {
                Some((name, tag)) => per_tag(&report.metrics, name)
                    .get(tag)
                    .map(|rate| rate.pass_rate),
                None => rows
                    .iter()
                    .find(|(name, _)| *name == threshold.metric)
                    .and_then(|(_, value)| *value),
            };
            let bound = if threshold.at_least { ">=" } else { "<=" };
            match value {
                Some(value)
                    if (threshold.at_least && value >= threshold.value)
                        || (!threshold.at_least && value <= threshold.value) =>
                {
                    None
                }
                Some(value) => Some(format!(
                    "{} is {value:.3}, needs {bound} {}",
                    threshold.metric, threshold.value
                )),
                None => Some(format!(
                    "{} was not measured by this suite, needs {bound} {}",
                    threshold.metric, threshold.value
                )),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::CaseResult;

    fn report(passes: &[(&str, bool)]) -> Report {
        let cases: Vec<CaseResult> = passes
            .iter()
            .map(|(id, passed)| CaseResult {
                id: id.to_string(),
                tags: vec![],
                message: "m <&>".into(),
                passed: *passed,
                checks: vec![],
                error: None,
                latency_ms: 10.0,
                similarity: None,
                fact_after_pick: None,
                turn: serde_json::json!({ "action": "reply", "text": "t" }),
            })
            .collect();
        let passed = passes.iter().filter(|(_, passed)| *passed).count();
        Report {
            suite: "s".into(),
            agent: "a".into(),
            metrics: Metrics {
                overall: Rate {
                    cases: cases.len(),
                    passed,
                    pass_rate: passed as f64 / cases.len() as f64,
                },
                ..Metrics::default()
            },
            cases,
        }
    }

    #[test]
    fn thresholds_parse_and_fail_the_run() {
        let run = report(&[("a", true), ("b", false)]);
        let gate: Vec<Threshold> = ["pass_rate>=0.9", "latency_p95_ms<=1000", "mrr>=0.5"]
            .iter()
            .map(|text| text.parse().unwrap())
            .collect();
        let failures = broken(&run, &gate);
        assert_eq!(failures.len(), 2, "{failures:?}");
        assert!(failures[0].starts_with("pass_rate is 0.500"));
        assert!(failures[1].contains("not measured"));
        assert!(
            "recall>=1"
                .parse::<Threshold>()
                .unwrap_err()
                .contains("not a metric")
        );
        assert!("pass_rate=1".parse::<Threshold>().is_err());
        let per_tag: Threshold = "pass_rate[en-ar]>=0.8".parse().unwrap();
        let mut tagged = report(&[("a", true)]);
        tagged.metrics.per_tag.insert(
            "en-ar".into(),
            Rate {
                cases: 4,
                passed: 3,
                pass_rate: 0.75,
            },
        );
        assert_eq!(
            broken(&tagged, &[per_tag]),
            ["pass_rate[en-ar] is 0.750, needs >= 0.8"]
        );
        let missing: Threshold = "pass_rate[ar-ar]>=0.8".parse().unwrap();
        assert!(broken(&tagged, &[missing])[0].contains("not measured"));
    }

    #[test]
    fn comparison_lists_regressions_and_improvements() {
        let first = report(&[("a", true), ("b", false), ("c", true)]);
        let second = report(&[("a", false), ("b", true), ("d", true)]);
        let comparison = compare(&first, &second);
        assert_eq!(comparison.regressions, ["a"]);
        assert_eq!(comparison.improvements, ["b"]);
        assert_eq!(comparison.only_in_first, ["c"]);
        assert_eq!(comparison.only_in_second, ["d"]);
    }

    #[test]
    fn junit_and_html_escape_and_put_failures_first() {
        let run = report(&[("ok", true), ("bad<1>", false)]);
        let xml = junit(&run);
        assert!(
            xml.contains("name=\"bad&lt;1&gt;\" time=\"0.010\"><failure"),
            "{xml}"
        );
        assert!(xml.contains("tests=\"2\" failures=\"1\""));
        let page = html(&run);
        assert!(page.find("bad&lt;1&gt;").unwrap() < page.find(">ok ").unwrap());
        assert!(page.contains("m &lt;&amp;&gt;"));
    }
}
