package blobs

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// stagingPrefix starts the name of every staging file.
const stagingPrefix = "upload-"

// Staged is content spooled to a local staging file and hashed, not yet a
// blob. While it exists its file is locked, which tells a sweep (in this or
// any other process) that the upload is still running.
type Staged struct {
	f      *os.File
	SHA256 string
	MD5    string
	Size   int64
}

// ReaderAt exposes the staged content for inspection.
func (s *Staged) ReaderAt() io.ReaderAt { return s.f }

// Name is the staging file's path.
func (s *Staged) Name() string { return s.f.Name() }

// Discard removes the staging file; safe to call more than once.
func (s *Staged) Discard() {
	if s == nil || s.f == nil {
		return
	}
	name := s.f.Name()
	os.Remove(name) // before closing, which drops the lock
	s.f.Close()
	s.f = nil
}

// stage copies at most max bytes of r into a new locked file in dir.
func stage(dir string, r io.Reader, max int64) (*Staged, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("blobs: unable to create %s: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, stagingPrefix+"*")
	if err != nil {
		return nil, fmt.Errorf("blobs: unable to stage: %w", err)
	}
	st := &Staged{f: f}
	if err := lockFile(f); err != nil {
		st.Discard()
		return nil, fmt.Errorf("blobs: unable to lock a staging file: %w", err)
	}
	sh, m5 := sha256.New(), md5.New()
	n, err := io.Copy(io.MultiWriter(f, sh, m5), io.LimitReader(r, max+1))
	if err == nil && n > max {
		err = ErrTooLarge
	}
	if err == nil {
		err = f.Sync()
	}
	if err != nil {
		st.Discard()
		return nil, err
	}
	st.SHA256, st.MD5, st.Size = hex.EncodeToString(sh.Sum(nil)), hex.EncodeToString(m5.Sum(nil)), n
	return st, nil
}

// stagingMinAge shields a staging file in the instant between its creation
// and its lock.
const stagingMinAge = time.Minute

// sweepStaging removes the staging files in dir whose upload is no longer
// running: nobody holds their lock (the process that wrote them ended, by a
// crash or kill -9 too).
func sweepStaging(dir string) (freed Freed) {
	ds, err := os.ReadDir(dir)
	if err != nil {
		return freed
	}
	cutoff := time.Now().Add(-stagingMinAge)
	for _, d := range ds {
		if !strings.HasPrefix(d.Name(), stagingPrefix) || !d.Type().IsRegular() {
			continue
		}
		info, err := d.Info()
		if err != nil || info.ModTime().After(cutoff) {
			continue
		}
		if removeUnlocked(filepath.Join(dir, d.Name()), info.ModTime()) {
			freed.StagingFiles++
			freed.StagingBytes += info.Size()
		}
	}
	return freed
}

// removeUnlocked removes path when no upload holds its lock.
func removeUnlocked(path string, modified time.Time) bool {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return false
	}
	defer f.Close()
	if !lockFree(f, modified) {
		return false
	}
	return os.Remove(path) == nil
}
