-- What a platform delivered that this version does not act on (an event of a kind it does
-- not know), kept as it came so that nothing a platform said is lost. Keyed by a hash of the
-- channel and the payload: a redelivery keeps nothing new.
CREATE TABLE channel_events (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    channel_id TEXT NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    kinds TEXT NOT NULL,
    payload TEXT NOT NULL,
    received_at BIGINT NOT NULL
);
CREATE INDEX channel_events_channel ON channel_events (channel_id, received_at);
