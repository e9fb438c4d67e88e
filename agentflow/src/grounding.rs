//! Groundedness: every statement of a reply must be supported by the retrieved passages, by
//! the words it shares with them or by meaning. A reply that is not is never sent; the agent
//! says it does not know and hands over instead.

use std::collections::HashSet;

use knowledge::embed::{EmbedError, Embedder, TextRole};
use knowledge::lexical::Lexical;
use serde::Serialize;

use crate::evidence::{Evidence, terms};
use crate::prompt::{cited_numbers, without_citations};
use crate::text::matching_form;
use knowledge::sentences::{numbered_item_marker, sentences};

/// Fewer terms than this make a sentence filler ("Happy to help!"), not a claim to check.
const MIN_CLAIM_TERMS: usize = 3;
/// A sentence is supported when at least this share of its terms occur in the passages: one
/// new word in five allows a paraphrase ("business day" for "working day"), more does not
/// ("by camel caravans").
const SUPPORTED_COVERAGE: f32 = 0.8;
/// A sentence in a language none of the passages is written in (an Arabic reply from English
/// knowledge) shares no terms with them; it is taken as supported when its meaning is this
/// close to a passage sentence. Weaker: e5 scores a changed fact on the same topic as high as
/// a faithful restatement (docs/calibration.md), so numbers are checked as well.
const CROSS_LANGUAGE_SIMILARITY: f32 = 0.85;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CheckedSentence {
    pub text: String,
    pub coverage: f32,
    pub similarity: f32,
    /// Numbers in the sentence (digits or number words) that no passage holds.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unknown_numbers: Vec<u64>,
    pub supported: bool,
    /// The retrieved passage (index) its closest sentence is in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub passage: Option<usize>,
    /// That closest sentence: what a citation quotes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closest: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Grounding {
    pub grounded: bool,
    pub sentences: Vec<CheckedSentence>,
}

impl Grounding {
    /// The passages (indices) the supported sentences rest on, in order of first use.
    pub fn passages(&self) -> Vec<usize> {
        let mut used = Vec::new();
        for sentence in self.sentences.iter().filter(|sentence| sentence.supported) {
            if let Some(passage) = sentence.passage
                && !used.contains(&passage)
            {
                used.push(passage);
            }
        }
        used
    }
}

pub fn check(
    embedder: &Embedder,
    lexical: &Lexical,
    evidence: &Evidence,
    reply: &str,
) -> Result<Grounding, EmbedError> {
    let passages = evidence
        .sentences
        .iter()
        .map(|sentence| sentence.passage + 1)
        .max()
        .unwrap_or(0);
    // Each claim with the passages it cites (all of them when it cites none).
    let claims: Vec<(String, Vec<usize>)> = claim_sentences(reply)
        .into_iter()
        .map(|sentence| {
            let cited = cited_numbers(&sentence, passages)
                .into_iter()
                .map(|number| number - 1)
                .collect();
            (without_citations(&sentence).trim().to_string(), cited)
        })
        .filter(|(sentence, _)| terms(lexical, sentence).len() >= MIN_CLAIM_TERMS)
        .collect();
    let texts: Vec<&str> = claims.iter().map(|(text, _)| text.as_str()).collect();
    let vectors = embedder.embed_sentences(&texts, TextRole::Passage)?;
    let languages: HashSet<&str> = evidence
        .sentences
        .iter()
        .map(|sentence| sentence.language.as_str())
        .collect();
    let sentences: Vec<CheckedSentence> = claims
        .into_iter()
        .zip(vectors)
        .map(|((text, cited), vector)| {
            let evidence = evidence.restricted_to(&cited);
            let support = evidence.support(&terms(lexical, &text), &vector);
            let known_numbers: HashSet<u64> = evidence
                .sentences
                .iter()
                .flat_map(|sentence| numbers(&sentence.text))
                .collect();
            let unknown_numbers: Vec<u64> = numbers(&text)
                .into_iter()
                .filter(|number| !known_numbers.contains(number))
                .collect();
            let foreign = !languages.contains(knowledge::guess_language(&text).as_str());
            let worded = support.coverage >= SUPPORTED_COVERAGE
                || (foreign && support.similarity >= CROSS_LANGUAGE_SIMILARITY);
            CheckedSentence {
                supported: worded && unknown_numbers.is_empty(),
                coverage: support.coverage,
                similarity: support.similarity,
                unknown_numbers,
                passage: support
                    .closest
                    .map(|index| evidence.sentences[index].passage),
                closest: support
                    .closest
                    .map(|index| evidence.sentences[index].text.clone()),
                text,
            }
        })
        .collect();
    Ok(Grounding {
        grounded: !sentences.is_empty() && sentences.iter().all(|sentence| sentence.supported),
        sentences,
    })
}

/// The reply's sentences as claims: a numbered item without its number (which states
/// nothing a passage must hold), and citation markers given to the sentence they close.
fn claim_sentences(reply: &str) -> Vec<String> {
    let unnumbered = sentences(reply).into_iter().map(|sentence| {
        let line = sentence.trim_start();
        match numbered_item_marker(line) {
            Some(marker) => line[marker..].trim_start().to_string(),
            None => sentence,
        }
    });
    attach_citations(unnumbered.collect())
}

