//! Arabic written in Latin letters ("Arabizi"), read in Arabic letters.
//!
//! Many Gulf, Levantine and Egyptian customers type Arabic on a Latin keyboard, with digits
//! for the letters Latin lacks: "3andkom live chat?" (do you have live chat?), "kam se3r el
//! eshterak?" (how much is the subscription?). e5 reads such a message as a string of
//! unknown words, and the language it is detected in is English: of the FAQ suite's 20
//! Arabizi questions, 2 were answered with their fact, in English, as typed; 7 are, in
//! Arabic, once written in Arabic letters (docs/calibration.md). A message is rewritten only
//! when it shows Arabizi's signs ([`in_arabic_letters`]); English is left as it is.
//!
//! The rewriting spells each word as a customer would have in Arabic letters: common words
//! from a table (pronouns, particles, question words, greetings, everyday words of customer
//! service), other words letter by letter, with the short vowels Arabic does not write left
//! out. Words that look English (a p, a v, "tion", a capital inside, a common English word:
//! "shopify", "SleekFlow", "API", "website") keep their Latin letters, as Arabic writers keep
//! product names; a name in lower case without such a mark is spelled out ("sleekflow" is
//! "سليكفلو"). The dialect words this gives ("ايش", "ابغى") are then read in standard Arabic
//! by [`crate::colloquial`].

use crate::text::{is_address, is_arabic_letter};

