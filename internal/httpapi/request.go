package httpapi

import (
	"net/netip"
	"net/url"
	"strings"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/report"
)

// Request forms of the lookups (docs/api.md, "Requests"). Every function
// here is pure: it reads the raw path and query string of a request and
// returns the lookup to make, or a KindInvalid error whose message quotes
// the bad value.

// lookupKind is what a lookup looks up.
type lookupKind uint8

const (
	kindIP     lookupKind = iota // an IPv4 or IPv6 address
	kindURL                      // a web address
	kindDomain                   // a domain name
	kindHash                     // a file, by its MD5, SHA-1 or SHA-256
)

// Path prefixes of the lookups.
const (
	lookupPrefix = "/api/ip/"
	urlPrefix    = "/api/url/"
	domainPrefix = "/api/domain/"
	hashPrefix   = "/api/hash/"
)

// lookupRequest is a parsed and validated lookup request.
type lookupRequest struct {
	kind   lookupKind
	ip     netip.Addr // kindIP
	url    string     // kindURL: the web address with its scheme, as intel.WithScheme writes it
	object string     // kindDomain: the normalised name; kindHash: the hash, upper case
	// search marks an OpenTIP-style search: a subset answer without
	// LicenseInfo, and 404 no_data for an object nothing is known about.
	search bool
	// explain marks GET /api/explain: the explanation of target, as
	// JSON, instead of a report.
	explain bool
	target  report.ExplainTarget
	// page marks GET /api/list: one page of one list section (listpage.go).
	page     *pageRequest
	sections report.Sections
	count    int
	format   string
}

// apiParams are the values of the API's parameters in a query string, in
// order of appearance.
type apiParams struct {
	sections, count, format []string
}

// strictParams reads a query string by the rules of the address lookup: it
// must be well-formed name=value pairs joined by "&"; count and format
// may be given once (checked by applyParams).
func strictParams(query string) (apiParams, error) {
	q, err := url.ParseQuery(query)
	if err != nil {
		return apiParams{}, intel.Invalid("the query string %q is malformed: give parameters as name=value pairs joined by &", clip(query))
	}
	return apiParams{sections: q["sections"], count: q["count"], format: q["format"]}, nil
}

// splitRawQuery splits the query string of a web address sent raw
// (docs/api.md, "Web addresses sent raw"): the query is cut at every
// unencoded "&" and "?", empty pieces dropped; of the pieces named
// sections, count or format (the name percent-decoded) the last of each
// name is the API's; all other pieces are the address's own query, byte
// for byte, the first without its separator and the others with theirs.
// A value of the API's that is not correctly percent-encoded is an error.
func splitRawQuery(query string) (own string, p apiParams, err error) {
	type piece struct {
		start, end int // the piece, separator excluded
		name       string
	}
	var pieces []piece
	last := map[string]int{}
	for start := 0; start <= len(query); {
		end := strings.IndexAny(query[start:], "&?")
		if end < 0 {
			end = len(query)
		} else {
			end += start
		}
		if end > start {
			text := query[start:end]
			name, _, _ := strings.Cut(text, "=")
			if n, err := url.QueryUnescape(name); err == nil {
				name = n
			}
			switch name {
			case "sections", "count", "format":
				last[name] = len(pieces)
			}
			pieces = append(pieces, piece{start: start, end: end, name: name})
		}
		start = end + 1
	}
	var b strings.Builder
	for i, pc := range pieces {
		if j, ok := last[pc.name]; ok && j == i {
			_, raw, _ := strings.Cut(query[pc.start:pc.end], "=")
			v, err := url.QueryUnescape(raw)
			if err != nil {
				return "", apiParams{}, intel.Invalid("the parameter %s=%s is not correctly percent-encoded", pc.name, clip(raw))
			}
			switch pc.name {
			case "sections":
				p.sections = []string{v}
			case "count":
				p.count = []string{v}
			case "format":
				p.format = []string{v}
			}
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(query[pc.start-1]) // the separator
		}
		b.WriteString(query[pc.start:pc.end])
	}
	return b.String(), p, nil
}

