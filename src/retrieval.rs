//! The retrieval stack every entry point opens the same way (the embedding model, the vector
//! index in a directory or on a Qdrant server).

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use knowledge::embed::{Embedder, EmbedderConfig};
use knowledge::index::{EdgeIndex, ServerIndex, VectorIndex};
use knowledge::lexical::LEXICAL_ANALYSIS;
use knowledge::retrieve::Retrieval;

/// The collection a Qdrant server keeps the service's points in.
const SERVER_COLLECTION: &str = "switchboard";

/// Loads the model and opens the index: in `dir/index`, or on the Qdrant server at
/// `qdrant_url`. `dir` records the model that embedded it and refuses another.
pub fn open(dir: &Path, qdrant_url: Option<&str>) -> anyhow::Result<Arc<Retrieval>> {
    let embedder = Arc::new(Embedder::load(EmbedderConfig::from_environment())?);
    check_model(dir, &embedder.model_name())?;
    let index: Arc<dyn VectorIndex> = match qdrant_url {
        Some(url) => Arc::new(ServerIndex::connect(
            url,
            SERVER_COLLECTION,
            embedder.dimension(),
        )?),
        None => Arc::new(EdgeIndex::open(&dir.join("index"), embedder.dimension())?),
    };
    let retrieval = Retrieval::new(embedder, index);
    renew_lexical_vectors(dir, &retrieval)?;
    Ok(Arc::new(retrieval))
}

/// A directory records the lexical analysis its index's sparse vectors were made with; an
/// index made with another, or from before the record, has them made again before anything
/// searches it. Until the record is written, every open makes them again.
pub fn renew_lexical_vectors(dir: &Path, retrieval: &Retrieval) -> anyhow::Result<()> {
    let record = dir.join("lexical-analysis");
    let analysis = LEXICAL_ANALYSIS.to_string();
    if recorded(&record)?.as_deref() == Some(analysis.as_str()) {
        return Ok(());
    }
    let renewed = retrieval
        .renew_lexical_vectors()
        .context("making the index's lexical vectors again")?;
    if renewed > 0 {
        tracing::info!(
            renewed,
            analysis = LEXICAL_ANALYSIS,
            "lexical vectors made again with this build's analysis"
        );
    }
    std::fs::write(&record, format!("{analysis}\n"))
        .with_context(|| format!("writing {}", record.display()))
}

/// A directory records the model that embedded it, and refuses to be read with another:
/// two models of the same vector size would otherwise mix silently.
fn check_model(dir: &Path, model: &str) -> anyhow::Result<()> {
    let record = dir.join("model");
    match recorded(&record)? {
        Some(recorded) if recorded == model => Ok(()),
        Some(recorded) => anyhow::bail!(
            "{} was embedded with {recorded}, and the model now is {model}: set SWITCHBOARD_MODEL={recorded} or use a new directory",
            dir.display(),
        ),
        None => {
            std::fs::create_dir_all(dir)?;
            std::fs::write(&record, format!("{model}\n"))
                .with_context(|| format!("writing {}", record.display()))
        }
    }
}

/// What a directory's record file says, trimmed; `None` when there is no record.
fn recorded(record: &Path) -> anyhow::Result<Option<String>> {
    match std::fs::read_to_string(record) {
        Ok(recorded) => Ok(Some(recorded.trim().to_string())),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error).with_context(|| format!("reading {}", record.display())),
    }
}
