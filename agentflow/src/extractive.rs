//! The built-in answerer for agents without a language model: it replies with the retrieved
//! sentences that best answer the question, verbatim and cited, and writes nothing of its own.
//!
//! Knowledge written as questions and answers (an FAQ) says outright which sentences answer
//! what: when the customer's question matches one of its questions, the reply is that entry's
//! answer, in order, and never a neighbouring entry's sentence that happens to share words.

use std::collections::HashSet;

use knowledge::embed::cosine;

use crate::evidence::{Evidence, is_question};
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

/// The customer's question, as the answerer compares sentences with it.
#[derive(Debug, Clone, Copy)]
pub struct Asked<'a> {
    pub vector: &'a [f32],
    pub terms: &'a HashSet<u32>,
    pub language: Language,
}

impl Asked<'_> {
    /// How well a sentence answers: its cosine with the question, plus the share of the
    /// question's terms it holds, plus a little for being in the question's language and for
    /// coming from a higher-ranked passage.
    fn relevance(&self, sentence: &crate::evidence::EvidenceSentence) -> f32 {
        let shared = self.terms.intersection(&sentence.terms).count();
        let coverage = if self.terms.is_empty() {
            0.0
        } else {
            shared as f32 / self.terms.len() as f32
        };
        let same_language = (sentence.language == self.language.code()) as u8 as f32;
        cosine(self.vector, &sentence.vector) + 0.1 * coverage + 0.02 * same_language
            - 0.005 * sentence.passage as f32
    }
}

/// The knowledge's question (an FAQ entry's) that the customer's asks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MatchedQuestion {
    /// Index into the evidence's sentences.
    pub sentence: usize,
    /// Cosine of the two questions (both embedded as queries).
    pub similarity: f32,
    /// What the entry was chosen by: the questions' cosine plus how close the customer's
    /// question is to the entry's passage as a whole.
    pub score: f32,
}

/// The entry of the evidence that the customer's question asks, if the evidence holds any
/// question with an answer after it. `passage_similarity[i]` is the question's cosine with
/// passage `i` as retrieval found it: a question worded like another entry's but asking about
/// this entry's content goes to this one.
pub fn matched_question(
    evidence: &Evidence,
    question_vector: &[f32],
    passage_similarity: &[f32],
) -> Option<MatchedQuestion> {
    evidence
        .sentences
        .iter()
        .enumerate()
        .filter(|(index, sentence)| sentence.question && !entry(evidence, *index).is_empty())
        .map(|(index, sentence)| {
            let similarity = cosine(question_vector, &sentence.vector);
            let passage = passage_similarity
                .get(sentence.passage)
                .copied()
                .unwrap_or(0.0);
            MatchedQuestion {
                sentence: index,
                similarity,
                score: similarity + passage,
            }
        })
        .max_by(|a, b| a.score.total_cmp(&b.score))
}

/// The statements that answer the evidence's question at `question`: those after it in its
/// passage, up to the next question.
fn entry(evidence: &Evidence, question: usize) -> Vec<usize> {
    let passage = evidence.sentences[question].passage;
    evidence.sentences[question + 1..]
        .iter()
        .enumerate()
        .take_while(|(_, sentence)| sentence.passage == passage && !sentence.question)
        .filter(|(_, sentence)| !is_heading(&sentence.text))
        .map(|(offset, _)| question + 1 + offset)
        .collect()
}

/// The answer an FAQ entry gives, within about `budget` characters, in the entry's order:
/// its opening statement (the direct answer), what follows a lead-in ending in a colon, and
/// then its sentences that answer the question best, so that a long entry still answers the
/// part that was asked.
pub fn answer_of(
    evidence: &Evidence,
    question: usize,
    asked: Asked<'_>,
    budget: usize,
) -> Vec<Pick> {
    let sentences = entry(evidence, question);
    let Some(&opening) = sentences.first() else {
        return Vec::new();
    };
    let length = |index: usize| evidence.sentences[index].text.chars().count();
    let mut chosen = vec![opening];
    let mut used = length(opening);
    if evidence.sentences[opening].text.trim_end().ends_with(':')
        && let Some(&next) = sentences.get(1)
    {
        chosen.push(next);
        used += length(next);
    }
    let mut ranked: Vec<(usize, f32)> = sentences
        .iter()
        .map(|&index| (index, asked.relevance(&evidence.sentences[index])))
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    for (rank, (index, _)) in ranked.into_iter().enumerate() {
        if chosen.contains(&index) {
            continue;
        }
        // The best sentence of the entry is always said; the rest as the budget allows.
        if rank > 0 && used + length(index) > budget {
            continue;
        }
        used += length(index);
        chosen.push(index);
    }
    chosen.sort_unstable();
    chosen
        .into_iter()
        .map(|sentence| Pick {
            sentence,
            score: 1.0,
        })
        .collect()
}

