-- Routing: when a conversation's customer was last sent the channel's away message (once per
-- spell the business is closed), and the queue's order, longest waiting first.

ALTER TABLE conversations ADD COLUMN away_sent_at BIGINT;

CREATE INDEX conversations_waiting ON conversations (workspace_id, waiting_since, id)
    WHERE waiting_since IS NOT NULL;
