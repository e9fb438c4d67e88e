//! One agent and its turn: the answer pipeline.
//!
//! input guardrails -> handoff triggers in the message -> custom answers -> retrieval ->
//! confidence gate -> generation (model or extractive) -> output guardrails -> groundedness.
//!
//! The triggers that need only the message (a request for a person, a complaint, a rule, a
//! lead turning hot) are checked before custom answers: a customer who asks for a person gets
//! one even when the message also matches a curated answer. The confidence trigger needs
//! retrieval and comes after it.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use knowledge::embed::{EmbedError, Embedder, TextRole, cosine};
use knowledge::index::Scope;
use knowledge::lexical::Lexical;
use knowledge::retrieve::{Confidence, Passage, Retrieval, RetrieveError, SearchOptions};
use serde::Serialize;
use uuid::Uuid;

use crate::config::AgentConfig;
use crate::conversation::{Author, TurnRequest};
use crate::evidence::{Evidence, terms};
use crate::extractive::{self, MatchedEntry};
use crate::grounding::{self, Grounding};
use crate::guardrails::{self, Guardrail, GuardrailHit, Stage};
use crate::handoff;
use crate::lead::Qualifier;
use crate::llm::{LlmClient, LlmError, LlmRequest, TokenSink};
use crate::prompt::{self, ContextPassage};
use crate::smalltalk;
use crate::text::{self, Language, excerpt};
use crate::turn::{
    Action, Citation, Handoff, HandoffReason, MatchedQuestionTrace, Reply, ReplyOrigin,
    RetrievedPassage, Trace, Turn,
};
use crate::{code_switching, names};

/// Credits a turn costs: an AI reply, whichever way it was produced. Refusals, requests to
/// rephrase and handoffs are free.
pub const REPLY_CREDITS: u32 = 1;

/// How many replies smart reply suggests at most (one credit each).
pub const SMART_REPLIES: usize = 3;

/// How many times the passages a reply needs retrieval brings as candidates, for FAQ entries
/// to be chosen among.
const QUESTION_CANDIDATES: usize = 3;

/// How far under the bound an FAQ entry may score and still be offered when the knowledge does
/// not answer: worth a look, not worth asserting. Chosen with [`RELATED_QUESTIONS`] by how many
/// of the development set's declined questions one pick answers (docs/calibration.md).
const RELATED_QUESTION_MARGIN: f32 = 0.03;

/// How many of the knowledge's questions a decline offers at most: as many as a messaging
/// app shows as buttons under a message.
const RELATED_QUESTIONS: usize = 3;

/// How far under its bound an FAQ entry may score and still answer when its own text holds
/// the question's words ([`WORDS_BACKING_AN_ENTRY`]): e5's cosines of a dialect's or a typo's
/// paraphrase fall just short of the bound, and a near miss the knowledge does not answer asks
/// about something the entry does not say. Chosen on the development sets (docs/calibration.md).
const WORDS_BACKED_MARGIN: f32 = 0.02;

/// The share of the question's terms an entry's text must hold to answer within
/// [`WORDS_BACKED_MARGIN`] of the bound.
const WORDS_BACKING_AN_ENTRY: f32 = 0.6;

#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error(transparent)]
    Retrieve(#[from] RetrieveError),
    #[error(transparent)]
    Embed(#[from] EmbedError),
    #[error(transparent)]
    Llm(#[from] LlmError),
    #[error(
        "the writing assistant needs an LLM endpoint: configure one (--llm-url) to polish drafts"
    )]
    WritingAssistantNeedsLlm,
    #[error("there is no customer message to suggest replies to")]
    NothingToReplyTo,
    /// The blocking half of a turn panicked or was cancelled.
    #[error("the turn was interrupted: {0}")]
    Interrupted(String),
}

/// An agent, cheap to clone: its parts are shared, so each half of a turn can run on a
/// blocking thread of its own.
#[derive(Clone)]
pub struct Agent {
    parts: Arc<AgentParts>,
}

struct AgentParts {
    config: AgentConfig,
    retrieval: Arc<Retrieval>,
    llm: Option<Arc<dyn LlmClient>>,
    lexical: Lexical,
    /// The custom answers' questions, embedded once.
    custom_questions: Vec<Vec<f32>>,
    /// (rule index, example vector) for the rules matched by meaning.
    rule_examples: Vec<(usize, Vec<f32>)>,
    qualifier: Option<Qualifier>,
}

impl std::fmt::Debug for Agent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Agent")
            .field("name", &self.parts.config.name)
            .field(
                "llm",
                &self.parts.llm.as_ref().map(|llm| llm.model().to_string()),
            )
            .finish_non_exhaustive()
    }
}

/// What the first half of a turn leaves: a turn already decided, or what a reply is written
/// from. Both are large and move across a thread: boxed.
enum Prepared {
    Decided(Box<Turn>),
    Draft(Box<Draft>),
}

impl Prepared {
    fn decided(turn: Turn) -> Self {
        Prepared::Decided(Box::new(turn))
    }
}

struct Draft {
    turn: TurnBuilder,
    context: Context,
    query: String,
    query_vector: Vec<f32>,
    /// The customer asks how many, how much or how long ([`crate::text::asks_for_a_number`]):
    /// read off what they asked, not the query, which a follow-up joins to the question before.
    wants_a_number: bool,
}

/// What suggestions are chosen from and checked against.
struct Grounds {
    context: Context,
    extracted: Vec<String>,
}

/// Runs CPU-bound work of a turn on tokio's blocking pool.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, AgentError> + Send + 'static,
) -> Result<T, AgentError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| AgentError::Interrupted(error.to_string()))?
}

/// The passages of one retrieval, cleaned of injected instructions, with their evidence and,
/// over FAQ knowledge, the entry ranked first.
struct Context {
    passages: Vec<Passage>,
    confidence: Confidence,
    evidence: Evidence,
    entry: Option<MatchedEntry>,
    /// The FAQ questions of the kept passages, best first, each once.
    questions: Vec<RankedQuestion>,
}

/// The passages kept for a reply, in the order of how closely their FAQ entries answer.
struct Ranked {
    passages: Vec<Passage>,
    entry: Option<MatchedEntry>,
    questions: Vec<RankedQuestion>,
}

/// An FAQ question among the passages kept, and how closely its entry answers the customer's.
struct RankedQuestion {
    question: String,
    score: f32,
}

impl Context {
    fn passage_language(&self) -> &str {
        self.passages
            .first()
            .map_or("und", |passage| passage.chunk.language.as_str())
    }

    fn texts(&self) -> Vec<&str> {
        self.passages
            .iter()
            .map(|passage| passage.chunk.text.as_str())
            .collect()
    }
}

