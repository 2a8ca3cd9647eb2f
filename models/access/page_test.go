package access

import (
	"errors"
	"strings"
	"testing"
)

func TestPageLevel(t *testing.T) {
	admin := Subject{UserID: 1, Email: "a@x.io", Roles: []string{RoleAdmin}}
	member := Subject{UserID: 2, Email: "m@x.io", Roles: []string{RoleMember}}
	byTeam := Subject{UserID: 3, Email: "t@x.io", Roles: []string{"Guest"}, Teams: []string{"Team 1"}}
	byEmail := Subject{UserID: 4, Email: "e@x.io", Roles: []string{"Guest"}}
	nobody := Subject{UserID: 5, Email: "n@x.io", Roles: []string{"Guest"}}
	disabled := Subject{UserID: 6, Email: "m2@x.io", Roles: []string{RoleMember, RoleAdmin}, Disabled: true}
	anon := Subject{}
	read := Grants{Roles: []string{RoleMember}, Users: []string{"E@X.io"}, Teams: []string{"Team 1"}}
	tests := []struct {
		name   string
		s      Subject
		read   Grants
		want   Level
		change bool // may change an unlocked page's view
		locked bool // may change a locked page's view
	}{
		{"admin reads everything", admin, Grants{}, Manage, true, true},
		{"member by role", member, read, Read, true, false},
		{"by team", byTeam, read, Read, true, false},
		{"by email, any case", byEmail, read, Read, true, false},
		{"not granted", nobody, read, None, false, false},
		{"member when roles emptied", member, Grants{Users: []string{"e@x.io"}}, None, false, false},
		{"disabled admin", disabled, read, None, false, false},
		{"anonymous", anon, read, None, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := PageLevel(tt.s, tt.read); got != tt.want {
				t.Errorf("PageLevel = %v, want %v", got, tt.want)
			}
			if got := CanReadPage(tt.s, tt.read); got != (tt.want >= Read) {
				t.Errorf("CanReadPage = %v", got)
			}
			// Stores query by principals: they must decide exactly as Includes does.
			if got, want := ReadersFor(tt.s).Match(tt.read), tt.s.IsAdmin() || tt.read.Includes(tt.s); got != want {
				t.Errorf("ReadersFor(...).Match = %v, Includes says %v", got, want)
			}
			if got := CanChangeView(tt.s, tt.read, false); got != tt.change {
				t.Errorf("CanChangeView(unlocked) = %v, want %v", got, tt.change)
			}
			if got := CanChangeView(tt.s, tt.read, true); got != tt.locked {
				t.Errorf("CanChangeView(locked) = %v, want %v", got, tt.locked)
			}
		})
	}
	if !May(Actor{Subject: admin}, "page:edit", Manage, System()) || May(Actor{Subject: member}, "page:edit", Manage, System()) || May(Actor{Subject: disabled}, "page:edit", Manage, System()) {
		t.Error("only active admins manage pages")
	}
}

func TestReservedPage(t *testing.T) {
	for id, want := range map[string]bool{"builder": true, "audit-log": true, " Builder ": true, "services": false, "audit": false, "": false} {
		if _, got := ReservedPage(id); got != want {
			t.Errorf("ReservedPage(%q) = %v, want %v", id, got, want)
		}
	}
}

