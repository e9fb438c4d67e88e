//! `GET /v1/events`: the inbox's live events as Server-Sent Events, for one person. Each event's
//! `id` is its place in the workspace's event log, so a client that reconnects with
//! `Last-Event-ID` (or `?last_event_id=`) gets what it missed, in order, from whichever process
//! wrote it. A person sees their team's events and their own; an admin all of the workspace's.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::get;
use futures::Stream;
use inbox::Viewer;
use records::EventRecord;
use serde::Deserialize;

use super::AppState;
use super::auth::Caller;
use super::error::ApiError;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/v1/events", get(events))
}

/// How many events one read of the log takes.
const BATCH: i64 = 200;
/// How often a stream reads the log even when no bell rang (a missed ring costs this much).
const RECHECK: Duration = Duration::from_secs(2);

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Resume after this event (as the `Last-Event-ID` header does).
    last_event_id: Option<i64>,
}

/// The caller's live inbox events: `conversation.created`, `message.created`,
/// `message.status`, `conversation.assigned`, `conversation.status_changed`,
/// `conversation.handoff`, `conversation.labels`, `conversation.typing`, `note.mention`. Each
/// `data` is JSON with the conversation's id and what changed.
#[utoipa::path(get, path = "/v1/events", params(EventsQuery), tag = "inbox", security(("bearer" = [])),
    responses((status = 200, description = "text/event-stream of the caller's events", content_type = "text/event-stream", body = String)))]
async fn events(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    headers: HeaderMap,
    Query(query): Query<EventsQuery>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let viewer = state.app.viewer(&caller.0).await?;
    let tail = LogTail::start(
        state,
        caller.workspace(),
        resume_point(&headers, query.last_event_id),
    )
    .await?;
    let reader = Reader {
        tail,
        viewer,
        pending: VecDeque::new(),
    };
    let stream = futures::stream::unfold(reader, |mut reader| async move {
        let event = reader.next().await?;
        Some((Ok(event), reader))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

/// Where a client resumes: after the `Last-Event-ID` it sends (a browser's `EventSource`
/// does on reconnecting), or the `last_event_id` it gives.
pub(super) fn resume_point(headers: &HeaderMap, given: Option<i64>) -> Option<i64> {
    headers
        .get("last-event-id")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse().ok())
        .or(given)
}

/// A workspace's event log read from a place on, waiting for more once read to its end.
pub(super) struct LogTail {
    state: Arc<AppState>,
    workspace: String,
    bell: tokio::sync::watch::Receiver<u64>,
    cursor: i64,
}

impl LogTail {
    /// After `resume`, or from now.
    pub(super) async fn start(
        state: Arc<AppState>,
        workspace: &str,
        resume: Option<i64>,
    ) -> Result<Self, ApiError> {
        let cursor = match resume {
            Some(seq) => seq,
            None => state.app.store.events().last_seq().await?,
        };
        Ok(LogTail {
            bell: state.app.events.listen(),
            state,
            workspace: workspace.to_string(),
            cursor,
        })
    }

    /// The next events, waiting for some; `None` when the server is stopping.
    pub(super) async fn next_batch(&mut self) -> Option<Vec<EventRecord>> {
        loop {
            let store = &self.state.app.store;
            match store
                .events()
                .since(&self.workspace, self.cursor, BATCH)
                .await
            {
                Ok(events) if !events.is_empty() => {
                    self.cursor = events.last().map_or(self.cursor, |event| event.seq);
                    return Some(events);
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "reading the event log failed"),
            }
            tokio::select! {
                changed = self.bell.changed() => {
                    if changed.is_err() {
                        return None;
                    }
                }
                _ = tokio::time::sleep(RECHECK) => {}
            }
        }
    }
}

struct Reader {
    tail: LogTail,
    viewer: Viewer,
    pending: VecDeque<EventRecord>,
}

impl Reader {
    /// The next event this person may see, waiting for one; `None` ends the stream (the
    /// server is stopping).
    async fn next(&mut self) -> Option<Event> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Some(
                    Event::default()
                        .id(event.seq.to_string())
                        .event(event.kind)
                        .data(event.payload),
                );
            }
            let events = self.tail.next_batch().await?;
            let visible: Vec<EventRecord> = events
                .into_iter()
                .filter(|event| self.may_see(event))
                .collect();
            self.pending.extend(visible);
        }
    }

    /// As the conversation it tells of: the person it concerns and their team see it.
    fn may_see(&self, event: &EventRecord) -> bool {
        let person = event.user_id.clone().map(inbox::Owner::User);
        self.viewer
            .may_work(event.team_id.as_deref(), person.as_ref())
    }
}
