package httpapi

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/tipd/tipd/internal/access"
	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/render"
	"github.com/tipd/tipd/internal/report"
)

// Formats of the `format` parameter.
const (
	formatJSON = "json"
	formatSTIX = "stix"
)

// handleLookup answers GET /api/ip/<request>.
func (s *server) handleLookup(w http.ResponseWriter, r *http.Request, info *requestInfo) error {
	return s.pathLookup(w, r, info, lookupPrefix, parseLookup)
}

// handleURLLookup answers GET /api/url/<web address>.
func (s *server) handleURLLookup(w http.ResponseWriter, r *http.Request, info *requestInfo) error {
	return s.pathLookup(w, r, info, urlPrefix, parseURLLookup)
}

// handleDomainLookup answers GET /api/domain/<domain>.
func (s *server) handleDomainLookup(w http.ResponseWriter, r *http.Request, info *requestInfo) error {
	return s.pathLookup(w, r, info, domainPrefix, parseDomainLookup)
}

// handleHashLookup answers GET /api/hash/<md5|sha1|sha256>.
func (s *server) handleHashLookup(w http.ResponseWriter, r *http.Request, info *requestInfo) error {
	return s.pathLookup(w, r, info, hashPrefix, parseHashLookup)
}

// pathLookup answers a lookup in the path form, prefix<request>, that
// parse reads from the raw path and query string.
func (s *server) pathLookup(w http.ResponseWriter, r *http.Request, info *requestInfo, prefix string,
	parse func(path, query string, cfg Config) (lookupRequest, error)) error {
	path, query := rawTarget(r)
	info.setRaw(strings.TrimPrefix(path, prefix))
	return s.lookup(w, r, info, func() (lookupRequest, error) {
		return parse(path, query, s.cfg)
	})
}

// lookup answers a lookup request that parse reads. The order of checks
// decides which error a request with several problems gets: credentials
// (401), burst limit (429), lookups in flight (429), the request itself
// (400), licence (402), API access (403), legal hold (451), quota (403),
// memory for the answer (503). Nothing is counted until the report is
// built, so refused, rate-limited, held, malformed and turned-away
// requests never consume quota; a search for an object nothing is known
// about is counted, then answered 404 no_data. Every kind of lookup, path
// or search form, and every explanation goes through here: one count per
// answered request.
func (s *server) lookup(w http.ResponseWriter, r *http.Request, info *requestInfo, parse func() (lookupRequest, error)) error {
	ctx := r.Context()
	user, token, t, err := s.admit(r, info)
	if err != nil {
		return err
	}
	defer t.leave() // once the answer is written or dropped
	req, err := parse()
	if err != nil {
		return err
	}
	info.setObject(req)
	if err := s.access.CheckLicence(user); err != nil {
		return err
	}
	// A kept answer skips the build and the render; nothing else. The
	// generation's read of the legal holds serves the hold check too.
	var (
		gen       *answerGen
		key       answerKey
		holds     []intel.Hold
		haveHolds bool
	)
	keep := s.answers != nil && cacheable(&req)
	if keep {
		if gen, holds, haveHolds, err = s.answers.generation(ctx); err != nil {
			return err
		}
	}
	if err := s.checkHold(ctx, req, holds, haveHolds); err != nil {
		return err
	}
	if keep {
		if gen != nil {
			key = keyOf(&req)
			if a, ok := gen.get(&key); ok {
				s.metrics.answerCacheHits.Inc()
				return s.writeKept(w, r, &t, user, token, req, a)
			}
		}
		s.metrics.answerCacheMisses.Inc()
	}
	if err := s.access.Check(ctx, user); err != nil {
		return err
	}
	if err := t.acquire(ctx, requestWeight(req)); err != nil {
		return err
	}

	sc := s.bufs.Get().(*scratch)
	defer func() {
		sc.out = bodyStream{}
		if cap(sc.body) <= maxPooledBody {
			s.bufs.Put(sc)
		}
	}()
	body := sc.body[:0]
	sc.out = bodyStream{w: w, contentType: "application/json; charset=utf-8", stall: s.cfg.WriteStall}
	out := &sc.out
	a, err := s.build(ctx, req)
	if err != nil {
		return err // the store named what failed; the log line names the object
	}
	defer a.release() // after the body is rendered and written
	t.shrink(itemsWeight(a.items(), req.format))
	lic, err := s.access.Authorize(ctx, user, token)
	if err != nil {
		return err
	}
	if req.search {
		// Counted: a lookup was made, whatever it found.
		if !a.known() {
			if gen != nil {
				gen.put(&key, &keptAnswer{})
			}
			return noData(req)
		}
		body = a.appendSearch(body)
		sc.body = body
		if gen != nil {
			gen.put(&key, &keptAnswer{body: slices.Clone(body), known: true})
		}
		writeBody(w, http.StatusOK, "application/json; charset=utf-8", body)
		return nil
	}
	a.setLicense(lic)
	if req.format == formatSTIX {
		b, err := a.stix(s.reports.Clock())
		return writeSTIX(w, b, err)
	}
	chunk := streamChunk
	if gen != nil {
		// Answers that fit in one chunk can be kept.
		chunk = int(max(streamChunk, min(s.answers.max/16, maxKeptChunk)))
	}
	body, err = a.stream(body, out, chunk)
	sc.body = body
	if err != nil {
		return err
	}
	if out.started() {
		// The rest of a large answer, sent chunked.
		if _, err := out.Write(body); err != nil {
			return err
		}
		return nil
	}
	if gen != nil {
		if k := keepable(body, req.sections, &lic); k != nil {
			gen.put(&key, k)
		}
	}
	writeBody(w, http.StatusOK, "application/json; charset=utf-8", body)
	return nil
}

