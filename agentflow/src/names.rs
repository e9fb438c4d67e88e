//! Names a question uses that the knowledge found for it never mentions.
//!
//! A customer who asks about a product, a platform or a place by name ("Can I reply to TikTok
//! messages?") asks about that thing. When none of the passages retrieval found mentions it,
//! in either script, the knowledge does not answer, however close the rest of the question is
//! to one of its entries: e5 puts "TikTok messages" near the entry about SMS. The knowledge
//! may write the name in the other script (Instagram / إنستغرام), so names are also compared
//! by their consonants, which survive transliteration: "Instagram" and "إنستغرام" both read
//! n-s-t-g-r-m.
//!
//! The other way round, a customer often writes in Arabic script a name the knowledge writes
//! in Latin letters ("سليك فلو" for SleekFlow, "هب سبوت" for HubSpot). e5 reads the two
//! spellings as different words, and such a question scores lower against the very entry that
//! answers it; [`respelled`] finds those names so the question can carry both spellings. It
//! also finds loanwords the knowledge writes in Arabic with another letter for g: Gulf writers
//! use ق ("انستقرام", "تيليقرام") where an FAQ writes غ or ج ("إنستغرام", "تيليجرام").

use std::collections::{HashMap, HashSet};

use knowledge::lexical::normalise_arabic;

use crate::text::without_prefixes;

/// Shorter consonant outlines match too much by chance to judge by.
const MIN_OUTLINE: usize = 3;

/// A name is respelled from four consonants: three are an Arabic root's, and over the ARCD
/// questions words like "ثلاثي" (s-l-s, as SLAs) and "جمل" (g-m-l, as Gmail) matched by chance.
const MIN_RESPELLED_OUTLINE: usize = 4;

/// A word is read as another spelling of a knowledge's word for g from six letters: over the
/// ARCD questions, with the whole FAQ standing for the passages, five-letter words matched by
/// chance ("الجسم" as "القسم"), six-letter ones did not.
const MIN_G_VARIANT_LETTERS: usize = 6;

/// The names in `question` that none of `passages` mentions, in Latin letters or by their
/// consonants in Arabic script, each once.
pub fn unmentioned<'q>(question: &'q str, passages: &[&str]) -> Vec<&'q str> {
    let names = names(question);
    if names.is_empty() {
        return Vec::new();
    }
    let mentioned = Mentioned::in_texts(passages);
    let mut found: Vec<&str> = Vec::new();
    for name in names {
        if !found.contains(&name) && !mentioned.holds(name) {
            found.push(name);
        }
    }
    found
}

