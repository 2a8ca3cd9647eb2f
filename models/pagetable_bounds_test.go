package models_test

import (
	"fmt"
	"math"
	"testing"

	"gatehouse/models"
	"gatehouse/models/access"
	"gatehouse/models/modeltest"
)

// A page number past the end (even one whose offset would overflow) shows
// the last page, numbered as such; a negative one shows the first.
func TestTableRowsPageBounds(t *testing.T) {
	modeltest.ForEach(t, func(t *testing.T, s *models.Store) {
		ctx := t.Context()
		modeltest.MustUser(t, s, "admin@x.io", access.RoleAdmin)
		for i := range 5 {
			if err := s.DB().Create(&models.Channel{Name: fmt.Sprintf("ch%d", i), Public: true}).Error; err != nil {
				t.Fatal(err)
			}
		}
		admin := subject(t, s, "admin@x.io")
		w := access.Widget{Type: "table", Kind: access.KindChannels}
		for _, tc := range []struct {
			page, want int
			first      string
		}{{-7, 1, "ch0"}, {0, 1, "ch0"}, {2, 2, "ch2"}, {3, 3, "ch4"}, {4, 3, "ch4"}, {1 << 40, 3, "ch4"}, {math.MaxInt, 3, "ch4"}} {
			res, err := s.TableRows(ctx, admin, models.TableQuery{Widget: w, Page: tc.page, PerPage: 2})
			if err != nil {
				t.Fatalf("page %d: %v", tc.page, err)
			}
			if res.Page != tc.want || len(res.Rows) == 0 || res.Rows[0]["name"] != tc.first {
				t.Errorf("page %d: shows page %d with %v, want page %d starting %s", tc.page, res.Page, res.Rows, tc.want, tc.first)
			}
		}
	})
}
