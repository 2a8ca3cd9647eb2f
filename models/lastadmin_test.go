package models_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"gatehouse/models"
	"gatehouse/models/access"
	"gatehouse/models/modeltest"
)

// The product never loses its last active admin: demoting or disabling the
// only one is a conflict and nothing is written.
func TestLastActiveAdminIsKept(t *testing.T) {
	modeltest.ForEach(t, func(t *testing.T, s *models.Store) {
		ctx := t.Context()
		a := modeltest.MustUser(t, s, "a@example.com", access.RoleAdmin)
		b := modeltest.MustUser(t, s, "b@example.com", access.RoleAdmin, access.RoleMember)
		member := []string{access.RoleMember}
		yes := true

		// Two admins: one may be demoted.
		if _, _, err := s.UpdateUser(ctx, b.ID, models.UserUpdate{Roles: &member}); err != nil {
			t.Fatalf("demote one of two admins: %v", err)
		}
		// Now a is the last: neither demotion nor disabling is allowed.
		if _, _, err := s.UpdateUser(ctx, a.ID, models.UserUpdate{Roles: &member}); !errors.Is(err, models.ErrConflict) {
			t.Fatalf("demote the last admin: %v", err)
		}
		if _, _, err := s.UpdateUser(ctx, a.ID, models.UserUpdate{Disabled: &yes}); !errors.Is(err, models.ErrConflict) {
			t.Fatalf("disable the last admin: %v", err)
		}
		if got, _ := s.User(ctx, a.ID); !got.IsAdmin() {
			t.Fatalf("a refused change was half-stored: %+v %v", got.RoleNames(), got.Disabled)
		}
		// A disabled admin does not count as the other admin.
		admins := []string{access.RoleAdmin}
		if _, _, err := s.UpdateUser(ctx, b.ID, models.UserUpdate{Roles: &admins, Disabled: &yes}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.UpdateUser(ctx, a.ID, models.UserUpdate{Roles: &member}); !errors.Is(err, models.ErrConflict) {
			t.Fatalf("demote the last active admin beside a disabled one: %v", err)
		}
		// Changes that keep a an admin still work.
		both := []string{access.RoleAdmin, access.RoleMember}
		if _, _, err := s.UpdateUser(ctx, a.ID, models.UserUpdate{Roles: &both}); err != nil {
			t.Fatalf("add a role to the last admin: %v", err)
		}
	})
}

// Two admins demoting themselves at the same moment cannot both succeed.
func TestLastActiveAdminUnderRace(t *testing.T) {
	for _, b := range modeltest.Backends(t) {
		t.Run(string(b), func(t *testing.T) {
			for round := range 20 {
				s := modeltest.Open(t, b)
				ctx := t.Context()
				var ids []uint
				for i := range 2 {
					u := modeltest.MustUser(t, s, fmt.Sprintf("r%d-%d@example.com", round, i), access.RoleAdmin)
					ids = append(ids, u.ID)
				}
				var wg sync.WaitGroup
				for _, id := range ids {
					wg.Add(1)
					go func() {
						defer wg.Done()
						member := []string{access.RoleMember}
						_, _, _ = s.UpdateUser(ctx, id, models.UserUpdate{Roles: &member})
					}()
				}
				wg.Wait()
				admins := 0
				for _, id := range ids {
					if u, err := s.User(ctx, id); err == nil && u.IsAdmin() {
						admins++
					}
				}
				if admins == 0 {
					t.Fatalf("round %d: both admins demoted themselves", round)
				}
			}
		})
	}
}
