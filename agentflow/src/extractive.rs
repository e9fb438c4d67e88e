//! The built-in answerer for agents without a language model: it replies with the retrieved
//! sentences that best answer the question, verbatim and cited, and writes nothing of its own.

use std::collections::HashSet;

use knowledge::embed::cosine;

use crate::evidence::Evidence;
use crate::text::Language;

/// How far below the best sentence another may score and still be added to the reply.
const ADDED_SENTENCE_MARGIN: f32 = 0.03;

/// A sentence the answerer chose, with why.
#[derive(Debug, Clone, PartialEq)]
pub struct Pick {
    /// Index into the evidence's sentences.
    pub sentence: usize,
    pub score: f32,
}

/// Chooses up to `most` sentences that answer the question, best first.
///
/// A sentence scores by its cosine with the question, plus the share of the question's terms
/// it holds, plus a little for being in the question's language and for coming from a
/// higher-ranked passage. Questions (FAQ headings) and fragments are never picked.
pub fn choose(
    evidence: &Evidence,
    question_vector: &[f32],
    question_terms: &HashSet<u32>,
    question_language: Language,
    most: usize,
) -> Vec<Pick> {
    let mut scored: Vec<Pick> = evidence
        .sentences
        .iter()
        .enumerate()
        .filter(|(_, sentence)| is_statement(&sentence.text))
        .map(|(index, sentence)| {
            let shared = question_terms.intersection(&sentence.terms).count();
            let coverage = if question_terms.is_empty() {
                0.0
            } else {
                shared as f32 / question_terms.len() as f32
            };
            let same_language = (sentence.language == question_language.code()) as u8 as f32;
            let score =
                cosine(question_vector, &sentence.vector) + 0.1 * coverage + 0.02 * same_language
                    - 0.005 * sentence.passage as f32;
            Pick {
                sentence: index,
                score,
            }
        })
        .collect();
    scored.sort_by(|a, b| b.score.total_cmp(&a.score));
    let Some(best) = scored.first().map(|pick| pick.score) else {
        return Vec::new();
    };
    let mut chosen: Vec<Pick> = Vec::new();
    let mut texts: HashSet<&str> = HashSet::new();
    for pick in scored {
        if chosen.len() == most || pick.score < best - ADDED_SENTENCE_MARGIN {
            break;
        }
        if texts.insert(evidence.sentences[pick.sentence].text.as_str()) {
            chosen.push(pick);
        }
    }
    chosen
}

fn is_statement(sentence: &str) -> bool {
    let trimmed = sentence.trim_end();
    let words = trimmed.split_whitespace().count();
    words >= 2 && !trimmed.ends_with('?') && !trimmed.ends_with('؟')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::EvidenceSentence;

    fn sentence(
        passage: usize,
        text: &str,
        language: &str,
        vector: [f32; 2],
        terms: &[u32],
    ) -> EvidenceSentence {
        EvidenceSentence {
            passage,
            text: text.into(),
            language: language.into(),
            terms: terms.iter().copied().collect(),
            vector: vector.to_vec(),
        }
    }

    #[test]
    fn the_closest_statements_are_chosen_never_questions() {
        let evidence = Evidence {
            sentences: vec![
                sentence(0, "How long does delivery take?", "en", [1.0, 0.0], &[1, 2]),
                sentence(0, "Delivery takes two days.", "en", [0.95, 0.05], &[1, 2]),
                sentence(1, "يستغرق التوصيل يومين.", "ar", [0.94, 0.06], &[7]),
                sentence(1, "We were founded in 2012.", "en", [0.1, 0.9], &[5]),
            ],
            ..Evidence::default()
        };
        let terms: HashSet<u32> = [1, 2].into();
        let picks = choose(&evidence, &[1.0, 0.0], &terms, Language::En, 2);
        let chosen: Vec<usize> = picks.iter().map(|pick| pick.sentence).collect();
        assert_eq!(
            chosen,
            [1],
            "the Arabic one is too far below once terms count"
        );
        let picks = choose(&evidence, &[1.0, 0.0], &HashSet::new(), Language::Ar, 1);
        assert_eq!(
            picks[0].sentence, 2,
            "the question's language wins a near tie"
        );
        assert!(choose(&Evidence::default(), &[1.0, 0.0], &terms, Language::En, 2).is_empty());
    }
}
