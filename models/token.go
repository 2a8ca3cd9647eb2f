package models

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"hash/crc32"
	"math/big"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"gatehouse/models/access"
)

// Token string format: "gth_" + 32 base62 characters (190 random bits) + a
// 6-character base62 CRC32 of the random part, so scanners can tell a real
// Gatehouse token from noise without asking the server.
const (
	TokenPrefix   = "gth_"
	tokenBodyLen  = 32
	tokenCheckLen = 6
	TokenLen      = len(TokenPrefix) + tokenBodyLen + tokenCheckLen
)

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// Token is an access token. Only the SHA-256 of its string is stored; the
// string itself is shown once and never kept.
type Token struct {
	ID          uint      `gorm:"primaryKey"`
	UserID      uint      `gorm:"not null;uniqueIndex:idx_token_owner_name,priority:1"`
	User        *User     `gorm:"constraint:OnDelete:CASCADE"`
	Name        string    `gorm:"size:100;not null;uniqueIndex:idx_token_owner_name,priority:2"`
	Description string    `gorm:"size:1000"`
	Kind        string    `gorm:"size:16;not null"`
	Resources   string    `gorm:"type:text;not null;default:'[]'"` // JSON [{"channel","subchannel","level"}]
	Scopes      string    `gorm:"type:text;not null;default:'[]'"` // JSON array of scope names
	Hash        string    `gorm:"size:64;not null;uniqueIndex"`
	Hint        string    `gorm:"size:8;not null"`
	ExpiresAt   time.Time `gorm:"not null"` // the first instant it no longer works (midnight UTC after its date)
	LastUsedAt  *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
	// grant is Resources and Scopes decoded; never changed once set.
	grant *access.TokenGrant `gorm:"-"`
}

// resourceJSON is how a resource is stored.
type resourceJSON struct {
	Channel string `json:"channel"`
	Sub     string `json:"subchannel,omitempty"`
	Group   string `json:"group,omitempty"`
	Level   string `json:"level"`
}

// Grant is what the token grants, decoded once per row read (the view
// keeps it decoded).
func (t *Token) Grant() access.TokenGrant {
	if t.grant != nil {
		return *t.grant
	}
	g := t.decodeGrant()
	t.grant = &g
	return g
}

func (t *Token) decodeGrant() access.TokenGrant {
	var g access.TokenGrant
	var rs []resourceJSON
	_ = json.Unmarshal([]byte(t.Resources), &rs)
	for _, r := range rs {
		l, _ := access.ParseLevel(r.Level)
		g.Resources = append(g.Resources, access.Resource{Channel: r.Channel, Sub: r.Sub, Group: r.Group, Level: l})
	}
	_ = json.Unmarshal([]byte(t.Scopes), &g.Scopes)
	return g
}

func encodeGrant(g access.TokenGrant) (resources, scopes string) {
	rs := make([]resourceJSON, len(g.Resources))
	for i, r := range g.Resources {
		rs[i] = resourceJSON{Channel: r.Channel, Sub: r.Sub, Group: r.Group, Level: r.Level.String()}
	}
	if g.Scopes == nil {
		g.Scopes = []string{}
	}
	rb, _ := json.Marshal(rs)
	sb, _ := json.Marshal(g.Scopes)
	return string(rb), string(sb)
}

// ExpiryDate is the last day the token works, as YYYY-MM-DD.
func (t *Token) ExpiryDate() string {
	return t.ExpiresAt.Add(-24 * time.Hour).UTC().Format(time.DateOnly)
}

// Expired reports whether the token no longer works at now.
func (t *Token) Expired(now time.Time) bool { return !now.Before(t.ExpiresAt) }

// NewTokenSecret makes a fresh token string.
func NewTokenSecret() string {
	var b strings.Builder
	b.WriteString(TokenPrefix)
	max := big.NewInt(62)
	for range tokenBodyLen {
		n, err := rand.Int(rand.Reader, max)
		if err != nil {
			panic("token: crypto/rand failed: " + err.Error())
		}
		b.WriteByte(base62[n.Int64()])
	}
	body := b.String()[len(TokenPrefix):]
	b.WriteString(tokenChecksum(body))
	return b.String()
}

