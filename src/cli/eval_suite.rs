//! `switchboard eval run`, `eval compare` and `eval from-feedback`: agents against suites.

use std::path::PathBuf;
use std::process::ExitCode;

use agentflow::{Agent, TurnRequest};
use anyhow::Context;
use clap::Args;
use evals::report::{self, Threshold};
use evals::run::{Answerer, Report};
use evals::suite::{RatedTurn, Suite, from_feedback};
use futures::future::BoxFuture;
use knowledge::embed::{Embedder, EmbedderConfig};
use serde_json::{Value, json};

use super::ask::{LlmArgs, open_local_agent};

#[derive(Debug, Args)]
pub struct Run {
    /// The suite (YAML or JSON; see evals/suites/demo.yaml).
    suite: PathBuf,
    /// The agent: its configuration file, run in this process; or, with --server, its id.
    #[arg(long, value_name = "ID_OR_FILE")]
    agent: Option<String>,
    /// The knowledge base directory the in-process agent answers from.
    #[arg(long, value_name = "DIR")]
    kb: Option<PathBuf>,
    /// A running service to ask instead (with --key and --agent ID).
    #[arg(long, value_name = "URL", requires_all = ["key", "agent"])]
    server: Option<String>,
    #[arg(long, env = "SWITCHBOARD_API_KEY", hide_env_values = true)]
    key: Option<String>,
    #[command(flatten)]
    llm: LlmArgs,
    /// Cases in flight at once.
    #[arg(long, default_value_t = 4)]
    jobs: usize,
    /// Write the whole report (every turn and its trace) as JSON here.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Write JUnit XML here.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Write a self-contained HTML report here.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Fail (exit 1) below this share of passing cases.
    #[arg(long, value_name = "RATE")]
    min_pass_rate: Option<f64>,
    /// Fail unless a metric keeps a bound: `mrr>=0.8`, `latency_p95_ms<=500`. Repeatable.
    #[arg(long = "threshold", value_name = "METRIC>=VALUE")]
    thresholds: Vec<Threshold>,
}

/// An agent in this process.
struct LocalAgent {
    agent: Agent,
    workspace: String,
}

impl Answerer for LocalAgent {
    fn answer<'a>(&'a self, mut request: TurnRequest) -> BoxFuture<'a, Result<Value, String>> {
        Box::pin(async move {
            request.workspace = self.workspace.clone();
            let turn = self
                .agent
                .answer(&request, None)
                .await
                .map_err(|error| error.to_string())?;
            serde_json::to_value(turn).map_err(|error| error.to_string())
        })
    }
}

/// An agent behind the service's API.
struct RemoteAgent {
    client: reqwest::Client,
    endpoint: String,
    key: String,
}

impl Answerer for RemoteAgent {
    fn answer<'a>(&'a self, request: TurnRequest) -> BoxFuture<'a, Result<Value, String>> {
        Box::pin(async move {
            let response = self
                .client
                .post(&self.endpoint)
                .bearer_auth(&self.key)
                .json(&json!({
                    "message": request.message,
                    "history": request.history,
                    "contact": request.contact,
                }))
                .send()
                .await
                .map_err(|error| format!("{}: {error}", self.endpoint))?;
            let status = response.status();
            let body: Value = response.json().await.map_err(|error| error.to_string())?;
            if status.is_success() {
                Ok(body)
            } else {
                Err(format!(
                    "HTTP {status}: {}",
                    body["error"]["message"].as_str().unwrap_or("no message")
                ))
            }
        })
    }
}

