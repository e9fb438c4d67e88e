//! A language guess per chunk: the script decides Arabic; whatlang separates Latin-script
//! languages. Codes are ISO 639-1 where one exists.

/// Returns a language code ("ar", "en", "fr", ...) or "und" when the text says too little.
pub fn guess_language(text: &str) -> String {
    let (mut arabic, mut letters) = (0usize, 0usize);
    for character in text.chars().filter(|character| character.is_alphabetic()) {
        letters += 1;
        if is_arabic(character) {
            arabic += 1;
        }
    }
    if letters == 0 {
        return "und".to_string();
    }
    if arabic * 2 > letters {
        return "ar".to_string();
    }
    match whatlang::detect(text) {
        Some(info) if info.confidence() > 0.1 || letters > 40 => {
            iso_639_1(info.lang().code()).to_string()
        }
        _ => "und".to_string(),
    }
}

pub(crate) fn is_arabic(character: char) -> bool {
    matches!(character as u32, 0x0600..=0x06FF | 0x0750..=0x077F | 0x08A0..=0x08FF | 0xFB50..=0xFDFF | 0xFE70..=0xFEFF)
}

pub(crate) fn is_hebrew(character: char) -> bool {
    matches!(character as u32, 0x0590..=0x05FF | 0xFB1D..=0xFB4F)
}

fn iso_639_1(code: &'static str) -> &'static str {
    match code {
        "eng" => "en",
        "ara" => "ar",
        "fra" => "fr",
        "deu" => "de",
        "spa" => "es",
        "por" => "pt",
        "ita" => "it",
        "nld" => "nl",
        "tur" => "tr",
        "rus" => "ru",
        "pes" => "fa",
        "urd" => "ur",
        "heb" => "he",
        "hin" => "hi",
        "cmn" => "zh",
        "jpn" => "ja",
        "kor" => "ko",
        "ind" => "id",
        "msa" => "ms",
        other => other,
    }
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
}
