-- An eval suite run through one version of an agent in the background: queued with its suite,
-- then its report (every case, its checks and its turn) once it ran, or why it could not.
CREATE TABLE eval_runs (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    agent_id TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    agent_version BIGINT NOT NULL,
    suite_name TEXT NOT NULL,
    suite TEXT NOT NULL,
    cases BIGINT NOT NULL,
    status TEXT NOT NULL,
    passed BIGINT,
    -- The report's metrics alone, for lists: a report holds every case's turn and trace.
    metrics TEXT,
    report TEXT,
    error TEXT,
    created_at BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE INDEX eval_runs_by_agent ON eval_runs (workspace_id, agent_id, created_at, id);
