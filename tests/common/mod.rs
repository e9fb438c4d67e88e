//! What the root scenario tests share: the fixtures, the binary, and whether the model is here.

#![allow(dead_code)] // each test file uses its own part of this module

use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use knowledge::embed::EmbedderConfig;

pub mod app;
pub mod service;

pub fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
        .display()
        .to_string()
}

/// A file of the shared data beside the repository (`../shared/data/PATH`), or `None` with the
/// reason printed, where that folder is absent.
pub fn shared(path: &str) -> Option<PathBuf> {
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data")
        .join(path);
    if file.is_file() {
        Some(file)
    } else {
        println!("skipped: {} is absent", file.display());
        None
    }
}

/// The real Arabic customer FAQ of the shared data, as text (`None` where it is absent).
pub fn arabic_faq() -> Option<String> {
    shared("knowledge/sleekflow-faq-ar.txt").map(|file| std::fs::read_to_string(file).unwrap())
}

pub fn switchboard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(args)
        .output()
        .expect("the binary runs")
}

/// Whether the embedding model is set up; where it is not, prints why the test skips, unless
/// SWITCHBOARD_REQUIRE_MODEL asks for a failure instead (CI).
pub fn model_ready() -> bool {
    if EmbedderConfig::from_environment().is_installed() {
        return true;
    }
    assert!(
        std::env::var_os("SWITCHBOARD_REQUIRE_MODEL").is_none(),
        "the embedding model is required here: run scripts/setup.sh"
    );
    println!("skipped: embedding model not installed (scripts/setup.sh)");
    false
}

/// `switchboard ingest --kb KB SOURCES...`, which must succeed.
pub fn ingest(kb: &Path, sources: &[String]) {
    let mut args = vec!["ingest", "--kb", kb.to_str().unwrap()];
    args.extend(sources.iter().map(String::as_str));
    let output = switchboard(&args);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Runs a future to completion on a runtime of its own.
pub fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

/// Polls `check` until it gives a value (20 s at most), naming `what` it waited for.
pub async fn eventually<T, F: Future<Output = Option<T>>>(
    what: &str,
    mut check: impl FnMut() -> F,
) -> T {
    let started = std::time::Instant::now();
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "waited 20 s for {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
