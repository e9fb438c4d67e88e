//! Knowledge text in sentences: what a reply quotes and what groundedness compares, cut the
//! same way when a source is ingested (its sentences embedded and stored with its chunks) and
//! when a turn reads its passages.

/// Splits text into sentences at ., !, ?, their Arabic forms, blank lines, and line breaks
/// around a heading or before a list item, keeping the punctuation. In hard-wrapped text a single
/// line break inside a paragraph is a space; in text written a line per statement (an FAQ
/// pasted as text) every line ends one. Decimal points and abbreviations like "e.g." stay inside
/// their sentence because a sentence only ends where whitespace follows; so does the number of
/// a numbered list's item ("1. Subscription:").
pub fn sentences(text: &str) -> Vec<String> {
    lined_sentences(text)
        .into_iter()
        .map(|sentence| sentence.text)
        .collect()
}

/// A sentence of a text, and whether it opens a line of it: a reply that says sentences from
/// different lines keeps them on different lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinedSentence {
    pub text: String,
    pub opens_line: bool,
}

/// The [`sentences`] of `text`, each with whether it opens a line (a line of a hard-wrapped
/// paragraph is not one: the paragraph is).
pub fn lined_sentences(text: &str) -> Vec<LinedSentence> {
    // Enough of the next line to see a blank line, or an indented list mark or item number.
    const LOOK_AHEAD: usize = 8;
    let wrapped = is_hard_wrapped(text);
    let mut found = Vec::new();
    let mut current = String::new();
    let mut opens_line = true;
    let mut characters = text
        .chars()
        .filter(|&character| character != '\r')
        .peekable();
    while let Some(character) = characters.next() {
        if character == '\n' {
            let rest: String = characters.clone().take(LOOK_AHEAD).collect();
            let next_line = rest.trim_start_matches([' ', '\t']);
            let heading = current.trim_start().starts_with('#');
            // Inside a wrapped paragraph a line can open with a number that ends the line
            // before ("the minimum is\n5. Orders below…"); a numbered item follows a lead-in.
            let numbered_item = numbered_item_marker(next_line).is_some()
                && (current.trim().is_empty() || current.trim_end().ends_with(':'));
            if !wrapped
                || heading
                || next_line.starts_with(['\n', '-', '*', '•', '#', '|'])
                || numbered_item
                || next_line.is_empty()
            {
                push_sentence(&mut found, &mut current, opens_line);
                opens_line = true;
            } else {
                current.push(' ');
            }
            continue;
        }
        current.push(character);
        let ends = matches!(character, '.' | '!' | '?' | '؟' | '۔' | '…');
        if ends
            && characters.peek().is_none_or(|next| next.is_whitespace())
            && numbered_item_marker(current.trim_start()) != Some(current.trim_start().len())
            && push_sentence(&mut found, &mut current, opens_line)
        {
            opens_line = false;
        }
    }
    push_sentence(&mut found, &mut current, opens_line);
    found
}

/// A digit as the knowledge writes numbers: Western, Arabic-Indic or Persian.
pub fn is_digit(character: char) -> bool {
    character.is_ascii_digit()
        || ('٠'..='٩').contains(&character)
        || ('۰'..='۹').contains(&character)
}

/// The length in bytes of the number a line of a numbered list opens with ("1. ", "12) ",
/// "٣. ", "۳- ", "1 - "), without the space after it: one or two digits (Western, Arabic-Indic
/// or Persian), a period, a parenthesis or a hyphen, then a space or the end. Arabic writers
/// also set the hyphen apart, with the item's text after it ("1 - الاشتراك", "1 – الاشتراك"
/// as a word processor writes it), or glue the item's first word to it ("1-الاشتراك"). A longer number ("2019. It…") is a year or an amount, not an item's;
/// "5-7 days" and "2 - 3 days" are ranges, and "1-day" a compound word.
pub fn numbered_item_marker(line: &str) -> Option<usize> {
    const MOST_DIGITS: usize = 2;
    let digits = line
        .chars()
        .take_while(|&character| is_digit(character))
        .count();
    if digits == 0 || digits > MOST_DIGITS {
        return None;
    }
    let number: usize = line.chars().take(digits).map(char::len_utf8).sum();
    let rest = &line[number..];
    // A word processor makes the spaced hyphen an en dash ("1 – الاشتراك").
    if let Some(dash) = [" -", " –"].into_iter().find(|dash| rest.starts_with(dash)) {
        let after = &rest[dash.len()..];
        let spaced = after.starts_with(char::is_whitespace)
            && !after.trim().is_empty()
            && !after.trim_start().starts_with(is_digit);
        return spaced.then_some(number + dash.len());
    }
    let hyphen = rest.starts_with('-');
    let after = rest.strip_prefix(['.', ')', '-'])?;
    let item = after.is_empty()
        || after.starts_with(char::is_whitespace)
        || (hyphen && after.starts_with(is_arabic_letter));
    item.then_some(number + 1)
}

