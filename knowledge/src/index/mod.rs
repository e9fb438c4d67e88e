//! The vector index: one trait, one collection layout, an embedded implementation (qdrant-edge,
//! files in the data directory) and a Qdrant server (qdrant-client). Every read and delete is scoped to
//! a workspace and a knowledge base; nothing crosses tenants. [`EdgeIndex`] is the embedded
//! default; [`ServerIndex`] talks to a Qdrant server when `qdrant.url` is set. With the
//! `test-support` feature, `local_qdrant` runs an in-memory Qdrant server for tests of it.
//!
//! Layout: a dense vector `dense` (cosine), a sparse vector `bm25` (IDF applied by the index),
//! and a payload with the workspace, knowledge base, source, position, language and text (and
//! the vectors of the text's sentences), with keyword indexes on the ids.

mod edge;
#[cfg(feature = "test-support")]
pub mod local_qdrant;
mod server;

pub use edge::EdgeIndex;
pub use server::ServerIndex;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::document::Position;
use crate::embed::StoredSentences;
use crate::lexical::SparseVector;

pub const DENSE: &str = "dense";
pub const SPARSE: &str = "bm25";

/// Which tenant's knowledge base an operation concerns.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Scope {
    pub workspace: String,
    pub knowledge_base: String,
}

impl Scope {
    pub fn new(workspace: impl Into<String>, knowledge_base: impl Into<String>) -> Self {
        Scope {
            workspace: workspace.into(),
            knowledge_base: knowledge_base.into(),
        }
    }
}

/// What is stored with each point, and returned with each hit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChunkPayload {
    pub workspace: String,
    pub knowledge_base: String,
    pub source_id: String,
    pub source: String,
    pub ordinal: usize,
    pub position: Position,
    pub language: String,
    pub text: String,
    /// The vectors of the text's sentences ([`crate::embed::Embedder::embed_for_storage`]);
    /// empty in what retrieval returns, which hands them to the embedder's sentence cache.
    #[serde(default, skip_serializing_if = "StoredSentences::is_empty")]
    pub sentence_vectors: StoredSentences,
}

#[derive(Debug, Clone)]
pub struct IndexPoint {
    pub id: Uuid,
    pub dense: Vec<f32>,
    pub sparse: SparseVector,
    pub payload: ChunkPayload,
}

#[derive(Debug, Clone)]
pub enum Query {
    Dense(Vec<f32>),
    Sparse(SparseVector),
}

#[derive(Debug, Clone)]
pub struct Hit {
    pub id: Uuid,
    pub score: f32,
    pub payload: ChunkPayload,
}

/// What a point's sparse vector is made from.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct StoredText {
    #[serde(skip)]
    pub id: Uuid,
    pub language: String,
    pub text: String,
}

/// The payload fields of a [`StoredText`].
const STORED_TEXT_FIELDS: [&str; 2] = ["language", "text"];

/// A source some points belong to, as the index sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedSource {
    pub scope: Scope,
    pub source_id: String,
    pub points: usize,
}

/// More distinct values of a field than any index here holds: a facet's limit, which both
/// engines require.
const ALL_VALUES: usize = 1 << 24;

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("vector index at {path}: {reason}")]
    Open { path: String, reason: String },
    #[error("vector index: {0}")]
    Operation(String),
    #[error("vector index returned a point without a readable payload: {0}")]
    Payload(String),
}

/// The operations retrieval and ingestion need from a vector store.
pub trait VectorIndex: Send + Sync {
    /// Inserts or replaces points (by id). Returns once the points are durable.
    fn upsert(&self, points: &[IndexPoint]) -> Result<(), IndexError>;
    /// Deletes a source's points except `keep`: with the new points upserted first, a
    /// re-ingested source goes from its old chunks to its new ones without an empty moment.
    fn delete_source(
        &self,
        scope: &Scope,
        source_id: &str,
        keep: &[Uuid],
    ) -> Result<(), IndexError>;
    fn search(&self, scope: &Scope, query: &Query, limit: usize) -> Result<Vec<Hit>, IndexError>;
    /// Points in the scope, or in one of its sources.
    fn count(&self, scope: &Scope, source_id: Option<&str>) -> Result<usize, IndexError>;
    /// The distinct values of the keyword `field` among the points whose keyword fields equal
    /// every `(field, value)` of `within`, each with its number of points.
    fn keyword_values(
        &self,
        field: &str,
        within: &[(&str, &str)],
    ) -> Result<Vec<(String, usize)>, IndexError>;
    /// Every source the index holds points of, with its scope: what a sweep compares with the
    /// records to find points whose source is gone.
    fn sources(&self) -> Result<Vec<IndexedSource>, IndexError> {
        let mut sources = Vec::new();
        for (workspace, _) in self.keyword_values("workspace", &[])? {
            let in_workspace = [("workspace", workspace.as_str())];
            for (knowledge_base, _) in self.keyword_values("knowledge_base", &in_workspace)? {
                let within = [
                    ("workspace", workspace.as_str()),
                    ("knowledge_base", knowledge_base.as_str()),
                ];
                for (source_id, points) in self.keyword_values("source_id", &within)? {
                    sources.push(IndexedSource {
                        scope: Scope::new(&workspace, &knowledge_base),
                        source_id,
                        points,
                    });
                }
            }
        }
        Ok(sources)
    }
    /// A page of every point's text, of all tenants, in id order from `from` (the first point
    /// when `None`): at most `limit` points (at least one), and the id the next page starts
    /// from, or `None` at the end.
    fn texts(
        &self,
        from: Option<Uuid>,
        limit: usize,
    ) -> Result<(Vec<StoredText>, Option<Uuid>), IndexError>;
    /// Replaces the sparse vectors of existing points, leaving the rest of each as it is.
    fn replace_sparse(&self, vectors: &[(Uuid, SparseVector)]) -> Result<(), IndexError>;
    /// Builds search structures after a bulk load; slow, so off the request path.
    fn optimize(&self) -> Result<(), IndexError>;
    /// Makes every acknowledged write durable.
    fn flush(&self) -> Result<(), IndexError>;
}
