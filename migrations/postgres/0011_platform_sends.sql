-- A platform send of several parts (a long text cut to the platform's limit) counts the parts
-- the platform has taken: a retry goes on from the next, never sending one twice.
ALTER TABLE messages ADD COLUMN sent_parts BIGINT NOT NULL DEFAULT 0;
