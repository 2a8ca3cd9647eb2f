package web

import (
	"sync"
	"time"
)

// Throttle slows down guessing, following OWASP's advice: failures count
// per key, and once a key has used its allowance it must wait, twice as
// long after each further failure (up to a cap). Only failures count, and
// a success clears its key, so people who type their password right are
// never slowed down — and a key that names an account *and* an address
// means an attacker elsewhere cannot lock the real owner out.
type Throttle struct {
	mu      sync.Mutex
	allow   int           // failures before waiting starts
	base    time.Duration // first wait
	max     time.Duration // longest wait
	forget  time.Duration // a key idle this long starts afresh
	entries map[string]*throttleEntry
	now     func() time.Time
}

type throttleEntry struct {
	failures int
	until    time.Time // no attempt before this
	last     time.Time
}

// NewThrottle allows allow failures per key, then waits base, doubling per
// failure up to max; a key idle for forget starts afresh.
func NewThrottle(allow int, base, max, forget time.Duration) *Throttle {
	return &Throttle{allow: allow, base: base, max: max, forget: forget, entries: map[string]*throttleEntry{}, now: time.Now}
}

// Configure changes the allowance and the waits from now on (admins tune
// them at run time); waits already running keep their end.
func (t *Throttle) Configure(allow int, base, max time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.allow, t.base, t.max = allow, base, max
}

// Wait is how long key must wait before its next attempt (0: go ahead).
func (t *Throttle) Wait(key string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.entry(key, false)
	if e == nil {
		return 0
	}
	return max(0, e.until.Sub(t.now()))
}

// Fail counts one failure for key.
func (t *Throttle) Fail(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.entry(key, true)
	e.failures++
	e.last = t.now()
	if over := e.failures - t.allow; over >= 0 {
		wait := t.max
		if over < 20 {
			wait = min(t.max, t.base<<over)
		}
		e.until = e.last.Add(wait)
	}
}

// Succeed clears key: its owner got in.
func (t *Throttle) Succeed(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.entries, key)
}

// entry returns key's entry, starting afresh when it has been idle; the
// caller holds mu.
func (t *Throttle) entry(key string, create bool) *throttleEntry {
	now := t.now()
	e := t.entries[key]
	if e != nil && now.Sub(e.last) > t.forget && !now.Before(e.until) {
		delete(t.entries, key)
		e = nil
	}
	if e == nil && create {
		if len(t.entries) > 100_000 {
			t.prune(now)
		}
		e = &throttleEntry{}
		t.entries[key] = e
	}
	return e
}

func (t *Throttle) prune(now time.Time) {
	for k, e := range t.entries {
		if now.Sub(e.last) > t.forget && !now.Before(e.until) {
			delete(t.entries, k)
		}
	}
}
