package web

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// FailureLimit bounds how fast one address may fail: each address may
// spend burst failures, refilled at every per second. Refusing an address
// over its limit costs nothing, so a flood of made-up tokens costs no more
// than a flood of garbage.
type FailureLimit struct {
	mu      sync.Mutex
	every   rate.Limit
	burst   int
	entries map[string]*rate.Limiter
	pruned  time.Time
}

// NewFailureLimit allows burst failures per address, refilled every per second.
func NewFailureLimit(every float64, burst int) *FailureLimit {
	return &FailureLimit{every: rate.Limit(every), burst: burst, entries: map[string]*rate.Limiter{}}
}

// Over reports whether addr has no failures left.
func (f *FailureLimit) Over(addr string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	l, ok := f.entries[addr]
	return ok && l.Tokens() < 1
}

// Fail spends one failure of addr.
func (f *FailureLimit) Fail(addr string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Now()
	l, ok := f.entries[addr]
	if !ok {
		if len(f.entries) > 100_000 && now.Sub(f.pruned) > time.Second {
			f.prune()
			f.pruned = now
		}
		l = rate.NewLimiter(f.every, f.burst)
		f.entries[addr] = l
	}
	l.Allow()
}

// prune drops addresses whose allowance is full again; the caller holds mu.
func (f *FailureLimit) prune() {
	for k, l := range f.entries {
		if l.Tokens() >= float64(f.burst) {
			delete(f.entries, k)
		}
	}
}
