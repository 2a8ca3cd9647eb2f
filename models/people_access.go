package models

import (
	"context"
	"slices"

	"gatehouse/models/access"
)

// ActiveSubjects loads every active user as the engine sees them (email,
// roles, teams), ordered by email, in three queries however many people
// there are: what the Access views resolve grants against. Disabled users
// are left out: they hold nothing.
func (s *Store) ActiveSubjects(ctx context.Context) ([]access.Subject, error) {
	db := s.db.WithContext(ctx)
	var users []struct {
		ID    uint
		Email string
	}
	if err := db.Table("users").Select("id, email").Where("disabled = ?", false).Order("email").Scan(&users).Error; err != nil {
		return nil, err
	}
	type named struct {
		UserID uint
		Name   string
	}
	var roles, teams []named
	if err := db.Table("user_roles ur").Select("ur.user_id, r.name").Joins("JOIN roles r ON r.id = ur.role_id").Order("r.name").Scan(&roles).Error; err != nil {
		return nil, err
	}
	if err := db.Table("team_members tm").Select("tm.user_id, t.name").Joins("JOIN teams t ON t.id = tm.team_id").Order("t.name").Scan(&teams).Error; err != nil {
		return nil, err
	}
	out := make([]access.Subject, len(users))
	index := make(map[uint]int, len(users))
	for i, u := range users {
		out[i] = access.Subject{UserID: u.ID, Email: u.Email}
		index[u.ID] = i
	}
	for _, r := range roles {
		if i, ok := index[r.UserID]; ok {
			out[i].Roles = append(out[i].Roles, r.Name)
		}
	}
	for _, t := range teams {
		if i, ok := index[t.UserID]; ok {
			out[i].Teams = append(out[i].Teams, t.Name)
		}
	}
	for i := range out {
		slices.Sort(out[i].Roles)
		slices.Sort(out[i].Teams)
	}
	return out, nil
}
