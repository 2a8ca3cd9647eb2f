package web

import (
	"crypto/sha256"
	"net/http"

	"github.com/gorilla/securecookie"
	"github.com/labstack/echo/v4"
)

const flashCookie = "gatehouse_flash"

// Flash carries one short confirmation across a redirect ("Permissions
// saved."): a signed cookie that the next page shows once and clears.
// Signing keeps anyone else from planting text on our pages.
type Flash struct {
	codec  *securecookie.SecureCookie
	secure bool
}

// NewFlash derives the cookie's signing key from the session secret.
func NewFlash(secret string, secure bool) *Flash {
	key := sha256.Sum256([]byte("gatehouse-flash:" + secret))
	codec := securecookie.New(key[:], nil).MaxAge(60)
	return &Flash{codec: codec, secure: secure}
}

// Set leaves msg for the next page.
func (f *Flash) Set(c echo.Context, msg string) {
	v, err := f.codec.Encode(flashCookie, msg)
	if err != nil {
		return // a confirmation is not worth failing the request
	}
	c.SetCookie(&http.Cookie{Name: flashCookie, Value: v, Path: "/", MaxAge: 60, HttpOnly: true, Secure: f.secure, SameSite: http.SameSiteLaxMode})
}

// Take returns the message left for this page, once.
func (f *Flash) Take(c echo.Context) string {
	ck, err := c.Cookie(flashCookie)
	if err != nil {
		return ""
	}
	c.SetCookie(&http.Cookie{Name: flashCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: f.secure, SameSite: http.SameSiteLaxMode})
	var msg string
	if f.codec.Decode(flashCookie, ck.Value, &msg) != nil {
		return ""
	}
	return msg
}
