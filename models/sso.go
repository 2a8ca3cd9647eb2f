package models

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"gatehouse/models/access"
)

// Limits on what an identity provider may assert about a person.
const (
	MaxSSOSubjectLen = 255 // OpenID Connect's own limit for "sub"
	MaxSSOIssuerLen  = 500
)

// SSOSignIn is what the identity provider said about a person, and what it
// means for the teams and the Admin role kept in step with its groups.
type SSOSignIn struct {
	Issuer  string
	Subject string
	Email   string
	// Teams holds every team the settings map a group onto: whether the
	// person belongs in it now. Teams not named here are left alone.
	Teams map[string]bool
	// Admin says whether the person should hold Admin; nil when no group
	// grants Admin, so the role is left alone.
	Admin *bool
}

// SSOResult says what a sign-in changed, for the audit log.
type SSOResult struct {
	User         *User
	Created      bool     // a new account
	Linked       bool     // an existing account, now tied to the provider
	OldEmail     string   // the provider changed the person's email from this
	TeamsCreated []string // mapped teams that did not exist yet
	TeamsAdded   []string
	TeamsRemoved []string
	AdminGranted bool
	AdminRevoked bool
	// AdminKept: the groups say no Admin, but the person is the last active
	// admin, so they keep it.
	AdminKept bool
}

// Changed reports whether the sign-in changed teams or roles.
func (r *SSOResult) Changed() bool {
	return len(r.TeamsAdded)+len(r.TeamsRemoved) > 0 || r.AdminGranted || r.AdminRevoked
}

// SignInSSO finds (or links, or creates) the person the provider vouched
// for and brings their mapped teams and Admin role in line with its groups,
// all in one transaction. A disabled account is refused with nothing changed.
func (s *Store) SignInSSO(ctx context.Context, in SSOSignIn) (*SSOResult, error) {
	email, err := NormalizeEmail(in.Email)
	if err != nil {
		return nil, err
	}
	if in.Subject == "" || len(in.Subject) > MaxSSOSubjectLen || !storable(in.Subject) ||
		in.Issuer == "" || len(in.Issuer) > MaxSSOIssuerLen || !storable(in.Issuer) {
		return nil, Invalid("subject", "The identity provider named the person with an unusable subject.")
	}
	res := &SSOResult{}
	var uid uint
	err = s.tx(ctx, func(tx *gorm.DB) error {
		u, err := ssoUser(tx, in, email, res)
		if err != nil {
			return err
		}
		uid = u.ID
		if err := syncTeams(tx, u, in.Teams, res); err != nil {
			return err
		}
		if in.Admin != nil {
			if err := syncAdmin(tx, u, *in.Admin, res); err != nil {
				return err
			}
		}
		return tx.Model(&User{}).Where("id = ?", u.ID).UpdateColumn("last_sign_in_at", s.Now().UTC()).Error
	})
	if err != nil {
		return nil, err
	}
	res.User, err = s.User(ctx, uid)
	return res, err
}

// ssoUser returns the account for the provider's subject: found by subject,
// else an account with the same email (which gets linked), else a new
// Member with no usable password.
func ssoUser(tx *gorm.DB, in SSOSignIn, email string, res *SSOResult) (*User, error) {
	people := func() *gorm.DB { return tx.Preload("Roles").Preload("Teams") }
	var u User
	err := people().Where("sso_issuer = ? AND sso_subject = ?", in.Issuer, in.Subject).First(&u).Error
	if err == nil {
		if u.Disabled {
			return nil, ErrUserDisabled
		}
		if u.Email != email {
			if err := changeEmail(tx, &u, email); err != nil {
				return nil, err
			}
			res.OldEmail = u.Email
			u.Email = email
		}
		return &u, nil
	}
	if !errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, err
	}
	err = people().Where("email = ?", email).First(&u).Error
	if err == nil {
		if u.SSOSubject != nil {
			return nil, Conflict("%s belongs to another account at the identity provider.", email)
		}
		if u.Disabled {
			return nil, ErrUserDisabled
		}
		if err := tx.Model(&User{}).Where("id = ?", u.ID).
			UpdateColumns(map[string]any{"sso_issuer": in.Issuer, "sso_subject": in.Subject}).Error; err != nil {
			return nil, err
		}
		res.Linked = true
		return &u, nil
	}
	if !errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, err
	}
	// Nobody knows this password: the account signs in through the provider
	// until an admin sets one.
	hash, err := HashPassword(RandomHex(32))
	if err != nil {
		return nil, err
	}
	roles, err := rolesByName(tx, []string{access.RoleMember})
	if err != nil {
		return nil, err
	}
	iss, sub := in.Issuer, in.Subject
	u = User{Email: email, PasswordHash: hash, SSOIssuer: &iss, SSOSubject: &sub}
	if err := tx.Omit(clause.Associations).Create(&u).Error; err != nil {
		if isDuplicate(err) {
			return nil, Conflict("An account for %s was created at the same moment; sign in again.", email)
		}
		return nil, err
	}
	for _, r := range roles {
		if err := tx.Exec("INSERT INTO user_roles (user_id, role_id) VALUES (?, ?)", u.ID, r.ID).Error; err != nil {
			return nil, err
		}
	}
	u.Roles = roles
	res.Created = true
	return &u, nil
}

