package sso

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"time"

	"github.com/gorilla/securecookie"
	"golang.org/x/oauth2"
)

// Flow is a sign-in in progress: the state and nonce to expect back, the
// PKCE verifier, and where to go afterwards. It lives in an encrypted cookie
// in the browser that started it, so it is bound to that browser and any
// instance can finish it.
type Flow struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Next     string `json:"next"`
}

// FlowMaxAge is how long a person has at the provider.
const FlowMaxAge = 10 * time.Minute

const (
	flowCookie = "gatehouse_sso"
	flowPath   = "/auth/oidc/"
)

func newFlow() Flow {
	return Flow{State: random(), Nonce: random(), Verifier: oauth2.GenerateVerifier()}
}

func random() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Matches reports whether state is the one this flow expects.
func (f Flow) Matches(state string) bool {
	return f.State != "" && subtle.ConstantTimeCompare([]byte(f.State), []byte(state)) == 1
}

// Flows keeps sign-ins in progress in signed, encrypted cookies.
type Flows struct {
	codec  *securecookie.SecureCookie
	secure bool
}

// NewFlows derives the cookie keys from the session secret.
func NewFlows(secret string, secure bool) *Flows {
	hashKey := sha256.Sum256([]byte("gatehouse-sso-hash:" + secret))
	blockKey := sha256.Sum256([]byte("gatehouse-sso-block:" + secret))
	codec := securecookie.New(hashKey[:], blockKey[:]).MaxAge(int(FlowMaxAge.Seconds()))
	codec.SetSerializer(securecookie.JSONEncoder{})
	return &Flows{codec: codec, secure: secure}
}

// Save remembers f in this browser, replacing any earlier sign-in.
func (fs *Flows) Save(w http.ResponseWriter, f Flow) error {
	v, err := fs.codec.Encode(flowCookie, f)
	if err != nil {
		return err
	}
	http.SetCookie(w, fs.cookie(v, int(FlowMaxAge.Seconds())))
	return nil
}

// Take returns this browser's sign-in in progress and forgets it, so the
// provider's answer is used at most once. ok is false when there is none, or
// it expired or was tampered with.
func (fs *Flows) Take(w http.ResponseWriter, r *http.Request) (f Flow, ok bool) {
	ck, err := r.Cookie(flowCookie)
	if err != nil {
		return Flow{}, false
	}
	http.SetCookie(w, fs.cookie("", -1))
	if err := fs.codec.Decode(flowCookie, ck.Value, &f); err != nil || f.State == "" {
		return Flow{}, false
	}
	return f, true
}

// cookie is Lax so it comes back on the provider's top-level redirect.
func (fs *Flows) cookie(value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: flowCookie, Value: value, Path: flowPath, MaxAge: maxAge,
		HttpOnly: true, Secure: fs.secure, SameSite: http.SameSiteLaxMode}
}
