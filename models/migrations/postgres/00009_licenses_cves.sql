-- Package policy: licenses admins block, vulnerability records imported in
-- OSV format, and annotations that a record does not affect a package.

-- +goose Up
CREATE TABLE blocked_licenses (
    id bigserial CONSTRAINT blocked_licenses_pkey PRIMARY KEY,
    license character varying(255) NOT NULL,
    reason text NOT NULL,
    blocked_by bigint CONSTRAINT fk_blocked_licenses_user REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamp with time zone NOT NULL
);
CREATE UNIQUE INDEX idx_blocked_licenses_license ON blocked_licenses (license);

CREATE TABLE vulnerabilities (
    id bigserial CONSTRAINT vulnerabilities_pkey PRIMARY KEY,
    osv_id character varying(100) NOT NULL,
    aliases text NOT NULL DEFAULT '[]',
    summary text NOT NULL DEFAULT '',
    details text NOT NULL DEFAULT '',
    severity integer NOT NULL,
    rated boolean NOT NULL DEFAULT false,
    score double precision NOT NULL DEFAULT 0,
    vector character varying(255) NOT NULL DEFAULT '',
    affected text NOT NULL DEFAULT '[]',
    withdrawn boolean NOT NULL DEFAULT false,
    published timestamp with time zone,
    modified timestamp with time zone,
    source character varying(500) NOT NULL DEFAULT '',
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL
);
CREATE UNIQUE INDEX idx_vulnerabilities_osv_id ON vulnerabilities (osv_id);

CREATE TABLE vulnerability_annotations (
    id bigserial CONSTRAINT vulnerability_annotations_pkey PRIMARY KEY,
    vulnerability_id bigint NOT NULL CONSTRAINT fk_vulnerability_annotations_vulnerability REFERENCES vulnerabilities (id) ON DELETE CASCADE,
    package character varying(255) NOT NULL,
    status character varying(20) NOT NULL,
    reason text NOT NULL,
    user_id bigint CONSTRAINT fk_vulnerability_annotations_user REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL
);
CREATE UNIQUE INDEX idx_vulnerability_annotations_package ON vulnerability_annotations (vulnerability_id, package);

-- +goose Down
DROP TABLE vulnerability_annotations;
DROP TABLE vulnerabilities;
DROP TABLE blocked_licenses;
