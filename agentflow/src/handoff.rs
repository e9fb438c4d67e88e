//! When a conversation goes to people. Each trigger is checked on the customer's message in
//! English and Arabic and produces a structured [`HandoffReason`]; nothing here reads the
//! model's output.

use std::sync::LazyLock;

use regex::Regex;

use crate::config::HandoffRule;
use crate::conversation::{Author, TurnRequest};
use crate::text::{Language, compile_all, contains_term, excerpt, matching_form};
use crate::turn::HandoffReason;

static HUMAN_REQUEST: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    compile_all(&[
        r"\b(talk|speak|chat|connect|transfer|put)\b.{0,25}\b(human|person|people|someone|somebody|agent|representative|rep|staff|manager|supervisor|operator)\b",
        r"\b(real|live|actual)\s+(person|human|agent|people)\b",
        r"^\W*(human|agent|representative|operator|person)(\s+please)?\W*$",
        r"\bhuman (please|agent|support|being)\b",
        r"(اتحدث|اتكلم|اكلم|كلم|تحدث|التحدث|الكلام|تحويلي|حولني|حولوني|وصلني|اوصلني)\S*\s.{0,25}(موظف|شخص|انسان|بشري|ممثل|مسؤول|مدير|احد)",
        r"(موظف|شخص|انسان) (حقيقي|بشري)",
    ])
});

static COMPLAINT: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    compile_all(&[
        r"\b(complaint|complain|complaining|unacceptable|terrible|horrible|awful|worst|angry|furious|ridiculous|scam|fraud|rip-?off|disgusting|useless|pathetic|lawyer|sue|outraged|fed up)\b",
        r"!!!",
    ])
});

/// Arabic complaint words, matched as words with their particles and endings.
const ARABIC_COMPLAINT_WORDS: &[&str] = &[
    "شكوى",
    "اشتكي",
    "اشتكى",
    "غاضب",
    "زعلان",
    "معصب",
    "سيء",
    "سيئ",
    "اسوا",
    "نصب",
    "نصاب",
    "احتيال",
    "غير مقبول",
    "مهزلة",
    "حرامي",
    "حرامية",
    "محامي",
    "سخيف",
    "مقرف",
    "فاشل",
];

/// The customer asks for a person, in so many words.
pub fn asks_for_human(message: &str) -> bool {
    let form = matching_form(message);
    HUMAN_REQUEST.iter().any(|pattern| pattern.is_match(&form))
}

/// The message complains or is angry.
pub fn is_complaint(message: &str) -> bool {
    let form = matching_form(message);
    COMPLAINT.iter().any(|pattern| pattern.is_match(&form))
        || ARABIC_COMPLAINT_WORDS
            .iter()
            .any(|word| contains_term(&form, &matching_form(word)))
}

/// The first configured rule whose keywords the message holds.
pub fn keyword_rule<'a>(message: &str, rules: &'a [HandoffRule]) -> Option<&'a HandoffRule> {
    let form = matching_form(message);
    rules.iter().find(|rule| {
        rule.keywords
            .iter()
            .any(|keyword| contains_term(&form, &matching_form(keyword)))
    })
}

/// A few lines for the person taking over: who, why, and what the customer said lately, in
/// the conversation's language (Arabic or English): the people who take an Arabic
/// conversation read Arabic. `why` says the reason in English, with its particulars.
pub fn summary(
    request: &TurnRequest,
    reason: &HandoffReason,
    why: &str,
    memory: usize,
    language: Language,
) -> String {
    let words = SummaryWords::of(language);
    let mut lines = Vec::new();
    let who = request.contact.name.as_deref().unwrap_or(words.customer);
    let why = match language {
        Language::Ar => arabic_reason(reason),
        Language::En => why.to_string(),
    };
    lines.push(format!("{who} — {}: {why}.", words.handed_over));
    let earlier: Vec<String> = request
        .recent(memory)
        .iter()
        .filter(|message| message.author == Author::Customer)
        .map(|message| excerpt(&message.text, 160))
        .collect();
    if !earlier.is_empty() {
        lines.push(format!("{}: {}", words.earlier, earlier.join(" / ")));
    }
    // A number picking an offered question says nothing to a person: the question does.
    lines.push(format!(
        "{}: {}",
        words.last_message,
        excerpt(request.asked(), 300)
    ));
    if !request.contact.fields.is_empty() {
        let known: Vec<String> = request
            .contact
            .fields
            .iter()
            .map(|(field, value)| format!("{field}: {value}"))
            .collect();
        lines.push(format!("{}: {}", words.known, known.join("; ")));
    }
    lines.join("\n")
}

/// The summary's own words in one language.
struct SummaryWords {
    customer: &'static str,
    handed_over: &'static str,
    earlier: &'static str,
    last_message: &'static str,
    known: &'static str,
}

impl SummaryWords {
    fn of(language: Language) -> Self {
        match language {
            Language::En => SummaryWords {
                customer: "The customer",
                handed_over: "handed over",
                earlier: "Earlier",
                last_message: "Last message",
                known: "Known",
            },
            Language::Ar => SummaryWords {
                customer: "العميل",
                handed_over: "حُوِّلت المحادثة",
                earlier: "قبل ذلك",
                last_message: "آخر رسالة",
                known: "معلومات معروفة",
            },
        }
    }
}

