//! Greetings, thanks, goodbyes, and the short replies that close a topic ("ok", "👍", "no
//! thanks"). A customer who writes "hi" or "شكراً" is not asking the knowledge anything:
//! searching it finds nothing and the agent would answer "I couldn't find that", and two such
//! answers in a row hand the conversation to a person. These are recognised as a whole message
//! and answered in kind, for free.

use std::sync::LazyLock;

use regex::Regex;

use crate::text::{Language, compile_all, matching_form};

/// Ordered by precedence: in one message, the later kind wins ("ok thanks" thanks, "no thanks"
/// declines, "thanks, bye" says goodbye).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SmallTalk {
    /// "ok", "got it", "تمام", "👍": what was said was heard.
    Acknowledgement,
    Greeting,
    /// "how are you?", "anyone there?": a greeting that is also a question, so taken off a
    /// question only when set apart from it ("how are you handling refunds?" keeps it).
    Courtesy,
    Thanks,
    /// "are you a bot?", "هل انت انسان؟": who is answering, which the customer is told.
    Identity,
    /// "no", "that's all", "لا شكرا": nothing more is wanted, from the agent or from a person.
    Decline,
    Goodbye,
}

impl SmallTalk {
    pub fn name(self) -> &'static str {
        match self {
            SmallTalk::Acknowledgement => "acknowledgement",
            SmallTalk::Greeting => "greeting",
            SmallTalk::Courtesy => "courtesy",
            SmallTalk::Thanks => "thanks",
            SmallTalk::Identity => "identity",
            SmallTalk::Decline => "decline",
            SmallTalk::Goodbye => "goodbye",
        }
    }
}

// Whole pieces of a message in matching form (Arabic letters unified: ة as ه, أ/إ/آ as ا,
// ى as ي; apostrophes dropped: "that's" is "thats").
const ACKNOWLEDGEMENTS: &[&str] = &[
    r"^(ok|okay|okey|okie|k|kk|ok ok|alright|all right|fine|got it|i see|understood|noted|sounds good|great|perfect|cool|nice|awesome|good|excellent|yes|yeah|yep|sure)$",
    r"^(تمام|طيب|اوكي|اوك|اوكيه|حسنا|ماشي|زين|ممتاز|حلو|جميل|رائع|فهمت|مفهوم|واضح|وصلت|نعم|ايوه|اكيد)$",
];
const GREETINGS: &[&str] = &[
    r"^(hi|hello|hey|hiya|howdy|greetings|good (morning|afternoon|evening|day))( there| all| team| everyone)?$",
    r"^(ال)?سلام عليكم( ورحمه الله( وبركاته)?)?$",
    r"^(مرحبا|مرحب|اهلا|اهلين|هلا|هلا والله|هاي|صباح الخير|صباح النور|مساء الخير|مساء النور)( بك| بكم| وسهلا)?$",
];
const COURTESIES: &[&str] = &[
    WELL_BEING,
    r"^((is )?(any ?one|somebody|someone) (there|here|available)|(are )?you there)$",
    // Not "في احد" or "فيه حد" alone: they open questions ("فيه حد لعدد الرسائل؟", is there a
    // limit; "في احد العملاء…", one of the customers).
    r"^((يوجد|في|فيه) احد موجود|هل (يوجد|في|فيه) احد|(احد|حد) موجود|(انت|انتم) موجود(ين)?)$",
];
/// Asking after the agent's well-being, answered with the customer's courtesy.
const WELL_BEING: &str = r"^(how are you( doing| today)?|how r u|hows it going|how is it going|كيف حالك|كيف حالكم|كيف الحال|كيفك|كيفكم|شلونك|شلونكم|اخبارك|ايش اخبارك|وش اخبارك|عامل ايه|ازيك|ازيكم)$";
const THANKS: &[&str] = &[
    r"^(thanks?|thank you|thx|ty|many thanks|cheers|thanks a lot|thank you (so|very) much|much appreciated|appreciate it)( again)?$",
    r"^(شكرا|شكرا جزيلا|شكرا لك|شكرا لكم|شكرا كثير|مشكور|مشكورين|يعطيك العافيه|الله يعطيك العافيه|تسلم|تسلمون|ممنون|الف شكر|جزاك الله خير|ما قصرت|ما قصرتوا|ما قصرتو)$",
];
const IDENTITY_QUESTIONS: &[&str] = &[
    r"^(are|r) (you|u) (a |an )?(bot|robot|chatbot|human|real|real person|person|machine|ai|computer|automated)$",
    r"^(am i|are we) (talking|chatting|speaking) (to|with) (a |an )?(bot|robot|chatbot|human|real person|person|machine|ai|computer)$",
    r"^is this (a |an )?(bot|robot|chatbot|human|real person|machine|ai|automated)$",
    r"^(هل )?(انت|انتي|انتم|حضرتك) (روبوت|بوت|انسان|بشر|حقيقي|شخص حقيقي|الي|ذكاء اصطناعي|مساعد الي)$",
    r"^(هل )?(اكلم|اتكلم مع|اتحدث مع|اتواصل مع|اراسل) (روبوت|بوت|انسان|بشر|شخص حقيقي|الي|ذكاء اصطناعي)$",
    r"^(هل )?(هذا|هذي|ده) (روبوت|بوت|رد الي|انسان)$",
];
const DECLINES: &[&str] = &[
    r"^(no|nope|nah|no need|not now|not really|thats all|thats it|nothing else|nothing more|all good|im good|im fine|im ok|i am good|no more questions)$",
    r"^(لا|لاء|لا خلاص|خلاص|بس كذا|لا شي|ولا شي|لا شيء|ولا شيء|لا يوجد|لا داعي|مو لازم|مش لازم)$",
];
const GOODBYES: &[&str] = &[
    r"^(bye|goodbye|bye bye|see you( later| soon)?|good night|take care|have a (good|nice) day)$",
    r"^(مع السلامه|الي اللقاء|باي|في امان الله|تصبح علي خير|تصبحون علي خير|سلام)$",
];
/// Words that may stand beside small talk without making it a question.
const FILLERS: &[&str] = &["so", "very", "much", "جدا", "يا", "اخي", "اختي"];

