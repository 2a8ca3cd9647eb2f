package handlers

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"gatehouse/models"
)

// maxLeakReportBody is as much of a leak report as is ever read.
const maxLeakReportBody = maxJSONBody

// leakBurst is how many reports one address may send at once.
const leakBurst = 30

// APIRevokeLeaked takes a report of leaked token strings (spec §14):
// {"tokens": ["gth_…", …]} from anyone, with no authentication. Every
// string that is a token is deleted at once, audited as
// token.revoke.leaked (never the string), and its owner finds a notice on
// their next page.
//
// The answer is always 202 {"ok": true}, whatever the body held — junk,
// unknown strings, more than 100 of them — so it tells nothing. Only the
// first 100 strings are looked at. Past the rate limit for the client's
// address a report is answered the same and dropped (and logged), which
// keeps the endpoint from being a free database probe. The time taken may
// differ for a live string, but whoever holds a live string can already
// learn that by using it: the report reveals nothing the string does not.
func (h *Handlers) APIRevokeLeaked(c echo.Context) error {
	accepted := func() error { return c.JSON(http.StatusAccepted, map[string]bool{"ok": true}) }
	if h.LeakReports.Over(c.RealIP()) {
		h.Log.Warn("leak report dropped: too many from this address", "ip", c.RealIP())
		return accepted()
	}
	h.LeakReports.Fail(c.RealIP()) // every report spends one
	secrets := readLeakReport(c.Request().Body)
	revoked, err := h.Store.RevokeLeaked(c.Request().Context(), secrets)
	if err != nil {
		return err
	}
	for _, t := range revoked {
		details := map[string]any{"token_id": t.ID}
		if t.User != nil {
			details["owner"] = t.User.Email
		}
		h.audit(c, "token.revoke.leaked", t.Name, details)
	}
	return accepted()
}

// readLeakReport reads the strings of {"tokens": [...]} as a stream,
// stopping after models.MaxLeakedReport of them: a huge report costs no
// more than a full one. Whatever is not a string, or not JSON, is skipped.
func readLeakReport(r io.Reader) []string {
	var out []string
	dec := json.NewDecoder(io.LimitReader(r, maxLeakReportBody))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil
	}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return out
		}
		if key != "tokens" {
			var skip json.RawMessage
			if dec.Decode(&skip) != nil {
				return out
			}
			continue
		}
		if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
			return out
		}
		for dec.More() && len(out) < models.MaxLeakedReport {
			var v json.RawMessage
			if dec.Decode(&v) != nil {
				return out
			}
			var s string
			if json.Unmarshal(v, &s) == nil {
				out = append(out, strings.TrimSpace(s))
			}
		}
		return out
	}
	return out
}
