//! English words inside an Arabic question, asked in the Arabic an FAQ is written in.
//!
//! Gulf and Egyptian customers mix the English words of their trade into Arabic: "كيف اسوي
//! broadcast لعملائي؟", "الtickets عندكم فيها priority levels؟", "ابي اسوي export للcontacts".
//! An Arabic FAQ writes بث، تذاكر، أولوية، تصدير، جهات الاتصال, and e5 reads a Latin word
//! inside Arabic as a word of another language: such a question scores lower against the
//! very entry that answers it. [`in_arabic`] writes the common words of customer service
//! (products, messages, plans, payments, reports, support) in standard Arabic, in Arabic's
//! order: an English noun compound puts its head last ("priority support"), Arabic first
//! ("دعم الأولوية").
//!
//! Only lower-case words are read: a capital marks a name or an acronym ("WhatsApp", "API",
//! "Shopify"), which the knowledge writes in Latin letters too. A word inside an address or
//! an identifier ("example.com", "order_id") is left alone, and so is a word with an Arabic
//! letter glued after it, or glued before it other than a prefix ("ال", "لل", "و", "ب"...).

/// Two-word terms whose words do not translate one by one.
const PHRASES: &[(&str, &str)] = &[
    ("live chat", "الدردشة المباشرة"),
    ("smart reply", "الرد الذكي"),
    ("ai agent", "وكيل الذكاء الاصطناعي"),
    ("ai agents", "وكلاء الذكاء الاصطناعي"),
    ("free trial", "الفترة التجريبية المجانية"),
    ("bank transfer", "تحويل بنكي"),
    ("credit card", "بطاقة ائتمان"),
    ("sign up", "التسجيل"),
    ("log in", "تسجيل الدخول"),
    ("opt out", "إلغاء الاشتراك"),
    ("follow up", "متابعة"),
    ("set up", "إعداد"),
    ("check out", "الدفع"),
    ("phone number", "رقم الهاتف"),
    ("gift card", "بطاقة هدايا"),
    ("gift cards", "بطاقات الهدايا"),
    ("promo code", "رمز ترويجي"),
    ("customer service", "خدمة العملاء"),
    ("customer support", "دعم العملاء"),
    ("business hours", "ساعات العمل"),
    ("working hours", "ساعات العمل"),
    ("response time", "وقت الاستجابة"),
    ("time zone", "المنطقة الزمنية"),
    ("date range", "الفترة الزمنية"),
];

