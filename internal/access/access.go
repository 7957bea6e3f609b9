// Package access decides who may use the lookup API and how much: users and
// their licences, API tokens (stored only as SHA-256 hashes, one active token
// per user), and the exact per-user daily request quota. It sits on top of
// store.Access and knows nothing of HTTP; its errors are *intel.Error values
// whose kinds the edge maps to statuses.
package access

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

// DefaultTokenValidity is the longest a token is valid unless
// Service.MaxTokenValidity says otherwise: one year.
const DefaultTokenValidity = 365 * 24 * time.Hour

// TokenPrefix starts every API token, so that tokens are recognisable in
// configuration files and secret scanners.
const TokenPrefix = "tipd_"

// tokenBytes is the number of random bytes in a token.
const tokenBytes = 32

// maxTokenLen bounds what Authenticate hashes; real tokens are much shorter.
const maxTokenLen = 256

// maxNameLen bounds user names.
const maxNameLen = 64

// Error codes of this package, as sent to clients.
const (
	CodeUnauthenticated = "unauthenticated"
	CodeInvalidToken    = "invalid_token"
	CodeLicenseExpired  = "license_expired"
	CodeNoAPIAccess     = "no_api_access"
	CodeQuotaExceeded   = "quota_exceeded"
	CodeUnknownUser     = "unknown_user"
)

// Service manages users, tokens and quotas. Its fields are its
// dependencies; the zero values of Now and MaxTokenValidity mean time.Now
// and DefaultTokenValidity. It is safe for concurrent use.
type Service struct {
	Store            store.Access
	Now              func() time.Time
	MaxTokenValidity time.Duration
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) maxValidity() time.Duration {
	if s.MaxTokenValidity > 0 {
		return s.MaxTokenValidity
	}
	return DefaultTokenValidity
}

// License is what AddUser sets on a user: its licence.
type License struct {
	// Access is intel.AccessCommercial or intel.AccessTrial.
	Access string
	// DayQuota is the number of requests answered per UTC day (> 0).
	DayQuota int64
	// Expires is the end of the licence (exclusive); zero means never.
	// ParseExpires turns a "YYYY-MM-DD" flag into this form.
	Expires time.Time
	// APIAccess says whether the user may use the lookup API at all.
	APIAccess bool
}

// ParseExpires parses a licence expiry date "YYYY-MM-DD". The licence is
// valid through that whole UTC day, so the result is the start of the next
// day (License.Expires is exclusive). An empty string means never (zero).
func ParseExpires(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	d, err := time.Parse("2006-01-02", s)
	if err != nil {
		return time.Time{}, intel.Invalid("expiry date %q is not of the form YYYY-MM-DD", s)
	}
	return d.AddDate(0, 0, 1), nil
}

// ValidateName checks a user name: 1 to 64 characters out of ASCII
// letters, digits and . _ - @.
func ValidateName(name string) error {
	if name == "" {
		return intel.Invalid("the user name is empty")
	}
	if len(name) > maxNameLen {
		return intel.Invalid("the user name is longer than %d characters", maxNameLen)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '.', c == '_', c == '-', c == '@':
		default:
			return intel.Invalid("the user name %q may only hold letters, digits and . _ - @", name)
		}
	}
	return nil
}

// AddUser creates the user name with licence l, or updates the licence of
// an existing user (keeping its password, certificates, token and creation
// time). Invalid input is a KindInvalid error.
func (s *Service) AddUser(ctx context.Context, name string, l License) (intel.User, error) {
	if err := ValidateName(name); err != nil {
		return intel.User{}, err
	}
	if l.Access != intel.AccessCommercial && l.Access != intel.AccessTrial {
		return intel.User{}, intel.Invalid("access type %q is not %s or %s", l.Access, intel.AccessCommercial, intel.AccessTrial)
	}
	if l.DayQuota <= 0 {
		return intel.User{}, intel.Invalid("the daily quota must be a positive number of requests, got %d", l.DayQuota)
	}
	u, err := s.Store.User(ctx, name)
	switch {
	case errors.Is(err, intel.ErrNotFound):
		u = intel.User{Name: name, Created: s.now()}
	case err != nil:
		return intel.User{}, fmt.Errorf("read user %s: %w", name, err)
	}
	u.Access = l.Access
	u.DayQuota = l.DayQuota
	u.Expires = l.Expires.UTC()
	if l.Expires.IsZero() {
		u.Expires = time.Time{}
	}
	u.APIAccess = l.APIAccess
	if err := s.Store.PutUser(ctx, u); err != nil {
		return intel.User{}, fmt.Errorf("store user %s: %w", name, err)
	}
	return u, nil
}

