//! Text helpers the pipeline shares: the customer's language, sentences, matching forms.

use knowledge::lexical::normalise_arabic;

/// The languages the agent's own fixed messages are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    Ar,
    En,
}

impl Language {
    /// Arabic for "ar", English for any other language: what the canned messages (refusals,
    /// handoff notices) are chosen by. Replies from knowledge or a model follow the customer's
    /// language whatever it is.
    pub fn from_code(code: &str) -> Self {
        if code == "ar" {
            Language::Ar
        } else {
            Language::En
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Language::Ar => "ar",
            Language::En => "en",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Language::Ar => "Arabic",
            Language::En => "English",
        }
    }
}

/// The form phrases are matched in: lower case, Arabic diacritics and tatweel removed and
/// letter variants unified, Arabic-Indic digits as ASCII, runs of spaces as one.
pub fn matching_form(text: &str) -> String {
    let unified: String = normalise_arabic(&text.to_lowercase())
        .chars()
        .map(|character| match character {
            '٠'..='٩' => char::from(b'0' + (character as u32 - '٠' as u32) as u8),
            '۰'..='۹' => char::from(b'0' + (character as u32 - '۰' as u32) as u8),
            '،' | '؛' => ',',
            '؟' => '?',
            other => other,
        })
        .collect();
    unified.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Splits text into sentences at ., !, ?, their Arabic forms, blank lines, and line breaks
/// around a heading or before a list item, keeping the punctuation. In hard-wrapped text a single
/// line break inside a paragraph is a space; in text written a line per statement (an FAQ
/// pasted as text) every line ends one. Decimal points and abbreviations like "e.g." stay inside
/// their sentence because a sentence only ends where whitespace follows.
pub fn sentences(text: &str) -> Vec<String> {
    let wrapped = is_hard_wrapped(text);
    let mut found = Vec::new();
    let mut current = String::new();
    let mut characters = text.chars().peekable();
    while let Some(character) = characters.next() {
        if character == '\n' {
            let rest: String = characters.clone().take(3).collect();
            let next_line = rest.trim_start_matches([' ', '\t']);
            let heading = current.trim_start().starts_with('#');
            if !wrapped
                || heading
                || next_line.starts_with(['\n', '-', '*', '•', '#', '|'])
                || next_line.is_empty()
            {
                push_sentence(&mut found, &mut current);
            } else {
                current.push(' ');
            }
            continue;
        }
        current.push(character);
        let ends = matches!(character, '.' | '!' | '?' | '؟' | '۔' | '…');
        if ends && characters.peek().is_none_or(|next| next.is_whitespace()) {
            push_sentence(&mut found, &mut current);
        }
    }
    push_sentence(&mut found, &mut current);
    found
}

/// Whether the text's paragraphs were wrapped at a fixed width: its lines (list items and
/// headings aside) mostly fill a width of 50 to 100 characters and none runs far past it. A
/// text written a line per statement has lines of every length.
fn is_hard_wrapped(text: &str) -> bool {
    let mut lengths: Vec<usize> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with(['-', '*', '•', '#', '|']))
        .map(|line| line.chars().count())
        .collect();
    if lengths.len() < 2 {
        return true;
    }
    lengths.sort_unstable();
    let median = lengths[lengths.len() / 2];
    (50..=100).contains(&median) && lengths[lengths.len() - 1] <= 110
}

fn push_sentence(found: &mut Vec<String>, current: &mut String) {
    let sentence = current.split_whitespace().collect::<Vec<_>>().join(" ");
    if sentence.chars().any(char::is_alphanumeric) {
        found.push(sentence);
    }
    current.clear();
}

/// Whether `keyword` occurs in `text` as a word (both in [`matching_form`]). English words may
/// take a plural ending; Arabic words their attached particles before (و، ف، ب، ل، ك، ال and
/// their combinations) and up to three letters of pronoun or plural ending after.
pub fn contains_term(text: &str, keyword: &str) -> bool {
    if keyword.is_empty() {
        return false;
    }
    let arabic = keyword.chars().any(is_arabic_letter);
    // A final taa marbuta (ه once normalised) is written ت before an ending: فاتوره, فاتورتي.
    if arabic
        && let Some(stem) = keyword.strip_suffix('ه')
        && contains_word(text, &format!("{stem}ت"), true)
    {
        return true;
    }
    contains_word(text, keyword, arabic)
}

fn contains_word(text: &str, keyword: &str, arabic: bool) -> bool {
    text.match_indices(keyword).any(|(start, _)| {
        let before = text[..start]
            .chars()
            .rev()
            .take_while(|c| c.is_alphanumeric());
        let after = text[start + keyword.len()..]
            .chars()
            .take_while(|c| c.is_alphanumeric());
        let (prefix, suffix): (String, String) = (before.collect(), after.collect());
        if arabic {
            // `before` was read backwards.
            let prefix: String = prefix.chars().rev().collect();
            ARABIC_PREFIXES.contains(&prefix.as_str()) && suffix.chars().count() <= 3
        } else {
            prefix.is_empty() && matches!(suffix.as_str(), "" | "s" | "es")
        }
    })
}