/// Things: nouns and the adjectives customers put before them. In a run of these the English
/// order is reversed ("premium plan" is "خطة premium").
const THINGS: &[(&str, &str)] = &[
    ("account", "حساب"),
    ("accounts", "حسابات"),
    ("admin", "مسؤول"),
    ("agent", "وكيل"),
    ("agents", "وكلاء"),
    ("alert", "تنبيه"),
    ("alerts", "تنبيهات"),
    ("analytics", "تحليلات"),
    ("app", "تطبيق"),
    ("approval", "موافقة"),
    ("apps", "تطبيقات"),
    ("attachment", "مرفق"),
    ("attachments", "مرفقات"),
    ("automation", "أتمتة"),
    ("automations", "أتمتة"),
    ("billing", "الفوترة"),
    ("booking", "حجز"),
    ("bookings", "حجوزات"),
    ("bot", "روبوت"),
    ("bots", "روبوتات"),
    ("branch", "فرع"),
    ("branches", "فروع"),
    ("broadcast", "بث"),
    ("broadcasts", "بث"),
    ("campaign", "حملة"),
    ("campaigns", "حملات"),
    ("cart", "عربة التسوق"),
    ("channel", "قناة"),
    ("channels", "قنوات"),
    ("chat", "دردشة"),
    ("chatbot", "روبوت دردشة"),
    ("chatbots", "روبوتات دردشة"),
    ("chats", "محادثات"),
    ("contact", "جهة اتصال"),
    ("contacts", "جهات الاتصال"),
    ("conversation", "محادثة"),
    ("conversations", "محادثات"),
    ("conversion", "تحويل"),
    ("conversions", "تحويلات"),
    ("coupon", "قسيمة"),
    ("credit", "رصيد"),
    ("credits", "رصيد"),
    ("customer", "عميل"),
    ("customers", "عملاء"),
    ("dashboard", "لوحة التحكم"),
    ("data", "بيانات"),
    ("delivery", "توصيل"),
    ("discount", "خصم"),
    ("document", "مستند"),
    ("documents", "مستندات"),
    ("encrypted", "مشفرة"),
    ("encryption", "تشفير"),
    ("exchange", "استبدال"),
    ("feature", "ميزة"),
    ("features", "ميزات"),
    ("fee", "رسوم"),
    ("feedback", "ملاحظات"),
    ("fees", "رسوم"),
    ("file", "ملف"),
    ("files", "ملفات"),
    ("free", "مجاني"),
    ("history", "سجل"),
    ("hotline", "خط ساخن"),
    ("inbox", "صندوق الوارد"),
    ("integration", "تكامل"),
    ("integrations", "تكاملات"),
    ("invoice", "فاتورة"),
    ("invoices", "فواتير"),
    ("key", "مفتاح"),
    ("keys", "مفاتيح"),
    ("label", "ملصق"),
    ("labels", "ملصقات"),
    ("language", "لغة"),
    ("languages", "لغات"),
    ("lead", "عميل محتمل"),
    ("leads", "عملاء محتملون"),
    ("level", "مستوى"),
    ("levels", "مستويات"),
    ("limit", "حد"),
    ("limits", "حدود"),
    ("link", "رابط"),
    ("links", "روابط"),
    ("menu", "قائمة"),
    ("message", "رسالة"),
    ("messages", "رسائل"),
    ("mobile", "جوال"),
    ("monthly", "شهري"),
    ("notification", "إشعار"),
    ("notifications", "إشعارات"),
    ("number", "رقم"),
    ("numbers", "أرقام"),
    ("offer", "عرض"),
    ("offers", "عروض"),
    ("order", "طلب"),
    ("orders", "طلبات"),
    ("package", "باقة"),
    ("packages", "باقات"),
    ("password", "كلمة المرور"),
    ("payment", "دفع"),
    ("payments", "مدفوعات"),
    ("plan", "خطة"),
    ("plans", "خطط"),
    ("policy", "سياسة"),
    ("price", "سعر"),
    ("prices", "أسعار"),
    ("pricing", "تسعير"),
    ("priority", "أولوية"),
    ("privacy", "خصوصية"),
    ("product", "منتج"),
    ("products", "منتجات"),
    ("profile", "ملف تعريف"),
    ("rate", "معدل"),
    ("receipt", "إيصال"),
    ("refund", "استرداد"),
    ("reminder", "تذكير"),
    ("reminders", "تذكيرات"),
    ("report", "تقرير"),
    ("reports", "تقارير"),
    ("security", "أمان"),
    ("settings", "الإعدادات"),
    ("shipping", "شحن"),
    ("size", "حجم"),
    ("store", "متجر"),
    ("subscription", "اشتراك"),
    ("subscriptions", "اشتراكات"),
    ("support", "دعم"),
    ("survey", "استبيان"),
    ("tag", "وسم"),
    ("tags", "وسوم"),
    ("team", "فريق"),
    ("teams", "فرق"),
    ("template", "قالب"),
    ("templates", "قوالب"),
    ("ticket", "تذكرة"),
    ("tickets", "تذاكر"),
    ("training", "تدريب"),
    ("trial", "فترة تجريبية"),
    ("user", "مستخدم"),
    ("users", "مستخدمين"),
    ("video", "فيديو"),
    ("voice", "صوت"),
    ("warranty", "ضمان"),
    ("website", "موقع"),
    ("widget", "أداة"),
    ("workflow", "سير عمل"),
    ("workflows", "سير العمل"),
    ("yearly", "سنوي"),
];

/// Actions, written as Arabic's verbal nouns. An action keeps its place before what it acts
/// on, as in English ("export contacts" is "تصدير جهات الاتصال").
const ACTIONS: &[(&str, &str)] = &[
    ("activate", "تفعيل"),
    ("cancel", "إلغاء"),
    ("connect", "ربط"),
    ("delete", "حذف"),
    ("download", "تنزيل"),
    ("export", "تصدير"),
    ("import", "استيراد"),
    ("integrate", "تكامل"),
    ("login", "تسجيل الدخول"),
    ("pause", "إيقاف مؤقت"),
    ("renew", "تجديد"),
    ("reset", "إعادة تعيين"),
    ("schedule", "جدولة"),
    ("setup", "إعداد"),
    ("signup", "التسجيل"),
    ("sync", "مزامنة"),
    ("track", "تتبع"),
    ("tracking", "تتبع"),
    ("unsubscribe", "إلغاء الاشتراك"),
    ("upgrade", "ترقية"),
    ("upload", "رفع"),
    ("verify", "توثيق"),
];

/// Arabic prefixes a customer glues to an English word ("الbroadcast", "للcontacts").
const PREFIXES: &[&str] = &[
    "وبال", "وال", "بال", "فال", "كال", "ولل", "لل", "ال", "وب", "ول", "و", "ب", "ل", "ف", "ك",
];

