-- A contact's phone numbers (E.164) and email addresses, each one contact's in a workspace:
-- the same number on WhatsApp and the widget finds the same person. They replace the lists
-- kept as JSON on the contact, which could not be looked up.

CREATE TABLE contact_handles (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    contact_id TEXT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, kind, value)
);
CREATE INDEX contact_handles_contact ON contact_handles (contact_id);

ALTER TABLE contacts DROP COLUMN phones;
ALTER TABLE contacts DROP COLUMN emails;
