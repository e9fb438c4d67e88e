use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use knowledge::embed::EmbedderConfig;
use knowledge::fetch::{FetchOptions, fetch_document};
use knowledge::{Chunk, ChunkOptions, Document, Limits, SourceError, chunk, chunk_by_tokens};
use serde::Serialize;

use super::local_kb::LocalKnowledgeBase;
use app::ingestion::{CHUNK_TOKENS, OVERLAP_TOKENS};

#[derive(Debug, Args)]
pub struct Ingest {
    /// Write the chunks as JSON lines to standard output instead of a summary.
    #[arg(long)]
    json: bool,
    /// Follow same-site links from each URL, up to this many pages in all.
    #[arg(long, default_value_t = 1, value_name = "PAGES")]
    crawl: usize,
    /// Also embed and index the chunks into the knowledge base in this directory.
    #[arg(long, value_name = "DIR")]
    kb: Option<std::path::PathBuf>,
    /// Files or http(s) URLs (Google Docs and Sheets share links included).
    #[arg(required = true, value_name = "FILE_OR_URL")]
    sources: Vec<String>,
}

/// A chunk as `--json` writes it: with the source it came from.
#[derive(Serialize)]
struct ChunkLine<'a> {
    source: &'a str,
    #[serde(flatten)]
    chunk: &'a Chunk,
}

impl Ingest {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let limits = Limits::default();
        limits
            .check_source_count(self.sources.len())
            .with_context(|| format!("{} sources given", self.sources.len()))?;
        let mut knowledge_base = match &self.kb {
            Some(dir) => {
                let knowledge_base = LocalKnowledgeBase::open(dir)?;
                let mut ids: std::collections::BTreeSet<String> =
                    knowledge_base.sources.keys().cloned().collect();
                ids.extend(self.sources.iter().map(|source| source_id(source)));
                limits.check_source_count(ids.len()).with_context(|| {
                    format!("{} would hold {} sources", dir.display(), ids.len())
                })?;
                Some(knowledge_base)
            }
            None => None,
        };
        let tokenizer = match &knowledge_base {
            Some(knowledge_base) => Some(knowledge_base.retrieval.embedder().tokenizer().clone()),
            None => model_tokenizer(),
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let fetch_options = FetchOptions {
            crawl_pages: self.crawl.max(1),
            ..FetchOptions::default()
        };
        let mut failed = 0;
        for source in &self.sources {
            let started = Instant::now();
            let reading = spinner(source);
            let parsed = if is_url(source) {
                runtime
                    .block_on(fetch_document(source, &fetch_options, &limits))
                    .map_err(|error| SourceError::new(source, error))
            } else {
                read_and_parse(source, &limits, &reading)
            };
            reading.finish_and_clear();
            let document = match parsed {
                Ok(document) => document,
                Err(error) => {
                    failed += 1;
                    eprintln!("error: {error}");
                    continue;
                }
            };
            let id = source_id(source);
            let chunking = spinner(&format!("chunking {source}"));
            let chunks = match &tokenizer {
                Some(tokenizer) => {
                    chunk_by_tokens(&id, &document, tokenizer, CHUNK_TOKENS, OVERLAP_TOKENS)
                }
                None => chunk(&id, &document, ChunkOptions::default()),
            };
            chunking.finish_and_clear();
            if let Some(knowledge_base) = &mut knowledge_base
                && let Err(error) = index(knowledge_base, source, &id, &chunks)
            {
                failed += 1;
                eprintln!("error: {source}: {error:#}");
                continue;
            }
            if self.json {
                write_chunks(source, &chunks)?;
            } else {
                print_summary(source, &document, &chunks, started.elapsed());
            }
        }
        if let Some(knowledge_base) = &knowledge_base {
            optimise_if_large(knowledge_base)?;
        }
        Ok(if failed == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        })
    }
}

/// The embedding model's tokenizer when the model is installed, to size chunks in its tokens.
fn model_tokenizer() -> Option<tokenizers::Tokenizer> {
    let path = EmbedderConfig::from_environment()
        .model_dir
        .join("tokenizer.json");
    tokenizers::Tokenizer::from_file(path).ok()
}

/// Below this many chunks a brute-force scan is as fast as an HNSW graph; above it, building the
/// graph after a load keeps searches fast.
const OPTIMISE_FROM_CHUNKS: usize = 5_000;

