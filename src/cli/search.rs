use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use knowledge::retrieve::{Fusion, Mode, SearchOptions};

use super::local_kb::LocalKnowledgeBase;

#[derive(Debug, Args)]
pub struct Search {
    /// The knowledge base directory that `ingest --kb` filled.
    #[arg(long, value_name = "DIR")]
    kb: PathBuf,
    /// How many passages to return.
    #[arg(short = 'k', long, default_value_t = 5, value_parser = at_least_one)]
    limit: usize,
    /// hybrid (default), dense or sparse.
    #[arg(long, default_value = "hybrid")]
    mode: Mode,
    /// How hybrid combines its lists: scores (default) or ranks (reciprocal rank fusion).
    #[arg(long, default_value = "scores")]
    fusion: Fusion,
    /// Drop passages scoring below this (after fusion in hybrid mode).
    #[arg(long)]
    min_score: Option<f32>,
    /// Print one JSON document with the passages and their text.
    #[arg(long)]
    json: bool,
    question: String,
}

impl Search {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        if !self.kb.join("index").is_dir() {
            anyhow::bail!(
                "{} is not a knowledge base: fill it with `switchboard ingest --kb {} FILE`",
                self.kb.display(),
                self.kb.display()
            );
        }
        let knowledge_base = LocalKnowledgeBase::open(&self.kb)?;
        let options = SearchOptions {
            mode: self.mode,
            limit: self.limit,
            score_threshold: self.min_score,
            ..SearchOptions::default()
        };
        let passages =
            knowledge_base
                .retrieval
                .search(&knowledge_base.scope, &self.question, &options)?;
        if self.json {
            let document = serde_json::json!({ "question": self.question, "mode": self.mode, "passages": passages });
            println!("{}", serde_json::to_string_pretty(&document)?);
            return Ok(ExitCode::SUCCESS);
        }
        if passages.is_empty() {
            println!("no passage found");
        }
        for (rank, passage) in passages.iter().enumerate() {
            let position = passage.chunk.position.to_string();
            let place = if position.is_empty() {
                String::new()
            } else {
                format!(", {position}")
            };
            println!(
                "{}. [{:.4}] {}{place}",
                rank + 1,
                passage.score,
                passage.chunk.source
            );
            let excerpt: String = passage
                .chunk
                .text
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .chars()
                .take(300)
                .collect();
            println!("   {excerpt}");
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// How many passages to print: at least one.
fn at_least_one(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("must be at least 1".to_string()),
        Ok(count) => Ok(count),
        Err(error) => Err(error.to_string()),
    }
}
