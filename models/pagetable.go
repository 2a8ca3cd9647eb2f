package models

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"time"

	"gorm.io/gorm"

	"gatehouse/models/access"
)

// MaxPerPage caps how many rows one table page shows.
const MaxPerPage = 200

// TableQuery asks for one page of a table widget's rows.
type TableQuery struct {
	Widget  access.Widget // the effective view: filters and sort to apply
	Page    int           // 1-based
	PerPage int
}

// TableResult is one page of rows. Each row maps column keys to cell text.
type TableResult struct {
	Rows    []map[string]string
	Total   int64
	Page    int
	PerPage int
}

// Pages is how many pages the rows fill (at least one).
func (r TableResult) Pages() int {
	if r.PerPage <= 0 || r.Total == 0 {
		return 1
	}
	return int((r.Total + int64(r.PerPage) - 1) / int64(r.PerPage))
}

// tableSQL is how each table kind reads: its FROM clause, the channel id to
// limit by and one SQL expression per column.
var tableSQL = map[string]struct {
	from, channelID, tiebreak string
	cols                      map[string]string
}{
	access.KindArtifacts: {
		from:      "artifacts a JOIN channels c ON c.id = a.channel_id LEFT JOIN subchannels s ON s.id = a.subchannel_id AND a.subchannel_id <> 0",
		channelID: "a.channel_id",
		tiebreak:  "a.id",
		cols: map[string]string{
			"channel":  "CASE WHEN s.name IS NULL THEN c.name ELSE c.name || '/' || s.name END",
			"name":     "a.name",
			"version":  "a.version",
			"build":    "a.build",
			"subdir":   "a.subdir",
			"license":  "COALESCE(a.license, '')",
			"size":     "a.size",
			"uploaded": "a.created_at",
		},
	},
	access.KindChannels: {
		from:      "channels c",
		channelID: "c.id",
		tiebreak:  "c.id",
		cols: map[string]string{
			"name":        "c.name",
			"description": "COALESCE(c.description, '')",
			"privacy":     "CASE WHEN c.public THEN 'public' ELSE 'private' END",
			"created":     "c.created_at",
		},
	},
}

// TableRows reads one page of a table widget's rows, filtered and sorted in
// SQL, from the channels the subject may read only.
func (s *Store) TableRows(ctx context.Context, subj access.Subject, q TableQuery) (TableResult, error) {
	w := q.Widget
	def, ok := tableSQL[w.Kind]
	if !ok {
		return TableResult{}, Invalid("kind", "Unknown table kind %q.", w.Kind)
	}
	if q.PerPage <= 0 || q.PerPage > MaxPerPage {
		q.PerPage = 50
	}
	if q.Page < 1 {
		q.Page = 1
	}
	res := TableResult{Page: q.Page, PerPage: q.PerPage, Rows: []map[string]string{}}
	base := s.db.WithContext(ctx).Table(def.from)
	if !subj.IsAdmin() {
		readable, err := s.ReadableChannels(ctx, subj)
		if err != nil {
			return res, err
		}
		if len(readable) == 0 {
			res.Page = 1
			return res, nil
		}
		base = base.Where(def.channelID+" IN ?", ids(readable, func(c ReadableChannel) uint { return c.ID }))
	}
	cols := def.cols
	if w.Kind == access.KindArtifacts {
		expr, err := s.severityColumn(ctx, subj)
		if err != nil {
			return res, err
		}
		cols = maps.Clone(def.cols)
		cols["vulnerabilities"] = expr
	}
	for _, f := range w.Filters {
		base = whereFilter(base, cols[f.Column], f)
	}
	if err := base.Session(&gorm.Session{}).Count(&res.Total).Error; err != nil {
		return res, err
	}
	if last := res.Pages(); q.Page > last {
		q.Page, res.Page = last, last // past the end (or an overflowing offset): the last page
	}
	sort := access.DefaultSort(w.Kind)
	if w.Sort != nil {
		sort = *w.Sort
	}
	order := cols[sort.Column]
	if sort.Desc {
		order += " DESC"
	}
	shown := access.Columns(w.Kind)
	sel := make([]string, len(shown))
	for i, c := range shown {
		sel[i] = cols[c.Key]
	}
	rows, err := base.Select(strings.Join(sel, ", ")).Order(order + ", " + def.tiebreak).
		Limit(q.PerPage).Offset((q.Page - 1) * q.PerPage).Rows()
	if err != nil {
		return res, err
	}
	defer rows.Close()
	for rows.Next() {
		vals := make([]any, len(shown))
		ptrs := make([]any, len(shown))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return res, err
		}
		row := make(map[string]string, len(shown))
		for i, c := range shown {
			row[c.Key] = cellText(c.Key, vals[i])
		}
		res.Rows = append(res.Rows, row)
	}
	return res, rows.Err()
}

// whereFilter adds one filter; matching ignores case.
func whereFilter(db *gorm.DB, expr string, f access.Filter) *gorm.DB {
	v := strings.ToLower(f.Value)
	switch f.Op {
	case access.OpEq:
		return db.Where("LOWER("+expr+") = ?", v)
	case access.OpPrefix:
		return db.Where("LOWER("+expr+`) LIKE ? ESCAPE '\'`, escapeLike(v)+"%")
	}
	return db.Where("LOWER("+expr+`) LIKE ? ESCAPE '\'`, "%"+escapeLike(v)+"%")
}

// cellText formats one scanned value for display.
func cellText(key string, v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case time.Time:
		return t.UTC().Format("2006-01-02 15:04")
	case []byte:
		return cellText(key, string(t))
	case int64:
		if key == "size" {
			return HumanBytes(t)
		}
		return fmt.Sprint(t)
	case string:
		if key == "uploaded" || key == "created" {
			if tm, err := time.Parse(time.RFC3339Nano, t); err == nil {
				return tm.UTC().Format("2006-01-02 15:04")
			}
			if len(t) >= 16 {
				return t[:16]
			}
		}
		return t
	}
	return fmt.Sprint(v)
}

// HumanBytes writes a size the way people read it ("1.5 MiB").
func HumanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
