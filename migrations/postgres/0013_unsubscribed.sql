-- A customer who stopped the business's messages on a channel account (blocked the bot, sent
-- STOP, unfollowed): nothing is sent to them there until they subscribe again.
ALTER TABLE contact_identities ADD COLUMN unsubscribed_at BIGINT;
