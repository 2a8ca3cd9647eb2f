-- Sessions live on the server, so signing out, a password reset or
-- disabling a person ends them on every instance at once. The id is the
-- SHA-256 of the secret the session cookie carries.

-- +goose Up
CREATE TABLE `sessions` (`id` text NOT NULL,`user_id` integer NOT NULL,`created_at` datetime NOT NULL,`expires_at` datetime NOT NULL,
  PRIMARY KEY (`id`),
  CONSTRAINT `fk_sessions_user` FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON DELETE CASCADE);
CREATE INDEX `idx_sessions_user` ON `sessions`(`user_id`);
CREATE INDEX `idx_sessions_expires` ON `sessions`(`expires_at`);

-- +goose Down
DROP TABLE `sessions`;
