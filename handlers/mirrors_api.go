package handlers

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"gatehouse/models"
	"gatehouse/models/access"
	"gatehouse/models/mirrorrun"
	"gatehouse/web"
)

// MirrorJSON is a mirror as the API shows it; the URL never shows a
// password or a token.
type MirrorJSON struct {
	ID              uint       `json:"id"`
	Channel         string     `json:"channel"`
	Subchannel      string     `json:"subchannel,omitempty"`
	URL             string     `json:"url"`
	Include         []string   `json:"include"`
	Exclude         []string   `json:"exclude"`
	Subdirs         []string   `json:"subdirs"`
	Versions        string     `json:"versions"`
	Licenses        []string   `json:"licenses"`
	ExcludeSeverity string     `json:"exclude_severity"`
	IntervalMinutes int        `json:"interval_minutes"`
	NextRunAt       *time.Time `json:"next_run_at,omitempty"`
	Running         bool       `json:"running"`
	LastRun         *RunJSON   `json:"last_run,omitempty"`
}

// RunJSON is one run of a mirror.
type RunJSON struct {
	models.MirrorRun
	Refusals []models.Refusal `json:"refusals"`
}

func runJSON(r models.MirrorRun) *RunJSON { return &RunJSON{MirrorRun: r, Refusals: r.RefusalList()} }

func (h *Handlers) mirrorJSON(m *models.Mirror, channel, sub string, last *models.MirrorRun) MirrorJSON {
	sp := m.Spec()
	out := MirrorJSON{ID: m.ID, Channel: channel, Subchannel: sub, URL: models.RedactURL(sp.URL), Include: sp.Include,
		Exclude: sp.Exclude, Subdirs: sp.Subdirs, Versions: sp.Versions, Licenses: sp.Licenses, ExcludeSeverity: sp.MaxSeverity,
		IntervalMinutes: sp.IntervalMinutes, NextRunAt: m.NextRunAt,
		Running: m.ClaimedUntil != nil && m.ClaimedUntil.After(h.Store.Now())}
	if last != nil {
		out.LastRun = runJSON(*last)
	}
	return out
}

// mirrorInput is a mirror's settings in a request; PATCH changes only the
// fields it sends.
type mirrorInput struct {
	URL             *string   `json:"url"`
	Include         *[]string `json:"include"`
	Exclude         *[]string `json:"exclude"`
	Subdirs         *[]string `json:"subdirs"`
	Versions        *string   `json:"versions"`
	Licenses        *[]string `json:"licenses"`
	ExcludeSeverity *string   `json:"exclude_severity"`
	IntervalMinutes *int      `json:"interval_minutes"`
}

func (in mirrorInput) onto(sp models.MirrorSpec) models.MirrorSpec {
	set := func(dst *[]string, src *[]string) {
		if src != nil {
			*dst = *src
		}
	}
	if in.URL != nil {
		sp.URL = *in.URL
	}
	set(&sp.Include, in.Include)
	set(&sp.Exclude, in.Exclude)
	set(&sp.Subdirs, in.Subdirs)
	set(&sp.Licenses, in.Licenses)
	if in.Versions != nil {
		sp.Versions = *in.Versions
	}
	if in.ExcludeSeverity != nil {
		sp.MaxSeverity = *in.ExcludeSeverity
	}
	if in.IntervalMinutes != nil {
		sp.IntervalMinutes = *in.IntervalMinutes
	}
	return sp
}

// mirrorPlace is the channel a mirror route's rule resolved (manage on the
// channel itself), narrowed to the subchannel the path names, if any.
func (h *Handlers) mirrorPlace(c echo.Context) (place, error) {
	p := placeOf(c)
	if sub := c.Param("sub"); sub != "" {
		s, err := h.Store.SubchannelByName(c.Request().Context(), p.Ch, sub)
		if err != nil {
			return place{}, err
		}
		p.Sub = s
	}
	return p, nil
}

// mirrorAt loads the mirror :id of the route's place.
func (h *Handlers) mirrorAt(c echo.Context) (place, *models.Mirror, error) {
	p, err := h.mirrorPlace(c)
	if err != nil {
		return p, nil, err
	}
	id, err := idParam(c, "id")
	if err != nil {
		return p, nil, err
	}
	m, err := h.Store.MirrorIn(c.Request().Context(), p.Ch.ID, p.SubID(), id)
	return p, m, err
}

