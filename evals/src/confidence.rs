//! Calibrating the agents' confidence signal ([`Confidence`]: the best question-to-passage
//! cosine among the passages an agent retrieves, and how many of the question's terms they
//! hold). Each judged question of a BEIR set is asked twice: as it is
//! (the knowledge holds its answer) and with its relevant documents taken out of the results
//! (the knowledge does not). Removing documents from the results is the same as removing them
//! from the corpus for the dense cosines the signal is made of.

use std::collections::HashSet;

use knowledge::index::Scope;
use knowledge::retrieve::{Confidence, Passage, Retrieval, SearchOptions};
use serde::Serialize;

use crate::beir::{BeirError, BeirSet};

/// How many passages an agent reads (a medium-length reply's retrieval).
const PASSAGES: usize = 5;

#[derive(Debug, Clone, Serialize)]
pub struct Calibration {
    pub questions: usize,
    pub answerable: Distribution,
    pub unanswerable: Distribution,
    /// The chance that an answerable question scores above an unanswerable one.
    pub auc: f64,
    /// The threshold that best separates the two (highest balanced accuracy).
    pub threshold: f32,
    pub balanced_accuracy: f64,
    /// At that threshold: the share of answerable questions answered...
    pub answerable_kept: f64,
    /// ...and of unanswerable ones caught.
    pub unanswerable_caught: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Distribution {
    pub mean: f32,
    pub p10: f32,
    pub p50: f32,
    pub p90: f32,
}

/// The signal of every judged question with and without its relevant documents.
pub fn measure(
    set: &BeirSet,
    retrieval: &Retrieval,
    scope: &Scope,
) -> Result<(Vec<Confidence>, Vec<Confidence>), BeirError> {
    let mut answerable = Vec::new();
    let mut unanswerable = Vec::new();
    for (query_id, text) in &set.queries {
        let relevant: HashSet<&str> = set.qrels[query_id]
            .iter()
            .filter(|(_, grade)| **grade > 0)
            .map(|(id, _)| id.as_str())
            .collect();
        if relevant.is_empty() {
            continue;
        }
        let options = SearchOptions {
            limit: PASSAGES + relevant.len(),
            ..SearchOptions::default()
        };
        let passages = retrieval.search(scope, text, &options)?;
        let signal = |keep: &dyn Fn(&str) -> bool| {
            let kept: Vec<Passage> = passages
                .iter()
                .filter(|passage| keep(&passage.chunk.source_id))
                .take(PASSAGES)
                .cloned()
                .collect();
            retrieval.confidence(text, &kept)
        };
        answerable.push(signal(&|_| true));
        unanswerable.push(signal(&|id| !relevant.contains(id)));
    }
    Ok((answerable, unanswerable))
}

/// The signal of questions asked of a corpus that has nothing on them (another set's
/// questions): off-topic messages, the easy case a gate must catch.
pub fn measure_off_topic(
    questions: &[(String, String)],
    retrieval: &Retrieval,
    scope: &Scope,
) -> Result<Vec<Confidence>, BeirError> {
    let options = SearchOptions {
        limit: PASSAGES,
        ..SearchOptions::default()
    };
    questions
        .iter()
        .map(|(_, text)| {
            let passages = retrieval.search(scope, text, &options)?;
            Ok(retrieval.confidence(text, &passages))
        })
        .collect()
}

/// At `threshold`: the share of answerable questions answered and of the others caught.
pub fn rates_at(threshold: f32, answerable: &[f32], unanswerable: &[f32]) -> (f64, f64) {
    let share = |sample: &[f32], keep: &dyn Fn(f32) -> bool| {
        sample.iter().filter(|value| keep(**value)).count() as f64 / sample.len().max(1) as f64
    };
    (
        share(answerable, &|value| value >= threshold),
        share(unanswerable, &|value| value < threshold),
    )
}

/// Summarises two samples of the signal and finds the threshold that separates them best.
pub fn calibrate(answerable: &[f32], unanswerable: &[f32]) -> Calibration {
    let mut candidates: Vec<f32> = answerable.iter().chain(unanswerable).copied().collect();
    candidates.sort_by(f32::total_cmp);
    candidates.dedup();
    let mut best = (0.0f32, -1.0f64, 0.0f64, 0.0f64);
    for &threshold in &candidates {
        let (kept, caught) = rates_at(threshold, answerable, unanswerable);
        let balanced = (kept + caught) / 2.0;
        if balanced > best.1 {
            best = (threshold, balanced, kept, caught);
        }
    }
    let above: f64 = answerable
        .iter()
        .map(|a| {
            unanswerable
                .iter()
                .map(|u| match a.total_cmp(u) {
                    std::cmp::Ordering::Greater => 1.0,
                    std::cmp::Ordering::Equal => 0.5,
                    std::cmp::Ordering::Less => 0.0,
                })
                .sum::<f64>()
        })
        .sum();
    let pairs = (answerable.len() * unanswerable.len()).max(1) as f64;
    Calibration {
        questions: answerable.len(),
        answerable: distribution(answerable),
        unanswerable: distribution(unanswerable),
        auc: above / pairs,
        threshold: best.0,
        balanced_accuracy: best.1.max(0.0),
        answerable_kept: best.2,
        unanswerable_caught: best.3,
    }
}

fn distribution(sample: &[f32]) -> Distribution {
    let mut sorted = sample.to_vec();
    sorted.sort_by(f32::total_cmp);
    let at = |quantile: f64| {
        if sorted.is_empty() {
            return 0.0;
        }
        sorted[((sorted.len() - 1) as f64 * quantile).round() as usize]
    };
    Distribution {
        mean: sample.iter().sum::<f32>() / sample.len().max(1) as f32,
        p10: at(0.1),
        p50: at(0.5),
        p90: at(0.9),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separable_samples_give_a_threshold_between_them() {
        let calibration = calibrate(&[0.90, 0.88, 0.86, 0.87], &[0.80, 0.82, 0.79, 0.81]);
        assert_eq!(calibration.auc, 1.0);
        assert_eq!(calibration.threshold, 0.86);
        assert_eq!(calibration.balanced_accuracy, 1.0);
        assert_eq!(calibration.answerable.p50, 0.88);
    }

    #[test]
    fn overlapping_samples_give_their_rank_statistic() {
        let calibration = calibrate(&[0.85, 0.80], &[0.82, 0.78]);
        assert_eq!(calibration.auc, 0.75);
        assert_eq!(calibration.threshold, 0.80, "the first of the tied best");
        assert_eq!(calibration.answerable_kept, 1.0);
        assert_eq!(calibration.unanswerable_caught, 0.5);
    }
}