/// The names `question` writes in Arabic script that `passages` write in Latin letters, in
/// the passages' spelling, each once: an Arabic word, or two ("فلو بيلدر"), with or without a
/// joined prefix ("بسليك فلو"), whose consonants are those of a capitalised Latin word or pair
/// of words in the passages. A word the passages themselves write in Arabic is a word of the
/// language, not a transliterated name, and is left alone. Also the passages' Arabic spelling
/// of a word the question writes with another letter for g ("انستقرام" as "إنستغرام").
pub fn respelled(question: &str, passages: &[&str]) -> Vec<String> {
    let words: Vec<&str> = question
        .split(|character: char| !character.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .collect();
    if !words.iter().any(|word| !word.is_ascii()) {
        return Vec::new();
    }
    let Spellings {
        latin,
        arabic,
        g_variants,
    } = spellings(passages);
    let mut found: Vec<String> = Vec::new();
    let mut index = 0;
    while index < words.len() {
        let word = words[index];
        let next = words.get(index + 1).filter(|next| !next.is_ascii());
        let mut matched = None;
        if !word.is_ascii() {
            for bare in without_prefixes(word) {
                if arabic.contains(&normalise_arabic(bare)) {
                    continue;
                }
                // Two words first: "فلو بيلدر" is Flow Builder, not just Builder.
                let pair = next
                    .filter(|next| !arabic.contains(&normalise_arabic(next)))
                    .and_then(|next| latin.get(&arabic_outline(&format!("{bare}{next}"))))
                    .filter(|name| begin_alike(bare, name));
                if let Some(name) = pair {
                    matched = Some((name, 2));
                    break;
                }
                let single = latin
                    .get(&arabic_outline(bare))
                    .filter(|name| begin_alike(bare, name));
                if let Some(name) = single {
                    matched = Some((name, 1));
                    break;
                }
                let variant = Some(bare)
                    .filter(|bare| bare.chars().count() >= MIN_G_VARIANT_LETTERS)
                    .and_then(|bare| g_variants.get(&one_g(&normalise_arabic(bare))));
                if let Some(spelling) = variant {
                    matched = Some((spelling, 1));
                    break;
                }
            }
        }
        match matched {
            Some((name, taken)) => {
                if !found.contains(name) {
                    found.push(name.clone());
                }
                index += taken;
            }
            None => index += 1,
        }
    }
    found
}

/// How the passages write things.
struct Spellings {
    /// Latin names by their consonant outlines (capitalised words, alone and in pairs:
    /// "SleekFlow", "Flow Builder").
    latin: HashMap<String, String>,
    /// The Arabic words, without their prefixes and with their letters' forms unified
    /// ("إجمالي" is "اجمالي").
    arabic: HashSet<String>,
    /// The Arabic words of six letters or more as written, by their form with one letter for g
    /// ([`one_g`]).
    g_variants: HashMap<String, String>,
}

/// `question` with the words it types in lower case ("whatsapp", "wechat", "sms"; also
/// "Sleekflow" where the question starts) in the capitals `passages` write them in
/// ("WhatsApp", "WeChat", "SMS", "SleekFlow"), or `None` when it has none. e5 reads a name's case: typed all in lower case, a name is another word, and over
/// the FAQ suite English questions typed so found their fact less often. A word the passages
/// also write in lower case is a word of the language, and one capitalised only where a
/// sentence starts ("Delivery takes…") may be one: both are left alone.
pub fn in_their_capitals(question: &str, passages: &[&str]) -> Option<String> {
    const MIN_LETTERS: usize = 3;
    let lower_case = |word: &str| {
        word.len() >= MIN_LETTERS
            && word
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            && word.starts_with(|c: char| c.is_ascii_lowercase())
    };
    // A word capitalised where the question starts ("Sleekflow pricing?") was typed in lower
    // case too, and written in sentence case.
    let sentence_cased = |word: &str| {
        let mut letters = word.chars();
        letters.next().is_some_and(|c| c.is_ascii_uppercase()) && lower_case(letters.as_str())
    };
    let asked: Vec<(usize, &str)> = latin_words(question)
        .into_iter()
        .filter(|&(_, word, inside)| lower_case(word) || (!inside && sentence_cased(word)))
        .map(|(at, word, _)| (at, word))
        .collect();
    if asked.is_empty() {
        return None;
    }
    // How often the passages write each word asked in each capitalised spelling inside a
    // sentence ("WhatsApp" more often than "Whatsapp"), and which they write in lower case.
    let mut spellings: HashMap<&str, HashMap<&str, usize>> = HashMap::new();
    let mut in_lower_case: HashSet<&str> = HashSet::new();
    for passage in passages {
        for (_, word, inside) in latin_words(passage) {
            let Some(&(_, asked)) = asked
                .iter()
                .find(|(_, asked)| word.eq_ignore_ascii_case(asked))
            else {
                continue;
            };
            if !word.chars().any(|c| c.is_ascii_uppercase()) {
                in_lower_case.insert(asked);
            } else if inside {
                *spellings.entry(asked).or_default().entry(word).or_default() += 1;
            }
        }
    }
    let mut written = String::with_capacity(question.len());
    let mut last = 0;
    for (at, word) in asked {
        let most_written = spellings
            .get(word)
            .filter(|_| !in_lower_case.contains(word))
            .and_then(|counted| {
                counted
                    .iter()
                    .max_by_key(|&(spelling, count)| (count, std::cmp::Reverse(*spelling)))
            });
        if let Some((spelling, _)) = most_written.filter(|(spelling, _)| *spelling != &word) {
            written.push_str(&question[last..at]);
            written.push_str(spelling);
            last = at + word.len();
        }
    }
    if last == 0 {
        return None;
    }
    written.push_str(&question[last..]);
    Some(written)
}

/// The words of `text` written in Latin letters and digits alone, each at its byte offset and
/// with whether it stands inside a sentence: after a letter, a digit, a comma, a parenthesis
/// or a slash on its line, not where a sentence, a line or an item starts, and not on an
/// English line written in title case ("How Do I Export Contacts?"), where every word is
/// capitalised. A word
/// joined to letters of another script ("الwhatsapp") is not one.
fn latin_words(text: &str) -> Vec<(usize, &str, bool)> {
    const TITLE_CASE_WORDS: usize = 3;
    let mut found = Vec::new();
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        let words = latin_words_of_line(line);
        let capitalised = words
            .iter()
            .filter(|(_, word, _)| word.starts_with(|c: char| c.is_ascii_uppercase()))
            .count();
        // Latin words inside Arabic text are names, capitalised or not: only an English line
        // can be in title case.
        let english = !line.chars().any(|c| c.is_alphabetic() && !c.is_ascii());
        let title_case =
            english && words.len() >= TITLE_CASE_WORDS && capitalised * 5 >= words.len() * 3;
        found.extend(
            words
                .into_iter()
                .map(|(at, word, inside)| (line_start + at, word, inside && !title_case)),
        );
        line_start += line.len();
    }
    found
}

