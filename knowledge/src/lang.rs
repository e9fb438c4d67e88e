//! A language guess per chunk: the script decides Arabic; whatlang separates Latin-script
//! languages. Codes are ISO 639-1 where one exists.

/// Returns a language code ("ar", "en", "fr", ...) or "und" when the text says too little.
pub fn guess_language(text: &str) -> String {
    let letters = match script(text) {
        Script::None => return "und".to_string(),
        Script::Arabic => return "ar".to_string(),
        Script::Other { letters } => letters,
    };
    match whatlang::detect(text) {
        Some(info) if info.confidence() > 0.1 || letters > 40 => {
            iso_639_1(info.lang().code()).to_string()
        }
        _ => "und".to_string(),
    }
}

/// The language of a customer's message, which is often a few words ("hi", "price?"), among
/// the languages a business's customers write in (ISO 639-1 codes). The script decides first
/// (Arabic); among Latin-script languages a detector restricted to the allowed ones decides;
/// with only one allowed, it is that one. `None` when the message says too little (no
/// letters, or the detector is unsure of a short message): the conversation's earlier
/// language is then the better guess.
pub fn guess_language_among(text: &str, allowed: &[String]) -> Option<String> {
    match script(text) {
        Script::None => return None,
        Script::Arabic => return Some("ar".to_string()),
        Script::Other { .. } => {}
    }
    let candidates: Vec<whatlang::Lang> = allowed
        .iter()
        .filter(|code| code.as_str() != "ar")
        .filter_map(|code| whatlang::Lang::from_code(iso_639_3(code)))
        .collect();
    match candidates.as_slice() {
        [] => Some(guess_language(text)).filter(|code| code != "und"),
        [only] => Some(iso_639_1(only.code()).to_string()),
        several => {
            let info = whatlang::Detector::with_allowlist(several.to_vec()).detect(text)?;
            // Four words or fewer rarely carry enough trigrams to tell French from English.
            let short = text.split_whitespace().count() <= 4;
            (info.is_reliable() || !short).then(|| iso_639_1(info.lang().code()).to_string())
        }
    }
}

/// What a text is written in: Arabic script, something else, or no letters.
enum Script {
    None,
    Arabic,
    Other { letters: usize },
}

/// Arabic when at least a third of the words are in Arabic script. Counted by words, not
/// letters: Arabic customers write product names in Latin letters ("هل يعمل SleekFlow مع
/// Instagram؟" has more Latin letters than Arabic ones), while an English sentence seldom
/// carries more than a borrowed Arabic word.
fn script(text: &str) -> Script {
    let (mut arabic_words, mut words, mut letters) = (0usize, 0usize, 0usize);
    let split = text.split(|character: char| !character.is_alphabetic());
    for word in split.filter(|word| !word.is_empty()) {
        words += 1;
        letters += word.chars().count();
        if word.chars().any(is_arabic) {
            arabic_words += 1;
        }
    }
    if words == 0 {
        Script::None
    } else if arabic_words * 3 >= words {
        Script::Arabic
    } else {
        Script::Other { letters }
    }
}

pub(crate) fn is_arabic(character: char) -> bool {
    matches!(character as u32, 0x0600..=0x06FF | 0x0750..=0x077F | 0x08A0..=0x08FF | 0xFB50..=0xFDFF | 0xFE70..=0xFEFF)
}

pub(crate) fn is_hebrew(character: char) -> bool {
    matches!(character as u32, 0x0590..=0x05FF | 0xFB1D..=0xFB4F)
}

/// ISO 639-3 codes (whatlang's) and their ISO 639-1 forms.
const CODES: [(&str, &str); 19] = [
    ("eng", "en"),
    ("ara", "ar"),
    ("fra", "fr"),
    ("deu", "de"),
    ("spa", "es"),
    ("por", "pt"),
    ("ita", "it"),
    ("nld", "nl"),
    ("tur", "tr"),
    ("rus", "ru"),
    ("pes", "fa"),
    ("urd", "ur"),
    ("heb", "he"),
    ("hin", "hi"),
    ("cmn", "zh"),
    ("jpn", "ja"),
    ("kor", "ko"),
    ("ind", "id"),
    ("msa", "ms"),
];

fn iso_639_1(code: &'static str) -> &'static str {
    CODES
        .iter()
        .find(|(long, _)| *long == code)
        .map_or(code, |(_, short)| short)
}

fn iso_639_3(code: &str) -> &str {
    CODES
        .iter()
        .find(|(_, short)| *short == code)
        .map_or(code, |(long, _)| long)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guesses_by_script_then_by_words() {
        assert_eq!(guess_language("كم سعر الخطة الاحترافية في الشهر؟"), "ar");
        assert_eq!(
            guess_language("How much does the professional plan cost per month?"),
            "en"
        );
        assert_eq!(
            guess_language("Combien coûte le forfait professionnel par mois pour une équipe ?"),
            "fr"
        );
        assert_eq!(guess_language("12 345"), "und");
    }

    #[test]
    fn arabic_with_product_names_in_latin_letters_is_arabic() {
        let arabic_and_english = ["ar".to_string(), "en".to_string()];
        for message in [
            "هل يعمل SleekFlow مع Instagram؟",
            "هل تدعمون WhatsApp Business API؟",
            "كم سعر خطة Pro",
            "مَا هُوَ CRM؟",
        ] {
            assert_eq!(guess_language(message), "ar", "{message}");
            assert_eq!(
                guess_language_among(message, &arabic_and_english).as_deref(),
                Some("ar"),
                "{message}"
            );
        }
        for message in [
            "Can I pay for the Pro plan in درهم?",
            "What does مرحبا mean in your welcome message?",
        ] {
            assert_eq!(
                guess_language_among(message, &arabic_and_english).as_deref(),
                Some("en"),
                "{message}"
            );
        }
    }

    #[test]
    fn short_messages_are_told_apart_among_the_allowed_languages() {
        let arabic_and_english = ["ar".to_string(), "en".to_string()];
        // whatlang alone calls these Czech, Welsh, Portuguese...
        for message in [
            "Do you ship to Oman?",
            "hi",
            "price?",
            "ok thanks",
            "Delivery cost",
        ] {
            assert_eq!(
                guess_language_among(message, &arabic_and_english).as_deref(),
                Some("en"),
                "{message}"
            );
        }
        assert_eq!(
            guess_language_among("كم السعر؟", &arabic_and_english).as_deref(),
            Some("ar")
        );
        assert_eq!(guess_language_among("👍 2", &arabic_and_english), None);
        let three = ["ar".to_string(), "en".to_string(), "fr".to_string()];
        assert_eq!(
            guess_language_among(
                "Bonjour, combien coûte la livraison à Dubaï pour une commande ?",
                &three
            )
            .as_deref(),
            Some("fr")
        );
        assert_eq!(
            guess_language_among(
                "How long does the delivery to Dubai take for a large order?",
                &three
            )
            .as_deref(),
            Some("en")
        );
    }
}
