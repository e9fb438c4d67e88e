//! AI agents: configuration, the answer pipeline, handoff, lead scoring, smart reply, the
//! writing assistant, the LLM client and feedback.
//!
//! Pure domain code: an [`Agent`] takes a [`TurnRequest`] (the message, the conversation so
//! far, the contact) and returns a [`Turn`] — a reply with citations or a handoff, contact
//! updates, a lead score, credits and a trace. The root package applies it.
//!
//! | concern | module |
//! |---|---|
//! | configuration, validated on load | [`config`] |
//! | the pipeline of one turn | [`agent`] |
//! | guardrails (injection, personal data, blocked topics, PII) | [`guardrails`] |
//! | handoff triggers and the summary for people | [`handoff`] |
//! | lead qualification and score | [`lead`] |
//! | the extractive answerer | [`extractive`] |
//! | colloquial Arabic asked in standard Arabic | [`colloquial`] |
//! | Arabic written in Latin letters (Arabizi) | [`arabizi`] |
//! | English words inside an Arabic question | [`code_switching`] |
//! | names a question uses that the knowledge found does not mention | [`names`] |
//! | greetings, thanks and goodbyes | [`smalltalk`] |
//! | groundedness of a reply | [`grounding`] |
//! | the model client (OpenAI-compatible) | [`llm`] |
//! | prompts and citation parsing | [`prompt`] |
//! | ratings, promotion to custom answers, eval cases | [`feedback`] |

pub mod agent;
pub mod arabizi;
pub mod code_switching;
pub mod colloquial;
pub mod config;
pub mod conversation;
pub mod evidence;
pub mod extractive;
pub mod feedback;
pub mod grounding;
pub mod guardrails;
pub mod handoff;
pub mod lead;
pub mod llm;
pub mod names;
pub mod prompt;
pub mod smalltalk;
pub mod text;
pub mod turn;

pub use agent::{Agent, AgentError, Polished, REPLY_CREDITS, SMART_REPLIES, Suggestions, polish};
pub use config::AgentConfig;
pub use conversation::{Author, Contact, Message, TurnRequest};
pub use turn::{Action, Citation, Handoff, HandoffReason, Reply, ReplyOrigin, Trace, Turn};
