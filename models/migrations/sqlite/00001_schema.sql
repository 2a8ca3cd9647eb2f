-- The schema of the first release, exactly as it created it. Every
-- statement is IF NOT EXISTS, so a database that release made is adopted
-- unchanged and a new one gets the same tables.

-- +goose Up
CREATE TABLE IF NOT EXISTS `roles` (`id` integer PRIMARY KEY AUTOINCREMENT,`name` text NOT NULL,`built_in` numeric NOT NULL DEFAULT false,`created_at` datetime);
CREATE UNIQUE INDEX IF NOT EXISTS `idx_roles_name` ON `roles`(`name`);
CREATE TABLE IF NOT EXISTS `users` (`id` integer PRIMARY KEY AUTOINCREMENT,`email` text NOT NULL,`password_hash` text NOT NULL,`disabled` numeric NOT NULL DEFAULT false,`created_at` datetime,`updated_at` datetime);
CREATE UNIQUE INDEX IF NOT EXISTS `idx_users_email` ON `users`(`email`);
CREATE TABLE IF NOT EXISTS `teams` (`id` integer PRIMARY KEY AUTOINCREMENT,`name` text NOT NULL,`description` text,`created_at` datetime);
CREATE UNIQUE INDEX IF NOT EXISTS `idx_teams_name` ON `teams`(`name`);
CREATE TABLE IF NOT EXISTS `team_members` (`team_id` integer,`user_id` integer,PRIMARY KEY (`team_id`,`user_id`),CONSTRAINT `fk_team_members_team` FOREIGN KEY (`team_id`) REFERENCES `teams`(`id`),CONSTRAINT `fk_team_members_user` FOREIGN KEY (`user_id`) REFERENCES `users`(`id`));
CREATE TABLE IF NOT EXISTS `user_roles` (`user_id` integer,`role_id` integer,PRIMARY KEY (`user_id`,`role_id`),CONSTRAINT `fk_user_roles_role` FOREIGN KEY (`role_id`) REFERENCES `roles`(`id`),CONSTRAINT `fk_user_roles_user` FOREIGN KEY (`user_id`) REFERENCES `users`(`id`));
CREATE TABLE IF NOT EXISTS `grants` (`id` integer PRIMARY KEY AUTOINCREMENT,`resource_type` text NOT NULL,`resource_id` integer NOT NULL,`level` text NOT NULL,`principal_kind` text NOT NULL,`principal_id` integer NOT NULL);
CREATE INDEX IF NOT EXISTS `idx_grant_principal` ON `grants`(`principal_kind`,`principal_id`);
CREATE UNIQUE INDEX IF NOT EXISTS `idx_grant_unique` ON `grants`(`resource_type`,`resource_id`,`level`,`principal_kind`,`principal_id`);
CREATE TABLE IF NOT EXISTS `audit_events` (`id` integer PRIMARY KEY AUTOINCREMENT,`at` datetime NOT NULL,`actor_id` integer,`actor_email` text,`action` text NOT NULL,`target` text,`details` text,`ip` text);
CREATE INDEX IF NOT EXISTS `idx_audit_events_action` ON `audit_events`(`action`);
CREATE INDEX IF NOT EXISTS `idx_audit_events_actor_email` ON `audit_events`(`actor_email`);
CREATE INDEX IF NOT EXISTS `idx_audit_events_actor_id` ON `audit_events`(`actor_id`);
CREATE INDEX IF NOT EXISTS `idx_audit_events_at` ON `audit_events`(`at`);
CREATE TABLE IF NOT EXISTS `settings` (`key` text,`value` text NOT NULL,PRIMARY KEY (`key`));
CREATE TABLE IF NOT EXISTS `channels` (`id` integer PRIMARY KEY AUTOINCREMENT,`name` text NOT NULL,`description` text,`public` numeric NOT NULL DEFAULT false,`generation` integer NOT NULL DEFAULT 0,`created_at` datetime,`updated_at` datetime);
CREATE UNIQUE INDEX IF NOT EXISTS `idx_channels_name` ON `channels`(`name`);
CREATE TABLE IF NOT EXISTS `subchannels` (`id` integer PRIMARY KEY AUTOINCREMENT,`channel_id` integer NOT NULL,`name` text NOT NULL,`created_at` datetime);
CREATE UNIQUE INDEX IF NOT EXISTS `idx_sub_name` ON `subchannels`(`channel_id`,`name`);
CREATE TABLE IF NOT EXISTS `artifacts` (`id` integer PRIMARY KEY AUTOINCREMENT,`channel_id` integer NOT NULL,`subchannel_id` integer NOT NULL DEFAULT 0,`subdir` text NOT NULL,`filename` text NOT NULL,`name` text NOT NULL,`version` text NOT NULL,`build` text NOT NULL,`build_number` integer NOT NULL,`depends` text NOT NULL DEFAULT "[]",`constrains` text NOT NULL DEFAULT "[]",`extra` text NOT NULL DEFAULT "{}",`license` text,`license_family` text,`timestamp` integer NOT NULL DEFAULT 0,`size` integer NOT NULL,`md5` text NOT NULL,`sha256` text NOT NULL,`uploader_id` integer,`created_at` datetime);
CREATE INDEX IF NOT EXISTS `idx_artifacts_sha256` ON `artifacts`(`sha256`);
CREATE INDEX IF NOT EXISTS `idx_artifacts_name` ON `artifacts`(`name`);
CREATE INDEX IF NOT EXISTS `idx_artifact_subdir` ON `artifacts`(`channel_id`,`subchannel_id`,`subdir`);
CREATE UNIQUE INDEX IF NOT EXISTS `idx_artifact_place` ON `artifacts`(`channel_id`,`subchannel_id`,`subdir`,`filename`);
CREATE TABLE IF NOT EXISTS `pages` (`id` integer PRIMARY KEY AUTOINCREMENT,`identifier` text NOT NULL,`title` text NOT NULL,`icon` text NOT NULL DEFAULT "",`locked` numeric NOT NULL DEFAULT false,`widgets` text NOT NULL,`created_at` datetime,`updated_at` datetime);
CREATE UNIQUE INDEX IF NOT EXISTS `idx_pages_identifier` ON `pages`(`identifier`);
CREATE TABLE IF NOT EXISTS `tokens` (`id` integer PRIMARY KEY AUTOINCREMENT,`user_id` integer NOT NULL,`name` text NOT NULL,`description` text,`kind` text NOT NULL,`resources` text NOT NULL DEFAULT "[]",`scopes` text NOT NULL DEFAULT "[]",`hash` text NOT NULL,`hint` text NOT NULL,`expires_at` datetime NOT NULL,`last_used_at` datetime,`created_at` datetime,`updated_at` datetime,CONSTRAINT `fk_tokens_user` FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON DELETE CASCADE);
CREATE UNIQUE INDEX IF NOT EXISTS `idx_tokens_hash` ON `tokens`(`hash`);
CREATE UNIQUE INDEX IF NOT EXISTS `idx_token_owner_name` ON `tokens`(`user_id`,`name`);

-- +goose Down
-- The first schema is never taken down: that would drop every table.
SELECT 1;
