//! The assistants for human agents: suggested replies, and polishing a draft.

use std::process::ExitCode;

use clap::Args;

use super::ask::{AgentArgs, LlmArgs, runtime};

#[derive(Debug, Args)]
pub struct Suggest {
    #[command(flatten)]
    agent: AgentArgs,
    /// Print the suggestions as one JSON document.
    #[arg(long)]
    json: bool,
    /// The customer's last message.
    message: String,
}

impl Suggest {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let (agent, request) = self.agent.open(&self.message)?;
        let suggestions = runtime()?.block_on(agent.suggest_replies(&request))?;
        if self.json {
            println!("{}", serde_json::to_string_pretty(&suggestions)?);
            return Ok(ExitCode::SUCCESS);
        }
        if suggestions.replies.is_empty() {
            println!("no grounded suggestion: the knowledge does not answer this message");
        }
        for (number, reply) in suggestions.replies.iter().enumerate() {
            println!("{}. {}", number + 1, reply.text);
        }
        println!("credits: {}", suggestions.credits);
        Ok(ExitCode::SUCCESS)
    }
}

#[derive(Debug, Args)]
pub struct Polish {
    #[command(flatten)]
    llm: LlmArgs,
    /// professional, friendly, casual, or your own words.
    #[arg(long, default_value = "professional")]
    tone: String,
    /// Print the polished draft as one JSON document.
    #[arg(long)]
    json: bool,
    /// The human agent's draft reply.
    draft: String,
}

impl Polish {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let llm = self.llm.client();
        let polished =
            runtime()?.block_on(agentflow::polish(llm.as_deref(), &self.draft, &self.tone))?;
        if self.json {
            println!("{}", serde_json::to_string_pretty(&polished)?);
        } else {
            println!("{}", polished.text);
            println!("credits: {}", polished.credits);
        }
        Ok(ExitCode::SUCCESS)
    }
}
