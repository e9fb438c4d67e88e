use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use clap::{Args, Subcommand};
use evals::beir::{BeirSet, Scores, evaluate};
use evals::confidence;
use indicatif::{ProgressBar, ProgressStyle};
use knowledge::embed::{Embedder, EmbedderConfig};
use knowledge::index::{EdgeIndex, Scope};
use knowledge::retrieve::{Confidence as RetrievalConfidence, Fusion, Mode, Retrieval};

#[derive(Debug, Args)]
pub struct Eval {
    #[command(subcommand)]
    command: EvalCommand,
}

#[derive(Debug, Subcommand)]
enum EvalCommand {
    /// Retrieval quality on a BEIR-layout set: nDCG@10, Recall@100 and MRR@10 per search mode.
    Beir(Beir),
    /// Calibrate the agents' confidence signal on a BEIR-layout set: each question asked with
    /// and without its relevant documents; the threshold that best tells them apart.
    Confidence(Confidence),
    /// Run an eval suite against an agent (in this process, or on a service) and report;
    /// exits 1 when a threshold is not met.
    Run(super::eval_suite::Run),
    /// Regressions and improvements between two `eval run --json` reports.
    Compare(super::eval_suite::Compare),
    /// Print a suite built from an agent's thumbs up and down on a service.
    FromFeedback(super::eval_suite::FromFeedback),
}

/// What every evaluation over a BEIR-layout set is given.
#[derive(Debug, Args)]
struct SetArgs {
    /// A folder with corpus.jsonl, queries.jsonl and qrels/test.tsv.
    dir: PathBuf,
    /// Print the results as one JSON document instead of a table.
    #[arg(long)]
    json: bool,
    /// Where to keep the index of the corpus between runs (default: the cache, by corpus name).
    #[arg(long, value_name = "DIR")]
    index_dir: Option<PathBuf>,
    /// Use this corpus.jsonl instead of DIR's (question sets over another set's corpus).
    #[arg(long, value_name = "FILE")]
    corpus: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct Confidence {
    #[command(flatten)]
    set: SetArgs,
    /// Also ask the questions of this BEIR-layout folder, which the corpus knows nothing about,
    /// and calibrate answerable questions against them (off-topic messages).
    #[arg(long, value_name = "DIR")]
    off_topic: Option<PathBuf>,
}

/// With --json: {"dense": {...}, "sparse": {...}, "hybrid": {...}, "hybrid_rrf": {...}}.
#[derive(Debug, Args)]
struct Beir {
    #[command(flatten)]
    set: SetArgs,
}

impl Eval {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        match self.command {
            EvalCommand::Beir(beir) => beir.run(),
            EvalCommand::Confidence(confidence) => confidence.run(),
            EvalCommand::Run(run) => run.run(),
            EvalCommand::Compare(compare) => compare.run(),
            EvalCommand::FromFeedback(from_feedback) => from_feedback.run(),
        }
    }
}