impl Agent {
    /// An agent answering from `retrieval`, with a model when `llm` is given and the
    /// extractive answerer otherwise.
    pub fn new(
        config: AgentConfig,
        retrieval: Arc<Retrieval>,
        llm: Option<Arc<dyn LlmClient>>,
    ) -> Result<Self, AgentError> {
        let embedder = retrieval.embedder();
        let questions: Vec<&str> = config
            .custom_answers
            .iter()
            .map(|answer| answer.question.as_str())
            .collect();
        let custom_questions = embedder.embed(&questions, TextRole::Query, &mut |_| {})?;
        let examples: Vec<(usize, &str)> = config
            .handoff
            .rules
            .iter()
            .enumerate()
            .flat_map(|(index, rule)| {
                rule.examples
                    .iter()
                    .map(move |example| (index, example.as_str()))
            })
            .collect();
        let texts: Vec<&str> = examples.iter().map(|(_, text)| *text).collect();
        let vectors = embedder.embed(&texts, TextRole::Query, &mut |_| {})?;
        let rule_examples = examples
            .iter()
            .map(|(index, _)| *index)
            .zip(vectors)
            .collect();
        Ok(Agent {
            parts: Arc::new(AgentParts {
                qualifier: config.lead.as_ref().map(Qualifier::new),
                config,
                retrieval,
                llm,
                lexical: Lexical::new(),
                custom_questions,
                rule_examples,
            }),
        })
    }

    pub fn config(&self) -> &AgentConfig {
        &self.parts.config
    }

    /// The model the agent embeds with (evals compare answers with it).
    pub fn embedder(&self) -> &Embedder {
        self.parts.retrieval.embedder()
    }

    /// Runs one turn. With `tokens`, a model's reply streams into it as it is generated;
    /// what the customer is sent is only ever the returned turn's (checked) text.
    ///
    /// The turn's CPU work (embedding, retrieval, choosing and checking sentences) runs on
    /// tokio's blocking pool in two halves around the model call, so an async caller's
    /// threads stay free and a blocking vector index is only ever called from a blocking
    /// thread. It must be awaited inside a tokio runtime.
    pub async fn answer(
        &self,
        request: &TurnRequest,
        tokens: Option<TokenSink<'_>>,
    ) -> Result<Turn, AgentError> {
        let agent = self.clone();
        let owned = request.clone();
        let mut draft = match blocking(move || agent.prepare(&owned)).await? {
            Prepared::Decided(turn) => return Ok(*turn),
            Prepared::Draft(draft) => draft,
        };
        let step = Instant::now();
        let mut failure = None;
        let generated = match &self.parts.llm {
            Some(llm) => match self
                .generate(llm.as_ref(), request, &draft.context, tokens)
                .await
            {
                Ok((text, shown)) => {
                    if shown < draft.context.passages.len() {
                        draft.turn.trace.prompt_passages = Some(shown);
                    }
                    Some(text)
                }
                Err(error) => {
                    failure = Some(format!("the model failed ({error}); answered extractively"));
                    None
                }
            },
            None => None,
        };
        let agent = self.clone();
        blocking(move || Ok(agent.conclude(*draft, generated, failure, step))).await?
    }

    /// The first half of a turn, up to what generation needs: guardrails, triggers, custom
    /// answers, retrieval, the confidence gate and the evidence.
    fn prepare(&self, request: &TurnRequest) -> Result<Prepared, AgentError> {
        let config = &self.parts.config;
        let mut turn = TurnBuilder::new(request, config);
        let question = request.question();
        let message: &str = &question;
        let language = turn.language;
        // A question picked from an offer is asked too, and checked like the message: over the
        // OpenAI-compatible endpoint the offer comes back from the client.
        let asked = request.asked();
        let checked = if asked == message {
            std::borrow::Cow::Borrowed(message)
        } else {
            std::borrow::Cow::Owned(format!("{message}\n{asked}"))
        };

        // Input guardrails.
        let step = Instant::now();
        if let Some(phrase) = guardrails::injection(&checked) {
            turn.hit(Guardrail::PromptInjection, Stage::Input, &phrase);
            turn.trace.record("input_guardrails", step);
            return Ok(Prepared::decided(
                turn.fixed(refusal(language), "prompt injection"),
            ));
        }
        if config.guardrails.refuse_personal_data
            && let Some(phrase) = guardrails::personal_data_request(&checked)
        {
            turn.hit(Guardrail::PersonalData, Stage::Input, &phrase);
            turn.trace.record("input_guardrails", step);
            return Ok(Prepared::decided(
                turn.fixed(personal_data_refusal(language), "personal data request"),
            ));
        }
        if let Some((topic, keyword)) =
            guardrails::blocked_topic(&checked, &config.guardrails.blocked_topics)
        {
            turn.hit(Guardrail::BlockedTopic, Stage::Input, &keyword);
            turn.trace.record("input_guardrails", step);
            let team = config.handoff.default_team.clone();
            let reason = HandoffReason::BlockedTopic {
                topic: topic.name.clone(),
            };
            return Ok(Prepared::decided(turn.handoff(
                team,
                reason,
                &format!("blocked topic {}", topic.name),
            )));
        }
        turn.trace.record("input_guardrails", step);

        // Handoff triggers in the message, and qualification.
        let step = Instant::now();
        let question_vector = self.embedder().embed_query(message)?;
        // The English words of an Arabizi message ("momken human agent?") and its addresses
        // and numbers are read as typed too: the question spells them in Arabic letters.
        let read = if request.is_arabizi() {
            std::borrow::Cow::Owned(format!("{}\n{message}", request.message.trim()))
        } else {
            std::borrow::Cow::Borrowed(message)
        };
        if let Some(qualifier) = &self.parts.qualifier {
            let found = qualifier.qualify(&read, &request.contact.fields);
            turn.contact_updates = found.updates;
            turn.lead_score = Some(found.score);
            if found.became_hot {
                turn.trace.record("handoff_triggers", step);
                let team = config.handoff.sales_team.clone();
                return Ok(Prepared::decided(turn.handoff(
                    team,
                    HandoffReason::HotLead,
                    "hot lead",
                )));
            }
        }
        if let Some((team, reason, why)) = self.message_trigger(&read, &question_vector) {
            turn.trace.record("handoff_triggers", step);
            return Ok(Prepared::decided(turn.handoff(team, reason, &why)));
        }
        turn.trace.record("handoff_triggers", step);

        // Custom answers.
        let step = Instant::now();
        let best_custom = self
            .parts
            .custom_questions
            .iter()
            .map(|vector| cosine(&question_vector, vector))
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(&b.1));
        turn.trace.record("custom_answers", step);
        if let Some((index, similarity)) = best_custom
            && similarity >= config.custom_answer_threshold
        {
            let custom = &config.custom_answers[index];
            turn.trace.decided_by = Some(format!(
                "custom answer {:?} (cosine {similarity:.3})",
                custom.question
            ));
            return Ok(Prepared::decided(turn.reply(Reply {
                text: custom.answer.clone(),
                citations: Vec::new(),
                origin: ReplyOrigin::CustomAnswer,
                unanswered: false,
                offered: Vec::new(),
            })));
        }

