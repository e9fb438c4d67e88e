-- One queue for every kind of background work: a kind and a JSON payload instead of a source,
-- a dedupe key unique while a job waits or runs, a priority. Ingestion jobs carry their
-- source in the payload and the key `ingest_source:<source id>`.
-- SQLite cannot drop a NOT NULL column in place: the table is rebuilt.

CREATE TABLE jobs_queue (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    workspace_id TEXT REFERENCES workspaces(id) ON DELETE CASCADE,
    dedupe_key TEXT,
    priority BIGINT NOT NULL DEFAULT 0,
    state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
    attempts BIGINT NOT NULL DEFAULT 0,
    run_after BIGINT NOT NULL,
    locked_by TEXT,
    locked_until BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL
);

INSERT INTO jobs_queue (id, kind, payload, workspace_id, dedupe_key, priority, state, attempts,
    run_after, locked_by, locked_until, last_error, created_at)
SELECT id, 'ingest_source', json_object('source_id', source_id), workspace_id,
    'ingest_source:' || source_id, 0, state, attempts, run_after, locked_by, locked_until,
    last_error, created_at
FROM jobs;

DROP TABLE jobs;
ALTER TABLE jobs_queue RENAME TO jobs;

CREATE INDEX jobs_claimable ON jobs (kind, state, run_after);
CREATE UNIQUE INDEX jobs_pending_dedupe ON jobs (dedupe_key) WHERE state IN ('queued', 'running');
