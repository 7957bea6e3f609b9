package httpapi

import (
	"net/http"
	"strings"

	"github.com/tipd/tipd/internal/taxii"
)

// getHead is the Allow list of read-only routes.
const getHead = "GET, HEAD"

// getHeadPost also allows parameters in a form-encoded POST body.
const getHeadPost = "GET, HEAD, POST"

// route is one entry of the route table.
type route struct {
	path   string // raw path, matched exactly, or as a prefix when it ends in "/"
	prefix bool
	h      http.Handler
}

// routes builds the route table, which lists every route of the API:
//
//	GET|HEAD /api/ip/<request>?sections=&count=&format=   lookup (handleLookup)
//	GET|HEAD /api/ip                                      400: no request
//	GET|HEAD /api/url/<web address>?sections=&count=&format=   web-address lookup (handleURLLookup)
//	GET|HEAD /api/url                                     400: no request
//	GET|HEAD /api/domain/<domain>?sections=&count=&format=     domain lookup (handleDomainLookup)
//	GET|HEAD /api/domain                                  400: no request
//	GET|HEAD /api/hash/<md5|sha1|sha256>?sections=&count=&format=   file lookup (handleHashLookup)
//	GET|HEAD /api/hash                                    400: no request
//	GET|HEAD /api/v1/search/ip?request=<address>          OpenTIP-style lookup (handleSearchIP)
//	GET|HEAD /api/v1/search/url?request=<web address>     OpenTIP-style lookup (handleSearchURL)
//	GET|HEAD /api/v1/search/domain?request=<domain>       OpenTIP-style lookup (handleSearchDomain)
//	GET|HEAD /api/v1/search/hash?request=<hash>           OpenTIP-style lookup (handleSearchHash)
//	GET|HEAD /api/explain?request=<address|domain|web address|hash>   the evidence behind a verdict (handleExplain)
//	POST     /api/bulk?format=json|ndjson                 verdicts of up to 10,000 pasted indicators (handleBulk)
//	GET|HEAD /api/list?section=&count=&after=&request=<address|domain|web address|hash>   a page of a list section (handleList)
//	GET|HEAD /api/network?request=<CIDR|AS64500>&count=&after=   the addresses of a network or an AS, newest first, paged (handleNetwork)
//	GET|HEAD /api/feed?name=<feed name>                   what this server knows of a feed (handleFeed)
//	GET|HEAD|POST /api/publications/get_one?publication_id=   one report (handlePublicationOne)
//	GET|HEAD|POST /api/publications/get_list?date_start=&date_end=&limit=&after_id=   reports by date (handlePublicationList)
//	GET|HEAD|POST /api/publications/get_master_ioc?report_group=   every indicator of every report (handleMasterIOC)
//	GET|HEAD|POST /api/publications/get_master_yara?report_group=   the YARA rules of every report (handleMasterYARA)
//	any      /api/publications, /api/publications/…     404 in the publications envelope
//	GET|HEAD /taxii2/…                                    TAXII 2.1 server (handleTAXII, internal/taxii)
//	GET|HEAD /healthz                                     liveness: 200 "ok"
//	GET|HEAD /readyz                                      readiness: 200 or 503
//	GET|HEAD /metrics                                     Prometheus metrics
//	GET|HEAD /                                            the portal page (internal/web), when Deps.UI is set
//	GET|HEAD /static/…                                    the portal's embedded assets
//	any      anything else                                404 JSON
//
// Any route with a request target over Config.MaxTarget bytes: 414; any
// request with both Content-Length and Transfer-Encoding (seen by an edge
// listener, edge.go): 400, and the connection is closed. Every error
// under /api/publications (any status) has the publications envelope as
// its body.
// Each route's label in the metrics (tipd_http_requests_total{route}) is
// the name given to s.handle below: ip_lookup, url_lookup, domain_lookup,
// hash_lookup, search_ip, search_url, search_domain, search_hash, explain,
// bulk, list, network, feed, ….
// Routes are matched on the raw request path, never cleaned or decoded,
// so that web addresses in the lookup path (with their "//") are neither
// rewritten nor redirected, and no route ever answers with a redirect.
func (s *server) routes() {
	lookup := s.handle("ip_lookup", getHead, s.handleLookup)
	urlLookup := s.handle("url_lookup", getHead, s.handleURLLookup)
	domainLookup := s.handle("domain_lookup", getHead, s.handleDomainLookup)
	hashLookup := s.handle("hash_lookup", getHead, s.handleHashLookup)
	s.table = []route{
		{path: lookupPrefix, prefix: true, h: lookup},
		{path: strings.TrimSuffix(lookupPrefix, "/"), h: lookup},
		{path: urlPrefix, prefix: true, h: urlLookup},
		{path: strings.TrimSuffix(urlPrefix, "/"), h: urlLookup},
		{path: domainPrefix, prefix: true, h: domainLookup},
		{path: strings.TrimSuffix(domainPrefix, "/"), h: domainLookup},
		{path: hashPrefix, prefix: true, h: hashLookup},
		{path: strings.TrimSuffix(hashPrefix, "/"), h: hashLookup},
		{path: searchIPPath, h: s.handle("search_ip", getHead, s.handleSearchIP)},
		{path: searchURLPath, h: s.handle("search_url", getHead, s.handleSearchURL)},
		{path: searchDomainPath, h: s.handle("search_domain", getHead, s.handleSearchDomain)},
		{path: searchHashPath, h: s.handle("search_hash", getHead, s.handleSearchHash)},
		{path: explainPath, h: s.handle("explain", getHead, s.handleExplain)},
		{path: bulkPath, h: s.handle("bulk", http.MethodPost, s.handleBulk)},
		{path: listPath, h: s.handle("list", getHead, s.handleList)},
		{path: networkPath, h: s.handle("network", getHead, s.handleNetwork)},
		{path: feedPath, h: s.handle("feed", getHead, s.handleFeed)},
		{path: publicationOnePath, h: s.handleStyled("publication_one", getHeadPost, errEnvelope, s.handlePublicationOne)},
		{path: publicationListPath, h: s.handleStyled("publication_list", getHeadPost, errEnvelope, s.handlePublicationList)},
		{path: masterIOCPath, h: s.handleStyled("master_ioc", getHeadPost, errEnvelope, s.handleMasterIOC)},
		{path: masterYARAPath, h: s.handleStyled("master_yara", getHeadPost, errEnvelope, s.handleMasterYARA)},
		{path: publicationsPrefix, prefix: true, h: s.handleStyled("not_found", "", errEnvelope, s.handlePublicationNotFound)},
		{path: strings.TrimSuffix(publicationsPrefix, "/"), h: s.handleStyled("not_found", "", errEnvelope, s.handlePublicationNotFound)},
		{path: taxii.Prefix, prefix: true, h: s.handleStyled("taxii", getHead, errTAXII, s.handleTAXII)},
		{path: "/healthz", h: s.handle("healthz", getHead, s.handleHealthz)},
		{path: "/readyz", h: s.handle("readyz", getHead, s.handleReadyz)},
		{path: "/metrics", h: s.handle("metrics", getHead, s.handleMetrics)},
	}
	if s.ui != nil {
		portal := s.handle("portal", getHead, s.handlePortal)
		s.table = append(s.table,
			route{path: "/", h: portal},
			route{path: "/static/", prefix: true, h: portal},
		)
	}
	s.notFound = s.handle("not_found", "", s.handleNotFound)
	s.tooLong = s.handle("too_long", "", s.handleTooLong)
	s.conflict = s.handle("bad_framing", "", s.handleConflict)
	s.pubTooLong = s.handleStyled("too_long", "", errEnvelope, s.handleTooLong)
	s.pubConflict = s.handleStyled("bad_framing", "", errEnvelope, s.handleConflict)
}

// match finds the handler of a raw path.
func (s *server) match(path string) http.Handler {
	for _, rt := range s.table {
		if path == rt.path || (rt.prefix && strings.HasPrefix(path, rt.path)) {
			return rt.h
		}
	}
	return s.notFound
}