const ARABIC_PREFIXES: &[&str] = &[
    "", "و", "ف", "ب", "ل", "ك", "س", "ال", "وال", "فال", "بال", "كال", "لل", "ول", "وب", "فب",
    "ولل", "وبال", "فبال", "وس",
];

/// The article and the one-letter prefixes that join an Arabic word, longest first.
const JOINED_PREFIXES: &[&str] = &[
    "وال", "بال", "فال", "كال", "لل", "ال", "ب", "و", "ل", "ف", "ك",
];

/// An Arabic word as written, then without each of [`JOINED_PREFIXES`] it carries, where three
/// letters or more remain ("البرودكاست" is also "برودكاست").
pub(crate) fn without_prefixes(word: &str) -> Vec<&str> {
    let mut forms = vec![word];
    for prefix in JOINED_PREFIXES {
        if let Some(rest) = word.strip_prefix(prefix)
            && rest.chars().count() >= 3
        {
            forms.push(rest);
        }
    }
    forms
}

fn is_arabic_letter(character: char) -> bool {
    matches!(character as u32, 0x0600..=0x06FF)
}

/// The phrase patterns a module matches the matching form against, compiled once.
pub(crate) fn compile_all(sources: &[&str]) -> Vec<regex::Regex> {
    sources
        .iter()
        .map(|source| regex::Regex::new(source).expect("the built-in patterns compile"))
        .collect()
}

/// Cuts text to at most `limit` characters at a word boundary, marking the cut.
pub fn excerpt(text: &str, limit: usize) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= limit {
        return flat;
    }
    let cut: String = flat.chars().take(limit).collect();
    let end = cut.rfind(' ').unwrap_or(cut.len());
    format!("{}…", &cut[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_split_in_both_scripts_but_not_inside_numbers() {
        assert_eq!(
            sentences("The plan costs 12.50 dollars. Is that fine?\n\nYes"),
            ["The plan costs 12.50 dollars.", "Is that fine?", "Yes"]
        );
        assert_eq!(
            sentences(
                "Delivery takes one day inside Amman and two days to the rest of\nthe country, and it costs 2 JOD for every order placed before noon.\n- Free over 30 JOD\n- Tracked"
            ),
            [
                "Delivery takes one day inside Amman and two days to the rest of the country, and it costs 2 JOD for every order placed before noon.",
                "- Free over 30 JOD",
                "- Tracked"
            ]
        );
        assert_eq!(
            sentences(
                "كيف تعمل:\nتنشئ قالبا بمحتوى رسالتك\nمراجعة وموافقة ميتا\nترسله للعملاء في أي وقت"
            ),
            [
                "كيف تعمل:",
                "تنشئ قالبا بمحتوى رسالتك",
                "مراجعة وموافقة ميتا",
                "ترسله للعملاء في أي وقت"
            ],
            "a line per statement"
        );
        assert_eq!(
            sentences("## Delivery\nWe ship daily."),
            ["## Delivery", "We ship daily."]
        );
        assert_eq!(
            sentences("يصل الطلب خلال يومين. هل تريد التتبع؟ شكرا"),
            ["يصل الطلب خلال يومين.", "هل تريد التتبع؟", "شكرا"]
        );
        assert!(sentences(" . \n ! ").is_empty());
    }

    #[test]
    fn matching_form_unifies_spellings_and_digits() {
        assert_eq!(matching_form("أُريدُ   التحدّث"), matching_form("اريد التحدث"));
        assert_eq!(matching_form("رقم ٠٥٠١٢٣"), "رقم 050123");
        assert_eq!(matching_form("Talk To A HUMAN"), "talk to a human");
    }

    #[test]
    fn terms_match_whole_words_with_their_endings() {
        assert!(contains_term("any refunds for this?", "refund"));
        assert!(!contains_term("refundable deposit", "refund"));
        assert!(!contains_term("apolitical", "politics"));
        let text = matching_form("وبالسياسة الخارجية");
        assert!(contains_term(&text, &matching_form("سياسة")));
        assert!(
            !contains_term("منصب المدير", "نصب"),
            "a letter of another word"
        );
        assert!(contains_term(
            &matching_form("أين فاتورتي؟"),
            &matching_form("فاتورة")
        ));
        assert!(contains_term("talk about crypto coins", "crypto coin"));
    }

    #[test]
    fn excerpts_cut_at_a_word() {
        assert_eq!(excerpt("one two three four", 9), "one two…");
    }
}