/// Words only Arabizi writes: one of these, typed in lower case, is a sign that a message is
/// Arabic in Latin letters. Kept apart from [`SHARED_WORDS`].
const ARABIZI_WORDS: &[(&str, &str)] = &[
    // Pronouns.
    ("enta", "انت"),
    ("inta", "انت"),
    ("enti", "انتي"),
    ("inti", "انتي"),
    ("howa", "هو"),
    ("huwa", "هو"),
    ("hwa", "هو"),
    ("e7na", "احنا"),
    ("i7na", "احنا"),
    ("ne7na", "نحنا"),
    ("ento", "انتو"),
    ("intu", "انتو"),
    ("homma", "هما"),
    // Question words.
    ("shu", "شو"),
    ("sho", "شو"),
    ("shou", "شو"),
    ("eish", "ايش"),
    ("aish", "ايش"),
    ("wesh", "وش"),
    ("wsh", "وش"),
    ("keef", "كيف"),
    ("kif", "كيف"),
    ("kaif", "كيف"),
    ("ezay", "ازاي"),
    ("ezzay", "ازاي"),
    ("izzay", "ازاي"),
    ("shlon", "شلون"),
    ("shloon", "شلون"),
    ("shlonak", "شلونك"),
    ("leish", "ليش"),
    ("lesh", "ليش"),
    ("meen", "مين"),
    ("wein", "وين"),
    ("fein", "فين"),
    ("emta", "امتى"),
    ("imta", "امتى"),
    ("kaam", "كام"),
    ("bkam", "بكام"),
    ("adesh", "قديش"),
    ("addesh", "قديش"),
    // Particles and linking words.
    ("mish", "مش"),
    ("msh", "مش"),
    ("mafi", "مافي"),
    ("mafee", "مافي"),
    ("mafeesh", "مافيش"),
    ("mafish", "مافيش"),
    ("walla", "ولا"),
    ("lakin", "لكن"),
    ("laken", "لكن"),
    ("3ashan", "عشان"),
    ("3shan", "عشان"),
    ("3alashan", "علشان"),
    ("3lashan", "علشان"),
    ("ya3ni", "يعني"),
    ("y3ni", "يعني"),
    ("khalas", "خلاص"),
    ("5alas", "خلاص"),
    ("kaman", "كمان"),
    ("bardo", "بردو"),
    ("tayeb", "طيب"),
    ("tayb", "طيب"),
    ("3ala", "على"),
    ("3la", "على"),
    ("3al", "على ال"),
    ("3an", "عن"),
    ("ma3", "مع"),
    ("m3", "مع"),
    ("ma3a", "مع"),
    ("3ind", "عند"),
    ("3and", "عند"),
    ("3nd", "عند"),
    ("3andi", "عندي"),
    ("3indi", "عندي"),
    ("ma3andi", "ماعندي"),
    ("3andak", "عندك"),
    ("3indak", "عندك"),
    ("3ndk", "عندك"),
    ("3andkom", "عندكم"),
    ("3andkum", "عندكم"),
    ("3indkom", "عندكم"),
    ("3indkum", "عندكم"),
    ("3ndkm", "عندكم"),
    ("3ndkom", "عندكم"),
    ("m3akom", "معاكم"),
    ("ma3akom", "معاكم"),
    ("m3kom", "معكم"),
    ("ma3kom", "معكم"),
    ("fel", "في ال"),
    ("fil", "في ال"),
    ("bel", "بال"),
    ("bil", "بال"),
    ("lel", "لل"),
    ("wel", "وال"),
    ("wil", "وال"),
    ("fiha", "فيها"),
    ("feeha", "فيها"),
    ("fihom", "فيهم"),
    ("bain", "بين"),
    ("farq", "فرق"),
    ("far2", "فرق"),
    ("kteer", "كثير"),
    ("kter", "كثير"),
    ("ktir", "كثير"),
    ("ktiir", "كثير"),
    ("wayed", "وايد"),
    ("shway", "شوي"),
    ("shwaya", "شوية"),
    // Can, must, want.
    ("momken", "ممكن"),
    ("mumkin", "ممكن"),
    ("mumken", "ممكن"),
    ("mmkn", "ممكن"),
    ("mmken", "ممكن"),
    ("lazem", "لازم"),
    ("lazim", "لازم"),
    ("lazm", "لازم"),
    ("abga", "ابغى"),
    ("abgha", "ابغى"),
    ("ab8a", "ابغى"),
    ("biddi", "بدي"),
    ("beddi", "بدي"),
    ("3ayez", "عايز"),
    ("3ayz", "عايز"),
    ("3awez", "عاوز"),
    ("3awz", "عاوز"),
    ("a2dar", "اقدر"),
    ("agdar", "اقدر"),
    ("aqdar", "اقدر"),
    ("n2dar", "نقدر"),
    ("ngdar", "نقدر"),
    ("yenfa3", "ينفع"),
    ("ynfa3", "ينفع"),
    ("tenfa3", "تنفع"),
    ("tnfa3", "تنفع"),
    // When.
    ("al7in", "الحين"),
    ("alhin", "الحين"),
    ("dl7in", "الحين"),
    ("delwa2ti", "دلوقتي"),
    ("dilwa2ti", "دلوقتي"),
    ("halla2", "هلق"),
    ("ba3dain", "بعدين"),
    ("ba3den", "بعدين"),
    ("ba3d", "بعد"),
    ("bukra", "بكرة"),
    ("bokra", "بكرة"),
    // Greetings, thanks, goodbyes, yes and no.
    ("salam", "سلام"),
    ("salaam", "سلام"),
    ("slm", "سلام"),
    ("assalam", "السلام"),
    ("assalamu", "السلام"),
    ("alsalam", "السلام"),
    ("essalam", "السلام"),
    ("3alaykom", "عليكم"),
    ("3alaikum", "عليكم"),
    ("3alaykum", "عليكم"),
    ("3lykm", "عليكم"),
    ("alaykom", "عليكم"),
    ("alaikum", "عليكم"),
    ("aleikum", "عليكم"),
    ("marhaba", "مرحبا"),
    ("mar7aba", "مرحبا"),
    ("mrhba", "مرحبا"),
    ("ahlan", "اهلا"),
    ("sabah", "صباح"),
    ("saba7", "صباح"),
    ("masa2", "مساء"),
    ("elkhair", "الخير"),
    ("elkheir", "الخير"),
    ("el5er", "الخير"),
    ("alkhair", "الخير"),
    ("shukran", "شكرا"),
    ("shokran", "شكرا"),
    ("shukrn", "شكرا"),
    ("shkran", "شكرا"),
    ("mashkoor", "مشكور"),
    ("mashkour", "مشكور"),
    ("tislam", "تسلم"),
    ("teslam", "تسلم"),
    ("yeslamo", "يسلمو"),
    ("yslmo", "يسلمو"),
    ("salama", "سلامة"),
    ("yalla", "يلا"),
    ("tamam", "تمام"),
    ("mashi", "ماشي"),
    ("inshallah", "ان شاء الله"),
    ("insha2allah", "ان شاء الله"),
    ("wallah", "والله"),
    ("habibi", "حبيبي"),
    ("7abibi", "حبيبي"),
    ("akhi", "اخي"),
    ("aywa", "ايوه"),
    ("na3am", "نعم"),
    ("la2", "لا"),
    ("akeed", "اكيد"),
    // Everyday words of customer service.
    ("flos", "فلوس"),
    ("floos", "فلوس"),
    ("fulus", "فلوس"),
    ("balash", "ببلاش"),
    ("bbalash", "ببلاش"),
    ("se3r", "سعر"),
    ("si3r", "سعر"),
    ("as3ar", "اسعار"),
    ("eshterak", "اشتراك"),
    ("eshtirak", "اشتراك"),
    ("ishtirak", "اشتراك"),
    ("ishterak", "اشتراك"),
    ("7esab", "حساب"),
    ("7sab", "حساب"),
    ("7sabi", "حسابي"),
    ("7esabi", "حسابي"),
    ("tawseel", "توصيل"),
    ("tawsil", "توصيل"),
    ("daf3", "دفع"),
    ("zaboon", "زبون"),
    ("zabayen", "زباين"),
    ("3ameel", "عميل"),
    ("3amil", "عميل"),
    ("3omala", "عملاء"),
    ("3umala", "عملاء"),
    ("resala", "رسالة"),
    ("risala", "رسالة"),
    ("rasayel", "رسايل"),
    ("rasa2el", "رسائل"),
    ("ra2am", "رقم"),
    ("raqam", "رقم"),
    ("moshkela", "مشكلة"),
    ("mushkila", "مشكلة"),
    ("mosa3ada", "مساعدة"),
    ("musa3ada", "مساعدة"),
    ("wa2t", "وقت"),
    ("waqt", "وقت"),
    ("da3m", "دعم"),
    ("khedma", "خدمة"),
    ("khidma", "خدمة"),
    ("bayanat", "بيانات"),
    ("mowazaf", "موظف"),
    ("mowazzaf", "موظف"),
    ("mwazaf", "موظف"),
    ("muwazzaf", "موظف"),
    ("mowazafeen", "موظفين"),
    ("shakhs", "شخص"),
    ("sha5s", "شخص"),
    ("ensan", "انسان"),
    ("insan", "انسان"),
    ("akallem", "اكلم"),
    ("akalem", "اكلم"),
    ("akalim", "اكلم"),
    ("atkallam", "اتكلم"),
    ("atkalam", "اتكلم"),
    ("at7adath", "اتحدث"),
    ("taba3i", "تبعي"),
    ("bta3", "بتاع"),
    ("bta3i", "بتاعي"),
];