/// [`latin_words`] on one line.
fn latin_words_of_line(line: &str) -> Vec<(usize, &str, bool)> {
    let mut found = Vec::new();
    // The last character that is not a space, and the last character, before the word.
    let (mut written, mut adjacent): (Option<char>, Option<char>) = (None, None);
    let mut word: Option<(usize, Option<char>, Option<char>)> = None;
    for (at, character) in line
        .char_indices()
        .chain(std::iter::once((line.len(), ' ')))
    {
        if character.is_ascii_alphanumeric() {
            word.get_or_insert((at, written, adjacent));
        } else if let Some((start, before, next_to)) = word.take() {
            let joined = next_to.is_some_and(char::is_alphabetic) || character.is_alphabetic();
            let inside = before.is_some_and(|before| {
                before.is_alphanumeric() || matches!(before, ',' | '،' | '(' | '/')
            });
            if !joined {
                found.push((start, &line[start..at], inside));
            }
        }
        if !character.is_whitespace() {
            written = Some(character);
        }
        adjacent = Some(character);
    }
    found
}

/// An Arabic word (in its unified form) with ق, ج and گ written غ: the letters Arabic writers
/// use for the g of a loanword.
fn one_g(word: &str) -> String {
    word.chars()
        .map(|character| match character {
            'ق' | 'ج' | 'گ' => 'غ',
            other => other,
        })
        .collect()
}

fn spellings(passages: &[&str]) -> Spellings {
    let mut latin = HashMap::new();
    let mut arabic = HashSet::new();
    let mut g_variants = HashMap::new();
    for text in passages {
        let mut previous: Option<&str> = None;
        for word in text.split(|character: char| !character.is_alphanumeric()) {
            if word.is_empty() {
                continue;
            }
            if !word.is_ascii() {
                for bare in without_prefixes(word) {
                    let unified = normalise_arabic(bare);
                    if bare.chars().count() >= MIN_G_VARIANT_LETTERS {
                        g_variants
                            .entry(one_g(&unified))
                            .or_insert_with(|| bare.to_string());
                    }
                    arabic.insert(unified);
                }
                previous = None;
                continue;
            }
            let capitalised = word.starts_with(|character: char| character.is_ascii_uppercase())
                && word.chars().any(|character| character.is_ascii_lowercase());
            if !capitalised {
                previous = None;
                continue;
            }
            let mut add = |name: String| {
                let outline = latin_outline(&name.to_ascii_lowercase().replace(' ', ""));
                if outline.chars().count() >= MIN_RESPELLED_OUTLINE {
                    latin.entry(outline).or_insert(name);
                }
            };
            add(word.to_string());
            if let Some(previous) = previous {
                add(format!("{previous} {word}"));
            }
            previous = Some(word);
        }
    }
    Spellings {
        latin,
        arabic,
        g_variants,
    }
}

/// Whether an Arabic word can begin a transliteration of `name`: a name that opens with a vowel,
/// w or y opens with alef (or ain), waw or yaa; one that opens with a consonant opens with a
/// consonant. The outlines already agree on the consonants; this keeps an Arabic verb's prefix
/// ("يحتسب", h-t-s-b as WhatsApp) and a leading alef ("اضطراب", s-t-r-b as Stripe) from
/// passing for a name.
fn begin_alike(arabic: &str, name: &str) -> bool {
    let Some(first) = arabic.chars().find(|character| character.is_alphabetic()) else {
        return false;
    };
    let vowel_letter = matches!(first, 'ا' | 'أ' | 'إ' | 'آ' | 'ع');
    match name
        .chars()
        .next()
        .map(|character| character.to_ascii_lowercase())
    {
        Some('a' | 'e' | 'i' | 'o' | 'u') => vowel_letter,
        Some('w') => first == 'و',
        Some('y') => first == 'ي',
        Some(_) => !vowel_letter && !matches!(first, 'و' | 'ي' | 'ى' | 'ء' | 'ئ' | 'ؤ'),
        None => false,
    }
}

