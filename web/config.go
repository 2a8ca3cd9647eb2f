// Package web is Gatehouse's HTTP plumbing: configuration, the Echo server,
// middleware, sessions, rendering and the one error handler.
package web

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gatehouse/models/blobs"
	"gatehouse/web/sso"
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
	DBMaxConns    int
	// FetchTimeout bounds fetching vulnerability records by URL (0: 30 s).
	FetchTimeout time.Duration
	// TrustedProxies are the proxies whose X-Forwarded-For names the client.
	TrustedProxies []netip.Prefix
	SessionIdle    time.Duration
	SessionMax     time.Duration
	SecureCookies  bool
	// MetricsAddr, when set, serves /metrics there (no sign-in) instead of
	// on the main address.
	MetricsAddr string

	// Blob storage (spec §11): "file" or s3://BUCKET[/PREFIX], S3 settings
	// from the standard AWS variables, and whether downloads redirect to a
	// presigned URL. Sweeps free what interrupted uploads left behind.
	Blobs            string
	S3               blobs.S3Options
	DownloadRedirect bool
	SweepInterval    time.Duration
	SweepGrace       time.Duration

	// Mirrors: MirrorPrivateNetworks lets mirrors fetch from loopback,
	// private and link-local addresses (off: a channel manager cannot make
	// the server reach inside its own network); MirrorCheckInterval is how
	// often due mirrors are looked for (negative: never).
	MirrorPrivateNetworks bool
	MirrorCheckInterval   time.Duration

	// SSO signs people in through an OpenID Connect provider (off without
	// an issuer); NoPasswordSignIn turns the email and password form off.
	SSO              sso.Config
	NoPasswordSignIn bool
}

// DSN is the database to open: DATABASE_URL, or SQLite under the data dir.
func (c Config) DSN() string {
	if c.DatabaseURL != "" {
		return c.DatabaseURL
	}
	return filepath.Join(c.DataDir, "gatehouse.db")
}

// PublicURL is GATEHOUSE_BASE_URL, or without it http://localhost at the
// listen port (main warns at start that conda lines then only work here).
func (c Config) PublicURL() string {
	if c.BaseURL != "" {
		return c.BaseURL
	}
	host, port, err := net.SplitHostPort(c.Addr)
	if err != nil || host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	if err != nil || port == "" {
		return "http://" + host
	}
	return "http://" + net.JoinHostPort(host, port)
}

// BlobSettings choose and configure the blob store.
func (c Config) BlobSettings() blobs.Settings {
	return blobs.Settings{Spec: c.Blobs, DataDir: c.DataDir, S3: c.S3}
}

