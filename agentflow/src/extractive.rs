//! The built-in answerer for agents without a language model: it replies with the retrieved
//! sentences that best answer the question, verbatim and cited, and writes nothing of its own.
//!
//! Knowledge written as questions and answers (an FAQ) says outright which sentences answer
//! what: when the customer's question matches one of its questions, the reply is that entry's
//! answer, in order, and never a neighbouring entry's sentence that happens to share words.

use std::collections::HashSet;

use knowledge::embed::cosine;
use knowledge::lexical::normalise_arabic;

use crate::evidence::Evidence;
use crate::text::Language;
use knowledge::sentences::{is_digit, numbered_item_marker};

/// How far below the best sentence another may score and still be added to the reply.
const ADDED_SENTENCE_MARGIN: f32 = 0.03;

/// What holding a number adds to a sentence's relevance when the question asks for one.
const NUMBER_ASKED_FOR: f32 = 0.05;

/// Whether a sentence holds a number, past the number of a numbered item ("2. افتح…").
fn holds_a_number(sentence: &str) -> bool {
    let text = sentence.trim_start();
    let past_item_number = numbered_item_marker(text).map_or(text, |marker| &text[marker..]);
    past_item_number.chars().any(is_digit)
}

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
    /// It asks how many, how much or how long ([`crate::text::asks_for_a_number`]).
    pub wants_a_number: bool,
}

impl Asked<'_> {
    /// How well a sentence answers: its cosine with the question, plus the share of the
    /// question's terms it holds, plus a little for being in the question's language and for
    /// coming from a higher-ranked passage, and for holding a number when one is asked for.
    fn relevance(&self, sentence: &crate::evidence::EvidenceSentence) -> f32 {
        let shared = self.terms.intersection(&sentence.terms).count();
        let coverage = if self.terms.is_empty() {
            0.0
        } else {
            shared as f32 / self.terms.len() as f32
        };
        let same_language = (sentence.language == self.language.code()) as u8 as f32;
        let number_asked_for = (self.wants_a_number && holds_a_number(&sentence.text)) as u8;
        cosine(self.vector, &sentence.vector)
            + 0.1 * coverage
            + 0.02 * same_language
            + NUMBER_ASKED_FOR * number_asked_for as f32
            - 0.005 * sentence.passage as f32
    }
}

/// The FAQ entry retrieval ranked first, and how closely it answers the customer's question.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchedEntry {
    /// Indices of its passages among the retrieved ones, in the document's order: an answer can
    /// span several (a long one cut in pieces, a table's rows).
    pub passages: Vec<usize>,
    /// The entry's question, as the knowledge asks it.
    pub question: String,
    /// Cosine of the customer's question and the entry's (both embedded as queries).
    pub similarity: f32,
    /// How closely the entry answers: [`entry_match`].
    pub score: f32,
}

/// How closely an FAQ entry answers the customer's question, from three views of it: the
/// entry's question (`question`, both embedded as queries), its passage as a whole
/// (`passage`), and its one sentence closest to the question (`sentence`). Their mean, so
/// that it reads as a cosine. Each view alone misleads: a question worded like another
/// entry's, a long passage about everything, one sentence that shares a word; on the
/// development sets the three together chose the right entry for 64% of questions, the two
/// cosines of questions and passages for 53% (docs/calibration.md).
pub fn entry_match(question: f32, passage: f32, sentence: f32) -> f32 {
    (question + passage + sentence) / 3.0
}

/// The statements that answer the entry in passage `passage`: those after its question, up to
/// the next question; a passage that is the rest of a long entry (it has no question line of
/// its own) answers from its start. A word or two ending in a question mark inside an answer
/// ("Refunds? Complaints?") is part of it, not the next question.
fn entry(evidence: &Evidence, passage: usize) -> Vec<usize> {
    const QUESTION_WORDS: usize = 3;
    let in_passage = evidence
        .sentences
        .iter()
        .enumerate()
        .filter(|(_, sentence)| sentence.passage == passage);
    let mut started = false;
    let mut found = Vec::new();
    for (index, sentence) in in_passage {
        if sentence.question && sentence.text.split_whitespace().count() >= QUESTION_WORDS {
            if started || !found.is_empty() {
                break;
            }
            started = true;
            continue;
        }
        if !sentence.question && !sentence.title && !is_heading(&sentence.text) {
            found.push(index);
        }
    }
    found
}

