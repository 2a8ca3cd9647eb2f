package models

import (
	"context"
	"slices"

	"gatehouse/models/access"
)

// ActiveSubjects loads every active user as the engine sees them (email,
// roles, teams), ordered by email, in three queries however many people
// there are: what the Access views resolve grants against. Disabled users
// are left out: they hold nothing. Rows are scanned by hand: on 10,000
// people GORM's reflection took two thirds of the time.
func (s *Store) ActiveSubjects(ctx context.Context) ([]access.Subject, error) {
	db := s.db.WithContext(ctx)
	var out []access.Subject
	index := map[uint]int{}
	rows, err := db.Raw("SELECT id, email FROM users WHERE disabled = ? ORDER BY email", false).Rows()
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var sub access.Subject
		if err := rows.Scan(&sub.UserID, &sub.Email); err != nil {
			rows.Close()
			return nil, err
		}
		index[sub.UserID] = len(out)
		out = append(out, sub)
	}
	if err := closeRows(rows); err != nil {
		return nil, err
	}
	for _, q := range []struct {
		sql string
		add func(*access.Subject, string)
	}{
		{"SELECT ur.user_id, r.name FROM user_roles ur JOIN roles r ON r.id = ur.role_id", func(s *access.Subject, n string) { s.Roles = append(s.Roles, n) }},
		{"SELECT tm.user_id, t.name FROM team_members tm JOIN teams t ON t.id = tm.team_id", func(s *access.Subject, n string) { s.Teams = append(s.Teams, n) }},
	} {
		rows, err := db.Raw(q.sql).Rows()
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id uint
			var name string
			if err := rows.Scan(&id, &name); err != nil {
				rows.Close()
				return nil, err
			}
			if i, ok := index[id]; ok {
				q.add(&out[i], name)
			}
		}
		if err := closeRows(rows); err != nil {
			return nil, err
		}
	}
	for i := range out {
		slices.Sort(out[i].Roles)
		slices.Sort(out[i].Teams)
	}
	return out, nil
}

// closeRows closes rows and reports what went wrong while reading them.
func closeRows(rows interface {
	Err() error
	Close() error
}) error {
	err := rows.Err()
	if cerr := rows.Close(); err == nil {
		err = cerr
	}
	return err
}