// ParseConfig reads settings from args and env (a lookup such as os.LookupEnv).
func ParseConfig(args []string, env func(string) (string, bool), out io.Writer) (Config, error) {
	get := func(k, def string) string {
		if v, ok := env(k); ok && v != "" {
			return v
		}
		return def
	}
	var c Config
	var bad error
	fs := flag.NewFlagSet("gatehouse", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&c.Addr, "addr", get("GATEHOUSE_ADDR", ":8080"), "listen address (GATEHOUSE_ADDR)")
	fs.StringVar(&c.DataDir, "data-dir", get("GATEHOUSE_DATA_DIR", "data"), "directory for the SQLite database and artifact blobs (GATEHOUSE_DATA_DIR)")
	fs.StringVar(&c.DatabaseURL, "database-url", get("DATABASE_URL", ""), "postgres://… to use PostgreSQL instead of SQLite (DATABASE_URL)")
	fs.StringVar(&c.BaseURL, "base-url", get("GATEHOUSE_BASE_URL", ""), "public URL of this server, used in conda channel lines (GATEHOUSE_BASE_URL)")
	// Secrets take no default from the environment, so --help never shows them.
	var secrets []func()
	secret := func(p *string, name, env, usage string) {
		fs.StringVar(p, name, "", usage+" ("+env+")")
		secrets = append(secrets, func() {
			if *p == "" {
				*p = get(env, "")
			}
		})
	}
	secret(&c.SessionKey, "session-key", "GATEHOUSE_SESSION_KEY", "secret for session cookies, shared by all instances; generated and stored when empty")
	fs.StringVar(&c.AdminEmail, "admin-email", get("GATEHOUSE_ADMIN_EMAIL", "admin@localhost"), "email of the admin created on first start (GATEHOUSE_ADMIN_EMAIL)")
	secret(&c.AdminPassword, "admin-password", "GATEHOUSE_ADMIN_PASSWORD", "password of that admin; random and printed once when empty")
	fs.StringVar(&c.MetricsAddr, "metrics-addr", get("GATEHOUSE_METRICS_ADDR", ""), "serve Prometheus metrics at /metrics on this address, without sign-in; when empty, /metrics is on the main address for admin tokens with metrics:view (GATEHOUSE_METRICS_ADDR)")
	fs.Int64Var(&c.MaxUpload, "max-upload", 512<<20, "largest artifact upload in bytes")
	fs.IntVar(&c.DBMaxConns, "db-max-conns", intEnv(get, "GATEHOUSE_DB_MAX_CONNS", 16), "PostgreSQL connections kept open by this instance (GATEHOUSE_DB_MAX_CONNS)")
	fs.IntVar(&c.MaxUploads, "max-uploads", intEnv(get, "GATEHOUSE_MAX_UPLOADS", 8), "uploads received at once; more are refused with 429 (GATEHOUSE_MAX_UPLOADS)")
	fs.DurationVar(&c.SessionIdle, "session-idle", 2*time.Hour, "sign people out after this long without a request")
	fs.DurationVar(&c.SessionMax, "session-max", 24*time.Hour, "sign people out this long after sign-in")
	fs.StringVar(&c.Blobs, "blobs", get("GATEHOUSE_BLOBS", "file"), "artifact storage: file (<data dir>/blobs) or s3://BUCKET[/PREFIX], configured by AWS_ENDPOINT_URL (or AWS_ENDPOINT_URL_S3), AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (GATEHOUSE_BLOBS)")
	fs.BoolVar(&c.S3.PathStyle, "s3-path-style", get("GATEHOUSE_S3_PATH_STYLE", "") == "true", "address S3 buckets in the path, for stores that need it (GATEHOUSE_S3_PATH_STYLE)")
	fs.BoolVar(&c.DownloadRedirect, "download-redirect", get("GATEHOUSE_DOWNLOAD_REDIRECT", "") == "true", "with S3, answer downloads with a redirect to a presigned URL valid 5 minutes instead of proxying them (GATEHOUSE_DOWNLOAD_REDIRECT)")
	fs.DurationVar(&c.SweepInterval, "sweep-interval", envDuration(get, "GATEHOUSE_SWEEP_INTERVAL", time.Hour, &bad), "how often to remove leftovers of interrupted uploads and unreferenced blobs; also done at start (GATEHOUSE_SWEEP_INTERVAL)")
	fs.DurationVar(&c.SweepGrace, "sweep-grace", envDuration(get, "GATEHOUSE_SWEEP_GRACE", time.Hour, &bad), "age below which an unreferenced blob is kept, as an upload may be about to use it (GATEHOUSE_SWEEP_GRACE)")
	fs.BoolVar(&c.MirrorPrivateNetworks, "mirror-private-networks", get("GATEHOUSE_MIRROR_PRIVATE_NETWORKS", "") == "true", "let mirrors and vulnerability imports by URL fetch from loopback, private and link-local addresses (GATEHOUSE_MIRROR_PRIVATE_NETWORKS)")
	fs.DurationVar(&c.MirrorCheckInterval, "mirror-check-interval", envDuration(get, "GATEHOUSE_MIRROR_CHECK_INTERVAL", time.Minute, &bad), "how often scheduled mirrors that are due are run (GATEHOUSE_MIRROR_CHECK_INTERVAL)")
	var scopes, teams, adminGroups, domains string
	fs.StringVar(&c.SSO.Issuer, "oidc-issuer", get("GATEHOUSE_OIDC_ISSUER", ""), "OpenID Connect provider URL; turns on single sign-on, redirect URI <base URL>/auth/oidc/callback (GATEHOUSE_OIDC_ISSUER)")
	fs.StringVar(&c.SSO.ClientID, "oidc-client-id", get("GATEHOUSE_OIDC_CLIENT_ID", ""), "client ID registered at the provider (GATEHOUSE_OIDC_CLIENT_ID)")
	secret(&c.SSO.ClientSecret, "oidc-client-secret", "GATEHOUSE_OIDC_CLIENT_SECRET", "client secret; empty for a public client")
	fs.StringVar(&c.SSO.Name, "oidc-name", get("GATEHOUSE_OIDC_NAME", sso.DefaultName), "provider name on the sign-in page: \"Sign in with <name>\" (GATEHOUSE_OIDC_NAME)")
	fs.StringVar(&scopes, "oidc-scopes", get("GATEHOUSE_OIDC_SCOPES", sso.DefaultScopes), "scopes to request (GATEHOUSE_OIDC_SCOPES)")
	fs.StringVar(&c.SSO.GroupsClaim, "oidc-groups-claim", get("GATEHOUSE_OIDC_GROUPS_CLAIM", sso.DefaultGroupsClaim), "claim that lists the person's groups (GATEHOUSE_OIDC_GROUPS_CLAIM)")
	fs.StringVar(&teams, "oidc-teams", get("GATEHOUSE_OIDC_TEAMS", ""), "groups that are teams, kept in step at every sign-in: group=Team;group2=Other team (GATEHOUSE_OIDC_TEAMS)")
	fs.StringVar(&adminGroups, "oidc-admin-groups", get("GATEHOUSE_OIDC_ADMIN_GROUPS", ""), "comma-separated groups whose members hold Admin (GATEHOUSE_OIDC_ADMIN_GROUPS)")
	fs.StringVar(&domains, "oidc-allowed-domains", get("GATEHOUSE_OIDC_ALLOWED_DOMAINS", ""), "comma-separated email domains that may sign in; empty allows all (GATEHOUSE_OIDC_ALLOWED_DOMAINS)")
	passwordSignIn, err := strconv.ParseBool(get("GATEHOUSE_PASSWORD_SIGNIN", "true"))
	if err != nil {
		return c, fmt.Errorf("GATEHOUSE_PASSWORD_SIGNIN must be true or false")
	}
	fs.BoolVar(&passwordSignIn, "password-signin", passwordSignIn, "allow sign-in with email and password in the browser (GATEHOUSE_PASSWORD_SIGNIN)")
	fs.Usage = func() {
		fmt.Fprintln(out, "Usage: gatehouse [flags]\n       gatehouse admin create-user --email E --password P [--role R]…\n       gatehouse admin create-token --email E --name N --expires YYYY-MM-DD (--scope S … | --resource CHANNEL[/SUB]:LEVEL …)\n       gatehouse admin migrate [--status]\n       gatehouse admin migrate-blobs --to s3://BUCKET[/PREFIX]\n\nFlags (each also read from the environment variable named):")
		fs.PrintDefaults()
	}
	proxies := fs.String("trusted-proxies", get("GATEHOUSE_TRUSTED_PROXIES", ""), "comma-separated addresses or CIDR ranges of proxies whose X-Forwarded-For names the client; none by default (GATEHOUSE_TRUSTED_PROXIES)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if c.TrustedProxies, err = parsePrefixes(*proxies); err != nil {
		return c, err
	}
	if bad != nil {
		return c, bad
	}
	c.S3.Endpoint = get("AWS_ENDPOINT_URL_S3", get("AWS_ENDPOINT_URL", ""))
	c.S3.Region = get("AWS_REGION", get("AWS_DEFAULT_REGION", ""))
	c.S3.AccessKeyID = get("AWS_ACCESS_KEY_ID", "")
	c.S3.SecretAccessKey = get("AWS_SECRET_ACCESS_KEY", "")
	c.S3.SessionToken = get("AWS_SESSION_TOKEN", "")
	for _, fill := range secrets {
		fill()
	}
	c.NoPasswordSignIn = !passwordSignIn
	if err := c.parseSSO(scopes, teams, adminGroups, domains); err != nil {
		return c, err
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	c.SecureCookies = strings.HasPrefix(c.BaseURL, "https://")
	return c, nil
}

// envDuration reads a duration setting; a malformed one is reported in
// *bad and keeps def.
func envDuration(get func(k, def string) string, k string, def time.Duration, bad *error) time.Duration {
	v := get(k, "")
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		*bad = fmt.Errorf("%s=%q is not a duration such as 30m or 1h", k, v)
		return def
	}
	return d
}

