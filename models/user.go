package models

import (
	"context"
	"errors"
	"net/mail"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"gatehouse/models/access"
)

// Field limits shared by forms and the API.
const (
	MaxEmailLen    = 254
	MaxNameLen     = 100
	MinPasswordLen = 8
	MaxPasswordLen = 72 // bcrypt ignores anything longer
	MaxDescLen     = 1000
)

// User is a person who signs in with email and password, or through the
// organisation's identity provider (single sign-on).
type User struct {
	ID           uint   `gorm:"primaryKey" json:"id"`
	Email        string `gorm:"size:254;uniqueIndex;not null" json:"email"`
	PasswordHash string `gorm:"size:100;not null" json:"-"`
	Disabled     bool   `gorm:"not null;default:false" json:"disabled"`
	Roles        []Role `gorm:"many2many:user_roles" json:"roles"`
	Teams        []Team `gorm:"many2many:team_members" json:"teams"`
	// SSOIssuer and SSOSubject name the person at the identity provider;
	// both are NULL for people who never signed in that way.
	SSOIssuer    *string    `gorm:"size:500;uniqueIndex:idx_users_sso" json:"-"`
	SSOSubject   *string    `gorm:"size:255;uniqueIndex:idx_users_sso" json:"-"`
	LastSignInAt *time.Time `json:"last_sign_in_at"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
}

// FromSSO reports whether the user signs in through the identity provider.
func (u *User) FromSSO() bool { return u.SSOSubject != nil }

// Role is a named set of people; Admin and Member are built in.
type Role struct {
	ID        uint      `gorm:"primaryKey" json:"id"`
	Name      string    `gorm:"size:100;uniqueIndex;not null" json:"name"`
	BuiltIn   bool      `gorm:"not null;default:false" json:"built_in"`
	CreatedAt time.Time `json:"created_at"`
}

// Team groups users.
type Team struct {
	ID          uint      `gorm:"primaryKey" json:"id"`
	Name        string    `gorm:"size:100;uniqueIndex;not null" json:"name"`
	Description string    `gorm:"size:1000" json:"description"`
	Members     []User    `gorm:"many2many:team_members" json:"members,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
}

// RoleNames lists the user's role names.
func (u *User) RoleNames() []string {
	out := make([]string, len(u.Roles))
	for i, r := range u.Roles {
		out[i] = r.Name
	}
	return out
}

// TeamNames lists the user's team names.
func (u *User) TeamNames() []string {
	out := make([]string, len(u.Teams))
	for i, t := range u.Teams {
		out[i] = t.Name
	}
	return out
}

// Subject is the user as the permission engine sees them.
func (u *User) Subject() access.Subject {
	if u == nil {
		return access.Subject{}
	}
	return access.Subject{UserID: u.ID, Email: u.Email, Roles: u.RoleNames(), Teams: u.TeamNames(), Disabled: u.Disabled}
}

// IsAdmin reports whether the user is an active admin.
func (u *User) IsAdmin() bool { return u.Subject().IsAdmin() }

// NewUser is the input for CreateUser.
type NewUser struct {
	Email    string
	Password string
	Roles    []string
}

// NormalizeEmail validates an address and returns it lower-cased.
func NormalizeEmail(email string) (string, error) {
	if !storable(email) { // checked before ToLower, which would mask bad bytes
		return "", Invalid("email", "Email may not contain NUL characters or invalid UTF-8.")
	}
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" {
		return "", Invalid("email", "Email is required.")
	}
	if len(email) > MaxEmailLen {
		return "", Invalid("email", "Email must be at most %d characters.", MaxEmailLen)
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || !strings.Contains(email[strings.LastIndex(email, "@")+1:], ".") && !strings.HasSuffix(email, "@localhost") {
		return "", Invalid("email", "%q is not a valid email address.", email)
	}
	at := strings.LastIndex(email, "@")
	if !checkEmailParts(email[:at], email[at+1:]) {
		return "", Invalid("email", "The email address holds invisible characters or mixes scripts, so it could pass for another address.")
	}
	return email, nil
}