func tokenChecksum(body string) string {
	n := crc32.ChecksumIEEE([]byte(body))
	out := make([]byte, tokenCheckLen)
	for i := tokenCheckLen - 1; i >= 0; i-- {
		out[i] = base62[n%62]
		n /= 62
	}
	return string(out)
}

// WellFormedToken reports whether s looks like a Gatehouse token: prefix,
// length, alphabet and checksum. It needs no database.
func WellFormedToken(s string) bool {
	if len(s) != TokenLen || !strings.HasPrefix(s, TokenPrefix) {
		return false
	}
	rest := s[len(TokenPrefix):]
	for i := 0; i < len(rest); i++ {
		if strings.IndexByte(base62, rest[i]) < 0 {
			return false
		}
	}
	body, sum := rest[:tokenBodyLen], rest[tokenBodyLen:]
	return subtle.ConstantTimeCompare([]byte(tokenChecksum(body)), []byte(sum)) == 1
}

// HashToken is the stored form of a token string.
func HashToken(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// Token check failures; the web layer answers 401 for each.
var (
	ErrTokenUnknown  = errors.New("unknown, deleted or re-issued token")
	ErrTokenExpired  = errors.New("token expired")
	ErrTokenDisabled = errors.New("the token's owner is disabled")
)

// AuthenticateToken finds the token a request carries: one hash and one
// indexed lookup, then the owner as they are now (roles, teams, disabled).
// An expired token is returned with ErrTokenExpired so the refusal can be
// audited under its name. Nothing is cached: every request asks the
// database, so a delete or re-issue applies on every instance at once.
func (s *Store) AuthenticateToken(ctx context.Context, secret string) (*Token, error) {
	t, err := s.TokenBySecret(ctx, secret)
	if err != nil {
		return nil, err
	}
	u, err := s.User(ctx, t.UserID)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, ErrTokenUnknown
		}
		return nil, err
	}
	t.User = u
	switch {
	case t.Expired(s.Now()):
		return t, ErrTokenExpired
	case u.Disabled:
		return t, ErrTokenDisabled
	}
	s.usage.touch(t.ID, s.Now())
	return t, nil
}

// TokenBySecret is the token check's core: the format and checksum, one
// SHA-256, one lookup on the unique hash index, a constant-time compare.
func (s *Store) TokenBySecret(ctx context.Context, secret string) (*Token, error) {
	if !WellFormedToken(secret) {
		return nil, ErrTokenUnknown
	}
	hash := HashToken(secret)
	if t, ok := cached(s.view, func() map[string]Token { return s.view.tokens }, hash); ok {
		return &t, nil
	}
	if s.view.knownUnknown(hash) {
		return nil, ErrTokenUnknown
	}
	epoch := s.view.epoch(partTokens)
	var t Token
	if err := s.db.WithContext(ctx).Where("hash = ?", hash).Take(&t).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			s.view.noteUnknown(hash, epoch)
			return nil, ErrTokenUnknown
		}
		return nil, err
	}
	if subtle.ConstantTimeCompare([]byte(t.Hash), []byte(hash)) != 1 {
		return nil, ErrTokenUnknown
	}
	t.Grant() // decoded once, kept decoded
	keep(s.view, partTokens, epoch, func() map[string]Token { return s.view.tokens }, hash, t)
	return &t, nil
}

// KnownToken reports whether the view holds the token with this string,
// for callers that refuse floods of unknown strings before any lookup.
func (s *Store) KnownToken(secret string) bool {
	_, ok := cached(s.view, func() map[string]Token { return s.view.tokens }, HashToken(secret))
	return ok
}

