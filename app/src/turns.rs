//! The metered AI actions: an agent's turn, smart replies, the writing assistant. Each
//! reserves what it may cost before it runs and settles at what it did cost; a turn is
//! recorded with the agent version that produced it.

use agentflow::llm::TokenSink;
use agentflow::{
    Agent, AgentError, Contact, Message, Polished, REPLY_CREDITS, SMART_REPLIES, Suggestions, Turn,
    TurnRequest,
};
use records::{AgentRecord, TurnRecord};

use crate::{App, AppError, CreditGuard};

/// The longest customer message an agent is asked, in characters.
const MAX_MESSAGE_CHARS: usize = 4_000;

/// A message (or draft) an agent may be asked: not empty, not past the limit.
pub fn check_message(message: &str) -> Result<(), AppError> {
    if message.trim().is_empty() {
        return Err(AppError::Invalid("message: must not be empty".into()));
    }
    let length = message.chars().count();
    if length > MAX_MESSAGE_CHARS {
        return Err(AppError::Invalid(format!(
            "message: {length} characters, more than the limit of {MAX_MESSAGE_CHARS}"
        )));
    }
    Ok(())
}

/// A turn ready to run: its agent found and built, its credits reserved. Everything that can
/// refuse the turn (an unknown agent, an empty balance) has been checked, so a caller that
/// streams can answer those before it starts.
pub struct PreparedTurn {
    record: AgentRecord,
    agent: Agent,
    credits: CreditGuard,
}

impl App {
    pub async fn prepare_turn(
        &self,
        workspace: &str,
        agent_id: &str,
    ) -> Result<PreparedTurn, AppError> {
        let record = self.store.agents().get(workspace, agent_id).await?;
        let agent = self.agent(&record)?;
        PreparedTurn::reserve(self, workspace, record, agent).await
    }

    /// One metered turn of an agent: the turn, recorded, its credits settled.
    pub async fn run_turn(
        &self,
        agent_id: &str,
        request: &TurnRequest,
        tokens: Option<TokenSink<'_>>,
    ) -> Result<Turn, AppError> {
        check_message(&request.message)?;
        self.prepare_turn(&request.workspace, agent_id)
            .await?
            .run(self, request, tokens)
            .await
    }

    /// Smart reply: up to three grounded replies a person may send. One credit per suggestion.
    pub async fn suggest_replies(
        &self,
        agent_id: &str,
        workspace: &str,
        message: String,
        history: Vec<Message>,
    ) -> Result<Suggestions, AppError> {
        check_message(&message)?;
        let record = self.store.agents().get(workspace, agent_id).await?;
        let agent = self.agent(&record)?;
        let request = TurnRequest {
            workspace: workspace.to_string(),
            message,
            history,
            contact: Contact::default(),
        };
        let credits = SMART_REPLIES as u32;
        self.metered(
            workspace,
            credits,
            "smart reply",
            agent.suggest_replies(&request),
        )
        .await
    }

    /// The writing assistant: a person's draft polished to a tone. Needs a model. One credit.
    pub async fn polish(
        &self,
        workspace: &str,
        draft: &str,
        tone: &str,
    ) -> Result<Polished, AppError> {
        check_message(draft)?;
        let Some(llm) = self.llm.as_deref() else {
            return Err(AgentError::WritingAssistantNeedsLlm.into());
        };
        let polished = agentflow::polish(Some(llm), draft, tone);
        self.metered(workspace, REPLY_CREDITS, "writing assistant", polished)
            .await
    }

    /// Runs an AI action that may cost up to `credits`, charging what it reports it cost
    /// (nothing when it fails).
    async fn metered<T: Metered>(
        &self,
        workspace: &str,
        credits: u32,
        reason: &str,
        action: impl Future<Output = Result<T, AgentError>>,
    ) -> Result<T, AppError> {
        let guard =
            CreditGuard::reserve(&self.store, workspace, i64::from(credits), reason).await?;
        let done = action.await;
        let used = done.as_ref().map_or(0, |done| i64::from(done.credits()));
        guard.settle(used).await?;
        Ok(done?)
    }
}

/// What an AI action reports it cost.
trait Metered {
    fn credits(&self) -> u32;
}

impl Metered for Suggestions {
    fn credits(&self) -> u32 {
        self.credits
    }
}

impl Metered for Polished {
    fn credits(&self) -> u32 {
        self.credits
    }
}

impl Metered for Turn {
    fn credits(&self) -> u32 {
        self.credits
    }
}

impl PreparedTurn {
    /// The turn of `agent` (as `record` is), with its credits reserved.
    pub(crate) async fn reserve(
        app: &App,
        workspace: &str,
        record: AgentRecord,
        agent: Agent,
    ) -> Result<PreparedTurn, AppError> {
        let credits = CreditGuard::reserve(
            &app.store,
            workspace,
            i64::from(REPLY_CREDITS),
            "agent reply",
        )
        .await?;
        Ok(PreparedTurn {
            record,
            agent,
            credits,
        })
    }

    /// Answers, settles the credits at what the turn cost (nothing when it failed) and
    /// records the turn. Dropped before it ends, the reservation is given back.
    pub async fn run(
        self,
        app: &App,
        request: &TurnRequest,
        tokens: Option<TokenSink<'_>>,
    ) -> Result<Turn, AppError> {
        let answered = self.agent.answer(request, tokens).await;
        let used = answered
            .as_ref()
            .map_or(0, |turn| i64::from(turn.credits()));
        self.credits.settle(used).await?;
        let turn = answered?;
        let record = TurnRecord {
            id: turn.id.to_string(),
            agent_id: self.record.id.clone(),
            agent_version: self.record.version,
            question: request.message.clone(),
            turn: serde_json::to_string(&turn)
                .map_err(|error| AppError::Internal(error.to_string()))?,
            created_at: records::now(),
        };
        app.store
            .turns()
            .record(&request.workspace, &record)
            .await?;
        Ok(turn)
    }
}
