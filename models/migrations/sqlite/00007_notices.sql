-- Notices people see on every page until they dismiss them (a token of
-- theirs revoked because its string was reported as leaked), and an index
-- for listing tokens by expiry (the expiry notices and the admins' view).

-- +goose Up
CREATE TABLE `notices` (`id` integer PRIMARY KEY AUTOINCREMENT,`user_id` integer NOT NULL,`kind` text NOT NULL,`subject` text NOT NULL,`created_at` datetime NOT NULL,
  CONSTRAINT `fk_notices_user` FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON DELETE CASCADE);
CREATE INDEX `idx_notices_user` ON `notices`(`user_id`);
CREATE INDEX `idx_tokens_expires` ON `tokens`(`expires_at`);

-- +goose Down
DROP INDEX `idx_tokens_expires`;
DROP TABLE `notices`;