/// Gives citation markers that open a sentence ("free. [2] We ship") back to the sentence
/// they close.
fn attach_citations(sentences: Vec<String>) -> Vec<String> {
    let mut attached: Vec<String> = Vec::with_capacity(sentences.len());
    for sentence in sentences {
        let body = sentence.trim_start_matches(|character: char| {
            character == '['
                || character == ']'
                || character == ','
                || character.is_ascii_digit()
                || character == ' '
        });
        let markers = &sentence[..sentence.len() - body.len()];
        match attached.last_mut() {
            Some(previous) if !markers.trim().is_empty() => {
                previous.push(' ');
                previous.push_str(markers.trim());
                if !body.is_empty() {
                    attached.push(body.to_string());
                }
            }
            _ => attached.push(sentence),
        }
    }
    attached
}

/// The numbers a text states, in digits (Arabic-Indic too) or as English or Arabic number
/// words: a reply that changes "one working day" into "five" changes a number.
pub fn numbers(text: &str) -> HashSet<u64> {
    let form = matching_form(text);
    let mut found = HashSet::new();
    let characters: Vec<char> = form.chars().collect();
    let mut digits = String::new();
    for (index, &character) in characters.iter().enumerate() {
        let digit_at = |offset: usize| {
            characters
                .get(index + offset)
                .is_some_and(|next| next.is_ascii_digit())
        };
        if character.is_ascii_digit() {
            digits.push(character);
            // A comma between digits separates thousands: 1,200.
            let comma_next = characters.get(index + 1) == Some(&',');
            if digit_at(1) || (comma_next && digit_at(2)) {
                continue;
            }
        } else if character == ',' && !digits.is_empty() && digit_at(1) {
            continue;
        }
        if let Ok(number) = digits.parse() {
            found.insert(number);
        }
        digits.clear();
    }
    for word in form.split(|character: char| !character.is_alphanumeric()) {
        let word = word
            .strip_prefix('و')
            .filter(|rest| NUMBER_WORDS.iter().any(|(w, _)| w == rest))
            .unwrap_or(word);
        if let Some((_, value)) = NUMBER_WORDS.iter().find(|(name, _)| *name == word) {
            found.insert(*value);
        }
    }
    found
}

/// Number words in the matching form (Arabic normalised: ة→ه, أ→ا).
const NUMBER_WORDS: &[(&str, u64)] = &[
    ("one", 1),
    ("two", 2),
    ("three", 3),
    ("four", 4),
    ("five", 5),
    ("six", 6),
    ("seven", 7),
    ("eight", 8),
    ("nine", 9),
    ("ten", 10),
    ("eleven", 11),
    ("twelve", 12),
    ("fourteen", 14),
    ("fifteen", 15),
    ("twenty", 20),
    ("thirty", 30),
    ("forty", 40),
    ("fifty", 50),
    ("hundred", 100),
    ("thousand", 1000),
    ("واحد", 1),
    ("واحده", 1),
    ("واحدا", 1),
    ("اثنان", 2),
    ("اثنين", 2),
    ("يومين", 2),
    ("يومان", 2),
    ("ديناران", 2),
    ("دينارين", 2),
    ("ثلاث", 3),
    ("ثلاثه", 3),
    ("اربع", 4),
    ("اربعه", 4),
    ("خمس", 5),
    ("خمسه", 5),
    ("ست", 6),
    ("سته", 6),
    ("سبع", 7),
    ("سبعه", 7),
    ("ثمان", 8),
    ("ثماني", 8),
    ("ثمانيه", 8),
    ("تسع", 9),
    ("تسعه", 9),
    ("عشر", 10),
    ("عشره", 10),
    ("عشرون", 20),
    ("عشرين", 20),
    ("ثلاثون", 30),
    ("ثلاثين", 30),
    ("اربعون", 40),
    ("اربعين", 40),
    ("خمسون", 50),
    ("خمسين", 50),
    ("مئه", 100),
    ("مائه", 100),
    ("الف", 1000),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_opening_a_sentence_close_the_one_before() {
        let split = claim_sentences("Two days. [2] We ship abroad. [1]");
        assert_eq!(split, ["Two days. [2]", "We ship abroad. [1]"]);
    }

    #[test]
    fn a_numbered_items_number_is_no_claim() {
        let claims = claim_sentences(
            "1. Delivery takes two days [1].\n2. Returns are free [1].\n٣. التوصيل مجاني فوق ٣٠ ديناراً [1]",
        );
        assert_eq!(
            claims,
            [
                "Delivery takes two days [1].",
                "Returns are free [1].",
                "التوصيل مجاني فوق ٣٠ ديناراً [1]"
            ]
        );
        let stated: HashSet<u64> = numbers(&without_citations(&claims[0]));
        assert_eq!(stated, [2].into(), "two days, and no item number 1");
    }

    #[test]
    fn numbers_in_digits_and_words_in_both_languages() {
        let expected: HashSet<u64> = [1, 2, 30].into();
        assert_eq!(
            numbers("Delivery takes one working day and costs 2 JOD; over 30 JOD ships free."),
            expected
        );
        assert_eq!(
            numbers("يستغرق يوم عمل واحداً وتكلفته ديناران، والطلبات فوق ٣٠ ديناراً"),
            expected
        );
        assert_eq!(numbers("1,200.50 and 14"), [1200, 50, 14].into());
    }
}
