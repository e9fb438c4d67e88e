//! Indexing chunks and answering questions from them: dense and lexical search, fused.
//!
//! Hybrid search runs a dense and a lexical (BM25) search over the same tenant-filtered
//! candidates and fuses them, by rescaled scores (default) or by reciprocal rank. The fusion is
//! done here rather than inside the index so that it can be weighted and so that every index
//! backend fuses alike. The lexical list is weighted by how much of
//! the question it can see: the share of the question's terms that occur in its hits. A
//! question asked in Arabic of English knowledge (or the reverse) shares no terms with it, so
//! its lexical list, which is noise there, gets no weight and hybrid falls back to dense.

use std::collections::{HashMap, HashSet};
use std::ops::ControlFlow;
use std::sync::Arc;

use serde::Serialize;
use uuid::Uuid;

use crate::chunk::Chunk;
use crate::document::Position;
use crate::embed::{EmbedError, Embedder, TextRole};
use crate::index::{ChunkPayload, Hit, IndexError, IndexPoint, Query, Scope, VectorIndex};
use crate::lexical::{Lexical, SparseVector};
use crate::sentences::{is_question, sentences};

/// How much the lexical list counts against the dense one when it sees every term of the
/// question. BM25 is the stronger list on both SciFact and ARCD, and 1.2 measured best of 0.8,
/// 1.0, 1.2 and 1.5 on both (docs/benchmarks.md; chosen on the evaluation sets themselves).
const LEXICAL_WEIGHT: f32 = 1.2;

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

/// How hybrid search combines its two lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Fusion {
    /// Rescaled scores, added (the default: it measured better on SciFact and ARCD, see
    /// docs/benchmarks.md).
    Scores,
    /// Reciprocal ranks, added.
    Ranks,
}

impl std::str::FromStr for Fusion {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "scores" => Ok(Fusion::Scores),
            "ranks" | "rrf" => Ok(Fusion::Ranks),
            other => Err(format!("unknown fusion {other:?}: use scores or ranks")),
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct SearchOptions {
    pub mode: Mode,
    pub fusion: Fusion,
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
            fusion: Fusion::Scores,
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
    /// The passage's cosine similarity to the question, when the dense list found it: unlike
    /// the fused score, comparable across questions (the agents' confidence signal).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub similarity: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dense_rank: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sparse_rank: Option<usize>,
    #[serde(flatten)]
    pub chunk: ChunkPayload,
}

/// How sure a retrieval is that its passages hold the answer: the best question-to-passage
/// cosine, and the share of the question's terms that occur in the passages. Neither alone
/// tells off-topic questions apart well (e5 cosines sit in a narrow band); together they do
/// (docs/calibration.md).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Confidence {
    pub similarity: f32,
    pub coverage: f32,
}

impl Confidence {
    /// The weight of term coverage against cosine, chosen on SciFact and ARCD
    /// (`switchboard eval confidence`).
    pub const COVERAGE_WEIGHT: f32 = 0.1;

