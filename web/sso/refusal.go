package sso

// Reason names why a sign-in was refused; the audit log records it as
// signin.sso.<reason>.
type Reason string

// The reasons a sign-in through the provider can fail.
const (
	ProviderDown    Reason = "provider_down"    // unreachable, or answered with a server error
	ProviderRefused Reason = "provider_refused" // said no: the person cancelled, or the client settings are wrong
	StateMissing    Reason = "state_missing"    // no sign-in in progress in this browser (expired or used)
	StateMismatch   Reason = "state_mismatch"   // the answer belongs to another browser's sign-in
	CodeRefused     Reason = "code_refused"     // the code expired or was already used
	TokenInvalid    Reason = "token_invalid"    // the ID token failed a check
	EmailMissing    Reason = "email_missing"
	EmailUnverified Reason = "email_unverified"
	DomainRefused   Reason = "domain_refused"
	GroupsInvalid   Reason = "groups_invalid"
	AccountDisabled Reason = "disabled"         // the Gatehouse account is disabled
	AccountConflict Reason = "account_conflict" // the email belongs to another account
)

// Refusal is a sign-in the provider's answer does not allow. Its text names
// the reason and the check, never what the provider said.
type Refusal struct {
	Reason Reason
	Check  string // which check failed, e.g. "nonce" or "groups_too_many"
	Email  string // when known, for the audit log
	cause  error
}

func refuse(r Reason, check string, cause error) *Refusal {
	return &Refusal{Reason: r, Check: check, cause: cause}
}

// Refuse builds a Refusal for checks made outside this package.
func Refuse(r Reason, check string) *Refusal { return refuse(r, check, nil) }

func (r *Refusal) withEmail(email string) *Refusal {
	r.Email = email
	return r
}

func (r *Refusal) Error() string {
	return "sso: sign-in refused: " + string(r.Reason) + " (" + r.Check + ")"
}

// Unwrap gives errors.Is and errors.As the cause; never show or log its text.
func (r *Refusal) Unwrap() error { return r.cause }
