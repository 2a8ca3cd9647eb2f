package conda

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/klauspost/compress/zstd"
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

// encodeShardRecord writes a record as a shard holds it: the keys of
// repodata.json in the same order, sha256 and md5 as bytes.
func encodeShardRecord(enc *msgpack.Encoder, r *Record) error {
	md5, err := hex.DecodeString(r.MD5)
	if err != nil {
		return fmt.Errorf("conda: md5 of %s is not hex", r.Name)
	}
	sha, err := hex.DecodeString(r.SHA256)
	if err != nil {
		return fmt.Errorf("conda: sha256 of %s is not hex", r.Name)
	}
	var noarch any
	if len(r.Noarch) > 0 {
		if err := json.Unmarshal(r.Noarch, &noarch); err != nil {
			return fmt.Errorf("conda: noarch of %s: %w", r.Name, err)
		}
	}
	n := 9 // build, build_number, depends, md5, name, sha256, size, subdir, version
	for _, set := range []bool{len(r.Constrains) > 0, r.Features != "", r.License != "", r.LicenseFamily != "", noarch != nil, r.Timestamp != 0, r.TrackFeatures != ""} {
		if set {
			n++
		}
	}
	w := msgWriter{enc: enc}
	w.do(func() error { return enc.EncodeMapLen(n) })
	w.str("build", r.Build)
	w.key("build_number")
	w.do(func() error { return enc.EncodeInt(int64(r.BuildNumber)) })
	if len(r.Constrains) > 0 {
		w.strs("constrains", r.Constrains)
	}
	w.strs("depends", r.Depends)
	w.optStr("features", r.Features)
	w.optStr("license", r.License)
	w.optStr("license_family", r.LicenseFamily)
	w.key("md5")
	w.do(func() error { return enc.EncodeBytes(md5) })
	w.str("name", r.Name)
	if noarch != nil {
		w.key("noarch")
		w.do(func() error { return enc.Encode(noarch) })
	}
	w.key("sha256")
	w.do(func() error { return enc.EncodeBytes(sha) })
	w.key("size")
	w.do(func() error { return enc.EncodeInt(r.Size) })
	w.str("subdir", r.Subdir)
	if r.Timestamp != 0 {
		w.key("timestamp")
		w.do(func() error { return enc.EncodeInt(r.Timestamp) })
	}
	w.optStr("track_features", r.TrackFeatures)
	w.str("version", r.Version)
	return w.err
}

// msgWriter keeps the first error of a run of encoder calls.
type msgWriter struct {
	enc *msgpack.Encoder
	err error
}

func (w *msgWriter) do(fn func() error) {
	if w.err == nil {
		w.err = fn()
	}
}
func (w *msgWriter) key(k string) { w.do(func() error { return w.enc.EncodeString(k) }) }
func (w *msgWriter) str(k, v string) {
	w.key(k)
	w.do(func() error { return w.enc.EncodeString(v) })
}
func (w *msgWriter) optStr(k, v string) {
	if v != "" {
		w.str(k, v)
	}
}
func (w *msgWriter) strs(k string, vs []string) {
	w.key(k)
	w.do(func() error { return w.enc.EncodeArrayLen(len(vs)) })
	for _, v := range vs {
		w.do(func() error { return w.enc.EncodeString(v) })
	}
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
	zst := bytes.Clone(shardEncoder().EncodeAll(buf.Bytes(), nil))
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
		if err := enc.EncodeString(f.Filename); err != nil {
			return err
		}
		if err := encodeShardRecord(enc, &f.Record); err != nil {
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
	raw, err := encodeRawIndex(subdir, created, entries)
	if err != nil {
		return nil, err
	}
	return raw.compress(), nil
}

// rawIndex is a shard index before compression, with where each entry's
// hash and the creation time sit, so a change to names that were already
// there patches bytes instead of encoding the whole index again.
type rawIndex struct {
	msg       []byte
	createdAt int   // offset of the created_at value (RFC 3339, fixed width)
	hashAt    []int // offset of each entry's 32-byte hash, in entry order
}

const createdLayout = "2006-01-02T15:04:05Z"

func encodeRawIndex(subdir string, created time.Time, entries []ShardEntry) (*rawIndex, error) {
	var buf bytes.Buffer
	buf.Grow(64 + len(entries)*48)
	enc := msgpack.NewEncoder(&buf)
	out := &rawIndex{hashAt: make([]int, len(entries))}
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
		{"created_at", created.UTC().Format(createdLayout)},
	} {
		put(func() error { return enc.EncodeString(kv[0]) })
		put(func() error { return enc.EncodeString(kv[1]) })
	}
	out.createdAt = buf.Len() - len(createdLayout)
	put(func() error { return enc.EncodeString("shards") })
	put(func() error { return enc.EncodeMapLen(len(entries)) })
	for i := range entries {
		put(func() error { return enc.EncodeString(entries[i].Name) })
		put(func() error { return enc.EncodeBytes(entries[i].Hash[:]) })
		out.hashAt[i] = buf.Len() - 32
	}
	out.msg = buf.Bytes()
	return out, err
}

// patched is a copy of the index with entry i's hash set for every i in
// hashes, and the creation time changed.
func (r *rawIndex) patched(created time.Time, hashes map[int][32]byte) *rawIndex {
	out := &rawIndex{msg: bytes.Clone(r.msg), createdAt: r.createdAt, hashAt: r.hashAt}
	copy(out.msg[r.createdAt:], created.UTC().Format(createdLayout))
	for i, h := range hashes {
		copy(out.msg[r.hashAt[i]:], h[:])
	}
	return out
}

func (r *rawIndex) compress() []byte {
	return bytes.Clone(indexEncoder().EncodeAll(r.msg, make([]byte, 0, len(r.msg))))
}

// indexEncoder compresses shard indexes, re-encoded whole after every
// change: 32 random bytes per name compress at no level, so the fastest
// one costs nothing in size and keeps an upload into a big subdir quick.
var indexEncoder = sync.OnceValue(func() *zstd.Encoder {
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(runtime.GOMAXPROCS(0)), zstd.WithLowerEncoderMem(true))
	if err != nil {
		panic(err) // only on invalid options
	}
	return enc
})

// shardEncoder compresses shards and indexes: small inputs, encoded by as
// many goroutines as there are cores during a build.
var shardEncoder = sync.OnceValue(func() *zstd.Encoder {
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(runtime.GOMAXPROCS(0)), zstd.WithLowerEncoderMem(true))
	if err != nil {
		panic(err) // only on invalid options
	}
	return enc
})
