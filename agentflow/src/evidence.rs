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

/// The sentences of a passage, each with whether it is a title it sits under (a web page's or
/// a document's heading, an FAQ's section or question) that its text opens with. A title line
/// has no full stop: where the passage reads as hard-wrapped, the sentence after it is read
/// into it, and is split from it here.
fn titled_sentences(text: &str, titles: &[String]) -> Vec<(LinedSentence, bool)> {
    let mut leading = Vec::new();
    for line in text
        .lines()
        .map(str::trim)
        .skip_while(|line| line.is_empty())
    {
        if line.is_empty() || !titles.iter().any(|title| title.trim() == line) {
            break;
        }
        leading.push(line);
    }
    let mut leading = leading.into_iter().peekable();
    let mut found = Vec::new();
    for mut sentence in lined_sentences(text) {
        while let Some(&title) = leading.peek() {
            let rest = sentence.text.strip_prefix(title);
            let Some(rest) = rest.filter(|rest| rest.is_empty() || rest.starts_with(' ')) else {
                break;
            };
            let rest = rest.trim_start();
            leading.next();
            let title = LinedSentence {
                text: title.to_string(),
                opens_line: true,
            };
            found.push((title, true));
            sentence.text = rest.to_string();
        }
        if !sentence.text.is_empty() {
            found.push((sentence, false));
        }
    }
    found
}

/// Term ids of a text (stemmed, stopwords dropped, Arabic normalised).
pub fn terms(lexical: &Lexical, text: &str) -> HashSet<u32> {
    lexical.query(text).indices.into_iter().collect()
}

impl Evidence {
    /// Splits `passages` (texts, best first) into sentences and embeds them. `sections`, where
    /// given, is the heading path each passage sits under: the lines of a passage's text that
    /// repeat one of its titles are sentences of their own, marked as titles.
    pub fn gather(
        embedder: &Embedder,
        lexical: &Lexical,
        passages: &[&str],
        sections: &[&[String]],
    ) -> Result<Self, EmbedError> {
        let mut found = Vec::new();
        let mut titles = HashSet::new();
        for (passage, text) in passages.iter().enumerate() {
            let sections = sections.get(passage).copied().unwrap_or_default();
            for (sentence, title) in titled_sentences(text, sections) {
                if title {
                    titles.insert(found.len());
                }
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
            .enumerate()
            .map(
                |(index, ((passage, LinedSentence { text, opens_line }), vector))| {
                    let terms = terms(lexical, &text);
                    all_terms.extend(terms.iter().copied());
                    EvidenceSentence {
                        passage,
                        question: is_question(&text),
                        opens_line,
                        title: titles.contains(&index),
                        language: knowledge::guess_language(&text),
                        text,
                        terms,
                        vector,
                    }
                },
            )
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

#[cfg(test)]
mod tests {
    use super::*;

    fn titled(text: &str, titles: &[String]) -> Vec<(String, bool)> {
        titled_sentences(text, titles)
            .into_iter()
            .map(|(sentence, title)| (sentence.text, title))
            .collect()
    }

    #[test]
    fn a_passage_opens_with_the_titles_it_sits_under() {
        let section = ["الوكلاء الذكاء الاصطناعي والأتمتة الذكية".to_string()];
        let blurb = "الوكلاء الذكاء الاصطناعي والأتمتة الذكية\nتعرف على ميزات الذكاء الاصطناعي مثل وكلاء الذكاء الاصطناعي، الرد الذكي، ومساعد الكتابة";
        let sentences = titled(blurb, &section);
        assert_eq!(sentences.len(), 2, "{sentences:?}");
        assert_eq!(sentences[0], (section[0].clone(), true));
        assert!(sentences[1].0.starts_with("تعرف على") && !sentences[1].1);

        let path = [
            "Monitoring".to_string(),
            "The Four Golden Signals".to_string(),
        ];
        let sentences = titled(
            "Monitoring\n The Four Golden Signals\nLatency, traffic, errors, saturation.",
            &path,
        );
        let flags: Vec<bool> = sentences.iter().map(|(_, title)| *title).collect();
        assert_eq!(flags, [true, true, false], "{sentences:?}");
        assert_eq!(titled("Monitoring", &path), [("Monitoring".into(), true)]);

        let prose = "Monitoring matters.\nMonitoring\nMore.";
        assert!(
            titled(prose, &path).iter().all(|(_, title)| !title),
            "only the lines it opens with"
        );
        assert!(titled(prose, &[]).iter().all(|(_, title)| !title));
    }
}
