package handlers

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"gatehouse/models"
	"gatehouse/views/pages/audit"
	"gatehouse/web"
)

const auditPageSize = 100

// auditFilter reads actor, action, since, until, limit and offset from the
// query; a fault names the field it is in.
func auditFilter(c echo.Context) (models.AuditFilter, string, error) {
	f := models.AuditFilter{Actor: c.QueryParam("actor"), Action: c.QueryParam("action"), Limit: auditPageSize}
	var err error
	if f.Since, err = parseTime(c.QueryParam("since"), false); err != nil {
		return f, "since", web.Fail(http.StatusBadRequest, "since must be a date (YYYY-MM-DD) or an RFC 3339 time.")
	}
	if f.Until, err = parseTime(c.QueryParam("until"), true); err != nil {
		return f, "until", web.Fail(http.StatusBadRequest, "until must be a date (YYYY-MM-DD) or an RFC 3339 time.")
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		return f, "until", web.Fail(http.StatusBadRequest, "The range is empty: until is before since. Swap the dates.")
	}
	for name, dst := range map[string]*int{"limit": &f.Limit, "offset": &f.Offset} {
		if v := c.QueryParam(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || (name == "limit" && (n == 0 || n > 500)) {
				return f, name, web.Fail(http.StatusBadRequest, name+" must be a whole number (limit 1–500).")
			}
			*dst = n
		}
	}
	return f, "", nil
}

// parseTime reads a date or an RFC 3339 time; a date used as an upper bound
// means the end of that day.
func parseTime(s string, endOfDay bool) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		if endOfDay {
			t = t.Add(24 * time.Hour)
		}
		return t, nil
	}
	return time.Parse(time.RFC3339, s)
}

// AuditLog shows the Audit log page with filters.
func (h *Handlers) AuditLog(c echo.Context) error {
	ctx := c.Request().Context()
	m := audit.Page{Actor: c.QueryParam("actor"), Action: c.QueryParam("action"), Since: c.QueryParam("since"), Until: c.QueryParam("until"), Errors: map[string]string{}}
	status := http.StatusOK
	f, field, err := auditFilter(c)
	if err != nil {
		msg := err.(*echo.HTTPError).Message.(string)
		if field == "until" && !strings.HasPrefix(msg, "until") {
			msg = "Until is before From: nothing can match. Swap the dates."
		}
		m.Errors[field], status = msg, http.StatusBadRequest
	} else {
		evs, err := h.Store.AuditEvents(ctx, f)
		if err != nil {
			return err
		}
		now := h.Store.Now()
		for _, e := range evs {
			m.Rows = append(m.Rows, auditRow(e, now))
		}
		if len(evs) == f.Limit {
			q := c.QueryParams()
			q.Set("offset", strconv.Itoa(f.Offset+f.Limit))
			m.Next = "/audit-log?" + url.Values(q).Encode()
		}
	}
	if m.Actions, err = h.Store.AuditActions(ctx); err != nil {
		return err
	}
	return h.page(c, status, "Audit log", audit.AuditLog(m))
}

func auditRow(e models.AuditEvent, now time.Time) audit.Row {
	r := audit.Row{At: when(e.At, now, "2006-01-02 15:04:05"), Actor: e.ActorEmail, Action: e.Action, Target: e.Target, IP: e.IP}
	if r.Actor == "" {
		r.Actor = "anonymous"
	}
	if d := e.DetailsMap(); len(d) > 0 {
		b, _ := json.Marshal(d)
		r.Details = string(b)
	}
	return r
}

// APIAudit returns audit events with the same filters as the page.
func (h *Handlers) APIAudit(c echo.Context) error {
	f, _, err := auditFilter(c)
	if err != nil {
		return err
	}
	evs, err := h.Store.AuditEvents(c.Request().Context(), f)
	if err != nil {
		return err
	}
	if evs == nil {
		evs = []models.AuditEvent{}
	}
	return ok(c, http.StatusOK, "events", evs)
}
