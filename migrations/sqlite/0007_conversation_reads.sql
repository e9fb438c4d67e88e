-- How far each person has read each conversation: what their unread counts are counted from.

CREATE TABLE conversation_reads (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    read_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, conversation_id)
);
