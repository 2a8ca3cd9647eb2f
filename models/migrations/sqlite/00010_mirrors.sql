-- Mirrors: a channel or subchannel that copies an upstream conda channel,
-- its runs, and the mark on each artifact a mirror added (0: uploaded).

-- +goose Up
CREATE TABLE `mirrors` (`id` integer PRIMARY KEY AUTOINCREMENT,`channel_id` integer NOT NULL,`subchannel_id` integer NOT NULL DEFAULT 0,
  `url` text NOT NULL,`include` text NOT NULL DEFAULT '[]',`exclude` text NOT NULL DEFAULT '[]',`subdirs` text NOT NULL DEFAULT '[]',
  `versions` text NOT NULL DEFAULT '',`licenses` text NOT NULL DEFAULT '[]',`max_severity` text NOT NULL DEFAULT '',
  `interval_minutes` integer NOT NULL DEFAULT 0,`state` text NOT NULL DEFAULT '{}',`next_run_at` datetime,
  `claimed_by` text NOT NULL DEFAULT '',`claimed_until` datetime,`created_at` datetime NOT NULL,`updated_at` datetime NOT NULL,
  CONSTRAINT `fk_mirrors_channel` FOREIGN KEY (`channel_id`) REFERENCES `channels`(`id`) ON DELETE CASCADE);
CREATE UNIQUE INDEX `idx_mirror_place_url` ON `mirrors`(`channel_id`,`subchannel_id`,`url`);
CREATE INDEX `idx_mirrors_due` ON `mirrors`(`next_run_at`);

CREATE TABLE `mirror_runs` (`id` integer PRIMARY KEY AUTOINCREMENT,`mirror_id` integer NOT NULL,`trigger` text NOT NULL,`status` text NOT NULL,
  `added` integer NOT NULL DEFAULT 0,`removed` integer NOT NULL DEFAULT 0,`unchanged` integer NOT NULL DEFAULT 0,`refused` integer NOT NULL DEFAULT 0,
  `requests` integer NOT NULL DEFAULT 0,`not_modified` integer NOT NULL DEFAULT 0,
  `refusals` text NOT NULL DEFAULT '[]',`error` text NOT NULL DEFAULT '',`started_at` datetime NOT NULL,`finished_at` datetime,`duration_ms` integer NOT NULL DEFAULT 0,
  CONSTRAINT `fk_mirror_runs_mirror` FOREIGN KEY (`mirror_id`) REFERENCES `mirrors`(`id`) ON DELETE CASCADE);
CREATE INDEX `idx_mirror_runs_mirror` ON `mirror_runs`(`mirror_id`,`id`);

ALTER TABLE `artifacts` ADD COLUMN `mirror_id` integer NOT NULL DEFAULT 0;
CREATE INDEX `idx_artifacts_mirror` ON `artifacts`(`mirror_id`);

-- +goose Down
DROP INDEX `idx_artifacts_mirror`;
ALTER TABLE `artifacts` DROP COLUMN `mirror_id`;
DROP TABLE `mirror_runs`;
DROP TABLE `mirrors`;
