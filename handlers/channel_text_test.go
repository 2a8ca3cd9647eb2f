package handlers_test

import (
	"net/http"
	"net/url"
	"testing"

	"gatehouse/handlers/handlertest"
)

// Text PostgreSQL cannot store (NUL, invalid UTF-8) is a clear 400 on every
// database, refused before any handler sees it, never a server error.
func TestChannelDescriptionRefusesUnstorableText(t *testing.T) {
	eachBackend(t, func(t *testing.T, srv *handlertest.Server) {
		adm := srv.AsAdmin()
		want(t, adm.SendJSON(http.MethodPost, "/api/channels", map[string]any{"name": "nul", "description": "a\x00b"}), http.StatusBadRequest)
		mustChannel(t, adm, "main", "private")
		want(t, adm.SendJSON(http.MethodPatch, "/api/channels/main", map[string]any{"description": "a\x00b"}), http.StatusBadRequest)
		r := adm.PostForm("/channels/main", url.Values{"description": {"bad \xff byte"}, "privacy": {"private"}})
		want(t, r, http.StatusBadRequest)
		r = adm.PostForm("/channels", url.Values{"name": {"x"}, "description": {"bad \xff byte"}})
		want(t, r, http.StatusBadRequest)
	})
}

// Unstorable names in a permissions PATCH are refused (400), never a
// server error.
func TestPermissionNamesWithNULAreUnknown(t *testing.T) {
	eachBackend(t, func(t *testing.T, srv *handlertest.Server) {
		adm := srv.AsAdmin()
		mustChannel(t, adm, "main", "private")
		for _, k := range []string{"users", "roles", "teams"} {
			r := adm.SendJSON(http.MethodPatch, "/api/channels/main/permissions", map[string]any{"read": map[string]any{k: []string{"a\x00"}}})
			want(t, r, http.StatusBadRequest)
		}
	})
}