// NewToken is the input for CreateToken.
type NewToken struct {
	Name        string
	Description string
	ExpiresOn   string // YYYY-MM-DD, the last day the token works
	Grant       access.TokenGrant
}

// TokenEdit changes a token; nil fields stay as they are.
type TokenEdit struct {
	Name        *string
	Description *string
	ExpiresOn   *string
	Reissue     bool
}

// Field limits of tokens.
const (
	MaxTokenNameLen = 100
	MaxTokenDescLen = 1000
)

func validTokenName(name string) (string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", Invalid("name", "Name is required.")
	case utf8.RuneCountInString(name) > MaxTokenNameLen:
		return "", Invalid("name", "Name must be at most %d characters.", MaxTokenNameLen)
	}
	return name, nil
}

func validTokenDesc(d string) (string, error) {
	d = strings.TrimSpace(d)
	if utf8.RuneCountInString(d) > MaxTokenDescLen {
		return "", Invalid("description", "Description must be at most %d characters.", MaxTokenDescLen)
	}
	return d, nil
}

// ExpiresAtOf is the instant a token whose last day is day stops working;
// the zero time when day is not a date (TokenExpiry then says why).
func ExpiresAtOf(day string) time.Time {
	d, err := time.Parse(time.DateOnly, strings.TrimSpace(day))
	if err != nil {
		return time.Time{}
	}
	return d.Add(24 * time.Hour)
}

// TokenExpiry turns the last valid day into the instant the token stops
// working, refusing dates in the past or beyond the maximum token lifetime
// admins set.
func (s *Store) TokenExpiry(ctx context.Context, day string) (time.Time, error) {
	d, err := time.Parse(time.DateOnly, strings.TrimSpace(day))
	if err != nil {
		if strings.TrimSpace(day) == "" {
			return time.Time{}, Invalid("expires_at", "Expiration date is required.")
		}
		return time.Time{}, &ValidationError{Field: "expires_at", Message: "Expiration date must be a date written YYYY-MM-DD."}
	}
	now := s.Now().UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	if d.Before(today) {
		return time.Time{}, Invalid("expires_at", "Expiration date %s is in the past.", d.Format(time.DateOnly))
	}
	set, err := s.Settings(ctx)
	if err != nil {
		return time.Time{}, err
	}
	if last := today.AddDate(0, 0, set.MaxTokenLifetimeDays); d.After(last) {
		return time.Time{}, Invalid("expires_at", "Expiration date must be on or before %s: tokens live at most %d days.", last.Format(time.DateOnly), set.MaxTokenLifetimeDays)
	}
	return d.Add(24 * time.Hour), nil
}

// TokenHoldings is what the user holds now, for the escalation check: their
// level on every channel named in g (all channels for scope tokens).
func (s *Store) TokenHoldings(ctx context.Context, u *User, g access.TokenGrant) (access.Holdings, error) {
	subj := u.Subject()
	h := access.Holdings{Admin: subj.IsAdmin(), Channels: map[string]access.Level{}, Groups: map[string]access.Level{}}
	q := s.db.WithContext(ctx).Order("name")
	if g.Kind() == access.KindResources {
		var names []string
		for _, r := range g.Resources {
			if r.Channel != "" {
				names = append(names, r.Channel)
			}
		}
		q = q.Where("name IN ?", storableOnly(names))
	}
	var chans []Channel
	if err := q.Find(&chans).Error; err != nil {
		return h, err
	}
	acls, err := s.ChannelACLs(ctx, chans)
	if err != nil {
		return h, err
	}
	for _, ch := range chans {
		h.Channels[ch.Name] = access.ChannelLevel(subj, acls[ch.ID])
	}
	// A subchannel group is held at the channel's level; a channel group
	// at the owner's level on the group (access.GroupLevel).
	for _, r := range g.Resources {
		switch {
		case r.Group != "" && r.Channel != "":
			h.Groups[r.Path()] = h.Channels[r.Channel]
		case r.Group != "":
			gi, err := s.ChannelGroupByName(ctx, r.Group)
			if errors.Is(err, ErrNotFound) {
				continue
			} else if err != nil {
				return h, err
			}
			h.Groups[r.Path()] = access.GroupLevel(subj, gi.Access)
		}
	}
	return h, nil
}

