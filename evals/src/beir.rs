//! BEIR-layout retrieval sets: `corpus.jsonl`, `queries.jsonl` and `qrels/test.tsv`.

use std::collections::HashMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};

use knowledge::index::Scope;
use knowledge::retrieve::{Fusion, Mode, Retrieval, SearchOptions};
use knowledge::{Chunk, Position, guess_language};
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum BeirError {
    #[error("{path}: {reason}")]
    File { path: PathBuf, reason: String },
    #[error(transparent)]
    Retrieve(#[from] knowledge::retrieve::RetrieveError),
}

pub struct BeirSet {
    pub name: String,
    /// The corpus's own name: sets that share a corpus share its index.
    pub corpus_name: String,
    /// (document id, title and text)
    pub corpus: Vec<(String, String)>,
    /// (query id, text), only the queries that have judgments
    pub queries: Vec<(String, String)>,
    /// query id -> document id -> relevance grade
    pub qrels: HashMap<String, HashMap<String, u32>>,
}

fn file_error(path: &Path, reason: impl std::fmt::Display) -> BeirError {
    BeirError::File {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    }
}

fn json_lines(path: &Path) -> Result<Vec<serde_json::Value>, BeirError> {
    let file = std::fs::File::open(path).map_err(|error| file_error(path, error))?;
    std::io::BufReader::new(file)
        .lines()
        .enumerate()
        .filter(|(_, line)| line.as_ref().map_or(true, |line| !line.trim().is_empty()))
        .map(|(number, line)| {
            let line = line.map_err(|error| file_error(path, error))?;
            serde_json::from_str(&line)
                .map_err(|error| file_error(path, format!("line {}: {error}", number + 1)))
        })
        .collect()
}

fn field(record: &serde_json::Value, name: &str) -> String {
    match &record[name] {
        serde_json::Value::String(text) => text.clone(),
        serde_json::Value::Number(number) => number.to_string(),
        _ => String::new(),
    }
}

impl BeirSet {
    /// Loads a set; `corpus` replaces `dir/corpus.jsonl` (question sets over another set's corpus).
    pub fn load(dir: &Path, corpus: Option<&Path>) -> Result<Self, BeirError> {
        let corpus_path = corpus.map_or_else(|| dir.join("corpus.jsonl"), Path::to_path_buf);
        let qrels_path = dir.join("qrels/test.tsv");
        let text =
            std::fs::read_to_string(&qrels_path).map_err(|error| file_error(&qrels_path, error))?;
        let mut qrels: HashMap<String, HashMap<String, u32>> = HashMap::new();
        for (number, line) in text.lines().enumerate() {
            let fields: Vec<&str> = line.split('\t').collect();
            if number == 0 && fields.first() == Some(&"query-id") {
                continue;
            }
            let [query, document, grade] = fields[..] else {
                return Err(file_error(
                    &qrels_path,
                    format!("line {}: expected query-id, corpus-id, score", number + 1),
                ));
            };
            let grade: u32 = grade.trim().parse().map_err(|_| {
                file_error(&qrels_path, format!("line {}: score {grade:?}", number + 1))
            })?;
            if grade > 0 {
                qrels
                    .entry(query.to_string())
                    .or_default()
                    .insert(document.to_string(), grade);
            }
        }
        let corpus = json_lines(&corpus_path)?
            .iter()
            .map(|record| {
                let (title, text) = (field(record, "title"), field(record, "text"));
                (
                    field(record, "_id"),
                    if title.is_empty() {
                        text
                    } else {
                        format!("{title}\n{text}")
                    },
                )
            })
            .collect();
        let queries = json_lines(&dir.join("queries.jsonl"))?
            .iter()
            .map(|record| (field(record, "_id"), field(record, "text")))
            .filter(|(id, _)| qrels.contains_key(id))
            .collect();
        let folder_name = |path: &Path| {
            path.file_name().map_or_else(
                || path.display().to_string(),
                |name| name.to_string_lossy().into_owned(),
            )
        };
        let name = folder_name(dir);
        let corpus_name = corpus_path
            .parent()
            .map_or_else(|| name.clone(), folder_name);
        Ok(BeirSet {
            name,
            corpus_name,
            corpus,
            queries,
            qrels,
        })
    }

    /// One chunk per document, with ids derived from the document ids.
    pub fn chunks(&self) -> Vec<Chunk> {
        const NAMESPACE: uuid::Uuid =
            uuid::Uuid::from_u128(0x7be1_a0c3_5d2e_4f81_9b6a_c4d2_e8f0_1a35);
        self.corpus
            .iter()
            .map(|(id, text)| Chunk {
                id: uuid::Uuid::new_v5(&NAMESPACE, id.as_bytes()),
                source_id: id.clone(),
                ordinal: 0,
                text: text.clone(),
                position: Position::default(),
                language: guess_language(text),
            })
            .collect()
    }

    /// Indexes the corpus into `scope` unless it already holds exactly the corpus.
    pub fn ensure_indexed(
        &self,
        retrieval: &Retrieval,
        scope: &Scope,
        progress: &mut dyn FnMut(usize),
    ) -> Result<bool, BeirError> {
        if retrieval
            .index()
            .count(scope, None)
            .map_err(knowledge::retrieve::RetrieveError::from)?
            == self.corpus.len()
        {
            return Ok(false);
        }
        let chunks = self.chunks();
        let named: Vec<(&str, &Chunk)> = chunks
            .iter()
            .map(|chunk| (chunk.source_id.as_str(), chunk))
            .collect();
        retrieval.index_bulk(scope, &named, progress)?;
        Ok(true)
    }
}

#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Scores {
    #[serde(rename = "ndcg@10")]
    pub ndcg_at_10: f64,
    #[serde(rename = "recall@100")]
    pub recall_at_100: f64,
    #[serde(rename = "mrr@10")]
    pub mrr_at_10: f64,
}

