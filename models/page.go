package models

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"gatehouse/models/access"
)

// Page field limits.
const (
	MaxPageIdentifier = 100
	MaxPageTitle      = 200
	MaxPageWidgets    = 10
)

// PageIcons lists the icons a page may use (names understood by layout.Icon).
var PageIcons = []string{"page", "channel", "key", "team", "users", "role", "audit", "builder", "shield"}

// LevelRead is the only page permission level that can be changed.
const LevelRead = "read"

var pageIdentifierRE = regexp.MustCompile(`^[a-z0-9]+(?:[-_][a-z0-9]+)*$`)

// Widgets is a page's widgets, stored as one JSON column.
type Widgets []access.Widget

// Value stores the widgets as JSON.
func (w Widgets) Value() (driver.Value, error) {
	if w == nil {
		w = Widgets{}
	}
	b, err := json.Marshal(w)
	return string(b), err
}

// Scan reads the widgets from JSON.
func (w *Widgets) Scan(v any) error {
	var b []byte
	switch t := v.(type) {
	case string:
		b = []byte(t)
	case []byte:
		b = t
	case nil:
		*w = Widgets{}
		return nil
	default:
		return fmt.Errorf("store: widgets: unexpected %T", v)
	}
	return json.Unmarshal(b, w)
}

