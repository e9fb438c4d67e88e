-- One queue for every kind of background work: a kind and a JSON payload instead of a source,
-- a dedupe key unique while a job waits or runs, a priority. Ingestion jobs carry their
-- source in the payload and the key `ingest_source:<source id>`.

ALTER TABLE jobs
    ADD COLUMN kind TEXT,
    ADD COLUMN payload TEXT,
    ADD COLUMN dedupe_key TEXT,
    ADD COLUMN priority BIGINT NOT NULL DEFAULT 0;

UPDATE jobs SET kind = 'ingest_source',
    payload = json_build_object('source_id', source_id)::text,
    dedupe_key = 'ingest_source:' || source_id;

ALTER TABLE jobs
    ALTER COLUMN kind SET NOT NULL,
    ALTER COLUMN payload SET NOT NULL,
    ALTER COLUMN workspace_id DROP NOT NULL,
    DROP COLUMN source_id;

DROP INDEX jobs_claimable;
CREATE INDEX jobs_claimable ON jobs (kind, state, run_after);
CREATE UNIQUE INDEX jobs_pending_dedupe ON jobs (dedupe_key) WHERE state IN ('queued', 'running');