/// nDCG@10, Recall@100 and MRR@10 of one ranking against one query's judgments.
pub fn score(ranking: &[String], relevant: &HashMap<String, u32>) -> Scores {
    let gain = |grade: u32| 2f64.powi(grade as i32) - 1.0;
    let dcg: f64 = ranking
        .iter()
        .take(10)
        .enumerate()
        .map(|(rank, id)| {
            relevant
                .get(id)
                .map_or(0.0, |&grade| gain(grade) / (rank as f64 + 2.0).log2())
        })
        .sum();
    let mut ideal: Vec<u32> = relevant.values().copied().collect();
    ideal.sort_unstable_by(|a, b| b.cmp(a));
    let idcg: f64 = ideal
        .iter()
        .take(10)
        .enumerate()
        .map(|(rank, &grade)| gain(grade) / (rank as f64 + 2.0).log2())
        .sum();
    let found = ranking
        .iter()
        .take(100)
        .filter(|id| relevant.contains_key(*id))
        .count();
    let first = ranking
        .iter()
        .take(10)
        .position(|id| relevant.contains_key(id));
    Scores {
        ndcg_at_10: if idcg > 0.0 { dcg / idcg } else { 0.0 },
        recall_at_100: found as f64 / relevant.len().max(1) as f64,
        mrr_at_10: first.map_or(0.0, |rank| 1.0 / (rank as f64 + 1.0)),
    }
}

/// Runs every judged query in `mode` (hybrid fusing by `fusion`) and averages the scores.
pub fn evaluate(
    set: &BeirSet,
    retrieval: &Retrieval,
    scope: &Scope,
    mode: Mode,
    fusion: Fusion,
) -> Result<Scores, BeirError> {
    let options = SearchOptions {
        mode,
        fusion,
        limit: 100,
        score_threshold: None,
        candidates: 100,
    };
    let mut total = Scores::default();
    for (query_id, text) in &set.queries {
        let passages = retrieval.search(scope, text, &options)?;
        let mut ranking: Vec<String> = Vec::with_capacity(passages.len());
        for passage in passages {
            if !ranking.contains(&passage.chunk.source_id) {
                ranking.push(passage.chunk.source_id);
            }
        }
        let scores = score(&ranking, &set.qrels[query_id]);
        total.ndcg_at_10 += scores.ndcg_at_10;
        total.recall_at_100 += scores.recall_at_100;
        total.mrr_at_10 += scores.mrr_at_10;
    }
    let count = set.queries.len().max(1) as f64;
    Ok(Scores {
        ndcg_at_10: total.ndcg_at_10 / count,
        recall_at_100: total.recall_at_100 / count,
        mrr_at_10: total.mrr_at_10 / count,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_match_hand_computation() {
        let relevant = HashMap::from([("a".to_string(), 1), ("b".to_string(), 2)]);
        let ranking: Vec<String> = ["x", "b", "y", "a"]
            .iter()
            .map(|id| id.to_string())
            .collect();
        let scores = score(&ranking, &relevant);
        let dcg = 3.0 / 3f64.log2() + 1.0 / 5f64.log2();
        let idcg = 3.0 + 1.0 / 3f64.log2();
        assert!((scores.ndcg_at_10 - dcg / idcg).abs() < 1e-12);
        assert_eq!(scores.recall_at_100, 1.0);
        assert_eq!(scores.mrr_at_10, 0.5);
        let nothing = score(&["z".to_string()], &relevant);
        assert_eq!(
            (nothing.ndcg_at_10, nothing.recall_at_100, nothing.mrr_at_10),
            (0.0, 0.0, 0.0)
        );
    }

    #[test]
    fn loads_a_beir_folder() {
        let dir = std::env::temp_dir().join(format!("beir-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("qrels")).unwrap();
        std::fs::write(dir.join("corpus.jsonl"), "{\"_id\": \"d1\", \"title\": \"T\", \"text\": \"body\"}\n{\"_id\": 2, \"text\": \"two\"}\n").unwrap();
        std::fs::write(
            dir.join("queries.jsonl"),
            "{\"_id\": \"q1\", \"text\": \"what\"}\n{\"_id\": \"q2\", \"text\": \"unjudged\"}\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("qrels/test.tsv"),
            "query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\t2\t0\n",
        )
        .unwrap();
        let set = BeirSet::load(&dir, None).unwrap();
        assert_eq!(
            set.corpus,
            [
                ("d1".to_string(), "T\nbody".to_string()),
                ("2".to_string(), "two".to_string())
            ]
        );
        assert_eq!(set.queries, [("q1".to_string(), "what".to_string())]);
        assert_eq!(set.qrels["q1"].len(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
