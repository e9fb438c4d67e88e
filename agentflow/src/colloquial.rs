//! Colloquial Arabic asked in the register knowledge is written in.
//!
//! Customers write Gulf, Egyptian or Levantine Arabic ("وش القنوات اللي تدعمونها؟"); businesses
//! write their FAQ in Modern Standard Arabic ("ما هي منصات المراسلة التي تدعمها؟"). e5 reads a
//! dialect's question words, verbs of wanting and being able, and particles as other words,
//! and such a question scores lower against the very entry that answers it. [`standard`]
//! rewrites the dialect words that have one plain standard equivalent before retrieval, and
//! the English words customers write in Arabic letters ("برودكاست", "تمبليت", "تيكت") where an
//! FAQ uses the Arabic word (بث، قالب، تذكرة).
//!
//! Words a dialect shares with standard Arabic in another meaning are left alone: "فيه" (in
//! it), "دول" (countries), "حق" (right), "يقدر" (is estimated), "بس", "زي", "دي". So is a word
//! after "بن", "ابن" or "بنت": it is part of a name ("بن أبي سفيان", not "I want").

use knowledge::lexical::normalise_arabic;

use crate::text::{with_prefix, without_prefixes};

/// Dialect words, in their [`normalise_arabic`] form so that hamza and taa marbuta spellings
/// all match, with their standard equivalents.
const STANDARD: &[(&str, &str)] = &[
    // What, why, how, how much, when, where, who.
    ("شو", "ما"),
    ("وش", "ما"),
    ("ايش", "ما"),
    ("شنو", "ما"),
    ("ايه", "ماذا"),
    ("ليش", "لماذا"),
    ("ليه", "لماذا"),
    ("ازاي", "كيف"),
    ("شلون", "كيف"),
    ("اشلون", "كيف"),
    ("كام", "كم"),
    ("بكام", "بكم"),
    ("قديش", "كم"),
    ("شقد", "كم"),
    ("امتي", "متى"),
    ("ايمتي", "متى"),
    ("وين", "أين"),
    ("فين", "أين"),
    ("منين", "من أين"),
    ("مين", "من"),
    // Wanting and being able.
    ("ابي", "أريد"),
    ("ابغي", "أريد"),
    ("ابغا", "أريد"),
    ("بدي", "أريد"),
    ("عايز", "أريد"),
    ("عاوز", "أريد"),
    ("نبي", "نريد"),
    ("نبغي", "نريد"),
    ("عايزين", "نريد"),
    ("عاوزين", "نريد"),
    ("تبي", "تريد"),
    ("بدك", "تريد"),
    ("بغيت", "أردت"),
    ("اقدر", "أستطيع"),
    ("نقدر", "نستطيع"),
    ("ينفع", "هل يمكن"),
    ("لازم", "يجب"),
    // Doing, giving, happening.
    ("اسوي", "أنشئ"),
    ("بيعمل", "يعمل"),
    ("عطني", "أعطني"),
    ("يصير", "يحدث"),
    ("شغل", "عمل"),
    // Particles, pronouns and adverbs.
    ("اللي", "الذي"),
    ("عشان", "لكي"),
    ("علشان", "لكي"),
    ("ده", "هذا"),
    ("هذي", "هذه"),
    ("هاذي", "هذه"),
    ("كده", "هكذا"),
    ("دلوقتي", "الآن"),
    ("الحين", "الآن"),
    ("هسه", "الآن"),
    ("هلق", "الآن"),
    ("معاكم", "معكم"),
    ("وياكم", "معكم"),
    ("بتوعي", "الخاصة بي"),
    ("مو", "ليس"),
    ("مش", "ليس"),
    ("مافي", "لا يوجد"),
    ("مافيه", "لا يوجد"),
    ("مفيش", "لا يوجد"),
    // Money and messages.
    ("ببلاش", "مجانا"),
    ("بفلوس", "مدفوع"),
    ("فلوس", "أموال"),
    ("رسايل", "رسائل"),
    // English words in Arabic letters.
    ("برودكاست", "بث"),
    ("تمبليت", "قالب"),
    ("تمبلت", "قالب"),
    ("تيمبليت", "قالب"),
    ("تمبليتات", "قوالب"),
    ("تيكت", "تذكرة"),
    ("تكت", "تذكرة"),
    ("تيكتات", "تذاكر"),
    ("اوردر", "طلب"),
    ("اوردرات", "طلبات"),
    ("ديليفري", "توصيل"),
    ("سبسكريبشن", "اشتراك"),
    ("بيمنت", "دفع"),
    ("انفويس", "فاتورة"),
    ("ريبورت", "تقرير"),
    ("ريبورتات", "تقارير"),
    ("لينك", "رابط"),
    ("اكاونت", "حساب"),
    ("يوزر", "مستخدم"),
    ("ابليكيشن", "تطبيق"),
    ("ابلكيشن", "تطبيق"),
    ("ميسج", "رسالة"),
    ("ميسجات", "رسائل"),
    ("كاستمر", "عميل"),
    ("فيتشر", "ميزة"),
    ("ابديت", "تحديث"),
    ("كانسل", "إلغاء"),
    ("امبورت", "استيراد"),
    ("اكسبورت", "تصدير"),
    ("كونتاكت", "جهة الاتصال"),
    ("كونتاكتس", "جهات الاتصال"),
    ("كونتاكتات", "جهات الاتصال"),
    ("شاتات", "محادثات"),
    ("بلان", "خطة"),
    ("بلانات", "خطط"),
    ("سبورت", "دعم"),
    ("انالتكس", "تحليلات"),
    ("اناليتكس", "تحليلات"),
    ("داشبورد", "لوحة التحكم"),
    ("تاقات", "وسوم"),
    ("تاغات", "وسوم"),
    ("تاجات", "وسوم"),
    ("اوتوميشن", "أتمتة"),
    ("ريمايندر", "تذكير"),
    ("ريمايندرز", "تذكيرات"),
    ("فايل", "ملف"),
    ("فايلات", "ملفات"),
    ("ايجنت", "وكيل"),
    ("ايجنتس", "وكلاء"),
    ("سبسكربشن", "اشتراك"),
    ("ليمت", "حد"),
    ("بريوريتي", "أولوية"),
    ("موبايل", "جوال"),
    ("داتا", "بيانات"),
    ("سيتنج", "إعدادات"),
    ("سيتنجز", "إعدادات"),
    ("ديسكاونت", "خصم"),
    ("ريفند", "استرداد"),
    ("انتجريشن", "تكامل"),
    ("انتقريشن", "تكامل"),
    ("ويدجت", "أداة"),
    ("ابلود", "رفع"),
    ("داونلود", "تنزيل"),
    ("اكونت", "حساب"),
];