/// Words English or other languages write too ("ana", "hiya", "law", "bas"): read in Arabic
/// letters within an Arabizi message, never a sign of one.
const SHARED_WORDS: &[(&str, &str)] = &[
    ("ana", "انا"),
    ("hiya", "هي"),
    ("heya", "هي"),
    ("lil", "لل"),
    ("leh", "ليه"),
    ("wala", "ولا"),
    ("mosh", "مش"),
    ("aiwa", "ايوه"),
    ("bein", "بين"),
    ("ani", "اني"),
    ("hom", "هم"),
    ("hum", "هم"),
    ("esh", "ايش"),
    ("ash", "اش"),
    ("eh", "ايه"),
    ("wen", "وين"),
    ("fen", "فين"),
    ("mata", "متى"),
    ("kam", "كم"),
    ("hal", "هل"),
    ("ma", "ما"),
    ("la", "لا"),
    ("mesh", "مش"),
    ("fi", "في"),
    ("feeh", "فيه"),
    ("fih", "فيه"),
    ("ya", "يا"),
    ("w", "و"),
    ("wa", "و"),
    ("aw", "او"),
    ("bas", "بس"),
    ("bs", "بس"),
    ("iza", "اذا"),
    ("eza", "اذا"),
    ("itha", "اذا"),
    ("idha", "اذا"),
    ("law", "لو"),
    ("lamma", "لما"),
    ("tab", "طب"),
    ("min", "من"),
    ("men", "من"),
    ("mn", "من"),
    ("ila", "الى"),
    ("ela", "الى"),
    ("li", "ل"),
    ("l", "ل"),
    ("bi", "ب"),
    ("b", "ب"),
    ("el", "ال"),
    ("al", "ال"),
    ("il", "ال"),
    ("ay", "اي"),
    ("ayy", "اي"),
    ("kol", "كل"),
    ("kul", "كل"),
    ("abi", "ابي"),
    ("hala", "هلا"),
    ("ahla", "اهلا"),
    ("masa", "مساء"),
    ("khair", "خير"),
    ("sana", "سنة"),
    ("yom", "يوم"),
    ("ok", "اوكي"),
    ("okay", "اوكي"),
    ("bye", "باي"),
];