/// Emoji that say something on their own.
const EMOJI: &[(char, SmallTalk)] = &[
    ('👍', SmallTalk::Acknowledgement),
    ('👌', SmallTalk::Acknowledgement),
    ('✅', SmallTalk::Acknowledgement),
    ('🆗', SmallTalk::Acknowledgement),
    ('💯', SmallTalk::Acknowledgement),
    ('🙂', SmallTalk::Acknowledgement),
    ('😊', SmallTalk::Acknowledgement),
    ('❤', SmallTalk::Acknowledgement),
    ('👋', SmallTalk::Greeting),
    ('🙏', SmallTalk::Thanks),
];

/// Small talk is short: a longer message is a question.
const MAX_WORDS: usize = 12;

static PATTERNS: LazyLock<[(SmallTalk, Vec<Regex>); 7]> = LazyLock::new(|| {
    [
        (SmallTalk::Acknowledgement, compile_all(ACKNOWLEDGEMENTS)),
        (SmallTalk::Greeting, compile_all(GREETINGS)),
        (SmallTalk::Courtesy, compile_all(COURTESIES)),
        (SmallTalk::Thanks, compile_all(THANKS)),
        (SmallTalk::Identity, compile_all(IDENTITY_QUESTIONS)),
        (SmallTalk::Decline, compile_all(DECLINES)),
        (SmallTalk::Goodbye, compile_all(GOODBYES)),
    ]
});

