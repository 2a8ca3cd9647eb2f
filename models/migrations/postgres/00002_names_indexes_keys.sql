-- What a review of the first schema found missing.

-- +goose Up
-- Role and team names are unique whatever their case ("Ops" and "ops" would
-- read as one name in every list). Earlier duplicates keep their name; later
-- ones get their id appended, and the audit log says so.
INSERT INTO audit_events (at, action, target, details)
SELECT now(), 'role.rename', name, json_build_object('reason', 'names differing only in case', 'new', left(name, 80) || '-' || id)::text
FROM roles WHERE id NOT IN (SELECT min(id) FROM roles GROUP BY lower(name));
UPDATE roles SET name = left(name, 80) || '-' || id WHERE id NOT IN (SELECT min(id) FROM roles GROUP BY lower(name));
INSERT INTO audit_events (at, action, target, details)
SELECT now(), 'team.rename', name, json_build_object('reason', 'names differing only in case', 'new', left(name, 80) || '-' || id)::text
FROM teams WHERE id NOT IN (SELECT min(id) FROM teams GROUP BY lower(name));
UPDATE teams SET name = left(name, 80) || '-' || id WHERE id NOT IN (SELECT min(id) FROM teams GROUP BY lower(name));
CREATE UNIQUE INDEX idx_roles_name_lower ON roles (lower(name));
CREATE UNIQUE INDEX idx_teams_name_lower ON teams (lower(name));

-- idx_artifact_place (channel_id, subchannel_id, subdir, filename) serves
-- every query idx_artifact_subdir served.
DROP INDEX IF EXISTS idx_artifact_subdir;

-- Rows that refer to rows. Subchannel 0 means "the channel itself", so
-- artifacts.subchannel_id stays a plain column; grants name their resource
-- and principal by kind and id, which no foreign key can express.
DELETE FROM subchannels WHERE channel_id NOT IN (SELECT id FROM channels);
DELETE FROM artifacts WHERE channel_id NOT IN (SELECT id FROM channels);
UPDATE artifacts SET uploader_id = NULL WHERE uploader_id = 0 OR uploader_id NOT IN (SELECT id FROM users);
UPDATE audit_events SET actor_id = NULL WHERE actor_id NOT IN (SELECT id FROM users);
ALTER TABLE subchannels ADD CONSTRAINT fk_subchannels_channel FOREIGN KEY (channel_id) REFERENCES channels (id) ON DELETE CASCADE;
ALTER TABLE artifacts ADD CONSTRAINT fk_artifacts_channel FOREIGN KEY (channel_id) REFERENCES channels (id) ON DELETE CASCADE;
ALTER TABLE artifacts ADD CONSTRAINT fk_artifacts_uploader FOREIGN KEY (uploader_id) REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE audit_events ADD CONSTRAINT fk_audit_events_actor FOREIGN KEY (actor_id) REFERENCES users (id) ON DELETE SET NULL;

-- +goose Down
ALTER TABLE audit_events DROP CONSTRAINT fk_audit_events_actor;
ALTER TABLE artifacts DROP CONSTRAINT fk_artifacts_uploader;
ALTER TABLE artifacts DROP CONSTRAINT fk_artifacts_channel;
ALTER TABLE subchannels DROP CONSTRAINT fk_subchannels_channel;
CREATE INDEX idx_artifact_subdir ON artifacts (channel_id, subchannel_id, subdir);
DROP INDEX idx_teams_name_lower;
DROP INDEX idx_roles_name_lower;
