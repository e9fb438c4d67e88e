//! Text helpers the pipeline shares: the customer's language, matching forms, excerpts.

use std::borrow::Cow;

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

/// Whether `message` has a word to search knowledge with: two letters or more that are not a
/// link, a web or mail address (`https://…`, `www.…`, `shop.example.ae`, `…@…`). Numbers,
/// symbols and emoji are not words.
pub fn has_words(message: &str) -> bool {
    message
        .split_whitespace()
        .filter(|token| !is_address(token))
        .any(|token| token.chars().filter(|c| c.is_alphabetic()).nth(1).is_some())
}

/// Whether a whitespace-separated token is a link, a web or a mail address.
pub(crate) fn is_address(token: &str) -> bool {
    let dotted = token.as_bytes().windows(3).any(|around| {
        around[1] == b'.' && around[0].is_ascii_alphanumeric() && around[2].is_ascii_alphabetic()
    });
    token.contains("://")
        || token.contains('@')
        || token
            .get(..4)
            .is_some_and(|start| start.eq_ignore_ascii_case("www."))
        || dotted
}

/// A message as it would be typed plainly: without tatweel ("كـــم"), and in lower case when it
/// is shouted in capitals ("HOW MUCH IS THE PRO PLAN?"). The model reads those as other words:
/// over the FAQ suite, Arabic questions with stretched words found their fact 27 times of 55
/// against 34, English ones in capitals 4 of 37 against 15 (docs/calibration.md). Diacritics
/// stay: the tanween of "شهرياً" is how the model has mostly seen it.
pub fn as_plainly_typed(text: &str) -> Cow<'_, str> {
    const LEAST_SHOUTED_LETTERS: usize = 8;
    let stretched = |c: char| c == '\u{0640}';
    let (upper, latin) = text
        .chars()
        .filter(char::is_ascii_alphabetic)
        .fold((0, 0), |(upper, latin), c| {
            (upper + usize::from(c.is_ascii_uppercase()), latin + 1)
        });
    let shouted = latin >= LEAST_SHOUTED_LETTERS && upper * 10 >= latin * 9;
    if !shouted && !text.chars().any(stretched) {
        return Cow::Borrowed(text);
    }
    let plain: String = text.chars().filter(|&c| !stretched(c)).collect();
    Cow::Owned(if shouted { plain.to_lowercase() } else { plain })
}