// applyParams checks the API's parameters and sets them in req, whose
// kind is known. Checks run in this order: format, sections, count; with
// format=stix, sections and count are ignored (every section,
// report.DefaultCount items per list).
func applyParams(req *lookupRequest, p apiParams, cfg Config) error {
	format, err := once("format", p.format)
	if err != nil {
		return err
	}
	switch format {
	case "", formatJSON:
		req.format = formatJSON
	case formatSTIX:
		// A bundle carries every section, each list capped at the
		// default: sections and count are ignored, not even validated.
		req.format = formatSTIX
		req.count = report.DefaultCount
		req.sections = stixSections(req.kind)
		return nil
	default:
		return intel.Invalid("format must be json or stix, not %q", clip(format))
	}

	var names []string
	for _, v := range p.sections {
		if v != "" {
			names = append(names, v)
		}
	}
	sections := strings.Join(names, ",")
	if req.sections, err = parseSections(req.kind, sections); err != nil {
		if intel.KindOf(err) != intel.KindInvalid {
			return intel.Invalid("sections=%q is not valid", clip(sections))
		}
		return err
	}

	count, err := once("count", p.count)
	if err != nil {
		return err
	}
	req.count, err = parseCount(count, cfg)
	return err
}

// once returns the value of a parameter that may be given at most once
// ("" when absent).
func once(name string, vs []string) (string, error) {
	switch len(vs) {
	case 0:
		return "", nil
	case 1:
		return vs[0], nil
	default:
		return "", intel.Invalid("the parameter %s is given %d times; give it once", name, len(vs))
	}
}

// parseSections parses the sections parameter of a lookup of kind.
func parseSections(kind lookupKind, s string) (report.Sections, error) {
	switch kind {
	case kindURL:
		return report.ParseURLSections(s)
	case kindDomain:
		return report.ParseDomainSections(s)
	case kindHash:
		return report.ParseFileSections(s)
	}
	return report.ParseIPSections(s)
}

// allSections are the sections of a lookup of kind.
func allSections(kind lookupKind) report.Sections {
	switch kind {
	case kindURL:
		return report.AllURLSections
	case kindDomain:
		return report.AllDomainSections
	case kindHash:
		return report.AllFileSections
	}
	return report.AllIPSections
}

// stixSections are the sections of the STIX bundle of a lookup of kind.
func stixSections(kind lookupKind) report.Sections {
	switch kind {
	case kindURL:
		return report.AllURLSTIXSections
	case kindDomain:
		return report.AllDomainSTIXSections
	}
	return allSections(kind)
}

// parseLookup parses the raw path (starting with /api/ip) and the raw query
// string of an address lookup, which may name a web address too. Every
// error is KindInvalid with a message that names the bad value. Checks run
// in this order: request, query string syntax, format, sections, count.
func parseLookup(path, query string, cfg Config) (lookupRequest, error) {
	seg, ok := strings.CutPrefix(path, lookupPrefix)
	if !ok || seg == "" {
		return lookupRequest{}, intel.Invalid("the request names no address: use %s<IPv4 or IPv6 address, or http(s) web address>", lookupPrefix)
	}
	dec, err := url.PathUnescape(seg)
	if err != nil {
		return lookupRequest{}, intel.Invalid("the request %q is not correctly percent-encoded", clip(seg))
	}
	if hasHTTPScheme(dec) {
		return parseWeb(seg, dec, query, cfg)
	}
	req := lookupRequest{kind: kindIP}
	ip, err := netip.ParseAddr(dec)
	switch {
	case err != nil:
		return req, intel.Invalid("%q is not an IPv4 or IPv6 address, nor a web address starting with http:// or https://", clip(dec))
	case ip.Zone() != "":
		return req, intel.Invalid("%q carries an IPv6 zone; send the address without %%%s", clip(dec), clip(ip.Zone()))
	}
	req.ip = ip.Unmap()
	p, err := strictParams(query)
	if err != nil {
		return req, err
	}
	return req, applyParams(&req, p, cfg)
}

