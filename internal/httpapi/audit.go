package httpapi

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/tipd/tipd/internal/intel"
)

// Authentication methods as the request log names them.
const (
	authNone     = "none"
	authBearer   = "bearer"
	authAPIKey   = "x-api-key"
	authBasicTLS = "basic+cert"
)

// apiKeyHeader carries an API token in OpenTIP-style requests.
const apiKeyHeader = "X-Api-Key"

// maxLoggedObject bounds the raw request value written to the log.
const maxLoggedObject = 200

// authMethod names the kind of credentials r presents. Authorization wins
// over x-api-key, which counts only without an Authorization header.
func authMethod(r *http.Request) string {
	h := strings.TrimSpace(r.Header.Get("Authorization"))
	if h == "" {
		if r.Header.Get(apiKeyHeader) != "" {
			return authAPIKey
		}
		return authNone
	}
	scheme, _, _ := strings.Cut(h, " ")
	switch {
	case strings.EqualFold(scheme, "Bearer"):
		return authBearer
	case strings.EqualFold(scheme, "Basic"):
		return authBasicTLS
	default:
		return authNone
	}
}

// credentials authenticates an API request (Authorization, or x-api-key
// holding a token when there is no Authorization header), records the user
// and the method for the request log, and applies the user's burst limit.
// A client address with too many failed authentications is refused first,
// without a look at its credentials (authlimit.go).
// It runs before anything is counted against the daily quota.
func (s *server) credentials(r *http.Request, info *requestInfo) (intel.User, intel.Token, error) {
	info.auth = authMethod(r)
	if err := s.checkAuthLock(r, info); err != nil {
		return intel.User{}, intel.Token{}, err
	}
	var (
		user  intel.User
		token intel.Token
		err   error
	)
	if info.auth == authAPIKey {
		user, token, err = s.access.Authenticate(r.Context(), strings.TrimSpace(r.Header.Get(apiKeyHeader)))
	} else {
		user, token, err = s.authenticate(r)
	}
	if err != nil {
		s.authFailed(r, info, err)
		return intel.User{}, intel.Token{}, err
	}
	info.user = user.Name
	if err := s.checkRate(user.Name); err != nil {
		return intel.User{}, intel.Token{}, err
	}
	return user, token, nil
}

// setRaw records the raw request value (as sent, clipped) for the log.
func (info *requestInfo) setRaw(v string) {
	if len(v) > maxLoggedObject {
		n := maxLoggedObject
		for n > 0 && !utf8.RuneStart(v[n]) {
			n--
		}
		v = v[:n]
	}
	info.raw = v
}

// setObject records the object a valid request looks up: the address,
// the normalised web address, domain name or hash.
func (info *requestInfo) setObject(req lookupRequest) {
	switch req.kind {
	case kindIP:
		info.object = req.ip.String()
	case kindURL:
		if key, _, err := intel.NormalizeURL(req.url); err == nil {
			info.object = key
		}
	default:
		info.object = req.object
	}
}

// loggedObject is the object the request log shows: the looked-up object
// of an answered request (a search for an unknown object, 404, too), the
// raw request value of a refused one.
func (info *requestInfo) loggedObject(status int) string {
	if (status < 400 || status == http.StatusNotFound) && info.object != "" {
		return info.object
	}
	return info.raw
}
