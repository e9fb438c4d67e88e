-- Canned responses: a short code people type, and a text with {{contact.name}}-style
-- variables; shared by the workspace, or one person's own.

CREATE TABLE canned_responses (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    owner_id TEXT REFERENCES users(id) ON DELETE CASCADE,
    short_code TEXT NOT NULL,
    text TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX canned_responses_code ON canned_responses (workspace_id, short_code, COALESCE(owner_id, ''));
