//! Lexical (BM25) sparse vectors, computed here the same way for every index backend.
//!
//! qdrant-edge's BM25 supplies the tokenizer, stopwords and Snowball stemming; each text is
//! analysed as Arabic or English by its language. Arabic is respelled first
//! ([`Lexical::spelled_for_stemming`]), because the same word is written many ways and the
//! Snowball stemmer alone stems a noun with and without its article apart.

use std::collections::HashSet;

use qdrant_edge::bm25_embed::{EdgeBm25, EdgeBm25Config};

use crate::lang::guess_language;

/// The analysis [`Lexical::document`] makes stored vectors with. An index records the one
/// it was made with, and one made with another has its vectors made again when it is opened
/// (`Retrieval::renew_lexical_vectors`). 1: Arabic folded letter by letter; 2: each Arabic
/// word respelled for the stemmer; 3: a tenth-form verbal noun spelled as its verb.
pub const LEXICAL_ANALYSIS: u32 = 3;

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

/// Arabic function words as [`Lexical::spelled_for_stemming`] spells them, where that differs
/// from how the analyser's stopword list writes them ("إلى" is "الي", "على" is "علي", "أو" is
/// "او"), so they reach the vectors as terms. They stay there: the lexical list's weight, chosen on ARCD,
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
        let mut lexical = Lexical {
            english: analyser("english"),
            arabic: analyser("arabic"),
            function_words: HashSet::new(),
        };
        lexical.function_words = lexical
            .query(&NORMALISED_ARABIC_FUNCTION_WORDS.join(" "))
            .indices
            .into_iter()
            .collect();
        lexical
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
                .embed_document(&self.spelled_for_stemming(text)),
        )
    }

    pub fn query(&self, text: &str) -> SparseVector {
        let language = guess_language(text);
        convert(
            self.analyser(&language)
                .embed_query(&self.spelled_for_stemming(text)),
        )
    }

    /// Arabic text spelled so that Snowball stems the forms of one noun alike: letters folded
    /// as [`normalise_arabic`] folds them, then each word respelled by [`word_for_stemming`].
    /// The analyser drops its stopwords as they are written, before stemming: a word that the
    /// respelling would make a stopword, or take off the list ("عليه" as "علية"), keeps the
    /// spelling [`normalise_arabic`] gives it.
    fn spelled_for_stemming(&self, text: &str) -> String {
        let mut spelled = String::with_capacity(text.len());
        let mut word = String::new();
        for character in text.chars().filter_map(fold_letter) {
            if ('\u{0621}'..='\u{064A}').contains(&character) {
                word.push(character);
                continue;
            }
            if !word.is_empty() {
                spelled.push_str(&self.respelled(&word));
                word.clear();
            }
            spelled.push(character);
        }
        if !word.is_empty() {
            spelled.push_str(&self.respelled(&word));
        }
        spelled
    }

    fn respelled(&self, word: &str) -> String {
        let respelled = word_for_stemming(word);
        let normalised = normalise_arabic(word);
        let is_stopword = |word: &str| self.arabic.embed_query(word).indices.is_empty();
        if respelled != normalised && is_stopword(&respelled) != is_stopword(&normalised) {
            normalised
        } else {
            respelled
        }
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

/// Orthographic normalisation of Arabic for matching (not for display): diacritics and tatweel
/// go, alef forms become bare alef, alef maqsura becomes yaa, taa marbuta becomes haa.
pub fn normalise_arabic(text: &str) -> String {
    text.chars()
        .filter_map(fold_letter)
        .map(|character| if character == 'ة' { 'ه' } else { character })
        .collect()
}

fn fold_letter(character: char) -> Option<char> {
    match character {
        '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{06D6}'..='\u{06ED}' | '\u{0640}' => None,
        'أ' | 'إ' | 'آ' | 'ٱ' => Some('ا'),
        'ى' => Some('ي'),
        other => Some(other),
    }
}

/// One Arabic word respelled where Snowball would stem its forms apart (measured with the
/// stemmer, docs/calibration.md):
/// - a conjunction before the article goes ("والقنوات" as "القنوات"): Snowball keeps it;
/// - a sound feminine plural becomes its singular ("قنوات", "الشركات" as "قنوة", "الشركة"):
///   without the article Snowball reads the plural's "ت" as a verb's ending;
/// - a final haa or taa marbuta is taa marbuta where the word past its article has four letters
///   or more ("الشركه", "شركة"), which Snowball takes off with or without the article, and haa
///   in shorter words ("خطة", "الخطه"), which it leaves on both; a customer types either;
/// - a tenth-form verbal noun is spelled as its verb ([`form_ten_verb`]).
fn word_for_stemming(word: &str) -> String {
    const CONJUNCTIONS_BEFORE_THE_ARTICLE: [&str; 2] = ["وال", "فال"];
    const ARTICLES: [&str; 4] = ["بال", "كال", "ال", "لل"];
    let mut word = word;
    if word.chars().count() >= 6
        && let Some(conjunction) = CONJUNCTIONS_BEFORE_THE_ARTICLE
            .iter()
            .find(|conjunction| word.starts_with(**conjunction))
    {
        word = &word[conjunction.len() - "ال".len()..];
    }
    let article = ARTICLES
        .iter()
        .find(|article| word.starts_with(**article))
        .map_or(0, |article| article.len());
    if let Some(verb) = form_ten_verb(&word[article..]) {
        return verb;
    }
    let mut stem = word.to_string();
    let mut letters = word[article..].chars().count();
    if letters >= 4 && stem.ends_with("ات") {
        stem.truncate(stem.len() - "ات".len());
        letters -= 1;
        // The singular's ending, spelled by the length rule below.
        stem.push('ه');
    }
    if stem.ends_with('ه') || stem.ends_with('ة') {
        stem.pop();
        stem.push(if letters >= 4 { 'ة' } else { 'ه' });
    }
    stem
}

/// A verbal noun of the tenth form (استخدام، استيراد), also with a particle joined before it
/// (باستخدام، واستخدام) or a pronoun or plural ending after it (استخدامها، استخدامات), spelled
/// as its verb (استخدم، استورد), which Snowball stems with every person of the verb (يستخدم،
/// أستخدم، نستخدم) and apart from the noun. A first root letter و is written ي in the noun
/// (استيراد) and و in the verb (يستورد). The ending goes: it says nothing a search needs.
fn form_ten_verb(word: &str) -> Option<String> {
    const NOUN_LETTERS: usize = 7;
    const PARTICLES: [char; 5] = ['ب', 'ل', 'ك', 'و', 'ف'];
    const ENDINGS: [&str; 14] = [
        "", "ه", "ها", "هم", "هما", "هن", "ك", "كم", "كما", "كن", "نا", "ي", "ات", "ية",
    ];
    // Every Arabic word of every passage and question comes through here.
    if !word.contains("است") {
        return None;
    }
    let letters: Vec<char> = word.chars().collect();
    let is_noun = |noun: &[char]| {
        noun.len() == NOUN_LETTERS
            && noun.starts_with(&['ا', 'س', 'ت'])
            && noun[5] == 'ا'
            // "أستاذان" (two teachers) is no verbal noun: a root letter is never alef, and a
            // final hamza (استثناء) makes a verb Snowball stems otherwise anyway.
            && noun[3] != 'ا'
            && noun[4] != 'ا'
            && noun[6] != 'ء'
    };
    let starts = if letters
        .first()
        .is_some_and(|first| PARTICLES.contains(first))
    {
        &[0, 1][..]
    } else {
        &[0][..]
    };
    let noun = starts.iter().find_map(|&start| {
        let noun = letters.get(start..start + NOUN_LETTERS)?;
        let ending: String = letters[start + NOUN_LETTERS..].iter().collect();
        (is_noun(noun) && ENDINGS.contains(&ending.as_str())).then_some(noun)
    })?;
    let first = if noun[3] == 'ي' { 'و' } else { noun[3] };
    Some(['ا', 'س', 'ت', first, noun[4], noun[6]].iter().collect())
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
    fn the_forms_of_one_arabic_noun_are_one_term() {
        let lexical = Lexical::new();
        for forms in [
            ["قنوات", "القنوات", "والقنوات", "بالقنوات"],
            ["شركة", "الشركه", "شركات", "للشركات"],
            ["محادثة", "المحادثه", "محادثات", "فالمحادثات"],
            ["خطة", "الخطة", "خطه", "بالخطه"],
            ["جهة", "الجهة", "جهات", "الجهات"],
            ["استخدام", "الاستخدام", "يستخدم", "باستخدام"],
            ["استخدامها", "استخدامات", "واستخدامه", "يستخدمون"],
            ["استيراد", "أستورد", "الاستيراد", "نستورد"],
        ] {
            let terms: Vec<Vec<u32>> = forms
                .iter()
                .map(|form| lexical.document(form, "ar").indices)
                .collect();
            assert!(
                terms
                    .iter()
                    .all(|term| term == &terms[0] && term.len() == 1),
                "{forms:?}: {terms:?}"
            );
        }
        assert_eq!(
            lexical.query("والد").indices,
            lexical.query("الوالد").indices,
            "a word that only opens like a conjunction and an article keeps its letters"
        );
        assert!(
            lexical.query("عليه").indices.is_empty(),
            "a stopword is one still, though respelled it would not be"
        );
        assert_eq!(
            lexical.query("خمسة").indices,
            lexical.query("خمسه").indices,
            "a word off the stopword list stays off it"
        );
        assert_eq!(lexical.query("خمسة").indices.len(), 1);
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
