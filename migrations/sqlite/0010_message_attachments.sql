-- Files a message carries, kept in the file store under their SHA-256: the same photo sent
-- twice is kept once.

CREATE TABLE message_attachments (
    message_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    checksum TEXT NOT NULL,
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    bytes BIGINT NOT NULL,
    PRIMARY KEY (message_id, position)
);
CREATE INDEX message_attachments_checksum ON message_attachments (checksum);