// checkGrant validates a grant for its owner: shape, existing channels and
// subchannels (named when unknown), and no escalation.
func (s *Store) checkGrant(ctx context.Context, u *User, g access.TokenGrant) error {
	if err := g.Validate(); err != nil {
		var ge *access.GrantError
		errors.As(err, &ge)
		return Invalid(ge.Field, "%s", ge.Message)
	}
	h, err := s.TokenHoldings(ctx, u, g)
	if err != nil {
		return err
	}
	var unknown, unknownGroups []string
	for _, r := range g.Resources {
		if r.Group != "" {
			ok, err := s.groupExists(ctx, r, h)
			if err != nil {
				return err
			}
			if !ok {
				unknownGroups = append(unknownGroups, r.Path())
			}
			continue
		}
		ch, err := s.ChannelByName(ctx, r.Channel)
		if errors.Is(err, ErrNotFound) || err == nil && !h.Admin && h.Channels[r.Channel] == access.None {
			unknown = append(unknown, r.Path()) // a channel the owner cannot read does not exist for them
			continue
		} else if err != nil {
			return err
		}
		if r.Sub != "" {
			var n int64
			if err := s.db.WithContext(ctx).Model(&Subchannel{}).Where("channel_id = ? AND name = ?", ch.ID, r.Sub).Count(&n).Error; err != nil {
				return err
			}
			if n == 0 {
				unknown = append(unknown, r.Path())
			}
		}
	}
	if len(unknown) > 0 {
		return Invalid("resources", "Unknown channel: %s.", strings.Join(unknown, ", "))
	}
	if len(unknownGroups) > 0 {
		return Invalid("resources", "Unknown group: %s.", strings.Join(unknownGroups, ", "))
	}
	if missing := access.Missing(g, h); len(missing) > 0 {
		return Invalid(fieldOf(g), "You cannot grant more than you hold. Missing: %s.", strings.Join(missing, "; "))
	}
	return nil
}

func fieldOf(g access.TokenGrant) string {
	if g.Kind() == access.KindResources {
		return "resources"
	}
	return "scopes"
}

// CreateToken stores a new token for u and returns it with its string,
// which is never stored and cannot be read again.
func (s *Store) CreateToken(ctx context.Context, u *User, in NewToken) (*Token, string, error) {
	name, err := validTokenName(in.Name)
	if err != nil {
		return nil, "", err
	}
	desc, err := validTokenDesc(in.Description)
	if err != nil {
		return nil, "", err
	}
	exp, err := s.TokenExpiry(ctx, in.ExpiresOn)
	if err != nil {
		return nil, "", err
	}
	if err := s.checkGrant(ctx, u, in.Grant); err != nil {
		return nil, "", err
	}
	secret := NewTokenSecret()
	res, scopes := encodeGrant(in.Grant)
	t := &Token{UserID: u.ID, Name: name, Description: desc, Kind: string(in.Grant.Kind()), Resources: res, Scopes: scopes,
		Hash: HashToken(secret), Hint: secret[len(secret)-4:], ExpiresAt: exp}
	if err := s.db.WithContext(ctx).Create(t).Error; err != nil {
		if isDuplicate(err) {
			return nil, "", Conflict("You already have a token named %q.", name)
		}
		return nil, "", err
	}
	t.User = u
	return t, secret, nil
}

// Tokens lists tokens by owner and name: the owner's own, or everyone's
// when ownerID is 0 (admins).
func (s *Store) Tokens(ctx context.Context, ownerID uint) ([]Token, error) {
	q := s.db.WithContext(ctx).Select("tokens.*").Preload("User").Joins("JOIN users ON users.id = tokens.user_id").Order("users.email, tokens.name")
	if ownerID != 0 {
		q = q.Where("tokens.user_id = ?", ownerID)
	}
	var ts []Token
	err := q.Find(&ts).Error
	return ts, err
}

