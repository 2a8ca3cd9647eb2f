package models

import (
	"context"
	"strings"

	"gorm.io/gorm"

	"gatehouse/models/access"
)

// seedBuiltins creates the built-in roles if they are missing.
func (s *Store) seedBuiltins() error {
	for _, name := range []string{access.RoleAdmin, access.RoleMember} {
		r := Role{Name: name, BuiltIn: true}
		if err := s.db.Where(Role{Name: name}).FirstOrCreate(&r).Error; err != nil {
			return err
		}
	}
	return nil
}

// Roles lists every role by name.
func (s *Store) Roles(ctx context.Context) ([]Role, error) {
	var rs []Role
	err := s.db.WithContext(ctx).Order("built_in DESC, name").Find(&rs).Error
	return rs, err
}

// CreateRole adds a custom role; names are unique regardless of case.
func (s *Store) CreateRole(ctx context.Context, name string) (*Role, error) {
	name, err := ValidateName("name", name)
	if err != nil {
		return nil, err
	}
	if strings.ContainsAny(name, " ,") {
		return nil, Invalid("name", "Role names may not contain spaces or commas (try %q).", strings.NewReplacer(" ", "-", ",", "-").Replace(name))
	}
	r := &Role{Name: name}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&Role{}).Where("LOWER(name) = ?", strings.ToLower(name)).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return Conflict("A role named %q already exists.", name)
		}
		if err := tx.Create(r).Error; err != nil {
			if isDuplicate(err) {
				return Conflict("A role named %q already exists.", name)
			}
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// DeleteRole removes a custom role, its assignments and the grants naming it.
func (s *Store) DeleteRole(ctx context.Context, id uint) (*Role, error) {
	var r Role
	if err := s.db.WithContext(ctx).First(&r, id).Error; err != nil {
		return nil, notFound(err)
	}
	if r.BuiltIn {
		return nil, Conflict("The built-in role %s cannot be deleted.", r.Name)
	}
	return &r, s.tx(ctx, func(tx *gorm.DB) error {
		// Every user keeps at least one role.
		var stranded []string
		err := tx.Raw(`SELECT u.email FROM users u JOIN user_roles ur ON ur.user_id = u.id AND ur.role_id = ?
WHERE NOT EXISTS (SELECT 1 FROM user_roles o WHERE o.user_id = u.id AND o.role_id <> ?) ORDER BY u.email`, id, id).Scan(&stranded).Error
		if err != nil {
			return err
		}
		if len(stranded) > 0 {
			return Conflict("%s is the only role of %s: give them another role first.", r.Name, strings.Join(stranded, ", "))
		}
		if err := tx.Exec("DELETE FROM user_roles WHERE role_id = ?", id).Error; err != nil {
			return err
		}
		if err := tx.Where("principal_kind = ? AND principal_id = ?", PrincipalRole, id).Delete(&Grant{}).Error; err != nil {
			return err
		}
		return tx.Delete(&Role{}, id).Error
	})
}

// RoleUserCounts counts users per role id.
func (s *Store) RoleUserCounts(ctx context.Context) (map[uint]int, error) {
	var rows []struct {
		RoleID uint
		N      int
	}
	err := s.db.WithContext(ctx).Raw("SELECT role_id, COUNT(*) AS n FROM user_roles GROUP BY role_id").Scan(&rows).Error
	out := make(map[uint]int, len(rows))
	for _, r := range rows {
		out[r.RoleID] = r.N
	}
	return out, err
}
