// Package blobs stores artifact files content-addressed by SHA256 under one
// directory (shared by every instance). Files are staged in that directory,
// synced and renamed into place, so a blob is either whole or absent.
package blobs

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
)

// ErrTooLarge is returned when staged content exceeds its limit.
var ErrTooLarge = errors.New("blobs: content exceeds the size limit")

// Store is a directory of blobs.
type Store struct{ Dir string }

// Staged is content written to a temporary file and hashed, not yet a blob.
type Staged struct {
	f      *os.File
	SHA256 string
	MD5    string
	Size   int64
}

// ReaderAt exposes the staged content for inspection.
func (s *Staged) ReaderAt() io.ReaderAt { return s.f }

// Discard removes the temporary file; safe to call more than once.
func (s *Staged) Discard() {
	if s.f == nil {
		return
	}
	name := s.f.Name()
	s.f.Close()
	os.Remove(name)
	s.f = nil
}

var shaRE = regexp.MustCompile(`^[0-9a-f]{64}$`)

// Path is where the blob with this SHA256 lives.
func (b *Store) Path(sha string) string {
	return filepath.Join(b.Dir, sha[:2], sha)
}

// Stage copies at most max bytes of r into a temporary file beside the blobs,
// hashing as it goes. More than max bytes is ErrTooLarge; nothing is left behind
// on any error.
func (b *Store) Stage(r io.Reader, max int64) (*Staged, error) {
	if err := os.MkdirAll(b.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("blobs: unable to create %s: %w", b.Dir, err)
	}
	f, err := os.CreateTemp(b.Dir, ".upload-*")
	if err != nil {
		return nil, fmt.Errorf("blobs: unable to stage: %w", err)
	}
	st := &Staged{f: f}
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

// Commit moves staged content into place under its SHA256. created is false
// when the blob existed already (the staged copy is then dropped). The
// staged file is gone afterwards either way.
func (b *Store) Commit(st *Staged) (created bool, err error) {
	defer st.Discard()
	dst := b.Path(st.SHA256)
	if _, err := os.Stat(dst); err == nil {
		return false, nil
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return false, fmt.Errorf("blobs: unable to create a blob directory: %w", err)
	}
	if err := os.Rename(st.f.Name(), dst); err != nil {
		return false, fmt.Errorf("blobs: unable to move a blob into place: %w", err)
	}
	syncDir(filepath.Dir(dst))
	return true, nil
}

// Open opens a blob for reading.
func (b *Store) Open(sha string) (*os.File, error) {
	if !shaRE.MatchString(sha) {
		return nil, os.ErrNotExist
	}
	return os.Open(b.Path(sha))
}

// Remove deletes a blob; a missing one is not an error.
func (b *Store) Remove(sha string) error {
	if !shaRE.MatchString(sha) {
		return nil
	}
	if err := os.Remove(b.Path(sha)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("blobs: unable to remove a blob: %w", err)
	}
	return nil
}

// syncDir makes a rename durable; failure only weakens durability.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}
