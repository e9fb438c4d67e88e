//! What the agent is given for a turn: the message, the conversation so far and the contact.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::text::{as_plainly_typed, in_sentence_case, matching_form, with_question_mark};
use crate::{arabizi, colloquial, smalltalk};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TurnRequest {
    /// The workspace the conversation belongs to: retrieval never leaves it.
    pub workspace: String,
    pub message: String,
    /// Earlier messages, oldest first.
    #[serde(default)]
    pub history: Vec<Message>,
    #[serde(default)]
    pub contact: Contact,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Message {
    pub author: Author,
    pub text: String,
    /// On an agent's message: it could not answer (the turn's `Reply::unanswered`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unanswered: bool,
    /// On an agent's message that could not answer: the knowledge's questions it offered
    /// instead, in the order it numbered them (the turn's `Reply::offered`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub offered: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Author {
    Customer,
    Agent,
    Human,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Contact {
    #[serde(default)]
    pub name: Option<String>,
    /// Fields already known (qualification answers from earlier turns, CRM data).
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
}

impl Message {
    pub fn customer(text: &str) -> Self {
        Message {
            author: Author::Customer,
            text: text.to_string(),
            unanswered: false,
            offered: Vec::new(),
        }
    }

    pub fn agent(text: &str, unanswered: bool) -> Self {
        Message {
            author: Author::Agent,
            text: text.to_string(),
            unanswered,
            offered: Vec::new(),
        }
    }

    /// An agent's message known by its words alone, as a client of the OpenAI-compatible
    /// endpoint sends it back: a decline is recognised, with the questions it offered.
    pub fn agent_from_words(text: &str) -> Self {
        match crate::agent::offered_in_decline(text) {
            Some(offered) => Message {
                offered,
                ..Message::agent(text, true)
            },
            None => Message::agent(text, false),
        }
    }
}

/// Words that make a short message lean on what came before ("and how much is it?").
const FOLLOW_UP_WORDS: &[&str] = &[
    "it",
    "its",
    "that",
    "this",
    "these",
    "those",
    "they",
    "them",
    "one",
    "also",
    "and",
    "what about",
    "how about",
    "هذا",
    "هذه",
    "ذلك",
    "تلك",
    "هو",
    "هي",
    "هم",
    "نفس",
    "ايضا",
    "كمان",
    "وماذا",
    "وكم",
    "وهل",
    "طيب",
];

impl TurnRequest {
    /// The last `memory` messages.
    pub fn recent(&self, memory: usize) -> &[Message] {
        &self.history[self.history.len().saturating_sub(memory)..]
    }

    /// The question of the knowledge the message picks from the agent's last offer: by its
    /// number ("2" after two were offered), or sent back as written.
    pub fn picked_question(&self) -> Option<&str> {
        picked(&self.message, self.history.last())
    }

    /// The message's question, without the pleasantries around it
    /// ([`smalltalk::without_small_talk`]), as typed plainly ([`as_plainly_typed`],
    /// [`in_sentence_case`]), in Arabic letters where it is Arabic written in Latin ones
    /// ([`arabizi::in_arabic_letters`]), with
    /// the question mark it was typed without ([`with_question_mark`]).
    pub fn question(&self) -> Cow<'_, str> {
        question_of(&self.message)
    }

    /// What the customer asks, as they wrote it: the question they picked from an offer, else
    /// their message (what a person handed the conversation reads, and a model is shown).
    pub fn asked(&self) -> &str {
        self.picked_question()
            .unwrap_or_else(|| self.message.trim())
    }

    /// The query retrieval runs: the message itself (or the question it picks from an offer),
    /// or, when it is a short follow-up that leans on what came before, the customer's
    /// previous message followed by this one; in standard Arabic where the customer wrote a
    /// dialect's words.
    pub fn retrieval_query(&self, memory: usize) -> String {
        if let Some(question) = self.picked_question() {
            return colloquial::standard(question);
        }
        let question = self.question();
        let query = match self.previous_question(memory) {
            Some(previous) if is_follow_up(&question) => format!("{} {question}", previous.trim()),
            _ => question.into_owned(),
        };
        colloquial::standard(&query)
    }

    /// Whether [`TurnRequest::retrieval_query`] searches this message with the customer's
    /// previous question: a follow-up, not a pick of an offered question.
    pub fn searched_as_follow_up(&self, memory: usize) -> bool {
        self.picked_question().is_none()
            && is_follow_up(&self.question())
            && self.previous_question(memory).is_some()
    }

    /// The customer's latest earlier question within `memory`: the one they picked from an
    /// offer, or their message as asked.
    fn previous_question(&self, memory: usize) -> Option<Cow<'_, str>> {
        let recent = self.recent(memory);
        recent
            .iter()
            .rposition(|message| message.author == Author::Customer)
            .map(|at| {
                let text = recent[at].text.as_str();
                let before = at.checked_sub(1).map(|before| &recent[before]);
                picked(text, before).map_or_else(|| question_of(text), Cow::Borrowed)
            })
    }

    /// The language the customer writes in, among `languages`: this message's when it tells,
    /// else the one of their latest message that does ("ok 👍" after Arabic is Arabic), else
    /// the first of `languages`. Arabic written in Latin letters is Arabic where Arabic is
    /// among `languages` (or none are given). Words written in Latin letters in every
    /// language ("ok", "bye") tell only when nothing before them does.
    pub fn customer_language(&self, languages: &[String]) -> String {
        let arabic_allowed = languages.is_empty() || languages.iter().any(|code| code == "ar");
        let guess = |text: &str| {
            let arabic = in_arabic_letters(text).filter(|_| arabic_allowed);
            knowledge::guess_language_among(arabic.as_deref().unwrap_or(text), languages)
        };
        std::iter::once(self.message.as_str())
            .chain(
                self.history
                    .iter()
                    .rev()
                    .filter(|message| message.author == Author::Customer)
                    .map(|message| message.text.as_str()),
            )
            .filter(|text| !in_every_language(text))
            .find_map(guess)
            .or_else(|| guess(&self.message))
            .or_else(|| languages.first().cloned())
            .unwrap_or_else(|| "en".to_string())
    }

    /// Whether the message is Arabic typed in Latin letters, which [`TurnRequest::question`]
    /// reads in Arabic ones.
    pub fn is_arabizi(&self) -> bool {
        in_arabic_letters(&self.message).is_some()
    }

    /// Whether the agent's last reply could not answer, and offered a person.
    pub fn offered_a_person(&self) -> bool {
        self.history
            .last()
            .is_some_and(|message| message.author == Author::Agent && message.unanswered)
    }

    /// How many of the agent's latest replies in a row could not answer.
    pub fn unanswered_in_a_row(&self) -> usize {
        self.history
            .iter()
            .rev()
            .filter(|message| message.author != Author::Customer)
            .take_while(|message| message.author == Author::Agent && message.unanswered)
            .count()
    }
}