/// The answer the FAQ entry in `passages` gives, within about `budget` characters, in the
/// entry's order: its opening statement (the direct answer), what follows a lead-in ending in
/// a colon, and then its sentences that answer the question best, so that a long entry still
/// answers the part that was asked.
pub fn answer_of(
    evidence: &Evidence,
    passages: &[usize],
    asked: Asked<'_>,
    budget: usize,
) -> Vec<Pick> {
    // The pieces of a long entry overlap: a sentence an earlier piece holds is said from
    // there. A line repeated inside one piece ("- Support: email" under two plans) stays.
    let mut sentences: Vec<usize> = Vec::new();
    for &passage in passages {
        let earlier: HashSet<&str> = sentences
            .iter()
            .map(|&index| evidence.sentences[index].text.as_str())
            .collect();
        sentences.extend(
            entry(evidence, passage)
                .into_iter()
                .filter(|&index| !earlier.contains(evidence.sentences[index].text.as_str())),
        );
    }
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
        // A label heading a list ("Talking to customers", then "- one inbox for 9+ channels"):
        // the list's first item is what the lead-in leads to.
        if is_label(&evidence.sentences[next].text)
            && let Some(&item) = sentences.get(2)
            && is_list_item(&evidence.sentences[item].text)
        {
            chosen.push(item);
            used += length(item);
        }
    }
    let mut ranked: Vec<(usize, f32)> = sentences
        .iter()
        .map(|&index| (index, asked.relevance(&evidence.sentences[index])))
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    // A numbered list or a procedure's steps is the entry's outline: said whole when it fits
    // with the sentence closest to the question, so that a how-to never skips a step and the
    // item asked about stands among its siblings.
    let outline: Vec<usize> = sentences
        .iter()
        .copied()
        .filter(|&index| opens_an_outline_line(evidence, index))
        .collect();
    let unsaid: Vec<usize> = outline
        .iter()
        .copied()
        .filter(|index| !chosen.contains(index))
        .collect();
    let unsaid_length: usize = unsaid.iter().map(|&index| length(index)).sum();
    let closest_length = ranked
        .iter()
        .find(|(index, _)| !chosen.contains(index) && !unsaid.contains(index))
        .map_or(0, |&(index, _)| length(index));
    if outline.len() >= 2 && used + unsaid_length + closest_length <= budget {
        used += unsaid_length;
        chosen.extend(unsaid);
    }
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
    // An item says little without the line it hangs from ("3. First contact resolution",
    // then "- tickets solved without escalation"; "Four tabs:", then "1. Activity"): that
    // line is said with it, and so is the line that one hangs from. Said even past the
    // budget, like a sentence that points back: they are short, and an item makes no sense
    // without them.
    let mut unexplained = chosen.clone();
    while let Some(index) = unexplained.pop() {
        if let Some(parent) = hangs_from(evidence, &sentences, index)
            && !chosen.contains(&parent)
        {
            chosen.push(parent);
            unexplained.push(parent);
        }
    }
    // In the entry's order, which is the document's, whatever order retrieval ranked its
    // pieces in.
    chosen.sort_by_key(|chosen| sentences.iter().position(|sentence| sentence == chosen));
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
        .filter(|(_, sentence)| !sentence.title && is_statement(&sentence.text))
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

/// The line the list item `index` hangs from, as a sentence of `entry` (the entry's sentences
/// in order, each text once): for a bulleted item, the nearest line above it in its passage
/// that is not a bulleted item, read over the item lines' later sentences, when that line is a
/// numbered item, a lead-in ending in a colon or a label; for a numbered item, the nearest
/// line above it that is neither a numbered item nor a bulleted one, save a bulleted lead-in
/// right over a numbered item, when that line ends in a colon ("Four tabs:", "- Middle, four
/// tabs:" over "1. Activity"). A heading or a question above it ends the search, and so
/// does the start of its passage: an item that opens a piece of a long entry hangs from a line
/// of the piece before, which may not be among the passages found.
fn hangs_from(evidence: &Evidence, entry: &[usize], index: usize) -> Option<usize> {
    let sentence = |index: usize| &evidence.sentences[index];
    let is_bulleted =
        |index: usize| without_list_marker(sentence(index).text.trim_start()).is_some();
    let is_numbered =
        |index: usize| numbered_item_marker(sentence(index).text.trim_start()).is_some();
    let bulleted = is_bulleted(index);
    let numbered = sentence(index).opens_line && is_numbered(index);
    if !bulleted && !numbered {
        return None;
    }
    let passage = sentence(index).passage;
    // "- Middle, four tabs:" directly over "1. Activity" introduces the numbered list; a
    // bulleted line ending in a colon under an item introduces its own bullets.
    let opens_a_numbered_list = |line: usize| {
        sentence(line).text.trim_end().ends_with(':')
            && (line + 1..=index)
                .find(|&next| sentence(next).opens_line)
                .is_some_and(is_numbered)
    };
    let parent = (0..index)
        .rev()
        .take_while(|&above| sentence(above).passage == passage)
        .find(|&above| {
            sentence(above).opens_line
                && if bulleted {
                    !is_bulleted(above)
                } else {
                    !is_numbered(above) && (!is_bulleted(above) || opens_a_numbered_list(above))
                }
        })?;
    let line = sentence(parent).text.trim();
    let leads = !sentence(parent).question
        && !is_heading(line)
        && (line.ends_with(':')
            || (bulleted && (numbered_item_marker(line).is_some() || is_label(line))));
    if !leads {
        return None;
    }
    // Said as itself, or from an earlier overlapping piece that holds the same line: a lead-in
    // repeated inside one piece ("Includes:" under two plans) is two lines.
    if entry.contains(&parent) {
        return Some(parent);
    }
    entry
        .iter()
        .copied()
        .find(|&said| sentence(said).text == sentence(parent).text)
}

/// Whether sentence `index` opens a line of its passage that is an item of a numbered list
/// ("3. First contact resolution") or a step of a procedure ("Step 3: Choose the audience"),
/// saying something past its number: a bare "Step 3:" says nothing without the lines under it.
fn opens_an_outline_line(evidence: &Evidence, index: usize) -> bool {
    let sentence = &evidence.sentences[index];
    let line = sentence.text.trim_start();
    let numbered =
        numbered_item_marker(line).is_some_and(|marker| !line[marker..].trim().is_empty());
    sentence.opens_line && (numbered || is_step(line))
}