        // A yes to the offer of a person ("ok" and "👍" too), then small talk.
        if request.offered_a_person()
            && (smalltalk::is_yes(&request.message) || smalltalk::is_yes(message))
        {
            let team = config.handoff.default_team.clone();
            return Ok(Prepared::decided(turn.handoff(
                team,
                HandoffReason::HumanRequested,
                "the customer accepted the offer of a person",
            )));
        }
        let opening = request
            .history
            .iter()
            .all(|earlier| earlier.author != Author::Customer);
        if let Some(kind) = smalltalk::recognise_in_conversation(message, opening) {
            let text = smalltalk::reply(kind, language, message);
            return Ok(Prepared::decided(
                turn.fixed(text, &format!("small talk: {}", kind.name())),
            ));
        }
        // A link, an address or a number alone (not one picking an offered question) gives the
        // knowledge nothing to be searched for: whatever came closest would be answered.
        if !text::has_words(asked) {
            let why = "no words to search the knowledge with: asked to rephrase";
            return Ok(self.not_answered(request, turn, Vec::new(), why.into()));
        }

        // Retrieval and the confidence gate.
        let step = Instant::now();
        let query = request.retrieval_query(config.memory);
        // A follow-up is searched with the conversation's words, which the entry its earlier
        // question matched holds: they say nothing of whether it answers the new one.
        let asked_alone = !request.searched_as_follow_up(config.memory);
        let query_vector = if query == message {
            question_vector.clone()
        } else {
            self.embedder().embed_query(&query)?
        };
        let (query, query_vector, context) =
            self.retrieve_in_knowledge_words(request, query, query_vector, &mut turn)?;
        turn.trace.retrieval_query = Some(query.clone());
        let entry_coverage = context.entry.as_ref().map(|entry| {
            let passages = entry.passages.iter().map(|&at| &context.passages[at]);
            self.parts.retrieval.content_coverage(&query, passages)
        });
        turn.trace.matched_question = context.entry.as_ref().map(|entry| MatchedQuestionTrace {
            question: entry.question.clone(),
            similarity: entry.similarity,
            score: entry.score,
            coverage: entry_coverage.unwrap_or_default(),
        });
        let words_backing = entry_coverage.filter(|_| asked_alone);
        turn.trace.record("retrieval", step);
        let unmentioned = names::unmentioned(message, &context.texts());
        if context.passages.is_empty()
            || !self.answers(&context, &turn.language_code, words_backing)
            || !unmentioned.is_empty()
        {
            // A question about something the knowledge never names is not near any of its
            // questions, however close it scores.
            let related = if unmentioned.is_empty() {
                self.related_questions(&context, &turn.language_code)
            } else {
                Vec::new()
            };
            let why = if !unmentioned.is_empty() {
                format!(
                    "the question names {}, which the passages found do not mention: asked to rephrase",
                    unmentioned.join(", ")
                )
            } else if related.is_empty() {
                "low retrieval confidence: asked to rephrase".into()
            } else {
                format!(
                    "low retrieval confidence: asked to rephrase, offered {} of the knowledge's questions",
                    related.len()
                )
            };
            let offered = related.into_iter().map(str::to_string).collect();
            return Ok(self.not_answered(request, turn, offered, why));
        }
        Ok(Prepared::Draft(Box::new(Draft {
            turn,
            context,
            query,
            query_vector,
            wants_a_number: crate::text::asks_for_a_number(request.asked()),
        })))
    }

    /// A message the knowledge does not answer: the customer is asked to rephrase, offered the
    /// knowledge's questions that came close, or handed to a person when the questions before
    /// were not answered either.
    fn not_answered(
        &self,
        request: &TurnRequest,
        mut turn: TurnBuilder,
        offered: Vec<String>,
        why: String,
    ) -> Prepared {
        let handoff = &self.parts.config.handoff;
        let unanswered = request.unanswered_in_a_row() + 1;
        if unanswered >= handoff.low_confidence_turns {
            let why = format!("{unanswered} questions in a row the knowledge does not answer");
            return Prepared::decided(turn.handoff(
                handoff.default_team.clone(),
                HandoffReason::LowConfidence,
                &why,
            ));
        }
        let related: Vec<&str> = offered.iter().map(String::as_str).collect();
        let text = rephrase(turn.language, &related);
        turn.trace.decided_by = Some(why);
        Prepared::decided(turn.fixed_unanswered(&text, offered))
    }

    /// The confidence gate: whether the knowledge answers the question. Over FAQ knowledge,
    /// whether the entry ranked first answers it closely enough for the two languages, or
    /// nearly so with the question's words in its text (`coverage`, the share of them it
    /// holds, where that counts); over other knowledge, whether the retrieval confidence
    /// reaches its bound.
    fn answers(&self, context: &Context, customer_language: &str, coverage: Option<f32>) -> bool {
        match &context.entry {
            Some(entry) => entry_answers(
                entry.score,
                self.entry_bound(context, customer_language),
                coverage,
            ),
            None => {
                let bound = self
                    .parts
                    .config
                    .handoff
                    .min_confidence_for(customer_language, context.passage_language());
                context.confidence.value() >= bound
            }
        }
    }

    /// The entry score from which an FAQ entry answers, for the two languages.
    fn entry_bound(&self, context: &Context, customer_language: &str) -> f32 {
        let handoff = &self.parts.config.handoff;
        if context.passage_language() == customer_language {
            handoff.min_question_match
        } else {
            handoff.min_question_match_across_languages
        }
    }

    /// The knowledge's own questions worth offering when it does not answer closely enough:
    /// those whose entries came within [`RELATED_QUESTION_MARGIN`] of the bound, best first,
    /// also when an introduction without a question ranked above them. Sent back as written,
    /// such a question matches its entry and is answered.
    fn related_questions<'c>(&self, context: &'c Context, customer_language: &str) -> Vec<&'c str> {
        let floor = self.entry_bound(context, customer_language) - RELATED_QUESTION_MARGIN;
        context
            .questions
            .iter()
            .filter(|ranked| ranked.score >= floor)
            .take(RELATED_QUESTIONS)
            .map(|ranked| ranked.question.as_str())
            .collect()
    }

    /// The second half of a turn: the reply (the model's, or chosen sentences), the output
    /// guardrails and groundedness.
    fn conclude(
        &self,
        draft: Draft,
        generated: Option<String>,
        failure: Option<String>,
        step: Instant,
    ) -> Result<Turn, AgentError> {
        let config = &self.parts.config;
        let Draft {
            mut turn,
            context,
            query,
            query_vector,
            wants_a_number,
        } = draft;
        let evidence = &context.evidence;
        let language = turn.language;
        if failure.is_some() {
            turn.trace.decided_by = failure;
        }
        let (text, origin, foreign) = match generated {
            Some(text) => (text, ReplyOrigin::Generated, false),
            None => {
                let (text, foreign) = self.extract(
                    evidence,
                    &query_vector,
                    &query,
                    wants_a_number,
                    &turn.language_code,
                    context.entry.as_ref(),
                );
                (text, ReplyOrigin::Extractive, foreign)
            }
        };
        turn.trace.record("generation", step);

        // Output guardrails and groundedness.
        let step = Instant::now();
        let texts = context.texts();
        if let Some((topic, keyword)) =
            guardrails::blocked_topic(&text, &config.guardrails.blocked_topics)
        {
            turn.hit(Guardrail::BlockedTopic, Stage::Output, &keyword);
            turn.trace.record("output_guardrails", step);
            let team = config.handoff.default_team.clone();
            let reason = HandoffReason::BlockedTopic {
                topic: topic.name.clone(),
            };
            return Ok(turn.handoff(
                team,
                reason,
                &format!("reply touched blocked topic {}", topic.name),
            ));
        }
        let (text, redacted) = guardrails::redact_pii(&text, &texts);
        for kind in redacted {
            turn.hit(Guardrail::PiiRedacted, Stage::Output, kind);
        }
        let grounding = grounding::check(self.embedder(), &self.parts.lexical, evidence, &text)?;
        turn.trace.record("output_guardrails", step);
        turn.trace.grounding = grounding.sentences.clone();
        if !grounding.grounded {
            let unsupported: Vec<&str> = grounding
                .sentences
                .iter()
                .filter(|sentence| !sentence.supported)
                .map(|sentence| sentence.text.as_str())
                .collect();
            turn.hit(
                Guardrail::Ungrounded,
                Stage::Output,
                &if unsupported.is_empty() {
                    "the reply states nothing to check".to_string()
                } else {
                    format!("unsupported: {}", unsupported.join(" | "))
                },
            );
            let team = config.handoff.default_team.clone();
            let mut turn = turn.handoff(team, HandoffReason::Ungrounded, "no grounded answer");
            if let Action::Handoff(handoff) = &mut turn.action {
                handoff.message = handoff::dont_know(language).to_string();
            }
            return Ok(turn);
        }
        let citations = citations(&text, &context.passages, &grounding);
        // Quoted knowledge in another language than the customer's is introduced in theirs, on
        // a line of its own: a line that mixes the two scripts reads badly in either direction,
        // and the quote may open with a list.
        let text = if foreign {
            format!("{}\n{text}", from_our_information(language))
        } else {
            text
        };
        Ok(turn.reply(Reply {
            text,
            citations,
            origin,
            unanswered: false,
            offered: Vec::new(),
        }))
    }

    /// A request for a person, a complaint, or a configured rule (by keyword, then by meaning).
    fn message_trigger(
        &self,
        message: &str,
        vector: &[f32],
    ) -> Option<(String, HandoffReason, String)> {
        let handoff = &self.parts.config.handoff;
        if handoff::asks_for_human(message) {
            return Some((
                handoff.default_team.clone(),
                HandoffReason::HumanRequested,
                "the customer asked for a person".into(),
            ));
        }
        if handoff::is_complaint(message) {
            return Some((
                handoff.default_team.clone(),
                HandoffReason::Complaint,
                "complaint".into(),
            ));
        }
        if let Some(rule) = handoff::keyword_rule(message, &handoff.rules) {
            return Some((
                rule.team.clone(),
                HandoffReason::Rule {
                    rule: rule.name.clone(),
                },
                format!("rule {} (keyword)", rule.name),
            ));
        }
        let (index, similarity) = self
            .parts
            .rule_examples
            .iter()
            .map(|(index, example)| (*index, cosine(vector, example)))
            .filter(|(index, similarity)| *similarity >= handoff.rules[*index].threshold)
            .max_by(|a, b| a.1.total_cmp(&b.1))?;
        let rule = &handoff.rules[index];
        Some((
            rule.team.clone(),
            HandoffReason::Rule {
                rule: rule.name.clone(),
            },
            format!("rule {} (meaning, cosine {similarity:.3})", rule.name),
        ))
    }

    /// Retrieval for `query`, then again in the knowledge's words where they differ, which
    /// brings the entries that answer closer: the English words of an Arabic question in Arabic
    /// where the knowledge found is Arabic and its Arabic passages do not write them in Latin
    /// letters (not in a question picked from an offer, the knowledge's own), names typed in
    /// lower case in the knowledge's capitals, and names the customer wrote in Arabic script
    /// and the knowledge in Latin letters, with both spellings. The query asked last, its
    /// vector and what it found.
    fn retrieve_in_knowledge_words(
        &self,
        request: &TurnRequest,
        mut query: String,
        mut query_vector: Vec<f32>,
        turn: &mut TurnBuilder,
    ) -> Result<(String, Vec<f32>, Context), AgentError> {
        let mut context = self.retrieve(request, &query, query_vector.clone(), turn)?;
        let arabic_over_arabic = turn.language_code == "ar"
            && context.passage_language() == "ar"
            && request.picked_question().is_none();
        let rewritten = arabic_over_arabic
            .then(|| {
                let arabic_passages = context
                    .passages
                    .iter()
                    .filter(|passage| passage.chunk.language == "ar")
                    .map(|passage| passage.chunk.text.as_str());
                let latin = code_switching::latin_words(arabic_passages);
                code_switching::in_arabic(&query, &latin)
            })
            .flatten();
        let capitalised =
            names::in_their_capitals(rewritten.as_deref().unwrap_or(&query), &context.texts());
        let rewritten = capitalised.or(rewritten);
        let respelled = names::respelled(&query, &context.texts());
        if rewritten.is_some() || !respelled.is_empty() {
            query = rewritten.unwrap_or(query);
            if !respelled.is_empty() {
                query = format!("{query} ({})", respelled.join(", "));
            }
            query_vector = self.embedder().embed_query(&query)?;
            context = self.retrieve(request, &query, query_vector.clone(), turn)?;
        }
        Ok((query, query_vector, context))
    }

    fn retrieve(
        &self,
        request: &TurnRequest,
        query: &str,
        vector: Vec<f32>,
        turn: &mut TurnBuilder,
    ) -> Result<Context, AgentError> {
        let scope = Scope::new(&request.workspace, &self.parts.config.knowledge_base);
        let wanted = self.parts.config.response_length.passages();
        let options = SearchOptions {
            limit: wanted * QUESTION_CANDIDATES,
            ..SearchOptions::default()
        };
        let mut found =
            self.parts
                .retrieval
                .search_embedded(&scope, query, vector.clone(), &options)?;
        for passage in &mut found {
            let (clean, removed) = guardrails::strip_injections(&passage.chunk.text);
            for phrase in removed {
                turn.hit(
                    Guardrail::PromptInjection,
                    Stage::Knowledge,
                    &format!("{}: {phrase}", passage.chunk.source),
                );
            }
            passage.chunk.text = clean;
        }
        found.retain(|passage| !passage.chunk.text.trim().is_empty());
        let Ranked {
            passages,
            entry,
            questions,
        } = self.by_their_entries(found, &vector, wanted)?;
        let texts: Vec<&str> = passages
            .iter()
            .map(|passage| passage.chunk.text.as_str())
            .collect();
        // Sentences are embedded once and cached: the candidates' were, when entries were ranked.
        let sections: Vec<&[String]> = passages
            .iter()
            .map(|passage| passage.chunk.position.section.as_slice())
            .collect();
        let evidence = Evidence::gather(self.embedder(), &self.parts.lexical, &texts, &sections)?;
        let confidence = self.parts.retrieval.confidence(query, &passages);
        turn.trace.confidence = Some(confidence);
        turn.trace.retrieved = passages
            .iter()
            .enumerate()
            .map(|(index, passage)| RetrievedPassage {
                number: index + 1,
                source: passage.chunk.source.clone(),
                position: passage.chunk.position.to_string(),
                score: passage.score,
                similarity: passage.similarity,
                dense_rank: passage.dense_rank,
                lexical_rank: passage.sparse_rank,
                text: passage.chunk.text.clone(),
            })
            .collect();
        Ok(Context {
            passages,
            confidence,
            evidence,
            entry,
            questions,
        })
    }

    /// FAQ knowledge says which question each passage answers. When the candidates carry
    /// questions, the `keep` best are those whose entries answer the customer's question most
    /// closely ([`extractive::entry_match`]: the two questions' cosine, the passage's, and its
    /// closest sentence's), and the first, when it is an entry, is the one the reply is taken
    /// from. A passage without a question counts its own cosine for all three: its closest
    /// sentence would favour an introduction or a table of contents, which speak of everything
    /// a little. Otherwise retrieval's order stands.
    fn by_their_entries(
        &self,
        mut passages: Vec<Passage>,
        vector: &[f32],
        keep: usize,
    ) -> Result<Ranked, AgentError> {
        let questions: Vec<Option<String>> = passages
            .iter()
            .map(|passage| {
                passage
                    .chunk
                    .position
                    .section
                    .last()
                    .filter(|title| knowledge::sentences::is_question(title))
                    .cloned()
            })
            .collect();
        if questions.iter().all(Option::is_none) {
            passages.truncate(keep);
            return Ok(Ranked {
                passages,
                entry: None,
                questions: Vec::new(),
            });
        }
        let asked: Vec<&str> = questions.iter().flatten().map(String::as_str).collect();
        let mut vectors = self
            .embedder()
            .embed_sentences(&asked, TextRole::Query)?
            .into_iter();
        let texts: Vec<&str> = passages
            .iter()
            .map(|passage| passage.chunk.text.as_str())
            .collect();
        let candidates = Evidence::gather(self.embedder(), &self.parts.lexical, &texts, &[])?;
        // A passage the lexical list alone found has no cosine: it counts as the least similar.
        let floor = passages
            .iter()
            .filter_map(|passage| passage.similarity)
            .reduce(f32::min)
            .unwrap_or(0.0);
        let mut scored: Vec<(MatchedEntry, Option<String>, Passage)> = questions
            .into_iter()
            .enumerate()
            .zip(passages)
            .map(|((index, question), passage)| {
                let own = passage.similarity.unwrap_or(floor);
                let similarity = question
                    .as_ref()
                    .and_then(|_| vectors.next())
                    .map_or(own, |question| cosine(vector, &question));
                let sentence = match question {
                    Some(_) => candidates.closest_statement(index, vector).unwrap_or(own),
                    None => own,
                };
                let entry = MatchedEntry {
                    passages: Vec::new(),
                    question: question.clone().unwrap_or_default(),
                    similarity,
                    score: extractive::entry_match(similarity, own, sentence),
                };
                (entry, question, passage)
            })
            .collect();
        scored.sort_by(|a, b| b.0.score.total_cmp(&a.0.score));
        scored.truncate(keep);
        // An entry's answer can span passages (a long answer cut in pieces, a table's rows):
        // every kept passage of the first entry's question answers with it.
        let first = scored
            .first()
            .filter(|(_, question, _)| question.is_some())
            .map(|(entry, question, _)| {
                let mut passages: Vec<usize> = scored
                    .iter()
                    .enumerate()
                    .filter(|(_, (_, other, _))| other == question)
                    .map(|(index, _)| index)
                    .collect();
                // In the document's order: a long answer's first piece opens it.
                passages.sort_by(|&a, &b| {
                    let (a, b) = (&scored[a].2.chunk, &scored[b].2.chunk);
                    (&a.source_id, a.ordinal).cmp(&(&b.source_id, b.ordinal))
                });
                MatchedEntry {
                    passages,
                    ..entry.clone()
                }
            });
        let mut questions: Vec<RankedQuestion> = Vec::new();
        for (entry, question, _) in &scored {
            if let Some(question) = question
                && !questions.iter().any(|other| &other.question == question)
            {
                questions.push(RankedQuestion {
                    question: question.clone(),
                    score: entry.score,
                });
            }
        }
        Ok(Ranked {
            passages: scored.into_iter().map(|(_, _, passage)| passage).collect(),
            entry: first,
            questions,
        })
    }

    /// The model's reply from the passages, and how many of them it was shown. A prompt longer
    /// than the model's context is sent again with as many of the best passages as fit,
    /// leaving room for the reply; when not even the first fits, the error stands and the turn
    /// is answered extractively.
    async fn generate(
        &self,
        llm: &dyn LlmClient,
        request: &TurnRequest,
        context: &Context,
        tokens: Option<TokenSink<'_>>,
    ) -> Result<(String, usize), LlmError> {
        let customer = request.customer_language(&self.parts.config.customer_languages);
        let language = prompt::reply_language(&self.parts.config, &customer);
        let mut tokens = tokens;
        let mut kept = context.passages.len();
        loop {
            let passages = &context.passages[..kept];
            let system = numbered(passages, |numbered| {
                prompt::answer_system_prompt(&self.parts.config, &language, numbered)
            });
            let messages = prompt::conversation(
                system,
                request.recent(self.parts.config.memory),
                request.asked(),
            );
            let asked = LlmRequest {
                messages,
                max_tokens: self.parts.config.response_length.max_tokens(),
            };
            // The sink outlives this request: lend it for the call only. A prompt that did not
            // fit was refused before any token streamed.
            let sink: Option<TokenSink<'_>> = match tokens.as_mut() {
                Some(sink) => Some(&mut **sink),
                None => None,
            };
            match llm.complete(&asked, sink).await {
                Err(LlmError::PromptTooLong {
                    url,
                    prompt_tokens,
                    context_tokens,
                }) => {
                    let fit = passages_that_fit(passages, &asked, prompt_tokens, context_tokens);
                    if fit == 0 {
                        return Err(LlmError::PromptTooLong {
                            url,
                            prompt_tokens,
                            context_tokens,
                        });
                    }
                    kept = fit;
                }
                answered => return answered.map(|text| (text, kept)),
            }
        }
    }

    /// The extractive reply: the matched entry's answer, or else the chosen sentences, each
    /// followed by its passage's number; and whether every sentence of it is in another
    /// language than the customer's.
    fn extract(
        &self,
        evidence: &Evidence,
        question_vector: &[f32],
        message: &str,
        wants_a_number: bool,
        customer_language: &str,
        answered_by: Option<&MatchedEntry>,
    ) -> (String, bool) {
        let length = self.parts.config.response_length;
        let question_terms = terms(&self.parts.lexical, message);
        let asked = extractive::Asked {
            vector: question_vector,
            terms: &question_terms,
            language: Language::from_code(customer_language),
            wants_a_number,
        };
        let picks = answered_by
            .map(|matched| {
                extractive::answer_of(evidence, &matched.passages, asked, length.characters())
            })
            .filter(|picks| !picks.is_empty())
            .unwrap_or_else(|| {
                let chosen = extractive::choose(evidence, asked, length.sentences());
                extractive::with_what_they_refer_to(evidence, chosen)
            });
        let foreign = !picks.is_empty()
            && picks.iter().all(|pick| {
                let language = &evidence.sentences[pick.sentence].language;
                language != customer_language && language != "und"
            });
        // Each run of sentences from one passage is cited once, after its last; a sentence
        // that opens a line of the knowledge, a list's item among them, opens one here.
        let mut text = String::new();
        for (position, pick) in picks.iter().enumerate() {
            let sentence = &evidence.sentences[pick.sentence];
            if position > 0 {
                let new_line = sentence.opens_line || extractive::is_list_item(&sentence.text);
                text.push(if new_line { '\n' } else { ' ' });
            }
            let readable = extractive::readable(&sentence.text);
            let run_ends = picks
                .get(position + 1)
                .is_none_or(|next| evidence.sentences[next.sentence].passage != sentence.passage);
            if run_ends {
                text.push_str(&cite(&readable, sentence.passage + 1));
            } else {
                text.push_str(&readable);
            }
        }
        (text, foreign)
    }

    /// Smart reply: up to three replies a human agent may send to the customer's last message,
    /// each grounded in the knowledge. One credit per suggestion produced. Like a turn, its CPU
    /// work runs on the blocking pool around the model call.
    pub async fn suggest_replies(&self, request: &TurnRequest) -> Result<Suggestions, AgentError> {
        if request.message.trim().is_empty() {
            return Err(AgentError::NothingToReplyTo);
        }
        let agent = self.clone();
        let owned = request.clone();
        let Some(grounds) = blocking(move || agent.suggestion_grounds(&owned)).await? else {
            return Ok(Suggestions::default());
        };
        let candidates = match &self.parts.llm {
            Some(llm) => {
                self.suggested_by_model(llm.as_ref(), request, &grounds.context)
                    .await?
            }
            None => grounds.extracted.clone(),
        };
        let agent = self.clone();
        blocking(move || agent.checked_suggestions(&grounds, candidates)).await
    }

    /// The passages suggestions rest on, their evidence, and one extracted sentence per
    /// passage; `None` when the knowledge does not answer.
    fn suggestion_grounds(&self, request: &TurnRequest) -> Result<Option<Grounds>, AgentError> {
        let question = request.question();
        let message: &str = &question;
        let mut turn = TurnBuilder::new(request, &self.parts.config);
        let query = request.retrieval_query(self.parts.config.memory);
        let query_vector = self.embedder().embed_query(&query)?;
        let (_, question_vector, context) =
            self.retrieve_in_knowledge_words(request, query, query_vector, &mut turn)?;
        if context.passages.is_empty()
            || context.confidence.value() < self.parts.config.handoff.min_confidence
        {
            return Ok(None);
        }
        let evidence = &context.evidence;
        // One suggestion per passage: its sentence that best answers the message.
        let question_terms = terms(&self.parts.lexical, message);
        let asked = extractive::Asked {
            vector: &question_vector,
            terms: &question_terms,
            language: turn.language,
            wants_a_number: crate::text::asks_for_a_number(message),
        };
        let picks = extractive::choose(evidence, asked, usize::MAX);
        let mut extracted: Vec<String> = Vec::new();
        let mut used = Vec::new();
        for pick in picks {
            let sentence = &evidence.sentences[pick.sentence];
            if !used.contains(&sentence.passage) {
                used.push(sentence.passage);
                extracted.push(cite(&sentence.text, sentence.passage + 1));
            }
        }
        Ok(Some(Grounds { context, extracted }))
    }

    async fn suggested_by_model(
        &self,
        llm: &dyn LlmClient,
        request: &TurnRequest,
        context: &Context,
    ) -> Result<Vec<String>, AgentError> {
        let message = request.message.trim();
        let customer = request.customer_language(&self.parts.config.customer_languages);
        let language = prompt::reply_language(&self.parts.config, &customer);
        let system = numbered(&context.passages, |numbered| {
            prompt::suggestions_prompt(&self.parts.config, &language, numbered, SMART_REPLIES)
        });
        let messages =
            prompt::conversation(system, request.recent(self.parts.config.memory), message);
        let reply = llm
            .complete(
                &LlmRequest {
                    messages,
                    max_tokens: 300,
                },
                None,
            )
            .await?;
        Ok(reply
            .lines()
            .filter_map(|line| {
                line.trim()
                    .strip_prefix("- ")
                    .or_else(|| line.trim().strip_prefix("* "))
            })
            .map(|line| line.trim().to_string())
            .filter(|line| !line.is_empty())
            .collect())
    }

    /// The candidates that pass the output guardrails and groundedness, with their citations.
    fn checked_suggestions(
        &self,
        grounds: &Grounds,
        candidates: Vec<String>,
    ) -> Result<Suggestions, AgentError> {
        let texts = grounds.context.texts();
        let mut replies = Vec::new();
        for candidate in candidates.into_iter().take(SMART_REPLIES) {
            let (text, _) = guardrails::redact_pii(&candidate, &texts);
            let grounding = grounding::check(
                self.embedder(),
                &self.parts.lexical,
                &grounds.context.evidence,
                &text,
            )?;
            if grounding.grounded {
                let citations = citations(&text, &grounds.context.passages, &grounding);
                replies.push(Reply {
                    text,
                    citations,
                    origin: if self.parts.llm.is_some() {
                        ReplyOrigin::Generated
                    } else {
                        ReplyOrigin::Extractive
                    },
                    unanswered: false,
                    offered: Vec::new(),
                });
            }
        }
        Ok(Suggestions {
            credits: replies.len() as u32,
            replies,
        })
    }

    /// The writing assistant: a human agent's draft, polished to `tone`. One credit.
    pub async fn polish(&self, draft: &str, tone: &str) -> Result<Polished, AgentError> {
        polish(self.parts.llm.as_deref(), draft, tone).await
    }
}