/// Words customers write in Latin letters whatever language they write in.
const WORDS_OF_EVERY_LANGUAGE: &[&str] = &["ok", "okay", "okey", "k", "kk", "bye", "lol"];

/// Whether a message is only such words ("ok", "ok bye 👍"): it tells nothing of the language.
fn in_every_language(message: &str) -> bool {
    let form = matching_form(message);
    let words = words(&form);
    !words.is_empty()
        && words
            .iter()
            .all(|word| WORDS_OF_EVERY_LANGUAGE.contains(word))
}

/// Words that open a message continuing the one before, even a longer one ("And how long does
/// it take to Sharjah?").
const CONTINUATIONS: &[&str] = &["and", "also", "but", "plus", "what about", "how about"];

/// The question of the knowledge `message` picks from the offer of the agent's message before
/// it: by its number, or sent back as written.
fn picked<'m>(message: &str, before: Option<&'m Message>) -> Option<&'m str> {
    let offer = before.filter(|before| before.author == Author::Agent)?;
    let sent = matching_form(message);
    let index = smalltalk::picked(message, offer.offered.len()).or_else(|| {
        offer
            .offered
            .iter()
            .position(|question| words(&matching_form(question)) == words(&sent))
    })?;
    Some(&offer.offered[index])
}

/// The words of a text in matching form, without its punctuation.
fn words(form: &str) -> Vec<&str> {
    form.split(|character: char| !character.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .collect()
}

/// What a customer's message asks, as a turn reads it: [`TurnRequest::question`].
fn question_of(message: &str) -> Cow<'_, str> {
    let question = match in_arabic_letters(message) {
        Some(arabic) => Cow::Owned(smalltalk::without_small_talk(&arabic).to_string()),
        None => then(
            as_plainly_typed(smalltalk::without_small_talk(message)),
            in_sentence_case,
        ),
    };
    then(question, with_question_mark)
}

/// `text` changed by `change`, owned only when `change` changed it.
fn then<'a>(text: Cow<'a, str>, change: fn(&str) -> Cow<'_, str>) -> Cow<'a, str> {
    match change(&text) {
        Cow::Borrowed(_) => text,
        Cow::Owned(changed) => Cow::Owned(changed),
    }
}

