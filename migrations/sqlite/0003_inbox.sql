-- The inbox: contacts and their identities on channels, channel accounts, conversations with
-- their owner and status, messages (a platform's id stored once per channel account), labels,
-- the one outcome of each AI-answered message, and the event log the live stream reads.
-- Times are milliseconds since the Unix epoch; ids are UUID text.

ALTER TABLE workspaces ADD COLUMN conversation_counter BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN presence TEXT NOT NULL DEFAULT 'offline';
ALTER TABLE users ADD COLUMN capacity BIGINT;
ALTER TABLE users ADD COLUMN last_assigned_at BIGINT;

CREATE TABLE contacts (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name TEXT,
    language TEXT,
    phones TEXT NOT NULL DEFAULT '[]',
    emails TEXT NOT NULL DEFAULT '[]',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX contacts_workspace ON contacts (workspace_id, created_at);

CREATE TABLE channels (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    agent_id TEXT REFERENCES agents(id) ON DELETE SET NULL,
    team_id TEXT REFERENCES teams(id) ON DELETE SET NULL,
    config TEXT NOT NULL,
    secret_sealed TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX channels_workspace ON channels (workspace_id, created_at);

CREATE TABLE contact_identities (
    channel_id TEXT NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    external_id TEXT NOT NULL,
    contact_id TEXT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (channel_id, external_id)
);
CREATE INDEX contact_identities_contact ON contact_identities (contact_id);

CREATE TABLE conversations (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    number BIGINT NOT NULL,
    channel_id TEXT NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    contact_id TEXT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    status TEXT NOT NULL CHECK (status IN ('open', 'pending', 'snoozed', 'resolved')),
    snoozed_until BIGINT,
    owner_kind TEXT CHECK (owner_kind IN ('agent', 'team', 'user')),
    owner_id TEXT,
    team_id TEXT REFERENCES teams(id) ON DELETE SET NULL,
    priority TEXT NOT NULL DEFAULT 'none',
    handoff TEXT,
    first_reply_at BIGINT,
    last_activity_at BIGINT NOT NULL,
    waiting_since BIGINT,
    window_expires_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (workspace_id, number)
);
CREATE INDEX conversations_activity ON conversations (workspace_id, last_activity_at);
CREATE INDEX conversations_contact ON conversations (channel_id, contact_id, created_at);
CREATE INDEX conversations_team ON conversations (workspace_id, team_id, status);

CREATE TABLE conversation_labels (
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    label TEXT NOT NULL,
    PRIMARY KEY (conversation_id, label)
);
CREATE INDEX conversation_labels_label ON conversation_labels (label);

CREATE TABLE messages (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    channel_id TEXT NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    sender_kind TEXT NOT NULL CHECK (sender_kind IN ('contact', 'agent', 'user', 'system')),
    sender_id TEXT,
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    -- The text in the form search matches: lower case, Arabic diacritics and letter variants
    -- unified, Arabic-Indic digits as ASCII.
    search_text TEXT NOT NULL DEFAULT '',
    platform_message_id TEXT,
    reply_to TEXT,
    status TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'delivered', 'read', 'failed')),
    error TEXT,
    turn_id TEXT,
    details TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX messages_platform_id ON messages (channel_id, direction, platform_message_id)
    WHERE platform_message_id IS NOT NULL;
CREATE INDEX messages_conversation ON messages (conversation_id, created_at, id);

-- One outcome (a reply or a handoff) per customer message an AI agent answered.
CREATE TABLE message_answers (
    message_id TEXT PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
    turn_id TEXT NOT NULL,
    outcome TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    conversation_id TEXT,
    team_id TEXT,
    user_id TEXT,
    payload TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX events_workspace ON events (workspace_id, seq);