/// What the message is when it is only small talk, its words and its emoji; of several kinds
/// the one of highest precedence ([`SmallTalk`]), and anything else in it (a question) makes it
/// none.
pub fn recognise(message: &str) -> Option<SmallTalk> {
    let form = small_talk_form(message);
    let pieces = form
        .split(|c: char| !(c.is_alphanumeric() || c == ' '))
        .map(str::trim)
        .filter(|piece| !piece.is_empty());
    let mut found = form
        .chars()
        .filter_map(|c| EMOJI.iter().find(|(emoji, _)| *emoji == c))
        .map(|(_, kind)| *kind)
        .max();
    for piece in pieces {
        let words: Vec<&str> = piece
            .split(' ')
            .filter(|word| !FILLERS.contains(word))
            .collect();
        if words.is_empty() {
            continue;
        }
        if words.len() > MAX_WORDS {
            return None;
        }
        found = found.max(kinds(&words)?.into_iter().max());
    }
    found
}

/// What the message is when it is only small talk ([`recognise`]), where it stands in the
/// conversation: a bare "سلام" greets when it opens one ("salam" too, read in Arabic letters)
/// and says goodbye after.
pub fn recognise_in_conversation(message: &str, opening: bool) -> Option<SmallTalk> {
    let kind = recognise(message)?;
    let salam = small_talk_form(message).trim_matches(|c: char| !c.is_alphanumeric()) == "سلام";
    Some(match kind {
        SmallTalk::Goodbye if opening && salam => SmallTalk::Greeting,
        kind => kind,
    })
}

/// Words that ask politely and say nothing of what is asked, in matching form.
const POLITENESS: &str = r"^(please|pls|plz|kindly|لو سمحت|لو سمحتي|لو سمحتو|لو سمحتوا|لو سمحتم|من فضلك|من فضلكم|رجاء|رجاءا|لو تكرمت)$";

/// The question a message asks, without the pleasantries around it: a greeting it opens with
/// ("السلام عليكم، كم سعر الخطة؟", "Hi! Do you support Viber?"), thanks it opens with or ends
/// with when a separator sets them apart ("thanks! and…", "… ؟ شكرا"), a "please" before or
/// after it, and emoji at either end. Customers write them, and searched with the question they
/// pull it toward every other message that has them. A message that is small talk throughout,
/// has nothing around its question, or is longer than a question wrapped in pleasantries is,
/// is returned whole (trimmed).
pub fn without_small_talk(message: &str) -> &str {
    const MOST_CHARACTERS: usize = 1_000;
    let whole = message.trim();
    if whole.chars().nth(MOST_CHARACTERS).is_some() || recognise(whole).is_some() {
        return whole;
    }
    let mut question = trim_emoji(whole);
    loop {
        let before = question;
        question = trim_emoji(without_leading_pleasantry(question));
        question = trim_emoji(without_trailing_pleasantry(question));
        if question == before {
            break;
        }
    }
    if question.chars().any(char::is_alphanumeric) && recognise(question).is_none() {
        question
    } else {
        whole
    }
}

/// The most words a pleasantry at either end of a question is taken to have.
const MOST_PLEASANTRY_WORDS: usize = 6;

/// What separates a pleasantry from the question beside it.
const SEPARATORS: &[char] = &[',', '،', '.', '!', '?', '؟', ';', '؛', ':', '-'];

/// Without a greeting or "please" it opens with, or thanks followed by a separator ("thanks!
/// and…"; "Thanks to the update, …" and "تسلم الطلبات متى؟" keep theirs).
fn without_leading_pleasantry(text: &str) -> &str {
    let ends: Vec<usize> = text
        .split_whitespace()
        .map(|word| word.as_ptr() as usize - text.as_ptr() as usize + word.len())
        .take(MOST_PLEASANTRY_WORDS)
        .collect();
    ends.iter()
        .rev()
        .map(|&end| (&text[..end], &text[end..]))
        .find(|(opening, rest)| {
            let separated = opening.trim_end().ends_with(SEPARATORS)
                || rest.trim_start().starts_with(SEPARATORS);
            rest.chars().any(char::is_alphanumeric)
                && (is_polite(opening)
                    || match recognise(opening) {
                        Some(SmallTalk::Greeting) => true,
                        Some(_) => separated,
                        None => false,
                    })
        })
        .map_or(text, |(_, rest)| rest.trim_start_matches(SEPARATORS))
}