func TestValidateWidget(t *testing.T) {
	tests := []struct {
		name    string
		in      Widget
		wantErr []string // substrings, one per expected problem
		check   func(t *testing.T, w Widget)
	}{
		{name: "minimal artifacts", in: Widget{Kind: KindArtifacts}, check: func(t *testing.T, w Widget) {
			if w.Type != WidgetTable || w.Filters == nil || w.Hidden == nil {
				t.Errorf("not normalised: %+v", w)
			}
		}},
		{name: "channels with everything", in: Widget{Type: "table", Kind: KindChannels,
			Filters: []Filter{{Column: "name", Op: "eq", Value: " core "}, {Column: "privacy", Value: "public"}},
			Hidden:  []string{"description", "description"}, Sort: &Sort{Column: "created", Desc: true}},
			check: func(t *testing.T, w Widget) {
				if w.Filters[0].Value != "core" || w.Filters[1].Op != OpContains || len(w.Hidden) != 1 {
					t.Errorf("not normalised: %+v", w)
				}
			}},
		{name: "empty filter values dropped", in: Widget{Kind: KindArtifacts, Filters: []Filter{{Column: "name", Value: "  "}}},
			check: func(t *testing.T, w Widget) {
				if len(w.Filters) != 0 {
					t.Errorf("filters = %+v", w.Filters)
				}
			}},
		{name: "unknown type", in: Widget{Type: "chart", Kind: KindArtifacts}, wantErr: []string{`type "chart"`}},
		{name: "unknown kind", in: Widget{Kind: "tokens"}, wantErr: []string{`kind "tokens"`}},
		{name: "unknown filter column", in: Widget{Kind: KindChannels, Filters: []Filter{{Column: "version", Value: "1"}}}, wantErr: []string{`filter column "version"`}},
		{name: "unfilterable column", in: Widget{Kind: KindArtifacts, Filters: []Filter{{Column: "size", Value: "1"}}}, wantErr: []string{`"size" cannot be filtered`}},
		{name: "unknown op", in: Widget{Kind: KindArtifacts, Filters: []Filter{{Column: "name", Op: "regex", Value: "x"}}}, wantErr: []string{`op "regex"`}},
		{name: "long value", in: Widget{Kind: KindArtifacts, Filters: []Filter{{Column: "name", Value: strings.Repeat("x", MaxFilterValue+1)}}}, wantErr: []string{"longer than"}},
		{name: "every column hidden", in: Widget{Kind: KindChannels, Hidden: []string{"name", "description", "privacy", "created"}}, wantErr: []string{"at least one column"}},
		{name: "unknown hidden and sort", in: Widget{Kind: KindArtifacts, Hidden: []string{"nope"}, Sort: &Sort{Column: "zzz"}},
			wantErr: []string{`hidden column "nope"`, `sort column "zzz"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := ValidateWidget(tt.in)
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				tt.check(t, w)
				return
			}
			var we *WidgetError
			if !errors.As(err, &we) || len(we.Problems) != len(tt.wantErr) {
				t.Fatalf("err = %v, want %d problems", err, len(tt.wantErr))
			}
			for i, want := range tt.wantErr {
				if !strings.Contains(we.Problems[i], want) {
					t.Errorf("problem %d = %q, want it to name %q", i, we.Problems[i], want)
				}
			}
		})
	}
}

func TestEffectiveView(t *testing.T) {
	saved := Widget{Type: WidgetTable, Kind: KindArtifacts, Filters: []Filter{{Column: "channel", Op: OpEq, Value: "main"}}, Hidden: []string{"build"}}
	mine := View{Custom: true, Filters: []Filter{{Column: "name", Value: "numpy"}, {Column: "size", Value: "1"}, {Column: "zzz", Value: "x"}}, Hidden: []string{"license", "nope"}}
	tests := []struct {
		name      string
		req       View
		mayChange bool
		filters   int
		hidden    []string
		sort      string
	}{
		{"no request: saved view", View{}, true, 1, []string{"build"}, ""},
		{"viewer's own view replaces it, bad entries dropped", mine, true, 1, []string{"license"}, ""},
		{"locked: saved view applies", mine, false, 1, []string{"build"}, ""},
		{"sort applies even when locked", View{Sort: &Sort{Column: "name"}}, false, 1, []string{"build"}, "name"},
		{"hiding every column keeps one", View{Custom: true, Hidden: []string{"channel", "name", "version", "build", "subdir", "license", "size", "uploaded", "vulnerabilities"}}, true, 0, []string{"name", "version", "build", "subdir", "license", "size", "uploaded", "vulnerabilities"}, ""},
		{"unknown sort ignored", View{Sort: &Sort{Column: "zzz"}}, true, 1, []string{"build"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := EffectiveView(saved, tt.req, tt.mayChange)
			if len(w.Filters) != tt.filters || strings.Join(w.Hidden, ",") != strings.Join(tt.hidden, ",") {
				t.Errorf("got filters %+v hidden %v", w.Filters, w.Hidden)
			}
			got := ""
			if w.Sort != nil {
				got = w.Sort.Column
			}
			if got != tt.sort {
				t.Errorf("sort = %q, want %q", got, tt.sort)
			}
		})
	}
	if w := EffectiveView(saved, mine, true); w.Filters[0].Column != "name" {
		t.Errorf("viewer filter not applied: %+v", w.Filters)
	}
}

// TestReadersForAgreesWithIncludes walks many subjects and grants: the
// principals stores query by must decide exactly as the engine does.
func TestReadersForAgreesWithIncludes(t *testing.T) {
	subsets := func(xs []string) [][]string {
		var out [][]string
		for m := 0; m < 1<<len(xs); m++ {
			var s []string
			for i, x := range xs {
				if m&(1<<i) != 0 {
					s = append(s, x)
				}
			}
			out = append(out, s)
		}
		return out
	}
	roles, teams, users := subsets([]string{RoleAdmin, RoleMember, "Mod"}), subsets([]string{"T1", "T2"}), subsets([]string{"a@x.io", "B@x.io"})
	n := 0
	for _, sr := range roles {
		for _, st := range teams {
			for _, email := range []string{"a@x.io", "b@x.io", "c@x.io"} {
				for _, disabled := range []bool{false, true} {
					s := Subject{UserID: 1, Email: email, Roles: sr, Teams: st, Disabled: disabled}
					for _, gr := range roles {
						for _, gt := range teams {
							for _, gu := range users {
								g := Grants{Roles: gr, Teams: gt, Users: gu}
								want := s.IsAdmin() || g.Includes(s)
								if got := ReadersFor(s).Match(g); got != want {
									t.Fatalf("subject %+v grants %+v: Match %v, Includes %v", s, g, got, want)
								}
								n++
							}
						}
					}
				}
			}
		}
	}
	if ReadersFor(Subject{}).Match(Grants{Roles: []string{RoleMember}}) || !ReadersFor(Subject{}).None() {
		t.Error("anonymous reads")
	}
	t.Logf("%d cases", n)
}