/// The writing assistant on its own: it needs a model, not knowledge. One credit.
pub async fn polish(
    llm: Option<&dyn LlmClient>,
    draft: &str,
    tone: &str,
) -> Result<Polished, AgentError> {
    let llm = llm.ok_or(AgentError::WritingAssistantNeedsLlm)?;
    let request = LlmRequest {
        messages: prompt::polish_prompt(tone, draft),
        max_tokens: 400,
    };
    let text = llm.complete(&request, None).await?;
    Ok(Polished {
        text: text.trim().to_string(),
        credits: REPLY_CREDITS,
    })
}

#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct Suggestions {
    pub replies: Vec<Reply>,
    pub credits: u32,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Polished {
    pub text: String,
    pub credits: u32,
}

/// A quoted sentence with its citation marker before its closing punctuation.
fn cite(sentence: &str, number: usize) -> String {
    let body = sentence.trim_end_matches(['.', '!', '。', '۔']);
    let end = &sentence[body.len()..];
    format!("{body} [{number}]{end}")
}

/// How many of the first `passages` a prompt can keep when `asked`, which held all of them,
/// came to `prompt_tokens` and the model reads `context_tokens`, the reply's tokens included.
/// Tokens are counted per character of this very prompt, so a passage costs its share; always
/// fewer than were sent.
fn passages_that_fit(
    passages: &[Passage],
    asked: &LlmRequest,
    prompt_tokens: u32,
    context_tokens: u32,
) -> usize {
    let characters: usize = asked
        .messages
        .iter()
        .map(|message| message.content.chars().count())
        .sum();
    let per_character = f64::from(prompt_tokens) / characters.max(1) as f64;
    let budget = f64::from(context_tokens.saturating_sub(asked.max_tokens));
    let mut excess = f64::from(prompt_tokens) - budget;
    let mut kept = passages.len();
    while let Some(last) = kept.checked_sub(1) {
        kept = last;
        excess -= passages[last].chunk.text.chars().count() as f64 * per_character;
        if excess <= 0.0 {
            break;
        }
    }
    kept
}

