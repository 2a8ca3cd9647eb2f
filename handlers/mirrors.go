package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"gatehouse/models"
	"gatehouse/views/components"
	"gatehouse/views/pages/mirrors"
	"gatehouse/web"
)

// mirrorRow is a mirror as the pages show it, with its latest runs.
func (h *Handlers) mirrorRow(c echo.Context, m *models.Mirror, channel, sub string, runs []models.MirrorRun) mirrors.Row {
	sp := m.Spec()
	place, href := channel, "/channels/"+url.PathEscape(channel)
	if sub != "" {
		place, href = channel+"/"+sub, href+"?sub="+url.QueryEscape(sub)
	}
	row := mirrors.Row{ID: m.ID, Channel: channel, Place: place, PlaceHref: href, URL: models.RedactURL(sp.URL),
		Running: m.ClaimedUntil != nil && m.ClaimedUntil.After(h.Store.Now())}
	add := func(label string, vs []string) {
		if len(vs) > 0 {
			row.Filters = append(row.Filters, label+": "+strings.Join(vs, ", "))
		}
	}
	add("subdirs", sp.Subdirs)
	add("include", sp.Include)
	add("exclude", sp.Exclude)
	if sp.Versions != "" {
		row.Filters = append(row.Filters, "versions: "+sp.Versions)
	}
	add("licenses", sp.Licenses)
	if sp.MaxSeverity != "" {
		row.Filters = append(row.Filters, "no CVEs of "+sp.MaxSeverity+" or worse")
	}
	row.Schedule = "Runs on demand."
	if sp.IntervalMinutes > 0 {
		row.Schedule = fmt.Sprintf("Runs every %d minutes.", sp.IntervalMinutes)
	}
	now := h.Store.Now()
	for _, r := range runs {
		run := mirrors.Run{ID: r.ID, Trigger: r.Trigger, Status: r.Status, Error: r.Error, Added: r.Added, Removed: r.Removed,
			Unchanged: r.Unchanged, Refused: r.Refused, Requests: r.Requests, NotModified: r.NotModified,
			Started: when(r.StartedAt, now, "2006-01-02 15:04"), Duration: (time.Duration(r.DurationMS) * time.Millisecond).String()}
		if r.Status == models.RunRunning {
			run.Duration = "running"
		}
		for _, f := range r.RefusalList() {
			run.Refusals = append(run.Refusals, mirrors.Refusal{File: f.Subdir + "/" + f.Filename, Reason: f.Reason})
		}
		row.Runs = append(row.Runs, run)
	}
	return row
}

// ChannelMirrors is a channel's Mirrors page (manage), its subchannels' too.
func (h *Handlers) ChannelMirrors(c echo.Context) error {
	p := placeOf(c)
	ctx := c.Request().Context()
	ms, err := h.Store.MirrorsOf(ctx, []uint{p.Ch.ID})
	if err != nil {
		return err
	}
	subs, err := h.Store.Subchannels(ctx, p.Ch)
	if err != nil {
		return err
	}
	names := map[uint]string{}
	for _, s := range subs {
		names[s.ID] = s.Name
	}
	page := mirrors.ChannelMirrors{Channel: p.Ch.Name, CSRF: web.CSRFToken(c)}
	for i := range ms {
		runs, err := h.Store.MirrorRuns(ctx, ms[i].ID, 5)
		if err != nil {
			return err
		}
		page.Mirrors = append(page.Mirrors, h.mirrorRow(c, &ms[i], p.Ch.Name, names[ms[i].SubchannelID], runs))
	}
	return h.page(c, http.StatusOK, "Mirrors of "+p.Ch.Name, mirrors.Page(page))
}

// AllMirrors lists the mirrors of every channel the viewer manages.
func (h *Handlers) AllMirrors(c echo.Context) error {
	vs, err := h.visibleMirrors(c)
	if err != nil {
		return err
	}
	page := mirrors.AllMirrors{CSRF: web.CSRFToken(c)}
	for i := range vs {
		var runs []models.MirrorRun
		if vs[i].Last != nil {
			runs = []models.MirrorRun{*vs[i].Last}
		}
		page.Mirrors = append(page.Mirrors, h.mirrorRow(c, &vs[i].Mirror, vs[i].Channel, vs[i].Sub, runs))
	}
	return h.page(c, http.StatusOK, "Mirrors", mirrors.All(page))
}

