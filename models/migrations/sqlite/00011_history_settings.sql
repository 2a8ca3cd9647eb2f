-- A channel's history is read from the audit log by target: the channel's
-- name, or the range of targets under "name/" for its subchannels.

-- +goose Up
CREATE INDEX `idx_audit_events_target` ON `audit_events`(`target`, `at`);

-- +goose Down
DROP INDEX `idx_audit_events_target`;
