-- Message search without reading every message: a trigram index on the messages' search form,
-- which `LIKE '%...%'` uses. SQLite has an FTS5 trigram index instead (its 0004).
-- pg_trgm is a trusted extension: the database's owner may create it.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE INDEX messages_search_trigram ON messages USING gin (search_text gin_trgm_ops);
