//! The command line: each subcommand is a thin layer over a domain crate.

mod ingest;

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
}

impl Command {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        match self.command {
            Commands::Ingest(ingest) => ingest.run(),
        }
    }
}