/// Runs `build` over the passages numbered from 1 as a prompt shows them.
fn numbered<R>(passages: &[Passage], build: impl FnOnce(&[ContextPassage<'_>]) -> R) -> R {
    let positions: Vec<String> = passages
        .iter()
        .map(|passage| passage.chunk.position.to_string())
        .collect();
    let numbered: Vec<ContextPassage<'_>> = passages
        .iter()
        .zip(&positions)
        .enumerate()
        .map(|(index, (passage, position))| ContextPassage {
            number: index + 1,
            source: &passage.chunk.source,
            position,
            text: &passage.chunk.text,
        })
        .collect();
    build(&numbered)
}

/// The citations of a checked reply: the passages it cites by number, or, when it cites none,
/// the passages its supported sentences rest on. Each quotes the sentence of the passage
/// closest to what the reply said.
fn citations(reply: &str, passages: &[Passage], grounding: &Grounding) -> Vec<Citation> {
    let cited: Vec<usize> = prompt::cited_numbers(reply, passages.len())
        .into_iter()
        .map(|number| number - 1)
        .collect();
    let used = if cited.is_empty() {
        grounding.passages()
    } else {
        cited
    };
    used.into_iter()
        .map(|index| {
            let passage = &passages[index];
            // The customer may be shown the quote: it reads as text, like the reply.
            let quote = grounding
                .sentences
                .iter()
                .filter(|sentence| sentence.passage == Some(index))
                .find_map(|sentence| sentence.closest.as_deref())
                .map_or_else(|| excerpt(&passage.chunk.text, 200), extractive::readable);
            Citation {
                number: index + 1,
                source: passage.chunk.source.clone(),
                position: passage.chunk.position.to_string(),
                quote,
            }
        })
        .collect()
}

/// A turn being decided: what every outcome shares.
struct TurnBuilder {
    started: Instant,
    id: Uuid,
    language: Language,
    language_code: String,
    summary_memory: usize,
    request: TurnRequest,
    trace: Trace,
    contact_updates: BTreeMap<String, String>,
    lead_score: Option<u32>,
}

impl TurnBuilder {
    fn new(request: &TurnRequest, config: &AgentConfig) -> Self {
        let language_code = request.customer_language(&config.customer_languages);
        TurnBuilder {
            started: Instant::now(),
            id: Uuid::new_v4(),
            language: Language::from_code(&language_code),
            language_code,
            summary_memory: config.memory,
            request: request.clone(),
            trace: Trace::default(),
            contact_updates: BTreeMap::new(),
            lead_score: None,
        }
    }

    /// Records a guardrail's hit, once: knowledge retrieved twice in a turn (a question asked
    /// again with its names respelled) shows the same injection once.
    fn hit(&mut self, guardrail: Guardrail, stage: Stage, detail: &str) {
        let hit = GuardrailHit {
            guardrail,
            stage,
            detail: detail.to_string(),
        };
        if !self.trace.guardrails.contains(&hit) {
            self.trace.guardrails.push(hit);
        }
    }

    fn finish(mut self, action: Action, credits: u32) -> Turn {
        self.trace.record("total", self.started);
        Turn {
            id: self.id,
            language: self.language_code,
            action,
            contact_updates: self.contact_updates,
            lead_score: self.lead_score,
            credits,
            trace: self.trace,
        }
    }

    fn reply(self, reply: Reply) -> Turn {
        self.finish(Action::Reply(reply), REPLY_CREDITS)
    }

    fn fixed(mut self, text: &str, why: &str) -> Turn {
        self.trace.decided_by = Some(why.to_string());
        self.finish(
            Action::Reply(Reply {
                text: text.to_string(),
                citations: Vec::new(),
                origin: ReplyOrigin::Fixed,
                unanswered: false,
                offered: Vec::new(),
            }),
            0,
        )
    }

    fn fixed_unanswered(self, text: &str, offered: Vec<String>) -> Turn {
        self.finish(
            Action::Reply(Reply {
                text: text.to_string(),
                citations: Vec::new(),
                origin: ReplyOrigin::Fixed,
                unanswered: true,
                offered,
            }),
            0,
        )
    }

    fn handoff(mut self, team: String, reason: HandoffReason, why: &str) -> Turn {
        self.trace.decided_by = Some(format!("handoff: {why}"));
        let summary = handoff::summary(
            &self.request,
            &reason,
            why,
            self.summary_memory,
            self.language,
        );
        let message = handoff::notice(self.language).to_string();
        self.finish(
            Action::Handoff(Handoff {
                team,
                reason,
                summary,
                message,
            }),
            0,
        )
    }
}

fn refusal(language: Language) -> &'static str {
    match language {
        Language::En => "I can only help with questions about our products and services.",
        Language::Ar => "يمكنني المساعدة فقط في الأسئلة المتعلقة بمنتجاتنا وخدماتنا.",
    }
}

fn personal_data_refusal(language: Language) -> &'static str {
    match language {
        Language::En => "I'm sorry, I can't share personal information about other people.",
        Language::Ar => "عذراً، لا يمكنني مشاركة معلومات شخصية عن أشخاص آخرين.",
    }
}