/// Without a "please" it ends with, or thanks a separator sets apart from it ("… ؟ شكرا",
/// "…, thank you"); a greeting or goodbye at the end is left ("كيف اغير رسالة مرحبا", "ابل
/// باي" is Apple Pay).
fn without_trailing_pleasantry(text: &str) -> &str {
    let mut starts: Vec<usize> = text
        .split_whitespace()
        .rev()
        .take(MOST_PLEASANTRY_WORDS + 1)
        .map(|word| word.as_ptr() as usize - text.as_ptr() as usize)
        .collect();
    // The first word never closes: a question stays before the closing.
    starts.retain(|&start| start > 0);
    starts
        .into_iter()
        .rev()
        .map(|start| (&text[..start], &text[start..]))
        .find(|(head, closing)| {
            let separated = head.trim_end().ends_with(SEPARATORS);
            head.chars().any(char::is_alphanumeric)
                && (is_polite(closing)
                    || (separated && recognise(closing) == Some(SmallTalk::Thanks)))
        })
        .map_or(text, |(head, _)| {
            head.trim_end().trim_end_matches([',', '،'])
        })
}

/// A word asking politely, and nothing else.
fn is_polite(text: &str) -> bool {
    static POLITE: LazyLock<Regex> = LazyLock::new(|| Regex::new(POLITENESS).expect("compiles"));
    let form = matching_form(text);
    let words: Vec<&str> = form
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .collect();
    !words.is_empty() && POLITE.is_match(&words.join(" "))
}

/// Without emoji and spaces at either end; a question's own symbols ("C++", "9+", "!!!", its
/// closing mark) stay.
fn trim_emoji(text: &str) -> &str {
    text.trim_matches(|c: char| c.is_whitespace() || is_emoji(c))
}

/// Pictographs, dingbats and what joins or modifies them (skin tones, the emoji variation
/// selector, the zero-width joiner, keycaps).
fn is_emoji(c: char) -> bool {
    matches!(
        u32::from(c),
        0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0x2B00..=0x2BFF | 0xFE0F | 0x200D | 0x20E3 | 0xE0020..=0xE007F
    )
}

/// The kinds of small talk `words` are made of, one phrase after another ("مشكور ما قصرت"),
/// or `None` when any word is something else.
fn kinds(words: &[&str]) -> Option<Vec<SmallTalk>> {
    if words.is_empty() {
        return Some(Vec::new());
    }
    (1..=words.len()).rev().find_map(|end| {
        let phrase = words[..end].join(" ");
        let (kind, _) = PATTERNS
            .iter()
            .find(|(_, patterns)| patterns.iter().any(|pattern| pattern.is_match(&phrase)))?;
        let mut rest = kinds(&words[end..])?;
        rest.insert(0, *kind);
        Some(rest)
    })
}

/// The form small talk is matched in: [`matching_form`], without apostrophes ("that's" is
/// "thats", as the patterns write it).
fn small_talk_form(message: &str) -> String {
    matching_form(message).replace(['\'', '’'], "")
}