/// Particles Arabizi writes as words of their own, which English seldom writes ("el", "b",
/// "kam"): half a sign each, in lower case ("L" is a unit, "B" a plan).
const PARTICLES: &[&str] = &[
    "el", "al", "il", "b", "bi", "l", "li", "fi", "kam", "hal", "w", "wa", "iza", "eza",
];

/// English words customers write inside Arabic in Latin letters that no other rule of
/// [`looks_english`] marks (they have no p, v, x, lone c, "ck" or "ph"): kept in Latin
/// letters, never spelled out in Arabic ones.
const ENGLISH_WORDS: &[&str] = &[
    "about",
    "admin",
    "agent",
    "agents",
    "android",
    "audio",
    "bank",
    "bot",
    "bots",
    "brand",
    "business",
    "chat",
    "chatbot",
    "data",
    "demo",
    "digital",
    "email",
    "emails",
    "file",
    "files",
    "flow",
    "form",
    "free",
    "gmail",
    "google",
    "hello",
    "hi",
    "home",
    "insta",
    "instagram",
    "install",
    "key",
    "line",
    "link",
    "links",
    "login",
    "mail",
    "message",
    "messages",
    "meta",
    "mobile",
    "mode",
    "number",
    "offer",
    "online",
    "order",
    "orders",
    "refund",
    "return",
    "sales",
    "sheet",
    "sheets",
    "site",
    "smart",
    "sms",
    "store",
    "system",
    "team",
    "teams",
    "telegram",
    "thanks",
    "time",
    "token",
    "trial",
    "twitter",
    "user",
    "users",
    "web",
    "website",
    "wechat",
    "wifi",
    "windows",
    "zoom",
];

/// Latin letters and pairs of letters, longest first, with the Arabic letter each stands for.
/// The digits are Arabizi's own: 3 ain, 5 kha, 6 taa, 7 haa, 8 qaf, 9 sad (2, hamza or qaf,
/// is read by its place).
const LETTERS: &[(&str, &str)] = &[
    ("3'", "غ"),
    ("7'", "خ"),
    ("9'", "ض"),
    ("6'", "ظ"),
    ("sh", "ش"),
    ("kh", "خ"),
    ("gh", "غ"),
    ("th", "ث"),
    ("dh", "ذ"),
    ("ch", "ش"),
    ("ee", "ي"),
    ("ii", "ي"),
    ("oo", "و"),
    ("ou", "و"),
    ("aa", "ا"),
    ("ei", "ي"),
    ("ai", "ي"),
    ("3", "ع"),
    ("5", "خ"),
    ("6", "ط"),
    ("7", "ح"),
    ("8", "ق"),
    ("9", "ص"),
    ("b", "ب"),
    ("t", "ت"),
    ("j", "ج"),
    ("d", "د"),
    ("r", "ر"),
    ("z", "ز"),
    ("s", "س"),
    ("f", "ف"),
    ("q", "ق"),
    ("k", "ك"),
    ("l", "ل"),
    ("m", "م"),
    ("n", "ن"),
    ("h", "ه"),
    ("w", "و"),
    ("y", "ي"),
    ("g", "ج"),
];

/// The article, alone or after a particle, as the tables write it for "el", "lel", "bel",
/// "wel": joined to the Arabic word after it.
const ARTICLES: &[&str] = &["ال", "لل", "بال", "وال"];

/// Particles Arabic joins to the word after them, written as words in Latin letters ("b kam",
/// "w el se3r").
const JOINED_PARTICLES: &[&str] = &["ب", "و", "ل"];

/// What follows a number in English ("9am", "5oz", "3inch"), not an Arabizi word.
const UNITS: &[&str] = &["am", "pm", "oz", "inch", "inches", "ea", "ish"];

