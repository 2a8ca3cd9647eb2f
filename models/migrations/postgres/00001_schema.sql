-- The schema of the first release, exactly as it created it. Every
-- statement is IF NOT EXISTS, so a database that release made is adopted
-- unchanged and a new one gets the same tables.

-- +goose Up
CREATE TABLE IF NOT EXISTS roles (
    id bigserial CONSTRAINT roles_pkey PRIMARY KEY,
    name character varying(100) NOT NULL,
    built_in boolean DEFAULT false NOT NULL,
    created_at timestamp with time zone
);
CREATE UNIQUE INDEX IF NOT EXISTS idx_roles_name ON roles (name);

CREATE TABLE IF NOT EXISTS users (
    id bigserial CONSTRAINT users_pkey PRIMARY KEY,
    email character varying(254) NOT NULL,
    password_hash character varying(100) NOT NULL,
    disabled boolean DEFAULT false NOT NULL,
    created_at timestamp with time zone,
    updated_at timestamp with time zone
);
CREATE UNIQUE INDEX IF NOT EXISTS idx_users_email ON users (email);

CREATE TABLE IF NOT EXISTS teams (
    id bigserial CONSTRAINT teams_pkey PRIMARY KEY,
    name character varying(100) NOT NULL,
    description character varying(1000),
    created_at timestamp with time zone
);
CREATE UNIQUE INDEX IF NOT EXISTS idx_teams_name ON teams (name);

CREATE TABLE IF NOT EXISTS team_members (
    team_id bigint NOT NULL CONSTRAINT fk_team_members_team REFERENCES teams (id),
    user_id bigint NOT NULL CONSTRAINT fk_team_members_user REFERENCES users (id),
    CONSTRAINT team_members_pkey PRIMARY KEY (team_id, user_id)
);

CREATE TABLE IF NOT EXISTS user_roles (
    user_id bigint NOT NULL CONSTRAINT fk_user_roles_user REFERENCES users (id),
    role_id bigint NOT NULL CONSTRAINT fk_user_roles_role REFERENCES roles (id),
    CONSTRAINT user_roles_pkey PRIMARY KEY (user_id, role_id)
);

CREATE TABLE IF NOT EXISTS grants (
    id bigserial CONSTRAINT grants_pkey PRIMARY KEY,
    resource_type character varying(16) NOT NULL,
    resource_id bigint NOT NULL,
    level character varying(8) NOT NULL,
    principal_kind character varying(8) NOT NULL,
    principal_id bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_grant_principal ON grants (principal_kind, principal_id);
CREATE UNIQUE INDEX IF NOT EXISTS idx_grant_unique ON grants (resource_type, resource_id, level, principal_kind, principal_id);

CREATE TABLE IF NOT EXISTS audit_events (
    id bigserial CONSTRAINT audit_events_pkey PRIMARY KEY,
    at timestamp with time zone NOT NULL,
    actor_id bigint,
    actor_email character varying(254),
    action character varying(64) NOT NULL,
    target character varying(300),
    details text,
    ip character varying(64)
);
CREATE INDEX IF NOT EXISTS idx_audit_events_action ON audit_events (action);
CREATE INDEX IF NOT EXISTS idx_audit_events_actor_email ON audit_events (actor_email);
CREATE INDEX IF NOT EXISTS idx_audit_events_actor_id ON audit_events (actor_id);
CREATE INDEX IF NOT EXISTS idx_audit_events_at ON audit_events (at);

CREATE TABLE IF NOT EXISTS settings (
    key character varying(64) NOT NULL CONSTRAINT settings_pkey PRIMARY KEY,
    value text NOT NULL
);

CREATE TABLE IF NOT EXISTS channels (
    id bigserial CONSTRAINT channels_pkey PRIMARY KEY,
    name character varying(100) NOT NULL,
    description character varying(1000),
    public boolean DEFAULT false NOT NULL,
    generation bigint DEFAULT 0 NOT NULL,
    created_at timestamp with time zone,
    updated_at timestamp with time zone
);
CREATE UNIQUE INDEX IF NOT EXISTS idx_channels_name ON channels (name);

CREATE TABLE IF NOT EXISTS subchannels (
    id bigserial CONSTRAINT subchannels_pkey PRIMARY KEY,
    channel_id bigint NOT NULL,
    name character varying(100) NOT NULL,
    created_at timestamp with time zone
);
CREATE UNIQUE INDEX IF NOT EXISTS idx_sub_name ON subchannels (channel_id, name);

CREATE TABLE IF NOT EXISTS artifacts (
    id bigserial CONSTRAINT artifacts_pkey PRIMARY KEY,
    channel_id bigint NOT NULL,
    subchannel_id bigint DEFAULT 0 NOT NULL,
    subdir character varying(32) NOT NULL,
    filename character varying(255) NOT NULL,
    name character varying(255) NOT NULL,
    version character varying(100) NOT NULL,
    build character varying(255) NOT NULL,
    build_number bigint NOT NULL,
    depends text DEFAULT '[]' NOT NULL,
    constrains text DEFAULT '[]' NOT NULL,
    extra text DEFAULT '{}' NOT NULL,
    license character varying(255),
    license_family character varying(100),
    "timestamp" bigint DEFAULT 0 NOT NULL,
    size bigint NOT NULL,
    md5 character varying(32) NOT NULL,
    sha256 character varying(64) NOT NULL,
    uploader_id bigint,
    created_at timestamp with time zone
);
CREATE UNIQUE INDEX IF NOT EXISTS idx_artifact_place ON artifacts (channel_id, subchannel_id, subdir, filename);
CREATE INDEX IF NOT EXISTS idx_artifact_subdir ON artifacts (channel_id, subchannel_id, subdir);
CREATE INDEX IF NOT EXISTS idx_artifacts_name ON artifacts (name);
CREATE INDEX IF NOT EXISTS idx_artifacts_sha256 ON artifacts (sha256);

CREATE TABLE IF NOT EXISTS pages (
    id bigserial CONSTRAINT pages_pkey PRIMARY KEY,
    identifier character varying(100) NOT NULL,
    title character varying(200) NOT NULL,
    icon character varying(32) DEFAULT '' NOT NULL,
    locked boolean DEFAULT false NOT NULL,
    widgets text NOT NULL,
    created_at timestamp with time zone,
    updated_at timestamp with time zone
);
CREATE UNIQUE INDEX IF NOT EXISTS idx_pages_identifier ON pages (identifier);

CREATE TABLE IF NOT EXISTS tokens (
    id bigserial CONSTRAINT tokens_pkey PRIMARY KEY,
    user_id bigint NOT NULL CONSTRAINT fk_tokens_user REFERENCES users (id) ON DELETE CASCADE,
    name character varying(100) NOT NULL,
    description character varying(1000),
    kind character varying(16) NOT NULL,
    resources text DEFAULT '[]' NOT NULL,
    scopes text DEFAULT '[]' NOT NULL,
    hash character varying(64) NOT NULL,
    hint character varying(8) NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    last_used_at timestamp with time zone,
    created_at timestamp with time zone,
    updated_at timestamp with time zone
);
CREATE UNIQUE INDEX IF NOT EXISTS idx_tokens_hash ON tokens (hash);
CREATE UNIQUE INDEX IF NOT EXISTS idx_token_owner_name ON tokens (user_id, name);

-- +goose Down
-- The first schema is never taken down: that would drop every table.
SELECT 1;
