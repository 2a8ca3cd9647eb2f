-- Single sign-on: who a person is at the identity provider, and when anyone
-- last signed in.

-- +goose Up
ALTER TABLE users ADD COLUMN sso_issuer character varying(500);
ALTER TABLE users ADD COLUMN sso_subject character varying(255);
ALTER TABLE users ADD COLUMN last_sign_in_at timestamp with time zone;
-- One account per person at the provider; NULLs (password accounts) never clash.
CREATE UNIQUE INDEX idx_users_sso ON users (sso_issuer, sso_subject);

-- +goose Down
DROP INDEX idx_users_sso;
ALTER TABLE users DROP COLUMN last_sign_in_at;
ALTER TABLE users DROP COLUMN sso_subject;
ALTER TABLE users DROP COLUMN sso_issuer;