/// The message in Arabic letters when it is Arabic written in Latin letters; `None` when it is
/// not (English, another language, or too little to tell).
///
/// A message is Arabizi when it holds one and a half signs of it and at least half a sign for
/// every three words, or one of its own words in a message of three words or fewer
/// ("shukran", "3andkom live chat?"). A sign is a word only Arabizi writes ("shu", "momken", "3andkom") or a
/// lower-case word with one of Arabizi's digits standing for a letter ("se3r", "7ad",
/// "tabe3"): "b2b", "mp3", "covid19", "gpt5", "5mmol" and "Beta3" are not. A particle written
/// as a word ("el", "b", "kam") is half a sign, save "b kam" ("bkam", how much, with a space),
/// a sign; and particles alone are not enough: "plan b",
/// "b/w printing?" and Spanish's "el envio al aeropuerto y el regreso" are not Arabizi.
pub fn in_arabic_letters(text: &str) -> Option<String> {
    let words: Vec<&str> = text
        .split_whitespace()
        .filter(|token| !is_address(token))
        .flat_map(latin_words)
        .collect();
    if words.is_empty() || words.iter().any(|word| !word.is_ascii()) {
        return None;
    }
    let first = |at: usize| at == 0;
    // "b kam" (how much) is "bkam" typed with a space: a sign, where each is only a particle.
    let how_much = words
        .windows(2)
        .filter(|pair| matches!(pair[0], "b" | "bi" | "be") && pair[1] == "kam")
        .count();
    let signs = (words.iter().enumerate())
        .filter(|(at, word)| is_sign(word, first(*at)))
        .count()
        + how_much;
    let particles = words.iter().filter(|word| PARTICLES.contains(word)).count();
    let half_signs = 2 * signs + particles;
    let enough = signs >= 1 && half_signs >= 3 && half_signs * 3 >= words.len();
    let short_with_a_word = words.len() <= 3
        && (words.iter().enumerate()).any(|(at, word)| is_arabizi_word(word, first(at)));
    if !(enough || short_with_a_word) {
        return None;
    }
    let mut arabic = String::with_capacity(text.len() * 2);
    for piece in text.split_inclusive(char::is_whitespace) {
        if is_address(piece.trim_end()) {
            arabic.push_str(piece);
            continue;
        }
        let mut rest = piece;
        while let Some(start) = rest.find(is_latin) {
            let (before, from) = rest.split_at(start);
            arabic.push_str(&punctuation_in_arabic(before));
            let end = from.find(|c: char| !is_latin(c)).unwrap_or(from.len());
            let (word, after) = from.split_at(end);
            if word.chars().any(|c| c.is_ascii_alphabetic()) {
                arabic.push_str(&word_in_arabic(word));
            } else {
                arabic.push_str(word);
            }
            rest = after;
        }
        arabic.push_str(&punctuation_in_arabic(rest));
    }
    Some(join_prefixes(&arabic))
}

/// The words of a token written with Latin letters or digits, apostrophes included ("3'").
fn latin_words(token: &str) -> impl Iterator<Item = &str> {
    token
        .split(|c: char| !is_latin(c) && !c.is_alphabetic())
        .filter(|word| word.chars().any(|c| c.is_alphabetic()))
}

fn is_latin(character: char) -> bool {
    character.is_ascii_alphanumeric() || character == '\''
}

/// Typed in lower case, or with a capital only where a phone puts one, on the message's first
/// word: "Salam Khoury", "Hiya" and "Beta3" inside a message are names.
fn typed_in_lower_case(word: &str, first: bool) -> bool {
    let capitals = word.chars().filter(char::is_ascii_uppercase).count();
    capitals == 0 || (first && capitals == 1 && word.starts_with(|c: char| c.is_ascii_uppercase()))
}

/// A word of [`ARABIZI_WORDS`], as Arabizi types it.
fn is_arabizi_word(word: &str, first: bool) -> bool {
    typed_in_lower_case(word, first) && lookup(ARABIZI_WORDS, &word.to_ascii_lowercase()).is_some()
}

/// A sign of Arabizi: one of its words, or one of its digits in a word as it types it.
fn is_sign(word: &str, first: bool) -> bool {
    let lower = word.to_ascii_lowercase();
    is_arabizi_word(word, first)
        || (typed_in_lower_case(word, first) && has_arabizi_digit(&lower) && !looks_english(&lower))
}

/// One digit that stands for a letter, inside a word of three letters or more ("se3r"); at
/// its start only before a vowel and not before a unit ("3and", "7ad", not "9am", "5mmol");
/// at its end only a 2, 3 or 7 after a vowel ("tabe3"), since a version ends a name ("gpt5",
/// "note9"). "door2door" and "e2ee" say "to".
fn has_arabizi_digit(word: &str) -> bool {
    let digits: Vec<usize> = word
        .char_indices()
        .filter(|(_, c)| c.is_ascii_digit())
        .map(|(at, _)| at)
        .collect();
    let letters = word.chars().filter(char::is_ascii_alphabetic).count();
    let [at] = digits.as_slice() else {
        return false;
    };
    let (at, digit) = (*at, word.as_bytes()[*at]);
    let vowel = |at: usize| {
        word.as_bytes()
            .get(at)
            .is_some_and(|c| b"aeiou".contains(c))
    };
    let (before, after) = (&word[..at], &word[at + 1..]);
    let placed = match at {
        0 => letters >= 2 && vowel(1) && !UNITS.contains(&after),
        at if at + 1 == word.len() => letters >= 3 && vowel(at - 1) && b"237".contains(&digit),
        _ => letters >= 3 && !(digit == b'2' && after.starts_with(before)),
    };
    b"235679".contains(&digit) && placed
}

