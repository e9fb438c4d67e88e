//! Group commit for customers' messages on SQLite. Each commit waits for the disk (the WAL is
//! synced on every commit) and SQLite has one writer, so one message at a time that wait
//! bounds the intake. Messages that arrive while a commit is under way queue here and go into
//! the next transaction together: a message is still acknowledged only after the commit that
//! holds it. PostgreSQL groups the commits of concurrent transactions itself, and its
//! transactions run side by side: there each message is its own transaction.

use std::sync::Mutex;

use tokio::sync::{mpsc, oneshot};

use crate::conversations::{Decide, Inbound, Received};
use crate::error::StoreError;
use crate::store::{Backend, Store};

/// At most this many messages share a transaction: a long transaction keeps other writers
/// (job claims, people's changes) waiting.
const MAX_GROUP: usize = 64;
/// At most this many messages wait for a commit; more wait to join the queue, so a stalled
/// disk slows the senders instead of filling memory.
const MAX_WAITING: usize = 4_096;

/// A customer's message waiting to be stored.
pub(crate) struct Arrival {
    pub workspace: String,
    pub inbound: Inbound,
    pub decide: Decide,
}

type Waiting = (Arrival, oneshot::Sender<Result<Received, StoreError>>);

/// The queue in front of the committing task. The task starts with the first message, and
/// again with the next one if it ended (its runtime shut down, or it panicked).
#[derive(Default)]
pub(crate) struct Intake {
    queue: Mutex<Option<mpsc::Sender<Waiting>>>,
}

impl Intake {
    pub(crate) async fn receive(
        &self,
        store: &Store,
        arrival: Arrival,
    ) -> Result<Received, StoreError> {
        if store.backend() == Backend::Postgres {
            return store.conversations().receive_alone(&arrival).await;
        }
        let queue = self.queue(store);
        let (answer, answered) = oneshot::channel();
        if let Err(mpsc::error::SendError((arrival, _))) = queue.send((arrival, answer)).await {
            // The task ended between taking the queue and sending to it.
            return store.conversations().receive_alone(&arrival).await;
        }
        answered.await.unwrap_or_else(|_| {
            Err(StoreError::Unavailable(
                "the commit of the message was interrupted; deliver it again".into(),
            ))
        })
    }

    fn queue(&self, store: &Store) -> mpsc::Sender<Waiting> {
        let mut queue = self
            .queue
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match queue.as_ref() {
            Some(running) if !running.is_closed() => running.clone(),
            _ => {
                let (sender, waiting) = mpsc::channel(MAX_WAITING);
                tokio::spawn(commit_groups(store.detached(), waiting));
                *queue = Some(sender.clone());
                sender
            }
        }
    }
}

async fn commit_groups(store: Store, mut waiting: mpsc::Receiver<Waiting>) {
    let mut group = Vec::with_capacity(MAX_GROUP);
    while waiting.recv_many(&mut group, MAX_GROUP).await > 0 {
        let (arrivals, answers): (Vec<Arrival>, Vec<_>) = group.drain(..).unzip();
        let received = store.conversations().receive_together(&arrivals).await;
        for (answer, received) in answers.into_iter().zip(received) {
            // A sender that stopped waiting (its client left) still had its message stored.
            let _ = answer.send(received);
        }
    }
}