/// The lead-in to knowledge quoted in another language than the customer's.
fn from_our_information(language: Language) -> &'static str {
    match language {
        Language::En => "From our information:",
        Language::Ar => "من معلوماتنا:",
    }
}

/// How a decline opens ([`rephrase`]), when nothing came close and when questions did: the
/// words [`offered_in_decline`] recognises it by.
const NOT_FOUND_EN: &str = "I couldn't find that in our information.";
const NOT_FOUND_AR: &str = "لم أجد ذلك في معلوماتنا.";
const NO_EXACT_ANSWER_EN: &str = "I couldn't find an exact answer to that.";
const NO_EXACT_ANSWER_AR: &str = "لم أجد إجابة دقيقة لذلك.";

/// The reply when the knowledge does not answer: ask again in other words, or, when some of
/// the knowledge's questions came close, answer with one's number; or be passed to a person.
fn rephrase(language: Language, related: &[&str]) -> String {
    // "1. “a”, 2. “b” and 3. “c”"; in Arabic "1. «a» و2. «b» و3. «c»".
    let numbered = |open: &str, close: &str, between: &str, and: &str| {
        let items: Vec<String> = related
            .iter()
            .enumerate()
            .map(|(index, question)| format!("{}. {open}{question}{close}", index + 1))
            .collect();
        match items.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{}{and}{last}", rest.join(between)),
            _ => items.concat(),
        }
    };
    match (language, related) {
        (Language::En, []) => format!(
            "{NOT_FOUND_EN} Could you rephrase your question, or would you like me to connect you with our team?"
        ),
        (Language::Ar, []) => format!(
            "{NOT_FOUND_AR} هل يمكنك إعادة صياغة سؤالك، أو تفضّل أن أحوّلك إلى أحد أعضاء فريقنا؟"
        ),
        (Language::En, [question]) => format!(
            "{NO_EXACT_ANSWER_EN} Our FAQ answers “{question}”: reply 1 to get its answer, or would you like me to connect you with our team?"
        ),
        (Language::Ar, [question]) => format!(
            "{NO_EXACT_ANSWER_AR} تجيب أسئلتنا الشائعة عن «{question}»: أرسل 1 لتحصل على إجابته، أو تفضّل أن أحوّلك إلى أحد أعضاء فريقنا؟"
        ),
        (Language::En, _) => format!(
            "{NO_EXACT_ANSWER_EN} Our FAQ answers {}: reply with a number to get its answer, or would you like me to connect you with our team?",
            numbered("“", "”", ", ", " and ")
        ),
        (Language::Ar, _) => format!(
            "{NO_EXACT_ANSWER_AR} تجيب أسئلتنا الشائعة عن {}: أرسل رقم السؤال لتحصل على إجابته، أو تفضّل أن أحوّلك إلى أحد أعضاء فريقنا؟",
            numbered("«", "»", " و", " و")
        ),
    }
}

