-- Package names per place and subdir with the channel generation at which
-- each last changed, so a cache re-reads only what changed in its subdir;
-- and an index that reads a subdir's artifacts in name order.

-- +goose Up
CREATE TABLE package_names (
    channel_id bigint NOT NULL CONSTRAINT fk_package_names_channel REFERENCES channels (id) ON DELETE CASCADE,
    subchannel_id bigint NOT NULL,
    subdir varchar(32) NOT NULL,
    name varchar(255) NOT NULL,
    generation bigint NOT NULL,
    CONSTRAINT package_names_pkey PRIMARY KEY (channel_id, subchannel_id, subdir, name)
);
CREATE INDEX idx_pkgname_gen ON package_names (channel_id, subchannel_id, subdir, generation);
CREATE INDEX idx_artifact_names ON artifacts (channel_id, subchannel_id, subdir, name, filename);

-- +goose Down
DROP INDEX idx_artifact_names;
DROP TABLE package_names;
