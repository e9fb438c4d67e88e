//! Indexing chunks and answering questions from them: dense and lexical search, fused.
//!
//! Hybrid search runs a dense and a lexical (BM25) search over the same tenant-filtered
//! candidates and fuses them by reciprocal rank. The lexical list is weighted by how much of
//! the question it can see: the share of the question's terms that occur in its hits. A
//! question asked in Arabic of English knowledge (or the reverse) shares no terms with it, so
//! its lexical list, which is noise there, gets no weight and hybrid falls back to dense.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde::Serialize;
use uuid::Uuid;

use crate::chunk::Chunk;
use crate::embed::{EmbedError, Embedder, Role};
use crate::index::{ChunkPayload, Hit, IndexError, IndexPoint, Query, Scope, VectorIndex};
use crate::lexical::Lexical;

/// The usual constant of reciprocal rank fusion: ranks past the first few count similarly.
const RRF_K: f32 = 60.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Hybrid,
    Dense,
    Sparse,
}

impl std::str::FromStr for Mode {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "hybrid" => Ok(Mode::Hybrid),
            "dense" => Ok(Mode::Dense),
            "sparse" | "lexical" => Ok(Mode::Sparse),
            other => Err(format!(
                "unknown search mode {other:?}: use hybrid, dense or sparse"
            )),
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct SearchOptions {
    pub mode: Mode,
    pub limit: usize,
    /// Minimum score, applied after fusion (fused scores are rank-based, dense ones cosines).
    pub score_threshold: Option<f32>,
    /// How many candidates each list contributes before fusion.
    pub candidates: usize,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            mode: Mode::Hybrid,
            limit: 5,
            score_threshold: None,
            candidates: 50,
        }
    }
}

/// A retrieved passage with what a citation needs and how it was found.
#[derive(Debug, Clone, Serialize)]
pub struct Passage {
    pub id: Uuid,
    pub score: f32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dense_rank: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sparse_rank: Option<usize>,
    #[serde(flatten)]
    pub chunk: ChunkPayload,
}

#[derive(Debug, thiserror::Error)]
pub enum RetrieveError {
    #[error(transparent)]
    Embed(#[from] EmbedError),
    #[error(transparent)]
    Index(#[from] IndexError),
}

pub struct Retrieval {
    embedder: Arc<Embedder>,
    lexical: Lexical,
    index: Arc<dyn VectorIndex>,
}

impl std::fmt::Debug for Retrieval {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Retrieval").finish_non_exhaustive()
    }
}

impl Retrieval {
    pub fn new(embedder: Arc<Embedder>, index: Arc<dyn VectorIndex>) -> Self {
        Retrieval {
            embedder,
            lexical: Lexical::new(),
            index,
        }
    }

    pub fn embedder(&self) -> &Embedder {
        &self.embedder
    }

    pub fn index(&self) -> &dyn VectorIndex {
        self.index.as_ref()
    }

    /// Embeds and stores a source's chunks, then removes whatever the source had before that is
    /// not among them. `progress` hears how many chunks are embedded.
    pub fn index_source(
        &self,
        scope: &Scope,
        source_name: &str,
        chunks: &[Chunk],
        progress: &mut dyn FnMut(usize),
    ) -> Result<(), RetrieveError> {
        let Some(source_id) = chunks.first().map(|chunk| chunk.source_id.clone()) else {
            return Ok(());
        };
        let named: Vec<(&str, &Chunk)> = chunks.iter().map(|chunk| (source_name, chunk)).collect();
        let keep = self.store(scope, &named, progress)?;
        self.index.delete_source(scope, &source_id, &keep)?;
        self.index.flush()?;
        Ok(())
    }

    /// Embeds and stores the chunks of many sources at once (a benchmark corpus, a bulk
    /// import), then builds the index's search structures.
    pub fn index_bulk(
        &self,
        scope: &Scope,
        chunks: &[(&str, &Chunk)],
        progress: &mut dyn FnMut(usize),
    ) -> Result<(), RetrieveError> {
        self.store(scope, chunks, progress)?;
        self.index.flush()?;
        self.index.optimize()?;
        Ok(())
    }