// APIMirrors lists the mirrors of a channel or subchannel.
func (h *Handlers) APIMirrors(c echo.Context) error {
	p, err := h.mirrorPlace(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	ms, err := h.Store.MirrorsIn(ctx, p.Ch.ID, p.SubID())
	if err != nil {
		return err
	}
	last, err := h.Store.LastRuns(ctx, mirrorIDs(ms))
	if err != nil {
		return err
	}
	out := make([]MirrorJSON, len(ms))
	for i := range ms {
		out[i] = h.mirrorJSON(&ms[i], p.Ch.Name, p.SubName(), lastRun(last, ms[i].ID))
	}
	return ok(c, http.StatusOK, "mirrors", out)
}

func mirrorIDs(ms []models.Mirror) []uint {
	out := make([]uint, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}

func lastRun(m map[uint]models.MirrorRun, id uint) *models.MirrorRun {
	if r, ok := m[id]; ok {
		return &r
	}
	return nil
}

// APICreateMirror adds a mirror.
func (h *Handlers) APICreateMirror(c echo.Context) error {
	p, err := h.mirrorPlace(c)
	if err != nil {
		return err
	}
	var in mirrorInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	m, err := h.createMirror(c, p, in.onto(models.MirrorSpec{}))
	if err != nil {
		return err
	}
	return ok(c, http.StatusCreated, "mirror", h.mirrorJSON(m, p.Ch.Name, p.SubName(), nil))
}

func (h *Handlers) createMirror(c echo.Context, p place, sp models.MirrorSpec) (*models.Mirror, error) {
	m, err := h.Store.CreateMirror(c.Request().Context(), p.Ch, p.Sub, sp)
	if err != nil {
		return nil, err
	}
	h.audit(c, "mirror.create", p.Path(), map[string]any{"mirror_id": m.ID, "new": auditSpec(m.Spec())})
	return m, nil
}

// auditSpec is a mirror's settings for the audit log, URL redacted.
func auditSpec(sp models.MirrorSpec) map[string]any {
	return map[string]any{"url": models.RedactURL(sp.URL), "include": sp.Include, "exclude": sp.Exclude, "subdirs": sp.Subdirs,
		"versions": sp.Versions, "licenses": sp.Licenses, "exclude_severity": sp.MaxSeverity, "interval_minutes": sp.IntervalMinutes}
}

// APIMirror shows one mirror with its last run.
func (h *Handlers) APIMirror(c echo.Context) error {
	p, m, err := h.mirrorAt(c)
	if err != nil {
		return err
	}
	last, err := h.Store.LastRuns(c.Request().Context(), []uint{m.ID})
	if err != nil {
		return err
	}
	return ok(c, http.StatusOK, "mirror", h.mirrorJSON(m, p.Ch.Name, p.SubName(), lastRun(last, m.ID)))
}

// APIUpdateMirror changes the fields a PATCH sends.
func (h *Handlers) APIUpdateMirror(c echo.Context) error {
	p, m, err := h.mirrorAt(c)
	if err != nil {
		return err
	}
	var in mirrorInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	if err := h.updateMirror(c, p, m, in.onto(m.Spec())); err != nil {
		return err
	}
	return ok(c, http.StatusOK, "mirror", h.mirrorJSON(m, p.Ch.Name, p.SubName(), nil))
}

func (h *Handlers) updateMirror(c echo.Context, p place, m *models.Mirror, sp models.MirrorSpec) error {
	before, err := h.Store.UpdateMirror(c.Request().Context(), m, sp)
	if err != nil {
		return err
	}
	h.audit(c, "mirror.update", p.Path(), map[string]any{"mirror_id": m.ID, "old": auditSpec(before), "new": auditSpec(m.Spec())})
	return nil
}

// APIDeleteMirror removes a mirror; what it added stays.
func (h *Handlers) APIDeleteMirror(c echo.Context) error {
	p, m, err := h.mirrorAt(c)
	if err != nil {
		return err
	}
	if err := h.deleteMirror(c, p, m); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (h *Handlers) deleteMirror(c echo.Context, p place, m *models.Mirror) error {
	if err := h.Store.DeleteMirror(c.Request().Context(), m); err != nil {
		return err
	}
	h.audit(c, "mirror.delete", p.Path(), map[string]any{"mirror_id": m.ID, "old": auditSpec(m.Spec())})
	return nil
}

// maxRunWait bounds how long a request waits for a run it started.
const maxRunWait = 120 * time.Second

// APIRunMirror starts a run and waits up to ?wait= seconds (default 0) for
// it: 200 with the finished run, or 202 while it still runs. A mirror
// already running is a 409.
func (h *Handlers) APIRunMirror(c echo.Context) error {
	_, m, err := h.mirrorAt(c)
	if err != nil {
		return err
	}
	wait := time.Duration(0)
	if w := c.QueryParam("wait"); w != "" {
		n, err := strconv.Atoi(w)
		if err != nil || n < 0 || time.Duration(n)*time.Second > maxRunWait {
			return web.Fail(http.StatusBadRequest, "wait must be a whole number of seconds from 0 to 120.")
		}
		wait = time.Duration(n) * time.Second
	}
	run, finished, err := h.runMirror(c, m, wait)
	if err != nil {
		return err
	}
	status := http.StatusAccepted
	if finished {
		status = http.StatusOK
	}
	return ok(c, status, "run", runJSON(*run))
}

// runMirror starts a run of m for the actor and waits up to wait for it.
func (h *Handlers) runMirror(c echo.Context, m *models.Mirror, wait time.Duration) (*models.MirrorRun, bool, error) {
	a := web.ActorOf(c)
	who := mirrorrun.Who{ActorEmail: a.Email(), IP: c.RealIP()}
	if a.SignedIn() {
		who.ActorID = a.User.ID
	}
	ctx := c.Request().Context()
	run, done, err := h.Mirrors.Start(ctx, m, "manual", who)
	if errors.Is(err, models.ErrClaimed) {
		return nil, false, web.FailCode(http.StatusConflict, "running", "This mirror is running already; wait for that run to finish.")
	}
	if err != nil {
		return nil, false, err
	}
	select {
	case <-done:
	case <-time.After(wait):
		return run, false, nil
	case <-ctx.Done():
		return run, false, nil
	}
	r, err := h.Store.MirrorRunByID(context.WithoutCancel(ctx), m.ID, run.ID)
	return r, err == nil, err
}

// APIMirrorRuns lists a mirror's runs, newest first (?limit=, at most 100).
func (h *Handlers) APIMirrorRuns(c echo.Context) error {
	_, m, err := h.mirrorAt(c)
	if err != nil {
		return err
	}
	limit := 20
	if l := c.QueryParam("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 100 {
			return web.Fail(http.StatusBadRequest, "limit must be a whole number from 1 to 100.")
		}
		limit = n
	}
	runs, err := h.Store.MirrorRuns(c.Request().Context(), m.ID, limit)
	if err != nil {
		return err
	}
	out := make([]*RunJSON, len(runs))
	for i := range runs {
		out[i] = runJSON(runs[i])
	}
	return ok(c, http.StatusOK, "runs", out)
}

// visibleMirror is a mirror with its place's names, for lists.
type visibleMirror struct {
	Mirror       models.Mirror
	Channel, Sub string
	Last         *models.MirrorRun
}

// visibleMirrors lists every mirror on channels the actor manages through
// the route's scope (admins: all), with their places and last runs.
func (h *Handlers) visibleMirrors(c echo.Context) ([]visibleMirror, error) {
	chans, levels, err := h.readable(c)
	if err != nil {
		return nil, err
	}
	var managed []models.Channel
	for i, ch := range chans {
		if levels[i] >= access.Manage {
			managed = append(managed, ch)
		}
	}
	ctx := c.Request().Context()
	ids := make([]uint, len(managed))
	names := map[uint]string{}
	for i, ch := range managed {
		ids[i], names[ch.ID] = ch.ID, ch.Name
	}
	ms, err := h.Store.MirrorsOf(ctx, ids)
	if err != nil {
		return nil, err
	}
	subs, err := h.Store.SubchannelsOf(ctx, managed)
	if err != nil {
		return nil, err
	}
	subNames := map[uint]string{}
	for _, s := range subs {
		subNames[s.ID] = s.Name
	}
	last, err := h.Store.LastRuns(ctx, mirrorIDs(ms))
	if err != nil {
		return nil, err
	}
	out := make([]visibleMirror, len(ms))
	for i, m := range ms {
		out[i] = visibleMirror{Mirror: m, Channel: names[m.ChannelID], Sub: subNames[m.SubchannelID], Last: lastRun(last, m.ID)}
	}
	return out, nil
}

// APIAllMirrors lists every mirror the actor may see (mirror:view).
func (h *Handlers) APIAllMirrors(c echo.Context) error {
	vs, err := h.visibleMirrors(c)
	if err != nil {
		return err
	}
	out := make([]MirrorJSON, len(vs))
	for i := range vs {
		out[i] = h.mirrorJSON(&vs[i].Mirror, vs[i].Channel, vs[i].Sub, vs[i].Last)
	}
	return ok(c, http.StatusOK, "mirrors", out)
}
