package handlers_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"gatehouse/handlers/handlertest"
	"gatehouse/models"
	"gatehouse/models/access"
	"gatehouse/models/modeltest"
)

// seedPeople inserts n users in bulk (no password hashing): every other one
// holds Member, the rest a custom role; every user is in one of n/50 teams.
func seedPeople(b *testing.B, s *models.Store, n int) {
	b.Helper()
	db := s.DB()
	guest := &models.Role{Name: "Guest"}
	if err := db.Create(guest).Error; err != nil {
		b.Fatal(err)
	}
	var member models.Role
	if err := db.Where("name = ?", access.RoleMember).First(&member).Error; err != nil {
		b.Fatal(err)
	}
	teams := make([]models.Team, n/50)
	for i := range teams {
		teams[i] = models.Team{Name: fmt.Sprintf("team-%03d", i)}
	}
	if err := db.Create(&teams).Error; err != nil {
		b.Fatal(err)
	}
	users := make([]models.User, n)
	for i := range users {
		users[i] = models.User{Email: fmt.Sprintf("user%05d@example.com", i), PasswordHash: "x", Disabled: i%100 == 99}
	}
	if err := db.CreateInBatches(&users, 500).Error; err != nil {
		b.Fatal(err)
	}
	var roles, members []map[string]any
	for i, u := range users {
		role := member.ID
		if i%2 == 1 {
			role = guest.ID
		}
		roles = append(roles, map[string]any{"user_id": u.ID, "role_id": role})
		members = append(members, map[string]any{"team_id": teams[i%len(teams)].ID, "user_id": u.ID})
	}
	if err := db.Table("user_roles").CreateInBatches(roles, 500).Error; err != nil {
		b.Fatal(err)
	}
	if err := db.Table("team_members").CreateInBatches(members, 500).Error; err != nil {
		b.Fatal(err)
	}
}

// BenchmarkWhoReadsAPage10k resolves a page's grants (the Member role, ten
// teams, fifty emails) to the people among 10,000 through the real server:
// GET /v1/pages/{id}/readers, the first 50 of about 5,100 readers.
func BenchmarkWhoReadsAPage10k(b *testing.B) {
	for _, backend := range modeltest.Backends(b) {
		b.Run(string(backend), func(b *testing.B) {
			srv := handlertest.Start(b, backend)
			seedPeople(b, srv.Store, 10000)
			adm := srv.AsAdmin()
			var emails []string
			for i := range 50 {
				emails = append(emails, fmt.Sprintf("user%05d@example.com", 2*i+1))
			}
			var teams []string
			for i := range 10 {
				teams = append(teams, fmt.Sprintf("team-%03d", i))
			}
			if r := adm.SendJSON("POST", "/v1/pages", `{"identifier":"services","title":"Services","widgets":[]}`); r.StatusCode != http.StatusCreated {
				b.Fatal(r.Body)
			}
			if r := adm.SendJSON("PATCH", "/v1/pages/services/permissions", map[string]any{"read": map[string]any{"roles": []string{"Member"}, "teams": teams, "users": emails}}); r.StatusCode != http.StatusOK {
				b.Fatal(r.Body)
			}
			var took []time.Duration
			for b.Loop() {
				start := time.Now()
				if r := adm.Get("/v1/pages/services/readers"); r.StatusCode != http.StatusOK {
					b.Fatalf("status %d", r.StatusCode)
				}
				took = append(took, time.Since(start))
			}
			reportP50(b, took)
		})
	}
}

// BenchmarkPageWithAlerts renders /channels for a member holding 20 tokens
// (5 about to expire) among 100,000: the one query behind the alerts on
// every page, with the rest of the shell.
func BenchmarkPageWithAlerts(b *testing.B) {
	for _, backend := range modeltest.Backends(b) {
		b.Run(string(backend), func(b *testing.B) {
			srv := handlertest.Start(b, backend)
			s := srv.Store
			other := modeltest.MustUser(b, s, "other@x.io", access.RoleMember)
			modeltest.SeedTokens(b, s, other, 100000, 0)
			m := modeltest.MustUser(b, s, "member@x.io", access.RoleMember)
			for i := range 20 {
				days := 100
				if i < 5 {
					days = 3
				}
				if _, _, err := s.CreateToken(b.Context(), m, models.NewToken{Name: fmt.Sprint("t", i), ExpiresOn: future(days), Grant: access.TokenGrant{Scopes: []string{"user.token:view"}}}); err != nil {
					b.Fatal(err)
				}
			}
			c := srv.Login("member@x.io")
			var took []time.Duration
			for b.Loop() {
				start := time.Now()
				if r := c.Get("/channels"); r.StatusCode != http.StatusOK {
					b.Fatalf("status %d", r.StatusCode)
				}
				took = append(took, time.Since(start))
			}
			reportP50(b, took)
		})
	}
}