/// A prefixed word is looked up without its prefix from this many letters: shorter dialect
/// words ("ده", "ابي") with a letter before them are more often other words.
const MIN_PREFIXED_LETTERS: usize = 4;

/// `text` with its colloquial Arabic words in standard Arabic; everything else, spacing and
/// punctuation included, as written.
pub fn standard(text: &str) -> String {
    let mut standard = String::with_capacity(text.len());
    let mut rest = text;
    let mut previous = String::new();
    while let Some(start) = rest.find(in_an_arabic_word) {
        standard.push_str(&rest[..start]);
        rest = &rest[start..];
        let end = rest
            .find(|character: char| !in_an_arabic_word(character))
            .unwrap_or(rest.len());
        let word = &rest[..end];
        let in_a_name = matches!(previous.as_str(), "بن" | "ابن" | "بنت");
        match standard_word(word).filter(|_| !in_a_name) {
            Some(replacement) => standard.push_str(&replacement),
            None => standard.push_str(word),
        }
        previous = normalise_arabic(word);
        rest = &rest[end..];
    }
    standard.push_str(rest);
    standard
}

/// A colloquial word in standard Arabic, with the prefix it carried. Before a replacement of
/// two words, only a prefix with the article is put, on the first word and without the
/// article ("للكونتاكتس" is "لجهات الاتصال"); "ومافي" is not "ولا يوجد".
fn standard_word(word: &str) -> Option<String> {
    let form = normalise_arabic(word);
    if let Some(replacement) = lookup(&form) {
        return Some(replacement.to_string());
    }
    without_prefixes(word).into_iter().skip(1).find_map(|bare| {
        let replacement = lookup(&normalise_arabic(bare))?;
        let prefix = &word[..word.len() - bare.len()];
        let fits = !replacement.contains(' ') || prefix.ends_with("ال") || prefix.ends_with("لل");
        (fits && bare.chars().count() >= MIN_PREFIXED_LETTERS)
            .then(|| with_prefix(prefix, replacement))
    })
}

