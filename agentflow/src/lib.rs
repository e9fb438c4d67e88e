//! AI agents: configuration, the answer pipeline (guardrails, custom answers, retrieval, handoff,
//! generation, groundedness), lead scoring, smart reply, the writing assistant and the LLM client.
//!
//! Pure domain code: it takes a message, the conversation, the contact and the agent's
//! configuration and returns a structured turn; the root package applies it. Not built yet.
