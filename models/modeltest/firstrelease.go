package modeltest

import (
	_ "embed"
	"net/url"
	"strings"
	"testing"

	"gatehouse/models"
)

// A database made by the first release, before versioned migrations: its
// schema came from GORM's AutoMigrate, its data from its own store.
var (
	//go:embed testdata/first-release.sqlite.sql
	firstReleaseSQLite string
	//go:embed testdata/first-release.postgres.sql
	firstReleasePostgres string
)

// FirstReleaseData is what the first-release database holds that a test
// cannot read from it: the strings of its tokens (only their hashes are
// stored). Every user's password is Password.
type FirstReleaseData struct {
	// AnnWrite is ann@example.com's resource token: write on "internal".
	AnnWrite string
	// AdminScopes is admin@example.com's scope token: page:view,
	// channel:view, artifact:download.
	AdminScopes string
}

var firstReleaseTokens = map[Backend]FirstReleaseData{
	SQLite:   {AnnWrite: "gth_b9NXJA1cdNvOcJ07vUl5b9pHDmpnTPn847C8J7", AdminScopes: "gth_xmh1vXC2VSyJIKjZtZPOSTLPUBPJujqY3Caeym"},
	Postgres: {AnnWrite: "gth_Y0qygArqtqBtk9ToTF7xLruBWhFU758U0tYWom", AdminScopes: "gth_AkZxCXLcnu58pc961pfSaTeyyKMSa0Ln3Z0mY5"},
}

// FirstRelease returns a DSN for a fresh database of kind b holding the
// first release's database, not yet migrated, and the strings of its tokens.
func FirstRelease(t testing.TB, b Backend) (string, FirstReleaseData) {
	t.Helper()
	dsn := DSN(t, b)
	raw, err := models.Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	script := firstReleaseSQLite
	if b == Postgres {
		// The dump names the schema it came from; load it into this test's.
		u, _ := url.Parse(dsn)
		script = strings.ReplaceAll(firstReleasePostgres, "public.", u.Query().Get("search_path")+".")
	}
	if err := raw.DB().Exec(script).Error; err != nil {
		t.Fatalf("load the first release's database: %v", err)
	}
	return dsn, firstReleaseTokens[b]
}