// Token returns one token; ownerID 0 finds anyone's (admins), otherwise
// someone else's token is ErrNotFound.
func (s *Store) Token(ctx context.Context, ownerID, id uint) (*Token, error) {
	q := s.db.WithContext(ctx).Preload("User")
	if ownerID != 0 {
		q = q.Where("user_id = ?", ownerID)
	}
	var t Token
	if err := q.First(&t, id).Error; err != nil {
		return nil, notFound(err)
	}
	return &t, nil
}

// EditToken changes a token and, on re-issue, replaces its hash so the old
// string stops working at once. It returns the token before and after the
// change, and the new string when re-issued.
func (s *Store) EditToken(ctx context.Context, ownerID, id uint, e TokenEdit) (before, after *Token, secret string, err error) {
	before, err = s.Token(ctx, ownerID, id)
	if err != nil {
		return nil, nil, "", err
	}
	up := map[string]any{}
	if e.Name != nil {
		if up["name"], err = validTokenName(*e.Name); err != nil {
			return nil, nil, "", err
		}
	}
	if e.Description != nil {
		if up["description"], err = validTokenDesc(*e.Description); err != nil {
			return nil, nil, "", err
		}
	}
	if e.ExpiresOn != nil && *e.ExpiresOn != before.ExpiryDate() {
		if up["expires_at"], err = s.TokenExpiry(ctx, *e.ExpiresOn); err != nil {
			return nil, nil, "", err
		}
	}
	if e.Reissue {
		secret = NewTokenSecret()
		up["hash"], up["hint"] = HashToken(secret), secret[len(secret)-4:]
	}
	if len(up) > 0 {
		up["updated_at"] = s.Now()
		err = s.db.WithContext(ctx).Model(&Token{}).Where("id = ?", before.ID).Updates(up).Error
		if isDuplicate(err) {
			return nil, nil, "", Conflict("You already have a token named %q.", up["name"])
		}
		if err != nil {
			return nil, nil, "", err
		}
	}
	after, err = s.Token(ctx, 0, before.ID)
	return before, after, secret, err
}

// DeleteToken removes a token; ownerID 0 may delete anyone's (admins).
func (s *Store) DeleteToken(ctx context.Context, ownerID, id uint) (*Token, error) {
	t, err := s.Token(ctx, ownerID, id)
	if err != nil {
		return nil, err
	}
	if err := s.db.WithContext(ctx).Delete(&Token{}, t.ID).Error; err != nil {
		return nil, err
	}
	return t, nil
}

// CreateTokenAs is CreateToken for callers that hold only an email (the CLI).
func (s *Store) CreateTokenAs(ctx context.Context, email string, in NewToken) (*Token, string, error) {
	u, err := s.UserByEmail(ctx, email)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, "", Invalid("email", "No user with email %s.", email)
		}
		return nil, "", err
	}
	if u.Disabled {
		return nil, "", Invalid("email", "User %s is disabled.", email)
	}
	return s.CreateToken(ctx, u, in)
}

// groupExists reports whether the group a resource names exists for the
// owner: a channel group they may read, or a subchannel group of a
// channel they may read.
func (s *Store) groupExists(ctx context.Context, r access.Resource, h access.Holdings) (bool, error) {
	if !h.Admin && h.Groups[r.Path()] == access.None {
		return false, nil // one the owner cannot read does not exist for them
	}
	if r.Channel == "" {
		_, err := s.ChannelGroupByName(ctx, r.Group)
		if errors.Is(err, ErrNotFound) {
			return false, nil
		}
		return err == nil, err
	}
	ch, err := s.ChannelByName(ctx, r.Channel)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	_, err = s.SubchannelGroupByName(ctx, ch, r.Group)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}
