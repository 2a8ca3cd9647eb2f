package sso

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestParseTeams(t *testing.T) {
	got, err := ParseTeams(" eng = Engineering ; ops=Operations;;eng=Platform;/org/data=Data team ")
	if err != nil {
		t.Fatal(err)
	}
	want := []TeamMapping{{"eng", "Engineering"}, {"ops", "Operations"}, {"eng", "Platform"}, {"/org/data", "Data team"}}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%d: %v, want %v", i, got[i], want[i])
		}
	}
	for _, bad := range []string{"eng", "=Team", "eng=", "eng=" + strings.Repeat("x", 101), "eng=a\tb"} {
		if _, err := ParseTeams(bad); err == nil {
			t.Errorf("%q: accepted", bad)
		}
	}
}

func TestMembership(t *testing.T) {
	c := Config{Teams: []TeamMapping{{"eng", "Engineering"}, {"platform", "engineering"}, {"ops", "Operations"}}}
	cases := []struct {
		groups []string
		want   map[string]bool
	}{
		{nil, map[string]bool{"Engineering": false, "Operations": false}},
		{[]string{"eng"}, map[string]bool{"Engineering": true, "Operations": false}},
		{[]string{"platform", "other"}, map[string]bool{"Engineering": true, "Operations": false}},
		{[]string{"ENG", "ops"}, map[string]bool{"Engineering": false, "Operations": true}}, // groups are compared exactly
	}
	for _, tc := range cases {
		teams, admin := c.Membership(tc.groups)
		if admin != nil {
			t.Errorf("%v: Admin managed without admin groups", tc.groups)
		}
		if len(teams) != len(tc.want) {
			t.Errorf("%v: %v", tc.groups, teams)
		}
		for name, in := range tc.want {
			if v, ok := teams[name]; !ok || v != in {
				t.Errorf("%v: team %s = %v, want %v", tc.groups, name, v, in)
			}
		}
	}
	c.AdminGroups = []string{"admins", "root"}
	for groups, want := range map[string]bool{"root": true, "eng": false, "": false} {
		if _, admin := c.Membership(strings.Fields(groups)); admin == nil || *admin != want {
			t.Errorf("%q: admin %v, want %v", groups, admin, want)
		}
	}
	if got := c.SyncedFrom("ENGINEERING"); strings.Join(got, ",") != "eng,platform" {
		t.Errorf("SyncedFrom: %v", got)
	}
	if got := c.SyncedFrom("Design"); got != nil {
		t.Errorf("a hand-made team is synced: %v", got)
	}
}

func TestDomainAllowed(t *testing.T) {
	c := Config{}
	if !c.DomainAllowed("a@anything.io") {
		t.Error("no list must allow every domain")
	}
	c.AllowedDomains = []string{"example.com"}
	for email, want := range map[string]bool{"a@example.com": true, "a@EXAMPLE.com": true, "a@sub.example.com": false,
		"a@example.com.evil.io": false, "a@evil.io": false, "example.com": false, "a@example.com@evil.io": false} {
		if got := c.DomainAllowed(email); got != want {
			t.Errorf("%s: %v, want %v", email, got, want)
		}
	}
}

func TestParseGroups(t *testing.T) {
	long := `["` + strings.Repeat("g", MaxGroupLen+1) + `"]`
	many := make([]string, MaxGroups+1)
	manyJSON, _ := json.Marshal(many)
	for raw, check := range map[string]string{
		`["a","b"]`: "", `[]`: "", `"a"`: "groups_not_a_list", `{"a":1}`: "groups_not_a_list", `42`: "groups_not_a_list",
		`[1]`: "groups_not_names", `[["a"]]`: "groups_not_names", `[null]`: "groups_not_names", long: "groups_name_too_long",
		string(manyJSON): "groups_too_many",
	} {
		if _, got := parseGroups(json.RawMessage(raw)); got != check {
			t.Errorf("%.40s: %q, want %q", raw, got, check)
		}
	}
	if g, check := parseGroups(nil); g != nil || check != "" {
		t.Error("an absent claim means no groups")
	}
}

func TestIsTrue(t *testing.T) {
	for raw, want := range map[string]bool{`true`: true, `"true"`: true, `"TRUE"`: true, `false`: false, `"false"`: false, `1`: false, ``: false, `null`: false} {
		if got := isTrue(json.RawMessage(raw)); got != want {
			t.Errorf("%s: %v", raw, got)
		}
	}
}

func TestRefusalTextHidesCause(t *testing.T) {
	r := refuse(TokenInvalid, "audience", &json.SyntaxError{})
	if strings.Contains(r.Error(), "syntax") || !strings.Contains(r.Error(), "audience") {
		t.Errorf("%q", r.Error())
	}
}