/// The answer, in the customer's language; a salam is returned as custom has it, and a
/// question after the agent's well-being answered.
pub fn reply(kind: SmallTalk, language: Language, message: &str) -> &'static str {
    static ASKED_AFTER: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(&WELL_BEING.replace(['^', '$'], r"\b")).expect("compiles"));
    let form = small_talk_form(message);
    let salam = form.contains("سلام عليكم");
    let well = ASKED_AFTER.is_match(&form);
    match (kind, language) {
        (SmallTalk::Greeting | SmallTalk::Courtesy, Language::Ar) if salam && well => {
            "وعليكم السلام ورحمة الله! بخير، شكراً لسؤالك. كيف يمكنني مساعدتك اليوم؟"
        }
        (SmallTalk::Greeting | SmallTalk::Courtesy, Language::Ar) if salam => {
            "وعليكم السلام ورحمة الله! كيف يمكنني مساعدتك اليوم؟"
        }
        (SmallTalk::Greeting | SmallTalk::Courtesy, Language::Ar) if well => {
            "بخير، شكراً لسؤالك! كيف يمكنني مساعدتك اليوم؟"
        }
        (SmallTalk::Greeting | SmallTalk::Courtesy, Language::Ar) => {
            "أهلاً وسهلاً! كيف يمكنني مساعدتك اليوم؟"
        }
        (SmallTalk::Greeting | SmallTalk::Courtesy, Language::En) if well => {
            "I'm well, thank you for asking! How can I help you today?"
        }
        (SmallTalk::Greeting | SmallTalk::Courtesy, Language::En) => {
            "Hello! How can I help you today?"
        }
        (SmallTalk::Identity, Language::Ar) => {
            "أنا مساعد آلي بالذكاء الاصطناعي: أجيب عن أسئلتك من معلوماتنا، ويمكنني تحويلك إلى أحد أعضاء فريقنا متى شئت."
        }
        (SmallTalk::Identity, Language::En) => {
            "I'm an AI assistant: I answer your questions from our information, and I can connect you with a person on our team whenever you like."
        }
        (SmallTalk::Thanks, Language::Ar) => "العفو! هل هناك شيء آخر يمكنني مساعدتك فيه؟",
        (SmallTalk::Thanks, Language::En) => {
            "You're welcome! Is there anything else I can help you with?"
        }
        (SmallTalk::Acknowledgement, Language::Ar) => {
            "تمام! أخبرني إذا كان هناك شيء آخر يمكنني مساعدتك فيه."
        }
        (SmallTalk::Acknowledgement, Language::En) => {
            "Great! Let me know if there's anything else I can help you with."
        }
        (SmallTalk::Decline, Language::Ar) => {
            "حسناً، شكراً لتواصلك معنا! أنا هنا إذا احتجت أي شيء آخر."
        }
        (SmallTalk::Decline, Language::En) => {
            "Alright, thank you for contacting us! I'm here if you need anything else."
        }
        (SmallTalk::Goodbye, Language::Ar) => "مع السلامة، شكراً لتواصلك معنا!",
        (SmallTalk::Goodbye, Language::En) => "Goodbye, and thank you for contacting us!",
    }
}

/// Whether the message says yes (to an offer to bring in a person), in words or with a
/// thumbs up.
pub fn is_yes(message: &str) -> bool {
    static YES: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^(yes|yes please|yeah|yep|sure|ok|okay|please do|please|نعم|اي|ايوه|ايوا|اه|اكيد|تمام|طيب|ياريت|يا ريت|من فضلك|لو سمحت)$")
            .expect("compiles")
    });
    let form = matching_form(message);
    let form = form.trim_matches(|c: char| !c.is_alphanumeric());
    YES.is_match(form) || form.is_empty() && message.contains(['👍', '👌', '✅', '🆗'])
}

/// Words that name a place in a list, in matching form, by the place they name (0 first).
const PLACES: [&[&str]; 3] = [
    &[
        "first",
        "1st",
        "one",
        "الاول",
        "الاولي",
        "اول",
        "اول واحد",
        "واحد",
    ],
    &[
        "second",
        "2nd",
        "two",
        "الثاني",
        "الثانيه",
        "ثاني",
        "التاني",
        "تاني",
        "اثنين",
        "اتنين",
    ],
    &[
        "third",
        "3rd",
        "three",
        "الثالث",
        "الثالثه",
        "ثالث",
        "التالت",
        "تالت",
        "ثلاثه",
        "تلاته",
    ],
];