// user reads a user, turning "not found" into a client-facing error.
func (s *Service) user(ctx context.Context, name string) (intel.User, error) {
	u, err := s.Store.User(ctx, name)
	if errors.Is(err, intel.ErrNotFound) {
		return intel.User{}, intel.Errorf(intel.KindNotFound, CodeUnknownUser, "there is no user %q; create it first", name)
	}
	if err != nil {
		return intel.User{}, fmt.Errorf("read user %s: %w", name, err)
	}
	return u, nil
}

// HashToken returns the stored form of a token: hex SHA-256.
func HashToken(token string) string {
	var sum [sha256.Size]byte
	if len(token) <= maxTokenLen {
		// Every request hashes its token: copied to the stack, it is
		// hashed without an allocation.
		var buf [maxTokenLen]byte
		sum = sha256.Sum256(buf[:copy(buf[:], token)])
	} else {
		sum = sha256.Sum256([]byte(token))
	}
	return hex.EncodeToString(sum[:])
}

// IssueToken issues a new API token for an existing user, valid for valid
// (capped at MaxTokenValidity; it must be positive). The previous token of
// the user stops working at once. It returns the token, which is shown only
// here, and its stored form.
func (s *Service) IssueToken(ctx context.Context, user string, valid time.Duration) (string, intel.Token, error) {
	if valid <= 0 {
		return "", intel.Token{}, intel.Invalid("token validity must be positive, got %s", valid)
	}
	if m := s.maxValidity(); valid > m {
		valid = m
	}
	if _, err := s.user(ctx, user); err != nil {
		return "", intel.Token{}, err
	}
	var b [tokenBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", intel.Token{}, fmt.Errorf("generate token: %w", err)
	}
	tok := TokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	now := s.now()
	t := intel.Token{Hash: HashToken(tok), User: user, Issued: now, Expires: now.Add(valid)}
	if err := s.Store.SetToken(ctx, t); err != nil {
		return "", intel.Token{}, fmt.Errorf("store token of %s: %w", user, err)
	}
	return tok, t, nil
}

// RevokeToken revokes the user's active token, if any.
func (s *Service) RevokeToken(ctx context.Context, user string) error {
	if err := s.Store.RevokeToken(ctx, user); err != nil {
		return fmt.Errorf("revoke token of %s: %w", user, err)
	}
	return nil
}

// Authenticate resolves a bearer token to its user. Unknown, replaced and
// expired tokens, and tokens of deleted users, are KindUnauthenticated
// errors. The token is looked up by its SHA-256 hash, so lookup time says
// nothing about how much of a guess was right.
func (s *Service) Authenticate(ctx context.Context, token string) (intel.User, intel.Token, error) {
	if token == "" {
		return intel.User{}, intel.Token{}, intel.Errorf(intel.KindUnauthenticated, CodeUnauthenticated, "no API token was given")
	}
	if len(token) > maxTokenLen {
		return intel.User{}, intel.Token{}, errInvalidToken
	}
	hash := HashToken(token)
	t, u, err := store.TokenUser(ctx, s.Store, hash)
	userGone := false
	if errors.Is(err, intel.ErrNotFound) {
		// Unknown, or its user is gone: the token alone says which (an
		// expired token of a deleted user is told it expired).
		t, err = s.Store.TokenByHash(ctx, hash)
		userGone = err == nil
	}
	switch {
	case errors.Is(err, intel.ErrNotFound):
		return intel.User{}, intel.Token{}, errInvalidToken
	case err != nil:
		return intel.User{}, intel.Token{}, fmt.Errorf("look up token: %w", err)
	case subtle.ConstantTimeCompare([]byte(t.Hash), []byte(hash)) != 1:
		return intel.User{}, intel.Token{}, errInvalidToken
	case !s.now().Before(t.Expires):
		return intel.User{}, intel.Token{}, intel.Errorf(intel.KindUnauthenticated, CodeInvalidToken,
			"the API token expired at %s; ask the operator for a new one", t.Expires.UTC().Format(time.RFC3339))
	case userGone:
		return intel.User{}, intel.Token{}, errInvalidToken
	}
	return u, t, nil
}

