//! A knowledge base in a local directory, for the command line: the embedded index in
//! `DIR/index` and the list of its sources in `DIR/sources.json`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use knowledge::embed::{Embedder, EmbedderConfig};
use knowledge::index::{EdgeIndex, Scope};
use knowledge::retrieve::Retrieval;

pub struct LocalKnowledgeBase {
    pub retrieval: Arc<Retrieval>,
    pub scope: Scope,
    manifest: PathBuf,
    /// Source id -> the name it was ingested under.
    pub sources: BTreeMap<String, String>,
}

impl LocalKnowledgeBase {
    pub fn open(dir: &Path) -> anyhow::Result<Self> {
        let embedder = Arc::new(Embedder::load(EmbedderConfig::from_environment())?);
        check_model(dir, &embedder.model_name())?;
        let index = EdgeIndex::open(&dir.join("index"), embedder.dimension())?;
        let manifest = dir.join("sources.json");
        let sources = match std::fs::read(&manifest) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .with_context(|| format!("{} is not a source list", manifest.display()))?,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(error) => {
                return Err(error).with_context(|| format!("reading {}", manifest.display()));
            }
        };
        Ok(LocalKnowledgeBase {
            retrieval: Arc::new(Retrieval::new(embedder, Arc::new(index))),
            scope: Scope::new("local", "default"),
            manifest,
            sources,
        })
    }

    /// Records a source once its chunks are indexed; written to a temporary file and renamed,
    /// so the list is never half-written.
    pub fn record_source(&mut self, source_id: &str, name: &str) -> anyhow::Result<()> {
        self.sources.insert(source_id.to_string(), name.to_string());
        let temporary = self.manifest.with_extension("json.tmp");
        std::fs::write(&temporary, serde_json::to_vec_pretty(&self.sources)?)?;
        std::fs::rename(&temporary, &self.manifest)?;
        Ok(())
    }
}

/// A knowledge base records the model that embedded it, and refuses to be read with another:
/// two models of the same vector size would otherwise mix silently.
fn check_model(dir: &Path, model: &str) -> anyhow::Result<()> {
    let record = dir.join("model");
    match std::fs::read_to_string(&record) {
        Ok(recorded) if recorded.trim() == model => Ok(()),
        Ok(recorded) => anyhow::bail!(
            "{} was embedded with {}, and the model now is {model}: set SWITCHBOARD_MODEL={} or ingest into a new directory",
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
