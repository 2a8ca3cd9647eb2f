-- Package policy: licenses admins block, vulnerability records imported in
-- OSV format, and annotations that a record does not affect a package.

-- +goose Up
CREATE TABLE `blocked_licenses` (`id` integer PRIMARY KEY AUTOINCREMENT,`license` text NOT NULL,`reason` text NOT NULL,`blocked_by` integer,`created_at` datetime NOT NULL,
  CONSTRAINT `fk_blocked_licenses_user` FOREIGN KEY (`blocked_by`) REFERENCES `users`(`id`) ON DELETE SET NULL);
CREATE UNIQUE INDEX `idx_blocked_licenses_license` ON `blocked_licenses`(`license`);

CREATE TABLE `vulnerabilities` (`id` integer PRIMARY KEY AUTOINCREMENT,`osv_id` text NOT NULL,`aliases` text NOT NULL DEFAULT '[]',`summary` text NOT NULL DEFAULT '',`details` text NOT NULL DEFAULT '',
  `severity` integer NOT NULL,`rated` numeric NOT NULL DEFAULT false,`score` real NOT NULL DEFAULT 0,`vector` text NOT NULL DEFAULT '',`affected` text NOT NULL DEFAULT '[]',`withdrawn` numeric NOT NULL DEFAULT false,
  `published` datetime,`modified` datetime,`source` text NOT NULL DEFAULT '',`created_at` datetime NOT NULL,`updated_at` datetime NOT NULL);
CREATE UNIQUE INDEX `idx_vulnerabilities_osv_id` ON `vulnerabilities`(`osv_id`);

CREATE TABLE `vulnerability_annotations` (`id` integer PRIMARY KEY AUTOINCREMENT,`vulnerability_id` integer NOT NULL,`package` text NOT NULL,`status` text NOT NULL,`reason` text NOT NULL,
  `user_id` integer,`created_at` datetime NOT NULL,`updated_at` datetime NOT NULL,
  CONSTRAINT `fk_vulnerability_annotations_vulnerability` FOREIGN KEY (`vulnerability_id`) REFERENCES `vulnerabilities`(`id`) ON DELETE CASCADE,
  CONSTRAINT `fk_vulnerability_annotations_user` FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON DELETE SET NULL);
CREATE UNIQUE INDEX `idx_vulnerability_annotations_package` ON `vulnerability_annotations`(`vulnerability_id`,`package`);

-- +goose Down
DROP TABLE `vulnerability_annotations`;
DROP TABLE `vulnerabilities`;
DROP TABLE `blocked_licenses`;
