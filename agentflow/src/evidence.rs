//! The retrieved passages cut into sentences, each with its terms and its vector: what the
//! extractive answerer picks from and what groundedness checks a reply against.

use std::collections::HashSet;

use knowledge::embed::{EmbedError, Embedder, TextRole, cosine};
use knowledge::lexical::Lexical;
use knowledge::sentences::{LinedSentence, is_question, lined_sentences};

/// One sentence of a retrieved passage.
#[derive(Debug, Clone)]
pub struct EvidenceSentence {
    /// Index of its passage in the retrieved list (0 is the best passage).
    pub passage: usize,
    pub text: String,
    /// A question of the knowledge (an FAQ entry's): embedded as a query, never quoted.
    pub question: bool,
    /// It opens a line of its passage: a reply says it on a new line.
    pub opens_line: bool,
    /// A line that titles its passage (a heading of the document the passage sits under, as
    /// the text of a web page or a document carries it): never quoted as an answer.
    pub title: bool,
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
            for sentence in lined_sentences(text) {
                found.push((passage, sentence));
            }
        }
        let (questions, statements): (Vec<usize>, Vec<usize>) =
            (0..found.len()).partition(|&index| is_question(&found[index].1.text));
        let mut vectors: Vec<Vec<f32>> = vec![Vec::new(); found.len()];
        for (indices, role) in [
            (&questions, TextRole::Query),
            (&statements, TextRole::Passage),
        ] {
            let texts: Vec<&str> = indices.iter().map(|&i| found[i].1.text.as_str()).collect();
            for (&index, vector) in indices.iter().zip(embedder.embed_sentences(&texts, role)?) {
                vectors[index] = vector;
            }
        }
        let mut all_terms = HashSet::new();
        let sentences = found
            .into_iter()
            .zip(vectors)
            .map(|((passage, LinedSentence { text, opens_line }), vector)| {
                let terms = terms(lexical, &text);
                all_terms.extend(terms.iter().copied());
                EvidenceSentence {
                    passage,
                    question: is_question(&text),
                    opens_line,
                    title: false,
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

    /// Marks the lines that title their passage: `sections[passage]` is the heading path the
    /// passage sits under, whose titles its text repeats as lines of their own.
    pub fn mark_titles(&mut self, sections: &[&[String]]) {
        for sentence in &mut self.sentences {
            let titles = sections.get(sentence.passage).copied().unwrap_or_default();
            let text = sentence.text.trim();
            sentence.title = sentence.opens_line && titles.iter().any(|title| title.trim() == text);
        }
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

    /// The best cosine of `vector` with a statement (not a question) of passage `passage`.
    pub fn closest_statement(&self, passage: usize, vector: &[f32]) -> Option<f32> {
        self.sentences
            .iter()
            .filter(|sentence| sentence.passage == passage && !sentence.question)
            .map(|sentence| cosine(vector, &sentence.vector))
            .reduce(f32::max)
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