/// Whether a line names a step of a procedure by its number, then says what to do: "Step 3:
/// Choose the audience", "الخطوة 3: …", "الخطوة الثالثة: …", under a list marker or not.
fn is_step(line: &str) -> bool {
    const STEP_WORDS: [&str; 5] = ["step", "الخطوه", "خطوه", "المرحله", "مرحله"];
    const ORDINALS: [&str; 10] = [
        "الاولي",
        "الثانيه",
        "الثالثه",
        "الرابعه",
        "الخامسه",
        "السادسه",
        "السابعه",
        "الثامنه",
        "التاسعه",
        "العاشره",
    ];
    // Written with or without a hamza, a taa marbuta, a dotted final yaa or short vowels:
    // "الأولى", "الاولي", "الخطوه", "الخطوةُ".
    let folded = |word: &str| normalise_arabic(&word.to_lowercase());
    let line = without_list_marker(line).unwrap_or(line);
    let mut words = line
        .split_whitespace()
        .map(|word| word.trim_end_matches([':', '.', '-', ')', '،', ',']));
    let (Some(word), Some(number), Some(_)) = (words.next(), words.next(), words.next()) else {
        return false;
    };
    let is_number = !number.is_empty() && number.chars().all(char::is_numeric);
    STEP_WORDS.contains(&folded(word).as_str())
        && (is_number || ORDINALS.contains(&folded(number).as_str()))
}

/// The chosen sentences as a reply says them. One that opens by pointing back ("This strategy
/// lets you…", "هذه الطريقة…") says nothing alone: the sentence before it in its passage, what
/// it points to, is said just before it, once (a passage overlapping another can hold the
/// same sentence).
pub fn with_what_they_refer_to(evidence: &Evidence, chosen: Vec<Pick>) -> Vec<Pick> {
    let text = |index: usize| evidence.sentences[index].text.as_str();
    let mut said: Vec<Pick> = Vec::with_capacity(chosen.len());
    for pick in chosen {
        let place = said
            .iter()
            .position(|earlier| text(earlier.sentence) == text(pick.sentence));
        let sentence = &evidence.sentences[pick.sentence];
        let before = pick
            .sentence
            .checked_sub(1)
            .filter(|_| points_back(&sentence.text))
            .filter(|&before| {
                let previous = &evidence.sentences[before];
                previous.passage == sentence.passage
                    && !previous.question
                    && !previous.title
                    && !is_heading(&previous.text)
                    && said
                        .iter()
                        .all(|earlier| text(earlier.sentence) != previous.text)
            })
            .map(|before| Pick {
                sentence: before,
                score: pick.score,
            });
        match (place, before) {
            (Some(at), Some(before)) => said.insert(at, before),
            (Some(_), None) => {}
            (None, before) => said.extend(before.into_iter().chain([pick])),
        }
    }
    said
}

/// Whether a sentence opens with a demonstrative that points to what came before it, after
/// any list number, with a joined "and" or "so" (وهذا، فهذه), or after an opening phrase set
/// off by a comma ("Respectively, these alerts…", "In short, this…").
fn points_back(sentence: &str) -> bool {
    const POINTERS: [&str; 10] = [
        "this",
        "these",
        "that",
        "those",
        "such",
        "هذا",
        "هذه",
        "ذلك",
        "تلك",
        "هؤلاء",
    ];
    const OPENING_PHRASE_WORDS: usize = 3;
    let readable = readable(sentence);
    let words: Vec<&str> = readable
        .split_whitespace()
        .filter(|word| word.chars().any(char::is_alphabetic))
        .take(OPENING_PHRASE_WORDS + 1)
        .collect();
    let is_pointer = |word: &str| {
        let word = word
            .trim_matches(|c: char| !c.is_alphabetic())
            .to_lowercase();
        let joined = word.strip_prefix(['و', 'ف']).unwrap_or_default();
        POINTERS.contains(&word.as_str()) || POINTERS.contains(&joined)
    };
    let after_the_phrase = words
        .iter()
        .take(OPENING_PHRASE_WORDS)
        .position(|word| word.ends_with([',', '،']))
        .and_then(|comma| words.get(comma + 1));
    words.first().is_some_and(|first| is_pointer(first))
        || after_the_phrase.is_some_and(|word| is_pointer(word))
}

/// A whole sentence that states something: not a question (an item of a list of questions to
/// ask oneself included), a fragment, a heading or a lead-in to a list ("How it works:").
fn is_statement(sentence: &str) -> bool {
    let trimmed = sentence.trim_end();
    let words = trimmed.split_whitespace().count();
    words >= 2 && !trimmed.ends_with(['?', '؟', ':']) && !is_heading(trimmed)
}

fn is_heading(sentence: &str) -> bool {
    after_mark(sentence.trim_start(), &['#'], true).is_some()
}

/// A short line that names what follows: no list marker, no closing punctuation.
fn is_label(sentence: &str) -> bool {
    const MOST_WORDS: usize = 4;
    let trimmed = sentence.trim();
    !trimmed.is_empty()
        && trimmed.split_whitespace().count() <= MOST_WORDS
        && !is_list_item(trimmed)
        && !trimmed.ends_with(['.', '!', '?', '؟', ':', '؛', ';', ','])
}