/// Whether `text` is a decline of ours ([`rephrase`]), and then the questions it offered, in
/// their order: a client of the OpenAI-compatible endpoint sends the conversation back as
/// words alone, and a "2" after a decline must still pick its second question. Read by the
/// template's own frame ("… answers 1. “a”, 2. “b” and 3. “c”: reply …"), so a question may
/// hold quotation marks of its own; at most [`RELATED_QUESTIONS`] are read.
pub fn offered_in_decline(text: &str) -> Option<Vec<String>> {
    let text = text.trim();
    if text.starts_with(NOT_FOUND_EN) || text.starts_with(NOT_FOUND_AR) {
        return Some(Vec::new());
    }
    let english = text.starts_with(NO_EXACT_ANSWER_EN);
    if !english && !text.starts_with(NO_EXACT_ANSWER_AR) {
        return None;
    }
    let (open, lead_in, close, ending) = if english {
        ("“", " Our FAQ answers ", "”", ": reply ")
    } else {
        ("«", " تجيب أسئلتنا الشائعة عن ", "»", ": أرسل ")
    };
    // What comes between one question and item `n`.
    let separators = |n: usize| {
        if english {
            vec![
                format!("{close}, {n}. {open}"),
                format!("{close} and {n}. {open}"),
            ]
        } else {
            vec![format!("{close} و{n}. {open}")]
        }
    };
    let (_, list) = text.split_once(lead_in)?;
    let (list, _) = list.rsplit_once(&format!("{close}{ending}"))?;
    let mut rest = list
        .strip_prefix(&format!("1. {open}"))
        .or_else(|| list.strip_prefix(open))?;
    let mut questions = Vec::new();
    for next in 2..=RELATED_QUESTIONS {
        let found = separators(next)
            .into_iter()
            .filter_map(|separator| rest.find(&separator).map(|at| (at, separator.len())))
            .min();
        let Some((at, length)) = found else { break };
        questions.push(rest[..at].to_string());
        rest = &rest[at + length..];
    }
    questions.push(rest.to_string());
    Some(questions)
}