/// Words of the question that name a product or a platform: written in Latin letters with a
/// capital inside ("TikTok", "iOS", "PayPal"), or capitalised in an Arabic question ("هل
/// تدعمون Snapchat؟"; a lower-case English word there is a common word said in English). Short
/// all-capital words are abbreviations of common things (DM, API, SMS): they name nothing. A
/// word that is merely capitalised ("Oman", "Friday") is not taken for a name: knowledge
/// answers about places and days without naming them ("we do not ship outside the UAE").
fn names(question: &str) -> Vec<&str> {
    let arabic = question
        .chars()
        .any(|character| ('\u{0600}'..='\u{06FF}').contains(&character));
    let mut found = Vec::new();
    for word in question.split(|character: char| !character.is_alphanumeric()) {
        if word.is_empty() {
            continue;
        }
        let latin = word
            .chars()
            .all(|character| character.is_ascii_alphanumeric())
            && word.starts_with(|character: char| character.is_ascii_alphabetic());
        if !latin || (word.len() <= 3 && word.chars().all(|c| !c.is_lowercase())) {
            continue;
        }
        let capital_inside = word
            .chars()
            .skip(1)
            .any(|character| character.is_uppercase());
        let capitalised = word.starts_with(|character: char| character.is_uppercase());
        if capital_inside || (arabic && capitalised) {
            found.push(word);
        }
    }
    found
}

/// What the passages mention: their Latin words, and the consonant outlines of their words
/// in either script (each Arabic word also without its article and joined with the next, since
/// a name can be written as two words: "تيك توك").
struct Mentioned {
    latin: HashSet<String>,
    outlines: HashSet<String>,
    /// Whether any word is written in another script than Latin.
    other_script: bool,
}

impl Mentioned {
    fn in_texts(texts: &[&str]) -> Self {
        let mut latin = HashSet::new();
        let mut outlines = HashSet::new();
        let mut other_script = false;
        for text in texts {
            let mut previous: Option<&str> = None;
            for word in text.split(|character: char| !character.is_alphanumeric()) {
                if word.is_empty() {
                    continue;
                }
                if word.is_ascii() {
                    let lower = word.to_ascii_lowercase();
                    outlines.insert(latin_outline(&lower));
                    latin.insert(lower);
                    previous = None;
                    continue;
                }
                other_script = true;
                for bare in without_prefixes(word) {
                    outlines.insert(arabic_outline(bare));
                }
                if let Some(previous) = previous {
                    outlines.insert(arabic_outline(&format!("{previous}{word}")));
                }
                previous = Some(word);
            }
        }
        Mentioned {
            latin,
            outlines,
            other_script,
        }
    }

    fn holds(&self, name: &str) -> bool {
        let lower = name.to_ascii_lowercase();
        if self.latin.contains(&lower) {
            return true;
        }
        let outline = latin_outline(&lower);
        // Too few consonants to find it in another script: not judged there.
        if outline.chars().count() < MIN_OUTLINE {
            return self.other_script;
        }
        self.outlines.contains(&outline)
    }
}

/// A Latin word's consonants, in classes that Arabic transliteration keeps apart: p reads as
/// b, v as f, z and a soft c as s, hard c and q as k, j as g; vowels, w, y and repeats go.
fn latin_outline(lower: &str) -> String {
    let mut text = lower.replace("sch", "S").replace("sh", "S");
    for (spelling, sound) in [
        ("ch", "tS"),
        ("ph", "f"),
        ("ck", "k"),
        ("qu", "k"),
        ("x", "ks"),
    ] {
        text = text.replace(spelling, sound);
    }
    let characters: Vec<char> = text.chars().collect();
    let classes = characters
        .iter()
        .enumerate()
        .filter_map(|(index, &character)| {
            let next = characters.get(index + 1).copied();
            Some(match character {
                'b' | 'p' => 'b',
                'f' | 'v' => 'f',
                't' => 't',
                'd' => 'd',
                's' | 'z' => 's',
                'c' if matches!(next, Some('e' | 'i' | 'y')) => 's',
                'c' | 'k' | 'q' => 'k',
                'g' | 'j' => 'g',
                'm' | 'n' | 'l' | 'r' | 'h' | 'S' => character,
                _ => return None,
            })
        });
    collapsed(classes)
}

