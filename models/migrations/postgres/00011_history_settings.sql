-- A channel's history is read from the audit log by target: the channel's
-- name, or a prefix "name/" for its subchannels. text_pattern_ops lets a
-- LIKE prefix use the index whatever the database's collation.

-- +goose Up
CREATE INDEX IF NOT EXISTS idx_audit_events_target ON audit_events (target text_pattern_ops, at);

-- +goose Down
DROP INDEX IF EXISTS idx_audit_events_target;
