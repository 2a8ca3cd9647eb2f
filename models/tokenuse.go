package models

import (
	"context"
	"sync"
	"time"
)

// tokenUsage batches "last used" times in memory so a token check never
// writes the database. A background flush writes them every
// tokenUseFlushEvery (one UPDATE per token used since the last flush), and
// Store.Close flushes what is left, so a graceful shutdown loses nothing.
// Several instances each flush their own uses; the latest time wins closely
// enough for a "last used" column.
type tokenUsage struct {
	mu      sync.Mutex
	pending map[uint]time.Time
	start   sync.Once
	halt    sync.Once // closes stop exactly once, however many Close calls race
	stop    chan struct{}
	done    chan struct{}
}

const tokenUseFlushEvery = 5 * time.Second

func newTokenUsage() *tokenUsage {
	return &tokenUsage{pending: map[uint]time.Time{}, stop: make(chan struct{}), done: make(chan struct{})}
}

// touch notes that token id was used at t.
func (u *tokenUsage) touch(id uint, t time.Time) {
	u.mu.Lock()
	if t.After(u.pending[id]) {
		u.pending[id] = t
	}
	u.mu.Unlock()
}

func (u *tokenUsage) take() map[uint]time.Time {
	u.mu.Lock()
	defer u.mu.Unlock()
	p := u.pending
	u.pending = map[uint]time.Time{}
	return p
}

// startFlushing runs the periodic flush until Close.
func (s *Store) startFlushing() {
	s.usage.start.Do(func() {
		go func() {
			defer close(s.usage.done)
			tick := time.NewTicker(tokenUseFlushEvery)
			defer tick.Stop()
			for {
				select {
				case <-tick.C:
					_ = s.FlushTokenUse(context.Background())
				case <-s.usage.stop:
					return
				}
			}
		}()
	})
}

// FlushTokenUse writes the batched last-used times. A use that cannot be
// written goes back into the batch for the next flush.
func (s *Store) FlushTokenUse(ctx context.Context) error {
	var first error
	for id, t := range s.usage.take() {
		err := s.db.WithContext(quiet(ctx)).Model(&Token{}).Where("id = ? AND (last_used_at IS NULL OR last_used_at < ?)", id, t).
			UpdateColumn("last_used_at", t).Error
		if err != nil {
			s.usage.touch(id, t)
			if first == nil {
				first = err
			}
		}
	}
	return first
}

// stopFlushing ends the background flush and writes what is pending.
func (s *Store) stopFlushing() {
	started := true
	s.usage.start.Do(func() { started = false })
	if started {
		s.usage.halt.Do(func() { close(s.usage.stop) })
		<-s.usage.done
	}
	_ = s.FlushTokenUse(context.Background())
}