// HashPassword validates and bcrypt-hashes a password.
func HashPassword(pw string) (string, error) {
	if len(pw) < MinPasswordLen {
		return "", Invalid("password", "Password must be at least %d characters.", MinPasswordLen)
	}
	if len(pw) > MaxPasswordLen {
		return "", Invalid("password", "Password must be at most %d bytes.", MaxPasswordLen)
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
	return string(h), err
}

// dummyHash keeps the time of a sign-in for an unknown email equal to a wrong password.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("gatehouse-dummy-password"), bcrypt.DefaultCost)

// CreateUser adds a user with the given roles (Member when none are named).
func (s *Store) CreateUser(ctx context.Context, in NewUser) (*User, error) {
	email, err := NormalizeEmail(in.Email)
	if err != nil {
		return nil, err
	}
	hash, err := HashPassword(in.Password)
	if err != nil {
		return nil, err
	}
	if len(in.Roles) == 0 {
		in.Roles = []string{access.RoleMember}
	}
	u := &User{Email: email, PasswordHash: hash}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		roles, err := rolesByName(tx, in.Roles)
		if err != nil {
			return err
		}
		u.Roles = roles
		if err := tx.Create(u).Error; err != nil {
			if isDuplicate(err) {
				return Conflict("A user with email %s already exists.", email)
			}
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// Authenticate returns the active user with this email and password. Unknown
// emails cost as much time as wrong passwords.
func (s *Store) Authenticate(ctx context.Context, email, password string) (*User, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	u, err := s.UserByEmail(ctx, email)
	if err != nil {
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return nil, ErrBadCredentials
	}
	if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) != nil {
		return nil, ErrBadCredentials
	}
	if u.Disabled {
		return nil, ErrUserDisabled
	}
	return u, nil
}

// Sign-in failures.
var (
	ErrBadCredentials = errors.New("wrong email or password")
	ErrUserDisabled   = errors.New("this account is disabled")
)

func (s *Store) withPeople(ctx context.Context) *gorm.DB {
	return s.db.WithContext(ctx).Preload("Roles", func(db *gorm.DB) *gorm.DB { return db.Order("name") }).
		Preload("Teams", func(db *gorm.DB) *gorm.DB { return db.Order("name") })
}

// User returns a user with roles and teams.
func (s *Store) User(ctx context.Context, id uint) (*User, error) {
	if u, ok := cached(s.view, func() map[uint]User { return s.view.users }, id); ok {
		return u.clone(), nil
	}
	epoch := s.view.epoch(partUsers)
	var u User
	if err := s.withPeople(ctx).First(&u, id).Error; err != nil {
		return nil, notFound(err)
	}
	keep(s.view, partUsers, epoch, func() map[uint]User { return s.view.users }, id, *u.clone())
	return &u, nil
}

// clone copies the user with its own role and team lists, so what the view
// holds is never changed through what a caller gets.
func (u *User) clone() *User {
	c := *u
	c.Roles, c.Teams = slices.Clone(u.Roles), slices.Clone(u.Teams)
	return &c
}

// UserByEmail returns a user by (case-insensitive) email.
func (s *Store) UserByEmail(ctx context.Context, email string) (*User, error) {
	var u User
	if !storable(email) {
		return nil, ErrNotFound // PostgreSQL cannot even compare such text
	}
	if err := s.withPeople(ctx).Where("email = ?", strings.ToLower(strings.TrimSpace(email))).First(&u).Error; err != nil {
		return nil, notFound(err)
	}
	return &u, nil
}

// Users lists every user by email.
func (s *Store) Users(ctx context.Context) ([]User, error) {
	var us []User
	err := s.withPeople(ctx).Order("email").Find(&us).Error
	return us, err
}

// UserUpdate changes a user; nil fields stay as they are.
type UserUpdate struct {
	Roles    *[]string
	Disabled *bool
	Password *string
}

// UpdateUser applies a change and returns the user before and after it.
func (s *Store) UpdateUser(ctx context.Context, id uint, up UserUpdate) (before, after *User, err error) {
	before, err = s.User(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		u := *before
		if before.IsAdmin() {
			// Changes to admins queue on the Admin role's row, so two admins
			// stepping down at once cannot both pass the last-admin check.
			var admin Role
			if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("name = ?", access.RoleAdmin).First(&admin).Error; err != nil {
				return err
			}
		}
		if up.Password != nil {
			hash, err := HashPassword(*up.Password)
			if err != nil {
				return err
			}
			if err := tx.Model(&u).Update("password_hash", hash).Error; err != nil {
				return err
			}
			if err := endSessionsOf(tx, u.ID); err != nil {
				return err
			}
		}
		if up.Disabled != nil {
			if err := tx.Model(&u).Update("disabled", *up.Disabled).Error; err != nil {
				return err
			}
			if *up.Disabled {
				if err := endSessionsOf(tx, u.ID); err != nil {
					return err
				}
			}
		}
		if up.Roles != nil {
			if len(*up.Roles) == 0 {
				return Invalid("roles", "A user needs at least one role.")
			}
			roles, err := rolesByName(tx, *up.Roles)
			if err != nil {
				return err
			}
			if err := tx.Model(&u).Association("Roles").Replace(roles); err != nil {
				return err
			}
		}
		if before.IsAdmin() {
			return keepAnActiveAdmin(tx, before.Email)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	after, err = s.User(ctx, id)
	return before, after, err
}

// keepAnActiveAdmin refuses a change that leaves no active admin, so the
// console can always be administered.
func keepAnActiveAdmin(tx *gorm.DB, email string) error {
	var n int64
	err := tx.Table("users").
		Joins("JOIN user_roles ur ON ur.user_id = users.id JOIN roles r ON r.id = ur.role_id").
		Where("r.name = ? AND users.disabled = ?", access.RoleAdmin, false).Count(&n).Error
	if err != nil {
		return err
	}
	if n == 0 {
		return Conflict("%s is the last active admin: make someone else an admin first.", email)
	}
	return nil
}

// rolesByName loads roles, failing with every unknown name.
func rolesByName(tx *gorm.DB, names []string) ([]Role, error) {
	var roles []Role
	if err := tx.Where("name IN ?", storableOnly(names)).Find(&roles).Error; err != nil {
		return nil, err
	}
	var missing []string
	for _, n := range names {
		if !slices.ContainsFunc(roles, func(r Role) bool { return r.Name == n }) {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return nil, Invalid("roles", "Unknown role: %s.", strings.Join(missing, ", "))
	}
	return roles, nil
}
