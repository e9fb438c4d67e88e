//! Evaluation: how well retrieval and agents do on sets with known answers.
//!
//! [`beir`] runs a BEIR-layout retrieval set (corpus, queries, relevance judgments) through
//! ingestion and retrieval and reports nDCG@10, Recall@100 and MRR@10 per search mode.
//! [`confidence`] calibrates the agents' retrieval-confidence signal on the same sets.
//! [`suite`] reads eval suites (hand-written YAML, or built from thumbs up and down),
//! [`check`] judges one turn against its case, [`run`] runs a suite through an agent and
//! computes the metrics, and [`report`] renders a run (table, JUnit, HTML), compares two runs
//! and applies the thresholds that gate a deploy.

pub mod beir;
pub mod check;
pub mod confidence;
pub mod report;
pub mod run;
pub mod suite;
