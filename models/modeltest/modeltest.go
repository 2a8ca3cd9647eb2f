// Package modeltest gives tests a fresh, migrated Store on every database
// Gatehouse supports: SQLite always, PostgreSQL when TEST_DATABASE_URL is set
// (and in CI, where it must be).
package modeltest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gatehouse/models"
	"gatehouse/models/access"
)

// Backend names a database kind.
type Backend string

// The supported backends.
const (
	SQLite   Backend = "sqlite"
	Postgres Backend = "postgres"
)

// Backends lists the backends to test on. In CI PostgreSQL is required.
func Backends(t testing.TB) []Backend {
	if os.Getenv("TEST_DATABASE_URL") != "" {
		return []Backend{SQLite, Postgres}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("TEST_DATABASE_URL must be set in CI so every test also runs on PostgreSQL")
	}
	return []Backend{SQLite}
}

// ForEach runs fn once per backend with a fresh store.
func ForEach(t *testing.T, fn func(t *testing.T, s *models.Store)) {
	for _, b := range Backends(t) {
		t.Run(string(b), func(t *testing.T) { fn(t, Open(t, b)) })
	}
}

// Open returns a fresh, migrated store on backend b, removed after the test.
func Open(t testing.TB, b Backend) *models.Store {
	t.Helper()
	return OpenDSN(t, DSN(t, b))
}

// OpenDSN returns a migrated store on dsn, closed after the test.
func OpenDSN(t testing.TB, dsn string) *models.Store {
	t.Helper()
	s, err := models.OpenWith(dsn, models.Options{MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// DSN returns a connection string for an empty database of kind b: a new
// SQLite file, or a new PostgreSQL schema dropped after the test.
func DSN(t testing.TB, b Backend) string {
	t.Helper()
	if b == SQLite {
		return filepath.Join(t.TempDir(), "test.db")
	}
	base := os.Getenv("TEST_DATABASE_URL")
	if base == "" {
		t.Fatal("TEST_DATABASE_URL is not set")
	}
	schema := "t_" + models.RandomHex(8)
	admin, err := schemaAdmin()
	if err != nil {
		t.Fatal(err)
	}
	if err := admin.DB().Exec("CREATE SCHEMA " + schema).Error; err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.DB().Exec("DROP SCHEMA " + schema + " CASCADE") })
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// MustUser creates a user with roles, failing the test on error.
func MustUser(t testing.TB, s *models.Store, email string, roles ...string) *models.User {
	t.Helper()
	u, err := s.CreateUser(t.Context(), models.NewUser{Email: email, Password: Password, Roles: roles})
	if err != nil {
		t.Fatal(fmt.Errorf("create user %s: %w", email, err))
	}
	return u
}

// Password is the password MustUser gives everyone.
const Password = "correct-horse-battery"

// Name makes a readable unique name for t.
func Name(t testing.TB) string {
	return strings.NewReplacer("/", "-", " ", "-").Replace(t.Name())
}

// SeedArtifacts inserts n artifact rows (no files) into a channel's subdir,
// for benchmarks and load tests of repodata. Rows look like real packages.
func SeedArtifacts(ctx context.Context, s *models.Store, ch *models.Channel, subdir string, n int) error {
	return SeedBuilds(ctx, s, ch, subdir, n, 4)
}

// SeedBuilds is SeedArtifacts with perName builds of each package name
// (channels that keep every nightly build have many).
func SeedBuilds(ctx context.Context, s *models.Store, ch *models.Channel, subdir string, n, perName int) error {
	const batch = 500
	rows := make([]models.Artifact, 0, batch)
	flush := func() error {
		if len(rows) == 0 {
			return nil
		}
		err := s.DB().WithContext(ctx).Create(&rows).Error
		rows = rows[:0]
		return err
	}
	for i := range n {
		name := fmt.Sprintf("pkg%05d", i/perName)
		ver := fmt.Sprintf("1.%d.%d", i%4, i%7)
		build := fmt.Sprintf("py312h%07x_%d", i, i%3)
		ext := ".conda"
		if i%5 == 0 {
			ext = ".tar.bz2"
		}
		rows = append(rows, models.Artifact{
			ChannelID: ch.ID, Subdir: subdir, Filename: name + "-" + ver + "-" + build + ext,
			Name: name, Version: ver, Build: build, BuildNumber: i % 3,
			Depends:    `["python >=3.12,<3.13.0a0","python_abi 3.12.* *_cp312","libzlib >=1.3.1,<2.0a0","numpy >=1.26"]`,
			Constrains: `[]`, Extra: `{}`, License: "BSD-3-Clause", LicenseFamily: "BSD",
			Timestamp: 1700000000000 + int64(i), Size: 100000 + int64(i),
			MD5: fmt.Sprintf("%032x", i), SHA256: fmt.Sprintf("%064x", i),
		})
		if len(rows) == batch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	names := make([]string, 0, n/perName+1)
	for i := 0; i < n; i += perName {
		names = append(names, fmt.Sprintf("pkg%05d", i/perName))
	}
	return s.TouchNames(ctx, models.SubdirKey{ChannelID: ch.ID, Subdir: subdir}, names)
}

// SeedTokens fills s with n scope tokens (artifact:download,
// user.token:view) of owner by bulk insert and returns the strings of the
// last `real` of them; the rest have hashes of no usable string.
func SeedTokens(b testing.TB, s *models.Store, owner *models.User, n, real int) []string {
	b.Helper()
	u := owner
	exp := time.Now().UTC().AddDate(1, 0, 0)
	var secrets []string
	batch := make([]models.Token, 0, 1000)
	for i := range n {
		hash := models.HashToken(fmt.Sprintf("filler-%d", i))
		if i >= n-real {
			sec := models.NewTokenSecret()
			secrets = append(secrets, sec)
			hash = models.HashToken(sec)
		}
		batch = append(batch, models.Token{UserID: u.ID, Name: fmt.Sprintf("t-%06d", i), Kind: string(access.KindScopes),
			Resources: "[]", Scopes: `["artifact:download","user.token:view"]`, Hash: hash, Hint: hash[:4], ExpiresAt: exp})
		if len(batch) == cap(batch) || i == n-1 {
			if err := s.DB().CreateInBatches(batch, 500).Error; err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	return secrets
}

// schemaAdmin is the one connection a test process uses to make and drop
// schemas, whatever the number of tests (each store has its own pool).
var schemaAdmin = sync.OnceValues(func() (*models.Store, error) {
	return models.OpenWith(os.Getenv("TEST_DATABASE_URL"), models.Options{MaxConns: 2})
})