// maxKeptChunk bounds the chunk an answer that may be kept is rendered
// in: answers larger than it are sent chunked, as they are rendered, and
// never kept.
const maxKeptChunk = 256 << 10

// keepable returns the answer to keep for a rendered path-form answer:
// without its LicenseInfo when the sections hold it (then the body must
// start with it, as render writes it); nil when it cannot be split.
func keepable(body []byte, sections report.Sections, lic *intel.LicenseInfo) *keptAnswer {
	if !sections.Has(report.SecLicenseInfo) {
		return &keptAnswer{body: slices.Clone(body), known: true}
	}
	var buf [256]byte
	lj := render.AppendLicenseInfo(buf[:0], lic)
	if len(body) < 2+len(lj) || body[0] != '{' || !bytes.Equal(body[1:1+len(lj)], lj) {
		return nil
	}
	return &keptAnswer{body: slices.Clone(body[1+len(lj):]), license: true, known: true}
}

// writeKept answers with a kept answer, after the checks a built answer
// gets after the legal holds: the quota, the memory for the answer, and
// the quota again, counted (Authorize). The first quota check, a read
// that spares the build of an answer that would be refused, is made only
// when there is no memory for the answer, so that its 403 still comes
// before the 503.
func (s *server) writeKept(w http.ResponseWriter, r *http.Request, t *ticket, user intel.User, token intel.Token,
	req lookupRequest, a *keptAnswer) error {
	ctx := r.Context()
	if err := t.acquire(ctx, int64(len(a.body))+keptOverhead); err != nil {
		if qerr := s.access.Check(ctx, user); qerr != nil {
			return qerr
		}
		return err
	}
	lic, err := s.access.Authorize(ctx, user, token)
	if err != nil {
		return err
	}
	if !a.known {
		return noData(req)
	}
	if !a.license {
		writeBody(w, http.StatusOK, "application/json; charset=utf-8", a.body)
		return nil
	}
	sc := s.bufs.Get().(*scratch)
	b := append(sc.body[:0], '{')
	b = render.AppendLicenseInfo(b, &lic)
	b = append(b, a.body...)
	writeBody(w, http.StatusOK, "application/json; charset=utf-8", b)
	sc.body = b
	if cap(b) <= maxPooledBody {
		s.bufs.Put(sc)
	}
	return nil
}

// keptOverhead is the memory a lookup answered with a kept answer is
// assumed to hold besides the answer's bytes.
const keptOverhead = 4 << 10

// checkHold refuses a lookup of a held object: the address; the domain
// name, held by a hold on it or on a name above it; the file, held by any
// of its hashes; the web address by its key and by its host, an address or
// a name held as above.
// The holds are read on every request, so a hold applies at once: when
// have is set, holds is every hold, sorted by reference, read for this
// request (a file is still asked of the store, which knows its other
// hashes); otherwise the store is asked.
func (s *server) checkHold(ctx context.Context, req lookupRequest, holds []intel.Hold, have bool) error {
	check := func(q intel.HoldQuery) error {
		if !have {
			return s.access.CheckHold(ctx, q)
		}
		for _, h := range holds {
			if h.Matches(q) {
				return access.HoldError(h)
			}
		}
		return nil
	}
	switch req.kind {
	case kindIP:
		return check(intel.HoldQuery{IP: req.ip})
	case kindDomain:
		return check(intel.HoldQuery{Domain: req.object})
	case kindHash:
		if have && len(holds) == 0 {
			// No hold at all: the file's other hashes need not be read.
			return nil
		}
		return s.access.CheckHold(ctx, intel.HoldQuery{Hashes: []string{req.object}})
	}
	key, _, err := intel.NormalizeURL(req.url)
	if err != nil {
		return intel.Invalid("the web address %q is not valid: %v", clip(req.url), err)
	}
	// The key's host is the one a browser would connect to.
	q := intel.HoldQuery{URL: key}
	host := intel.URLHost(key)
	if a, err := netip.ParseAddr(host); err == nil {
		if a.Zone() == "" {
			q.IP = a.Unmap()
		}
	} else {
		q.Domain = host
	}
	return check(q)
}

