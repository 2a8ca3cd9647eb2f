package models_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"gatehouse/models"
	"gatehouse/models/access"
	"gatehouse/models/modeltest"
)

// BenchmarkReadablePages1000 lists the pages a member may read among 1,000
// pages, as the navigation does on every request (spec §10: under 5 ms).
func BenchmarkReadablePages1000(b *testing.B) {
	for _, backend := range modeltest.Backends(b) {
		b.Run(string(backend), func(b *testing.B) {
			s := modeltest.Open(b, backend)
			ctx := b.Context()
			u := modeltest.MustUser(b, s, "member@x.io", access.RoleMember)
			team, err := s.CreateTeam(ctx, "Platform", "")
			if err != nil {
				b.Fatal(err)
			}
			if _, _, err := s.SetTeamMembers(ctx, team.ID, []string{u.Email}); err != nil {
				b.Fatal(err)
			}
			for i := range 1000 {
				title := fmt.Sprintf("Page %04d", i)
				p, err := s.CreatePage(ctx, models.PageInput{Identifier: fmt.Sprintf("page-%04d", i), Title: &title})
				if err != nil {
					b.Fatal(err)
				}
				if i%3 == 0 { // a third readable by the team and one user only
					_, _, err = s.ApplyGrantsPatch(ctx, models.ResourcePage, p.ID, map[string]access.GrantsPatch{
						"read": {Roles: &[]string{access.RoleAdmin}, Users: &[]string{"member@x.io"}, Teams: &[]string{"Platform"}}})
					if err != nil {
						b.Fatal(err)
					}
				}
			}
			u, err = s.UserByEmail(ctx, "member@x.io")
			if err != nil {
				b.Fatal(err)
			}
			subj := u.Subject()
			var took []time.Duration
			for b.Loop() {
				start := time.Now()
				pages, err := s.ReadablePages(ctx, subj, "")
				if err != nil || len(pages) != 1000 {
					b.Fatalf("%d pages, %v", len(pages), err)
				}
				took = append(took, time.Since(start))
			}
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
		})
	}
}