/// An Arabic word's consonants in the same classes; alef, waw, yaa, ain and hamza are read as
/// vowels, since transliteration writes vowels with them.
fn arabic_outline(word: &str) -> String {
    let classes = word.chars().filter_map(|character| {
        Some(match character {
            'ب' | 'پ' => 'b',
            'ف' | 'ڤ' => 'f',
            'ت' | 'ط' => 't',
            'د' | 'ض' => 'd',
            'س' | 'ص' | 'ز' | 'ث' | 'ذ' | 'ظ' => 's',
            'ك' | 'ق' => 'k',
            'غ' | 'ج' | 'گ' => 'g',
            'ش' => 'S',
            'م' => 'm',
            'ن' => 'n',
            'ل' => 'l',
            'ر' => 'r',
            'ه' | 'ح' | 'خ' => 'h',
            _ => return None,
        })
    });
    collapsed(classes)
}

fn collapsed(classes: impl Iterator<Item = char>) -> String {
    let mut outline = String::new();
    for class in classes {
        if !outline.ends_with(class) {
            outline.push(class);
        }
    }
    outline
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// Whatever a customer writes: no panic, and only names the passages hold, each once.
        #[test]
        fn respelling_only_ever_gives_the_passages_names(
            question in "[ a-zA-Zابتثجحخدذرزسشصضطظعغفقكلمنهويىةءأإآ؟?،.]{0,60}",
            passage in "[ a-zA-Zابتثجحخدذرزسشصضطظعغفقكلمنهويىةءأإآ.]{0,120}",
        ) {
            let found = respelled(&question, &[&passage]);
            for name in &found {
                prop_assert!(name.split(' ').all(|word| passage.contains(word)), "{name}");
            }
            let unique: HashSet<&String> = found.iter().collect();
            prop_assert_eq!(unique.len(), found.len());
            let _ = unmentioned(&question, &[&passage]);
        }

        /// Whatever a customer writes: in the knowledge's capitals, only letters' case changes.
        #[test]
        fn capitals_change_nothing_but_case(
            question in "[ a-zA-Z0-9ابتث؟?،.'-]{0,60}",
            passage in "[ a-zA-Z0-9ابتث,.(-]{0,120}",
        ) {
            if let Some(written) = in_their_capitals(&question, &[&passage]) {
                prop_assert_eq!(written.to_lowercase(), question.to_lowercase());
                prop_assert_ne!(written, question);
            }
        }
    }

    #[test]
    fn names_have_a_capital_inside_or_are_latin_in_arabic() {
        assert_eq!(
            names("Can I reply to TikTok messages from the SleekFlow inbox?"),
            ["TikTok", "SleekFlow"]
        );
        assert_eq!(names("Do you support SAML SSO with Okta?"), ["SAML"]);
        assert_eq!(
            names("Do you ship to Oman? How many AI credits does the DM plan include?"),
            Vec::<&str>::new()
        );
        assert_eq!(
            names("هل تدعمون Telegram؟ وهل عندكم delivery؟"),
            ["Telegram"]
        );
    }

    #[test]
    fn names_written_in_arabic_script_are_found_in_the_knowledges_spelling() {
        let passages = [
            "ما هو SleekFlow بالضبط؟ SleekFlow منصة للمحادثات.",
            "ما هو Flow Builder؟ أداة أتمتة بدون برمجة. يتكامل مع Shopify و HubSpot و Gmail.",
            "نقبل الدفع بالبطاقة، وإجمالي الطلبات في لوحة التحكم.",
        ];
        assert_eq!(
            respelled("شو هو سليك فلو بالضبط؟", &passages),
            ["SleekFlow"]
        );
        assert_eq!(
            respelled("ايه اللي اقدر اعمله بسليك فلو؟", &passages),
            ["SleekFlow"]
        );
        assert_eq!(
            respelled("وش اقدر اسوي بالفلو بيلدر لمتجري", &passages),
            ["Flow Builder"]
        );
        assert_eq!(
            respelled("عندي متجر شوبيفاي، اقدر اربطه مع هب سبوت؟", &passages),
            ["HubSpot"],
            "Shopify has three consonants, too few to tell from an Arabic root"
        );
        // Words the knowledge writes in Arabic are words, whatever their consonants, in any
        // spelling of their letters.
        assert!(respelled("هل تقبلون الدفع بالبطاقه؟", &passages).is_empty());
        assert!(respelled("كم اجمالي الطلبات؟", &passages).is_empty());
        assert!(respelled("What is SleekFlow?", &passages).is_empty());
        // Consonants alike, but an Arabic verb's prefix or a leading alef: not a name.
        let whatsapp = ["تواصل عبر WhatsApp و Stripe"];
        assert!(respelled("كيف يحتسب عدد الردود؟", &whatsapp).is_empty());
        assert!(respelled("ما هو الاضطراب؟", &whatsapp).is_empty());
        assert_eq!(
            respelled("هل تقبلون الدفع عبر سترايب؟", &whatsapp),
            ["Stripe"]
        );
        assert!(respelled("هل تدعمون تيك توك؟", &passages).is_empty());
    }

    #[test]
    fn a_loanword_written_with_another_letter_for_g_is_found_in_the_knowledges_spelling() {
        let passages = [
            "كيف يعمل إنستغرام مع SleekFlow؟ اربط حساب إنستغرام التجاري.",
            "هل يمكنك دمج تيليجرام وفايبر مع SleekFlow؟ نعم.",
            "القسم الأول: الأسئلة العامة.",
        ];
        assert_eq!(
            respelled("ابي اربط حسابي الشخصي في انستقرام، ينفع؟", &passages),
            ["إنستغرام"]
        );
        assert_eq!(respelled("كيف اربط التيليقرام؟", &passages), ["تيليجرام"]);
        // Shorter words are too often other words: "الجسم" is not "القسم".
        assert!(respelled("ما وظيفة الجسم؟", &passages).is_empty());
        assert!(respelled("كيف يعمل إنستغرام؟", &passages).is_empty());
    }

    #[test]
    fn names_typed_in_lower_case_are_found_in_the_knowledges_capitals() {
        let passages = [
            "هل يدعم SleekFlow تطبيق WhatsApp؟ نعم، عبر WhatsApp Business API وWhatsapp Cloud.",
            "اربط حساب WeChat. يعمل الـ inbox مع كل القنوات.",
            "Delivery takes two days. We ship by Aramex.",
        ];
        assert_eq!(
            in_their_capitals("does sleekflow support whatsapp and wechat api?", &passages)
                .as_deref(),
            Some("does SleekFlow support WhatsApp and WeChat API?"),
            "the spelling the passages write most"
        );
        assert_eq!(
            in_their_capitals("how long does delivery take with aramex", &passages).as_deref(),
            Some("how long does delivery take with Aramex"),
            "\"Delivery\" is capitalised only where a sentence starts"
        );
        assert_eq!(
            in_their_capitals("Sleekflow pricing?", &passages).as_deref(),
            Some("SleekFlow pricing?"),
            "a name typed in lower case and then written in sentence case"
        );
        let titled = ["How Do I Export Contacts?\nShipping\nDelivery takes two days."];
        assert_eq!(
            in_their_capitals("how do i export contacts and delivery", &titled),
            None,
            "words of a title-case line, and a line's first word, are not names"
        );
        for left in [
            "is the inbox shared?",
            "can I use WhatsApp?",
            "ما هو الwhatsapp",
            "كم سعر الخطة؟",
            "",
        ] {
            assert_eq!(in_their_capitals(left, &passages), None, "{left}");
        }
    }

    #[test]
    fn a_name_is_mentioned_in_either_script() {
        let arabic =
            "يدعم إنستغرام وفيسبوك ماسنجر ووي تشات وفايبر وتيليجرام، ويتكامل مع شوبيفاي وهب سبوت.";
        for name in [
            "Instagram",
            "Messenger",
            "Facebook",
            "WeChat",
            "Viber",
            "Telegram",
            "Shopify",
            "HubSpot",
        ] {
            assert!(
                unmentioned(&format!("هل يعمل مع {name}؟"), &[arabic]).is_empty(),
                "{name} is in the Arabic text"
            );
        }
        assert_eq!(
            unmentioned("Can I reply to TikTok messages from the inbox?", &[arabic]),
            ["TikTok"]
        );
        assert_eq!(
            unmentioned("Is there an iOS app?", &["The app runs on Android."]),
            ["iOS"]
        );
        assert_eq!(
            unmentioned("TikTok TikTok, TikTok?", &["We answer on WhatsApp."]),
            ["TikTok"],
            "a name repeated is one name"
        );
        assert!(
            unmentioned("Do you ship to Oman?", &["We do not ship outside the UAE."]).is_empty(),
            "a place is answered without being named"
        );
        assert!(
            unmentioned("Is there an app?", &[arabic]).is_empty(),
            "no name, no verdict"
        );
    }
}
