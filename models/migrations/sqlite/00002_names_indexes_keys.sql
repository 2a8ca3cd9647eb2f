-- What a review of the first schema found missing.

-- +goose Up
-- Role and team names are unique whatever their case ("Ops" and "ops" would
-- read as one name in every list). Earlier duplicates keep their name; later
-- ones get their id appended, and the audit log says so.
INSERT INTO audit_events (at, action, target, details)
SELECT datetime('now'), 'role.rename', name, json_object('reason', 'names differing only in case', 'new', substr(name, 1, 80) || '-' || id)
FROM roles WHERE id NOT IN (SELECT min(id) FROM roles GROUP BY lower(name));
UPDATE roles SET name = substr(name, 1, 80) || '-' || id WHERE id NOT IN (SELECT min(id) FROM roles GROUP BY lower(name));
INSERT INTO audit_events (at, action, target, details)
SELECT datetime('now'), 'team.rename', name, json_object('reason', 'names differing only in case', 'new', substr(name, 1, 80) || '-' || id)
FROM teams WHERE id NOT IN (SELECT min(id) FROM teams GROUP BY lower(name));
UPDATE teams SET name = substr(name, 1, 80) || '-' || id WHERE id NOT IN (SELECT min(id) FROM teams GROUP BY lower(name));
CREATE UNIQUE INDEX idx_roles_name_lower ON roles (lower(name));
CREATE UNIQUE INDEX idx_teams_name_lower ON teams (lower(name));

-- Rows that refer to rows. SQLite adds foreign keys only by rebuilding a
-- table. Subchannel 0 means "the channel itself", so artifacts.subchannel_id
-- stays a plain column; grants name their resource and principal by kind
-- and id, which no foreign key can express.
CREATE TABLE subchannels_new (`id` integer PRIMARY KEY AUTOINCREMENT,`channel_id` integer NOT NULL,`name` text NOT NULL,`created_at` datetime,
  CONSTRAINT `fk_subchannels_channel` FOREIGN KEY (`channel_id`) REFERENCES `channels`(`id`) ON DELETE CASCADE);
INSERT INTO subchannels_new SELECT id, channel_id, name, created_at FROM subchannels WHERE channel_id IN (SELECT id FROM channels);
DROP TABLE subchannels;
ALTER TABLE subchannels_new RENAME TO subchannels;
CREATE UNIQUE INDEX `idx_sub_name` ON `subchannels`(`channel_id`,`name`);

-- The rebuilt artifacts table also leaves out idx_artifact_subdir:
-- idx_artifact_place (channel_id, subchannel_id, subdir, filename) serves
-- every query it served.
CREATE TABLE artifacts_new (`id` integer PRIMARY KEY AUTOINCREMENT,`channel_id` integer NOT NULL,`subchannel_id` integer NOT NULL DEFAULT 0,`subdir` text NOT NULL,`filename` text NOT NULL,`name` text NOT NULL,`version` text NOT NULL,`build` text NOT NULL,`build_number` integer NOT NULL,`depends` text NOT NULL DEFAULT '[]',`constrains` text NOT NULL DEFAULT '[]',`extra` text NOT NULL DEFAULT '{}',`license` text,`license_family` text,`timestamp` integer NOT NULL DEFAULT 0,`size` integer NOT NULL,`md5` text NOT NULL,`sha256` text NOT NULL,`uploader_id` integer,`created_at` datetime,
  CONSTRAINT `fk_artifacts_channel` FOREIGN KEY (`channel_id`) REFERENCES `channels`(`id`) ON DELETE CASCADE,
  CONSTRAINT `fk_artifacts_uploader` FOREIGN KEY (`uploader_id`) REFERENCES `users`(`id`) ON DELETE SET NULL);
INSERT INTO artifacts_new
SELECT id, channel_id, subchannel_id, subdir, filename, name, version, build, build_number, depends, constrains, extra, license, license_family,
       timestamp, size, md5, sha256, CASE WHEN uploader_id IN (SELECT id FROM users) THEN uploader_id END, created_at
FROM artifacts WHERE channel_id IN (SELECT id FROM channels);
DROP TABLE artifacts;
ALTER TABLE artifacts_new RENAME TO artifacts;
CREATE UNIQUE INDEX `idx_artifact_place` ON `artifacts`(`channel_id`,`subchannel_id`,`subdir`,`filename`);
CREATE INDEX `idx_artifacts_name` ON `artifacts`(`name`);
CREATE INDEX `idx_artifacts_sha256` ON `artifacts`(`sha256`);

CREATE TABLE audit_events_new (`id` integer PRIMARY KEY AUTOINCREMENT,`at` datetime NOT NULL,`actor_id` integer,`actor_email` text,`action` text NOT NULL,`target` text,`details` text,`ip` text,
  CONSTRAINT `fk_audit_events_actor` FOREIGN KEY (`actor_id`) REFERENCES `users`(`id`) ON DELETE SET NULL);
INSERT INTO audit_events_new
SELECT id, at, CASE WHEN actor_id IN (SELECT id FROM users) THEN actor_id END, actor_email, action, target, details, ip FROM audit_events;
DROP TABLE audit_events;
ALTER TABLE audit_events_new RENAME TO audit_events;
CREATE INDEX `idx_audit_events_action` ON `audit_events`(`action`);
CREATE INDEX `idx_audit_events_actor_email` ON `audit_events`(`actor_email`);
CREATE INDEX `idx_audit_events_actor_id` ON `audit_events`(`actor_id`);
CREATE INDEX `idx_audit_events_at` ON `audit_events`(`at`);

-- +goose Down
-- Foreign keys and the case-insensitive names stay: taking them out would
-- mean rebuilding tables again for no gain.
DROP INDEX idx_teams_name_lower;
DROP INDEX idx_roles_name_lower;
