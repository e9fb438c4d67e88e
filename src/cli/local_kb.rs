//! A knowledge base in a local directory, for the command line: the embedded index in
//! `DIR/index` and the list of its sources in `DIR/sources.json`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use knowledge::index::Scope;
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
        let retrieval = crate::retrieval::open(dir, None)?;
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
            retrieval,
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