// changeEmail follows the provider when it reports a new email address,
// unless another account already has it.
func changeEmail(tx *gorm.DB, u *User, email string) error {
	var n int64
	if err := tx.Model(&User{}).Where("email = ? AND id <> ?", email, u.ID).Count(&n).Error; err != nil {
		return err
	}
	if n > 0 {
		return Conflict("%s belongs to another account.", email)
	}
	return tx.Model(&User{}).Where("id = ?", u.ID).UpdateColumn("email", email).Error
}

// syncTeams adds u to the mapped teams it belongs in (creating those that
// do not exist yet) and removes it from the mapped teams it left.
func syncTeams(tx *gorm.DB, u *User, teams map[string]bool, res *SSOResult) error {
	names := make([]string, 0, len(teams))
	for n := range teams {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		want := teams[name]
		var t Team
		err := tx.Where("LOWER(name) = ?", strings.ToLower(name)).First(&t).Error
		switch {
		case errors.Is(err, gorm.ErrRecordNotFound):
			if !want {
				continue
			}
			t = Team{Name: name}
			if err := tx.Omit(clause.Associations).Create(&t).Error; err != nil {
				return err
			}
			res.TeamsCreated = append(res.TeamsCreated, t.Name)
		case err != nil:
			return err
		}
		member := slices.ContainsFunc(u.Teams, func(m Team) bool { return m.ID == t.ID })
		switch {
		case want && !member:
			if err := tx.Exec("INSERT INTO team_members (team_id, user_id) VALUES (?, ?)", t.ID, u.ID).Error; err != nil {
				return err
			}
			res.TeamsAdded = append(res.TeamsAdded, t.Name)
		case !want && member:
			if err := tx.Exec("DELETE FROM team_members WHERE team_id = ? AND user_id = ?", t.ID, u.ID).Error; err != nil {
				return err
			}
			res.TeamsRemoved = append(res.TeamsRemoved, t.Name)
		}
	}
	return nil
}

// syncAdmin grants or revokes Admin to match the groups, except that the
// last active admin keeps it.
func syncAdmin(tx *gorm.DB, u *User, want bool, res *SSOResult) error {
	// Admin changes queue on the Admin role's row, as in UpdateUser, so two
	// admins losing the role at once cannot both pass the last-admin check.
	var admin Role
	if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("name = ?", access.RoleAdmin).First(&admin).Error; err != nil {
		return err
	}
	has := slices.ContainsFunc(u.Roles, func(r Role) bool { return r.ID == admin.ID })
	switch {
	case want && !has:
		res.AdminGranted = true
		return tx.Exec("INSERT INTO user_roles (user_id, role_id) VALUES (?, ?)", u.ID, admin.ID).Error
	case !want && has:
		var others int64
		err := tx.Table("users").Joins("JOIN user_roles ur ON ur.user_id = users.id").
			Where("ur.role_id = ? AND users.disabled = ? AND users.id <> ?", admin.ID, false, u.ID).Count(&others).Error
		if err != nil {
			return err
		}
		if others == 0 {
			res.AdminKept = true
			return nil
		}
		if err := tx.Exec("DELETE FROM user_roles WHERE user_id = ? AND role_id = ?", u.ID, admin.ID).Error; err != nil {
			return err
		}
		res.AdminRevoked = true
		if len(u.Roles) == 1 { // Admin was their only role; everyone keeps one
			member, err := rolesByName(tx, []string{access.RoleMember})
			if err != nil {
				return err
			}
			return tx.Exec("INSERT INTO user_roles (user_id, role_id) VALUES (?, ?)", u.ID, member[0].ID).Error
		}
	}
	return nil
}

// EnsureTeams creates the named teams that do not exist yet (names compared
// regardless of case) and returns those it created.
func (s *Store) EnsureTeams(ctx context.Context, names []string) ([]string, error) {
	var created []string
	for _, name := range names {
		_, err := s.CreateTeam(ctx, name, "")
		var ce *ConflictError
		switch {
		case err == nil:
			created = append(created, name)
		case errors.As(err, &ce):
		default:
			return created, err
		}
	}
	return created, nil
}

// NoteSignIn records when a user last signed in.
func (s *Store) NoteSignIn(ctx context.Context, id uint) error {
	return s.db.WithContext(ctx).Model(&User{}).Where("id = ?", id).UpdateColumn("last_sign_in_at", s.Now().UTC()).Error
}
