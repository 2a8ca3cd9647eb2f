package blobs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// FileStore keeps blobs in a directory (shared by every instance when there
// are several): <dir>/ab/abcdef…, staged in <dir>/.staging on the same
// filesystem so a blob is put in place by a hard link.
type FileStore struct{ Dir string }

// NewFileStore opens (creating) the directory.
func NewFileStore(dir string) (*FileStore, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("blobs: unable to create %s: %w", dir, err)
	}
	return &FileStore{Dir: dir}, nil
}

func (b *FileStore) String() string { return "file:" + b.Dir }

func (b *FileStore) stagingDir() string { return filepath.Join(b.Dir, ".staging") }

// Path is where the blob with this SHA256 lives.
func (b *FileStore) Path(sha string) string {
	return filepath.Join(b.Dir, filepath.FromSlash(relPath(sha)))
}

// Stage implements Store.
func (b *FileStore) Stage(r io.Reader, max int64) (*Staged, error) {
	return stage(b.stagingDir(), r, max)
}

// Put links the staged file into place: atomic, and the staged copy stays.
func (b *FileStore) Put(_ context.Context, st *Staged) (bool, error) {
	dst := b.Path(st.SHA256)
	if _, err := os.Stat(dst); err == nil {
		return false, nil
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return false, fmt.Errorf("blobs: unable to create a blob directory: %w", err)
	}
	if err := os.Link(st.Name(), dst); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return false, nil
		}
		return false, fmt.Errorf("blobs: unable to put a blob in place: %w", err)
	}
	syncDir(filepath.Dir(dst))
	return true, nil
}

// Open implements Store.
func (b *FileStore) Open(_ context.Context, sha string, _ int64) (Reader, error) {
	if !ValidSHA(sha) {
		return nil, notExist(sha)
	}
	f, err := os.Open(b.Path(sha))
	if err != nil {
		return nil, err
	}
	return fileReader{f}, nil
}

type fileReader struct{ f *os.File }

func (r fileReader) Read(p []byte) (int, error)                { return r.f.Read(p) }
func (r fileReader) Seek(off int64, whence int) (int64, error) { return r.f.Seek(off, whence) }
func (r fileReader) Close() error                              { return r.f.Close() }
func (fileReader) Ready() error                                { return nil }

// OSFile is the open file, so a download can be sent with sendfile.
func (r fileReader) OSFile() *os.File { return r.f }

// Stat implements Store.
func (b *FileStore) Stat(_ context.Context, sha string) (Info, error) {
	if !ValidSHA(sha) {
		return Info{}, notExist(sha)
	}
	fi, err := os.Stat(b.Path(sha))
	if err != nil {
		return Info{}, err
	}
	return Info{SHA256: sha, Size: fi.Size(), Modified: fi.ModTime()}, nil
}

// Remove implements Store.
func (b *FileStore) Remove(_ context.Context, sha string) error {
	if !ValidSHA(sha) {
		return nil
	}
	if err := os.Remove(b.Path(sha)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("blobs: unable to remove a blob: %w", err)
	}
	return nil
}

// Walk implements Store: every <dir>/ab/<sha> whose name is a SHA256.
func (b *FileStore) Walk(ctx context.Context, fn func(Info) error) error {
	tops, err := os.ReadDir(b.Dir)
	if err != nil {
		return fmt.Errorf("blobs: unable to list %s: %w", b.Dir, err)
	}
	for _, top := range tops {
		if !top.IsDir() || len(top.Name()) != 2 {
			continue
		}
		ds, err := os.ReadDir(filepath.Join(b.Dir, top.Name()))
		if err != nil {
			return fmt.Errorf("blobs: unable to list %s: %w", b.Dir, err)
		}
		for _, d := range ds {
			if err := ctx.Err(); err != nil {
				return err
			}
			if !ValidSHA(d.Name()) || d.Name()[:2] != top.Name() || !d.Type().IsRegular() {
				continue
			}
			fi, err := d.Info()
			if err != nil {
				continue // removed meanwhile
			}
			if err := fn(Info{SHA256: d.Name(), Size: fi.Size(), Modified: fi.ModTime()}); err != nil {
				return err
			}
		}
	}
	return nil
}

// SweepStaging implements Store.
func (b *FileStore) SweepStaging() Freed { return sweepStaging(b.stagingDir()) }

// Check implements Store: the directory is there.
func (b *FileStore) Check(context.Context) error {
	_, err := os.Stat(b.Dir)
	return err
}

// syncDir makes a new directory entry durable; failure only weakens durability.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}
