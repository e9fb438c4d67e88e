-- Macros: a named list of actions (JSON) a person runs on a conversation; shared by the
-- workspace or a person's own.

CREATE TABLE macros (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    owner_id TEXT REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    actions TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX macros_workspace ON macros (workspace_id, created_at);
