package models

import (
	"context"
	"strings"

	"gorm.io/gorm"
)

// ValidateName checks a role or team name.
func ValidateName(field, name string) (string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", Invalid(field, "Name is required.")
	case len(name) > MaxNameLen:
		return "", Invalid(field, "Name must be at most %d characters.", MaxNameLen)
	case strings.ContainsAny(name, "\x00\r\n\t") || !storable(name):
		return "", Invalid(field, "Name may not contain control characters or invalid UTF-8.")
	}
	return identifier(field, name)
}

// CreateTeam adds a team; names are unique regardless of case.
func (s *Store) CreateTeam(ctx context.Context, name, description string) (*Team, error) {
	name, err := ValidateName("name", name)
	if err != nil {
		return nil, err
	}
	if len(description) > MaxDescLen {
		return nil, Invalid("description", "Description must be at most %d characters.", MaxDescLen)
	}
	if !storable(description) {
		return nil, Invalid("description", "Description may not contain NUL characters or invalid UTF-8.")
	}
	t := &Team{Name: name, Description: strings.TrimSpace(description)}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&Team{}).Where("LOWER(name) = ?", strings.ToLower(name)).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return Conflict("A team named %q already exists.", name)
		}
		if err := tx.Create(t).Error; err != nil {
			if isDuplicate(err) {
				return Conflict("A team named %q already exists.", name)
			}
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// Teams lists every team with its members.
func (s *Store) Teams(ctx context.Context) ([]Team, error) {
	var ts []Team
	err := s.db.WithContext(ctx).Preload("Members", func(db *gorm.DB) *gorm.DB { return db.Order("email") }).Order("name").Find(&ts).Error
	return ts, err
}

// Team returns a team with its members.
func (s *Store) Team(ctx context.Context, id uint) (*Team, error) {
	var t Team
	if err := s.db.WithContext(ctx).Preload("Members", func(db *gorm.DB) *gorm.DB { return db.Order("email") }).First(&t, id).Error; err != nil {
		return nil, notFound(err)
	}
	return &t, nil
}

// SetTeamMembers replaces a team's members by email and returns the team
// before and after.
func (s *Store) SetTeamMembers(ctx context.Context, id uint, emails []string) (before, after *Team, err error) {
	before, err = s.Team(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		users, err := usersByEmail(tx, emails)
		if err != nil {
			return err
		}
		return tx.Model(&Team{ID: id}).Association("Members").Replace(users)
	})
	if err != nil {
		return nil, nil, err
	}
	after, err = s.Team(ctx, id)
	return before, after, err
}

// DeleteTeam removes a team, its memberships and the grants naming it.
func (s *Store) DeleteTeam(ctx context.Context, id uint) (*Team, error) {
	t, err := s.Team(ctx, id)
	if err != nil {
		return nil, err
	}
	return t, s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Model(t).Association("Members").Clear(); err != nil {
			return err
		}
		if err := tx.Where("principal_kind = ? AND principal_id = ?", PrincipalTeam, id).Delete(&Grant{}).Error; err != nil {
			return err
		}
		return tx.Delete(&Team{}, id).Error
	})
}

// MemberEmails lists the team's member emails.
func (t *Team) MemberEmails() []string {
	out := make([]string, len(t.Members))
	for i, m := range t.Members {
		out[i] = m.Email
	}
	return out
}

// usersByEmail loads users, failing with every unknown email.
func usersByEmail(tx *gorm.DB, emails []string) ([]User, error) {
	norm := make([]string, 0, len(emails))
	for _, e := range emails {
		if !storable(e) {
			return nil, Invalid("users", "Unknown user: %q.", e)
		}
		if e = strings.ToLower(strings.TrimSpace(e)); e != "" {
			norm = append(norm, e)
		}
	}
	var users []User
	if len(norm) == 0 {
		return users, nil
	}
	if err := tx.Where("email IN ?", norm).Find(&users).Error; err != nil {
		return nil, err
	}
	if missing := missingNames(norm, users, func(u User) string { return u.Email }); len(missing) > 0 {
		return nil, Invalid("users", "Unknown user: %s.", strings.Join(missing, ", "))
	}
	return users, nil
}

// missingNames returns the wanted names no item carries.
func missingNames[T any](want []string, have []T, name func(T) string) []string {
	seen := make(map[string]bool, len(have))
	for _, h := range have {
		seen[name(h)] = true
	}
	var missing []string
	for _, w := range want {
		if !seen[w] {
			missing = append(missing, w)
			seen[w] = true
		}
	}
	return missing
}