fn lookup(table: &[(&str, &'static str)], word: &str) -> Option<&'static str> {
    table
        .iter()
        .find(|(latin, _)| *latin == word)
        .map(|(_, arabic)| *arabic)
}

/// One word in Arabic letters: from the tables; a particle joined to a word of the tables
/// ("bflos", "wse3r"); kept in Latin letters when it looks English or is a name with a digit
/// ("iphone7", "Galaxy9"); else letter by letter.
fn word_in_arabic(word: &str) -> String {
    let lower = word.to_ascii_lowercase();
    if let Some(arabic) = lookup(ARABIZI_WORDS, &lower).or_else(|| lookup(SHARED_WORDS, &lower)) {
        return arabic.to_string();
    }
    for (particle, arabic_particle) in [("b", "ب"), ("w", "و"), ("l", "ل"), ("f", "ف")] {
        if let Some(rest) = lower.strip_prefix(particle)
            && rest.len() >= 3
            && let Some(arabic) = lookup(ARABIZI_WORDS, rest)
        {
            return format!("{arabic_particle}{arabic}");
        }
    }
    let name_with_a_digit = word.starts_with(|c: char| c.is_ascii_uppercase())
        && word.chars().any(|c| c.is_ascii_digit());
    if looks_english(word) || name_with_a_digit {
        return word.to_string();
    }
    letter_by_letter(&lower)
}

/// Spelled as no Arabic word in Latin letters is: a capital inside ("SleekFlow"), all
/// capitals ("AI"), letters Arabic lacks (p, v, x, a c not in "ch"), or English endings.
fn looks_english(word: &str) -> bool {
    let mut characters = word.chars();
    let first_upper = characters.next().is_some_and(|c| c.is_ascii_uppercase());
    if characters.any(|c| c.is_ascii_uppercase()) {
        return true;
    }
    let lower = word.to_ascii_lowercase();
    let foreign_letter = lower.char_indices().any(|(at, c)| match c {
        'p' | 'v' | 'x' => true,
        'c' => !lower[at + 1..].starts_with('h'),
        _ => false,
    });
    foreign_letter
        || (first_upper && word.len() == 1)
        || ENGLISH_WORDS.contains(&lower.as_str())
        || ["ck", "ph"].iter().any(|pair| lower.contains(pair))
        || ["tion", "ing"].iter().any(|ending| lower.ends_with(ending))
}

/// Letter by letter, doubled consonants written once, short vowels inside the word left out
/// as Arabic leaves them. A vowel opening the word is an alef. Closing it, "-at" is "ات" (a
/// plural), "-a" and "-e" a taa marbuta (an alef after a lone h or n: "-ha", "-na"), "-i" a
/// yaa, "-o" and "-u" a waw, as they are before a closing "-n" or "-na". A 2 opening the word
/// is an alef, between vowels or closing it after an a a hamza ("so2al", "kahraba2"), else a
/// qaf said as a hamza ("wa2t", "toro2").
fn letter_by_letter(word: &str) -> String {
    let bytes = word.as_bytes();
    let is_vowel = |at: usize| bytes.get(at).is_some_and(|c| b"aeiou".contains(c));
    let mut arabic = String::new();
    // The letter the step before read alone (not as part of "sh", "kh"...).
    let mut single = None;
    let mut at = 0;
    while at < bytes.len() {
        let character = bytes[at];
        if single == Some(character) && character.is_ascii_alphabetic() && !is_vowel(at) {
            at += 1;
            continue;
        }
        if character == b'2' {
            let hamza = at > 0
                && is_vowel(at - 1)
                && (is_vowel(at + 1) || (at + 1 == bytes.len() && bytes[at - 1] == b'a'));
            arabic.push_str(match at {
                0 => "ا",
                _ if hamza => "ء",
                _ => "ق",
            });
            single = None;
            at += 1;
            continue;
        }
        if let Some((latin, letter)) = LETTERS
            .iter()
            .find(|(latin, _)| word[at..].starts_with(latin))
            .filter(|(latin, _)| at > 0 || !latin.starts_with(['a', 'e', 'i', 'o']))
        {
            arabic.push_str(letter);
            single = (latin.len() == 1).then_some(character);
            at += latin.len();
            continue;
        }
        let last = at + 1 == bytes.len();
        let vowel = match character {
            b'a' | b'e' | b'i' | b'o' | b'u' if at == 0 => Some("ا"),
            // The plural "-at" ("qanawat", "bayanat").
            b'a' if at >= 3 && &word[at..] == "at" => Some("ا"),
            b'a' if last && matches!(single, Some(b'h' | b'n')) => Some("ا"),
            b'a' | b'e' if last => Some("ة"),
            b'i' if last => Some("ي"),
            b'o' | b'u' if last || matches!(&word[at + 1..], "n" | "na") => Some("و"),
            _ => None,
        };
        if let Some(letter) = vowel {
            arabic.push_str(letter);
        } else if !character.is_ascii_alphanumeric() {
            arabic.push(char::from(character));
        }
        single = None;
        at += 1;
    }
    arabic
}

/// Question marks and commas as Arabic writes them.
fn punctuation_in_arabic(text: &str) -> String {
    text.replace('?', "؟").replace(',', "،")
}

/// "ال قنوات" as "القنوات": the article and the particles written as words in Latin letters
/// ("el qanawat", "lel", "b kam") are joined to the Arabic word after them ("li el 3omala" is
/// "للعملاء"); the article is left out before a word kept in Latin letters ("el website" is
/// "website", "b el visa" "ب visa").
fn join_prefixes(text: &str) -> String {
    let mut words: Vec<String> = Vec::new();
    let mut rest = text.split(' ').peekable();
    while let Some(word) = rest.next() {
        let before_latin = rest
            .peek()
            .and_then(|next| next.chars().next())
            .is_some_and(|c| c.is_ascii_alphabetic());
        match ARTICLES.contains(&word) && before_latin {
            true => match word.strip_suffix("ال").unwrap_or("ل") {
                "" => {}
                particle => words.push(particle.to_string()),
            },
            false => words.push(word.to_string()),
        }
    }
    let mut joined = String::with_capacity(text.len());
    let mut prefix: Option<String> = None;
    for word in words {
        let arabic = word.starts_with(is_arabic_letter);
        let word = match prefix.take() {
            Some(particle) if arabic && particle == "ل" && word.starts_with("ال") => {
                format!("لل{}", &word["ال".len()..])
            }
            Some(particle) if arabic => format!("{particle}{word}"),
            Some(particle) => {
                joined.push_str(&particle);
                joined.push(' ');
                word
            }
            None => word,
        };
        let joins = ARTICLES.contains(&word.as_str()) || JOINED_PARTICLES.contains(&word.as_str());
        if joins {
            prefix = Some(word);
            continue;
        }
        joined.push_str(&word);
        joined.push(' ');
    }
    if let Some(particle) = prefix {
        joined.push_str(&particle);
        joined.push(' ');
    }
    joined.pop();
    joined
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arabic_in_latin_letters_is_written_in_arabic_letters() {
        for (arabizi, arabic) in [
            ("shu howa el se3r?", "شو هو السعر؟"),
            ("3andkom live chat?", "عندكم live chat؟"),
            ("momken arbot shopify?", "ممكن اربت shopify؟"),
            ("salam 3alaykom", "سلام عليكم"),
            ("shukran", "شكرا"),
            ("wesh el qanawat elli td3amonha?", "وش القنوات الي تدعمنها؟"),
            ("lazem adfa3 3ala kol qanah", "لازم ادفع على كل قنه"),
            (
                "fi 7ad lel broadcast messages?",
                "في حد ل broadcast messages؟",
            ),
            (
                "howa el whatsapp api bflos walla balash",
                "هو whatsapp api بفلوس ولا ببلاش",
            ),
            (
                "shu el farq bain el AI w SleekFlow",
                "شو الفرق بين AI و SleekFlow",
            ),
            ("bkam el premium plan?", "بكام premium plan؟"),
            ("b kam el premium plan?", "بكم premium plan؟"),
            ("momken adfa3 b el visa?", "ممكن ادفع ب visa؟"),
            ("kam ashhor el eshterak?", "كم اشهر الاشتراك؟"),
            ("3andi so2al 3an el fatoora", "عندي سءل عن الفتورة"),
            (
                "ba3atli email 3ala ahmed3@gmail.com",
                "بعتلي email على ahmed3@gmail.com",
            ),
            ("kam se3r el iphone7?", "كم سعر iphone7؟"),
            ("momken tersel li el 3omala?", "ممكن ترسل للعملاء؟"),
            ("Se3r el eshterak?", "سعر الاشتراك؟"),
            (
                "a2dar algi el eshterak ay wa2t?",
                "اقدر الجي الاشتراك اي وقت؟",
            ),
            ("eish toro2 el daf3?", "ايش ترق الدفع؟"),
        ] {
            assert_eq!(
                in_arabic_letters(arabizi).as_deref(),
                Some(arabic),
                "{arabizi}"
            );
        }
    }

    #[test]
    fn english_and_other_latin_text_is_left_alone() {
        for text in [
            "hi",
            "ok thanks",
            "Do you support WhatsApp?",
            "b2b pricing?",
            "Is gpt4 or covid19 mentioned?",
            "gpt5 support?",
            "iphone7 price?",
            "my mp3 player is broken",
            "Plan b: the wi fi is down",
            "Ana wants to know the price for a 3 month plan",
            "la la land",
            "Combien coûte la livraison à Dubaï ?",
            "كم السعر؟",
            "3 4 5",
            "",
            // Short English messages a business's customers send.
            "Hiya!",
            "hiya there",
            "Heya, quick question",
            "lil help?",
            "Salam Khoury here, where is my order?",
            "open at 9am?",
            "Hours 9am-5pm?",
            "5oz bottle?",
            "3inch screen?",
            "door2door delivery?",
            "e2ee support?",
            "note9 price?",
            "b/w printing?",
            "Cuanto cuesta el envio al aeropuerto y el regreso",
            "see ya",
            "good morning",
        ] {
            assert_eq!(in_arabic_letters(text), None, "{text}");
        }
    }

    /// Every English question of our own cross-language set (about Arabic articles, full of
    /// Arabic names: "Who is Jamal Ahmad Hamza Khashoggi?") and, where ../shared is present,
    /// SciFact's claims and every sentence of its abstracts (units, gene names, versions) is
    /// left as written.
    #[test]
    fn english_is_never_read_as_arabizi() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut files = vec![root.join("evals/sets/arcd-en/queries.jsonl")];
        let scifact = root.join("../shared/data/retrieval/scifact");
        if scifact.exists() {
            for name in ["queries.jsonl", "queries.train.jsonl", "corpus.jsonl"] {
                files.push(scifact.join(name));
            }
        } else {
            println!(
                "skipped: SciFact's English, {} is absent",
                scifact.display()
            );
        }
        let mut read = 0;
        for file in files {
            let lines = std::fs::read_to_string(&file).unwrap();
            for line in lines.lines() {
                let record: serde_json::Value = serde_json::from_str(line).unwrap();
                let text = record["text"].as_str().unwrap();
                for sentence in text.split(". ") {
                    assert_eq!(in_arabic_letters(sentence), None, "{sentence}");
                    read += 1;
                }
            }
        }
        assert!(read >= 40, "{read} sentences read");
    }

    proptest::proptest! {
        /// Any message is read without a panic, and what is written in Arabic letters is
        /// never read again as Arabizi (a turn may read a message more than once).
        #[test]
        fn any_message_is_read_once(
            typed in "[a-zA-Z0-9' ?,.!]{0,60}",
            anything in "\\PC{0,60}",
        ) {
            for text in [typed.as_str(), anything.as_str()] {
                if let Some(arabic) = in_arabic_letters(text) {
                    proptest::prop_assert_eq!(in_arabic_letters(&arabic), None, "{}", text);
                }
            }
        }
    }

    #[test]
    fn a_lone_digit_inside_a_short_word_is_not_a_sign() {
        assert!(has_arabizi_digit("se3r"));
        assert!(has_arabizi_digit("7ad"));
        assert!(has_arabizi_digit("a2dar"));
        assert!(!has_arabizi_digit("b2b"));
        assert!(!has_arabizi_digit("mp3"));
        assert!(!has_arabizi_digit("covid19"));
        assert!(!has_arabizi_digit("gpt4"));
        assert!(!has_arabizi_digit("gpt5"));
        assert!(has_arabizi_digit("tabe3"));
        assert!(!has_arabizi_digit("3d"));
        assert!(!has_arabizi_digit("5mmol"));
        assert!(!has_arabizi_digit("2fa"));
    }
}
