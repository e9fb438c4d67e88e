use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use clap::{Args, Subcommand};
use evals::beir::{BeirSet, Scores, evaluate};
use indicatif::{ProgressBar, ProgressStyle};
use knowledge::embed::{Embedder, EmbedderConfig};
use knowledge::index::{EdgeIndex, Scope};
use knowledge::retrieve::{Fusion, Mode, Retrieval};

#[derive(Debug, Args)]
pub struct Eval {
    #[command(subcommand)]
    command: EvalCommand,
}

#[derive(Debug, Subcommand)]
enum EvalCommand {
    /// Retrieval quality on a BEIR-layout set: nDCG@10, Recall@100 and MRR@10 per search mode.
    Beir(Beir),
}

#[derive(Debug, Args)]
struct Beir {
    /// A folder with corpus.jsonl, queries.jsonl and qrels/test.tsv.
    dir: PathBuf,
    /// Print {"dense": {...}, "sparse": {...}, "hybrid": {...}} instead of a table.
    #[arg(long)]
    json: bool,
    /// Where to keep the index of the corpus between runs (default: the cache, by corpus name).
    #[arg(long, value_name = "DIR")]
    index_dir: Option<PathBuf>,
    /// Use this corpus.jsonl instead of DIR's (question sets over another set's corpus).
    #[arg(long, value_name = "FILE")]
    corpus: Option<PathBuf>,
}

impl Eval {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        match self.command {
            EvalCommand::Beir(beir) => beir.run(),
        }
    }
}

impl Beir {
    fn run(self) -> anyhow::Result<ExitCode> {
        let set = BeirSet::load(&self.dir, self.corpus.as_deref())?;
        let config = EmbedderConfig::from_environment();
        let index_dir = self.index_dir.clone().unwrap_or_else(|| {
            config
                .model_dir
                .parent()
                .and_then(|models| models.parent())
                .map_or_else(
                    || PathBuf::from("beir-index"),
                    |cache| {
                        // One index per model and corpus: vectors of different models never mix.
                        let model = config.model_dir.file_name().unwrap_or_default();
                        cache.join("beir").join(model).join(&set.corpus_name)
                    },
                )
        });
        let embedder = Arc::new(Embedder::load(config)?);
        let index = EdgeIndex::open(&index_dir, embedder.dimension())?;
        let retrieval = Retrieval::new(embedder, Arc::new(index));
        let scope = Scope::new("beir", set.corpus_name.clone());
        let bar = ProgressBar::new(set.corpus.len() as u64);
        if let Ok(style) = ProgressStyle::with_template(
            "indexing {msg} [{bar:30}] {pos}/{len} documents, {per_sec}, ETA {eta}",
        ) {
            bar.set_style(style);
        }
        bar.set_message(set.name.clone());
        let started = Instant::now();
        let indexed = set.ensure_indexed(&retrieval, &scope, &mut |done| {
            bar.set_position(done as u64)
        })?;
        bar.finish_and_clear();
        if indexed {
            eprintln!(
                "indexed {} documents in {:.0} s into {}",
                set.corpus.len(),
                started.elapsed().as_secs_f64(),
                index_dir.display()
            );
        }
        let mut results: Vec<(&str, Scores)> = Vec::new();
        for (name, mode, fusion) in [
            ("dense", Mode::Dense, Fusion::Scores),
            ("sparse", Mode::Sparse, Fusion::Scores),
            ("hybrid", Mode::Hybrid, Fusion::Scores),
            ("hybrid_rrf", Mode::Hybrid, Fusion::Ranks),
        ] {
            results.push((name, evaluate(&set, &retrieval, &scope, mode, fusion)?));
        }
        if self.json {
            let json: serde_json::Map<String, serde_json::Value> = results
                .iter()
                .map(|(name, scores)| Ok((name.to_string(), serde_json::to_value(scores)?)))
                .collect::<Result<_, serde_json::Error>>()?;
            println!("{}", serde_json::to_string_pretty(&json)?);
        } else {
            println!(
                "{}: {} documents, {} queries",
                set.name,
                set.corpus.len(),
                set.queries.len()
            );
            println!(
                "{:<10} {:>8} {:>11} {:>8}",
                "mode", "nDCG@10", "Recall@100", "MRR@10"
            );
            for (name, scores) in &results {
                println!(
                    "{name:<10} {:>8.4} {:>11.4} {:>8.4}",
                    scores.ndcg_at_10, scores.recall_at_100, scores.mrr_at_10
                );
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}