    /// The combined signal the agents' threshold applies to.
    pub fn value(self) -> f32 {
        self.similarity + Self::COVERAGE_WEIGHT * self.coverage
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RetrieveError {
    #[error(transparent)]
    Embed(#[from] EmbedError),
    #[error(transparent)]
    Index(#[from] IndexError),
    /// The caller's progress callback asked to stop (its job was cancelled or is shutting down).
    #[error("stopped before the source was indexed")]
    Stopped,
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
    /// not among them. `progress` hears how many chunks are embedded, and may answer
    /// `ControlFlow::Break` to stop: what was written stays, and [`RetrieveError::Stopped`] says
    /// the source is not complete.
    pub fn index_source(
        &self,
        scope: &Scope,
        source_name: &str,
        chunks: &[Chunk],
        progress: &mut dyn FnMut(usize) -> ControlFlow<()>,
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

    /// Makes every stored point's sparse vector again with this build's analysis
    /// ([`crate::lexical::LEXICAL_ANALYSIS`]), a page at a time, for an index made by another:
    /// returns how many points it renewed. A point ingested meanwhile is analysed alike twice.
    pub fn renew_lexical_vectors(&self) -> Result<usize, IndexError> {
        const PAGE: usize = 256;
        let mut renewed = 0;
        let mut from = None;
        loop {
            let (texts, next) = self.index.texts(from, PAGE)?;
            let vectors: Vec<(Uuid, SparseVector)> = texts
                .iter()
                .map(|stored| {
                    (
                        stored.id,
                        self.lexical.document(&stored.text, &stored.language),
                    )
                })
                .collect();
            self.index.replace_sparse(&vectors)?;
            renewed += vectors.len();
            match next {
                Some(next) => from = Some(next),
                None => return Ok(renewed),
            }
        }
    }

    /// Embeds and stores the chunks of many sources at once (a benchmark corpus, a bulk
    /// import), then builds the index's search structures.
    pub fn index_bulk(
        &self,
        scope: &Scope,
        chunks: &[(&str, &Chunk)],
        progress: &mut dyn FnMut(usize),
    ) -> Result<(), RetrieveError> {
        self.store(scope, chunks, &mut |done| {
            progress(done);
            ControlFlow::Continue(())
        })?;
        self.index.flush()?;
        self.index.optimize()?;
        Ok(())
    }

    /// Embeds in slices, writing each as it is done, so a long load reports progress, holds
    /// one slice of vectors in memory and can stop between slices. Returns the ids written.
    /// Each chunk is stored with the vectors of its sentences ([`sentences_to_store`]), so that no
    /// turn has to embed them.
    fn store(
        &self,
        scope: &Scope,
        chunks: &[(&str, &Chunk)],
        progress: &mut dyn FnMut(usize) -> ControlFlow<()>,
    ) -> Result<Vec<Uuid>, RetrieveError> {
        const SLICE: usize = 128;
        let mut ids = Vec::with_capacity(chunks.len());
        for (number, slice) in chunks.chunks(SLICE).enumerate() {
            let texts: Vec<&str> = slice.iter().map(|(_, chunk)| chunk.text.as_str()).collect();
            // Progress counts chunks: a slice's first half is its chunks, its second their
            // sentences, which hold about as many tokens.
            let start = number * SLICE;
            let half = slice.len() / 2;
            let vectors = self
                .embedder
                .embed_bulk(&texts, TextRole::Passage, &mut |done| {
                    progress(start + done * half / slice.len())
                })
                .map_err(stopped)?;
            let sentences: Vec<Vec<(TextRole, String)>> = slice
                .iter()
                .map(|(_, chunk)| sentences_to_store(&chunk.text, &chunk.position))
                .collect();
            let sentence_vectors = self
                .embedder
                .embed_for_storage(&sentences, &mut |done, total| {
                    progress(start + half + done * (slice.len() - half) / total.max(1))
                })
                .map_err(stopped)?;
            if progress(start + slice.len()).is_break() {
                return Err(RetrieveError::Stopped);
            }
            let points: Vec<IndexPoint> = slice
                .iter()
                .zip(vectors)
                .zip(sentence_vectors)
                .map(
                    |(((source_name, chunk), dense), sentence_vectors)| IndexPoint {
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
                            sentence_vectors,
                        },
                    },
                )
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
        let vector = match options.mode {
            Mode::Sparse => Vec::new(),
            _ => self.embedder.embed_query(question)?,
        };
        self.search_embedded(scope, question, vector, options)
    }

    /// [`Retrieval::search`] with the question's dense vector already computed (by
    /// [`Embedder::embed_query`]); what remains is index work and fusion.
    pub fn search_embedded(
        &self,
        scope: &Scope,
        question: &str,
        vector: Vec<f32>,
        options: &SearchOptions,
    ) -> Result<Vec<Passage>, RetrieveError> {
        let dense = match options.mode {
            Mode::Sparse => Vec::new(),
            _ => self
                .index
                .search(scope, &Query::Dense(vector), options.candidates)?,
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
            Mode::Dense => ranked(dense, |passage, rank| {
                passage.similarity = Some(passage.score);
                passage.dense_rank = Some(rank);
            }),
            Mode::Sparse => ranked(sparse, |passage, rank| passage.sparse_rank = Some(rank)),
            Mode::Hybrid => {
                let weight = LEXICAL_WEIGHT * self.term_coverage(&sparse_query.indices, &sparse);
                match options.fusion {
                    Fusion::Scores => fuse_scores(dense, sparse, weight),
                    Fusion::Ranks => fuse_ranks(dense, sparse, weight),
                }
            }
        };
        if let Some(threshold) = options.score_threshold {
            passages.retain(|passage| passage.score >= threshold);
        }
        passages.truncate(options.limit);
        for passage in &mut passages {
            let stored = std::mem::take(&mut passage.chunk.sentence_vectors);
            if !stored.is_empty() {
                let sentences = sentences_to_store(&passage.chunk.text, &passage.chunk.position);
                self.embedder.remember_sentences(&sentences, &stored);
            }
        }
        Ok(passages)
    }

    /// The confidence that `passages` (found for `question`) answer it.
    pub fn confidence(&self, question: &str, passages: &[Passage]) -> Confidence {
        Confidence {
            similarity: passages
                .iter()
                .filter_map(|passage| passage.similarity)
                .fold(0.0, f32::max),
            coverage: self.coverage(&self.lexical.query(question).indices, passages),
        }
    }

    /// The share of `question`'s content terms ([`Lexical::content_terms`]) that `passages`
    /// hold: 0 when it has none.
    pub fn content_coverage<'p>(
        &self,
        question: &str,
        passages: impl IntoIterator<Item = &'p Passage>,
    ) -> f32 {
        self.coverage(&self.lexical.content_terms(question), passages)
    }

    fn coverage<'p>(&self, terms: &[u32], passages: impl IntoIterator<Item = &'p Passage>) -> f32 {
        if terms.is_empty() {
            return 0.0;
        }
        let mut seen: HashSet<u32> = HashSet::new();
        for passage in passages {
            seen.extend(
                self.lexical
                    .document(&passage.chunk.text, &passage.chunk.language)
                    .indices,
            );
        }
        terms.iter().filter(|term| seen.contains(term)).count() as f32 / terms.len() as f32
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

/// What a turn embeds of a chunk's text at this position, each with its role, and so what
/// ingestion stores the vectors of: the FAQ question it answers (its section's title, when
/// that asks) and its sentences, the questions among them asked as queries.
pub fn sentences_to_store(text: &str, position: &Position) -> Vec<(TextRole, String)> {
    let title = position
        .section
        .last()
        .filter(|title| is_question(title))
        .map(|title| (TextRole::Query, title.clone()));
    title
        .into_iter()
        .chain(sentences(text).into_iter().map(|sentence| {
            let role = if is_question(&sentence) {
                TextRole::Query
            } else {
                TextRole::Passage
            };
            (role, sentence)
        }))
        .collect()
}

fn stopped(error: EmbedError) -> RetrieveError {
    match error {
        EmbedError::Stopped => RetrieveError::Stopped,
        error => RetrieveError::Embed(error),
    }
}

impl Passage {
    fn from_hit(hit: Hit, score: f32) -> Self {
        Passage {
            id: hit.id,
            score,
            similarity: None,
            dense_rank: None,
            sparse_rank: None,
            chunk: hit.payload,
        }
    }
}

fn ranked(hits: Vec<Hit>, mark: impl Fn(&mut Passage, usize)) -> Vec<Passage> {
    hits.into_iter()
        .enumerate()
        .map(|(rank, hit)| {
            let score = hit.score;
            let mut passage = Passage::from_hit(hit, score);
            mark(&mut passage, rank + 1);
            passage
        })
        .collect()
}

/// Weighted reciprocal rank fusion: each list adds weight / (k + rank) for every passage in it.
fn fuse_ranks(dense: Vec<Hit>, sparse: Vec<Hit>, sparse_weight: f32) -> Vec<Passage> {
    fuse(dense, sparse, sparse_weight, |hits| {
        (1..=hits.len())
            .map(|rank| 1.0 / (RRF_K + rank as f32))
            .collect()
    })
}

/// Weighted score fusion: each list's scores are rescaled to 0..1 over its candidates (cosines
/// and BM25 scores live on different scales) and added, the lexical ones times their weight.
fn fuse_scores(dense: Vec<Hit>, sparse: Vec<Hit>, sparse_weight: f32) -> Vec<Passage> {
    fuse(dense, sparse, sparse_weight, |hits| {
        let max = hits.iter().map(|hit| hit.score).fold(f32::MIN, f32::max);
        let min = hits.iter().map(|hit| hit.score).fold(f32::MAX, f32::min);
        let span = (max - min).max(1e-6);
        hits.iter().map(|hit| (hit.score - min) / span).collect()
    })
}

/// Adds each list's contributions (what `contributions` gives for each of its hits, in order),
/// the lexical list's times `sparse_weight`, and orders the passages by the sum.
fn fuse(
    dense: Vec<Hit>,
    sparse: Vec<Hit>,
    sparse_weight: f32,
    contributions: impl Fn(&[Hit]) -> Vec<f32>,
) -> Vec<Passage> {
    let mut fused: HashMap<Uuid, Passage> = HashMap::new();
    for (list, weight, is_dense) in [(dense, 1.0f32, true), (sparse, sparse_weight, false)] {
        if weight <= 0.0 {
            continue;
        }
        let scores = contributions(&list);
        for (rank, (hit, score)) in list.into_iter().zip(scores).enumerate() {
            let similarity = hit.score;
            let passage = fused
                .entry(hit.id)
                .or_insert_with(|| Passage::from_hit(hit, 0.0));
            if is_dense {
                passage.similarity = Some(similarity);
                passage.dense_rank = Some(rank + 1);
            } else {
                passage.sparse_rank = Some(rank + 1);
            }
            passage.score += weight * score;
        }
    }
    let mut passages: Vec<Passage> = fused.into_values().collect();
    passages.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
    passages
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Position;

    fn hit(id: u128, score: f32) -> Hit {
        Hit {
            id: Uuid::from_u128(id),
            score,
            payload: ChunkPayload {
                workspace: "w".into(),
                knowledge_base: "k".into(),
                source_id: format!("s{id}"),
                source: "s".into(),
                ordinal: 0,
                position: Position::default(),
                language: "en".into(),
                text: String::new(),
                sentence_vectors: Default::default(),
            },
        }
    }

    fn order(passages: &[Passage]) -> Vec<u128> {
        passages
            .iter()
            .map(|passage| passage.id.as_u128())
            .collect()
    }

    #[test]
    fn agreement_wins_and_a_zero_weight_silences_the_lexical_list() {
        let dense = || vec![hit(1, 0.90), hit(2, 0.89), hit(3, 0.80)];
        let sparse = || vec![hit(2, 12.0), hit(4, 11.0), hit(1, 2.0)];
        for fuse in [fuse_scores, fuse_ranks] {
            assert_eq!(
                order(&fuse(dense(), sparse(), 1.0))[0],
                2,
                "found by both lists, high in both"
            );
            assert_eq!(
                order(&fuse(dense(), sparse(), 0.0)),
                [1, 2, 3],
                "the dense order alone"
            );
        }
        let fused = fuse_scores(dense(), sparse(), 1.0);
        let two = fused
            .iter()
            .find(|passage| passage.id.as_u128() == 2)
            .unwrap();
        assert_eq!((two.dense_rank, two.sparse_rank), (Some(2), Some(1)));
    }
}
