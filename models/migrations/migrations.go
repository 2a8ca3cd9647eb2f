// Package migrations holds Gatehouse's schema as numbered SQL migrations,
// one directory per database, embedded in the binary (see README.md).
package migrations

import (
	"embed"
	"io/fs"
)

//go:embed postgres/*.sql sqlite/*.sql
var files embed.FS

// For returns the migrations of one database: "postgres" or "sqlite".
func For(dialect string) fs.FS {
	sub, err := fs.Sub(files, dialect)
	if err != nil {
		panic(err) // only for a name that is not a directory above
	}
	return sub
}