/// `question` with its English words of customer service in Arabic, when it has any; the rest,
/// spacing and punctuation included, as written. Meant for a question in Arabic over Arabic
/// knowledge: it would change an English sentence's words just as well.
pub fn in_arabic(question: &str) -> Option<String> {
    let mut written = String::with_capacity(question.len() + 16);
    let mut rest = question;
    let mut changed = false;
    while let Some(span) = next_span(rest) {
        written.push_str(&rest[..span.prefix_start]);
        let prefix = &rest[span.prefix_start..span.start];
        match translated(&rest[span.start..span.end]) {
            Some(units) => {
                let (first, others) = units.split_first().expect("a run has a word");
                written.push_str(&with_prefix(prefix, first));
                others.iter().for_each(|unit| {
                    written.push(' ');
                    written.push_str(unit);
                });
                changed = true;
            }
            None => written.push_str(&rest[span.prefix_start..span.end]),
        }
        rest = &rest[span.end..];
    }
    written.push_str(rest);
    changed.then_some(written)
}

/// A run of lower-case English words in a text: where the Arabic prefix glued to it starts,
/// where its words start and where they end.
struct Span {
    prefix_start: usize,
    start: usize,
    end: usize,
}

fn next_span(text: &str) -> Option<Span> {
    let mut from = 0;
    loop {
        let start = from + text[from..].find(|c: char| c.is_ascii_lowercase())?;
        let mut end = word_end(text, start);
        let prefix_start = glued_prefix(&text[..start]);
        let Some(prefix_start) = prefix_start.filter(|_| ends_a_word(&text[end..])) else {
            from = end;
            continue;
        };
        // Further words of the run: after spaces alone, each ending where a word ends.
        loop {
            let next = end + (text[end..].len() - text[end..].trim_start_matches(' ').len());
            if next == end || !text[next..].starts_with(|c: char| c.is_ascii_lowercase()) {
                break;
            }
            let next_end = word_end(text, next);
            if !ends_a_word(&text[next_end..]) {
                break;
            }
            end = next_end;
        }
        return Some(Span {
            prefix_start,
            start,
            end,
        });
    }
}

fn word_end(text: &str, start: usize) -> usize {
    text[start..]
        .find(|c: char| !c.is_ascii_alphabetic())
        .map_or(text.len(), |length| start + length)
}

/// Where the Arabic glued before a word starts, when it is one of [`PREFIXES`] or nothing
/// and stands after a space, punctuation or the text's start; `None` when the word is part of
/// something else: a longer Arabic word, a name with a capital, a number, an address.
fn glued_prefix(before: &str) -> Option<usize> {
    let glued = |c: char| c.is_alphabetic() && !c.is_ascii();
    let token_start = before
        .char_indices()
        .rev()
        .find(|(_, c)| !glued(*c))
        .map_or(0, |(at, c)| at + c.len_utf8());
    let token = &before[token_start..];
    let at_a_boundary = before[..token_start]
        .chars()
        .next_back()
        .is_none_or(|c| !c.is_alphanumeric() && !is_joining(c));
    (at_a_boundary && (token.is_empty() || PREFIXES.contains(&token))).then_some(token_start)
}

/// Whether a word ends here: not in a letter or digit of any script, nor in a joining mark
/// followed by more of an address or identifier.
fn ends_a_word(after: &str) -> bool {
    let mut characters = after.chars();
    match characters.next() {
        None => true,
        Some(c) if c.is_alphanumeric() => false,
        Some(c) if is_joining(c) => !characters.next().is_some_and(char::is_alphanumeric),
        Some(_) => true,
    }
}

/// Marks that join the parts of an address or an identifier ("example.com", "order_id").
fn is_joining(character: char) -> bool {
    matches!(
        character,
        '.' | '@' | '/' | ':' | '_' | '-' | '\'' | '#' | '&' | '='
    )
}

/// A run of English words in Arabic, unit by unit, when every word of it is known. A run with
/// a word the tables do not hold is left as typed: that word is most often a name in lower
/// case ("premium plan", "api keys"), which the knowledge writes in Latin letters beside the
/// words around it.
fn translated(words: &str) -> Option<Vec<&'static str>> {
    let words: Vec<&str> = words.split_whitespace().collect();
    // An action and the things after it; the things of each in Arabic's order.
    let mut segments: Vec<(Option<&'static str>, Vec<&'static str>)> = vec![(None, Vec::new())];
    let mut at = 0;
    while at < words.len() {
        let pair = words
            .get(at + 1)
            .map(|next| format!("{} {next}", words[at]));
        if let Some(phrase) = pair.as_deref().and_then(|pair| lookup(PHRASES, pair)) {
            segments.last_mut().expect("one segment").1.push(phrase);
            at += 2;
        } else if let Some(action) = lookup(ACTIONS, words[at]) {
            segments.push((Some(action), Vec::new()));
            at += 1;
        } else {
            let thing = lookup(THINGS, words[at])?;
            segments.last_mut().expect("one segment").1.push(thing);
            at += 1;
        }
    }
    Some(
        segments
            .into_iter()
            .flat_map(|(action, things)| action.into_iter().chain(things.into_iter().rev()))
            .collect(),
    )
}

