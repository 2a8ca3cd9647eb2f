package web

import (
	"time"

	"github.com/labstack/echo/v4"

	"gatehouse/models"
	"gatehouse/models/access"
)

const actorKey = "gatehouse.actor"

// Actor is who makes a request: a signed-in user, a token (acting for its
// owner, as the owner is now), or nobody.
type Actor struct {
	User    *models.User
	Subject access.Subject
	// Token is set when the request authenticated with an access token;
	// what the actor may do is then capped by TokenGrant.
	Token      *models.Token
	TokenGrant access.TokenGrant
	// At is when the request came in: decisions on a token's expiry use it.
	At time.Time
}

// Engine is the actor as the permission engine sees it.
func (a *Actor) Engine() access.Actor {
	if a == nil {
		return access.Actor{}
	}
	out := access.Actor{Subject: a.Subject, At: a.At}
	if a.Token != nil {
		out.Token = &access.Token{Grant: a.TokenGrant, ExpiresAt: a.Token.ExpiresAt}
	}
	return out
}

// ViaToken reports whether the request authenticated with an access token.
func (a *Actor) ViaToken() bool { return a != nil && a.Token != nil }

// SignedIn reports whether a user makes the request.
func (a *Actor) SignedIn() bool { return a != nil && a.User != nil }

// IsAdmin reports whether the actor is an active admin.
func (a *Actor) IsAdmin() bool { return a.SignedIn() && a.Subject.IsAdmin() }

// Email is the actor's email, or "" when anonymous.
func (a *Actor) Email() string {
	if !a.SignedIn() {
		return ""
	}
	return a.User.Email
}

// ActorOf returns the request's actor (never nil).
func ActorOf(c echo.Context) *Actor {
	if a, ok := c.Get(actorKey).(*Actor); ok {
		return a
	}
	return &Actor{}
}

// SetActor stores the request's actor.
func SetActor(c echo.Context, a *Actor) { c.Set(actorKey, a) }
