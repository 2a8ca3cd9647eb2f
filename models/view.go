package models

import (
	"context"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gorm.io/gorm"

	"gatehouse/models/access"
	"gatehouse/models/policy"
)

// view keeps in memory what nearly every request would otherwise ask the
// database for: tokens by hash (and hashes known to be no token), people
// with their roles and teams, channels by name with their grants, and
// subchannels. Every write to a table it draws on invalidates that part,
// here at once and on every other instance through PostgreSQL's
// LISTEN/NOTIFY (listen.go), so a change is seen everywhere within
// milliseconds. While the notification connection is down the view is
// not synced and nothing is served from memory: every request asks the
// database, until the connection is back and the view has been emptied.
type view struct {
	mu       sync.RWMutex
	tokens   map[string]Token           // by hash; User is never set
	unknown  map[string]time.Time       // hashes that are no token, until
	users    map[uint]User              // with Roles and Teams
	channels map[string]Channel         // by name
	acls     map[uint]access.ChannelACL // by channel id
	subs     map[subKey]Subchannel
	policy   *policy.Snapshot // nil until read
	settings *Settings        // nil until read

	// epochs count invalidations per part: a read that raced a change is
	// not kept, so no stale row outlives the change that replaced it.
	epochs [numParts]atomic.Uint64
	synced atomic.Bool
	now    func() time.Time
}

type subKey struct {
	channel uint
	name    string
}

// The parts of the view, one bit each.
const (
	partTokens = 1 << iota
	partUsers
	partChannels
	partACLs
	partSubs
	partPolicy
	partSettings
	numParts = 7
	allParts = 1<<numParts - 1
)

// Bounds on what the view holds; past them a part starts afresh.
const (
	viewMaxEntries = 200_000
	unknownFor     = 30 * time.Second
)

func newView(now func() time.Time) *view {
	v := &view{now: now}
	v.reset(allParts)
	return v
}

// reset empties parts; the caller holds mu or is the constructor.
func (v *view) reset(parts int) {
	if parts&partTokens != 0 {
		v.tokens, v.unknown = map[string]Token{}, map[string]time.Time{}
	}
	if parts&partUsers != 0 {
		v.users = map[uint]User{}
	}
	if parts&partChannels != 0 {
		v.channels = map[string]Channel{}
	}
	if parts&partACLs != 0 {
		v.acls = map[uint]access.ChannelACL{}
	}
	if parts&partSubs != 0 {
		v.subs = map[subKey]Subchannel{}
	}
	if parts&partPolicy != 0 {
		v.policy = nil
	}
	if parts&partSettings != 0 {
		v.settings = nil
	}
}

// invalidate drops parts, bumping their epochs first so reads in flight
// do not put back what they read before the change.
func (v *view) invalidate(parts int) {
	if parts == 0 {
		return
	}
	for i := range numParts {
		if parts&(1<<i) != 0 {
			v.epochs[i].Add(1)
		}
	}
	v.mu.Lock()
	v.reset(parts)
	v.mu.Unlock()
}

// epoch is the state of a part a read starts from; keep it only if the
// part's epoch is the same afterwards.
func (v *view) epoch(part int) uint64 {
	for i := range numParts {
		if part == 1<<i {
			return v.epochs[i].Load()
		}
	}
	return 0
}

func (v *view) current(part int, epoch uint64) bool { return v.synced.Load() && v.epoch(part) == epoch }

// cached looks a key up in one of the view's maps while it is synced.
func cached[K comparable, V any](v *view, m func() map[K]V, k K) (V, bool) {
	var zero V
	if !v.synced.Load() {
		return zero, false
	}
	v.mu.RLock()
	defer v.mu.RUnlock()
	val, ok := m()[k]
	if !ok {
		return zero, false
	}
	return val, true
}

