package handlers

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"gatehouse/models"
	"gatehouse/models/conda"
	"gatehouse/web"
)

// RepodataCache keeps each (channel, subchannel, subdir) in served form:
// shard index, shards and repodata.json in blocks (conda.Subdir), with
// repodata.json.zst and gzip made on first request. An entry is good while
// the channel's generation is unchanged; when it moved, the entry asks the
// database which package names of its own subdir changed since and
// re-encodes only those, so an upload to linux-64 leaves noarch as it is
// and every instance sharing the database sees every change on its next
// request. Builds lock per subdir, never cache-wide.
type RepodataCache struct {
	mu    sync.Mutex
	slots map[repoKey]*repoSlot
	bytes int // encoded bytes held by all slots
	max   int // past it, other slots are dropped

	channeldata channeldataCache
	// Metrics counts hits and misses and times builds (nil: not measured).
	Metrics *web.Metrics
}

type repoKey = models.SubdirKey

// repoSlot is one subdir's place in the cache.
type repoSlot struct {
	build sync.Mutex // one build or update of this subdir at a time
	cur   atomic.Pointer[repoEntry]
	size  int // bytes counted in RepodataCache.bytes; guarded by its mu

	shardMu sync.RWMutex
	shards  map[[32]byte][]byte // current shards and recently replaced ones
	retired []retiredShard      // replaced shards, oldest first
}

// retiredShard is a shard no longer in the index, still served for a while
// to clients holding an index from just before the change (CEP-16).
type retiredShard struct {
	name string
	hash [32]byte
}

const maxRetired = 4096

// repoEntry is a subdir as of a channel generation.
type repoEntry struct {
	chGen int64
	sub   *conda.Subdir
	*forms
}

// forms are the encodings derived from one conda.Subdir, shared by every
// entry of that subdir while it is unchanged.
type forms struct {
	indexETag, jsonETag, zstETag, gzipETag string

	zstOnce, gzOnce sync.Once
	zst, gz         []byte
	zstErr, gzErr   error
}

func newForms(sub *conda.Subdir) *forms {
	sum := sha256.Sum256(sub.Index) // hashed once: the index of a big subdir is a megabyte
	tag := func(kind string) string { return etagOf(append([]byte(kind+"\x00"), sum[:]...)) }
	return &forms{indexETag: tag("index"), jsonETag: tag("json"), zstETag: tag("zst"), gzipETag: tag("gzip")}
}

// NewRepodataCache returns an empty cache.
func NewRepodataCache() *RepodataCache {
	return &RepodataCache{slots: map[repoKey]*repoSlot{}, max: 384 << 20}
}

func (rc *RepodataCache) slot(k repoKey) *repoSlot {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	s := rc.slots[k]
	if s == nil {
		s = &repoSlot{shards: map[[32]byte][]byte{}}
		rc.slots[k] = s
	}
	return s
}

// Get returns the place's subdir as of the channel's generation (read with
// the channel row, before anything here), updating it when stale.
func (rc *RepodataCache) Get(ctx context.Context, store *models.Store, ch *models.Channel, subID uint, subdir string) (*repoEntry, *repoSlot, error) {
	k := repoKey{ChannelID: ch.ID, SubchannelID: subID, Subdir: subdir}
	s := rc.slot(k)
	if e := s.cur.Load(); e != nil && e.chGen >= ch.Generation {
		rc.Metrics.RepodataLookup(true)
		return e, s, nil
	}
	s.build.Lock()
	defer s.build.Unlock()
	old := s.cur.Load()
	if old != nil && old.chGen >= ch.Generation {
		rc.Metrics.RepodataLookup(true) // built by the request this one waited for
		return old, s, nil
	}
	rc.Metrics.RepodataLookup(false)
	start := time.Now()
	next, err := update(ctx, store, k, old)
	if err != nil {
		return nil, nil, err
	}
	rc.Metrics.RepodataBuilt(time.Since(start))
	e := &repoEntry{chGen: ch.Generation, sub: next}
	if old != nil && old.sub == next { // nothing of this subdir changed
		e.forms = old.forms
		s.cur.Store(e)
		return e, s, nil
	}
	e.forms = newForms(next)
	s.swapShards(old, next)
	s.cur.Store(e)
	rc.account(k, s, next.Size())
	return e, s, nil
}