var severityOptions = []components.Option{{Value: "", Label: "Keep them"}, {Value: "low", Label: "Low or worse"},
	{Value: "medium", Label: "Medium or worse"}, {Value: "high", Label: "High or worse"}, {Value: "critical", Label: "Critical only"}}

// mirrorForm is the dialog's view model for spec sp.
func (h *Handlers) mirrorForm(c echo.Context, p place, id uint, sp models.MirrorSpec, placeValue string) (mirrors.Form, error) {
	f := mirrors.Form{Inline: !web.IsHTMX(c), CSRF: web.CSRFToken(c), Channel: p.Ch.Name, ID: id,
		URL: models.RedactURL(sp.URL), Include: strings.Join(sp.Include, ", "), Exclude: strings.Join(sp.Exclude, ", "),
		Subdirs: strings.Join(sp.Subdirs, ", "), Versions: sp.Versions, Licenses: strings.Join(sp.Licenses, ", "),
		Severity: sp.MaxSeverity, Interval: strconv.Itoa(sp.IntervalMinutes)}
	for _, o := range severityOptions {
		o.Selected = o.Value == sp.MaxSeverity
		f.Severities = append(f.Severities, o)
	}
	if id == 0 {
		subs, err := h.Store.Subchannels(c.Request().Context(), p.Ch)
		if err != nil {
			return f, err
		}
		f.Places = []components.Option{{Value: "", Label: p.Ch.Name, Selected: placeValue == ""}}
		for _, s := range subs {
			f.Places = append(f.Places, components.Option{Value: s.Name, Label: p.Ch.Name + "/" + s.Name, Selected: placeValue == s.Name})
		}
	}
	return f, nil
}

// NewMirrorForm opens the new mirror dialog (manage).
func (h *Handlers) NewMirrorForm(c echo.Context) error {
	f, err := h.mirrorForm(c, placeOf(c), 0, models.MirrorSpec{}, "")
	if err != nil {
		return err
	}
	return h.dialog(c, http.StatusOK, f.Title(), mirrors.Dialog(f))
}

// splitList reads a comma- or whitespace-separated form field.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\t' || r == '\r' })
}

// formSpec reads the dialog's fields onto sp. A URL left as shown
// (redacted) keeps the stored one and its credentials.
func formSpec(c echo.Context, sp models.MirrorSpec) (models.MirrorSpec, error) {
	if u := c.FormValue("url"); u != models.RedactURL(sp.URL) || sp.URL == "" {
		sp.URL = u
	}
	sp.Include, sp.Exclude, sp.Subdirs = splitList(c.FormValue("include")), splitList(c.FormValue("exclude")), splitList(c.FormValue("subdirs"))
	sp.Versions, sp.MaxSeverity = c.FormValue("versions"), c.FormValue("exclude_severity")
	sp.Licenses = strings.FieldsFunc(c.FormValue("licenses"), func(r rune) bool { return r == ',' || r == '\n' })
	n, err := strconv.Atoi(strings.TrimSpace(c.FormValue("interval_minutes")))
	if err != nil && strings.TrimSpace(c.FormValue("interval_minutes")) != "" {
		return sp, models.Invalid("interval_minutes", "Enter a whole number of minutes (0 runs it only on demand).")
	}
	sp.IntervalMinutes = n
	return sp, nil
}

// CreateMirror handles the new mirror dialog (manage).
func (h *Handlers) CreateMirror(c echo.Context) error {
	p := placeOf(c)
	sp, err := formSpec(c, models.MirrorSpec{})
	placeValue := c.FormValue("place")
	if err == nil && placeValue != "" {
		p.Sub, err = h.Store.SubchannelByName(c.Request().Context(), p.Ch, placeValue)
		if err == models.ErrNotFound {
			err = models.Invalid("place", "There is no subchannel %q.", placeValue)
		}
	}
	if err == nil {
		_, err = h.createMirror(c, p, sp)
	}
	if err != nil {
		return h.mirrorFormFault(c, p, 0, sp, placeValue, err)
	}
	return h.done(c, "/channels/"+url.PathEscape(p.Ch.Name)+"/mirrors", "Mirror of "+p.Path()+" created.")
}

func (h *Handlers) mirrorFormFault(c echo.Context, p place, id uint, sp models.MirrorSpec, placeValue string, err error) error {
	fields, banner, err := formFault(err)
	if err != nil {
		return err
	}
	f, err := h.mirrorForm(c, p, id, sp, placeValue)
	if err != nil {
		return err
	}
	f.URL, f.Errors, f.Error = c.FormValue("url"), fields, banner
	return h.dialog(c, http.StatusUnprocessableEntity, f.Title(), mirrors.Dialog(f))
}