// parseSSO reads the single sign-on lists and checks the settings fit together.
func (c *Config) parseSSO(scopes, teams, adminGroups, domains string) error {
	var err error
	c.SSO.GroupsClaim = strings.TrimSpace(c.SSO.GroupsClaim)
	c.SSO.Scopes = sso.SplitList(scopes)
	c.SSO.AdminGroups = sso.SplitList(adminGroups)
	for _, d := range sso.SplitList(domains) {
		c.SSO.AllowedDomains = append(c.SSO.AllowedDomains, strings.ToLower(strings.TrimPrefix(d, "@")))
	}
	if c.SSO.Teams, err = sso.ParseTeams(teams); err != nil {
		return err
	}
	if err := c.SSO.Validate(); err != nil {
		return err
	}
	if c.NoPasswordSignIn && !c.SSO.Enabled() {
		return errors.New("GATEHOUSE_PASSWORD_SIGNIN=false needs single sign-on (GATEHOUSE_OIDC_ISSUER), or nobody could sign in")
	}
	return nil
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

// parsePrefixes reads "10.0.0.0/8, 192.168.1.5" into prefixes.
func parsePrefixes(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !strings.Contains(f, "/") {
			a, err := netip.ParseAddr(f)
			if err != nil {
				return nil, fmt.Errorf("trusted proxies: %q is not an address or CIDR range", f)
			}
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("trusted proxies: %q is not an address or CIDR range", f)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}
