-- Package names per place and subdir with the channel generation at which
-- each last changed, so a cache re-reads only what changed in its subdir;
-- and an index that reads a subdir's artifacts in name order.

-- +goose Up
CREATE TABLE `package_names` (`channel_id` integer NOT NULL,`subchannel_id` integer NOT NULL,`subdir` text NOT NULL,`name` text NOT NULL,`generation` integer NOT NULL,
  PRIMARY KEY (`channel_id`,`subchannel_id`,`subdir`,`name`),
  CONSTRAINT `fk_package_names_channel` FOREIGN KEY (`channel_id`) REFERENCES `channels`(`id`) ON DELETE CASCADE);
CREATE INDEX `idx_pkgname_gen` ON `package_names`(`channel_id`,`subchannel_id`,`subdir`,`generation`);
CREATE INDEX `idx_artifact_names` ON `artifacts`(`channel_id`,`subchannel_id`,`subdir`,`name`,`filename`);

-- +goose Down
DROP INDEX `idx_artifact_names`;
DROP TABLE `package_names`;
