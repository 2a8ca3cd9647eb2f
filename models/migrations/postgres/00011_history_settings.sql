-- A channel's history is read from the audit log by target: the channel's
-- name, or a prefix "name/" for its subchannels. text_pattern_ops lets a
-- LIKE prefix use the index whatever the database's collation.
-- Subchannels get a description, as channels have.

-- +goose Up
CREATE INDEX IF NOT EXISTS idx_audit_events_target ON audit_events (target text_pattern_ops, at);
ALTER TABLE subchannels ADD COLUMN description character varying(1000) NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE subchannels DROP COLUMN description;
DROP INDEX IF EXISTS idx_audit_events_target;
