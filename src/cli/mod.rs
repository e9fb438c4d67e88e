//! The command line: each subcommand is a thin layer over a domain crate.

mod ask;
mod assist;
mod eval;
mod eval_suite;
mod inbox;
mod ingest;
mod local_kb;
mod search;
pub mod serve;
mod workspace;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "switchboard",
    version,
    about = "AI agents that answer from your knowledge, with a shared inbox for your team"
)]
pub struct Command {
    #[command(subcommand)]
    command: Commands,
}

#[derive(Debug, Subcommand)]
enum Commands {
    /// Parse and chunk files or web pages, and report what each one gave.
    Ingest(ingest::Ingest),
    /// Ask a local knowledge base a question and print the passages that answer it.
    Search(search::Search),
    /// Ask an agent a question: its reply with citations, or its handoff, and the trace.
    Ask(ask::Ask),
    /// Suggest up to three grounded replies a person could send to a customer's message.
    Suggest(assist::Suggest),
    /// Polish a person's draft reply to a tone (needs --llm-url).
    Polish(assist::Polish),
    /// Measure retrieval and agents on sets with known answers.
    Eval(eval::Eval),
    /// Run the service: the HTTP API and the ingestion workers.
    Serve(serve::Serve),
    /// Watch a workspace's inbox from a terminal (`inbox tail`).
    Inbox(inbox::Inbox),
    /// Manage workspaces directly in the records (the first key of a new business).
    Workspace(workspace::Workspace),
    /// Print the HTTP API's OpenAPI 3.1 description (what /openapi.json serves).
    Openapi,
}

impl Command {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        match self.command {
            Commands::Ingest(ingest) => ingest.run(),
            Commands::Search(search) => search.run(),
            Commands::Ask(ask) => ask.run(),
            Commands::Suggest(suggest) => suggest.run(),
            Commands::Polish(polish) => polish.run(),
            Commands::Eval(eval) => eval.run(),
            Commands::Serve(serve) => serve.run(),
            Commands::Inbox(inbox) => inbox.run(),
            Commands::Workspace(workspace) => workspace.run(),
            Commands::Openapi => {
                println!("{}", crate::server::openapi_json()?);
                Ok(ExitCode::SUCCESS)
            }
        }
    }
}
