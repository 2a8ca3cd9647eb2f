package models

import (
	"context"
	"strings"

	"gorm.io/gorm"

	"gatehouse/models/access"
)

// Principal kinds a grant can name.
const (
	PrincipalRole = "role"
	PrincipalUser = "user"
	PrincipalTeam = "team"
)

// Resource types that carry grants.
const (
	ResourceChannel = "channel"
	ResourcePage    = "page"
	// ResourceGroup (group.go) is a channel group.
)

// Grant gives one principal one level on one resource (a channel or a page).
// Grants point at ids, so renaming a team keeps its grants.
type Grant struct {
	ID            uint   `gorm:"primaryKey"`
	ResourceType  string `gorm:"size:16;not null;uniqueIndex:idx_grant_unique,priority:1"`
	ResourceID    uint   `gorm:"not null;uniqueIndex:idx_grant_unique,priority:2"`
	Level         string `gorm:"size:8;not null;uniqueIndex:idx_grant_unique,priority:3"`
	PrincipalKind string `gorm:"size:8;not null;uniqueIndex:idx_grant_unique,priority:4;index:idx_grant_principal,priority:1"`
	PrincipalID   uint   `gorm:"not null;uniqueIndex:idx_grant_unique,priority:5;index:idx_grant_principal,priority:2"`
}

// LevelGrants maps a level name ("read", "write", "manage") to who holds it.
type LevelGrants map[string]access.Grants

// grantRow is a grant joined with its principal's name.
type grantRow struct {
	ResourceID    uint
	Level         string
	PrincipalKind string
	Name          string
}

// GrantsFor loads the grants of many resources of one type at once.
func (s *Store) GrantsFor(ctx context.Context, resourceType string, ids []uint) (map[uint]LevelGrants, error) {
	return grantsFor(s.db.WithContext(ctx), resourceType, ids)
}

func grantsFor(db *gorm.DB, resourceType string, ids []uint) (map[uint]LevelGrants, error) {
	out := make(map[uint]LevelGrants, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var rows []grantRow
	err := db.Raw(`
SELECT g.resource_id, g.level, g.principal_kind,
       COALESCE(r.name, u.email, t.name) AS name
FROM grants g
LEFT JOIN roles r ON g.principal_kind = 'role' AND r.id = g.principal_id
LEFT JOIN users u ON g.principal_kind = 'user' AND u.id = g.principal_id
LEFT JOIN teams t ON g.principal_kind = 'team' AND t.id = g.principal_id
WHERE g.resource_type = ? AND g.resource_id IN ?
ORDER BY name`, resourceType, ids).Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		out[id] = LevelGrants{}
	}
	for _, r := range rows {
		g := out[r.ResourceID][r.Level]
		switch r.PrincipalKind {
		case PrincipalRole:
			g.Roles = append(g.Roles, r.Name)
		case PrincipalUser:
			g.Users = append(g.Users, r.Name)
		case PrincipalTeam:
			g.Teams = append(g.Teams, r.Name)
		}
		out[r.ResourceID][r.Level] = g
	}
	return out, nil
}

// Normalized returns the grants with nil lists as empty ones, so JSON shows [].
func Normalized(g access.Grants) access.Grants {
	if g.Roles == nil {
		g.Roles = []string{}
	}
	if g.Users == nil {
		g.Users = []string{}
	}
	if g.Teams == nil {
		g.Teams = []string{}
	}
	return g
}

