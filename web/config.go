// Package web is Gatehouse's HTTP plumbing: configuration, the Echo server,
// middleware, sessions, rendering and the one error handler.
package web

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config holds every setting; flags override the environment.
type Config struct {
	Addr          string
	DataDir       string
	DatabaseURL   string
	BaseURL       string
	SessionKey    string
	AdminEmail    string
	AdminPassword string
	MaxUpload     int64
	MaxUploads    int
	SessionIdle   time.Duration
	SessionMax    time.Duration
	SecureCookies bool
}

// DSN is the database to open: DATABASE_URL, or SQLite under the data dir.
func (c Config) DSN() string {
	if c.DatabaseURL != "" {
		return c.DatabaseURL
	}
	return filepath.Join(c.DataDir, "gatehouse.db")
}

// BlobDir is where artifact files live.
func (c Config) BlobDir() string { return filepath.Join(c.DataDir, "blobs") }

// ParseConfig reads settings from args and env (a lookup such as os.LookupEnv).
func ParseConfig(args []string, env func(string) (string, bool), out io.Writer) (Config, error) {
	get := func(k, def string) string {
		if v, ok := env(k); ok && v != "" {
			return v
		}
		return def
	}
	var c Config
	fs := flag.NewFlagSet("gatehouse", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&c.Addr, "addr", get("GATEHOUSE_ADDR", ":8080"), "listen address (GATEHOUSE_ADDR)")
	fs.StringVar(&c.DataDir, "data-dir", get("GATEHOUSE_DATA_DIR", "data"), "directory for the SQLite database and artifact blobs (GATEHOUSE_DATA_DIR)")
	fs.StringVar(&c.DatabaseURL, "database-url", get("DATABASE_URL", ""), "postgres://… to use PostgreSQL instead of SQLite (DATABASE_URL)")
	fs.StringVar(&c.BaseURL, "base-url", get("GATEHOUSE_BASE_URL", ""), "public URL of this server, used in conda channel lines (GATEHOUSE_BASE_URL)")
	fs.StringVar(&c.SessionKey, "session-key", get("GATEHOUSE_SESSION_KEY", ""), "secret for session cookies, shared by all instances; generated and stored when empty (GATEHOUSE_SESSION_KEY)")
	fs.StringVar(&c.AdminEmail, "admin-email", get("GATEHOUSE_ADMIN_EMAIL", "admin@localhost"), "email of the admin created on first start (GATEHOUSE_ADMIN_EMAIL)")
	fs.StringVar(&c.AdminPassword, "admin-password", get("GATEHOUSE_ADMIN_PASSWORD", ""), "password of that admin; random and printed once when empty (GATEHOUSE_ADMIN_PASSWORD)")
	fs.Int64Var(&c.MaxUpload, "max-upload", 512<<20, "largest artifact upload in bytes")
	fs.IntVar(&c.MaxUploads, "max-uploads", intEnv(get, "GATEHOUSE_MAX_UPLOADS", 8), "uploads received at once; more are refused with 429 (GATEHOUSE_MAX_UPLOADS)")
	fs.DurationVar(&c.SessionIdle, "session-idle", 2*time.Hour, "sign people out after this long without a request")
	fs.DurationVar(&c.SessionMax, "session-max", 24*time.Hour, "sign people out this long after sign-in")
	fs.Usage = func() {
		fmt.Fprintln(out, "Usage: gatehouse [flags]\n       gatehouse admin create-user --email E --password P [--role R]…\n       gatehouse admin create-token --email E --name N --expires YYYY-MM-DD (--scope S … | --resource CHANNEL[/SUB]:LEVEL …)\n       gatehouse admin migrate [--status]\n\nFlags (each also read from the environment variable named):")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	c.SecureCookies = strings.HasPrefix(c.BaseURL, "https://")
	return c, nil
}

// OSEnv is os.LookupEnv, named for ParseConfig's callers.
var OSEnv = os.LookupEnv

// intEnv reads a whole number from the environment, or def.
func intEnv(get func(k, def string) string, key string, def int) int {
	if n, err := strconv.Atoi(get(key, "")); err == nil {
		return n
	}
	return def
}
