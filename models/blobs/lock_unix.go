//go:build unix

package blobs

import (
	"os"
	"syscall"
	"time"
)

// lockFile takes an exclusive lock on f, held until f is closed.
func lockFile(f *os.File) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
}

// lockFree reports whether nobody holds f's lock (taking it, until f is
// closed). A lock is per open file, so this also sees this process's own
// uploads as running.
func lockFree(f *os.File, _ time.Time) bool {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil
}