fn optimise_if_large(knowledge_base: &LocalKnowledgeBase) -> anyhow::Result<()> {
    let index = knowledge_base.retrieval.index();
    let chunks = index.count(&knowledge_base.scope, None)?;
    if chunks >= OPTIMISE_FROM_CHUNKS {
        eprintln!("optimising the index ({chunks} chunks)");
        index.optimize()?;
    }
    Ok(())
}

fn index(
    knowledge_base: &mut LocalKnowledgeBase,
    source: &str,
    id: &str,
    chunks: &[Chunk],
) -> anyhow::Result<()> {
    let bar = ProgressBar::new(chunks.len() as u64);
    if let Ok(style) = ProgressStyle::with_template(
        "{msg} [{bar:30}] {pos}/{len} chunks embedded, {per_sec}, ETA {eta}",
    ) {
        bar.set_style(style);
    }
    bar.set_message(source.to_string());
    let result =
        knowledge_base
            .retrieval
            .index_source(&knowledge_base.scope, source, chunks, &mut |done| {
                bar.set_position(done as u64);
                std::ops::ControlFlow::Continue(())
            });
    bar.finish_and_clear();
    result?;
    knowledge_base.record_source(id, source)
}

fn is_url(source: &str) -> bool {
    source.starts_with("http://") || source.starts_with("https://")
}

/// A source's id is derived from how it was named, so the same input keeps its chunk ids.
fn source_id(source: &str) -> String {
    let canonical = if is_url(source) {
        source.to_string()
    } else {
        std::fs::canonicalize(source)
            .map_or_else(|_| source.to_string(), |path| path.display().to_string())
    };
    uuid_from(&canonical)
}

fn uuid_from(name: &str) -> String {
    const SOURCE_NAMESPACE: uuid::Uuid =
        uuid::Uuid::from_u128(0x0b1e_55a7_42c1_4f0e_8d3a_91c2_7e6f_a0b4);
    uuid::Uuid::new_v5(&SOURCE_NAMESPACE, name.as_bytes()).to_string()
}

fn read_and_parse(
    source: &str,
    limits: &Limits,
    spinner: &ProgressBar,
) -> Result<Document, SourceError> {
    let path = Path::new(source);
    let io_error =
        |error: std::io::Error| SourceError::new(source, knowledge::Error::Io(error.to_string()));
    let size = std::fs::metadata(path).map_err(io_error)?.len();
    limits
        .check_file_size(usize::try_from(size).unwrap_or(usize::MAX))
        .map_err(|error| SourceError::new(source, error))?;
    let bytes = std::fs::read(path).map_err(io_error)?;
    let mut on_page = |done: usize, total: usize| {
        if spinner.length() != Some(total as u64) {
            spinner.set_length(total as u64);
            spinner.set_style(bar_style());
        }
        spinner.set_position(done as u64);
    };
    knowledge::parse_with_progress(source, &bytes, limits, &mut on_page)
}

/// A spinner while a source is read; it becomes a bar of pages once a PDF says how many it has.
/// Both draw on standard error, and only on a terminal.
fn spinner(source: &str) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} {elapsed}") {
        bar.set_style(style);
    }
    bar.set_message(source.to_string());
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

fn bar_style() -> ProgressStyle {
    ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} pages, {per_sec}, ETA {eta}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
}

fn write_chunks(source: &str, chunks: &[Chunk]) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for chunk in chunks {
        serde_json::to_writer(&mut out, &ChunkLine { source, chunk })?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}

fn print_summary(source: &str, document: &Document, chunks: &[Chunk], elapsed: Duration) {
    let mut size = Vec::new();
    if let Some(pages) = document.stats.pages {
        size.push(format!("{pages} pages"));
    }
    if let Some(sheets) = document.stats.sheets {
        size.push(format!("{sheets} sheets"));
    }
    if let Some(rows) = document.stats.rows {
        size.push(format!("{rows} rows"));
    }
    println!(
        "{source}: {kind}, {size}{sep}{chunks} chunks, {warnings} warnings, {seconds:.2} s",
        kind = document.kind,
        size = size.join(", "),
        sep = if size.is_empty() { "" } else { ", " },
        chunks = chunks.len(),
        warnings = document.warnings.len(),
        seconds = elapsed.as_secs_f64(),
    );
    for warning in &document.warnings {
        println!("  warning: {warning}");
    }
}
