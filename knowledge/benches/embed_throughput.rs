//! Embedding throughput and peak memory on about 1000 realistic chunks (ARCD Arabic paragraphs
//! and SciFact English abstracts, chunked as ingestion chunks them), against Python
//! onnxruntime on the same model, chunks and thread count in the same run.
//!
//! `cargo bench -p knowledge --bench embed_throughput` (needs scripts/setup.sh and ../shared;
//! the Python side needs `numpy onnxruntime tokenizers`, found in the setup's conversion venv
//! when they are installed there).

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use knowledge::embed::{Embedder, EmbedderConfig, TextRole};
use knowledge::{Limits, chunk_by_tokens, parse};

const PER_LANGUAGE: usize = 500;

fn corpus_chunks(embedder: &Embedder, corpus: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(corpus).unwrap_or_default();
    let mut chunks = Vec::new();
    for line in text.lines() {
        let Ok(record) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let body = format!(
            "{}\n{}",
            record["title"].as_str().unwrap_or_default(),
            record["text"].as_str().unwrap_or_default()
        );
        let Ok(document) = parse("doc.txt", body.as_bytes(), &Limits::default()) else {
            continue;
        };
        for chunk in chunk_by_tokens("bench", &document, embedder.tokenizer(), 256, 32) {
            chunks.push(chunk.text);
            if chunks.len() == PER_LANGUAGE {
                return chunks;
            }
        }
    }
    chunks
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| {
            value
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<f64>()
                .ok()
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn main() {
    if !std::env::args().any(|arg| arg == "--bench") {
        return; // `cargo test --benches` only checks that this builds
    }
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/retrieval");
    let config = EmbedderConfig::from_environment();
    if !config.is_installed() || !shared.is_dir() {
        println!(
            "embed: skipped, needs scripts/setup.sh and {}",
            shared.display()
        );
        return;
    }
    let threads = config.threads;
    let model_dir = config.model_dir.clone();
    let embedder = Embedder::load(config).expect("the model loads");
    let mut chunks = corpus_chunks(&embedder, &shared.join("arcd-ar/corpus.jsonl"));
    chunks.extend(corpus_chunks(
        &embedder,
        &shared.join("scifact/corpus.jsonl"),
    ));
    let tokens: usize = chunks
        .iter()
        .map(|chunk| {
            embedder
                .tokenizer()
                .encode(chunk.as_str(), true)
                .map_or(0, |e| e.len())
        })
        .sum();
    let baseline_rss = peak_rss_mb();
    let started = Instant::now();
    let vectors = embedder
        .embed(&chunks, TextRole::Passage, &mut |_| {})
        .expect("embedding works");
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(vectors.len(), chunks.len());
    println!(
        "embed switchboard: {:.1} chunks/s ({} chunks, {:.0} tokens each on average, {threads} threads, {:.1} s), peak RSS {:.0} MB (model loaded: {:.0} MB)",
        chunks.len() as f64 / seconds,
        chunks.len(),
        tokens as f64 / chunks.len() as f64,
        seconds,
        peak_rss_mb(),
        baseline_rss
    );

    let file = std::env::temp_dir().join(format!("embed-bench-{}.jsonl", std::process::id()));
    let mut out = std::fs::File::create(&file).expect("temporary file");
    for chunk in &chunks {
        writeln!(out, "{}", serde_json::json!({ "text": chunk })).expect("write");
    }
    let venv_python = model_dir
        .parent()
        .and_then(|models| models.parent())
        .map(|cache| cache.join("convert-venv/bin/python"));
    let python = venv_python
        .filter(|path| path.is_file())
        .map_or_else(|| "python3".into(), |path| path.display().to_string());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../bench/embed_python.py");
    for ordering in ["input order", "sorted"] {
        let mut command = Command::new(&python);
        command
            .arg(&script)
            .arg(&model_dir)
            .arg(&file)
            .arg(threads.to_string())
            .arg("32");
        if ordering == "sorted" {
            command.arg("sorted");
        }
        match command.output() {
            Ok(output) if output.status.success() => {
                let result: serde_json::Value =
                    serde_json::from_slice(&output.stdout).unwrap_or_default();
                println!(
                    "embed python onnxruntime, batches of 32 in {ordering}: {:.1} chunks/s, peak RSS {:.0} MB; switchboard at {:.2}x",
                    result["chunks_per_second"].as_f64().unwrap_or(0.0),
                    result["peak_rss_mb"].as_f64().unwrap_or(0.0),
                    (chunks.len() as f64 / seconds)
                        / result["chunks_per_second"].as_f64().unwrap_or(f64::NAN)
                );
            }
            Ok(output) => println!(
                "embed python: failed: {}",
                String::from_utf8_lossy(&output.stderr)
                    .lines()
                    .last()
                    .unwrap_or_default()
            ),
            Err(error) => println!("embed python: skipped, {python} did not start: {error}"),
        }
    }
    let _ = std::fs::remove_file(&file);
}