/// The set's corpus indexed with the configured model, in `index_dir` or the cache.
fn indexed(set: &BeirSet, index_dir: Option<PathBuf>) -> anyhow::Result<(Retrieval, Scope)> {
    let config = EmbedderConfig::from_environment();
    let index_dir = index_dir.unwrap_or_else(|| {
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
    crate::retrieval::renew_lexical_vectors(&index_dir, &retrieval)?;
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
    Ok((retrieval, scope))
}

impl SetArgs {
    fn load(&self) -> anyhow::Result<BeirSet> {
        Ok(BeirSet::load(&self.dir, self.corpus.as_deref())?)
    }
}

impl Beir {
    fn run(self) -> anyhow::Result<ExitCode> {
        let set = self.set.load()?;
        let (retrieval, scope) = indexed(&set, self.set.index_dir.clone())?;
        let mut results: Vec<(&str, Scores)> = Vec::new();
        for (name, mode, fusion) in [
            ("dense", Mode::Dense, Fusion::Scores),
            ("sparse", Mode::Sparse, Fusion::Scores),
            ("hybrid", Mode::Hybrid, Fusion::Scores),
            ("hybrid_rrf", Mode::Hybrid, Fusion::Ranks),
        ] {
            results.push((name, evaluate(&set, &retrieval, &scope, mode, fusion)?));
        }
        if self.set.json {
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

impl Confidence {
    fn run(self) -> anyhow::Result<ExitCode> {
        let set = self.set.load()?;
        let (retrieval, scope) = indexed(&set, self.set.index_dir.clone())?;
        let (answerable, near_miss) = confidence::measure(&set, &retrieval, &scope)?;
        let off_topic = match &self.off_topic {
            Some(dir) => {
                let questions =
                    BeirSet::load(dir, Some(&self.set.dir.join("corpus.jsonl")))?.queries;
                Some(confidence::measure_off_topic(
                    &questions, &retrieval, &scope,
                )?)
            }
            None => None,
        };
        let mut signals: Vec<(String, confidence::Calibration)> = Vec::new();
        let mut at_default = None;
        for weight in [0.0f32, RetrievalConfidence::COVERAGE_WEIGHT, 0.2] {
            let score = |sample: &[RetrievalConfidence]| -> Vec<f32> {
                sample
                    .iter()
                    .map(|signal| signal.similarity + weight * signal.coverage)
                    .collect()
            };
            let name = format!("similarity + {weight} x coverage");
            signals.push((
                format!("{name}, near misses"),
                confidence::calibrate(&score(&answerable), &score(&near_miss)),
            ));
            if weight == RetrievalConfidence::COVERAGE_WEIGHT {
                let threshold = agentflow::config::DEFAULT_MIN_CONFIDENCE;
                let mut line = String::new();
                for (case, sample) in [
                    ("near misses", Some(&near_miss)),
                    ("off-topic", off_topic.as_ref()),
                ] {
                    if let Some(sample) = sample {
                        let (kept, caught) =
                            confidence::rates_at(threshold, &score(&answerable), &score(sample));
                        line.push_str(&format!(
                            "; against {case}: answerable answered {kept:.4}, unanswerable caught {caught:.4}"
                        ));
                    }
                }
                at_default = Some(format!("the agents' default threshold {threshold}{line}"));
            }
            if let Some(off_topic) = &off_topic {
                signals.push((
                    format!("{name}, off-topic"),
                    confidence::calibrate(&score(&answerable), &score(off_topic)),
                ));
            }
        }
        if self.set.json {
            let json: serde_json::Map<String, serde_json::Value> = signals
                .iter()
                .map(|(name, calibration)| Ok((name.clone(), serde_json::to_value(calibration)?)))
                .collect::<Result<_, serde_json::Error>>()?;
            println!("{}", serde_json::to_string_pretty(&json)?);
            return Ok(ExitCode::SUCCESS);
        }
        println!(
            "{}: {} questions, each with and without its relevant documents (near misses){}",
            set.name,
            answerable.len(),
            off_topic
                .as_ref()
                .map_or(String::new(), |questions| format!(
                    "; {} off-topic questions",
                    questions.len()
                ))
        );
        for (name, calibration) in &signals {
            println!("{name}");
            for (case, sample) in [
                ("answerable", &calibration.answerable),
                ("unanswerable", &calibration.unanswerable),
            ] {
                println!(
                    "  {case:<13} mean {:.4}  p10 {:.4}  p50 {:.4}  p90 {:.4}",
                    sample.mean, sample.p10, sample.p50, sample.p90
                );
            }
            println!(
                "  AUC {:.4}; best threshold {:.4}: balanced accuracy {:.4}, answerable answered {:.4}, unanswerable caught {:.4}",
                calibration.auc,
                calibration.threshold,
                calibration.balanced_accuracy,
                calibration.answerable_kept,
                calibration.unanswerable_caught
            );
        }
        if let Some(line) = at_default {
            println!("{line}");
        }
        Ok(ExitCode::SUCCESS)
    }
}
