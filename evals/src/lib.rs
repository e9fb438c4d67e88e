//! Evaluation: how well retrieval and agents do on sets with known answers.
//!
//! [`beir`] runs a BEIR-layout retrieval set (corpus, queries, relevance judgments) through
//! ingestion and retrieval and reports nDCG@10, Recall@100 and MRR@10 per search mode.
//! [`confidence`] calibrates the agents' retrieval-confidence signal on the same sets. Eval
//! suites for agents come with the evals issue.

pub mod beir;
pub mod confidence;
