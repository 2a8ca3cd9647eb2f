package policy

import "testing"

func ev(kv ...string) []Event {
	var out []Event
	for i := 0; i < len(kv); i += 2 {
		var e Event
		switch kv[i] {
		case "i":
			e.Introduced = kv[i+1]
		case "f":
			e.Fixed = kv[i+1]
		case "l":
			e.LastAffected = kv[i+1]
		case "lim":
			e.Limit = kv[i+1]
		}
		out = append(out, e)
	}
	return out
}

func TestAffectedMatches(t *testing.T) {
	eco := func(events ...Event) Range { return Range{Type: "ECOSYSTEM", Events: events} }
	cases := []struct {
		name     string
		a        Affected
		pkg, ver string
		want     bool
	}{
		{"introduced/fixed inside", Affected{"numpy", []Range{eco(ev("i", "1.0", "f", "1.5")...)}, nil}, "numpy", "1.2", true},
		{"introduced inclusive", Affected{"numpy", []Range{eco(ev("i", "1.0", "f", "1.5")...)}, nil}, "numpy", "1.0", true},
		{"fixed exclusive", Affected{"numpy", []Range{eco(ev("i", "1.0", "f", "1.5")...)}, nil}, "numpy", "1.5", false},
		{"before introduced", Affected{"numpy", []Range{eco(ev("i", "1.0", "f", "1.5")...)}, nil}, "numpy", "0.9", false},
		{"after fixed", Affected{"numpy", []Range{eco(ev("i", "1.0", "f", "1.5")...)}, nil}, "numpy", "1.10", false},
		{"numeric not lexical", Affected{"numpy", []Range{eco(ev("i", "1.2", "f", "1.10")...)}, nil}, "numpy", "1.9", true},
		{"introduced 0", Affected{"numpy", []Range{eco(ev("i", "0", "f", "2.0")...)}, nil}, "numpy", "0.0.1", true},
		{"introduced 0 open", Affected{"numpy", []Range{eco(ev("i", "0")...)}, nil}, "numpy", "99", true},
		{"last_affected inclusive", Affected{"x", []Range{eco(ev("i", "1.0", "l", "1.4")...)}, nil}, "x", "1.4", true},
		{"past last_affected", Affected{"x", []Range{eco(ev("i", "1.0", "l", "1.4")...)}, nil}, "x", "1.4.1", false},
		{"limit caps", Affected{"x", []Range{eco(ev("i", "0", "lim", "2.0")...)}, nil}, "x", "2.0", false},
		{"under limit", Affected{"x", []Range{eco(ev("i", "0", "lim", "2.0")...)}, nil}, "x", "1.9", true},
		{"limit star", Affected{"x", []Range{eco(ev("i", "1.0", "lim", "*")...)}, nil}, "x", "9.0", true},
		{"second range", Affected{"x", []Range{eco(ev("i", "1.0", "f", "1.1")...), eco(ev("i", "2.0", "f", "2.2")...)}, nil}, "x", "2.1", true},
		{"between ranges", Affected{"x", []Range{eco(ev("i", "1.0", "f", "1.1")...), eco(ev("i", "2.0", "f", "2.2")...)}, nil}, "x", "1.5", false},
		{"two pairs in one range", Affected{"x", []Range{eco(ev("i", "1.0", "f", "1.1", "i", "2.0", "f", "2.2")...)}, nil}, "x", "1.5", false},
		{"two pairs in one range, second", Affected{"x", []Range{eco(ev("f", "2.2", "i", "2.0", "f", "1.1", "i", "1.0")...)}, nil}, "x", "2.0.5", true},
		{"explicit version", Affected{"x", nil, []string{"1.3.0"}}, "x", "1.3", true},
		{"explicit version miss", Affected{"x", nil, []string{"1.3.0"}}, "x", "1.3.1", false},
		{"epoch above", Affected{"x", []Range{eco(ev("i", "0", "f", "2.0")...)}, nil}, "x", "1!0.5", false},
		{"epoch range", Affected{"x", []Range{eco(ev("i", "1!0.1", "f", "1!1.0")...)}, nil}, "x", "1!0.5", true},
		{"pre-release before fixed", Affected{"x", []Range{eco(ev("i", "0.9", "f", "1.0")...)}, nil}, "x", "1.0rc1", true},
		{"pre-release before introduced", Affected{"x", []Range{eco(ev("i", "1.0", "f", "2.0")...)}, nil}, "x", "1.0rc1", false},
		{"dev before fixed", Affected{"x", []Range{eco(ev("i", "0", "f", "1.0")...)}, nil}, "x", "1.0.dev0", true},
		{"name case-insensitive", Affected{"PyYAML", []Range{eco(ev("i", "0", "f", "6.0")...)}, nil}, "pyyaml", "5.4", true},
		{"other package", Affected{"numpy", []Range{eco(ev("i", "0")...)}, nil}, "scipy", "1.0", false},
		{"semver type", Affected{"x", []Range{{Type: "SEMVER", Events: ev("i", "1.0.0", "f", "1.0.5")}}, nil}, "x", "1.0.4", true},
		{"git type ignored", Affected{"x", []Range{{Type: "GIT", Events: ev("i", "0")}}, nil}, "x", "1.0", false},
		{"malformed event: two fields", Affected{"x", []Range{eco(Event{Introduced: "0", Fixed: "1"})}, nil}, "x", "0.5", false},
		{"malformed event: empty", Affected{"x", []Range{eco(Event{}, Event{Introduced: "0"})}, nil}, "x", "0.5", false},
		{"no introduced", Affected{"x", []Range{eco(ev("f", "1.0")...)}, nil}, "x", "0.5", false},
	}
	for _, c := range cases {
		if got := c.a.Matches(c.pkg, c.ver); got != c.want {
			t.Errorf("%s: %s %s = %v, want %v", c.name, c.pkg, c.ver, got, c.want)
		}
	}
}

