//! The retrieved passages cut into sentences, each with its terms and its vector: what the
//! extractive answerer picks from and what groundedness checks a reply against.

use std::collections::HashSet;

use knowledge::embed::{EmbedError, Embedder, cosine};
use knowledge::lexical::Lexical;

use crate::text::sentences;

/// One sentence of a retrieved passage.
#[derive(Debug, Clone)]
pub struct EvidenceSentence {
    /// Index of its passage in the retrieved list (0 is the best passage).
    pub passage: usize,
    pub text: String,
    pub language: String,
    pub terms: HashSet<u32>,
    pub vector: Vec<f32>,
}

#[derive(Debug, Clone, Default)]
pub struct Evidence {
    pub sentences: Vec<EvidenceSentence>,
    /// Every term of every passage.
    pub(crate) all_terms: HashSet<u32>,
}

/// How well the evidence supports one sentence of a reply.
#[derive(Debug, Clone, PartialEq)]
pub struct Support {
    /// The share of the sentence's terms found in the passages.
    pub coverage: f32,
    /// Its best cosine with a passage sentence.
    pub similarity: f32,
    /// The passage sentence it is closest to.
    pub closest: Option<usize>,
}

/// Term ids of a text (stemmed, stopwords dropped, Arabic normalised).
pub fn terms(lexical: &Lexical, text: &str) -> HashSet<u32> {
    lexical.query(text).indices.into_iter().collect()
}

impl Evidence {
    /// Splits `passages` (texts, best first) into sentences and embeds them.
    pub fn gather(
        embedder: &Embedder,
        lexical: &Lexical,
        passages: &[&str],
    ) -> Result<Self, EmbedError> {
        let mut found = Vec::new();
        for (passage, text) in passages.iter().enumerate() {
            for sentence in sentences(text) {
                found.push((passage, sentence));
            }
        }
        let texts: Vec<&str> = found.iter().map(|(_, text)| text.as_str()).collect();
        let vectors = embedder.embed_sentences(&texts)?;
        let mut all_terms = HashSet::new();
        let sentences = found
            .into_iter()
            .zip(vectors)
            .map(|((passage, text), vector)| {
                let terms = terms(lexical, &text);
                all_terms.extend(terms.iter().copied());
                EvidenceSentence {
                    passage,
                    language: knowledge::guess_language(&text),
                    text,
                    terms,
                    vector,
                }
            })
            .collect();
        Ok(Evidence {
            sentences,
            all_terms,
        })
    }

    /// The sentences of the given passages only; all of them when `passages` is empty.
    pub fn restricted_to(&self, passages: &[usize]) -> std::borrow::Cow<'_, Evidence> {
        if passages.is_empty() {
            return std::borrow::Cow::Borrowed(self);
        }
        let sentences: Vec<EvidenceSentence> = self
            .sentences
            .iter()
            .filter(|sentence| passages.contains(&sentence.passage))
            .cloned()
            .collect();
        let all_terms = sentences
            .iter()
            .flat_map(|sentence| sentence.terms.iter().copied())
            .collect();
        std::borrow::Cow::Owned(Evidence {
            sentences,
            all_terms,
        })
    }

    /// How well the passages support a sentence with these terms and this vector.
    pub fn support(&self, terms: &HashSet<u32>, vector: &[f32]) -> Support {
        let coverage = if terms.is_empty() {
            0.0
        } else {
            terms
                .iter()
                .filter(|term| self.all_terms.contains(term))
                .count() as f32
                / terms.len() as f32
        };
        let (closest, similarity) = self
            .sentences
            .iter()
            .enumerate()
            .map(|(index, sentence)| (index, cosine(vector, &sentence.vector)))
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map_or((None, 0.0), |(index, similarity)| (Some(index), similarity));
        Support {
            coverage,
            similarity,
            closest,
        }
    }
}