/// Which of `offered` questions the message picks by its number or its place ("2", "the
/// first one", "الثاني"), counting from 0; `None` when it picks none of them.
pub fn picked(message: &str, offered: usize) -> Option<usize> {
    static PICK: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^(?:(?:number|no\.?|option|question|رقم|الرقم|السؤال|سؤال) ?)?(?:the )?(?P<pick>.+?)(?: one)?$")
            .expect("compiles")
    });
    let form = matching_form(message);
    let form = form.trim_matches(|c: char| !c.is_alphanumeric());
    let pick = PICK.captures(form)?.name("pick")?.as_str();
    let index = match pick.parse::<usize>() {
        Ok(number @ 1..=9) => number - 1,
        Ok(_) => return None,
        Err(_) => PLACES.iter().position(|words| words.contains(&pick))?,
    };
    (index < offered).then_some(index)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Messages made of pleasantries, question words, punctuation, emoji and tatweel, joined
    /// with or without spaces: what customers write around a question, in any order.
    fn messages() -> impl Strategy<Value = String> {
        const PIECES: &[&str] = &[
            "hi",
            "Hello",
            "thanks",
            "thank you",
            "please",
            "PLEASE",
            "bye",
            "السلام عليكم",
            "مرحبا",
            "شكرا",
            "لو سمحت",
            "مع السلامة",
            "يعطيك العافية",
            "كم",
            "سعر",
            "الخطة",
            "Viber",
            "C++",
            "9+",
            "how much",
            "?",
            "؟",
            "!",
            "،",
            ",",
            "-",
            ":",
            "🙏",
            "👍🏽",
            "❤️",
            "1️⃣",
            "\u{0640}",
            "\u{200F}",
            " ",
            "2",
            "الثاني",
            "yes",
        ];
        (
            prop::collection::vec(prop::sample::select(PIECES), 0..16),
            any::<bool>(),
        )
            .prop_map(|(pieces, spaced)| pieces.join(if spaced { " " } else { "" }))
    }

    proptest! {
        /// Whatever a customer writes: no panic; what is searched is a part of what was
        /// written, empty only when the message is, and taking the pleasantries off twice takes
        /// off nothing more.
        #[test]
        fn the_question_is_a_part_of_the_message(
            message in prop_oneof![messages(), any::<String>()],
        ) {
            let question = without_small_talk(&message);
            prop_assert!(message.contains(question));
            prop_assert_eq!(question.is_empty(), message.trim().is_empty());
            prop_assert_eq!(without_small_talk(question), question);
        }

        /// Whatever a customer writes: no panic, and a pick is one of the questions offered.
        #[test]
        fn a_pick_is_among_the_offered(
            message in prop_oneof![messages(), any::<String>()],
            offered in 0usize..4,
        ) {
            if let Some(index) = picked(&message, offered) {
                prop_assert!(index < offered);
            }
            let _ = is_yes(&message);
            let _ = recognise(&message);
        }
    }

    #[test]
    fn whole_messages_of_small_talk_are_recognised_in_both_languages() {
        for (message, kind) in [
            ("hi", SmallTalk::Greeting),
            ("Hello there!", SmallTalk::Greeting),
            ("Good morning", SmallTalk::Greeting),
            ("السلام عليكم", SmallTalk::Greeting),
            ("السلام عليكم ورحمة الله وبركاته", SmallTalk::Greeting),
            ("مرحباً", SmallTalk::Greeting),
            ("هلا والله", SmallTalk::Greeting),
            ("thanks!", SmallTalk::Thanks),
            ("ok thank you so much", SmallTalk::Thanks),
            ("شكراً جزيلاً", SmallTalk::Thanks),
            ("يعطيك العافية", SmallTalk::Thanks),
            ("مشكور ما قصرت", SmallTalk::Thanks),
            ("thanks, bye", SmallTalk::Goodbye),
            ("مع السلامة", SmallTalk::Goodbye),
            ("Bye 👋", SmallTalk::Goodbye),
            ("ok", SmallTalk::Acknowledgement),
            ("Got it 👍", SmallTalk::Acknowledgement),
            ("👍🏽", SmallTalk::Acknowledgement),
            ("تمام", SmallTalk::Acknowledgement),
            ("طيب ماشي", SmallTalk::Acknowledgement),
            ("no", SmallTalk::Decline),
            ("No thanks!", SmallTalk::Decline),
            ("nope, that's all", SmallTalk::Decline),
            ("That’s it, thank you", SmallTalk::Decline),
            ("لا شكراً", SmallTalk::Decline),
            ("خلاص مشكور", SmallTalk::Decline),
            ("ok thanks", SmallTalk::Thanks),
            ("🙏", SmallTalk::Thanks),
            ("no thanks, bye", SmallTalk::Goodbye),
            ("How are you?", SmallTalk::Courtesy),
            ("السلام عليكم كيف الحال", SmallTalk::Courtesy),
            ("شلونك", SmallTalk::Courtesy),
            ("is anyone there?", SmallTalk::Courtesy),
            ("هل في احد؟", SmallTalk::Courtesy),
            ("في أحد موجود؟", SmallTalk::Courtesy),
            ("Are you a bot?", SmallTalk::Identity),
            ("hi, am I talking to a real person?", SmallTalk::Identity),
            ("هل انت روبوت؟", SmallTalk::Identity),
            ("هل اكلم انسان؟", SmallTalk::Identity),
        ] {
            assert_eq!(recognise(message), Some(kind), "{message}");
        }
    }

    #[test]
    fn the_pleasantries_around_a_question_are_taken_off_it() {
        for (message, question) in [
            ("السلام عليكم، كم سعر الخطة؟", "كم سعر الخطة؟"),
            (
                "السلام عليكم ورحمة الله ممكن اعرف كيف اربط انستقرام",
                "ممكن اعرف كيف اربط انستقرام",
            ),
            ("Hi! Do you support Viber?", "Do you support Viber?"),
            (
                "Good morning team, can I use it with Shopify?",
                "can I use it with Shopify?",
            ),
            (
                "thanks! and what about Instagram?",
                "and what about Instagram?",
            ),
            ("مرحبا كيف اضيف جهات الاتصال", "كيف اضيف جهات الاتصال"),
            ("كم سعر الخطة؟ شكرا", "كم سعر الخطة؟"),
            (
                "how do I add contacts, thank you so much",
                "how do I add contacts",
            ),
            ("لو سمحت كيف اضيف جهات الاتصال؟", "كيف اضيف جهات الاتصال؟"),
            ("Please, how do I add contacts?", "how do I add contacts?"),
            ("how do I add contacts please", "how do I add contacts"),
            ("هل تدعمون الواتساب؟ 🙏", "هل تدعمون الواتساب؟"),
            (
                "👋 hi, can I pause a broadcast? 😊😊",
                "can I pause a broadcast?",
            ),
            ("مرحبا لو سمحت كم السعر؟ مشكور", "كم السعر؟"),
            (
                "hi, how are you? what are your prices",
                "what are your prices",
            ),
            ("السلام عليكم كيف الحال، كم سعر الخطة؟", "كم سعر الخطة؟"),
        ] {
            assert_eq!(without_small_talk(message), question, "{message}");
        }
        for whole in [
            "hello",
            "thanks, bye",
            "مشكور ما قصرت",
            "شكرا جزيلا",
            "Thank you so much",
            "How do I say hello to a new customer?",
            "ok so how do I add contacts?",
            "«كم السعر؟»",
            "please",
            // Words of the question that are also small talk.
            "هل تقبلون ابل باي؟",
            "كيف اغير رسالة مرحبا",
            "Can the auto-reply say thank you",
            "Thanks to the update, is the inbox faster?",
            "تسلم الطلبات متى؟",
            "فيه حد لعدد رسايل البث اللي ارسلها؟",
            "في احد العملاء ما وصله الرد",
            "how are you handling refunds?",
            // A question's own symbols.
            "does it work with C++",
            "!!! my order never came",
            "هل الخطة تشمل 9+ قنوات",
        ] {
            assert_eq!(without_small_talk(whole), whole, "{whole}");
        }
        let long = "ty ".repeat(400_000);
        assert_eq!(
            without_small_talk(&long),
            long.trim(),
            "a long text is left whole"
        );
    }

    #[test]
    fn a_question_is_never_small_talk() {
        for message in [
            "hi, how much is delivery?",
            "مرحبا، كم سعر الخطة؟",
            "thanks but my order did not arrive",
            "hello world program",
            "",
            "🤔",
            "no, I want to cancel my order",
            "ok so how do I add contacts?",
            "لا يوجد رصيد في حسابي",
            "👍 but the link does not open",
            "how are you handling refunds?",
            "why are you there on Fridays",
            "هل الرد الي على الواتساب؟",
            "are you open on Friday?",
        ] {
            assert_eq!(recognise(message), None, "{message}");
        }
    }

    #[test]
    fn the_reply_follows_the_language_and_returns_a_salam() {
        assert_eq!(
            reply(SmallTalk::Greeting, Language::Ar, "السلام عليكم"),
            "وعليكم السلام ورحمة الله! كيف يمكنني مساعدتك اليوم؟"
        );
        assert!(reply(SmallTalk::Thanks, Language::En, "thanks").starts_with("You're welcome"));
        assert!(is_yes("Yes please!"));
        assert!(is_yes("نعم"));
        assert!(!is_yes("yes, but how much is it?"));
        assert_eq!(
            reply(SmallTalk::Greeting, Language::Ar, "السلام عليكم، كيف حالك؟"),
            "وعليكم السلام ورحمة الله! بخير، شكراً لسؤالك. كيف يمكنني مساعدتك اليوم؟"
        );
        assert!(
            reply(SmallTalk::Greeting, Language::En, "how's it going?").starts_with("I'm well")
        );
        assert!(reply(SmallTalk::Greeting, Language::En, "hello").starts_with("Hello"));
        assert!(
            reply(SmallTalk::Identity, Language::En, "are you a bot?").contains("AI assistant")
        );
        assert!(is_yes("👍"));
        assert!(!is_yes("👎"));
        assert!(reply(SmallTalk::Decline, Language::En, "no").starts_with("Alright"));
        assert!(reply(SmallTalk::Acknowledgement, Language::Ar, "تمام").starts_with("تمام"));
    }

    #[test]
    fn an_offered_question_is_picked_by_its_number_or_place() {
        for (message, index) in [
            ("1", 0),
            ("2", 1),
            ("٢", 1),
            ("#2", 1),
            ("No. 2", 1),
            ("number 1", 0),
            ("The first one", 0),
            ("second", 1),
            ("الأول", 0),
            ("الاولى", 0),
            ("رقم ٢", 1),
            ("السؤال الثاني", 1),
            ("الثانية", 1),
            ("اتنين", 1),
        ] {
            assert_eq!(picked(message, 2), Some(index), "{message}");
        }
        for message in [
            "3",
            "the third one",
            "third",
            "الثالث",
            "الثالثة",
            "التالت",
            "رقم 3",
        ] {
            assert_eq!(picked(message, 3), Some(2), "{message}");
        }
        assert_eq!(picked("2", 1), None, "only one was offered");
        assert_eq!(picked("3", 2), None);
        for message in [
            "yes",
            "1 more question",
            "the first plan",
            "كم السعر؟",
            "12",
        ] {
            assert_eq!(picked(message, 2), None, "{message}");
        }
    }

    #[test]
    fn a_bare_salam_greets_when_it_opens_the_conversation() {
        assert_eq!(
            recognise_in_conversation("سلام", true),
            Some(SmallTalk::Greeting)
        );
        assert_eq!(
            recognise_in_conversation("سلام!", false),
            Some(SmallTalk::Goodbye)
        );
        assert_eq!(
            recognise_in_conversation("مع السلامة", true),
            Some(SmallTalk::Goodbye)
        );
    }
}
