//! Switchboard: one binary for the whole platform. It only wires the domain crates together.

mod cli;
mod config;
mod demo;
mod files;
mod ingestion;
mod retrieval;
mod server;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let command = cli::Command::parse();
    match command.run() {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
