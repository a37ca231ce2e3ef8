package official

import "errors"

// Errors of a signing attempt. Every refusal wraps one of them; none says
// which of password or code was wrong beyond what Vault's answer says, and
// none contains a secret.
var (
	// ErrBadLogin means Vault refused the username and password.
	ErrBadLogin = errors.New("official: the username or password was refused")
	// ErrBadCode means Vault refused the TOTP code (wrong, expired or
	// already used).
	ErrBadCode = errors.New("official: the TOTP code was refused")
	// ErrLockedOut means too many failed logins for this user or from
	// this client address; the attempt was not sent to Vault.
	ErrLockedOut = errors.New("official: too many failed logins; locked out for a while")
	// ErrDisabled means the official is disabled.
	ErrDisabled = errors.New("official: this official is disabled")
	// ErrUnknown means there is no official of that username.
	ErrUnknown = errors.New("official: no such official")
	// ErrNoMFA means Vault logged the user in without asking for a TOTP
	// code: the login enforcement is missing, and segel refuses to sign.
	ErrNoMFA = errors.New("official: Vault did not require a TOTP code for this login (login MFA enforcement missing)")
	// ErrIdentityMismatch means the token Vault issued belongs to another
	// entity than the official's profile names.
	ErrIdentityMismatch = errors.New("official: the Vault login belongs to another identity than the official's profile")
	// ErrNoCredentialBinder means the official's key cannot sign with a
	// caller's own credentials.
	ErrNoCredentialBinder = errors.New("official: the key cannot sign with the official's own credentials")
)