// Page is a catalog page: a titled, admin-made view over the catalog.
type Page struct {
	ID         uint      `gorm:"primaryKey" json:"-"`
	Identifier string    `gorm:"size:100;uniqueIndex;not null" json:"identifier"`
	Title      string    `gorm:"size:200;not null" json:"title"`
	Icon       string    `gorm:"size:32;not null;default:''" json:"icon"`
	Locked     bool      `gorm:"not null;default:false" json:"locked"`
	Widgets    Widgets   `gorm:"type:text;not null" json:"widgets"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// Table is the page's first table widget (pages have one today).
func (p *Page) Table() (access.Widget, bool) {
	for _, w := range p.Widgets {
		if w.Type == access.WidgetTable {
			return w, true
		}
	}
	return access.Widget{}, false
}

// PageInput is what creating a page takes; on update, nil fields are left
// unchanged.
type PageInput struct {
	Identifier string
	Title      *string
	Icon       *string
	Locked     *bool
	Widgets    *[]access.Widget
}

// ValidatePageIdentifier checks a page identifier: a lowercase slug that is
// not one of the product's own pages.
func ValidatePageIdentifier(id string) (string, error) {
	id = strings.TrimSpace(id)
	switch {
	case id == "":
		return "", Invalid("identifier", "Identifier is required.")
	case len(id) > MaxPageIdentifier:
		return "", Invalid("identifier", "Identifier must be at most %d characters.", MaxPageIdentifier)
	case !pageIdentifierRE.MatchString(id):
		return "", Invalid("identifier", "Identifier %q may only hold lowercase letters and digits, separated by single - or _.", id)
	}
	if title, ok := access.ReservedPage(id); ok {
		return "", Invalid("identifier", "Identifier %q is reserved for the %s page.", id, title)
	}
	return id, nil
}

// applyPageInput validates in onto p.
func applyPageInput(p *Page, in PageInput) error {
	if in.Title != nil {
		t := strings.TrimSpace(*in.Title)
		if t == "" {
			return Invalid("title", "Title is required.")
		}
		if len(t) > MaxPageTitle {
			return Invalid("title", "Title must be at most %d characters.", MaxPageTitle)
		}
		p.Title = t
	}
	if in.Icon != nil {
		icon := strings.TrimSpace(*in.Icon)
		if icon == "" {
			icon = "page"
		}
		if !slices.Contains(PageIcons, icon) {
			return Invalid("icon", "Icon %q is not one of %s.", icon, strings.Join(PageIcons, ", "))
		}
		p.Icon = icon
	}
	if in.Locked != nil {
		p.Locked = *in.Locked
	}
	if in.Widgets != nil {
		ws := *in.Widgets
		if len(ws) > MaxPageWidgets {
			return Invalid("widgets", "A page holds at most %d widgets.", MaxPageWidgets)
		}
		out := make(Widgets, 0, len(ws))
		for i, w := range ws {
			v, err := access.ValidateWidget(w)
			if err != nil {
				return Invalid("widgets", "Widget %d: %s.", i+1, err.Error())
			}
			out = append(out, v)
		}
		p.Widgets = out
	}
	return nil
}

// CreatePage adds a catalog page, readable by Admin and Member to start with.
func (s *Store) CreatePage(ctx context.Context, in PageInput) (*Page, error) {
	id, err := ValidatePageIdentifier(in.Identifier)
	if err != nil {
		return nil, err
	}
	if in.Title == nil {
		return nil, Invalid("title", "Title is required.")
	}
	if in.Icon == nil {
		in.Icon = new(string)
	}
	p := &Page{Identifier: id, Widgets: Widgets{}}
	if err := applyPageInput(p, in); err != nil {
		return nil, err
	}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(p).Error; err != nil {
			if isDuplicate(err) {
				return Conflict("A page with identifier %q already exists.", id)
			}
			return err
		}
		return replaceGrants(tx, ResourcePage, p.ID, LevelRead, access.Grants{Roles: []string{access.RoleAdmin, access.RoleMember}})
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// PageByIdentifier returns a page with its widgets. Callers decide whether
// the actor may see it (see access.PageLevel).
func (s *Store) PageByIdentifier(ctx context.Context, identifier string) (*Page, error) {
	var p Page
	if err := s.db.WithContext(ctx).Where("identifier = ?", identifier).First(&p).Error; err != nil {
		return nil, notFound(err)
	}
	return &p, nil
}

// PageReaders is who may read a page.
func (s *Store) PageReaders(ctx context.Context, pageID uint) (access.Grants, error) {
	g, err := s.GrantsFor(ctx, ResourcePage, []uint{pageID})
	if err != nil {
		return access.Grants{}, err
	}
	return Normalized(g[pageID][LevelRead]), nil
}

// UpdatePage changes a page's title, icon, lock or widgets.
func (s *Store) UpdatePage(ctx context.Context, identifier string, in PageInput) (before, after *Page, err error) {
	err = s.tx(ctx, func(tx *gorm.DB) error {
		var p Page
		if err := tx.Where("identifier = ?", identifier).First(&p).Error; err != nil {
			return notFound(err)
		}
		old := p
		old.Widgets = slices.Clone(p.Widgets)
		if err := applyPageInput(&p, in); err != nil {
			return err
		}
		if err := tx.Save(&p).Error; err != nil {
			return err
		}
		before, after = &old, &p
		return nil
	})
	return before, after, err
}

// DeletePage removes a page and who may read it.
func (s *Store) DeletePage(ctx context.Context, identifier string) (*Page, error) {
	var p Page
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("identifier = ?", identifier).First(&p).Error; err != nil {
			return notFound(err)
		}
		if err := tx.Where("resource_type = ? AND resource_id = ?", ResourcePage, p.ID).Delete(&Grant{}).Error; err != nil {
			return err
		}
		return tx.Delete(&p).Error
	})
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// PageSummary is a page as lists and the navigation show it.
type PageSummary struct {
	ID         uint
	Identifier string
	Title      string
	Icon       string
	Locked     bool
}

// ReadablePages lists, by title, the pages the subject may read; query, when
// not empty, keeps those whose title or identifier contains it. One indexed
// query: the engine names the principals through which the subject reads
// (access.ReadersFor) and only pages whose read grants name one come back.
func (s *Store) ReadablePages(ctx context.Context, subj access.Subject, query string) ([]PageSummary, error) {
	who := access.ReadersFor(subj)
	if who.None() {
		return nil, nil
	}
	q := s.db.WithContext(ctx).Model(&Page{}).Select("id, identifier, title, icon, locked").Order("title, identifier")
	if query = strings.TrimSpace(query); query != "" {
		like := "%" + escapeLike(strings.ToLower(query)) + "%"
		q = q.Where(`LOWER(title) LIKE ? ESCAPE '\' OR identifier LIKE ? ESCAPE '\'`, like, like)
	}
	if !who.All {
		q = q.Where(`id IN (SELECT g.resource_id FROM grants g WHERE g.resource_type = ? AND g.level = ? AND (
  (g.principal_kind = 'role' AND g.principal_id IN (SELECT id FROM roles WHERE name IN ?)) OR
  (g.principal_kind = 'team' AND g.principal_id IN (SELECT id FROM teams WHERE name IN ?)) OR
  (g.principal_kind = 'user' AND g.principal_id IN (SELECT id FROM users WHERE email = ?))))`,
			ResourcePage, LevelRead, orNone(who.Roles), orNone(who.Teams), who.Email)
	}
	rows, err := q.Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var pages []PageSummary
	for rows.Next() {
		var p PageSummary
		if err := rows.Scan(&p.ID, &p.Identifier, &p.Title, &p.Icon, &p.Locked); err != nil {
			return nil, err
		}
		pages = append(pages, p)
	}
	return pages, rows.Err()
}

// orNone keeps an IN list valid when empty (no name is "").
func orNone(names []string) []string {
	if len(names) == 0 {
		return []string{""}
	}
	return names
}

// escapeLike escapes LIKE's wildcards so user text matches literally.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
