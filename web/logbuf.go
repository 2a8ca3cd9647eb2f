package web

import (
	"bufio"
	"io"
	"sync"
	"time"
)

// LogBuffer batches log lines: one write every few milliseconds instead of
// one per request (the request log writes a line for each), as nginx's
// buffered access log does. Lines reach the writer within the flush
// interval, at once when the buffer fills, and on Close.
type LogBuffer struct {
	mu   sync.Mutex
	w    *bufio.Writer
	stop chan struct{}
	done chan struct{}
}

// NewLogBuffer buffers w, flushing every interval.
func NewLogBuffer(w io.Writer, interval time.Duration) *LogBuffer {
	b := &LogBuffer{w: bufio.NewWriterSize(w, 64<<10), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(b.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				b.Flush()
			case <-b.stop:
				b.Flush()
				return
			}
		}
	}()
	return b
}

// Write buffers p (one log line: slog writes each line whole).
func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.w.Write(p)
}

// Flush writes what is buffered.
func (b *LogBuffer) Flush() {
	b.mu.Lock()
	defer b.mu.Unlock()
	_ = b.w.Flush()
}

// Close flushes and stops the timer.
func (b *LogBuffer) Close() {
	select {
	case <-b.stop:
	default:
		close(b.stop)
	}
	<-b.done
}
