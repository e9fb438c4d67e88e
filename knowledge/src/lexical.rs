//! Lexical (BM25) sparse vectors, computed here the same way for every index backend.
//!
//! qdrant-edge's BM25 supplies the tokenizer, stopwords and Snowball stemming; each text is
//! analysed as Arabic or English by its language. Arabic is normalised first, because the same
//! word is written many ways: diacritics and tatweel go, alef forms become bare alef, alef
//! maqsura becomes yaa, taa marbuta becomes haa.

use std::collections::HashSet;

use qdrant_edge::bm25_embed::{EdgeBm25, EdgeBm25Config};

use crate::lang::guess_language;

/// A sparse vector: term ids and their weights. The index applies IDF.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SparseVector {
    pub indices: Vec<u32>,
    pub values: Vec<f32>,
}

pub struct Lexical {
    english: EdgeBm25,
    arabic: EdgeBm25,
    /// The terms of [`NORMALISED_ARABIC_FUNCTION_WORDS`].
    function_words: HashSet<u32>,
}

/// Arabic function words as [`normalise_arabic`] spells them, where that differs from how the
/// analyser's stopword list writes them ("إلى" is "الي", "على" is "علي", "أو" is "او"), so they
/// reach the vectors as terms. They stay there: the lexical list's weight, chosen on ARCD,
/// counts them (docs/calibration.md). What counts a question's words leaves them out
/// ([`Lexical::content_terms`]).
const NORMALISED_ARABIC_FUNCTION_WORDS: [&str; 30] = [
    "الي",
    "علي",
    "حتي",
    "متي",
    "لدي",
    "سوي",
    "اي",
    "ان",
    "او",
    "اذا",
    "اذ",
    "اذن",
    "الا",
    "اما",
    "انا",
    "انت",
    "انتم",
    "انتما",
    "انتن",
    "انه",
    "انها",
    "انهم",
    "انما",
    "اين",
    "ايضا",
    "لان",
    "بان",
    "انك",
    "اليه",
    "اليها",
];

impl std::fmt::Debug for Lexical {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Lexical")
    }
}

impl Default for Lexical {
    fn default() -> Self {
        Self::new()
    }
}

impl Lexical {
    pub fn new() -> Self {
        let analyser = |language: &str| {
            let config = EdgeBm25Config {
                language: Some(language.to_string()),
                ..EdgeBm25Config::default()
            };
            // Both languages are built in; a failure here is a broken build, not bad input.
            EdgeBm25::new(config)
                .unwrap_or_else(|error| panic!("BM25 analyser for {language}: {error}"))
        };
        let arabic = analyser("arabic");
        let function_words = arabic
            .embed_query(&NORMALISED_ARABIC_FUNCTION_WORDS.join(" "))
            .indices
            .into_iter()
            .collect();
        Lexical {
            english: analyser("english"),
            arabic,
            function_words,
        }
    }

    fn analyser(&self, language: &str) -> &EdgeBm25 {
        if language == "ar" {
            &self.arabic
        } else {
            &self.english
        }
    }

    /// A stored passage's vector; `language` is the chunk's language guess.
    pub fn document(&self, text: &str, language: &str) -> SparseVector {
        convert(
            self.analyser(language)
                .embed_document(&normalise_arabic(text)),
        )
    }

    pub fn query(&self, text: &str) -> SparseVector {
        let language = guess_language(text);
        convert(
            self.analyser(&language)
                .embed_query(&normalise_arabic(text)),
        )
    }

    /// The terms of a question that say what it is about: its query terms without the Arabic
    /// function words the analyser keeps.
    pub fn content_terms(&self, text: &str) -> Vec<u32> {
        let mut terms = self.query(text).indices;
        terms.retain(|term| !self.function_words.contains(term));
        terms
    }
}

fn convert(vector: qdrant_edge::SparseVector) -> SparseVector {
    SparseVector {
        indices: vector.indices,
        values: vector.values,
    }
}

/// Orthographic normalisation of Arabic for matching (not for display).
pub fn normalise_arabic(text: &str) -> String {
    text.chars()
        .filter_map(|character| match character {
            '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{06D6}'..='\u{06ED}' | '\u{0640}' => None,
            'أ' | 'إ' | 'آ' | 'ٱ' => Some('ا'),
            'ى' => Some('ي'),
            'ة' => Some('ه'),
            other => Some(other),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arabic_spellings_meet() {
        assert_eq!(
            normalise_arabic("إِلَى المَدْرَسَةِ"),
            normalise_arabic("الي المدرسه")
        );
        assert_eq!(normalise_arabic("كـــتاب"), "كتاب");
        let lexical = Lexical::new();
        let document = lexical.document("الأسعارُ في المَدرسة", "ar");
        let query = lexical.query("اسعار المدرسه");
        let shared = query
            .indices
            .iter()
            .filter(|index| document.indices.contains(index))
            .count();
        assert_eq!(shared, query.indices.len(), "{query:?} vs {document:?}");
    }

    #[test]
    fn a_questions_content_leaves_out_function_words_in_their_normalised_spelling() {
        let lexical = Lexical::new();
        let asked = lexical.content_terms("ما القنوات الي تدعمونها على واتساب أو إلى انستقرام؟");
        assert_eq!(
            asked,
            lexical.query("القنوات تدعمونها واتساب انستقرام").indices
        );
        assert_eq!(
            lexical.query("القنوات الي تدعمونها").indices.len(),
            3,
            "the vectors keep them"
        );
    }

    #[test]
    fn english_is_stemmed_and_stopwords_dropped() {
        let lexical = Lexical::new();
        let document = lexical.document("The refunds are processed within days", "en");
        let query = lexical.query("refund processing");
        assert_eq!(query.indices.len(), 2);
        assert!(
            query
                .indices
                .iter()
                .all(|index| document.indices.contains(index)),
            "{query:?} {document:?}"
        );
    }
}
