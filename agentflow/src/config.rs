//! An agent's configuration: what the business sets, parsed and checked once on load.
//!
//! Unknown fields are refused (a misspelt `gaurdrails` must not silently switch guardrails
//! off) and every value that can be wrong is checked, with errors naming the field.

use std::path::Path;

use serde::{Deserialize, Serialize};

/// The retrieval confidence (best cosine + 0.1 x the question's term coverage, 0 to 1.1; see
/// `knowledge::retrieve::Confidence`) below which the knowledge is taken not to answer.
/// Calibrated with `switchboard eval confidence` on SciFact and ARCD against off-topic
/// questions: docs/calibration.md.
pub const DEFAULT_MIN_CONFIDENCE: f32 = 0.91;

/// The retrieval confidence bound across languages, per pair (question-passage), calibrated on
/// the development sets (an English question over the Arabic FAQ; an Arabic question over an
/// English article): docs/calibration.md.
pub const DEFAULT_MIN_CONFIDENCE_ACROSS_LANGUAGES: [(&str, f32); 2] =
    [("en-ar", 0.85), ("ar-en", 0.8)];

/// The match of a customer's question with an FAQ entry (the mean of three cosines:
/// [`crate::extractive::entry_match`]) from which that entry answers it, in the same language
/// and across languages. Calibrated on the development set over the Arabic FAQ
/// (evals/suites/faq-ar.yaml): docs/calibration.md.
pub const DEFAULT_MIN_QUESTION_MATCH: f32 = 0.859;
pub const DEFAULT_MIN_QUESTION_MATCH_ACROSS_LANGUAGES: f32 = 0.84;

/// The cosine (query against query) from which a customer's message is taken to ask a curated
/// question. e5 gives close paraphrases 0.94-0.96 and other questions to the same business
/// 0.79-0.86; a paraphrase in other words can fall as low as 0.85 (docs/calibration.md), so
/// curated questions are best written in the words customers use.
pub const DEFAULT_CUSTOM_ANSWER_THRESHOLD: f32 = 0.9;

/// The cosine from which a message matches a handoff rule's example. Higher than for custom
/// answers: "I want to order coffee" scores 0.91 against "I want to cancel my order", a
/// rephrased cancellation 0.93-0.96 (docs/calibration.md).
pub const DEFAULT_RULE_THRESHOLD: f32 = 0.92;

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentConfig {
    pub name: String,
    #[serde(default)]
    pub role: AgentRole,
    #[serde(default)]
    pub goal: String,
    #[serde(default)]
    #[schema(value_type = String, example = "friendly")]
    pub tone: Tone,
    #[serde(default)]
    pub response_length: ResponseLength,
    /// `auto` (default): reply in the customer's language; otherwise a language code.
    #[serde(default = "auto")]
    pub language: String,
    /// The languages customers write in (two-letter codes): what a short message's language
    /// is chosen among ("hi" is English here, not Welsh). Default: Arabic and English.
    #[serde(default = "default_customer_languages")]
    pub customer_languages: Vec<String>,
    /// The knowledge base the agent answers from, inside its workspace.
    #[serde(default = "default_knowledge_base")]
    pub knowledge_base: String,
    #[serde(default)]
    pub channels: Vec<String>,
    #[serde(default)]
    pub guardrails: Guardrails,
    #[serde(default)]
    pub custom_answers: Vec<CustomAnswer>,
    #[serde(default = "default_custom_answer_threshold")]
    pub custom_answer_threshold: f32,
    #[serde(default)]
    pub handoff: HandoffConfig,
    #[serde(default)]
    pub lead: Option<LeadConfig>,
    /// How many earlier messages of the conversation go into retrieval and the prompt.
    #[serde(default = "default_memory")]
    pub memory: usize,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum AgentRole {
    Sales,
    #[default]
    Support,
    Custom,
}

/// One of the named tones, or the business's own words for it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum Tone {
    #[default]
    Professional,
    Friendly,
    Casual,
    Custom(String),
}

impl From<String> for Tone {
    fn from(text: String) -> Self {
        match text.trim().to_lowercase().as_str() {
            "professional" => Tone::Professional,
            "friendly" => Tone::Friendly,
            "casual" => Tone::Casual,
            _ => Tone::Custom(text.trim().to_string()),
        }
    }
}

impl From<Tone> for String {
    fn from(tone: Tone) -> Self {
        tone.describe().to_string()
    }
}

