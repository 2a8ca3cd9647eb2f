-- Channel groups (a named set of channels; grants and resource tokens on a
-- group reach each member) and subchannel groups (a named set of one
-- channel's subchannels; resource tokens on one reach each member).
-- Grants on channel groups live in grants with resource_type 'group'.

-- +goose Up
CREATE TABLE `channel_groups` (`id` integer PRIMARY KEY AUTOINCREMENT,`name` text NOT NULL,`description` text NOT NULL DEFAULT '',`created_at` datetime,`updated_at` datetime);
CREATE UNIQUE INDEX `idx_channel_groups_name` ON `channel_groups`(`name`);
CREATE TABLE `channel_group_members` (`group_id` integer NOT NULL,`channel_id` integer NOT NULL,
  PRIMARY KEY (`group_id`,`channel_id`),
  CONSTRAINT `fk_channel_group_members_group` FOREIGN KEY (`group_id`) REFERENCES `channel_groups`(`id`) ON DELETE CASCADE,
  CONSTRAINT `fk_channel_group_members_channel` FOREIGN KEY (`channel_id`) REFERENCES `channels`(`id`) ON DELETE CASCADE);
CREATE INDEX `idx_channel_group_members_channel` ON `channel_group_members`(`channel_id`);
CREATE TABLE `subchannel_groups` (`id` integer PRIMARY KEY AUTOINCREMENT,`channel_id` integer NOT NULL,`name` text NOT NULL,`created_at` datetime,`updated_at` datetime,
  CONSTRAINT `fk_subchannel_groups_channel` FOREIGN KEY (`channel_id`) REFERENCES `channels`(`id`) ON DELETE CASCADE);
CREATE UNIQUE INDEX `idx_subchannel_groups_name` ON `subchannel_groups`(`channel_id`,`name`);
CREATE TABLE `subchannel_group_members` (`group_id` integer NOT NULL,`subchannel_id` integer NOT NULL,
  PRIMARY KEY (`group_id`,`subchannel_id`),
  CONSTRAINT `fk_subchannel_group_members_group` FOREIGN KEY (`group_id`) REFERENCES `subchannel_groups`(`id`) ON DELETE CASCADE,
  CONSTRAINT `fk_subchannel_group_members_sub` FOREIGN KEY (`subchannel_id`) REFERENCES `subchannels`(`id`) ON DELETE CASCADE);
CREATE INDEX `idx_subchannel_group_members_sub` ON `subchannel_group_members`(`subchannel_id`);

-- +goose Down
DELETE FROM `grants` WHERE `resource_type` = 'group';
DROP TABLE `subchannel_group_members`;
DROP TABLE `subchannel_groups`;
DROP TABLE `channel_group_members`;
DROP TABLE `channel_groups`;
