-- Message search without reading every message: an FTS5 index of trigrams over the messages'
-- search form, kept by triggers. A search of three characters or more is a phrase query on
-- it; PostgreSQL has a trigram index on the column instead (its 0004).

CREATE VIRTUAL TABLE messages_search USING fts5(
    search_text,
    content = 'messages',
    tokenize = 'trigram'
);

INSERT INTO messages_search (messages_search) VALUES ('rebuild');

CREATE TRIGGER messages_search_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_search (rowid, search_text) VALUES (new.rowid, new.search_text);
END;

CREATE TRIGGER messages_search_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_search (messages_search, rowid, search_text)
    VALUES ('delete', old.rowid, old.search_text);
END;

CREATE TRIGGER messages_search_update AFTER UPDATE OF search_text ON messages BEGIN
    INSERT INTO messages_search (messages_search, rowid, search_text)
    VALUES ('delete', old.rowid, old.search_text);
    INSERT INTO messages_search (rowid, search_text) VALUES (new.rowid, new.search_text);
END;
