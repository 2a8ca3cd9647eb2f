package web

import (
	"bytes"
	"strings"
	"testing"
)

func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestSSOConfig(t *testing.T) {
	var out bytes.Buffer
	c, err := ParseConfig(nil, envOf(map[string]string{
		"GATEHOUSE_OIDC_ISSUER":          "https://sso.example.com/realms/acme",
		"GATEHOUSE_OIDC_CLIENT_ID":       "gatehouse",
		"GATEHOUSE_OIDC_CLIENT_SECRET":   "s3cret-value",
		"GATEHOUSE_OIDC_NAME":            "Acme SSO",
		"GATEHOUSE_OIDC_TEAMS":           "eng=Engineering;ops=Operations",
		"GATEHOUSE_OIDC_ADMIN_GROUPS":    "gatehouse-admins, root",
		"GATEHOUSE_OIDC_ALLOWED_DOMAINS": "Example.com,@acme.io",
		"GATEHOUSE_PASSWORD_SIGNIN":      "false",
	}), &out)
	if err != nil {
		t.Fatal(err)
	}
	s := c.SSO
	if !s.Enabled() || s.ClientSecret != "s3cret-value" || s.Name != "Acme SSO" || !c.NoPasswordSignIn ||
		strings.Join(s.Scopes, " ") != "openid email profile groups" || s.GroupsClaim != "groups" ||
		len(s.Teams) != 2 || strings.Join(s.AdminGroups, "|") != "gatehouse-admins|root" ||
		strings.Join(s.AllowedDomains, "|") != "example.com|acme.io" {
		t.Fatalf("parsed: %+v", c)
	}
	// Flags win over the environment.
	c, err = ParseConfig([]string{"--oidc-scopes", "openid email", "--oidc-groups-claim", "roles", "--password-signin=true"},
		envOf(map[string]string{"GATEHOUSE_OIDC_ISSUER": "https://sso.example.com", "GATEHOUSE_OIDC_CLIENT_ID": "g", "GATEHOUSE_PASSWORD_SIGNIN": "false"}), &out)
	if err != nil || strings.Join(c.SSO.Scopes, ",") != "openid,email" || c.SSO.GroupsClaim != "roles" || c.NoPasswordSignIn {
		t.Fatalf("flags: %+v %v", c.SSO, err)
	}
	// Off by default.
	if c, err := ParseConfig(nil, envOf(nil), &out); err != nil || c.SSO.Enabled() || c.NoPasswordSignIn {
		t.Fatalf("default: %+v %v", c, err)
	}
}

func TestSSOConfigRefused(t *testing.T) {
	base := map[string]string{"GATEHOUSE_OIDC_ISSUER": "https://sso.example.com", "GATEHOUSE_OIDC_CLIENT_ID": "g"}
	for name, env := range map[string]map[string]string{
		"no client id":         {"GATEHOUSE_OIDC_ISSUER": "https://sso.example.com"},
		"issuer not a URL":     {"GATEHOUSE_OIDC_ISSUER": "sso.example.com", "GATEHOUSE_OIDC_CLIENT_ID": "g"},
		"no openid scope":      with(base, "GATEHOUSE_OIDC_SCOPES", "email groups"),
		"bad team mapping":     with(base, "GATEHOUSE_OIDC_TEAMS", "eng"),
		"empty groups claim":   with(base, "GATEHOUSE_OIDC_GROUPS_CLAIM", " "),
		"password off, no SSO": {"GATEHOUSE_PASSWORD_SIGNIN": "false"},
		"password not a bool":  {"GATEHOUSE_PASSWORD_SIGNIN": "nope"},
	} {
		if _, err := ParseConfig(nil, envOf(env), &bytes.Buffer{}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func with(m map[string]string, k, v string) map[string]string {
	out := map[string]string{k: v}
	for a, b := range m {
		if a != k {
			out[a] = b
		}
	}
	return out
}

// TestHelpHidesSecrets: --help lists every setting but shows no secret
// taken from the environment.
func TestHelpHidesSecrets(t *testing.T) {
	var out bytes.Buffer
	_, _ = ParseConfig([]string{"--help"}, envOf(map[string]string{
		"GATEHOUSE_OIDC_CLIENT_SECRET": "oidc-secret-value", "GATEHOUSE_SESSION_KEY": "session-key-value",
		"GATEHOUSE_ADMIN_PASSWORD": "admin-password-value", "GATEHOUSE_OIDC_ISSUER": "https://sso.example.com",
	}), &out)
	help := out.String()
	for _, secret := range []string{"oidc-secret-value", "session-key-value", "admin-password-value"} {
		if strings.Contains(help, secret) {
			t.Errorf("--help shows %s", secret)
		}
	}
	for _, v := range []string{"GATEHOUSE_OIDC_ISSUER", "GATEHOUSE_OIDC_CLIENT_ID", "GATEHOUSE_OIDC_CLIENT_SECRET", "GATEHOUSE_OIDC_NAME",
		"GATEHOUSE_OIDC_SCOPES", "GATEHOUSE_OIDC_GROUPS_CLAIM", "GATEHOUSE_OIDC_TEAMS", "GATEHOUSE_OIDC_ADMIN_GROUPS",
		"GATEHOUSE_OIDC_ALLOWED_DOMAINS", "GATEHOUSE_PASSWORD_SIGNIN", "/auth/oidc/callback"} {
		if !strings.Contains(help, v) {
			t.Errorf("--help does not mention %s", v)
		}
	}
}
