package models_test

import (
	"errors"
	"strings"
	"testing"

	"gatehouse/models"
	"gatehouse/models/access"
	"gatehouse/models/modeltest"
)

// Every user keeps at least one role: a role that is someone's only role
// cannot be deleted (409 naming them); once they hold another it can.
func TestDeleteRoleKeepsEveryUserARole(t *testing.T) {
	modeltest.ForEach(t, func(t *testing.T, s *models.Store) {
		ctx := t.Context()
		role, err := s.CreateRole(ctx, "Contractor")
		if err != nil {
			t.Fatal(err)
		}
		only := modeltest.MustUser(t, s, "only@example.com", "Contractor")
		modeltest.MustUser(t, s, "both@example.com", "Contractor", access.RoleMember)
		_, err = s.DeleteRole(ctx, role.ID)
		var ce *models.ConflictError
		if !errors.As(err, &ce) || !strings.Contains(ce.Message, "only@example.com") || strings.Contains(ce.Message, "both@example.com") {
			t.Fatalf("delete a role that is someone's only one: %v", err)
		}
		if u, _ := s.User(ctx, only.ID); strings.Join(u.RoleNames(), ",") != "Contractor" {
			t.Fatalf("a refused delete was half-stored: %v", u.RoleNames())
		}
		member := []string{access.RoleMember, "Contractor"}
		if _, _, err := s.UpdateUser(ctx, only.ID, models.UserUpdate{Roles: &member}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.DeleteRole(ctx, role.ID); err != nil {
			t.Fatalf("delete once everyone has another role: %v", err)
		}
		if u, _ := s.User(ctx, only.ID); strings.Join(u.RoleNames(), ",") != "Member" {
			t.Fatalf("roles after delete: %v", u.RoleNames())
		}
	})
}
