-- Notices people see on every page until they dismiss them (a token of
-- theirs revoked because its string was reported as leaked), and an index
-- for listing tokens by expiry (the expiry notices and the admins' view).

-- +goose Up
CREATE TABLE notices (
    id bigserial CONSTRAINT notices_pkey PRIMARY KEY,
    user_id bigint NOT NULL CONSTRAINT fk_notices_user REFERENCES users (id) ON DELETE CASCADE,
    kind character varying(40) NOT NULL,
    subject character varying(100) NOT NULL,
    created_at timestamp with time zone NOT NULL
);
CREATE INDEX idx_notices_user ON notices (user_id);
CREATE INDEX idx_tokens_expires ON tokens (expires_at);

-- +goose Down
DROP INDEX idx_tokens_expires;
DROP TABLE notices;