/// What a line of a list opens with, before a space; a bullet ('•') opens one without.
const LIST_MARKERS: [char; 3] = ['-', '*', '+'];

/// Whether a sentence is a line of a list, bulleted or numbered: a reply starts it on a line
/// of its own. A numbered item keeps its number in a reply ("1. Subscription:"), since the
/// number says something; a bullet is only a mark.
pub(crate) fn is_list_item(sentence: &str) -> bool {
    let line = sentence.trim_start();
    without_list_marker(line).is_some() || numbered_item_marker(line).is_some()
}

/// The text of a line of a list, without its marker ("- item", "• item", "•item").
fn without_list_marker(line: &str) -> Option<&str> {
    line.strip_prefix('•')
        .map(str::trim_start)
        .or_else(|| after_mark(line, &LIST_MARKERS, false))
}

/// What follows the Markdown mark `line` opens with: one of `marks` (a run of them when
/// `repeated`, as a heading's #s), then a space or nothing. "+971 4…", "-10%", "#1" and ">50"
/// open with their own signs, not a mark.
fn after_mark<'a>(line: &'a str, marks: &[char], repeated: bool) -> Option<&'a str> {
    let rest = if repeated {
        line.trim_start_matches(marks)
    } else {
        line.strip_prefix(marks)?
    };
    (rest.len() < line.len() && (rest.is_empty() || rest.starts_with(char::is_whitespace)))
        .then(|| rest.trim_start())
}

/// A knowledge sentence as a customer reads it: without Markdown's emphasis, heading marks,
/// quote marks, list markers and table pipes.
pub fn readable(sentence: &str) -> String {
    let mut text = sentence.to_string();
    // Emphasis first: "**- item**" is a list item too.
    while text.contains("**") || text.contains("__") {
        text = text.replace("**", "").replace("__", "");
    }
    let cells: Vec<&str> = text
        .split('|')
        .map(without_marks)
        .filter(|cell| !cell.is_empty())
        .collect();
    cells.join(", ")
}

