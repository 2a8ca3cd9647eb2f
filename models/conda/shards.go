package conda

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/vmihailenco/msgpack/v5"
)

// Sharded repodata (CEP-16): per subdir an index, repodata_shards.msgpack.zst,
// maps each package name to the sha256 of its shard; a shard is
// <sha256 hex>.msgpack.zst holding every build of one name, with the same
// records as repodata.json except that sha256 and md5 are raw bytes.

// ShardIndexFile is the shard index's file name inside a subdir.
const ShardIndexFile = "repodata_shards.msgpack.zst"

// ShardsDir is where shards live, relative to the index (shards_base_url).
const ShardsDir = "shards/"

// ShardSuffix ends every shard's file name.
const ShardSuffix = ".msgpack.zst"

// ParseShardName reads "<64 hex digits>.msgpack.zst"; anything else is not
// a shard name.
func ParseShardName(file string) (sum [32]byte, ok bool) {
	hexPart, found := bytes.CutSuffix([]byte(file), []byte(ShardSuffix))
	if !found || len(hexPart) != 64 {
		return sum, false
	}
	for _, c := range hexPart {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') { // lower-case only: one name per shard
			return sum, false
		}
	}
	if _, err := hex.Decode(sum[:], hexPart); err != nil {
		return sum, false
	}
	return sum, true
}

// shardRecord is a record as a shard holds it: hashes as bytes.
type shardRecord struct {
	Build         string   `msgpack:"build"`
	BuildNumber   int      `msgpack:"build_number"`
	Constrains    []string `msgpack:"constrains,omitempty"`
	Depends       []string `msgpack:"depends"`
	Features      string   `msgpack:"features,omitempty"`
	License       string   `msgpack:"license,omitempty"`
	LicenseFamily string   `msgpack:"license_family,omitempty"`
	MD5           []byte   `msgpack:"md5"`
	Name          string   `msgpack:"name"`
	Noarch        any      `msgpack:"noarch,omitempty"`
	SHA256        []byte   `msgpack:"sha256"`
	Size          int64    `msgpack:"size"`
	Subdir        string   `msgpack:"subdir"`
	Timestamp     int64    `msgpack:"timestamp,omitempty"`
	TrackFeatures string   `msgpack:"track_features,omitempty"`
	Version       string   `msgpack:"version"`
}

func toShardRecord(r *Record) (shardRecord, error) {
	out := shardRecord{
		Build: r.Build, BuildNumber: r.BuildNumber, Constrains: r.Constrains, Depends: r.Depends,
		Features: r.Features, License: r.License, LicenseFamily: r.LicenseFamily, Name: r.Name,
		Size: r.Size, Subdir: r.Subdir, Timestamp: r.Timestamp, TrackFeatures: r.TrackFeatures, Version: r.Version,
	}
	if out.Depends == nil {
		out.Depends = []string{}
	}
	var err error
	if out.MD5, err = hex.DecodeString(r.MD5); err != nil {
		return out, fmt.Errorf("conda: md5 of %s is not hex", r.Name)
	}
	if out.SHA256, err = hex.DecodeString(r.SHA256); err != nil {
		return out, fmt.Errorf("conda: sha256 of %s is not hex", r.Name)
	}
	if len(r.Noarch) > 0 {
		if err := json.Unmarshal(r.Noarch, &out.Noarch); err != nil {
			return out, fmt.Errorf("conda: noarch of %s: %w", r.Name, err)
		}
	}
	return out, nil
}

// EncodeShard encodes the shard of one package name (files all of that
// name, sorted by file name) and returns its zstd bytes and their sha256.
func EncodeShard(files []File) ([]byte, [32]byte, error) {
	var buf bytes.Buffer
	enc := msgpack.NewEncoder(&buf)
	var tars, condas []*File
	for i := range files {
		switch FormatOf(files[i].Filename) {
		case TarBz2:
			tars = append(tars, &files[i])
		case Conda:
			condas = append(condas, &files[i])
		}
	}
	err := enc.EncodeMapLen(3)
	for _, sec := range []struct {
		key   string
		files []*File
	}{{"packages", tars}, {"packages.conda", condas}} {
		if err == nil {
			err = encodeRecords(enc, sec.key, sec.files)
		}
	}
	if err == nil {
		err = enc.EncodeString("removed")
	}
	if err == nil {
		err = enc.EncodeArrayLen(0)
	}
	if err != nil {
		return nil, [32]byte{}, err
	}
	zst := bytes.Clone(zstdEncoder().EncodeAll(buf.Bytes(), nil))
	return zst, sha256.Sum256(zst), nil
}

func encodeRecords(enc *msgpack.Encoder, key string, files []*File) error {
	if err := enc.EncodeString(key); err != nil {
		return err
	}
	if err := enc.EncodeMapLen(len(files)); err != nil {
		return err
	}
	for _, f := range files {
		rec, err := toShardRecord(&f.Record)
		if err != nil {
			return err
		}
		if err := enc.EncodeString(f.Filename); err != nil {
			return err
		}
		if err := enc.Encode(&rec); err != nil {
			return err
		}
	}
	return nil
}

// ShardEntry is one line of the shard index.
type ShardEntry struct {
	Name string
	Hash [32]byte
}

// EncodeShardIndex encodes the shard index of subdir: entries sorted by
// name, created is when the subdir last changed. Package files are found
// beside the index (base_url "./"), shards under ShardsDir.
func EncodeShardIndex(subdir string, created time.Time, entries []ShardEntry) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(64 + len(entries)*48)
	enc := msgpack.NewEncoder(&buf)
	err := enc.EncodeMapLen(3)
	put := func(fn func() error) {
		if err == nil {
			err = fn()
		}
	}
	put(func() error { return enc.EncodeString("version") })
	put(func() error { return enc.EncodeInt(1) })
	put(func() error { return enc.EncodeString("info") })
	put(func() error { return enc.EncodeMapLen(4) })
	for _, kv := range [][2]string{
		{"base_url", "./"},
		{"shards_base_url", "./" + ShardsDir},
		{"subdir", subdir},
		{"created_at", created.UTC().Format(time.RFC3339)},
	} {
		put(func() error { return enc.EncodeString(kv[0]) })
		put(func() error { return enc.EncodeString(kv[1]) })
	}
	put(func() error { return enc.EncodeString("shards") })
	put(func() error { return enc.EncodeMapLen(len(entries)) })
	for i := range entries {
		put(func() error { return enc.EncodeString(entries[i].Name) })
		put(func() error { return enc.EncodeBytes(entries[i].Hash[:]) })
	}
	if err != nil {
		return nil, err
	}
	return bytes.Clone(zstdEncoder().EncodeAll(buf.Bytes(), make([]byte, 0, buf.Len()))), nil
}
