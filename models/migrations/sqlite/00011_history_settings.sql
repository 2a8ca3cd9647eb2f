-- A channel's history is read from the audit log by target: the channel's
-- name, or the range of targets under "name/" for its subchannels.
-- Subchannels get a description, as channels have.

-- +goose Up
CREATE INDEX `idx_audit_events_target` ON `audit_events`(`target`, `at`);
ALTER TABLE `subchannels` ADD COLUMN `description` text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE `subchannels` DROP COLUMN `description`;
DROP INDEX `idx_audit_events_target`;
