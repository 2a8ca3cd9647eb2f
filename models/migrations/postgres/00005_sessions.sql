-- Sessions live on the server, so signing out, a password reset or
-- disabling a person ends them on every instance at once. The id is the
-- SHA-256 of the secret the session cookie carries.

-- +goose Up
CREATE TABLE sessions (
    id character varying(64) CONSTRAINT sessions_pkey PRIMARY KEY,
    user_id bigint NOT NULL CONSTRAINT fk_sessions_user REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamp with time zone NOT NULL,
    expires_at timestamp with time zone NOT NULL
);
CREATE INDEX idx_sessions_user ON sessions (user_id);
CREATE INDEX idx_sessions_expires ON sessions (expires_at);

-- +goose Down
DROP TABLE sessions;