// update builds the subdir from every row, or re-encodes only the names
// changed since old was current.
func update(ctx context.Context, store *models.Store, k repoKey, old *repoEntry) (*conda.Subdir, error) {
	if old == nil { // encode while reading
		names := make(chan conda.NameFiles, 256)
		var readErr error
		go func() {
			defer close(names)
			readErr = store.StreamSubdirFiles(ctx, k, func(name string, files []conda.File) { names <- conda.NameFiles{Name: name, Files: files} })
		}()
		sub, err := conda.BuildSubdir(k.Subdir, names)
		if readErr != nil {
			return nil, readErr
		}
		return sub, err
	}
	names, err := store.ChangedNames(ctx, k, old.chGen)
	if err != nil || len(names) == 0 {
		return old.sub, err
	}
	files, err := store.SubdirFiles(ctx, k, names)
	if err != nil {
		return nil, err
	}
	changes := make(map[string][]conda.File, len(names))
	for _, n := range names {
		changes[n] = files[n] // none left: the name is gone
	}
	return old.sub.Apply(changes)
}

// swapShards makes next's shards servable and retires the ones it
// replaced: only the names next's change touched, so an upload into a big
// subdir costs what that name costs.
func (s *repoSlot) swapShards(old *repoEntry, next *conda.Subdir) {
	s.shardMu.Lock()
	defer s.shardMu.Unlock()
	for _, name := range next.Changed() {
		nm, ok := next.Lookup(name)
		if ok {
			s.shards[nm.Hash] = nm.Shard
		}
		if old == nil {
			continue
		}
		if was, had := old.sub.Lookup(name); had && (!ok || was.Hash != nm.Hash) {
			s.retired = append(s.retired, retiredShard{name, was.Hash})
		}
	}
	for len(s.retired) > maxRetired {
		r := s.retired[0]
		s.retired = s.retired[1:]
		if cur, ok := next.Lookup(r.name); !ok || cur.Hash != r.hash {
			delete(s.shards, r.hash)
		}
	}
}

// shard returns a shard by its hash.
func (s *repoSlot) shard(sum [32]byte) []byte {
	s.shardMu.RLock()
	defer s.shardMu.RUnlock()
	return s.shards[sum]
}

// account records a slot's new size and drops other slots past the bound.
func (rc *RepodataCache) account(k repoKey, s *repoSlot, size int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.setSize(k, s, size)
}

// setSize is account with mu held.
func (rc *RepodataCache) setSize(k repoKey, s *repoSlot, size int) {
	if rc.slots[k] != s {
		return // dropped meanwhile
	}
	rc.bytes += size - s.size
	s.size = size
	for other, os := range rc.slots { // over the bound: drop arbitrary others; rebuilding is cheap
		if rc.bytes <= rc.max {
			break
		}
		if other != k {
			rc.drop(other, os)
		}
	}
}

// drop removes one slot; the caller holds mu.
func (rc *RepodataCache) drop(k repoKey, s *repoSlot) {
	rc.bytes -= s.size
	delete(rc.slots, k)
}

// Forget drops a channel's entries (after the channel is deleted).
func (rc *RepodataCache) Forget(channelID uint) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for k, s := range rc.slots {
		if k.ChannelID == channelID {
			rc.drop(k, s)
		}
	}
}

// zstd returns repodata.json.zst, compressing it on first use.
func (e *repoEntry) zstd(rc *RepodataCache, s *repoSlot) ([]byte, error) {
	e.zstOnce.Do(func() {
		var buf bytes.Buffer
		w, err := zstd.NewWriter(&buf, zstd.WithEncoderConcurrency(1), zstd.WithEncoderLevel(zstd.SpeedDefault))
		if err == nil {
			err = e.sub.WriteJSON(w)
		}
		if err == nil {
			err = w.Close()
		}
		e.zst, e.zstErr = bytes.Clone(buf.Bytes()), err
		rc.addBytes(s, len(e.zst))
	})
	return e.zst, e.zstErr
}

// gzip returns repodata.json gzip-compressed, compressing it on first use.
func (e *repoEntry) gzip(rc *RepodataCache, s *repoSlot) ([]byte, error) {
	e.gzOnce.Do(func() {
		var buf bytes.Buffer
		w, err := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
		if err == nil {
			err = e.sub.WriteJSON(w)
		}
		if err == nil {
			err = w.Close()
		}
		e.gz, e.gzErr = bytes.Clone(buf.Bytes()), err
		rc.addBytes(s, len(e.gz))
	})
	return e.gz, e.gzErr
}

// addBytes counts bytes added to an entry after it was stored.
func (rc *RepodataCache) addBytes(s *repoSlot, n int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for k, cur := range rc.slots {
		if cur == s {
			rc.setSize(k, s, s.size+n)
			return
		}
	}
}

// Bytes is what the cache holds, for tests and benchmarks.
func (rc *RepodataCache) Bytes() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.bytes
}

func etagOf(b []byte) string {
	sum := sha256.Sum256(b)
	return `"` + hex.EncodeToString(sum[:16]) + `"`
}

// acceptsGzip reports whether an Accept-Encoding header allows gzip.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") && strings.TrimSpace(coding) != "*" {
			continue
		}
		q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
		return !slices.Contains([]string{"q=0", "q=0.0", "q=0.00", "q=0.000"}, q)
	}
	return false
}