/// Whether a character is a letter of the Arabic script.
fn is_arabic_letter(character: char) -> bool {
    character.is_alphabetic() && ('\u{0600}'..='\u{06FF}').contains(&character)
}

/// Whether the text's paragraphs were wrapped at a fixed width: its lines (list items and
/// headings aside) mostly fill a width of 50 to 100 characters, none runs far past it, and at
/// most half of the lines a paragraph goes on after end where a sentence or a lead-in does. A
/// text written a line per statement has lines of every length, and most of them end so: an
/// FAQ answer of a few lines ("Yes, through our Twilio integration.", "Details:") can have a
/// wrapped text's lengths. A text with fewer than two such lines shows no wrapping.
fn is_hard_wrapped(text: &str) -> bool {
    let is_plain = |line: &str| {
        !line.is_empty()
            && !line.starts_with(['-', '*', '•', '#', '|'])
            && numbered_item_marker(line).is_none()
    };
    let all: Vec<&str> = text.lines().map(str::trim).collect();
    let lines: Vec<&str> = all.iter().copied().filter(|line| is_plain(line)).collect();
    if lines.len() < 2 {
        return false;
    }
    let mut lengths: Vec<usize> = lines.iter().map(|line| line.chars().count()).collect();
    lengths.sort_unstable();
    let median = lengths[lengths.len() / 2];
    let (mut going_on, mut ended) = (0, 0);
    for pair in all.windows(2) {
        if is_plain(pair[0]) && is_plain(pair[1]) {
            going_on += 1;
            if pair[0].ends_with(['.', '!', '?', '؟', '۔', '…', ':', '؛', ';']) {
                ended += 1;
            }
        }
    }
    (50..=100).contains(&median) && lengths[lengths.len() - 1] <= 110 && ended * 2 <= going_on
}

/// Ends the sentence being read; whether it was one (words, not only marks).
fn push_sentence(found: &mut Vec<LinedSentence>, current: &mut String, opens_line: bool) -> bool {
    let text = current.split_whitespace().collect::<Vec<_>>().join(" ");
    current.clear();
    let is_sentence = text.chars().any(char::is_alphanumeric);
    if is_sentence {
        found.push(LinedSentence { text, opens_line });
    }
    is_sentence
}

