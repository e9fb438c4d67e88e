//! The retrieval stack every entry point opens the same way (the embedding model, the vector
//! index in a directory or on a Qdrant server).

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use knowledge::embed::{Embedder, EmbedderConfig};
use knowledge::index::{EdgeIndex, ServerIndex, VectorIndex};
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
    Ok(Arc::new(Retrieval::new(embedder, index)))
}

/// A directory records the model that embedded it, and refuses to be read with another:
/// two models of the same vector size would otherwise mix silently.
fn check_model(dir: &Path, model: &str) -> anyhow::Result<()> {
    let record = dir.join("model");
    match std::fs::read_to_string(&record) {
        Ok(recorded) if recorded.trim() == model => Ok(()),
        Ok(recorded) => anyhow::bail!(
            "{} was embedded with {}, and the model now is {model}: set SWITCHBOARD_MODEL={} or use a new directory",
            dir.display(),
            recorded.trim(),
            recorded.trim()
        ),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(dir)?;
            std::fs::write(&record, format!("{model}\n"))
                .with_context(|| format!("writing {}", record.display()))
        }
        Err(error) => Err(error).with_context(|| format!("reading {}", record.display())),
    }
}
