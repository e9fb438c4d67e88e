//! Knowledge sources from the records' side: added within the limits, re-synced, and deleted
//! from the records and the index together.

use knowledge::SourceError;
use knowledge::fetch::FetchOptions;
use knowledge::index::Scope;
use records::{Job, NewJob, NewSource, Source, SourceOrigin, StoreError};

use crate::{App, AppError};

impl App {
    /// Adds a source (a kept upload or a URL) and queues its ingestion, within the limit of
    /// sources per knowledge base.
    pub async fn add_source(
        &self,
        workspace: &str,
        actor: &str,
        knowledge_base: &str,
        source: NewSource,
    ) -> Result<Source, AppError> {
        self.room_for_source(workspace, knowledge_base).await?;
        let limit = knowledge::Limits::default().max_sources_per_knowledge_base;
        match self
            .store
            .sources()
            .create(workspace, actor, knowledge_base, source, limit)
            .await
        {
            Err(StoreError::LimitReached { limit, .. }) => Err(AppError::Invalid(format!(
                "knowledge base: {}",
                knowledge::Error::TooManySources { limit }
            ))),
            created => Ok(created?),
        }
    }

    /// Refuses at once a file whose type no parser reads, with the error its ingestion would
    /// give.
    pub fn check_file_type(&self, name: &str, bytes: &[u8]) -> Result<(), AppError> {
        knowledge::detect(name, bytes)
            .map(|_| ())
            .map_err(|error| AppError::Invalid(SourceError::new(name, error).to_string()))
    }

    /// Refuses at once a URL that will never be fetched (not http(s), no host, or a host that
    /// resolves inside the network), with the error its ingestion would give.
    pub async fn check_url(&self, url: &str) -> Result<(), AppError> {
        let options = FetchOptions {
            allow_private: self.settings.allow_private_addresses,
            ..FetchOptions::default()
        };
        knowledge::fetch::check_url(url, &options)
            .await
            .map_err(|error| {
                AppError::Invalid(SourceError::new(url, knowledge::Error::Fetch(error)).to_string())
            })
    }

    /// Refuses a source the knowledge base has no room for (and a knowledge base that is not
    /// the workspace's). An upload is checked before its bytes are received, too.
    pub async fn room_for_source(
        &self,
        workspace: &str,
        knowledge_base: &str,
    ) -> Result<(), AppError> {
        let existing = self.store.sources().list(workspace, knowledge_base).await?;
        knowledge::Limits::default()
            .check_source_count(existing.len() + 1)
            .map_err(|error| AppError::Invalid(format!("knowledge base: {error}")))
    }

    /// Replaces an uploaded source's file; its chunks are replaced once the new file is
    /// ingested.
    pub async fn replace_source_file(
        &self,
        workspace: &str,
        actor: &str,
        id: &str,
        replacement: NewSource,
    ) -> Result<Source, AppError> {
        let existing = self.store.sources().get(workspace, id).await?;
        if existing.origin != SourceOrigin::File {
            return Err(AppError::Invalid(format!(
                "source {id} is a URL; re-sync it instead of uploading a file"
            )));
        }
        Ok(self
            .store
            .sources()
            .resync(
                workspace,
                actor,
                id,
                Some(replacement),
                self.settings.lease / 2,
            )
            .await?)
    }

    /// How many of the source's chunks the index holds now.
    pub async fn indexed_chunks(&self, source: &Source) -> Result<usize, AppError> {
        let retrieval = self.retrieval.clone();
        let scope = Scope::new(&source.workspace_id, &source.knowledge_base_id);
        let id = source.id.clone();
        App::blocking(move || retrieval.index().count(&scope, Some(&id)))
            .await?
            .map_err(|error| AppError::Index(error.to_string()))
    }

    /// Deletes a source: its points, then its record and its job.
    pub async fn delete_source(
        &self,
        workspace: &str,
        actor: &str,
        id: &str,
    ) -> Result<(), AppError> {
        let source = self.store.sources().get(workspace, id).await?;
        self.remove_points(workspace, &source.knowledge_base_id, id)
            .await?;
        self.store
            .sources()
            .delete(workspace, actor, id, self.purge_after())
            .await?;
        Ok(())
    }

    /// Deletes a knowledge base: its sources' points, then its records.
    pub async fn delete_knowledge_base(
        &self,
        workspace: &str,
        actor: &str,
        id: &str,
    ) -> Result<(), AppError> {
        for source in self.store.sources().list(workspace, id).await? {
            self.remove_points(workspace, id, &source.id).await?;
        }
        self.store
            .knowledge_bases()
            .delete(workspace, actor, id, self.purge_after())
            .await?;
        Ok(())
    }

    /// When a deleted source's points are removed again, for good: after an ingestion that
    /// was writing them has noticed its job is gone (at its next lease renewal, a third of a
    /// lease) and stopped at its next batch.
    fn purge_after(&self) -> std::time::Duration {
        self.settings.lease * 2
    }

    /// Queues a sweep of the index (at start-up): it runs once at a time, whoever queues it.
    pub async fn queue_index_sweep(&self) -> Result<(), AppError> {
        let sweep = NewJob::now(Job::SweepIndex {}, None);
        self.store.jobs().enqueue(&sweep).await?;
        Ok(())
    }

    /// Removes the points of every source the records no longer hold, which a crash between
    /// a deletion and its purge, or a version without purges, left behind. Returns how many
    /// sources' points went.
    pub(crate) async fn sweep_index(&self) -> Result<usize, AppError> {
        let retrieval = self.retrieval.clone();
        let indexed = App::blocking(move || retrieval.index().sources()).await??;
        let mut swept = 0;
        for orphan in indexed {
            let scope = &orphan.scope;
            let held = match self.store.sources().by_id(&orphan.source_id).await {
                Ok(source) => {
                    source.workspace_id == scope.workspace
                        && source.knowledge_base_id == scope.knowledge_base
                }
                Err(StoreError::NotFound(_)) => false,
                Err(error) => return Err(error.into()),
            };
            if held {
                continue;
            }
            tracing::info!(
                source = %orphan.source_id,
                workspace = %scope.workspace,
                knowledge_base = %scope.knowledge_base,
                points = orphan.points,
                "removing the points of a source that no longer exists"
            );
            self.remove_points(&scope.workspace, &scope.knowledge_base, &orphan.source_id)
                .await?;
            self.stats.orphan_swept();
            swept += 1;
        }
        Ok(swept)
    }

    pub(crate) async fn remove_points(
        &self,
        workspace: &str,
        knowledge_base: &str,
        source: &str,
    ) -> Result<(), AppError> {
        let retrieval = self.retrieval.clone();
        let scope = Scope::new(workspace, knowledge_base);
        let source = source.to_string();
        App::blocking(move || retrieval.delete_source(&scope, &source)).await??;
        Ok(())
    }
}