/// A line, or a table's cell, without the heading, quote and list marks it opens with. Marks
/// nest: "> - a quoted item", "## - an item under a heading mark".
fn without_marks(line: &str) -> &str {
    let mut text = line.trim();
    while let Some(rest) = after_mark(text, &['#'], true)
        .or_else(|| after_mark(text, &['>'], false))
        .or_else(|| without_list_marker(text))
    {
        text = rest;
    }
    text
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::evidence::EvidenceSentence;
    use knowledge::sentences::is_question;

    proptest! {
        /// Whatever a knowledge line holds, its readable form has no table pipe, no bold mark
        /// and opens with no heading, quote or bullet mark. (A numbered item keeps its number:
        /// "0- •" is one, since "1- " numbers a list as "1." does.)
        #[test]
        fn no_markdown_mark_reaches_a_reply(line in "[-#>*+•| a-z0-9_\t]{0,40}") {
            let text = readable(&line);
            prop_assert!(!text.contains('|') && !text.contains("**"), "{:?} -> {:?}", line, text);
            let bulleted = without_list_marker(&text).is_some();
            prop_assert!(!is_heading(&text) && !bulleted, "{:?} -> {:?}", line, text);
            prop_assert!(after_mark(&text, &['>'], false).is_none(), "{:?} -> {:?}", line, text);
        }
    }

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
            opens_line: true,
            title: false,
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
            wants_a_number: false,
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
    fn a_line_that_titles_its_passage_is_never_the_answer() {
        let evidence = Evidence {
            sentences: vec![
                EvidenceSentence {
                    title: true,
                    ..sentence(0, "The Four Golden Signals", "en", [1.0, 0.0], &[1, 2])
                },
                sentence(
                    0,
                    "The four golden signals are latency, traffic, errors, and saturation.",
                    "en",
                    [0.9, 0.1],
                    &[1, 2],
                ),
                sentence(1, "Golden signals", "en", [0.95, 0.05], &[1, 2]),
                sentence(
                    1,
                    "- Is every golden signal paged on?",
                    "en",
                    [1.0, 0.0],
                    &[1, 2],
                ),
            ],
            ..Evidence::default()
        };
        let terms: HashSet<u32> = [1, 2].into();
        let mut chosen = said(&choose(&evidence, english(&terms), 3));
        chosen.sort();
        assert_eq!(
            chosen,
            [1, 2],
            "a title or a question is never chosen, a short line is"
        );
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
            wants_a_number: false,
        };
        let answer = |evidence: &Evidence, budget| -> Vec<usize> {
            answer_of(evidence, &[0], asked, budget)
                .iter()
                .map(|pick| pick.sentence)
                .collect()
        };
        assert_eq!(
            answer(&evidence, 40),
            [1, 2, 4],
            "the lead-in, what follows it and the part asked about; not the next entry's sentence"
        );
        let rest_of_an_entry = Evidence {
            sentences: vec![
                sentence(0, "Qatar and Kuwait too.", "en", [0.3, 0.7], &[6]),
                sentence(0, "Oman from next year.", "en", [0.9, 0.1], &[1, 3]),
                sentence(0, "Where is your shop?", "en", [0.95, 0.05], &[9]),
                sentence(0, "In Dubai.", "en", [0.1, 0.9], &[9]),
            ],
            ..Evidence::default()
        };
        assert_eq!(
            answer(&rest_of_an_entry, 200),
            [0, 1],
            "a piece without its question answers up to the next one"
        );
        assert!((entry_match(0.9, 0.8, 0.85) - 0.85).abs() < 1e-6);
    }

    /// An English question along the first axis, with these terms.
    fn english(terms: &HashSet<u32>) -> Asked<'_> {
        Asked {
            vector: &[1.0, 0.0],
            terms,
            language: Language::En,
            wants_a_number: false,
        }
    }

    fn said(picks: &[Pick]) -> Vec<usize> {
        picks.iter().map(|pick| pick.sentence).collect()
    }

    #[test]
    fn a_sentence_that_points_back_is_said_after_what_it_points_to() {
        let evidence = Evidence {
            sentences: vec![
                sentence(0, "Sample the CPU each second.", "en", [0.5, 0.5], &[]),
                sentence(
                    0,
                    "Aggregate the samples every minute.",
                    "en",
                    [0.6, 0.4],
                    &[],
                ),
                sentence(
                    0,
                    "This strategy shows brief CPU hotspots cheaply.",
                    "en",
                    [1.0, 0.0],
                    &[1],
                ),
                sentence(1, "هذه الطريقة توفر التكلفة.", "ar", [0.98, 0.02], &[1]),
            ],
            ..Evidence::default()
        };
        let terms: HashSet<u32> = [1].into();
        let chosen = said(&with_what_they_refer_to(
            &evidence,
            choose(&evidence, english(&terms), 2),
        ));
        assert_eq!(
            chosen,
            [1, 2, 3],
            "what it points to comes first; the first sentence of a passage has nothing before it"
        );
        assert!(points_back("- These limits apply to broadcasts."));
        assert!(points_back("هذه الطريقة توفر التكلفة."));
        assert!(points_back("1. This keeps costs low."));
        assert!(points_back("وهذا يوفر الوقت."));
        assert!(points_back(
            "Respectively, these alerts are classified as tickets, email alerts, and pages."
        ));
        assert!(points_back("In short, this keeps costs low."));
        // A chain (the third points to the second, the second to the first) is said in order,
        // and a sentence already said from an overlapping passage is not said twice.
        let chain = Evidence {
            sentences: vec![
                sentence(0, "Sample the CPU each second.", "en", [0.5, 0.5], &[]),
                sentence(0, "This gives one value a second.", "en", [0.9, 0.1], &[1]),
                sentence(
                    0,
                    "These values are summed each minute.",
                    "en",
                    [1.0, 0.0],
                    &[1],
                ),
                sentence(1, "This gives one value a second.", "en", [0.9, 0.1], &[1]),
            ],
            ..Evidence::default()
        };
        let picks = |indices: &[usize]| -> Vec<Pick> {
            indices
                .iter()
                .map(|&sentence| Pick {
                    sentence,
                    score: 1.0,
                })
                .collect()
        };
        assert_eq!(
            said(&with_what_they_refer_to(&chain, picks(&[2, 1]))),
            [0, 1, 2]
        );
        assert_eq!(
            said(&with_what_they_refer_to(&chain, picks(&[2, 3]))),
            [1, 2]
        );
        assert!(!points_back("Thistle grows here."));
        assert!(!points_back("It is important."));
        assert!(!points_back("However, prices vary by plan."));
        assert!(!points_back("We send reminders, and these arrive on time."));
    }

    #[test]
    fn a_lead_in_to_a_labelled_list_answers_with_the_lists_first_item() {
        let evidence = Evidence {
            sentences: vec![
                sentence(0, "What can I do with it?", "en", [1.0, 0.0], &[1]),
                sentence(0, "With it you can:", "en", [0.5, 0.5], &[]),
                sentence(0, "Talking to customers", "en", [0.3, 0.7], &[]),
                sentence(0, "- one inbox for 9+ channels", "en", [0.2, 0.8], &[4]),
                sentence(0, "- no switching between apps", "en", [0.2, 0.8], &[5]),
                sentence(0, "Automation", "en", [0.3, 0.7], &[]),
                sentence(0, "- flows built without code", "en", [0.9, 0.1], &[1]),
            ],
            ..Evidence::default()
        };
        let terms: HashSet<u32> = [1].into();
        let chosen = said(&answer_of(&evidence, &[0], english(&terms), 60));
        assert_eq!(
            chosen,
            [1, 2, 3, 5, 6],
            "the lead-in, the label, its first item, and the sentence closest to the question \
             under its own label"
        );
        assert!(is_label("التواصل مع العملاء"));
        assert!(!is_label("- Bahrain: yes"));
        assert!(!is_label("Delivery takes two days."));
    }

    #[test]
    fn a_bulleted_item_is_said_with_the_numbered_item_it_hangs_from() {
        let evidence = Evidence {
            sentences: vec![
                sentence(0, "Which metrics can I follow?", "en", [1.0, 0.0], &[1]),
                sentence(0, "Key indicators:", "en", [0.5, 0.5], &[]),
                sentence(0, "1. Response time", "en", [0.3, 0.7], &[]),
                sentence(0, "- how fast the first reply comes", "en", [0.2, 0.8], &[]),
                sentence(0, "2. First contact resolution", "en", [0.3, 0.7], &[]),
                sentence(0, "- solved without escalation", "en", [0.9, 0.1], &[1]),
                sentence(0, "- aim for 70%+", "en", [0.2, 0.8], &[]),
            ],
            ..Evidence::default()
        };
        let terms: HashSet<u32> = [1].into();
        let chosen = said(&answer_of(&evidence, &[0], english(&terms), 60));
        assert_eq!(
            chosen,
            [1, 2, 4, 5],
            "the lead-in and its first item, and the item closest to the question with its number"
        );
        // The rest of a long entry, in a passage of its own, opens with an item whose line is in
        // the piece before: it is not looked for across the cut.
        let in_two_pieces = Evidence {
            sentences: vec![
                sentence(0, "What does it cost?", "en", [1.0, 0.0], &[1]),
                sentence(0, "Two parts:", "en", [0.5, 0.5], &[]),
                sentence(0, "1. Plans", "en", [0.3, 0.7], &[]),
                sentence(0, "- Starter: 79 USD", "en", [0.2, 0.8], &[]),
                sentence(0, "Support", "en", [0.2, 0.8], &[]),
                sentence(0, "- by email", "en", [0.2, 0.8], &[]),
                // A later piece: the lines between the two were not found.
                sentence(1, "- Premium: 299 USD", "en", [0.9, 0.1], &[1]),
                sentence(1, "2. Fees", "en", [0.3, 0.7], &[]),
            ],
            ..Evidence::default()
        };
        let chosen = said(&answer_of(&in_two_pieces, &[0, 1], english(&terms), 30));
        assert_eq!(chosen, [1, 2, 6], "not under the label \"Support\"");
        // A heading above the item ends the search; a later sentence of an item's line is
        // read over.
        let under_a_heading = Evidence {
            sentences: vec![
                sentence(0, "How do refunds work?", "en", [1.0, 0.0], &[1]),
                sentence(0, "Refunds go back to the card.", "en", [0.5, 0.5], &[]),
                sentence(0, "Cancelling:", "en", [0.3, 0.7], &[]),
                sentence(0, "- from Settings", "en", [0.2, 0.8], &[]),
                sentence(0, "## Fees", "en", [0.3, 0.7], &[]),
                sentence(0, "- 5 USD per refund", "en", [0.9, 0.1], &[1]),
            ],
            ..Evidence::default()
        };
        let chosen = said(&answer_of(&under_a_heading, &[0], english(&terms), 30));
        assert_eq!(chosen, [1, 5], "not under \"Cancelling:\"");
        let item_of_two_sentences = Evidence {
            sentences: vec![
                sentence(0, "What does it cost?", "en", [1.0, 0.0], &[1]),
                sentence(0, "It depends on the plan.", "en", [0.5, 0.5], &[]),
                sentence(0, "1. Plans", "en", [0.3, 0.7], &[]),
                sentence(0, "- Starter: 79 USD a month.", "en", [0.2, 0.8], &[]),
                EvidenceSentence {
                    opens_line: false,
                    ..sentence(0, "Billed yearly", "en", [0.2, 0.8], &[])
                },
                sentence(0, "- Premium: 299 USD", "en", [0.9, 0.1], &[1]),
            ],
            ..Evidence::default()
        };
        let chosen = said(&answer_of(
            &item_of_two_sentences,
            &[0],
            english(&terms),
            30,
        ));
        assert_eq!(
            chosen,
            [1, 2, 5],
            "under \"1. Plans\", not \"Billed yearly\""
        );
    }

    #[test]
    fn a_procedure_is_said_with_every_step_when_its_steps_fit() {
        let evidence = Evidence {
            sentences: vec![
                sentence(0, "How do I send a broadcast?", "en", [1.0, 0.0], &[1]),
                sentence(0, "Step by step:", "en", [0.5, 0.5], &[]),
                sentence(0, "Step 1: Open Broadcasts", "en", [0.3, 0.7], &[]),
                sentence(0, "- click Broadcasts in the menu", "en", [0.9, 0.1], &[1]),
                sentence(
                    0,
                    "- the dashboard lists campaigns",
                    "en",
                    [0.85, 0.15],
                    &[1],
                ),
                sentence(0, "Step 2: Choose the audience", "en", [0.3, 0.7], &[]),
                sentence(0, "- pick a saved list", "en", [0.8, 0.2], &[1]),
                sentence(0, "Step 3: Publish", "en", [0.3, 0.7], &[]),
                sentence(0, "- click Publish to send", "en", [0.2, 0.8], &[]),
            ],
            ..Evidence::default()
        };
        let terms: HashSet<u32> = [1].into();
        let chosen = said(&answer_of(&evidence, &[0], english(&terms), 150));
        assert_eq!(
            chosen,
            [1, 2, 3, 4, 5, 7],
            "every step, and the lines under them closest to the question as the rest allows"
        );
        let chosen = said(&answer_of(&evidence, &[0], english(&terms), 60));
        assert_eq!(chosen, [1, 2, 3], "steps that do not fit are not forced in");
        for step in [
            "الخطوة 3: اختيار الجمهور",
            "الخطوة الأولى: الوصول إلى وحدة البث",
            "الخطوه الاولى اختيار الجمهور",
            "الخطوةُ الثانيةُ: إنشاء حملة",
            "- Step 2: choose",
            "STEP 10 - publish",
        ] {
            assert!(is_step(step), "{step}");
        }
        for not_a_step in [
            "Step up your service.",
            "Steps are easy.",
            "خطوة بخطوة:",
            "Step 3:",
            "الخطوة الثالثة",
        ] {
            assert!(!is_step(not_a_step), "{not_a_step}");
        }
    }

    #[test]
    fn a_list_numbered_as_arabic_writers_number_it_is_said_whole() {
        let evidence = Evidence {
            sentences: vec![
                sentence(0, "كيف أبدأ الاشتراك؟", "ar", [1.0, 0.0], &[1]),
                sentence(0, "ابدأ هكذا:", "ar", [0.5, 0.5], &[]),
                sentence(0, "1 - الاشتراك في الخطة", "ar", [0.3, 0.7], &[]),
                sentence(0, "- اختر الخطة الشهرية", "ar", [0.9, 0.1], &[1]),
                sentence(0, "2 - ربط القناة", "ar", [0.3, 0.7], &[]),
                sentence(0, "- من الإعدادات", "ar", [0.85, 0.15], &[1]),
                sentence(0, "3-الإرسال للعملاء", "ar", [0.3, 0.7], &[]),
            ],
            ..Evidence::default()
        };
        let terms: HashSet<u32> = [1].into();
        let asked = Asked {
            vector: &[1.0, 0.0],
            terms: &terms,
            language: Language::Ar,
            wants_a_number: false,
        };
        let chosen = said(&answer_of(&evidence, &[0], asked, 90));
        assert_eq!(
            chosen,
            [1, 2, 3, 4, 6],
            "every numbered item, \"1 - \" and \"3-\" as well as \"1. \", then the closest line"
        );
    }

    #[test]
    fn a_numbered_list_is_said_with_the_line_that_introduces_it() {
        let evidence = Evidence {
            sentences: vec![
                sentence(
                    0,
                    "What does a contact's profile show?",
                    "en",
                    [1.0, 0.0],
                    &[1],
                ),
                sentence(0, "The profile has three parts.", "en", [0.5, 0.5], &[]),
                sentence(
                    0,
                    "Left side: name, email and phone.",
                    "en",
                    [0.2, 0.8],
                    &[],
                ),
                sentence(0, "Middle - four tabs:", "en", [0.1, 0.9], &[]),
                sentence(0, "1. Activity", "en", [0.3, 0.7], &[]),
                sentence(
                    0,
                    "- every action of the last six months",
                    "en",
                    [0.9, 0.1],
                    &[1],
                ),
                sentence(0, "2. Notes", "en", [0.3, 0.7], &[]),
                sentence(0, "Right side: labels and lists.", "en", [0.2, 0.8], &[]),
            ],
            ..Evidence::default()
        };
        let terms: HashSet<u32> = [1].into();
        let chosen = said(&answer_of(&evidence, &[0], english(&terms), 90));
        assert_eq!(
            chosen,
            [1, 3, 4, 5, 6],
            "the lead-in of the numbered list, which says how many items it has, past the budget"
        );
    }

    #[test]
    fn a_numbered_list_is_said_with_the_bullet_that_introduces_it() {
        let evidence = Evidence {
            sentences: vec![
                sentence(0, "What does a profile show?", "en", [1.0, 0.0], &[1]),
                sentence(0, "- Left side: name and phone.", "en", [0.2, 0.8], &[]),
                sentence(0, "- Middle, four tabs:", "en", [0.1, 0.9], &[]),
                sentence(0, "1. Activity", "en", [0.3, 0.7], &[]),
                sentence(0, "- Includes:", "en", [0.1, 0.9], &[]),
                sentence(0, "- sent messages", "en", [0.3, 0.7], &[]),
                sentence(0, "2. Notes kept by the team", "en", [0.9, 0.1], &[1]),
            ],
            ..Evidence::default()
        };
        let terms: HashSet<u32> = [1].into();
        let chosen = said(&answer_of(&evidence, &[0], english(&terms), 60));
        assert_eq!(
            chosen,
            [1, 2, 6],
            "the bullet over the list, not the one introducing the first item's bullets"
        );
        let mut first_item_asked = evidence.clone();
        first_item_asked.sentences[3].terms = [1].into();
        first_item_asked.sentences[6].terms = HashSet::new();
        first_item_asked.sentences[3].vector = vec![0.9, 0.1];
        first_item_asked.sentences[6].vector = vec![0.3, 0.7];
        let chosen = said(&answer_of(&first_item_asked, &[0], english(&terms), 60));
        assert_eq!(
            chosen,
            [1, 2, 3, 5],
            "the first item, right under its bullet"
        );
    }

    #[test]
    fn a_lead_in_repeated_in_an_entry_is_said_where_the_item_hangs() {
        let evidence = Evidence {
            sentences: vec![
                sentence(0, "What do the plans include?", "en", [1.0, 0.0], &[1]),
                sentence(0, "Two plans.", "en", [0.5, 0.5], &[]),
                sentence(0, "Basic", "en", [0.1, 0.9], &[]),
                sentence(0, "Includes:", "en", [0.1, 0.9], &[]),
                sentence(0, "1. Email support", "en", [0.2, 0.8], &[]),
                sentence(0, "Pro", "en", [0.1, 0.9], &[]),
                sentence(0, "Includes:", "en", [0.1, 0.9], &[]),
                sentence(
                    0,
                    "1. Phone support around the clock",
                    "en",
                    [0.95, 0.05],
                    &[1],
                ),
            ],
            ..Evidence::default()
        };
        let terms: HashSet<u32> = [1].into();
        let chosen = said(&answer_of(&evidence, &[0], english(&terms), 64));
        assert_eq!(chosen, [1, 2, 3, 4, 6, 7], "each list with its own lead-in");
    }

    #[test]
    fn overlapping_pieces_of_an_entry_say_a_sentence_once() {
        let evidence = Evidence {
            sentences: vec![
                sentence(0, "Who can see tickets?", "en", [1.0, 0.0], &[1]),
                sentence(0, "Set access per team:", "en", [0.5, 0.5], &[]),
                sentence(0, "- who can create tickets?", "en", [0.9, 0.1], &[1]),
                sentence(1, "- who can create tickets?", "en", [0.9, 0.1], &[1]),
                sentence(1, "- who can see every ticket?", "en", [0.95, 0.05], &[1]),
            ],
            ..Evidence::default()
        };
        let terms: HashSet<u32> = [1].into();
        let chosen = said(&answer_of(&evidence, &[0, 1], english(&terms), 200));
        assert_eq!(chosen, [1, 2, 4]);
        let repeated_in_one_piece = Evidence {
            sentences: vec![
                sentence(0, "What support comes with a plan?", "en", [1.0, 0.0], &[1]),
                sentence(0, "Plans:", "en", [0.5, 0.5], &[]),
                sentence(0, "1. Starter", "en", [0.3, 0.7], &[]),
                sentence(0, "- Support: email", "en", [0.9, 0.1], &[1]),
                sentence(0, "2. Premium", "en", [0.3, 0.7], &[]),
                sentence(0, "- Support: email", "en", [0.9, 0.1], &[1]),
            ],
            ..Evidence::default()
        };
        let chosen = said(&answer_of(
            &repeated_in_one_piece,
            &[0],
            english(&terms),
            500,
        ));
        assert_eq!(chosen, [1, 2, 3, 4, 5], "each plan's line under it");
    }

    #[test]
    fn a_question_for_a_number_is_answered_with_the_line_that_holds_one() {
        let evidence = Evidence {
            sentences: vec![
                sentence(0, "What is priority support?", "en", [1.0, 0.0], &[1]),
                sentence(0, "Our highest level of support.", "en", [0.9, 0.1], &[1]),
                sentence(
                    0,
                    "- a dedicated escalation channel",
                    "en",
                    [0.85, 0.15],
                    &[],
                ),
                sentence(0, "- replies within 2-3 hours", "en", [0.82, 0.18], &[]),
            ],
            ..Evidence::default()
        };
        let terms: HashSet<u32> = [1].into();
        let answer = |wants_a_number| -> Vec<usize> {
            let asked = Asked {
                vector: &[1.0, 0.0],
                terms: &terms,
                language: Language::En,
                wants_a_number,
            };
            answer_of(&evidence, &[0], asked, 70)
                .iter()
                .map(|pick| pick.sentence)
                .collect()
        };
        assert_eq!(
            answer(false),
            [1, 2],
            "the budget holds one line of the list"
        );
        assert_eq!(
            answer(true),
            [1, 3],
            "asked how fast, the line with the hours"
        );
        assert!(
            !holds_a_number("2. Open the settings"),
            "an item's own number"
        );
        assert!(holds_a_number("٢. خلال ۳ أيام"));
    }

    #[test]
    fn an_entry_in_two_pieces_answers_from_its_first_whichever_ranked_first() {
        // Retrieval ranked the entry's second piece (passage 0) above its first (passage 1).
        let evidence = Evidence {
            sentences: vec![
                sentence(0, "For example:", "en", [0.6, 0.4], &[]),
                sentence(0, "- a price sheet answers prices", "en", [0.7, 0.3], &[4]),
                sentence(1, "Can I connect Google Sheets?", "en", [1.0, 0.0], &[1, 2]),
                sentence(
                    1,
                    "Yes, as knowledge for the AI agents.",
                    "en",
                    [0.8, 0.2],
                    &[1],
                ),
            ],
            ..Evidence::default()
        };
        let terms: HashSet<u32> = [1, 2].into();
        let asked = Asked {
            vector: &[1.0, 0.0],
            terms: &terms,
            language: Language::En,
            wants_a_number: false,
        };
        let answer: Vec<usize> = answer_of(&evidence, &[1, 0], asked, 200)
            .iter()
            .map(|pick| pick.sentence)
            .collect();
        assert_eq!(
            answer,
            [3, 0, 1],
            "the direct answer first, then the example"
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

    #[test]
    fn a_sign_that_opens_the_sentence_itself_stays() {
        // Markdown's marks are followed by a space; a phone number's plus, a negative number,
        // a rank and a comparison are the sentence's own.
        for own in [
            "+971 4 555 0100 is our WhatsApp number.",
            "-10% for members on Fridays.",
            "#1 roaster in Dubai.",
            ">50 orders a month ship free.",
            "*Terms apply.",
        ] {
            assert_eq!(readable(own), own);
            assert!(!is_list_item(own) && !is_heading(own), "{own}");
        }
        assert!(is_list_item("+ item") && is_list_item("•item") && is_list_item("-\titem"));
        assert!(is_list_item("1. اشتراك SleekFlow:") && is_list_item("12) Send it back."));
        assert_eq!(readable("2. Send it back."), "2. Send it back.");
        assert!(!is_list_item("2019. A good year."));
        assert!(is_heading("## Delivery") && is_heading("#"));
        assert_eq!(readable("> - quoted item"), "quoted item");
    }
}
