//! Live events: the records keep the log (`records::Events`), this bell says when it grew.
//! Whatever commits events in this process rings it; on PostgreSQL a listener rings it when
//! another process committed some. Each live stream then reads the log after the last event
//! it sent, so a stream never skips an event, whichever process wrote it, and a reconnecting
//! client resumes from its `Last-Event-ID` the same way.

use tokio::sync::watch;

/// Rung when events were appended.
#[derive(Debug)]
pub struct EventBell(watch::Sender<u64>);

impl Default for EventBell {
    fn default() -> Self {
        EventBell(watch::channel(0).0)
    }
}

impl EventBell {
    pub fn ring(&self) {
        self.0.send_modify(|rung| *rung = rung.wrapping_add(1));
    }

    /// A receiver that changes at each ring.
    pub fn listen(&self) -> watch::Receiver<u64> {
        self.0.subscribe()
    }
}
