use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use agentflow::llm::{LlmClient, LlmSettings, OpenAiClient};
use agentflow::{Action, Agent, AgentConfig, Message, Turn, TurnRequest};
use anyhow::Context;
use clap::Args;

use super::local_kb::LocalKnowledgeBase;

/// Which model writes, if any: shared by every command that may call one.
#[derive(Debug, Args)]
pub struct LlmArgs {
    /// An OpenAI-compatible endpoint, up to /v1. Without one, ask and suggest answer
    /// extractively; polish needs one.
    #[arg(long, env = "SWITCHBOARD_LLM_URL", value_name = "URL")]
    llm_url: Option<String>,
    /// The model to ask at that endpoint.
    #[arg(long, env = "SWITCHBOARD_LLM_MODEL", default_value = "default")]
    llm_model: String,
    /// Seconds to wait for one attempt of the model before it is retried.
    #[arg(long, default_value_t = 60)]
    llm_timeout: u64,
}

impl LlmArgs {
    pub fn client(&self) -> Option<Arc<dyn LlmClient>> {
        self.llm_url.as_deref().map(|url| {
            let mut settings = LlmSettings::new(url, &self.llm_model);
            settings.api_key = std::env::var("SWITCHBOARD_LLM_KEY").ok();
            settings.timeout = Duration::from_secs(self.llm_timeout);
            Arc::new(OpenAiClient::new(settings)) as Arc<dyn LlmClient>
        })
    }
}

/// Which agent answers, over which knowledge base, in which conversation.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("who").required(true).multiple(true).args(["agent", "kb"])))]
pub struct AgentArgs {
    /// The agent's configuration (YAML or JSON). Its `knowledge_base` is taken as a directory
    /// next to the file unless --kb names one.
    #[arg(long, value_name = "FILE")]
    agent: Option<PathBuf>,
    /// The knowledge base directory that `ingest --kb` filled; alone, a default support agent
    /// answers from it.
    #[arg(long, value_name = "DIR")]
    kb: Option<PathBuf>,
    #[command(flatten)]
    llm: LlmArgs,
    /// The conversation so far: a JSON list of {"author": "customer"|"agent"|"human", "text": ..}.
    #[arg(long, value_name = "FILE")]
    history: Option<PathBuf>,
}

impl AgentArgs {
    /// The agent, and the request carrying `message` in its workspace and conversation.
    pub fn open(&self, message: &str) -> anyhow::Result<(Agent, TurnRequest)> {
        let (agent, workspace) =
            open_local_agent(self.agent.as_deref(), self.kb.as_deref(), &self.llm)?;
        let history = match &self.history {
            Some(file) => {
                let bytes =
                    std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
                serde_json::from_slice::<Vec<Message>>(&bytes)
                    .with_context(|| format!("{}: not a list of messages", file.display()))?
            }
            None => Vec::new(),
        };
        let request = TurnRequest {
            workspace,
            message: message.to_string(),
            history,
            ..TurnRequest::default()
        };
        Ok((agent, request))
    }
}

/// An agent from its file (or the default support agent) over a local knowledge base
/// directory, and the workspace its turns run in.
pub fn open_local_agent(
    file: Option<&Path>,
    kb: Option<&Path>,
    llm: &LlmArgs,
) -> anyhow::Result<(Agent, String)> {
    let (mut config, kb_dir) = match (file, kb) {
        (Some(file), kb) => {
            let config = AgentConfig::load(file)?;
            let dir = kb.map_or_else(
                || {
                    file.parent()
                        .unwrap_or(Path::new("."))
                        .join(&config.knowledge_base)
                },
                Path::to_path_buf,
            );
            (config, dir)
        }
        (None, Some(kb)) => (AgentConfig::default_support("default"), kb.to_path_buf()),
        (None, None) => anyhow::bail!("name an agent file or a knowledge base directory"),
    };
    if !kb_dir.join("index").is_dir() {
        anyhow::bail!(
            "{} is not a knowledge base: fill it with `switchboard ingest --kb {} FILE`",
            kb_dir.display(),
            kb_dir.display()
        );
    }
    let knowledge_base = LocalKnowledgeBase::open(&kb_dir)?;
    // A local directory holds one knowledge base; the agent answers from it whatever id its
    // configuration gives.
    config.knowledge_base = knowledge_base.scope.knowledge_base.clone();
    let agent = Agent::new(config, knowledge_base.retrieval.clone(), llm.client())?;
    Ok((agent, knowledge_base.scope.workspace.clone()))
}

pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

#[derive(Debug, Args)]
pub struct Ask {
    #[command(flatten)]
    agent: AgentArgs,
    /// Print the turn as one JSON document.
    #[arg(long)]
    json: bool,
    question: String,
}

impl Ask {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let (agent, request) = self.agent.open(&self.question)?;
        let stream_to_terminal = !self.json && self.agent.llm.llm_url.is_some();
        let mut show = |token: &str| {
            eprint!("{token}");
            let _ = std::io::stderr().flush();
        };
        let turn = runtime()?.block_on(agent.answer(
            &request,
            if stream_to_terminal {
                Some(&mut show)
            } else {
                None
            },
        ))?;
        if stream_to_terminal {
            eprintln!();
        }
        if self.json {
            println!("{}", serde_json::to_string_pretty(&turn)?);
        } else {
            print_turn(&turn);
        }
        Ok(ExitCode::SUCCESS)
    }
}

fn print_turn(turn: &Turn) {
    match &turn.action {
        Action::Reply(reply) => {
            println!("{}", reply.text);
            for citation in &reply.citations {
                let place = if citation.position.is_empty() {
                    String::new()
                } else {
                    format!(", {}", citation.position)
                };
                println!(
                    "  [{}] {}{place}: \"{}\"",
                    citation.number, citation.source, citation.quote
                );
            }
        }
        Action::Handoff(handoff) => {
            println!("{}", handoff.message);
            println!("handoff to {}: {}", handoff.team, handoff.reason);
            for line in handoff.summary.lines() {
                println!("  {line}");
            }
        }
    }
    for (field, value) in &turn.contact_updates {
        println!("contact {field}: {value}");
    }
    if let Some(score) = turn.lead_score {
        println!("lead score: {score}");
    }
    println!("credits: {}", turn.credits);
    let trace = &turn.trace;
    if let Some(decided_by) = &trace.decided_by {
        println!("decided by: {decided_by}");
    }
    if let Some(confidence) = trace.confidence {
        println!(
            "confidence: {:.3} (cosine {:.3}, term coverage {:.2})",
            confidence.value(),
            confidence.similarity,
            confidence.coverage
        );
    }
    for hit in &trace.guardrails {
        println!(
            "guardrail {:?} ({:?}): {}",
            hit.guardrail, hit.stage, hit.detail
        );
    }
    for passage in &trace.retrieved {
        println!(
            "retrieved [{}] {:.3} {} {}",
            passage.number, passage.score, passage.source, passage.position
        );
    }
    let steps: Vec<String> = trace
        .steps
        .iter()
        .map(|step| format!("{} {:.1} ms", step.step, step.ms))
        .collect();
    println!("steps: {}", steps.join(", "));
}