// keep stores a value read at epoch, unless the part changed meanwhile.
func keep[K comparable, V any](v *view, part int, epoch uint64, m func() map[K]V, k K, val V) {
	if !v.current(part, epoch) {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.epoch(part) != epoch {
		return
	}
	mm := m()
	if len(mm) >= viewMaxEntries {
		v.reset(part)
		mm = m()
	}
	mm[k] = val
}

// policySnapshot is the kept package policy, while the view is synced.
func (v *view) policySnapshot() (*policy.Snapshot, bool) {
	if !v.synced.Load() {
		return nil, false
	}
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.policy, v.policy != nil
}

// keepPolicy keeps a snapshot read at epoch, unless the policy changed.
func (v *view) keepPolicy(p *policy.Snapshot, epoch uint64) {
	if !v.current(partPolicy, epoch) {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.epoch(partPolicy) == epoch {
		v.policy = p
	}
}

// knownUnknown reports whether hash was recently found to be no token.
func (v *view) knownUnknown(hash string) bool {
	until, ok := cached(v, func() map[string]time.Time { return v.unknown }, hash)
	return ok && v.now().Before(until)
}

// noteUnknown remembers for a while that hash is no token.
func (v *view) noteUnknown(hash string, epoch uint64) {
	keep(v, partTokens, epoch, func() map[string]time.Time { return v.unknown }, hash, v.now().Add(unknownFor))
}

// cachedSettings returns the run-time settings while the view holds them.
func (v *view) cachedSettings() (Settings, bool) {
	if !v.synced.Load() {
		return Settings{}, false
	}
	v.mu.RLock()
	defer v.mu.RUnlock()
	if v.settings == nil {
		return Settings{}, false
	}
	return *v.settings, true
}

// keepSettings stores settings read at epoch, unless they changed meanwhile.
func (v *view) keepSettings(set Settings, epoch uint64) {
	if !v.current(partSettings, epoch) {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.epoch(partSettings) == epoch {
		v.settings = &set
	}
}

// partsOf says which parts of the view a write to table touches ("" when
// unknown: then all of them).
func partsOf(table string) int {
	switch strings.Trim(table, "`\"") {
	case "tokens":
		return partTokens
	case "users", "user_roles", "team_members", "teams", "roles":
		return partUsers
	case "channels":
		return partChannels
	case "grants", "channel_groups", "channel_group_members", "subchannel_groups", "subchannel_group_members":
		return partACLs
	case "subchannels":
		return partSubs | partChannels
	case "blocked_licenses", "vulnerabilities", "vulnerability_annotations":
		return partPolicy
	case "settings":
		return partSettings
	case "audit_events", "sessions", "pages", "artifacts", "package_names", "goose_db_version", "notices",
		"mirrors", "mirror_runs":
		return 0
	}
	return allParts
}

var writtenTable = regexp.MustCompile(`(?is)^\s*(?:insert\s+into|update|delete\s+from)\s+["` + "`" + `]?(\w+)`)

// changes are the view parts touched in a transaction, applied here once
// it has ended (as well as at once: either way no stale row survives).
type changes struct{ parts int }

type changesKey struct{}

// quietKey marks writes that change nothing the view holds (a token's
// last-used time), so they invalidate nothing.
type quietKey struct{}

func quiet(ctx context.Context) context.Context { return context.WithValue(ctx, quietKey{}, true) }

// watchWrites registers GORM callbacks that invalidate the view after every
// write to a table it draws on, and tell the other instances (listen.go).
func (s *Store) watchWrites() error {
	after := func(name string) func(*gorm.DB) {
		return func(db *gorm.DB) {
			if db.Error != nil {
				return
			}
			table := db.Statement.Table
			if name == "raw" {
				m := writtenTable.FindStringSubmatch(db.Statement.SQL.String())
				if m == nil {
					return // a read
				}
				table = m[1]
			}
			parts := partsOf(table)
			if parts == 0 || db.Statement.Context.Value(quietKey{}) != nil {
				return
			}
			s.view.invalidate(parts)
			if c, ok := db.Statement.Context.Value(changesKey{}).(*changes); ok {
				c.parts |= parts
			}
			s.notifyWrite(db, parts)
		}
	}
	cb := s.db.Callback()
	for _, err := range []error{
		cb.Create().After("gorm:commit_or_rollback_transaction").Register("gatehouse:view", after("create")),
		cb.Update().After("gorm:commit_or_rollback_transaction").Register("gatehouse:view", after("update")),
		cb.Delete().After("gorm:commit_or_rollback_transaction").Register("gatehouse:view", after("delete")),
		cb.Raw().After("gorm:raw").Register("gatehouse:view", after("raw")),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}

// tx runs fn in a transaction, then invalidates what it wrote once more:
// a read that slipped in before the commit cannot outlive it.
func (s *Store) tx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	c := &changes{}
	err := s.db.WithContext(context.WithValue(ctx, changesKey{}, c)).Transaction(fn)
	s.view.invalidate(c.parts)
	return unavailable(err)
}