fn arabic_reason(reason: &HandoffReason) -> String {
    match reason {
        HandoffReason::HumanRequested => "طلب العميل التحدث مع موظف".into(),
        HandoffReason::LowConfidence => "المعرفة لا تجيب عن السؤال".into(),
        HandoffReason::BlockedTopic { topic } => format!("موضوع محظور ({topic})"),
        HandoffReason::Complaint => "شكوى".into(),
        HandoffReason::HotLead => "عميل محتمل ساخن".into(),
        HandoffReason::Rule { rule } => format!("قاعدة التحويل {rule}"),
        HandoffReason::Ungrounded => "لا توجد إجابة مستندة إلى المصادر".into(),
    }
}

/// What the customer is told when a person takes over.
pub fn notice(language: Language) -> &'static str {
    match language {
        Language::En => {
            "I'm connecting you with a member of our team, who will reply here shortly."
        }
        Language::Ar => "سأحوّلك إلى أحد أعضاء فريقنا، وسيرد عليك هنا قريباً.",
    }
}

/// What the customer is told when the agent has no grounded answer.
pub fn dont_know(language: Language) -> &'static str {
    match language {
        Language::En => {
            "I don't know the answer to that, so let me connect you with a person who does."
        }
        Language::Ar => "لا أعرف إجابة هذا السؤال، لذا سأوصلك بشخص من فريقنا يستطيع مساعدتك.",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conversation::{Contact, Message};

    #[test]
    fn requests_for_a_person_in_english_and_arabic() {
        for message in [
            "Can I talk to a human?",
            "I want to speak with someone from your team",
            "real person please",
            "agent",
            "أريد التحدث مع موظف",
            "ممكن أكلم شخص حقيقي؟",
            "حولني على خدمة العملاء الموظف",
        ] {
            assert!(asks_for_human(message), "{message}");
        }
        for message in [
            "How do I become an agent for your brand?",
            "Is the product safe for people with allergies?",
            "كم عدد الموظفين لديكم؟",
        ] {
            assert!(!asks_for_human(message), "{message}");
        }
    }

    #[test]
    fn complaints_in_english_and_arabic() {
        for message in [
            "This is unacceptable, my order is late again",
            "Worst service ever",
            "Where is my refund!!!",
            "هذه خدمة سيئة جداً",
            "أريد تقديم شكوى",
            "هذا نصب واحتيال",
            "الخدمة كانت سيئة",
        ] {
            assert!(is_complaint(message), "{message}");
        }
        for message in [
            "Thanks, that was helpful",
            "شكراً جزيلاً على المساعدة",
            "ما هو منصب المدير؟",
        ] {
            assert!(!is_complaint(message), "{message}");
        }
    }

    #[test]
    fn keyword_rules_and_the_summary() {
        let rules = vec![HandoffRule {
            name: "billing".into(),
            team: "billing".into(),
            keywords: vec!["invoice".into(), "فاتورة".into()],
            examples: Vec::new(),
            threshold: 0.9,
        }];
        assert_eq!(
            keyword_rule("I need a copy of my invoice", &rules)
                .unwrap()
                .team,
            "billing"
        );
        assert!(keyword_rule("أين فاتورتي؟", &rules).is_some());
        assert!(keyword_rule("What do you sell?", &rules).is_none());
        let request = TurnRequest {
            workspace: "w".into(),
            message: "I want a refund now".into(),
            history: vec![Message::customer("My order 123 arrived broken")],
            contact: Contact {
                name: Some("Laila".into()),
                ..Contact::default()
            },
        };
        let english = summary(
            &request,
            &HandoffReason::Complaint,
            "complaint",
            6,
            Language::En,
        );
        assert!(
            english.starts_with("Laila — handed over: complaint."),
            "{english}"
        );
        assert!(english.contains("Earlier: My order 123 arrived broken"));
        assert!(english.contains("Last message: I want a refund now"));

        // An Arabic conversation is summed up in Arabic for the people who take it.
        let request = TurnRequest {
            message: "أريد استرداد المبلغ الآن".into(),
            history: vec![Message::customer("وصل طلبي مكسوراً")],
            contact: Contact::default(),
            ..request
        };
        let arabic = summary(
            &request,
            &HandoffReason::Complaint,
            "complaint",
            6,
            Language::Ar,
        );
        assert_eq!(
            arabic,
            "العميل — حُوِّلت المحادثة: شكوى.\nقبل ذلك: وصل طلبي مكسوراً\nآخر رسالة: أريد استرداد المبلغ الآن"
        );

        let offer = Message {
            offered: vec!["هل يمكنني إلغاء خطتي في أي وقت؟".into()],
            ..Message::agent("… أرسل 1 …", true)
        };
        let picked = TurnRequest {
            message: "1".into(),
            history: vec![Message::customer("ابي الغي"), offer],
            ..request
        };
        let summed = summary(
            &picked,
            &HandoffReason::LowConfidence,
            "low",
            6,
            Language::Ar,
        );
        assert!(
            summed.ends_with("آخر رسالة: هل يمكنني إلغاء خطتي في أي وقت؟"),
            "{summed}"
        );
    }
}
