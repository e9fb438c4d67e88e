//! Switchboard's front-ends over the application: the command line, the HTTP API, the job
//! supervisor and the configuration they share. `main.rs` only parses the command line; the
//! library form lets the scenario tests start the API in process (`tests/common/app.rs`).

pub mod cli;
pub mod config;
mod demo;
pub mod jobs;
pub mod retrieval;
pub mod server;
