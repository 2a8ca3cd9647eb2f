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
	"gatehouse/views/pages/channels"
	"gatehouse/web"
)

// HistoryEventJSON is one event of a channel's history. The actor's
// address (IP) stays in the admins' audit log.
type HistoryEventJSON struct {
	ID         uint           `json:"id"`
	At         time.Time      `json:"at"`
	Actor      string         `json:"actor"`
	Action     string         `json:"action"`
	Subchannel string         `json:"subchannel,omitempty"`
	Details    map[string]any `json:"details,omitempty"`
}

// historyFilter reads the audit log's filters (actor, action, since,
// until, limit, offset) for a history.
func historyFilter(c echo.Context) (models.HistoryFilter, string, error) {
	f, field, err := auditFilter(c)
	return models.HistoryFilter{Action: f.Action, Actor: f.Actor, Since: f.Since, Until: f.Until, Limit: f.Limit, Offset: f.Offset}, field, err
}

// history reads one page of the route's channel's (or subchannel's)
// history, and whether more follow.
func (h *Handlers) history(c echo.Context, f models.HistoryFilter) ([]models.AuditEvent, bool, error) {
	p := placeOf(c)
	f.Limit++
	evs, err := h.Store.ChannelHistory(c.Request().Context(), p.Ch, p.Sub, f)
	if err != nil {
		return nil, false, err
	}
	more := len(evs) == f.Limit
	if more {
		evs = evs[:f.Limit-1]
	}
	return evs, more, nil
}

// subOf is the subchannel an event's target names under channel ch.
func subOf(ch, target string) string {
	rest, _ := strings.CutPrefix(target, ch+"/")
	if rest == target {
		return ""
	}
	return rest
}

// APIChannelHistory lists a channel's or subchannel's history, newest
// first: {"events": [...], "next_offset": n} while more follow.
func (h *Handlers) APIChannelHistory(c echo.Context) error {
	f, _, err := historyFilter(c)
	if err != nil {
		return err
	}
	evs, more, err := h.history(c, f)
	if err != nil {
		return err
	}
	p := placeOf(c)
	out := make([]HistoryEventJSON, len(evs))
	for i, e := range evs {
		out[i] = HistoryEventJSON{ID: e.ID, At: e.At, Actor: e.ActorEmail, Action: e.Action, Subchannel: subOf(p.Ch.Name, e.Target), Details: e.DetailsMap()}
	}
	body := map[string]any{"ok": true, "events": out}
	if more {
		body["next_offset"] = f.Offset + f.Limit
	}
	return c.JSON(http.StatusOK, body)
}

// ChannelHistory shows the History tab of a channel or subchannel.
func (h *Handlers) ChannelHistory(c echo.Context) error {
	p := placeOf(c)
	m := channels.HistoryPage{Name: p.Ch.Name, Sub: p.SubName(), Actor: c.QueryParam("actor"), Action: c.QueryParam("action"),
		Since: c.QueryParam("since"), Until: c.QueryParam("until"), Actions: historyActions, Errors: map[string]string{}}
	status := http.StatusOK
	f, field, err := historyFilter(c)
	if err != nil {
		m.Errors[field], status = faultText(err), http.StatusBadRequest
		return h.page(c, status, p.Path()+" history", channels.History(m))
	}
	evs, more, err := h.history(c, f)
	if err != nil {
		return err
	}
	now := h.Store.Now()
	for _, e := range evs {
		r := channels.HistoryRow{At: when(e.At, now, "2006-01-02 15:04:05"), Actor: e.ActorEmail, Action: e.Action, Sub: subOf(p.Ch.Name, e.Target)}
		if d := e.DetailsMap(); len(d) > 0 {
			b, _ := json.Marshal(d)
			r.Details = string(b)
		}
		m.Rows = append(m.Rows, r)
	}
	if more {
		q := c.QueryParams()
		q.Set("offset", strconv.Itoa(f.Offset+f.Limit))
		m.Next = c.Request().URL.Path + "?" + url.Values(q).Encode()
	}
	return h.page(c, status, p.Path()+" history", channels.History(m))
}

// historyActions are the filter menu's choices: families and actions.
var historyActions = []string{
	"artifact", "artifact.upload", "artifact.overwrite", "artifact.edit", "artifact.delete",
	"channel", "channel.create", "channel.update", "channel.permissions",
	"subchannel", "subchannel.create", "subchannel.update", "subchannel.delete",
	"mirror", "group",
}

// faultText is the message an error gives the person who caused it.
func faultText(err error) string {
	_, _, msg, _ := web.Classify(err)
	return msg
}
