package web

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"time"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"gatehouse/models"
)

const sessionName = "gatehouse_session"

// Sessions signs people in and out with an encrypted, signed cookie. Nothing
// about a session lives on the server, so any instance can read it.
type Sessions struct {
	store *sessions.CookieStore
	idle  time.Duration
	max   time.Duration
	now   func() time.Time
}

// NewSessions derives the cookie keys from one secret.
func NewSessions(secret string, idle, max time.Duration, secure bool) *Sessions {
	hashKey := sha256.Sum256([]byte("gatehouse-session-hash:" + secret))
	blockKey := sha256.Sum256([]byte("gatehouse-session-block:" + secret))
	st := sessions.NewCookieStore(hashKey[:], blockKey[:])
	st.Options = &sessions.Options{Path: "/", MaxAge: int(max.Seconds()), HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode}
	return &Sessions{store: st, idle: idle, max: max, now: time.Now}
}

// UserID returns the signed-in user's id, or 0 when the session is missing,
// broken or past its idle or absolute timeout. It refreshes the idle clock.
// Use Valid to check the session still matches the user's password.
func (s *Sessions) UserID(c echo.Context) uint {
	sess, err := s.store.Get(c.Request(), sessionName)
	if err != nil {
		return 0
	}
	uid, _ := sess.Values["uid"].(uint)
	iat, _ := sess.Values["iat"].(int64)
	seen, _ := sess.Values["seen"].(int64)
	now := s.now()
	if uid == 0 || now.Sub(time.Unix(iat, 0)) > s.max || now.Sub(time.Unix(seen, 0)) > s.idle {
		return 0
	}
	// Refresh the idle clock at most once a minute to keep responses cacheable.
	if now.Sub(time.Unix(seen, 0)) > time.Minute {
		sess.Values["seen"] = now.Unix()
		_ = sess.Save(c.Request(), c.Response())
	}
	return uid
}

// SignIn starts a fresh session for u, replacing whatever came before.
func (s *Sessions) SignIn(c echo.Context, u *models.User) error {
	sess := sessions.NewSession(s.store, sessionName)
	sess.Options = s.store.Options
	sess.IsNew = true
	now := s.now().Unix()
	sess.Values["uid"] = u.ID
	sess.Values["sid"] = models.RandomHex(16)
	sess.Values["iat"] = now
	sess.Values["seen"] = now
	sess.Values["pw"] = passwordStamp(u)
	return sess.Save(c.Request(), c.Response())
}

// Valid reports whether the session was started with u's current password,
// so a password reset signs the user out everywhere.
func (s *Sessions) Valid(c echo.Context, u *models.User) bool {
	sess, err := s.store.Get(c.Request(), sessionName)
	if err != nil {
		return false
	}
	stamp, _ := sess.Values["pw"].(string)
	return stamp != "" && subtle.ConstantTimeCompare([]byte(stamp), []byte(passwordStamp(u))) == 1
}

// passwordStamp is a short digest of the password hash: it changes with the
// password and reveals nothing useful (the cookie is encrypted as well).
func passwordStamp(u *models.User) string {
	sum := sha256.Sum256([]byte("gatehouse-session-pw:" + u.PasswordHash))
	return hex.EncodeToString(sum[:8])
}

// SignOut ends the session.
func (s *Sessions) SignOut(c echo.Context) {
	opts := *s.store.Options
	opts.MaxAge = -1
	sess := sessions.NewSession(s.store, sessionName)
	sess.Options = &opts
	_ = sess.Save(c.Request(), c.Response())
}
