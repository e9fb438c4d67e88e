//! Counters of background work, read by the service's metrics.

use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Default)]
pub struct IngestionStats {
    chunks_embedded: AtomicU64,
    /// Microseconds spent embedding and indexing.
    embedding_micros: AtomicU64,
    sources_ready: AtomicU64,
    sources_failed: AtomicU64,
    orphans_swept: AtomicU64,
}

impl IngestionStats {
    pub(crate) fn embedded(&self, chunks: u64, seconds: f64) {
        self.chunks_embedded.fetch_add(chunks, Ordering::Relaxed);
        self.embedding_micros
            .fetch_add((seconds * 1e6) as u64, Ordering::Relaxed);
    }

    pub(crate) fn source_finished(&self, ready: bool) {
        let counter = if ready {
            &self.sources_ready
        } else {
            &self.sources_failed
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn orphan_swept(&self) {
        self.orphans_swept.fetch_add(1, Ordering::Relaxed);
    }

    pub fn chunks_embedded(&self) -> u64 {
        self.chunks_embedded.load(Ordering::Relaxed)
    }

    pub fn embedding_seconds(&self) -> f64 {
        self.embedding_micros.load(Ordering::Relaxed) as f64 / 1e6
    }

    pub fn sources_ready(&self) -> u64 {
        self.sources_ready.load(Ordering::Relaxed)
    }

    pub fn sources_failed(&self) -> u64 {
        self.sources_failed.load(Ordering::Relaxed)
    }

    /// Sources whose points outlived their records, removed by a sweep of the index.
    pub fn orphans_swept(&self) -> u64 {
        self.orphans_swept.load(Ordering::Relaxed)
    }
}
