package httpapi

import (
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/report"
)

// Paths of the OpenTIP-style search endpoints.
const (
	searchIPPath     = "/api/v1/search/ip"
	searchURLPath    = "/api/v1/search/url"
	searchDomainPath = "/api/v1/search/domain"
	searchHashPath   = "/api/v1/search/hash"
)

// Sections the search answers are built from (docs/api.md, "OpenTIP-style
// endpoints"): the real service's subsets.
const (
	searchIPSections     = report.SecZone | report.SecIPGeneralInfo | report.SecIPWhoIs
	searchURLSections    = report.SecZone | report.SecURLGeneralInfo | report.SecURLDomainWhoIs
	searchDomainSections = report.SecZone | report.SecDomainGeneralInfo | report.SecDomainWhoIsInfo
	searchHashSections   = report.SecZone | report.SecFileGeneralInfo | report.SecDetectionsInfo
)

// handleSearchIP answers GET /api/v1/search/ip?request=<address>.
func (s *server) handleSearchIP(w http.ResponseWriter, r *http.Request, info *requestInfo) error {
	return s.search(w, r, info, kindIP)
}

// handleSearchURL answers GET /api/v1/search/url?request=<web address>.
func (s *server) handleSearchURL(w http.ResponseWriter, r *http.Request, info *requestInfo) error {
	return s.search(w, r, info, kindURL)
}

// handleSearchDomain answers GET /api/v1/search/domain?request=<domain>.
func (s *server) handleSearchDomain(w http.ResponseWriter, r *http.Request, info *requestInfo) error {
	return s.search(w, r, info, kindDomain)
}

// handleSearchHash answers GET /api/v1/search/hash?request=<hash>.
func (s *server) handleSearchHash(w http.ResponseWriter, r *http.Request, info *requestInfo) error {
	return s.search(w, r, info, kindHash)
}

// search answers a search endpoint through the lookup pipeline: the same
// checks, quota and errors as the path forms.
func (s *server) search(w http.ResponseWriter, r *http.Request, info *requestInfo, kind lookupKind) error {
	_, query := rawTarget(r)
	if kind == kindURL {
		v, _ := searchURLValue(query)
		info.setRaw(v)
	} else if q, err := url.ParseQuery(query); err == nil {
		info.setRaw(q.Get("request"))
	} else {
		info.setRaw(query)
	}
	return s.lookup(w, r, info, func() (lookupRequest, error) {
		return parseSearch(kind, query, s.cfg)
	})
}

// parseSearch reads the raw query string of a search endpoint of kind into
// the lookup to make: the search's subset of sections, the default count,
// JSON. Only `request` is read. For a web address it is everything after
// the first request= to the end of the query string, percent-decoded once
// ("+" kept), so that a pasted address with a query of its own and an
// encoded one reach the same address; for the others it is an ordinary
// parameter, given once.
func parseSearch(kind lookupKind, query string, cfg Config) (lookupRequest, error) {
	req := lookupRequest{kind: kind, search: true, count: cfg.DefaultCount, format: formatJSON}
	var v string
	if kind == kindURL {
		raw, ok := searchURLValue(query)
		if !ok || raw == "" {
			return req, intel.Invalid("the request names no web address: use %s?request=<web address> (last in the query string)", searchURLPath)
		}
		dec, err := url.PathUnescape(raw)
		if err != nil {
			return req, intel.Invalid("the request %q is not correctly percent-encoded", clip(raw))
		}
		if req.url, err = webAddress(dec); err != nil {
			return req, err
		}
		req.sections = searchURLSections
		return req, nil
	}

	q, err := url.ParseQuery(query)
	if err != nil {
		return req, intel.Invalid("the query string %q is malformed: give parameters as name=value pairs joined by &", clip(query))
	}
	if v, err = single(q, "request"); err != nil {
		return req, err
	}
	if kind == kindIP {
		v = strings.TrimSpace(v)
	}
	if v == "" {
		return req, intel.Invalid("the request names no %s: use %s?request=<%s>", objectNoun(kind), searchPath(kind), objectForm(kind))
	}
	switch kind {
	case kindIP:
		ip, err := netip.ParseAddr(v)
		switch {
		case err != nil && hasHTTPScheme(v):
			return req, intel.Invalid("%q is not an IPv4 or IPv6 address; look web addresses up at %s", clip(v), searchURLPath)
		case err != nil:
			return req, intel.Invalid("%q is not an IPv4 or IPv6 address", clip(v))
		case ip.Zone() != "":
			return req, intel.Invalid("%q carries an IPv6 zone; send the address without %%%s", clip(v), clip(ip.Zone()))
		}
		req.ip = ip.Unmap()
		req.sections = searchIPSections
	case kindDomain:
		req.object, err = intel.NormalizeDomain(v)
		req.sections = searchDomainSections
	case kindHash:
		req.object, err = intel.NormalizeHash(v)
		req.sections = searchHashSections
	}
	return req, err
}

// searchPath is the path of the search endpoint of kind.
func searchPath(kind lookupKind) string {
	switch kind {
	case kindURL:
		return searchURLPath
	case kindDomain:
		return searchDomainPath
	case kindHash:
		return searchHashPath
	}
	return searchIPPath
}

// searchURLValue returns what follows the first "request=" that starts the
// query string or follows an "&", up to the end of the query string, as
// sent; false when there is none.
func searchURLValue(query string) (string, bool) {
	const name = "request="
	for i := 0; i+len(name) <= len(query); i++ {
		if (i == 0 || query[i-1] == '&') && query[i:i+len(name)] == name {
			return query[i+len(name):], true
		}
	}
	return "", false
}