impl Tone {
    pub fn describe(&self) -> &str {
        match self {
            Tone::Professional => "professional",
            Tone::Friendly => "friendly",
            Tone::Casual => "casual",
            Tone::Custom(text) => text,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ResponseLength {
    Short,
    #[default]
    Medium,
    Detailed,
}

impl ResponseLength {
    /// How many sentences a reply of this length chooses at most (each may bring the sentence
    /// it points back to: `extractive::with_what_they_refer_to`).
    pub fn sentences(self) -> usize {
        match self {
            ResponseLength::Short => 1,
            ResponseLength::Medium => 2,
            ResponseLength::Detailed => 4,
        }
    }

    /// About how many characters of an FAQ entry's answer the extractive answerer quotes.
    pub fn characters(self) -> usize {
        match self {
            ResponseLength::Short => 200,
            ResponseLength::Medium => 450,
            ResponseLength::Detailed => 900,
        }
    }

    /// How many passages retrieval brings for a reply of this length.
    pub fn passages(self) -> usize {
        match self {
            ResponseLength::Short => 3,
            ResponseLength::Medium => 5,
            ResponseLength::Detailed => 8,
        }
    }

    pub fn max_tokens(self) -> u32 {
        match self {
            ResponseLength::Short => 80,
            ResponseLength::Medium => 160,
            ResponseLength::Detailed => 320,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Guardrails {
    #[serde(default)]
    pub blocked_topics: Vec<BlockedTopic>,
    /// Refuse questions about other people's personal data (on unless switched off).
    #[serde(default = "yes")]
    pub refuse_personal_data: bool,
    /// The business's own rules, given to the model as they are written.
    #[serde(default)]
    pub rules: Vec<String>,
    /// The most the agent may promise (a discount, a delivery time), given to the model.
    #[serde(default)]
    pub max_promise: Option<String>,
}

impl Default for Guardrails {
    fn default() -> Self {
        Guardrails {
            blocked_topics: Vec::new(),
            refuse_personal_data: true,
            rules: Vec::new(),
            max_promise: None,
        }
    }
}

/// A topic the agent must not discuss: its name, and the words (in any language) that raise
/// it. A bare string is a topic whose name is its only keyword.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(from = "BlockedTopicForm")]
pub struct BlockedTopic {
    pub name: String,
    pub keywords: Vec<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum BlockedTopicForm {
    Name(String),
    Full {
        name: String,
        #[serde(default)]
        keywords: Vec<String>,
    },
}

impl From<BlockedTopicForm> for BlockedTopic {
    fn from(form: BlockedTopicForm) -> Self {
        match form {
            BlockedTopicForm::Name(name) => BlockedTopic {
                keywords: vec![name.clone()],
                name,
            },
            BlockedTopicForm::Full { name, mut keywords } => {
                if keywords.is_empty() {
                    keywords.push(name.clone());
                }
                BlockedTopic { name, keywords }
            }
        }
    }
}

/// A curated answer, given whenever a message asks its question (matched by meaning).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomAnswer {
    pub question: String,
    pub answer: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HandoffConfig {
    /// The team that takes a conversation when no rule names another.
    #[serde(default = "default_team")]
    pub default_team: String,
    /// The team hot leads go to.
    #[serde(default = "sales")]
    pub sales_team: String,
    /// Below this retrieval confidence (0 to 1.1), the knowledge does not answer.
    #[serde(default = "default_min_confidence")]
    pub min_confidence: f32,
    /// The same bound when the question and the best passage are in different languages,
    /// keyed `QUESTION-PASSAGE` ("en-ar": an English question over Arabic knowledge): e5 puts
    /// a question and its answer in another language lower than in the same one. A pair not
    /// listed takes the lowest listed bound.
    #[serde(default = "default_min_confidence_across_languages")]
    pub min_confidence_across_languages: std::collections::BTreeMap<String, f32>,
    /// Over FAQ knowledge, the entry ranked first answers the customer's question, in the
    /// same language, from this match: the mean of the question's cosines with the entry's
    /// question, its passage and its closest sentence (docs/calibration.md).
    #[serde(default = "default_min_question_match")]
    pub min_question_match: f32,
    /// The same, when the question and the entry are in different languages (e5 puts a
    /// translation lower than a paraphrase in the same language).
    #[serde(default = "default_min_question_match_across_languages")]
    pub min_question_match_across_languages: f32,
    /// After this many unanswered questions in a row, hand off instead of asking again.
    #[serde(default = "default_low_confidence_turns")]
    pub low_confidence_turns: usize,
    #[serde(default)]
    pub rules: Vec<HandoffRule>,
}

impl Default for HandoffConfig {
    fn default() -> Self {
        HandoffConfig {
            default_team: default_team(),
            sales_team: sales(),
            min_confidence: DEFAULT_MIN_CONFIDENCE,
            min_confidence_across_languages: default_min_confidence_across_languages(),
            min_question_match: DEFAULT_MIN_QUESTION_MATCH,
            min_question_match_across_languages: DEFAULT_MIN_QUESTION_MATCH_ACROSS_LANGUAGES,
            low_confidence_turns: default_low_confidence_turns(),
            rules: Vec::new(),
        }
    }
}

/// Hands the conversation to `team` when a message holds one of `keywords`, or means what one
/// of `examples` means (cosine at least `threshold`).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HandoffRule {
    pub name: String,
    pub team: String,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub examples: Vec<String>,
    #[serde(default = "default_rule_threshold")]
    pub threshold: f32,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeadConfig {
    pub fields: Vec<LeadField>,
    /// A lead whose score (0-100) reaches this is hot and goes to the sales team.
    #[serde(default = "default_hot_threshold")]
    pub hot_threshold: u32,
}

/// A qualification field. `budget`, `timeline` and `needs` are recognised in English and
/// Arabic; any other field needs a `pattern` (a regular expression whose first group, or
/// whole match, is the value).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeadField {
    pub name: String,
    pub weight: u32,
    #[serde(default)]
    pub pattern: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{file}: {source}")]
    Read {
        file: String,
        source: std::io::Error,
    },
    #[error("{file}: {message}")]
    Syntax { file: String, message: String },
    #[error("{file}: {field}: {problem}")]
    Invalid {
        file: String,
        field: String,
        problem: String,
    },
}

impl AgentConfig {
    /// Reads an agent from a YAML or JSON file (JSON is YAML).
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            file: file.clone(),
            source,
        })?;
        Self::parse(&file, &text)
    }

    /// Parses and checks an agent; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<Self, ConfigError> {
        let config: AgentConfig =
            serde_norway::from_str(text).map_err(|error| ConfigError::Syntax {
                file: file.to_string(),
                message: error.to_string(),
            })?;
        config
            .validate()
            .map_err(|(field, problem)| ConfigError::Invalid {
                file: file.to_string(),
                field,
                problem,
            })?;
        Ok(config)
    }

    /// A support agent over one knowledge base with every default: what `ask --kb` runs.
    pub fn default_support(knowledge_base: &str) -> Self {
        AgentConfig {
            name: "Support".to_string(),
            role: AgentRole::Support,
            goal: "Answer customers' questions from the business's knowledge.".to_string(),
            tone: Tone::Professional,
            response_length: ResponseLength::Medium,
            language: auto(),
            customer_languages: default_customer_languages(),
            knowledge_base: knowledge_base.to_string(),
            channels: Vec::new(),
            guardrails: Guardrails::default(),
            custom_answers: Vec::new(),
            custom_answer_threshold: DEFAULT_CUSTOM_ANSWER_THRESHOLD,
            handoff: HandoffConfig::default(),
            lead: None,
            memory: default_memory(),
        }
    }

    fn validate(&self) -> Result<(), (String, String)> {
        let fail = |field: &str, problem: String| Err((field.to_string(), problem));
        if self.name.trim().is_empty() {
            return fail("name", "must not be empty".into());
        }
        if self.knowledge_base.trim().is_empty() {
            return fail("knowledge_base", "must not be empty".into());
        }
        if self.language != "auto" && !is_language_code(&self.language) {
            return fail(
                "language",
                format!(
                    "{:?} is not `auto` or a two-letter language code",
                    self.language
                ),
            );
        }
        if let Some(code) = self
            .customer_languages
            .iter()
            .find(|code| !is_language_code(code))
        {
            return fail(
                "customer_languages",
                format!("{code:?} is not a two-letter language code"),
            );
        }
        if let Tone::Custom(text) = &self.tone
            && text.is_empty()
        {
            return fail("tone", "must not be empty".into());
        }
        unit_interval("custom_answer_threshold", self.custom_answer_threshold)?;
        if !(0.0..=1.1).contains(&self.handoff.min_confidence) {
            return fail(
                "handoff.min_confidence",
                format!(
                    "must be between 0 and 1.1, got {}",
                    self.handoff.min_confidence
                ),
            );
        }
        unit_interval(
            "handoff.min_question_match",
            self.handoff.min_question_match,
        )?;
        unit_interval(
            "handoff.min_question_match_across_languages",
            self.handoff.min_question_match_across_languages,
        )?;
        if self.handoff.low_confidence_turns == 0 {
            return fail("handoff.low_confidence_turns", "must be at least 1".into());
        }
        for (field, team) in [
            ("handoff.default_team", &self.handoff.default_team),
            ("handoff.sales_team", &self.handoff.sales_team),
        ] {
            if team.trim().is_empty() {
                return fail(field, "must name a team".into());
            }
        }
        for (index, topic) in self.guardrails.blocked_topics.iter().enumerate() {
            if topic
                .keywords
                .iter()
                .any(|keyword| keyword.trim().is_empty())
            {
                return fail(
                    &format!("guardrails.blocked_topics[{index}].keywords"),
                    "must not hold an empty keyword".into(),
                );
            }
        }
        for (index, answer) in self.custom_answers.iter().enumerate() {
            if answer.question.trim().is_empty() || answer.answer.trim().is_empty() {
                return fail(
                    &format!("custom_answers[{index}]"),
                    "needs both a question and an answer".into(),
                );
            }
        }
        for (index, rule) in self.handoff.rules.iter().enumerate() {
            let field = format!("handoff.rules[{index}]");
            if rule.team.trim().is_empty() {
                return fail(&format!("{field}.team"), "must name a team".into());
            }
            if rule.keywords.is_empty() && rule.examples.is_empty() {
                return fail(&field, "needs keywords or examples to match".into());
            }
            unit_interval(&format!("{field}.threshold"), rule.threshold)?;
        }
        if let Some(lead) = &self.lead {
            if lead.fields.is_empty() {
                return fail("lead.fields", "must list at least one field".into());
            }
            if lead.hot_threshold == 0 || lead.hot_threshold > 100 {
                return fail(
                    "lead.hot_threshold",
                    format!("must be between 1 and 100, got {}", lead.hot_threshold),
                );
            }
            for (index, field) in lead.fields.iter().enumerate() {
                let name = format!("lead.fields[{index}]");
                if field.weight == 0 {
                    return fail(&format!("{name}.weight"), "must be positive".into());
                }
                match &field.pattern {
                    Some(pattern) => {
                        if let Err(error) = regex::Regex::new(pattern) {
                            return fail(&format!("{name}.pattern"), error.to_string());
                        }
                    }
                    None if !crate::lead::is_builtin(&field.name) => {
                        return fail(
                            &format!("{name}.pattern"),
                            format!(
                                "field {:?} is not budget, timeline or needs, so it needs a pattern",
                                field.name
                            ),
                        );
                    }
                    None => {}
                }
            }
        }
        Ok(())
    }
}

fn unit_interval(field: &str, value: f32) -> Result<(), (String, String)> {
    if (0.0..=1.0).contains(&value) {
        Ok(())
    } else {
        Err((
            field.to_string(),
            format!("must be between 0 and 1, got {value}"),
        ))
    }
}

fn is_language_code(code: &str) -> bool {
    code.len() == 2 && code.chars().all(|character| character.is_ascii_lowercase())
}

fn auto() -> String {
    "auto".to_string()
}

fn default_min_confidence_across_languages() -> std::collections::BTreeMap<String, f32> {
    DEFAULT_MIN_CONFIDENCE_ACROSS_LANGUAGES
        .iter()
        .map(|(pair, bound)| (pair.to_string(), *bound))
        .collect()
}

impl HandoffConfig {
    /// The retrieval confidence below which the knowledge does not answer a question in
    /// `question` language from a best passage in `passage` language.
    pub fn min_confidence_for(&self, question: &str, passage: &str) -> f32 {
        if question == passage || passage == "und" {
            return self.min_confidence;
        }
        self.min_confidence_across_languages
            .get(&format!("{question}-{passage}"))
            .or_else(|| {
                self.min_confidence_across_languages
                    .values()
                    .min_by(|a, b| a.total_cmp(b))
            })
            .copied()
            .unwrap_or(self.min_confidence)
    }
}

fn default_min_question_match() -> f32 {
    DEFAULT_MIN_QUESTION_MATCH
}

fn default_min_question_match_across_languages() -> f32 {
    DEFAULT_MIN_QUESTION_MATCH_ACROSS_LANGUAGES
}

fn default_customer_languages() -> Vec<String> {
    vec!["ar".to_string(), "en".to_string()]
}
fn yes() -> bool {
    true
}
fn default_knowledge_base() -> String {
    "default".to_string()
}
fn default_team() -> String {
    "support".to_string()
}
fn sales() -> String {
    "sales".to_string()
}
fn default_min_confidence() -> f32 {
    DEFAULT_MIN_CONFIDENCE
}
fn default_custom_answer_threshold() -> f32 {
    DEFAULT_CUSTOM_ANSWER_THRESHOLD
}
fn default_rule_threshold() -> f32 {
    DEFAULT_RULE_THRESHOLD
}
fn default_low_confidence_turns() -> usize {
    2
}
fn default_hot_threshold() -> u32 {
    70
}
fn default_memory() -> usize {
    6
}

#[cfg(test)]
mod tests {
    use super::*;

    const SALES_AGENT: &str = r#"
name: Sales
role: sales
goal: Qualify leads for the team plans
tone: warm but brief
response_length: short
knowledge_base: products
channels: [whatsapp, web]
guardrails:
  blocked_topics:
    - politics
    - name: competitors
      keywords: [acme, المنافس]
  rules: ["Never quote prices for custom work"]
  max_promise: a 10% discount
custom_answers:
  - question: What are your opening hours?
    answer: We are open 9 to 5, Sunday to Thursday.
handoff:
  rules:
    - name: billing
      team: billing
      keywords: [invoice, فاتورة]
lead:
  fields:
    - {name: budget, weight: 40}
    - {name: timeline, weight: 30}
    - {name: company_size, weight: 30, pattern: '(\d+)\s+(?:employees|staff|موظف)'}
  hot_threshold: 70
"#;

    #[test]
    fn a_full_agent_loads_with_its_defaults_filled_in() {
        let agent = AgentConfig::parse("sales.yaml", SALES_AGENT).unwrap();
        assert_eq!(agent.role, AgentRole::Sales);
        assert_eq!(agent.tone, Tone::Custom("warm but brief".into()));
        assert_eq!(agent.response_length, ResponseLength::Short);
        assert_eq!(agent.guardrails.blocked_topics[0].keywords, ["politics"]);
        assert!(agent.guardrails.refuse_personal_data);
        assert_eq!(agent.handoff.min_confidence, DEFAULT_MIN_CONFIDENCE);
        assert_eq!(agent.handoff.default_team, "support");
        assert_eq!(agent.lead.unwrap().fields.len(), 3);
        assert_eq!(agent.language, "auto");
    }

    #[test]
    fn errors_name_the_file_and_the_field() {
        let cases = [
            ("name: S\ngaurdrails: {}\n", "gaurdrails"),
            ("name: S\nrole: wizard\n", "role"),
            ("name: ''\n", "name: must not be empty"),
            (
                "name: S\nhandoff: {min_confidence: 1.5}\n",
                "handoff.min_confidence: must be between 0 and 1.1, got 1.5",
            ),
            (
                "name: S\nhandoff: {rules: [{name: r, team: t}]}\n",
                "handoff.rules[0]: needs keywords or examples",
            ),
            (
                "name: S\nlead: {fields: [{name: budget, weight: 0}]}\n",
                "lead.fields[0].weight: must be positive",
            ),
            (
                "name: S\nlead: {fields: [{name: industry, weight: 5}]}\n",
                "lead.fields[0].pattern",
            ),
            (
                "name: S\nlead: {fields: [{name: size, weight: 5, pattern: '(('}]}\n",
                "lead.fields[0].pattern",
            ),
            ("name: S\nlanguage: arabic\n", "language"),
        ];
        for (text, expected) in cases {
            let error = AgentConfig::parse("agent.yaml", text)
                .unwrap_err()
                .to_string();
            assert!(error.starts_with("agent.yaml: "), "{error}");
            assert!(error.contains(expected), "{expected:?} not in {error:?}");
        }
    }

    #[test]
    fn json_is_accepted_too() {
        let agent = AgentConfig::parse("a.json", r#"{"name": "Support", "tone": "casual"}"#);
        assert_eq!(agent.unwrap().tone, Tone::Casual);
    }
}
