//! Switchboard: one binary for the whole platform. It only wires the crates together.

use std::process::ExitCode;

use clap::Parser;
use switchboard::cli::Command;

fn main() -> ExitCode {
    let command = Command::parse();
    match command.run() {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