func TestParseOSV(t *testing.T) {
	one := `{"id":"GHSA-1","summary":"s","affected":[{"package":{"ecosystem":"PyPI","name":"numpy"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.22"}]}]}],"database_specific":{"severity":"HIGH"}}`
	for _, doc := range []string{one, "[" + one + "]", `{"vulns":[` + one + `]}`} {
		rs, err := ParseOSV([]byte(doc))
		if err != nil || len(rs) != 1 || rs[0].ID != "GHSA-1" || rs[0].Severity != High || !rs[0].Affected[0].Matches("numpy", "1.21") {
			t.Fatalf("%s: %+v %v", doc, rs, err)
		}
	}
	cvss := `{"id":"CVE-2","severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],"affected":[{"package":{"name":"x"},"versions":["1.0"]}]}`
	rs, err := ParseOSV([]byte(cvss))
	if err != nil || rs[0].Severity != Critical || rs[0].Score != 9.8 {
		t.Fatalf("cvss: %+v %v", rs, err)
	}
	v4 := `{"id":"CVE-4","severity":[{"type":"CVSS_V4","score":"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N"}],"affected":[{"package":{"name":"x"},"versions":["1.0"]}]}`
	if rs, err = ParseOSV([]byte(v4)); err != nil || rs[0].Severity != Medium || !rs[0].Rated {
		t.Fatalf("cvss4: %+v %v", rs, err)
	}
	unrated := `{"id":"X-3","affected":[{"package":{"name":"x"},"versions":["1.0"]}]}`
	if rs, err = ParseOSV([]byte(unrated)); err != nil || rs[0].Severity != Medium || rs[0].Rated {
		t.Fatalf("unrated: %+v %v", rs, err)
	}
	for _, bad := range []string{
		``, `nope`, `{"id":`, `[]`, `{"vulns":[]}`, `{"summary":"no id"}`, `{"id":"a b"}`, `{"id":5}`,
		`[{"id":"A"},{"id":"a"}]`,
		`{"id":"A","affected":[{"package":{"name":"x"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0","fixed":"1"}]}]}]}`,
		`{"id":"A","affected":[{"package":{"name":"x"},"ranges":[{"type":"ECOSYSTEM","events":[{"fixed":"1"}]}]}]}`,
		`{"id":"A","affected":[{"package":{"name":"x"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"bogus":"1"}]}]}]}`,
		`{"id":"A","affected":[{"package":{"name":"x"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":""}]}]}]}`,
		`{"id":"A","affected":[{"package":{"name":"x"},"ranges":[{"type":"NPM","events":[{"introduced":"0"}]}]}]}`,
		`{"id":"A","affected":[{"package":{"name":""},"versions":["1"]}]}`,
		`{"id":"A","modified":"yesterday"}`,
	} {
		if rs, err := ParseOSV([]byte(bad)); err == nil {
			t.Errorf("%q parsed: %+v", bad, rs)
		}
	}
}

func TestSnapshotVulnerabilities(t *testing.T) {
	recs := []Known{
		{ID: "A", Severity: High, Affected: []Affected{{Package: "numpy", Ranges: []Range{{Type: "ECOSYSTEM", Events: ev("i", "0", "f", "2.0")}}}}},
		{ID: "B", Severity: Low, Affected: []Affected{{Package: "NumPy", Versions: []string{"1.0"}}, {Package: "scipy", Versions: []string{"1.0"}}}},
	}
	s := NewWithRecords(nil, recs, map[string]map[string]bool{"B": {"scipy": true}})
	if got := s.Vulnerabilities("numpy", "1.0"); len(got) != 2 || got[0].ID != "A" || got[1].ID != "B" {
		t.Fatalf("numpy 1.0: %+v", got)
	}
	if s.Worst("numpy", "1.0") != High || s.Worst("numpy", "2.0") != None || s.Worst("scipy", "1.0") != None {
		t.Fatal("worst")
	}
	var nilSnap *Snapshot
	if nilSnap.Worst("numpy", "1") != None || nilSnap.LicenseRefusal("MIT") != "" || nilSnap.Vulnerabilities("a", "1") != nil {
		t.Fatal("nil snapshot")
	}
}