/// Whether an FAQ entry scoring `score` answers against `bound`: at the bound, or within
/// [`WORDS_BACKED_MARGIN`] under it when its text holds [`WORDS_BACKING_AN_ENTRY`] of the
/// question's terms (`coverage`; `None` where the words do not count).
fn entry_answers(score: f32, bound: f32, coverage: Option<f32>) -> bool {
    let backed = coverage.is_some_and(|coverage| coverage >= WORDS_BACKING_AN_ENTRY);
    score >= bound || (backed && score >= bound - WORDS_BACKED_MARGIN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_just_under_its_bound_answers_only_with_the_questions_words() {
        let bound = 0.859;
        assert!(
            entry_answers(0.86, bound, None),
            "at the bound, words or not"
        );
        assert!(
            entry_answers(0.85, bound, Some(0.6)),
            "3 of 5 terms, 0.009 under"
        );
        assert!(
            !entry_answers(0.85, bound, Some(0.5)),
            "half the words: a near miss's share"
        );
        assert!(
            !entry_answers(0.85, bound, None),
            "a follow-up's words do not count"
        );
        assert!(
            !entry_answers(0.83, bound, Some(1.0)),
            "past the margin, whatever it holds"
        );
    }

    #[test]
    fn a_decline_numbers_the_questions_it_offers() {
        assert_eq!(
            rephrase(Language::En, &["A?", "B?", "C?"]),
            "I couldn't find an exact answer to that. Our FAQ answers 1. “A?”, 2. “B?” and 3. “C?”: reply with a number to get its answer, or would you like me to connect you with our team?"
        );
        assert!(
            rephrase(Language::Ar, &["أ؟", "ب؟"]).contains("عن 1. «أ؟» و2. «ب؟»: أرسل رقم السؤال")
        );
        assert!(
            rephrase(Language::En, &["A?"]).contains("answers “A?”: reply 1 to get its answer")
        );
        assert!(!rephrase(Language::En, &[]).contains('“'));
    }

    #[test]
    fn a_decline_is_read_back_with_the_questions_it_offered() {
        let offers: [&[&str]; 4] = [&[], &["A?"], &["A?", "B?"], &["A?", "B?", "C?"]];
        for language in [Language::En, Language::Ar] {
            for offered in offers {
                let text = rephrase(language, offered);
                let read = offered_in_decline(&text).unwrap_or_else(|| panic!("{text}"));
                assert_eq!(read, offered, "{text}");
            }
        }
        assert_eq!(offered_in_decline("Delivery costs 15 AED [1]."), None);
        assert_eq!(offered_in_decline("Our FAQ answers “A?”"), None);
        let quoted = ["What does “Pro” include?", "Is “Basic” free?"];
        for language in [Language::En, Language::Ar] {
            let text = rephrase(language, &quoted);
            assert_eq!(offered_in_decline(&text).unwrap(), quoted, "{text}");
        }
        assert_eq!(
            offered_in_decline(&format!("{NO_EXACT_ANSWER_EN} Anything “else”.")),
            None,
            "the opening words without the frame"
        );
    }
}
