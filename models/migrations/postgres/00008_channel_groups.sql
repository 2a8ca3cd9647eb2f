-- Channel groups (a named set of channels; grants and resource tokens on a
-- group reach each member) and subchannel groups (a named set of one
-- channel's subchannels; resource tokens on one reach each member).
-- Grants on channel groups live in grants with resource_type 'group'.

-- +goose Up
CREATE TABLE channel_groups (
    id bigserial CONSTRAINT channel_groups_pkey PRIMARY KEY,
    name character varying(100) NOT NULL,
    description character varying(1000) NOT NULL DEFAULT '',
    created_at timestamp with time zone,
    updated_at timestamp with time zone
);
CREATE UNIQUE INDEX idx_channel_groups_name ON channel_groups (name);

CREATE TABLE channel_group_members (
    group_id bigint NOT NULL CONSTRAINT fk_channel_group_members_group REFERENCES channel_groups (id) ON DELETE CASCADE,
    channel_id bigint NOT NULL CONSTRAINT fk_channel_group_members_channel REFERENCES channels (id) ON DELETE CASCADE,
    CONSTRAINT channel_group_members_pkey PRIMARY KEY (group_id, channel_id)
);
CREATE INDEX idx_channel_group_members_channel ON channel_group_members (channel_id);

CREATE TABLE subchannel_groups (
    id bigserial CONSTRAINT subchannel_groups_pkey PRIMARY KEY,
    channel_id bigint NOT NULL CONSTRAINT fk_subchannel_groups_channel REFERENCES channels (id) ON DELETE CASCADE,
    name character varying(100) NOT NULL,
    created_at timestamp with time zone,
    updated_at timestamp with time zone
);
CREATE UNIQUE INDEX idx_subchannel_groups_name ON subchannel_groups (channel_id, name);

CREATE TABLE subchannel_group_members (
    group_id bigint NOT NULL CONSTRAINT fk_subchannel_group_members_group REFERENCES subchannel_groups (id) ON DELETE CASCADE,
    subchannel_id bigint NOT NULL CONSTRAINT fk_subchannel_group_members_sub REFERENCES subchannels (id) ON DELETE CASCADE,
    CONSTRAINT subchannel_group_members_pkey PRIMARY KEY (group_id, subchannel_id)
);
CREATE INDEX idx_subchannel_group_members_sub ON subchannel_group_members (subchannel_id);

-- +goose Down
DELETE FROM grants WHERE resource_type = 'group';
DROP TABLE subchannel_group_members;
DROP TABLE subchannel_groups;
DROP TABLE channel_group_members;
DROP TABLE channel_groups;