/// An English message typed all in lower case as it is written: its first letter a capital,
/// and "i" ("i'm", "i've") the pronoun "I". The model reads a sentence's case: over the FAQ
/// suite, English questions typed in lower case without their marks found their fact 12 times
/// of 37 as typed, 15 with this, their marks and their names' capitals
/// ([`with_question_mark`], `names::in_their_capitals`; docs/calibration.md). A message with a
/// capital anywhere, or with letters of another script, is left as typed; so is a first word
/// that opens with a digit.
pub fn in_sentence_case(text: &str) -> Cow<'_, str> {
    let latin = text.chars().any(|c| c.is_ascii_lowercase());
    let lower = text
        .chars()
        .all(|c| !c.is_alphabetic() || c.is_ascii_lowercase());
    if !latin || !lower {
        return Cow::Borrowed(text);
    }
    let mut written: String = text
        .split(' ')
        .map(|word| {
            let pronoun = word == "i" || word.starts_with("i'") || word.starts_with("i’");
            if pronoun {
                format!("I{}", &word[1..])
            } else {
                word.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ");
    // A message opening with a number ("5 kg?", "٣ خطوات") keeps its first word as typed.
    if let Some(first) = written
        .find(char::is_alphanumeric)
        .filter(|&first| written.as_bytes()[first].is_ascii_alphabetic())
    {
        written[first..=first].make_ascii_uppercase();
    }
    if written == text {
        return Cow::Borrowed(text);
    }
    Cow::Owned(written)
}

/// Words an English question opens with. Verbs that also open a statement typed without its
/// "I" ("was charged twice", "can't log in", "have a question") are left out.
const ENGLISH_QUESTION_OPENERS: &[&str] = &[
    "what", "what's", "whats", "how", "where", "when", "why", "who", "whom", "which", "whose",
    "is", "are", "do", "does", "did", "can", "could", "will", "would", "should", "shall", "may",
    "might", "any",
];

/// Words an Arabic question opens with, in [`matching_form`]: the question words of standard
/// Arabic and of the dialects, and the verbs a question without "هل" opens with ("اقدر أربط…؟",
/// "عندكم…؟"). "ايه" is left out, and so are "ما" and "اي" before the words
/// [`is_arabic_question_opener`] names: in the dialects they also mean "not" and "yes".
const ARABIC_QUESTION_OPENERS: &[&str] = &[
    "هل",
    "كيف",
    "ما",
    "ماذا",
    "لماذا",
    "كم",
    "بكم",
    "متي",
    "اين",
    "اي",
    "باي",
    "لاي",
    "ازاي",
    "شلون",
    "اشلون",
    "شو",
    "وش",
    "ايش",
    "شنو",
    "ليش",
    "ليه",
    "كام",
    "بكام",
    "قديش",
    "شقد",
    "امتي",
    "ايمتي",
    "وين",
    "فين",
    "مين",
    "منين",
    "استطيع",
    "نستطيع",
    "اقدر",
    "نقدر",
    "ينفع",
    "يمكن",
    "يمكنني",
    "يمكنك",
    "ممكن",
    "عندكم",
    "لديكم",
];

/// Question words that ask from a message's second word too ("وفي أي مجالات", "and which
/// plan"), except after "I have" ("عندي كم سؤال": a few questions).
const QUESTION_WORDS_INSIDE: &[&str] = &[
    "what",
    "how",
    "where",
    "when",
    "why",
    "which",
    "هل",
    "كيف",
    "ماذا",
    "لماذا",
    "كم",
    "متي",
    "اين",
    "اي",
];

/// Question words the dialects put last ("الاشتراك بكام", "الفرع فين").
const QUESTION_WORDS_LAST: &[&str] = &[
    "بكم", "بكام", "كم", "كام", "فين", "وين", "اين", "امتي", "متي", "ليه", "ليش", "ازاي", "كيف",
    "شلون", "وش", "ايش", "شو", "شنو", "قديش",
];

/// Whether `word` (in [`matching_form`]) opens an Arabic question given the word after it:
/// "ما" asks before a pronoun or a definite noun ("ما هو", "ما الفرق") and otherwise mostly
/// negates ("ما وصلني الكود"); "اي" asks unless a statement follows it ("اي ابي اشترك": yes).
fn is_arabic_question_opener(word: &str, next: Option<&str>) -> bool {
    const YES_FOLLOWED_BY: &[&str] = &[
        "ابي",
        "ابغي",
        "ابغا",
        "نعم",
        "صح",
        "اكيد",
        "والله",
        "طيب",
        "تمام",
    ];
    match word {
        "ما" => next.is_some_and(|next| {
            ["هو", "هي", "هم", "اسم"].contains(&next) || next.starts_with("ال")
        }),
        "اي" => next.is_none_or(|next| !YES_FOLLOWED_BY.contains(&next)),
        _ => ARABIC_QUESTION_OPENERS.contains(&word),
    }
}

/// A question as it is written in full, with the question mark a customer on a phone leaves
/// out ("how can i export my contacts", "هل تدعمون سناب شات", "الاشتراك بكام"): a message
/// that does not end with a mark, a full stop, an exclamation or a smiley, and whose last
/// sentence opens with a question word, or ends with one a dialect puts last. The model reads a
/// question without its mark as another sentence, and the confidence bounds were set on
/// questions with it: over the FAQ suite, without their marks, English questions found their
/// fact 12 times of 37 against 15, and 7 of 12 unanswerable Arabic ones were declined against
/// 10 (docs/calibration.md).
pub fn with_question_mark(query: &str) -> Cow<'_, str> {
    let trimmed = query.trim_end();
    let last_token = trimmed.split_whitespace().last().unwrap_or("");
    let smiley = last_token.starts_with([':', ';', '=']) && last_token.chars().count() <= 3;
    // A closing parenthesis ends a message only when it closes one ("(اكس)"), not a smiley.
    let open = trimmed.ends_with(')') && trimmed.contains('(');
    let ended = trimmed
        .chars()
        .last()
        .is_none_or(|last| !last.is_alphanumeric() && !open);
    if ended || smiley {
        return Cow::Borrowed(query);
    }
    let last_sentence = last_sentence(trimmed);
    let form = matching_form(&last_sentence.replace('’', "'"));
    let words: Vec<&str> = form
        .split_whitespace()
        .map(|word| word.trim_matches(|c: char| !c.is_alphanumeric() && c != '\''))
        .filter(|word| !word.is_empty())
        .collect();
    // "وكيف", "فهل": the conjunction joined to the question word; "واي فاي" is Wi-Fi.
    fn forms(word: &str) -> impl Iterator<Item = &str> {
        let unjoined = ["و", "ف"]
            .iter()
            .find_map(|conjunction| word.strip_prefix(conjunction))
            .filter(|rest| rest.chars().count() >= 2 && *rest != "اي");
        std::iter::once(word).chain(unjoined)
    }
    let opens = words.first().is_some_and(|&first| {
        forms(first).any(|form| {
            ENGLISH_QUESTION_OPENERS.contains(&form)
                || is_arabic_question_opener(form, words.get(1).copied())
        })
    });
    let asks_second = words.get(1).is_some_and(|&second| {
        let after_i_have = ["عندي", "لدي", "عندنا", "لدينا"].contains(&words[0]);
        !after_i_have && forms(second).any(|form| QUESTION_WORDS_INSIDE.contains(&form))
    });
    let asks_last = words.len() >= 2
        && words
            .last()
            .is_some_and(|last| QUESTION_WORDS_LAST.contains(last));
    if !(opens || asks_second || asks_last) {
        return Cow::Borrowed(query);
    }
    let arabic = last_sentence
        .chars()
        .any(|c| is_arabic_letter(c) && c.is_alphabetic());
    let mark = if arabic { '؟' } else { '?' };
    Cow::Owned(format!("{trimmed}{mark}"))
}

/// The text after the last end of a sentence in `text`: a question mark, an exclamation, a
/// line break, or a full stop before a space (not the one of "1.5 kg" or "sleekflow.io").
fn last_sentence(text: &str) -> &str {
    let mut start = 0;
    let mut characters = text.char_indices().peekable();
    while let Some((at, character)) = characters.next() {
        let next = characters.peek().map(|&(_, next)| next);
        let ends = matches!(character, '?' | '؟' | '!' | '\n')
            || (character == '.' && next.is_some_and(char::is_whitespace));
        if ends {
            start = at + character.len_utf8();
        }
    }
    &text[start..]
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

/// Whether `message` asks how many, how much or how long: its answer is a number, which the
/// sentences that hold one give ("الدعم بيرد في قد ايه؟", "How long do I have to reply?").
pub fn asks_for_a_number(message: &str) -> bool {
    const ARABIC: [&str; 6] = ["كم", "كام", "قديش", "شقد", "اديش", "قداش"];
    const ARABIC_BEFORE_WHAT: [&str; 2] = ["قد", "اد"];
    const ENGLISH_AFTER_HOW: [&str; 7] =
        ["many", "much", "long", "fast", "soon", "often", "quickly"];
    let form = matching_form(message);
    let words: Vec<&str> = form
        .split(|character: char| !character.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .collect();
    let asks_how_many = |word: &&str| {
        let bare = word.strip_prefix(['و', 'ف', 'ب']).unwrap_or(word);
        ARABIC.contains(word) || ARABIC.contains(&bare)
    };
    words.iter().any(asks_how_many)
        || words.windows(2).any(|pair| {
            // "قد ماذا" is how the colloquial rewrite (`crate::colloquial`) spells it in a
            // retrieval query.
            (ARABIC_BEFORE_WHAT.contains(&pair[0]) && matches!(pair[1], "ايه" | "ماذا"))
                || (pair[0] == "how" && ENGLISH_AFTER_HOW.contains(&pair[1]))
        })
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
pub(crate) const JOINED_PREFIXES: &[&str] = &[
    "وبال", "وال", "بال", "فال", "كال", "ولل", "لل", "ال", "ب", "و", "ل", "ف", "ك",
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

/// A replacement with the prefix the word it replaces carried ("البرودكاست" is "البث"). The
/// article a prefix carries is left out before a replacement that is definite already or of
/// two words, an idafa ("الcontacts" is "جهات الاتصال"), and "ل" before the article takes its
/// alef ("للlive chat" is "للدردشة المباشرة", "للكونتاكتس" "لجهات الاتصال").
pub(crate) fn with_prefix(prefix: &str, replacement: &str) -> String {
    let (particles, article) = particles_and_article(prefix);
    let definite = replacement.starts_with("ال") || replacement.contains(' ');
    if article && !definite {
        joined(particles, &format!("ال{replacement}"))
    } else {
        joined(particles, replacement)
    }
}

/// A joined prefix as its particles and whether the article ends it: "وال" is "و" and the
/// article, "لل" is "ل" and the article, "ب" is "ب" alone.
pub(crate) fn particles_and_article(prefix: &str) -> (&str, bool) {
    match prefix.strip_suffix("لل") {
        Some(_) => (&prefix[..prefix.len() - "ل".len()], true),
        None => match prefix.strip_suffix("ال") {
            Some(particles) => (particles, true),
            None => (prefix, false),
        },
    }
}

/// Particles before a word, "ل" before the article taking its alef ("ل" and "الدردشة" are
/// "للدردشة").
fn joined(particles: &str, word: &str) -> String {
    match word.strip_prefix('ا') {
        Some(rest) if particles.ends_with('ل') && word.starts_with("ال") => {
            format!("{particles}{rest}")
        }
        _ => format!("{particles}{word}"),
    }
}

pub(crate) fn is_arabic_letter(character: char) -> bool {
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
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// Whatever a customer writes: in sentence case, only letters' case changes.
        #[test]
        fn sentence_case_changes_nothing_but_case(text in "[a-z ٣²'’?.!,0-9]{0,40}") {
            let written = in_sentence_case(&text);
            prop_assert_eq!(written.to_lowercase(), text.to_lowercase());
        }

        /// Whatever a customer writes: a question mark is added at the end, or nothing.
        #[test]
        fn a_question_mark_is_all_that_is_added(text in "[a-zهلكيفمتى ٣'?؟.!,0-9]{0,40}") {
            let written = with_question_mark(&text);
            if written != text {
                let (latin, arabic) = (format!("{}?", text.trim_end()), format!("{}؟", text.trim_end()));
                prop_assert!(written == latin || written == arabic, "{:?} -> {:?}", text, written);
            }
        }

        /// Whatever a customer writes: only tatweel goes, and letters change case only.
        #[test]
        fn reading_as_typed_plainly_changes_nothing_but_tatweel_and_case(
            text in "[a-zA-Zكمسعرالخطة \u{0640}?؟!É]{0,60}",
        ) {
            let plain = as_plainly_typed(&text);
            let stretched = plain.contains('\u{0640}');
            prop_assert!(!stretched);
            prop_assert_eq!(plain.to_lowercase(), text.replace('\u{0640}', "").to_lowercase());
            prop_assert_eq!(as_plainly_typed(&plain), plain.clone());
        }
    }

    #[test]
    fn a_question_for_a_number_is_told_from_others() {
        for asked in [
            "الدعم ذو الاولوية بيرد في قد ايه؟",
            "الدعم ذو الاولوية بيرد في قد ماذا؟",
            "بكم الخطه البريميوم؟",
            "الويتشات بيتكلف كام في السنة؟",
            "How long do I have to answer an Instagram DM?",
            "how many channels can I connect",
        ] {
            assert!(asks_for_a_number(asked), "{asked}");
        }
        for asked in [
            "كما قلت، كيف أستورد قائمة عملائي؟",
            "ايه هو دعم الأولوية؟",
            "How do I export my contacts?",
            "Do you support Viber?",
        ] {
            assert!(!asks_for_a_number(asked), "{asked}");
        }
    }

    #[test]
    fn a_stretched_or_shouted_message_reads_as_typed_plainly() {
        assert_eq!(as_plainly_typed("كـــم سعـر الخطـة؟"), "كم سعر الخطة؟");
        assert_eq!(
            as_plainly_typed("HOW MUCH IS THE PRO PLAN?"),
            "how much is the pro plan?"
        );
        for plain in [
            "How much is the Pro plan?",
            "Do you support SMS, API and CRM?",
            "كم سعر الخطة؟",
            "كم جهة اتصال تسمح بها الخطة شهرياً؟",
            "OK?",
        ] {
            assert!(
                matches!(as_plainly_typed(plain), Cow::Borrowed(_)),
                "{plain}"
            );
        }
    }

    #[test]
    fn a_message_typed_in_lower_case_reads_as_a_sentence_is_written() {
        assert_eq!(
            in_sentence_case("can i connect wechat? i'm new"),
            "Can I connect wechat? I'm new"
        );
        assert_eq!(
            in_sentence_case("...ok so is it free"),
            "...Ok so is it free"
        );
        for left in [
            "Can i connect wechat?",
            "how do I pay",
            "كيف اربط wechat",
            "5 kg?",
            "٣ kg?",
            "",
        ] {
            assert!(matches!(in_sentence_case(left), Cow::Borrowed(_)), "{left}");
        }
    }

    #[test]
    fn a_question_typed_without_its_mark_gets_it() {
        for (typed, written) in [
            (
                "how can i export my contacts",
                "how can i export my contacts?",
            ),
            ("Any rules for broadcasts", "Any rules for broadcasts?"),
            ("هل تدعمون تطبيق سناب شات", "هل تدعمون تطبيق سناب شات؟"),
            (
                "اقدر اربط رسايل تويتر (اكس)",
                "اقدر اربط رسايل تويتر (اكس)؟",
            ),
            ("وش القنوات اللي تدعمونها", "وش القنوات اللي تدعمونها؟"),
            (
                "كم شركة تستخدم منصتكم؟ وفي أي مجالات",
                "كم شركة تستخدم منصتكم؟ وفي أي مجالات؟",
            ),
            ("وكيف أصدرها ", "وكيف أصدرها؟"),
            ("وهل يشمل الدعم", "وهل يشمل الدعم؟"),
            ("الاشتراك بكام", "الاشتراك بكام؟"),
            ("ما هو الفرق بين الخطط", "ما هو الفرق بين الخطط؟"),
            ("اي خطة تناسبني", "اي خطة تناسبني؟"),
            ("what’s the price", "what’s the price?"),
            ("is 1.5 kg allowed", "is 1.5 kg allowed?"),
            (
                "how do i log in to sleekflow.io",
                "how do i log in to sleekflow.io?",
            ),
            ("can i add ٣ agents", "can i add ٣ agents?"),
        ] {
            assert_eq!(with_question_mark(typed), written);
        }
        for left in [
            "how can i export my contacts?",
            "كيف أصدرها؟",
            "I want to export my contacts",
            "أريد تصدير جهات الاتصال",
            "ايه ابي اشترك",
            "اي ابي اشترك",
            "ما وصلني الكود",
            "وما اقدر ادخل",
            "عندي كم سؤال عن الخطط",
            "واي فاي ما يشتغل",
            "can't login to my account",
            "was charged twice",
            "how much is it :)",
            "is it free :D",
            "How nice.",
            "delivery to Dubai",
            "",
        ] {
            assert!(
                matches!(with_question_mark(left), Cow::Borrowed(_)),
                "{left}"
            );
        }
    }

    #[test]
    fn links_addresses_and_numbers_are_not_words() {
        for message in [
            "www.mysite.ae",
            "https://example.com/a-b",
            "shop.example.ae/cart",
            "sara@example.com",
            "+971 50 123 4567 ✅",
            "#2",
            "? ؟ !",
            "",
        ] {
            assert!(!has_words(message), "{message}");
        }
        for message in [
            "كم السعر؟",
            "my site is www.mysite.ae",
            "is sleekflow.io down?",
            "5kg",
            "ok",
            "我想取消订单",
        ] {
            assert!(has_words(message), "{message}");
        }
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