impl Run {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let text = std::fs::read_to_string(&self.suite)
            .with_context(|| format!("reading {}", self.suite.display()))?;
        let suite = Suite::parse(&self.suite.display().to_string(), &text)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        let report = match &self.server {
            Some(server) => {
                let agent = self.agent.clone().unwrap_or_default();
                let remote = RemoteAgent {
                    client: reqwest::Client::new(),
                    endpoint: format!(
                        "{}/v1/agents/{agent}/messages",
                        server.trim_end_matches('/')
                    ),
                    key: self.key.clone().unwrap_or_default(),
                };
                let embedder = Embedder::load(EmbedderConfig::from_environment())?;
                let label = format!("agent {agent} at {server}");
                runtime.block_on(evals::run::run(
                    &suite, &label, &remote, &embedder, self.jobs,
                ))
            }
            None => {
                let file = self.agent.as_deref().map(std::path::Path::new);
                let (agent, workspace) = open_local_agent(file, self.kb.as_deref(), &self.llm)?;
                let label = self
                    .agent
                    .clone()
                    .unwrap_or_else(|| "the default support agent".into());
                let local = LocalAgent { agent, workspace };
                runtime.block_on(evals::run::run(
                    &suite,
                    &label,
                    &local,
                    local.agent.embedder(),
                    self.jobs,
                ))
            }
        };
        self.write(&report)
    }

    fn write(&self, report: &Report) -> anyhow::Result<ExitCode> {
        print!("{}", report::table(report));
        let outputs = [
            (&self.json, serde_json::to_string_pretty(report)?),
            (&self.junit, report::junit(report)),
            (&self.html, report::html(report)),
        ];
        for (path, content) in outputs {
            if let Some(path) = path {
                std::fs::write(path, content)
                    .with_context(|| format!("writing {}", path.display()))?;
            }
        }
        let mut thresholds = self.thresholds.clone();
        if let Some(rate) = self.min_pass_rate {
            thresholds.push(Threshold {
                metric: "pass_rate".into(),
                at_least: true,
                value: rate,
            });
        }
        let broken = report::broken(report, &thresholds);
        for failure in &broken {
            eprintln!("threshold: {failure}");
        }
        Ok(if broken.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        })
    }
}

#[derive(Debug, Args)]
pub struct Compare {
    /// The earlier run's report (`eval run --json`).
    first: PathBuf,
    /// The later run's.
    second: PathBuf,
    /// Print the comparison as JSON.
    #[arg(long)]
    json: bool,
}

impl Compare {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let read = |path: &PathBuf| -> anyhow::Result<Report> {
            let bytes =
                std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
            serde_json::from_slice(&bytes)
                .with_context(|| format!("{} is not an `eval run --json` report", path.display()))
        };
        let comparison = report::compare(&read(&self.first)?, &read(&self.second)?);
        if self.json {
            println!("{}", serde_json::to_string_pretty(&comparison)?);
        } else {
            print!("{}", report::render_comparison(&comparison));
        }
        Ok(ExitCode::SUCCESS)
    }
}

#[derive(Debug, Args)]
pub struct FromFeedback {
    /// The service.
    #[arg(long, value_name = "URL")]
    server: String,
    #[arg(long, env = "SWITCHBOARD_API_KEY", hide_env_values = true)]
    key: String,
    /// The agent whose rated turns become cases.
    #[arg(long, value_name = "ID")]
    agent: String,
    /// The suite's name (default: feedback-AGENT).
    #[arg(long)]
    name: Option<String>,
}

impl FromFeedback {
    /// Prints the suite as YAML.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let url = format!(
            "{}/v1/agents/{}/rated-turns",
            self.server.trim_end_matches('/'),
            self.agent
        );
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let rated: Vec<RatedTurn> = runtime.block_on(async {
            let response = reqwest::Client::new()
                .get(&url)
                .bearer_auth(&self.key)
                .send()
                .await
                .with_context(|| url.clone())?;
            let status = response.status();
            let body: Value = response.json().await.with_context(|| url.clone())?;
            anyhow::ensure!(
                status.is_success(),
                "{url}: HTTP {status}: {}",
                body["error"]["message"]
            );
            Ok(serde_json::from_value(body)?)
        })?;
        let name = self
            .name
            .unwrap_or_else(|| format!("feedback-{}", self.agent));
        let suite = from_feedback(&name, &rated);
        anyhow::ensure!(
            !suite.cases.is_empty(),
            "agent {} has no thumbs-up turns and no corrections yet",
            self.agent
        );
        print!("{}", serde_norway::to_string(&suite)?);
        Ok(ExitCode::SUCCESS)
    }
}