// errInvalidToken is the error of an unknown or replaced token, made once:
// Authenticate runs on every request.
var errInvalidToken = intel.Errorf(intel.KindUnauthenticated, CodeInvalidToken, "the API token is not valid: it is unknown or was replaced; ask the operator for a new one")

// checkLicence reports an expired licence or a user without API access.
func (s *Service) checkLicence(u intel.User, now time.Time) error {
	if !u.Expires.IsZero() && !now.Before(u.Expires) {
		return intel.Errorf(intel.KindLicenseExpired, CodeLicenseExpired,
			"the licence of user %q expired at %s; ask the operator to renew it", u.Name, u.Expires.UTC().Format(time.RFC3339))
	}
	if !u.APIAccess {
		return intel.Errorf(intel.KindForbidden, CodeNoAPIAccess,
			"user %q has no access to the lookup API; ask the operator to enable it", u.Name)
	}
	return nil
}

// quotaExceeded is the error of a user whose quota for the day of now is used up.
func quotaExceeded(u intel.User, now time.Time) error {
	y, m, d := now.UTC().Date()
	reset := time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC)
	return intel.Errorf(intel.KindQuotaExceeded, CodeQuotaExceeded,
		"the daily quota of %d requests is exhausted; it resets at 00:00 UTC (%s)", u.DayQuota, reset.Format(time.RFC3339))
}

// CheckLicence refuses a user whose licence expired (KindLicenseExpired)
// or who has no access to the lookup API (KindForbidden). It reads nothing:
// callers check it before a legal hold, which comes before the quota.
func (s *Service) CheckLicence(u intel.User) error {
	return s.checkLicence(u, s.now())
}

// Check is a cheap pre-flight check that counts nothing: an expired licence
// is KindLicenseExpired, a user without API access KindForbidden, and a
// quota already used up today KindQuotaExceeded. Callers that do expensive
// work before counting (see Authorize) call it first so that refused users
// cost little; Authorize remains the authoritative decision.
func (s *Service) Check(ctx context.Context, u intel.User) error {
	now := s.now()
	if err := s.checkLicence(u, now); err != nil {
		return err
	}
	day := store.Day(now)
	if qh, ok := s.Store.(store.QuotaHolder); ok && qh.HoldsCount(u.Name, day, u.DayQuota) {
		return nil // a count reserved for this user today is left: no read
	}
	n, err := s.Store.RequestCount(ctx, u.Name, day)
	if err != nil {
		return fmt.Errorf("read request count of %s: %w", u.Name, err)
	}
	if n >= u.DayQuota {
		return quotaExceeded(u, now)
	}
	return nil
}

// Count counts one request of u for the current UTC day and returns the
// day's count including it. When the day's quota is used up nothing is
// counted and the error is KindQuotaExceeded. Exact under concurrency as
// far as the store's CountRequest is.
func (s *Service) Count(ctx context.Context, u intel.User) (int64, error) {
	now := s.now()
	n, ok, err := s.Store.CountRequest(ctx, u.Name, store.Day(now), u.DayQuota)
	if err != nil {
		return 0, fmt.Errorf("count request of %s: %w", u.Name, err)
	}
	if !ok {
		return n, quotaExceeded(u, now)
	}
	return n, nil
}

// Authorize decides whether u, authenticated with t, may have one more
// request answered: an expired licence is KindLicenseExpired, no API access
// KindForbidden, and an exhausted daily quota KindQuotaExceeded; otherwise
// the request is counted and the LicenseInfo to answer with is returned.
// t may be the zero Token (a user authenticated otherwise); then the
// user's active token, if any, gives TokenExpires.
func (s *Service) Authorize(ctx context.Context, u intel.User, t intel.Token) (intel.LicenseInfo, error) {
	if err := s.checkLicence(u, s.now()); err != nil {
		return intel.LicenseInfo{}, err
	}
	n, err := s.Count(ctx, u)
	if err != nil {
		return intel.LicenseInfo{}, err
	}
	if t.Hash == "" {
		t, err = s.Store.UserToken(ctx, u.Name)
		if errors.Is(err, intel.ErrNotFound) {
			t = intel.Token{}
		} else if err != nil {
			return intel.LicenseInfo{}, fmt.Errorf("read token of %s: %w", u.Name, err)
		}
	}
	return intel.LicenseInfo{
		AccessType:   u.Access,
		DayRequests:  n,
		DayQuota:     u.DayQuota,
		TokenExpires: t.Expires,
	}, nil
}