// replaceGrants sets exactly who holds level on a resource, resolving names to
// ids and failing with every unknown name (nothing is written then).
func replaceGrants(tx *gorm.DB, resourceType string, resourceID uint, level string, g access.Grants) error {
	var problems []string
	var rows []Grant
	add := func(kind string, ids []uint) {
		for _, id := range ids {
			rows = append(rows, Grant{ResourceType: resourceType, ResourceID: resourceID, Level: level, PrincipalKind: kind, PrincipalID: id})
		}
	}
	var roles []Role
	if len(g.Roles) > 0 {
		if err := tx.Where("name IN ?", storableOnly(g.Roles)).Find(&roles).Error; err != nil {
			return err
		}
		if m := missingNames(g.Roles, roles, func(r Role) string { return r.Name }); len(m) > 0 {
			problems = append(problems, "unknown role: "+strings.Join(m, ", "))
		}
	}
	var users []User
	if len(g.Users) > 0 {
		if err := tx.Where("email IN ?", storableOnly(g.Users)).Find(&users).Error; err != nil {
			return err
		}
		if m := missingNames(g.Users, users, func(u User) string { return u.Email }); len(m) > 0 {
			problems = append(problems, "unknown user: "+strings.Join(m, ", "))
		}
	}
	var teams []Team
	if len(g.Teams) > 0 {
		if err := tx.Where("name IN ?", storableOnly(g.Teams)).Find(&teams).Error; err != nil {
			return err
		}
		if m := missingNames(g.Teams, teams, func(t Team) string { return t.Name }); len(m) > 0 {
			problems = append(problems, "unknown team: "+strings.Join(m, ", "))
		}
	}
	if len(problems) > 0 {
		return Invalid(level, "%s.", capitalize(strings.Join(problems, "; ")))
	}
	add(PrincipalRole, ids(roles, func(r Role) uint { return r.ID }))
	add(PrincipalUser, ids(users, func(u User) uint { return u.ID }))
	add(PrincipalTeam, ids(teams, func(t Team) uint { return t.ID }))
	if err := tx.Where("resource_type = ? AND resource_id = ? AND level = ?", resourceType, resourceID, level).Delete(&Grant{}).Error; err != nil {
		return err
	}
	if len(rows) == 0 {
		return nil
	}
	return tx.Create(&rows).Error
}

// ApplyGrantsPatch applies a PATCH to a resource's grants inside one
// transaction and returns the grants before and after. Nothing is written
// when any name is unknown.
func (s *Store) ApplyGrantsPatch(ctx context.Context, resourceType string, resourceID uint, patch map[string]access.GrantsPatch) (before, after LevelGrants, err error) {
	err = s.tx(ctx, func(tx *gorm.DB) error {
		cur, err := grantsFor(tx, resourceType, []uint{resourceID})
		if err != nil {
			return err
		}
		before = cur[resourceID]
		after = LevelGrants{}
		for lvl, g := range before {
			after[lvl] = g
		}
		var problems []string
		for lvl, p := range patch {
			next := p.Apply(before[lvl])
			if err := replaceGrants(tx, resourceType, resourceID, lvl, next); err != nil {
				if ve, ok := err.(*ValidationError); ok {
					problems = append(problems, ve.Message)
					continue
				}
				return err
			}
			after[lvl] = next
		}
		if len(problems) > 0 {
			return Invalid("permissions", "%s", strings.Join(problems, " "))
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return before, after, nil
}

func ids[T any](items []T, id func(T) uint) []uint {
	out := make([]uint, len(items))
	for i, it := range items {
		out[i] = id(it)
	}
	return out
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// GrantRef names one grant a principal holds: the resource (a channel name
// or page identifier) and the level.
type GrantRef struct {
	Resource string `json:"resource"`
	Name     string `json:"name"`
	Level    string `json:"level"`
}

// GrantsOf lists the grants naming one principal, so deleting it can record
// the permissions that go with it.
func (s *Store) GrantsOf(ctx context.Context, principalKind string, principalID uint) ([]GrantRef, error) {
	out := []GrantRef{}
	err := s.db.WithContext(ctx).Raw(`
SELECT g.resource_type AS resource, COALESCE(p.identifier, c.name, cg.name, '') AS name, g.level
FROM grants g
LEFT JOIN pages p ON g.resource_type = 'page' AND p.id = g.resource_id
LEFT JOIN channels c ON g.resource_type = 'channel' AND c.id = g.resource_id
LEFT JOIN channel_groups cg ON g.resource_type = 'group' AND cg.id = g.resource_id
WHERE g.principal_kind = ? AND g.principal_id = ?
ORDER BY g.resource_type, name, g.level`, principalKind, principalID).Scan(&out).Error
	return out, err
}
