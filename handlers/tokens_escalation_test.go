package handlers_test

import (
	"fmt"
	"strings"
	"testing"

	"gatehouse/handlers"
	"gatehouse/handlers/handlertest"
	"gatehouse/models"
	"gatehouse/models/access"
	"gatehouse/models/modeltest"
)

// TestTokenCannotEscalateThroughTokens: a scope token that may manage
// tokens can mint a resource token only up to the level its channel scopes
// carry, and cannot re-issue a sibling token that grants more than itself
// and so learn that token's string.
func TestTokenCannotEscalateThroughTokens(t *testing.T) {
	for _, b := range modeltest.Backends(t) {
		t.Run(string(b), func(t *testing.T) {
			srv := handlertest.Start(t, b)
			s := srv.Store
			modeltest.MustUser(t, s, "dev@example.com")
			seedChannel(t, s, "alpha", "manage", "dev@example.com")
			tm := withToken(srv, mustToken(t, s, "dev@example.com", "token-manager",
				access.TokenGrant{Scopes: []string{"user.token:view", "user.token:edit", "artifact:download"}}))

			res := tm.SendJSON("POST", "/api/tokens", map[string]any{"name": "minted", "expires_at": future(3),
				"resources": []map[string]string{{"channel": "alpha", "level": "write"}}})
			if res.StatusCode != 422 || !strings.Contains(res.Body, "write on alpha (the token holds read there)") {
				t.Errorf("scope token minting a stronger resource token: %d %s", res.StatusCode, res.Body)
			}
			res = tm.SendJSON("POST", "/api/tokens", map[string]any{"name": "minted", "expires_at": future(3),
				"resources": []map[string]string{{"channel": "alpha", "level": "read"}}})
			if res.StatusCode != 201 {
				t.Errorf("scope token minting a resource token within its level: %d %s", res.StatusCode, res.Body)
			}

			mustToken(t, s, "dev@example.com", "powerful", access.TokenGrant{Resources: []access.Resource{{Channel: "alpha", Level: access.Manage}}})
			var powerful models.Token
			if err := s.DB().Where("name = ?", "powerful").Take(&powerful).Error; err != nil {
				t.Fatal(err)
			}
			path := fmt.Sprintf("/api/tokens/%d", powerful.ID)
			res = tm.SendJSON("PATCH", path, map[string]any{"reissue": true})
			if res.StatusCode != 422 || strings.Contains(res.Body, "gth_") {
				t.Fatalf("scope token re-issuing a stronger token: %d %s", res.StatusCode, res.Body)
			}
			var after models.Token
			s.DB().First(&after, powerful.ID)
			if after.Hash != powerful.Hash {
				t.Fatal("the stronger token was re-issued")
			}

			// It may still re-issue itself, or edit a sibling without re-issuing.
			var self models.Token
			s.DB().Where("name = ?", "token-manager").Take(&self)
			if res := tm.SendJSON("PATCH", path, map[string]any{"description": "renamed by a token"}); res.StatusCode != 200 {
				t.Errorf("plain edit: %d %s", res.StatusCode, res.Body)
			}
			res = tm.SendJSON("PATCH", fmt.Sprintf("/api/tokens/%d", self.ID), map[string]any{"reissue": true})
			var re struct{ Token handlers.TokenJSON }
			res.JSON(t, &re)
			if res.StatusCode != 200 || !models.WellFormedToken(re.Token.Secret) {
				t.Fatalf("self re-issue: %d %s", res.StatusCode, res.Body)
			}
		})
	}
}
