// Package blobs stores artifact files content-addressed by SHA256, in a
// directory (the zero-setup default) or in an S3-compatible bucket. Uploads
// are spooled to a local staging file and hashed while they stream; only
// content that was validated is put under its final name, so a blob is
// either whole or absent.
package blobs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

var (
	// ErrTooLarge is returned when staged content exceeds its limit.
	ErrTooLarge = errors.New("blobs: content exceeds the size limit")
	// ErrUnavailable wraps a failure of the storage service itself (S3
	// unreachable or failing): the request may succeed later.
	ErrUnavailable = errors.New("blobs: the object storage is unavailable")
)

// Store holds blobs. Every method is safe for concurrent use, also by
// several instances sharing the directory or bucket.
type Store interface {
	// Stage spools at most max bytes of r to a local staging file, hashing
	// as it goes. More than max bytes is ErrTooLarge; nothing is left behind
	// on any error. The caller must Discard the result.
	Stage(r io.Reader, max int64) (*Staged, error)
	// Put makes staged content the blob of its SHA256 unless that blob is
	// there already (created false). The staged file stays until Discard,
	// so Put can be called again to put back a blob collected meanwhile.
	Put(ctx context.Context, st *Staged) (created bool, err error)
	// Open opens the blob of a known size for reading; a missing blob is
	// fs.ErrNotExist (for S3 reported by Ready or the first Read).
	Open(ctx context.Context, sha string, size int64) (Reader, error)
	// Stat describes one blob; a missing blob is fs.ErrNotExist.
	Stat(ctx context.Context, sha string) (Info, error)
	// Remove deletes a blob; a missing one is not an error.
	Remove(ctx context.Context, sha string) error
	// Walk calls fn for every blob (and only blobs: other files and keys
	// under the same directory or prefix are left alone).
	Walk(ctx context.Context, fn func(Info) error) error
	// SweepStaging removes staging files of uploads no longer running.
	SweepStaging() Freed
	// Check reports whether the store can be used now (readiness).
	Check(ctx context.Context) error
	// String names the store for logs, without credentials.
	String() string
}

// Presigner is a store that can hand clients a short-lived URL to fetch a
// blob from the storage service directly.
type Presigner interface {
	PresignGet(ctx context.Context, sha, filename string, ttl time.Duration) (string, error)
}

// Reader is an opened blob: seekable, so downloads can serve ranges.
type Reader interface {
	io.ReadSeekCloser
	// Ready makes sure reading at the current offset can start, so that a
	// storage fault is known before a response is committed.
	Ready() error
}

// Info describes a stored blob.
type Info struct {
	SHA256   string
	Size     int64
	Modified time.Time
}

// Freed tells what a sweep removed.
type Freed struct {
	StagingFiles int   `json:"staging_files"`
	StagingBytes int64 `json:"staging_bytes"`
	Blobs        int   `json:"blobs"`
	BlobBytes    int64 `json:"blob_bytes"`
}

// Add sums two sweeps.
func (f Freed) Add(g Freed) Freed {
	return Freed{f.StagingFiles + g.StagingFiles, f.StagingBytes + g.StagingBytes, f.Blobs + g.Blobs, f.BlobBytes + g.BlobBytes}
}

var shaRE = regexp.MustCompile(`^[0-9a-f]{64}$`)

// ValidSHA reports whether s is a lowercase hex SHA256, the only blob names.
func ValidSHA(s string) bool { return shaRE.MatchString(s) }

// relPath is where a blob lives below the store's root: ab/abcdef….
func relPath(sha string) string { return sha[:2] + "/" + sha }

// Settings choose and configure a store.
type Settings struct {
	// Spec is "file" (or empty) for DataDir/blobs, or s3://BUCKET[/PREFIX].
	Spec    string
	DataDir string
	S3      S3Options
}

// Open opens the store that settings name.
func Open(ctx context.Context, set Settings) (Store, error) {
	spec := strings.TrimSpace(set.Spec)
	switch {
	case spec == "" || spec == "file":
		return NewFileStore(filepath.Join(set.DataDir, "blobs"))
	case strings.HasPrefix(spec, "s3://"):
		u, err := url.Parse(spec)
		if err != nil || u.Host == "" || u.RawQuery != "" || u.User != nil {
			return nil, fmt.Errorf("blobs: %q is not s3://BUCKET[/PREFIX]", spec)
		}
		o := set.S3
		o.Bucket, o.Prefix = u.Host, strings.Trim(u.Path, "/")
		return NewS3Store(ctx, o, filepath.Join(set.DataDir, "staging"))
	}
	return nil, fmt.Errorf("blobs: unknown store %q: want file or s3://BUCKET[/PREFIX]", spec)
}

// notExist reports a missing blob in the fs.ErrNotExist family.
func notExist(sha string) error {
	return &fs.PathError{Op: "open", Path: sha, Err: fs.ErrNotExist}
}