fn lookup(form: &str) -> Option<&'static str> {
    STANDARD
        .iter()
        .find(|(colloquial, _)| *colloquial == form)
        .map(|(_, standard)| *standard)
}

/// Arabic letters and diacritics; not Arabic punctuation ("؟", "،"), which ends a word.
fn in_an_arabic_word(character: char) -> bool {
    matches!(character, '\u{0621}'..='\u{064A}' | '\u{064B}'..='\u{065F}' | '\u{0670}'..='\u{06D3}')
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// Whatever a customer writes: no panic, only Arabic words change, and a question
        /// asked in standard Arabic is asked as it is.
        #[test]
        fn only_arabic_words_change_and_standard_arabic_stays(
            text in "[ a-zA-Z0-9ابتثجحخدذرزسشصضطظعغفقكلمنهويىةءأإآ؟?،.()\u{064E}\u{0640}]{0,80}",
        ) {
            let standard_text = standard(&text);
            let latin = |text: &str| text.chars().filter(|c| !in_an_arabic_word(*c)).collect::<String>();
            prop_assert_eq!(latin(&standard_text).replace(' ', ""), latin(&text).replace(' ', ""));
            prop_assert_eq!(standard(&standard_text), standard_text);
        }
    }

    #[test]
    fn dialect_words_become_standard_ones() {
        assert_eq!(
            standard("وش القنوات اللي تدعمونها؟"),
            "ما القنوات الذي تدعمونها؟"
        );
        assert_eq!(
            standard("هو الواتساب بيزنس API بفلوس ولا ببلاش؟"),
            "هو الواتساب بيزنس API مدفوع ولا مجانا؟"
        );
        assert_eq!(standard("إيش الخطط؟"), "ما الخطط؟");
        assert_eq!(
            standard("عايز اعمل حمله برودكاست بالتمبليت ازاي"),
            "أريد اعمل حمله بث بالقالب كيف"
        );
        assert_eq!(standard("وعشان الحين"), "ولكي الآن");
        assert_eq!(
            standard("متى اسلم معاوية بن ابى سفيان؟ ابي اعرف"),
            "متى اسلم معاوية بن ابى سفيان؟ أريد اعرف"
        );
        assert_eq!(standard("ومافي"), "ومافي", "no prefix before two words");
        assert_eq!(
            standard("ابي اسوي امبورت للكونتاكتس"),
            "أريد أنشئ استيراد لجهات الاتصال"
        );
        assert_eq!(standard("الداشبورد والتاقات"), "لوحة التحكم والوسوم");
        assert_eq!(
            standard("وين الباكج حقي؟"),
            "أين الباكج حقي؟",
            "a package is a parcel as often as a plan"
        );
        assert_eq!(standard("أبغى أعرف امتى"), "أريد أعرف متى");
    }

    #[test]
    fn standard_arabic_and_other_scripts_are_left_as_written() {
        let msa = "ما هي منصات المراسلة التي تدعمها SleekFlow؟ فيه دول كثيرة، يقدر عددها بمئة";
        assert_eq!(standard(msa), msa);
        assert_eq!(standard("What is WABA? (see: 2)"), "What is WABA? (see: 2)");
        assert_eq!(standard(""), "");
    }

    #[test]
    fn a_dialect_word_inside_a_longer_word_is_not_replaced() {
        // "شو" in "شوبيفاي" and "مين" in "تأمين".
        assert_eq!(standard("شوبيفاي تأمين"), "شوبيفاي تأمين");
    }

    #[test]
    fn every_entry_is_written_in_the_form_it_is_looked_up_in() {
        for (colloquial, _) in STANDARD {
            assert_eq!(normalise_arabic(colloquial), *colloquial);
        }
    }
}