// mirrorOfChannel loads mirror :id of the route's channel (any of its places).
func (h *Handlers) mirrorOfChannel(c echo.Context) (place, *models.Mirror, error) {
	p := placeOf(c)
	id, err := idParam(c, "id")
	if err != nil {
		return p, nil, err
	}
	m, err := h.Store.MirrorByID(c.Request().Context(), id)
	if err != nil {
		return p, nil, err
	}
	if m.ChannelID != p.Ch.ID {
		return p, nil, models.ErrNotFound
	}
	if m.SubchannelID != 0 {
		subs, err := h.Store.Subchannels(c.Request().Context(), p.Ch)
		if err != nil {
			return p, nil, err
		}
		for i := range subs {
			if subs[i].ID == m.SubchannelID {
				p.Sub = &subs[i]
			}
		}
	}
	return p, m, nil
}

// EditMirrorForm opens the edit dialog (manage).
func (h *Handlers) EditMirrorForm(c echo.Context) error {
	p, m, err := h.mirrorOfChannel(c)
	if err != nil {
		return err
	}
	f, err := h.mirrorForm(c, p, m.ID, m.Spec(), "")
	if err != nil {
		return err
	}
	return h.dialog(c, http.StatusOK, f.Title(), mirrors.Dialog(f))
}

// UpdateMirror handles the edit dialog (manage).
func (h *Handlers) UpdateMirror(c echo.Context) error {
	p, m, err := h.mirrorOfChannel(c)
	if err != nil {
		return err
	}
	sp, err := formSpec(c, m.Spec())
	if err == nil {
		err = h.updateMirror(c, p, m, sp)
	}
	if err != nil {
		return h.mirrorFormFault(c, p, m.ID, sp, "", err)
	}
	return h.done(c, "/channels/"+url.PathEscape(p.Ch.Name)+"/mirrors", "Mirror of "+p.Path()+" saved.")
}

// RunMirrorNow runs a mirror and waits a little for it (manage).
func (h *Handlers) RunMirrorNow(c echo.Context) error {
	p, m, err := h.mirrorOfChannel(c)
	if err != nil {
		return err
	}
	back := "/channels/" + url.PathEscape(p.Ch.Name) + "/mirrors"
	run, finished, err := h.runMirror(c, m, 20*time.Second)
	var coded *web.CodedError
	switch {
	case errors.As(err, &coded) && coded.Code == "running":
		return h.done(c, back, "This mirror is running already.")
	case err != nil:
		return err
	case !finished:
		return h.done(c, back, "The run goes on in the background; reload to see it finish.")
	case run.Status == models.RunFailed:
		return h.done(c, back, "The run failed; nothing was changed. "+run.Error)
	}
	return h.done(c, back, fmt.Sprintf("Run finished: %d added, %d removed, %d unchanged, %d refused.", run.Added, run.Removed, run.Unchanged, run.Refused))
}

// DeleteMirrorForm asks to confirm deleting a mirror (manage).
func (h *Handlers) DeleteMirrorForm(c echo.Context) error {
	p, m, err := h.mirrorOfChannel(c)
	if err != nil {
		return err
	}
	back := "/channels/" + url.PathEscape(p.Ch.Name) + "/mirrors"
	return h.dialog(c, http.StatusOK, "Delete mirror", components.ConfirmDialog(components.Confirm{
		ID: "delete-mirror-dialog", Inline: !web.IsHTMX(c), CSRF: web.CSRFToken(c), Title: "Delete the mirror of " + p.Path(),
		Message: "This stops mirroring " + models.RedactURL(m.URL) + ". The packages it brought in stay.",
		Action:  fmt.Sprintf("%s/%d/delete", back, m.ID), Button: "Delete", Back: back,
	}))
}

// DeleteMirror deletes a mirror (manage).
func (h *Handlers) DeleteMirror(c echo.Context) error {
	p, m, err := h.mirrorOfChannel(c)
	if err != nil {
		return err
	}
	if err := h.deleteMirror(c, p, m); err != nil {
		return err
	}
	return h.done(c, "/channels/"+url.PathEscape(p.Ch.Name)+"/mirrors", "Mirror of "+p.Path()+" deleted.")
}
