-- Mirrors: a channel or subchannel that copies an upstream conda channel,
-- its runs, and the mark on each artifact a mirror added (0: uploaded).

-- +goose Up
CREATE TABLE mirrors (
    id bigserial CONSTRAINT mirrors_pkey PRIMARY KEY,
    channel_id bigint NOT NULL CONSTRAINT fk_mirrors_channel REFERENCES channels (id) ON DELETE CASCADE,
    subchannel_id bigint NOT NULL DEFAULT 0,
    url character varying(2000) NOT NULL,
    include text NOT NULL DEFAULT '[]',
    exclude text NOT NULL DEFAULT '[]',
    subdirs text NOT NULL DEFAULT '[]',
    versions character varying(500) NOT NULL DEFAULT '',
    licenses text NOT NULL DEFAULT '[]',
    max_severity character varying(16) NOT NULL DEFAULT '',
    interval_minutes bigint NOT NULL DEFAULT 0,
    state text NOT NULL DEFAULT '{}',
    next_run_at timestamp with time zone,
    claimed_by character varying(64) NOT NULL DEFAULT '',
    claimed_until timestamp with time zone,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL
);
CREATE UNIQUE INDEX idx_mirror_place_url ON mirrors (channel_id, subchannel_id, url);
CREATE INDEX idx_mirrors_due ON mirrors (next_run_at);

CREATE TABLE mirror_runs (
    id bigserial CONSTRAINT mirror_runs_pkey PRIMARY KEY,
    mirror_id bigint NOT NULL CONSTRAINT fk_mirror_runs_mirror REFERENCES mirrors (id) ON DELETE CASCADE,
    trigger character varying(16) NOT NULL,
    status character varying(16) NOT NULL,
    added bigint NOT NULL DEFAULT 0,
    removed bigint NOT NULL DEFAULT 0,
    unchanged bigint NOT NULL DEFAULT 0,
    refused bigint NOT NULL DEFAULT 0,
    requests bigint NOT NULL DEFAULT 0,
    not_modified bigint NOT NULL DEFAULT 0,
    refusals text NOT NULL DEFAULT '[]',
    error text NOT NULL DEFAULT '',
    started_at timestamp with time zone NOT NULL,
    finished_at timestamp with time zone,
    duration_ms bigint NOT NULL DEFAULT 0
);
CREATE INDEX idx_mirror_runs_mirror ON mirror_runs (mirror_id, id);

ALTER TABLE artifacts ADD COLUMN mirror_id bigint NOT NULL DEFAULT 0;
CREATE INDEX idx_artifacts_mirror ON artifacts (mirror_id);

-- +goose Down
DROP INDEX idx_artifacts_mirror;
ALTER TABLE artifacts DROP COLUMN mirror_id;
DROP TABLE mirror_runs;
DROP TABLE mirrors;
