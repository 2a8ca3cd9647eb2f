-- What a package says about itself in info/about.json, for channeldata.

-- +goose Up
ALTER TABLE artifacts ADD COLUMN summary text NOT NULL DEFAULT '';
ALTER TABLE artifacts ADD COLUMN home text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE artifacts DROP COLUMN home;
ALTER TABLE artifacts DROP COLUMN summary;
