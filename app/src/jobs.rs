//! What each kind of background job does: one match over the typed `records::Job`, each arm
//! a use case of its own module.

use records::{ClaimedJob, Job};

use crate::ingestion::Stop;
use crate::{App, AppError};

impl App {
    /// Runs a claimed job to its end. An error means its outcome could not be recorded: the
    /// job runs again when its lease runs out.
    pub async fn run_job(
        &self,
        claimed: &ClaimedJob,
        worker: &str,
        stop: &Stop,
    ) -> Result<(), AppError> {
        match &claimed.job {
            Job::IngestSource { source_id } => {
                self.ingest_source(claimed, worker, source_id, stop).await
            }
            Job::PurgeSource {
                workspace_id,
                knowledge_base_id,
                source_id,
            } => {
                // A source id is never reused: whatever the index still holds of it goes.
                self.remove_points(workspace_id, knowledge_base_id, source_id)
                    .await?;
                self.store.jobs().complete(&claimed.id, worker).await?;
                Ok(())
            }
            Job::SweepIndex {} => {
                let swept = self.sweep_index().await?;
                tracing::info!(sources = swept, "index swept");
                self.store.jobs().complete(&claimed.id, worker).await?;
                Ok(())
            }
            Job::AnswerMessage {
                conversation_id,
                message_id,
            } => {
                self.answer_message(claimed, worker, conversation_id, message_id)
                    .await
            }
            Job::SendMessage { message_id } => self.send_message(claimed, worker, message_id).await,
            Job::WakeConversation { conversation_id } => {
                self.wake_conversation(claimed, worker, conversation_id)
                    .await
            }
            Job::RunEval { run_id } => self.run_eval(claimed, worker, run_id, stop).await,
        }
    }
}