fn lookup(table: &[(&str, &'static str)], english: &str) -> Option<&'static str> {
    table
        .iter()
        .find(|(word, _)| *word == english)
        .map(|(_, arabic)| *arabic)
}

/// An Arabic word with the prefix the English one carried. The article a prefix carries is
/// left out before a word that is definite already or an idafa of two words ("الlive chat"
/// is "الدردشة المباشرة", "الcontacts" "جهات الاتصال"), and "ل" before the article takes its
/// alef ("للlive chat" is "للدردشة المباشرة").
fn with_prefix(prefix: &str, arabic: &str) -> String {
    let definite = arabic.starts_with("ال") || arabic.contains(' ');
    let prefix = match (prefix.strip_suffix("لل"), prefix.strip_suffix("ال")) {
        (Some(bare), _) if definite => format!("{bare}ل"),
        (None, Some(bare)) if definite => bare.to_string(),
        _ => prefix.to_string(),
    };
    match arabic.strip_prefix('ا') {
        Some(rest) if prefix.ends_with('ل') && arabic.starts_with("ال") => {
            format!("{prefix}{rest}")
        }
        _ => format!("{prefix}{arabic}"),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn english_words_in_an_arabic_question_are_written_in_arabic() {
        for (mixed, arabic) in [
            ("كيف اسوي broadcast لعملائي؟", "كيف اسوي بث لعملائي؟"),
            (
                "الtickets عندكم فيها priority levels؟",
                "التذاكر عندكم فيها مستويات أولوية؟",
            ),
            ("ابي اسوي export للcontacts", "ابي اسوي تصدير لجهات الاتصال"),
            ("الpriority support يرد خلال كم؟", "الدعم أولوية يرد خلال كم؟"),
            ("الlive chat مجاني؟", "الدردشة المباشرة مجاني؟"),
            ("للlive chat", "للدردشة المباشرة"),
            ("ارسل template للعميل", "ارسل قالب للعميل"),
            ("ابي export contacts", "ابي تصدير جهات الاتصال"),
            ("ابي cancel monthly plan", "ابي إلغاء خطة شهري"),
            ("الcontact limit كم؟", "الحد جهة اتصال كم؟"),
        ] {
            assert_eq!(in_arabic(mixed).as_deref(), Some(arabic), "{mixed}");
        }
    }

    #[test]
    fn names_addresses_and_unknown_words_are_left_as_written() {
        for text in [
            "هل تدعمون WhatsApp Business API؟",
            "ربط Shopify",
            "راسلونا على support@example.com",
            "الموقع shop.example.ae",
            "الحقل order_id فاضي",
            "كم سعر sleekflow؟",
            "كم سعر الpremium plan؟",
            "وين القى الapi keys؟",
            "ابيbroadcast",
            "broadcastات",
            "رقم 2tickets",
            "كيف اربط okta؟",
            "",
        ] {
            assert_eq!(in_arabic(text), None, "{text}");
        }
        // A name before a known word: the name stays, the word is read.
        assert_eq!(
            in_arabic("ابي WhatsApp template").as_deref(),
            Some("ابي WhatsApp قالب")
        );
    }

    proptest! {
        /// Whatever a customer writes: no panic, only lower-case Latin words change, and a
        /// question read once has nothing left to read.
        #[test]
        fn only_english_words_change_and_once_is_enough(
            text in "[ a-zA-Z0-9ابتثجحخدذرزسشصضطظعغفقكلمنهويىةءأإآ؟?،.@_()]{0,80}",
        ) {
            if let Some(arabic) = in_arabic(&text) {
                let arabic_letter = |c: char| c.is_alphabetic() && !c.is_ascii();
                let changeable = |c: char| c.is_ascii_lowercase() || arabic_letter(c) || c == ' ';
                let kept = |text: &str| text.chars().filter(|c| !changeable(*c)).collect::<String>();
                prop_assert_eq!(kept(&arabic), kept(&text));
                prop_assert!(in_arabic(&arabic).is_none_or(|again| again == arabic), "{}", text);
            }
        }
    }
}