// parseURLLookup parses a web-address lookup, /api/url/<web address>.
func parseURLLookup(path, query string, cfg Config) (lookupRequest, error) {
	seg, ok := strings.CutPrefix(path, urlPrefix)
	if !ok || seg == "" {
		return lookupRequest{}, intel.Invalid("the request names no web address: use %s<web address>", urlPrefix)
	}
	dec, err := url.PathUnescape(seg)
	if err != nil {
		return lookupRequest{}, intel.Invalid("the request %q is not correctly percent-encoded", clip(seg))
	}
	return parseWeb(seg, dec, query, cfg)
}

// parseWeb reads a web-address request: seg is the request segment as
// sent, dec the same percent-decoded once. A segment with an unencoded "/"
// is the raw form, whose query string holds the address's own query and
// the API's parameters (splitRawQuery); otherwise the query string is the
// API's alone.
func parseWeb(seg, dec, query string, cfg Config) (lookupRequest, error) {
	req := lookupRequest{kind: kindURL}
	var (
		p    apiParams
		perr error
	)
	if strings.IndexByte(seg, '/') >= 0 {
		var own string
		own, p, perr = splitRawQuery(query)
		if own != "" {
			dec += "?" + own
		}
	} else {
		p, perr = strictParams(query)
	}
	u, err := webAddress(dec)
	if err != nil {
		return req, err
	}
	req.url = u
	if perr != nil {
		return req, perr
	}
	return req, applyParams(&req, p, cfg)
}

// webAddress checks a web address given with http://, https:// (in any
// case) or no scheme (read as http://) and returns it with its scheme.
func webAddress(s string) (string, error) {
	w, err := intel.WithScheme(s)
	if err != nil {
		return "", intel.Invalid("the web address %q is not valid: only http and https are supported", clip(s))
	}
	if _, _, err := intel.NormalizeURL(w); err != nil {
		return "", intel.Invalid("the web address %q is not valid: %v", clip(s), err)
	}
	return w, nil
}

// parseDomainLookup parses a domain lookup, /api/domain/<domain>.
func parseDomainLookup(path, query string, cfg Config) (lookupRequest, error) {
	return parseObject(path, query, domainPrefix, kindDomain, cfg)
}

// parseHashLookup parses a file lookup, /api/hash/<md5|sha1|sha256>.
func parseHashLookup(path, query string, cfg Config) (lookupRequest, error) {
	return parseObject(path, query, hashPrefix, kindHash, cfg)
}

// parseObject parses a domain or file lookup: the request segment after
// prefix, percent-decoded once, is the object; the query string is the
// API's.
func parseObject(path, query, prefix string, kind lookupKind, cfg Config) (lookupRequest, error) {
	req := lookupRequest{kind: kind}
	seg, ok := strings.CutPrefix(path, prefix)
	if !ok || seg == "" {
		return req, intel.Invalid("the request names no %s: use %s<%s>", objectNoun(kind), prefix, objectForm(kind))
	}
	dec, err := url.PathUnescape(seg)
	if err != nil {
		return req, intel.Invalid("the request %q is not correctly percent-encoded", clip(seg))
	}
	if req.object, err = normalizeObject(kind, dec); err != nil {
		return req, err
	}
	p, err := strictParams(query)
	if err != nil {
		return req, err
	}
	return req, applyParams(&req, p, cfg)
}

// normalizeObject normalises a domain name or a hash.
func normalizeObject(kind lookupKind, s string) (string, error) {
	if kind == kindHash {
		return intel.NormalizeHash(s)
	}
	return intel.NormalizeDomain(s)
}

// objectNoun and objectForm name what a lookup of kind takes, for
// messages.
func objectNoun(kind lookupKind) string {
	switch kind {
	case kindURL:
		return "web address"
	case kindDomain:
		return "domain name"
	case kindHash:
		return "file hash"
	}
	return "address"
}

func objectForm(kind lookupKind) string {
	switch kind {
	case kindURL:
		return "web address"
	case kindDomain:
		return "domain name"
	case kindHash:
		return "MD5, SHA-1 or SHA-256"
	}
	return "IPv4 or IPv6 address"
}

// hasHTTPScheme reports whether s starts with http:// or https:// in any case.
func hasHTTPScheme(s string) bool {
	for _, p := range []string{"http://", "https://"} {
		if len(s) >= len(p) && strings.EqualFold(s[:len(p)], p) {
			return true
		}
	}
	return false
}