    /// Embeds in slices, writing each as it is done, so a long load reports progress and holds
    /// one slice of vectors in memory. Returns the ids written.
    fn store(
        &self,
        scope: &Scope,
        chunks: &[(&str, &Chunk)],
        progress: &mut dyn FnMut(usize),
    ) -> Result<Vec<Uuid>, RetrieveError> {
        const SLICE: usize = 512;
        let mut ids = Vec::with_capacity(chunks.len());
        for (number, slice) in chunks.chunks(SLICE).enumerate() {
            let texts: Vec<&str> = slice.iter().map(|(_, chunk)| chunk.text.as_str()).collect();
            let vectors = self.embedder.embed(&texts, Role::Passage, &mut |done| {
                progress(number * SLICE + done)
            })?;
            let points: Vec<IndexPoint> = slice
                .iter()
                .zip(vectors)
                .map(|((source_name, chunk), dense)| IndexPoint {
                    id: chunk.id,
                    dense,
                    sparse: self.lexical.document(&chunk.text, &chunk.language),
                    payload: ChunkPayload {
                        workspace: scope.workspace.clone(),
                        knowledge_base: scope.knowledge_base.clone(),
                        source_id: chunk.source_id.clone(),
                        source: source_name.to_string(),
                        ordinal: chunk.ordinal,
                        position: chunk.position.clone(),
                        language: chunk.language.clone(),
                        text: chunk.text.clone(),
                    },
                })
                .collect();
            self.index.upsert(&points)?;
            ids.extend(points.iter().map(|point| point.id));
        }
        Ok(ids)
    }

    pub fn delete_source(&self, scope: &Scope, source_id: &str) -> Result<(), RetrieveError> {
        self.index.delete_source(scope, source_id, &[])?;
        self.index.flush()?;
        Ok(())
    }

    pub fn search(
        &self,
        scope: &Scope,
        question: &str,
        options: &SearchOptions,
    ) -> Result<Vec<Passage>, RetrieveError> {
        let dense = match options.mode {
            Mode::Sparse => Vec::new(),
            _ => self.index.search(
                scope,
                &Query::Dense(self.embedder.embed_query(question)?),
                options.candidates,
            )?,
        };
        let sparse_query = self.lexical.query(question);
        let sparse = match options.mode {
            Mode::Dense => Vec::new(),
            _ => self.index.search(
                scope,
                &Query::Sparse(sparse_query.clone()),
                options.candidates,
            )?,
        };
        let mut passages = match options.mode {
            Mode::Dense => ranked(dense, |passage, rank| passage.dense_rank = Some(rank)),
            Mode::Sparse => ranked(sparse, |passage, rank| passage.sparse_rank = Some(rank)),
            Mode::Hybrid => {
                let weight = self.term_coverage(&sparse_query.indices, &sparse);
                fuse(dense, sparse, weight)
            }
        };
        if let Some(threshold) = options.score_threshold {
            passages.retain(|passage| passage.score >= threshold);
        }
        passages.truncate(options.limit);
        Ok(passages)
    }

    /// The share of the question's terms that occur in the lexical hits: 0 when the lexical
    /// list matched nothing of substance, 1 when every term was found.
    fn term_coverage(&self, terms: &[u32], hits: &[Hit]) -> f32 {
        if terms.is_empty() || hits.is_empty() {
            return 0.0;
        }
        let mut seen: HashSet<u32> = HashSet::new();
        for hit in hits.iter().take(10) {
            seen.extend(
                self.lexical
                    .document(&hit.payload.text, &hit.payload.language)
                    .indices,
            );
        }
        terms.iter().filter(|term| seen.contains(term)).count() as f32 / terms.len() as f32
    }
}

fn ranked(hits: Vec<Hit>, mark: impl Fn(&mut Passage, usize)) -> Vec<Passage> {
    hits.into_iter()
        .enumerate()
        .map(|(rank, hit)| {
            let mut passage = Passage {
                id: hit.id,
                score: hit.score,
                dense_rank: None,
                sparse_rank: None,
                chunk: hit.payload,
            };
            mark(&mut passage, rank + 1);
            passage
        })
        .collect()
}

/// Weighted reciprocal rank fusion: each list adds weight / (k + rank) for every passage in it.
fn fuse(dense: Vec<Hit>, sparse: Vec<Hit>, sparse_weight: f32) -> Vec<Passage> {
    let mut fused: HashMap<Uuid, Passage> = HashMap::new();
    for (rank, hit) in dense.into_iter().enumerate() {
        let passage = fused.entry(hit.id).or_insert_with(|| Passage {
            id: hit.id,
            score: 0.0,
            dense_rank: None,
            sparse_rank: None,
            chunk: hit.payload,
        });
        passage.dense_rank = Some(rank + 1);
        passage.score += 1.0 / (RRF_K + (rank + 1) as f32);
    }
    if sparse_weight > 0.0 {
        for (rank, hit) in sparse.into_iter().enumerate() {
            let passage = fused.entry(hit.id).or_insert_with(|| Passage {
                id: hit.id,
                score: 0.0,
                dense_rank: None,
                sparse_rank: None,
                chunk: hit.payload,
            });
            passage.sparse_rank = Some(rank + 1);
            passage.score += sparse_weight / (RRF_K + (rank + 1) as f32);
        }
    }
    let mut passages: Vec<Passage> = fused.into_values().collect();
    passages.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
    passages
}
