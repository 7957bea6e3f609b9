package httpapi

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/tipd/tipd/internal/intel"
)

// Paths of the OpenTIP-style search endpoints.
const (
	searchIPPath  = "/api/v1/search/ip"
	searchURLPath = "/api/v1/search/url"
)

// handleSearchIP answers GET /api/v1/search/ip?request=<address>: the same
// report, checks, quota and errors as /api/ip/<address> without parameters.
func (s *server) handleSearchIP(w http.ResponseWriter, r *http.Request, info *requestInfo) error {
	return s.search(w, r, info, false)
}

// handleSearchURL answers GET /api/v1/search/url?request=<web address>: the
// report of /api/ip/<web address>. A web address without a scheme is taken
// as http://.
func (s *server) handleSearchURL(w http.ResponseWriter, r *http.Request, info *requestInfo) error {
	return s.search(w, r, info, true)
}

func (s *server) search(w http.ResponseWriter, r *http.Request, info *requestInfo, web bool) error {
	_, query := rawTarget(r)
	q, qerr := url.ParseQuery(query)
	if qerr != nil {
		info.setRaw(query)
	} else {
		info.setRaw(q.Get("request"))
	}
	return s.lookup(w, r, info, func() (lookupRequest, error) {
		if qerr != nil {
			return lookupRequest{}, intel.Invalid("the query string %q is malformed: give parameters as name=value pairs joined by &", clip(query))
		}
		return parseSearch(q, web, s.cfg)
	})
}

// parseSearch reads the `request` parameter of a search endpoint into the
// request /api/ip/<request> would make with no parameters: every section,
// the default count, JSON.
func parseSearch(q url.Values, web bool, cfg Config) (lookupRequest, error) {
	v, err := single(q, "request")
	if err != nil {
		return lookupRequest{}, err
	}
	v = strings.TrimSpace(v)
	if v == "" {
		if web {
			return lookupRequest{}, intel.Invalid("the request names no web address: use %s?request=<web address>", searchURLPath)
		}
		return lookupRequest{}, intel.Invalid("the request names no address: use %s?request=<IPv4 or IPv6 address>", searchIPPath)
	}
	if web {
		// As the web address parser reads it: "http://" added when there is
		// no scheme, "http:\\host" written "http://host".
		w, err := intel.WithScheme(v)
		if err != nil {
			return lookupRequest{}, intel.Invalid("the web address %q is not valid: only http and https are supported", clip(v))
		}
		v = w
	}
	req, err := parseLookup(lookupPrefix+url.PathEscape(v), "", cfg)
	if err != nil {
		return lookupRequest{}, err
	}
	if !web && req.url != "" {
		return lookupRequest{}, intel.Invalid("%q is not an IPv4 or IPv6 address; look web addresses up at %s", clip(v), searchURLPath)
	}
	return req, nil
}
