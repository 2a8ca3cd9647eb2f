package models_test

import (
	"testing"

	"gatehouse/models"
	"gatehouse/models/modeltest"
)

// The actor filter matches any part of an email, ignoring case and spaces
// as emails do; both filters match literally (no LIKE wildcards).
func TestAuditFilterMatchesLiterally(t *testing.T) {
	modeltest.ForEach(t, func(t *testing.T, s *models.Store) {
		ctx := t.Context()
		for _, a := range []models.Audit{
			{ActorEmail: "a@example.com", Action: "signin.success"},
			{ActorEmail: "a@example.com", Action: "page.permissions"},
			{ActorEmail: "bob_x@example.org", Action: "signin.success"},
		} {
			if err := s.Record(ctx, a); err != nil {
				t.Fatal(err)
			}
		}
		for _, tc := range []struct {
			f    models.AuditFilter
			want int
		}{
			{models.AuditFilter{Actor: " A@Example.COM "}, 2},
			{models.AuditFilter{Actor: "example"}, 3},
			{models.AuditFilter{Actor: "B_X"}, 1},
			{models.AuditFilter{Actor: "bob%"}, 0},
			{models.AuditFilter{Actor: "b_b"}, 0},
			{models.AuditFilter{Actor: ".org"}, 1},
			{models.AuditFilter{Action: "signin"}, 2},
			{models.AuditFilter{Action: "sign_n"}, 0},
			{models.AuditFilter{Action: "%"}, 0},
			{models.AuditFilter{Action: "page"}, 1},
		} {
			evs, err := s.AuditEvents(ctx, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) != tc.want {
				t.Errorf("%+v: %d events, want %d", tc.f, len(evs), tc.want)
			}
		}
	})
}