// writeSTIX answers with a STIX 2.1 bundle.
func writeSTIX(w http.ResponseWriter, body []byte, err error) error {
	if err != nil {
		return fmt.Errorf("render STIX: %w", err)
	}
	writeBody(w, http.StatusOK, render.MediaTypeSTIX, body)
	return nil
}

// maxPooledBody is the largest response buffer kept for reuse; larger ones
// (reports with thousands of items) are left to the garbage collector.
const maxPooledBody = 1 << 20

// authenticate resolves the request's credentials to a user: a Bearer
// token, or Basic credentials over a connection with a verified client
// certificate bound to that user.
func (s *server) authenticate(r *http.Request) (intel.User, intel.Token, error) {
	h := r.Header.Get("Authorization")
	scheme, token, _ := strings.Cut(strings.TrimSpace(h), " ")
	switch {
	case h == "":
		return intel.User{}, intel.Token{}, intel.Errorf(intel.KindUnauthenticated, access.CodeUnauthenticated,
			"this API needs credentials: send the header Authorization: Bearer <token>")
	case strings.EqualFold(scheme, "Bearer"):
		token = strings.TrimSpace(token)
		if token == "" {
			return intel.User{}, intel.Token{}, intel.Errorf(intel.KindUnauthenticated, access.CodeInvalidToken,
				"the Authorization header holds no token: send Authorization: Bearer <token>")
		}
		return s.access.Authenticate(r.Context(), token)
	case strings.EqualFold(scheme, "Basic"):
		// Accepted only together with a verified client certificate bound
		// to the same user (mutual TLS, see tlsauth.go).
		fp := s.verifiedCertFingerprint(r)
		if fp == "" {
			return intel.User{}, intel.Token{}, intel.Errorf(intel.KindUnauthenticated, access.CodeUnauthenticated,
				"Basic authentication needs a valid client certificate issued by the operator (none was given, or it expired or comes from another CA): connect with one, or send Authorization: Bearer <token>")
		}
		name, pw, err := parseBasic(token)
		if err != nil {
			return intel.User{}, intel.Token{}, err
		}
		u, err := s.access.AuthenticateBasic(r.Context(), name, pw, fp)
		return u, intel.Token{}, err
	default:
		return intel.User{}, intel.Token{}, intel.Errorf(intel.KindUnauthenticated, access.CodeUnauthenticated,
			"the authorization scheme %q is not supported: send Authorization: Bearer <token>", clip(scheme))
	}
}

// single returns the value of a parameter that may be given at most once
// ("" when absent).
func single(q url.Values, name string) (string, error) {
	switch vs := q[name]; len(vs) {
	case 0:
		return "", nil
	case 1:
		return vs[0], nil
	default:
		return "", intel.Invalid("the parameter %s is given %d times; give it once", name, len(vs))
	}
}

// parseCount parses the `count` parameter: empty means the default.
func parseCount(s string, cfg Config) (int, error) {
	if s == "" {
		return cfg.DefaultCount, nil
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, intel.Invalid("count must be a positive integer of at most %d, not %q", cfg.MaxCount, clip(s))
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n > cfg.MaxCount {
		return 0, intel.Invalid("count must be at most %d, not %s", cfg.MaxCount, clip(s))
	}
	if n == 0 {
		return 0, intel.Invalid("count must be a positive integer of at most %d, not %q", cfg.MaxCount, s)
	}
	return n, nil
}

// admit authenticates a lookup's request and gives it a place among the
// lookups in flight (the ticket to leave when its answer is done).
func (s *server) admit(r *http.Request, info *requestInfo) (intel.User, intel.Token, ticket, error) {
	user, token, err := s.credentials(r, info)
	if err != nil {
		return user, token, ticket{}, err
	}
	t, err := s.gate.enter(r.Context(), user.Name)
	return user, token, t, err
}