/// A sentence that asks: it ends with a question mark (Latin or Arabic) and is not a list item
/// (a question listed inside an answer is part of that answer).
pub fn is_question(sentence: &str) -> bool {
    let trimmed = sentence.trim();
    (trimmed.ends_with('?') || trimmed.ends_with('؟')) && !trimmed.starts_with(['-', '*', '•'])
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
    fn the_number_of_a_numbered_item_stays_with_its_text() {
        assert_eq!(
            sentences("مكونان:\n1. اشتراك SleekFlow:\n- السعر: 79 دولارا\n2. رسوم رسائل واتساب:"),
            [
                "مكونان:",
                "1. اشتراك SleekFlow:",
                "- السعر: 79 دولارا",
                "2. رسوم رسائل واتساب:"
            ]
        );
        // In hard-wrapped text, a numbered item starts a sentence as a bulleted one does.
        let wrapped = "Refunds are paid to the card that paid for the order, within five working\ndays of our receiving the goods back at our warehouse in Dubai. Two steps:\n1) Write to us with the order number.\n12. Send the parcel back.";
        assert_eq!(
            sentences(wrapped)[1..],
            [
                "Two steps:",
                "1) Write to us with the order number.",
                "12. Send the parcel back."
            ]
        );
        assert_eq!(
            sentences("٣. أرسل الطلب. ثم انتظر"),
            ["٣. أرسل الطلب.", "ثم انتظر"]
        );
        assert_eq!(
            sentences("2019. A good year."),
            ["2019.", "A good year."],
            "a year is no item's number"
        );
    }

    #[test]
    fn a_sentence_knows_whether_it_opens_a_line() {
        let opening = |text: &str| -> Vec<bool> {
            lined_sentences(text)
                .iter()
                .map(|sentence| sentence.opens_line)
                .collect()
        };
        assert_eq!(
            opening("Two steps. First this:\n- one\nThen we ship. Fast."),
            [true, false, true, true, false]
        );
        let wrapped = "Refunds are paid to the card that paid for the order, within five working\ndays of our receiving the goods. They show on the statement after a day or two,\nsometimes three. Write to us with the order number if one takes longer than that.\n\nNew paragraph.";
        assert_eq!(
            opening(wrapped),
            [true, false, false, true],
            "a wrapped line is no line of its own"
        );
        // An FAQ answer of a few lines with a wrapped text's lengths: each line ends a
        // sentence or leads in to a list.
        let answer = "Can I send SMS through the platform with my own sender number?\nYes, SMS is available through our Twilio integration for every plan.\nDetails:\n- only numbers bought from Twilio\n- fees on top of the plan\nWhen SMS is the right channel for you:\n- one-time passwords";
        assert_eq!(
            sentences(answer)[1..4],
            [
                "Yes, SMS is available through our Twilio integration for every plan.",
                "Details:",
                "- only numbers bought from Twilio"
            ]
        );
        assert_eq!(opening(answer), [true, true, true, true, true, true, true]);
        assert_eq!(
            opening(&wrapped.replace('\n', "\r\n")),
            [true, false, false, true],
            "Windows line ends read the same"
        );
        assert_eq!(
            opening("Note:\n… and more to come"),
            [true, true],
            "a line that opens with a mark still opens a line"
        );
    }

    #[test]
    fn a_number_opening_a_wrapped_line_is_an_item_only_after_a_lead_in() {
        let wrapped = "Orders are packed the same day and handed to the courier, and the minimum is\n5. Orders below that are held until the next working day, so plan ahead,\nand any order placed on a Friday is shipped on the following Sunday morning";
        assert_eq!(
            sentences(wrapped),
            [
                "Orders are packed the same day and handed to the courier, and the minimum is 5.",
                "Orders below that are held until the next working day, so plan ahead, and any order placed on a Friday is shipped on the following Sunday morning"
            ]
        );
        // A list with one plain line after it: no wrapping to read, every line ends.
        assert_eq!(
            sentences(
                "1. Write to us with the order number\n2. Send the parcel back\nWe refund within five days."
            ),
            [
                "1. Write to us with the order number",
                "2. Send the parcel back",
                "We refund within five days."
            ]
        );
    }

    #[test]
    fn a_numbered_item_opens_with_one_or_two_digits_and_a_period_or_parenthesis() {
        assert_eq!(numbered_item_marker("1. Plans"), Some(2));
        assert_eq!(numbered_item_marker("12) Plans"), Some(3));
        assert_eq!(numbered_item_marker("٣. الخطط"), Some("٣.".len()));
        assert_eq!(numbered_item_marker("1."), Some(2));
        assert_eq!(numbered_item_marker("۳. طرح‌ها"), Some("۳.".len()));
        assert_eq!(numbered_item_marker("1- اشتراك"), Some(2));
        assert_eq!(numbered_item_marker("1 - الاشتراك"), Some(3));
        assert_eq!(numbered_item_marker("1-الاشتراك"), Some(2));
        assert_eq!(numbered_item_marker("1 – الاشتراك"), Some("1 –".len()));
        assert_eq!(numbered_item_marker("٢ - الرسائل"), Some("٢ -".len()));
        for other in [
            "5-7 days",
            "2 - 3 days",
            "2 – 3 days",
            "1 - ",
            "1-day trial",
            "1 -5",
            "123. Plans",
            "1.5 kg",
            "1,000 contacts",
            "a. Plans",
            "1 Plans",
            ". 1",
        ] {
            assert_eq!(numbered_item_marker(other), None, "{other}");
        }
    }

    #[test]
    fn a_question_ends_with_a_question_mark_and_is_no_list_item() {
        assert!(is_question("How much is delivery?"));
        assert!(is_question("كم سعر التوصيل؟"));
        assert!(!is_question("- Is it free?"));
        assert!(!is_question("Delivery is free."));
    }
}
