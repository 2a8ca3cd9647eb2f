package web

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Throttle limits repeated failures per key (an email or an address). Only
// failures spend allowance, so people who type their password right are
// never slowed down.
type Throttle struct {
	mu      sync.Mutex
	every   rate.Limit
	burst   int
	entries map[string]*throttleEntry
}

type throttleEntry struct {
	lim  *rate.Limiter
	seen time.Time
}

// NewThrottle allows burst failures, refilled one per interval.
func NewThrottle(burst int, interval time.Duration) *Throttle {
	return &Throttle{every: rate.Every(interval), burst: burst, entries: map[string]*throttleEntry{}}
}

// Blocked reports whether key has no failures left.
func (t *Throttle) Blocked(key string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.entries[key]
	return ok && e.lim.Tokens() < 1
}

// Fail spends one failure for key.
func (t *Throttle) Fail(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := time.Now()
	e, ok := t.entries[key]
	if !ok {
		if len(t.entries) > 10000 {
			t.prune(now)
		}
		e = &throttleEntry{lim: rate.NewLimiter(t.every, t.burst)}
		t.entries[key] = e
	}
	e.seen = now
	e.lim.Allow()
}

// prune drops keys idle long enough to have refilled completely.
func (t *Throttle) prune(now time.Time) {
	full := time.Duration(float64(t.burst) / float64(t.every) * float64(time.Second))
	for k, e := range t.entries {
		if now.Sub(e.seen) > full {
			delete(t.entries, k)
		}
	}
}