/// A message in Arabic letters when it is Arabizi ([`arabizi::in_arabic_letters`]), shouted
/// or not ("KAM SE3R EL ESHTERAK?").
fn in_arabic_letters(message: &str) -> Option<String> {
    arabizi::in_arabic_letters(&as_plainly_typed(message))
}

fn is_follow_up(message: &str) -> bool {
    let form = matching_form(message);
    let words = words(&form);
    let padded = format!(" {} ", words.join(" "));
    if words.len() <= 12
        && CONTINUATIONS
            .iter()
            .any(|word| padded.starts_with(&format!(" {word} ")))
    {
        return true;
    }
    if words.len() > 8 {
        return false;
    }
    words.len() <= 2
        || FOLLOW_UP_WORDS
            .iter()
            .any(|word| padded.contains(&format!(" {} ", matching_form(word))))
        || words.iter().any(|word| refers_back(word))
}

/// An Arabic word carrying a pronoun for something named before: "دوامهم" (their hours),
/// "سعرها" (its price), "منها" (of it). Three-letter words that merely end so ("مهم",
/// important) are left out.
fn refers_back(word: &str) -> bool {
    let letters = word.chars().count();
    letters >= 4
        && ["ها", "هم", "هما"]
            .iter()
            .any(|suffix| word.ends_with(suffix))
        && word.chars().all(|character| !character.is_ascii())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(message: &str, history: Vec<Message>) -> TurnRequest {
        TurnRequest {
            workspace: "w".into(),
            message: message.into(),
            history,
            contact: Contact::default(),
        }
    }

    #[test]
    fn a_greeting_opening_a_question_is_not_searched_for() {
        let greeted = request("السلام عليكم، كم سعر خطة البريميوم؟", Vec::new());
        assert_eq!(greeted.question(), "كم سعر خطة البريميوم؟");
        assert_eq!(greeted.asked(), "السلام عليكم، كم سعر خطة البريميوم؟");
        assert_eq!(greeted.retrieval_query(6), "كم سعر خطة البريميوم؟");
        let history = vec![
            Message::customer("Hi! Do you integrate with Salesforce?"),
            Message::agent("Yes.", false),
        ];
        assert_eq!(
            request("thanks! how do I set it up?", history).retrieval_query(6),
            "Do you integrate with Salesforce? how do I set it up?",
            "a follow-up after thanks, carrying the question before it without its greeting"
        );
    }

    #[test]
    fn arabic_in_latin_letters_is_read_in_arabic_letters() {
        let arabizi = request("salam, kam se3r el eshterak?", Vec::new());
        assert_eq!(arabizi.question(), "كم سعر الاشتراك؟");
        assert_eq!(arabizi.retrieval_query(6), "كم سعر الاشتراك؟");
        let arabic_and_english = ["ar".to_string(), "en".to_string()];
        assert_eq!(arabizi.customer_language(&arabic_and_english), "ar");
        assert_eq!(
            arabizi.customer_language(&["en".to_string()]),
            "en",
            "a business that does not write Arabic is answered in its language"
        );
        let shouted = request("KAM SE3R EL ESHTERAK?", Vec::new());
        assert_eq!(shouted.question(), "كم سعر الاشتراك؟");
        assert_eq!(shouted.customer_language(&arabic_and_english), "ar");
        assert_eq!(
            request("hello, HOW MUCH IS THE PRO PLAN?", Vec::new()).question(),
            "How much is the pro plan?",
            "capitals after a greeting are still read as a sentence is written"
        );
    }

    #[test]
    fn a_question_typed_on_a_phone_is_searched_as_written() {
        let typed = request("how can i export my contacts", Vec::new());
        assert_eq!(typed.question(), "How can I export my contacts?");
        assert_eq!(typed.asked(), "how can i export my contacts");
        assert_eq!(
            request("اقدر اربط رسايل تويتر", Vec::new()).retrieval_query(6),
            "أستطيع اربط رسائل تويتر؟"
        );
        assert_eq!(
            request("kam se3r el eshterak", Vec::new()).question(),
            "كم سعر الاشتراك؟"
        );
    }

    #[test]
    fn follow_ups_carry_the_previous_question_into_retrieval() {
        let history = vec![
            Message::customer("Do you sell the espresso grinder?"),
            Message::agent("Yes, the Burr 2 grinder.", false),
        ];
        let follow_up = request("How much is it?", history.clone());
        assert_eq!(
            follow_up.retrieval_query(6),
            "Do you sell the espresso grinder? How much is it?"
        );
        let continuing = request(
            "And how long does it take to ship it to Sharjah?",
            history.clone(),
        );
        assert_eq!(
            continuing.retrieval_query(6),
            "Do you sell the espresso grinder? And how long does it take to ship it to Sharjah?"
        );
        for (message, previous) in [
            (
                "ok how do I set it up?",
                "Do you integrate with Salesforce?",
            ),
            ("ما اوقات دوامهم؟", "ما هو دعم الاولوية؟"),
            ("كم سعرها بالشهر؟", "هل تدعمون واتساب؟"),
        ] {
            let history = vec![Message::customer(previous), Message::agent("Yes.", false)];
            assert_eq!(
                request(message, history).retrieval_query(6),
                format!("{previous} {message}")
            );
        }
        let gulf = request(
            "وش اوقات دوامهم؟",
            vec![Message::customer("ايش هو دعم الاولوية؟")],
        );
        assert_eq!(
            gulf.retrieval_query(6),
            "ما هو دعم الاولوية؟ ما اوقات دوامهم؟",
            "asked in standard Arabic"
        );
        let standalone = request("What are your opening hours on Friday?", history);
        assert_eq!(
            standalone.retrieval_query(6),
            "What are your opening hours on Friday?"
        );
        assert!(follow_up.searched_as_follow_up(6) && gulf.searched_as_follow_up(6));
        assert!(!standalone.searched_as_follow_up(6));
        assert!(
            !request("وش اوقات دوامكم؟", Vec::new()).searched_as_follow_up(6),
            "respelled in standard Arabic, alone"
        );
        let arabic = request(
            "وكم سعره؟",
            vec![Message::customer("هل تبيعون مطحنة القهوة؟")],
        );
        assert_eq!(
            arabic.retrieval_query(6),
            "هل تبيعون مطحنة القهوة؟ وكم سعره؟"
        );
        assert_eq!(
            arabic.retrieval_query(0),
            "وكم سعره؟",
            "no memory, no context"
        );
    }

    #[test]
    fn a_number_after_an_offer_asks_the_question_it_numbers() {
        let offered = vec![
            "ما هي الخطط المتاحة؟".to_string(),
            "ما هو SleekFlow بالضبط؟".to_string(),
        ];
        let offer = Message {
            offered: offered.clone(),
            ..Message::agent("1. «…» 2. «…»", true)
        };
        let history = vec![Message::customer("وش الباقات؟"), offer.clone()];
        let second = request("2", history.clone());
        assert_eq!(second.asked(), offered[1]);
        assert_eq!(
            second.retrieval_query(6),
            offered[1],
            "not joined to the question before, although it reads as a follow-up"
        );
        assert_eq!(request("الأول", history.clone()).asked(), offered[0]);
        let sent_back = request("ما هو sleekflow بالضبط ؟", history.clone());
        assert_eq!(
            sent_back.retrieval_query(6),
            offered[1],
            "sent back as written"
        );
        assert_eq!(request("3", history.clone()).asked(), "3");
        let later = vec![offer, Message::customer("ok"), Message::agent("…", false)];
        assert_eq!(
            request("2", later).asked(),
            "2",
            "only the last offer counts"
        );
        let picked_before = vec![
            Message::customer("وش الباقات؟"),
            history[1].clone(),
            Message::customer("1"),
            Message::agent("…", false),
        ];
        assert_eq!(
            request("وكم سعرها؟", picked_before).retrieval_query(6),
            format!("{} وكم سعرها؟", offered[0]),
            "a follow-up after a pick leans on the question picked"
        );
    }

    #[test]
    fn a_message_that_says_too_little_keeps_the_conversations_language() {
        let languages = ["ar".to_string(), "en".to_string()];
        let history = vec![
            Message::customer("كم سعر التوصيل؟"),
            Message::agent("15 درهم.", false),
        ];
        assert_eq!(
            request("👍", history.clone()).customer_language(&languages),
            "ar"
        );
        assert_eq!(
            request("ok", history.clone()).customer_language(&languages),
            "ar",
            "Arabic writers type \"ok\" in Latin letters too"
        );
        assert_eq!(
            request("ok bye", Vec::new()).customer_language(&languages),
            "en"
        );
        assert_eq!(
            request("ok, and the price?", history).customer_language(&languages),
            "en"
        );
        assert_eq!(request("?", Vec::new()).customer_language(&languages), "ar");
    }

    #[test]
    fn unanswered_replies_are_counted_back_to_the_last_answer() {
        let history = vec![
            Message::agent("Here it is.", false),
            Message::customer("q1"),
            Message::agent("Could you rephrase?", true),
            Message::customer("q2"),
            Message::agent("Could you rephrase?", true),
        ];
        assert_eq!(request("q3", history).unanswered_in_a_row(), 2);
        assert_eq!(request("q", Vec::new()).unanswered_in_a_row(), 0);
    }
}
