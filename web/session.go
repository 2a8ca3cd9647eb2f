package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"time"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"gatehouse/models"
)

const sessionName = "gatehouse_session"

// SessionStore keeps sessions on the server (models.Store does), so one
// can be ended on every instance at once.
type SessionStore interface {
	CreateSession(ctx context.Context, id string, userID uint, expires time.Time) error
	EndSession(ctx context.Context, id string) error
}

// Sessions signs people in and out. The cookie is encrypted and signed and
// carries the user, a secret and the session's clocks; the server keeps
// the secret's SHA-256, so signing out, a password reset or disabling the
// user ends the session everywhere.
type Sessions struct {
	store *sessions.CookieStore
	rows  SessionStore
	idle  time.Duration
	max   time.Duration
	now   func() time.Time
	// Limits, when set, gives the idle and absolute timeouts in force now
	// (admins change them at run time); idle and max are its fallback.
	Limits func(ctx context.Context) (idle, max time.Duration)
}

// limits are the timeouts in force.
func (s *Sessions) limits(ctx context.Context) (idle, max time.Duration) {
	if s.Limits == nil {
		return s.idle, s.max
	}
	return s.Limits(ctx)
}

// NewSessions derives the cookie keys from one secret.
func NewSessions(secret string, idle, max time.Duration, secure bool, rows SessionStore) *Sessions {
	hashKey := sha256.Sum256([]byte("gatehouse-session-hash:" + secret))
	blockKey := sha256.Sum256([]byte("gatehouse-session-block:" + secret))
	st := sessions.NewCookieStore(hashKey[:], blockKey[:])
	st.Options = &sessions.Options{Path: "/", MaxAge: int(max.Seconds()), HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode}
	return &Sessions{store: st, rows: rows, idle: idle, max: max, now: time.Now}
}

// Current returns the session the cookie names: its user's id and the key
// its row is stored under, or 0 when the cookie is missing, broken or past
// its idle or absolute timeout. It refreshes the idle clock. Whether the
// session still exists is the store's to say (models.Store.SessionUser).
func (s *Sessions) Current(c echo.Context) (uid uint, key string) {
	sess, err := s.store.Get(c.Request(), sessionName)
	if err != nil {
		return 0, ""
	}
	uid, _ = sess.Values["uid"].(uint)
	sid, _ := sess.Values["sid"].(string)
	iat, _ := sess.Values["iat"].(int64)
	seen, _ := sess.Values["seen"].(int64)
	if uid == 0 || sid == "" {
		return 0, "" // no session: the limits are not even asked for
	}
	now := s.now()
	idle, absolute := s.limits(c.Request().Context())
	if now.Sub(time.Unix(iat, 0)) > absolute || now.Sub(time.Unix(seen, 0)) > idle {
		return 0, ""
	}
	// Refresh the idle clock at most once a minute to keep responses cacheable.
	if now.Sub(time.Unix(seen, 0)) > time.Minute {
		sess.Values["seen"] = now.Unix()
		opts := *s.store.Options
		opts.MaxAge = max(1, int((absolute - now.Sub(time.Unix(iat, 0))).Seconds()))
		sess.Options = &opts
		_ = sess.Save(c.Request(), c.Response())
	}
	return uid, sessionKey(sid)
}

// SignIn starts a fresh session for u, replacing whatever came before.
func (s *Sessions) SignIn(c echo.Context, u *models.User) error {
	sid := models.RandomHex(32)
	now := s.now()
	_, absolute := s.limits(c.Request().Context())
	if err := s.rows.CreateSession(c.Request().Context(), sessionKey(sid), u.ID, now.Add(absolute)); err != nil {
		return err
	}
	sess := sessions.NewSession(s.store, sessionName)
	opts := *s.store.Options
	opts.MaxAge = int(absolute.Seconds())
	sess.Options = &opts
	sess.IsNew = true
	sess.Values["uid"] = u.ID
	sess.Values["sid"] = sid
	sess.Values["iat"] = now.Unix()
	sess.Values["seen"] = now.Unix()
	return sess.Save(c.Request(), c.Response())
}

// sessionKey is how a session's secret is stored: its SHA-256.
func sessionKey(sid string) string {
	sum := sha256.Sum256([]byte(sid))
	return hex.EncodeToString(sum[:])
}

// SignOut ends the session on the server and clears the cookie.
func (s *Sessions) SignOut(c echo.Context) {
	if sess, err := s.store.Get(c.Request(), sessionName); err == nil {
		if sid, _ := sess.Values["sid"].(string); sid != "" {
			_ = s.rows.EndSession(context.WithoutCancel(c.Request().Context()), sessionKey(sid))
		}
	}
	s.clear(c)
}

// clear drops the cookie only.
func (s *Sessions) clear(c echo.Context) {
	opts := *s.store.Options
	opts.MaxAge = -1
	sess := sessions.NewSession(s.store, sessionName)
	sess.Options = &opts
	_ = sess.Save(c.Request(), c.Response())
}

// Forget drops a cookie whose session is gone.
func (s *Sessions) Forget(c echo.Context) { s.clear(c) }
