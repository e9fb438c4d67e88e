//! Agents: configurations checked as the agent would load them, stored as versions, and built
//! once per version.

use agentflow::{Agent, AgentConfig};
use records::AgentRecord;

use crate::{App, AppError};

impl App {
    /// The agent as its record's current version configures it, built once per version.
    pub fn agent(&self, record: &AgentRecord) -> Result<Agent, AppError> {
        if let Ok(cache) = self.agents.lock()
            && let Some((version, agent)) = cache.get(&record.id)
            && *version == record.version
        {
            return Ok(agent.clone());
        }
        let agent = self.build_agent(record)?;
        if let Ok(mut cache) = self.agents.lock() {
            cache.insert(record.id.clone(), (record.version, agent.clone()));
        }
        Ok(agent)
    }

    /// The agent `record` describes, built afresh (an earlier version, which the cache of
    /// current ones does not keep).
    pub(crate) fn build_agent(&self, record: &AgentRecord) -> Result<Agent, AppError> {
        let config = AgentConfig::parse("agent", &record.config)
            .map_err(|error| AppError::Internal(format!("stored agent {}: {error}", record.id)))?;
        Ok(Agent::new(
            config,
            self.retrieval.clone(),
            self.llm.clone(),
        )?)
    }

    /// Creates an agent from its configuration (the fields of an agent YAML file, as JSON).
    pub async fn create_agent(
        &self,
        workspace: &str,
        actor: &str,
        config: &serde_json::Value,
    ) -> Result<AgentRecord, AppError> {
        let (parsed, text) = self.checked_config(workspace, config).await?;
        Ok(self
            .store
            .agents()
            .create(workspace, actor, &parsed.name, &text)
            .await?)
    }

    /// Replaces an agent's configuration: a new version; earlier ones stay readable.
    pub async fn update_agent(
        &self,
        workspace: &str,
        actor: &str,
        id: &str,
        config: &serde_json::Value,
    ) -> Result<AgentRecord, AppError> {
        let (parsed, text) = self.checked_config(workspace, config).await?;
        Ok(self
            .store
            .agents()
            .update(workspace, actor, id, &parsed.name, &text)
            .await?)
    }

    /// Validates a configuration as the agent would load it, and checks that its knowledge
    /// base is the workspace's.
    async fn checked_config(
        &self,
        workspace: &str,
        config: &serde_json::Value,
    ) -> Result<(AgentConfig, String), AppError> {
        let text = config.to_string();
        let parsed = AgentConfig::parse("agent", &text)
            .map_err(|error| AppError::Invalid(error.to_string()))?;
        self.store
            .knowledge_bases()
            .get(workspace, &parsed.knowledge_base)
            .await
            .map_err(|_| {
                AppError::Invalid(format!(
                    "agent: knowledge_base: there is no knowledge base {:?} in this workspace",
                    parsed.knowledge_base
                ))
            })?;
        Ok((parsed, text))
    }
}