/// Chooses up to `most` sentences that answer the question, best first, by their
/// [relevance](Asked::relevance). Questions (FAQ headings) and fragments are never picked.
pub fn choose(evidence: &Evidence, asked: Asked<'_>, most: usize) -> Vec<Pick> {
    let mut scored: Vec<Pick> = evidence
        .sentences
        .iter()
        .enumerate()
        .filter(|(_, sentence)| is_statement(&sentence.text))
        .map(|(index, sentence)| Pick {
            sentence: index,
            score: asked.relevance(sentence),
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

/// A whole sentence that states something: not a question, a fragment, a heading or a lead-in
/// to a list ("How it works:").
fn is_statement(sentence: &str) -> bool {
    let trimmed = sentence.trim_end();
    let words = trimmed.split_whitespace().count();
    words >= 2 && !is_question(trimmed) && !is_heading(trimmed) && !trimmed.ends_with(':')
}

fn is_heading(sentence: &str) -> bool {
    sentence.trim_start().starts_with('#')
}

/// A knowledge sentence as a customer reads it: without Markdown's heading marks, list
/// markers, emphasis and table pipes.
pub fn readable(sentence: &str) -> String {
    let text = sentence.trim().trim_start_matches(['#', '>']).trim_start();
    let text = text
        .strip_prefix(['-', '*', '•', '+'])
        .map_or(text, str::trim_start);
    let text = text.replace("**", "").replace("__", "");
    let cells: Vec<&str> = text
        .split('|')
        .map(str::trim)
        .filter(|cell| !cell.is_empty())
        .collect();
    cells.join(", ")
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
            question: is_question(text),
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
        let none = HashSet::new();
        let asked = |terms, language| Asked {
            vector: &[1.0, 0.0],
            terms,
            language,
        };
        let picks = choose(&evidence, asked(&terms, Language::En), 2);
        let chosen: Vec<usize> = picks.iter().map(|pick| pick.sentence).collect();
        assert_eq!(
            chosen,
            [1],
            "the Arabic one is too far below once terms count"
        );
        let picks = choose(&evidence, asked(&none, Language::Ar), 1);
        assert_eq!(
            picks[0].sentence, 2,
            "the question's language wins a near tie"
        );
        assert!(choose(&Evidence::default(), asked(&terms, Language::En), 2).is_empty());
    }

    #[test]
    fn a_matched_entry_answers_with_its_own_sentences_in_order() {
        let evidence = Evidence {
            sentences: vec![
                sentence(0, "Do you ship abroad?", "en", [1.0, 0.0], &[1, 2]),
                sentence(0, "Some places:", "en", [0.2, 0.8], &[]),
                sentence(0, "- Bahrain: yes", "en", [0.3, 0.7], &[5]),
                sentence(0, "- Qatar: yes", "en", [0.3, 0.7], &[6]),
                sentence(0, "- Oman: from next year", "en", [0.7, 0.3], &[1, 3]),
                sentence(
                    0,
                    "How much is shipping to Oman?",
                    "en",
                    [0.9, 0.1],
                    &[1, 3],
                ),
                sentence(
                    0,
                    "Shipping to Oman costs 40 AED.",
                    "en",
                    [0.95, 0.05],
                    &[1, 3],
                ),
                sentence(1, "Where is your shop?", "en", [0.95, 0.05], &[9]),
                sentence(1, "In Dubai.", "en", [0.1, 0.9], &[9]),
            ],
            ..Evidence::default()
        };
        let terms: HashSet<u32> = [1, 3].into();
        let asked = Asked {
            vector: &[1.0, 0.0],
            terms: &terms,
            language: Language::En,
        };
        // The second passage's question is as close, but its passage is far from the question.
        let matched = matched_question(&evidence, &[1.0, 0.0], &[0.9, 0.1]).unwrap();
        assert_eq!(matched.sentence, 0);
        let answer: Vec<usize> = answer_of(&evidence, matched.sentence, asked, 40)
            .iter()
            .map(|pick| pick.sentence)
            .collect();
        assert_eq!(
            answer,
            [1, 2, 4],
            "the lead-in, what follows it and the part asked about; not the next entry's sentence"
        );
    }

    #[test]
    fn replies_carry_no_markdown() {
        assert_eq!(readable("## Delivery"), "Delivery");
        assert_eq!(readable("- **Free** over 150 AED"), "Free over 150 AED");
        assert_eq!(
            readable("| WhatsApp | Business messaging | 24 hours |"),
            "WhatsApp, Business messaging, 24 hours"
        );
        assert_eq!(readable("• ميزة رئيسية"), "ميزة رئيسية");
    }
}
