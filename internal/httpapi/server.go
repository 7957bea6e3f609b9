// Package httpapi is tipd's HTTP interface: the lookup API (GET
// /api/ip/<address or web address>, /api/url/<web address>,
// /api/domain/<domain>, /api/hash/<hash> and the OpenTIP-style search
// forms; request.go reads their requests, lookup.go answers them), the
// explanations of verdicts (GET /api/explain, explain.go), the bulk
// lookup of pasted indicators (POST /api/bulk, bulk.go), the
// publications, TAXII, the health and readiness probes, and the
// Prometheus metrics. NewServer takes every dependency explicitly;
// routes.go lists every route. Handlers return errors and one table
// (statusOf) turns error kinds into statuses and JSON error bodies.
package httpapi

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tipd/tipd/internal/access"
	"github.com/tipd/tipd/internal/feeds"
	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/report"
	"github.com/tipd/tipd/internal/reqlog"
	"github.com/tipd/tipd/internal/taxii"
)

// Config holds the tunables of the API. Zero fields take the defaults;
// a zero RatePerSecond means no burst limit.
type Config struct {
	// MaxCount is the largest accepted `count` (default 10000).
	MaxCount int
	// DefaultCount is the `count` of a request without one (default 1000,
	// never more than MaxCount).
	DefaultCount int
	// MaxTarget is the longest accepted request target in bytes; longer
	// ones are answered 414 (default 2000).
	MaxTarget int
	// RatePerSecond is the burst limit: the requests per second a user may
	// send on average; 0 means no limit. Requests over it are answered 429
	// with Retry-After and never counted against the daily quota.
	RatePerSecond float64
	// Burst is how many requests a user may send at once under the burst
	// limit (default: RatePerSecond rounded up).
	Burst int
	// RateUsers is how many users the burst limiter tracks in memory at
	// once (default 100000); idle users are forgotten.
	RateUsers int
	// AuthFailures is how many failed authentications (401 answers) a
	// client address (IPv4 address, IPv6 /64) may have in AuthWindow;
	// past them its requests are answered 429 with Retry-After, without a
	// credentials check, and its failures are logged as one summary line
	// per window (authlimit.go). 0 means no limit and a log line for every
	// request.
	AuthFailures int
	// AuthWindow is the window of AuthFailures and of the summary lines
	// (default 10 s).
	AuthWindow time.Duration
	// AuthClients is how many client addresses the limit tracks at once
	// (default 100000).
	AuthClients int
	// LookupMemory bounds, in bytes, the memory that the answers of
	// lookups in flight are assumed to hold together (default 128 MiB; one
	// user gets at most half); negative means no bound. A lookup that does
	// not get its share within MemoryWait is answered 503.
	LookupMemory int64
	// UserInFlight is how many lookups a user may have in flight at once
	// (default 16); more are answered 429. Negative means no cap.
	UserInFlight int
	// MemoryWait is how long a lookup waits for its share of LookupMemory
	// (default 5 s).
	MemoryWait time.Duration
	// AnswerCache bounds, in bytes, the rendered answers kept between
	// lookups until the next import, network refresh, minute or change of
	// the legal holds (answercache.go; default 64 MiB); negative means
	// none are kept.
	AnswerCache int64
	// WriteStall is how long a large answer, written in chunks, may wait
	// for its client to take the next chunk before the connection is
	// dropped (default 10 s).
	WriteStall time.Duration
}

// Defaults of Config.
const (
	DefaultMaxCount     = 10000
	DefaultDefaultCount = 1000
	DefaultMaxTarget    = 2000
	DefaultAnswerCache  = 64 << 20
)

func (c Config) withDefaults() Config {
	if c.MaxCount <= 0 {
		c.MaxCount = DefaultMaxCount
	}
	if c.DefaultCount <= 0 {
		c.DefaultCount = DefaultDefaultCount
	}
	c.DefaultCount = min(c.DefaultCount, c.MaxCount)
	if c.MaxTarget <= 0 {
		c.MaxTarget = DefaultMaxTarget
	}
	if c.LookupMemory == 0 {
		c.LookupMemory = DefaultLookupMemory
	}
	if c.UserInFlight == 0 {
		c.UserInFlight = DefaultUserInFlight
	}
	if c.MemoryWait <= 0 {
		c.MemoryWait = DefaultMemoryWait
	}
	if c.AnswerCache == 0 {
		c.AnswerCache = DefaultAnswerCache
	}
	if c.WriteStall <= 0 {
		c.WriteStall = DefaultWriteStall
	}
	return c
}

// Deps are the dependencies of the server.
type Deps struct {
	// Access authenticates, authorises and counts requests (required).
	Access *access.Service
	// Reports builds the reports (required).
	Reports *report.Builder
	// Changes is the change order the TAXII collections page through (the
	// store); nil means the collections hold nothing but the identity.
	Changes taxii.ChangeLister
	// Ready reports whether the server can answer lookups (store reachable,
	// network data loaded); nil means always ready.
	Ready func(ctx context.Context) error
	// ReadyNote, if set, is a remark /readyz adds to its "ok" when the
	// server is ready but an operator should know something (an empty
	// store); "" for none.
	ReadyNote func(ctx context.Context) string
	// Metrics records request metrics; nil means a private registry.
	Metrics *Metrics
	// Registry is what /metrics serves; nil means the registry Metrics was
	// created on when NewServer created it, else /metrics answers 404.
	Registry prometheus.Gatherer
	// UI is the analyst portal (web.Handler()), served at "/" and
	// "/static/…"; nil serves no portal.
	UI http.Handler
	// Now is the clock of the burst limiter and of client certificate
	// checks; nil means time.Now.
	Now func() time.Time
	// ClientCAs verifies client certificates that the TLS layer asked for
	// but did not verify (tls.RequestClientCert), so that an expired or
	// foreign certificate gets a 401 rather than a failed handshake; nil
	// when the server does not do mutual TLS.
	ClientCAs *x509.CertPool
	// Feeds reports the status of the feeds this server fetches (serve
	// -feeds), for the feed pages (feed.go); nil when it fetches none.
	Feeds func() []feeds.Status
}

// readyTimeout bounds one readiness check.
const readyTimeout = 5 * time.Second

// server is the state shared by the handlers. It is not mutated after
// NewServer returns.
type server struct {
	logger   *slog.Logger
	cfg      Config
	access   *access.Service
	reports  *report.Builder
	ready    func(ctx context.Context) error
	note     func(ctx context.Context) string
	metrics  *Metrics
	registry prometheus.Gatherer
	bufs     sync.Pool    // *scratch: lookup response buffers
	states   sync.Pool    // *requestState: see handleStyled
	ui       http.Handler // the portal, or nil
	caPool   *x509.CertPool
	clock    func() time.Time
	limiter  *limiter     // the burst limit, or nil
	authFail *authLimiter // the failed-authentication limit, or nil
	gate     *gate        // lookups in flight
	answers  *answerCache // kept answers, or nil
	taxii    *taxii.Server
	feeds    func() []feeds.Status // feed.go; nil when none are fetched
	// holds lists every legal hold, sorted by reference; nil when the
	// store lists none.
	holds func(ctx context.Context) ([]intel.Hold, error)

	table    []route      // see routes.go
	notFound http.Handler // no route
	tooLong  http.Handler // any route, target over cfg.MaxTarget
	conflict http.Handler // any route, Content-Length and Transfer-Encoding (edge.go)
	// pubTooLong and pubConflict are tooLong and conflict under
	// /api/publications, answered in its envelope.
	pubTooLong  http.Handler
	pubConflict http.Handler
}

// NewServer returns the HTTP handler of the API.
func NewServer(logger *slog.Logger, cfg Config, deps Deps) http.Handler {
	s := &server{
		logger:   logger,
		cfg:      cfg.withDefaults(),
		access:   deps.Access,
		reports:  deps.Reports,
		ready:    deps.Ready,
		note:     deps.ReadyNote,
		metrics:  deps.Metrics,
		registry: deps.Registry,
		ui:       deps.UI,
		caPool:   deps.ClientCAs,
		clock:    deps.Now,
		feeds:    deps.Feeds,
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	s.limiter = newLimiter(s.cfg.RatePerSecond, s.cfg.Burst, s.cfg.RateUsers, deps.Now)
	s.gate = newGate(s.cfg.LookupMemory, s.cfg.UserInFlight, s.cfg.MemoryWait)
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if s.metrics == nil {
		reg := prometheus.NewRegistry()
		s.metrics = NewMetrics(reg)
		if s.registry == nil {
			s.registry = reg
		}
	}
	s.authFail = newAuthLimiter(s.cfg, s.clock, s.logger, s.metrics)
	var holds func(context.Context) ([]intel.Hold, error)
	if s.reports != nil {
		if hl, ok := s.reports.Store.(interface {
			Holds(ctx context.Context) ([]intel.Hold, error)
		}); ok {
			holds = hl.Holds
		}
	}
	s.holds = holds
	s.answers = newAnswerCache(s.cfg.AnswerCache, s.reports, holds, s.metrics)
	s.bufs.New = func() any { return &scratch{body: make([]byte, 0, 16<<10)} }
	s.states.New = func() any { return new(requestState) }
	s.taxii = &taxii.Server{Reports: s.reports, Changes: deps.Changes, Held: s.access.Held}
	s.routes()
	return s
}

// ServeHTTP dispatches on the raw request target: the lookup endpoint must
// see "//" and percent-escapes as sent, so no http.ServeMux (which cleans
// paths and redirects) is involved.
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path, _ := rawTarget(r)
	pub := isPublicationsPath(path)
	if r.TransferEncoding != nil && lengthConflict(r) {
		if pub {
			s.pubConflict.ServeHTTP(w, r)
		} else {
			s.conflict.ServeHTTP(w, r)
		}
		return
	}
	if len(requestTarget(r)) > s.cfg.MaxTarget {
		if pub {
			s.pubTooLong.ServeHTTP(w, r)
		} else {
			s.tooLong.ServeHTTP(w, r)
		}
		return
	}
	s.match(path).ServeHTTP(w, r)
}

// requestTarget is the request target as sent.
func requestTarget(r *http.Request) string {
	if r.RequestURI != "" {
		return r.RequestURI
	}
	return r.URL.RequestURI()
}

// rawTarget splits the raw request target into its path (still
// percent-encoded, never cleaned) and its query string. An absolute-form
// target ("http://host/path") is reduced to its path.
func rawTarget(r *http.Request) (path, query string) {
	t := r.RequestURI
	if t == "" || (!strings.HasPrefix(t, "/") && !strings.Contains(t, "://")) {
		return r.URL.EscapedPath(), r.URL.RawQuery
	}
	if !strings.HasPrefix(t, "/") {
		_, rest, _ := strings.Cut(t, "://")
		i := strings.IndexAny(rest, "/?")
		if i < 0 {
			return "/", ""
		}
		t = rest[i:]
		if t[0] == '?' {
			t = "/" + t
		}
	}
	path, query, _ = strings.Cut(t, "?")
	return path, query
}

// A handlerFunc handles one request; an error is answered by the wrapper.
type handlerFunc func(w http.ResponseWriter, r *http.Request, info *requestInfo) error

// requestInfo carries what a handler learnt about its request to the
// access log.
type requestInfo struct {
	user   string
	auth   string // authentication method, see audit.go
	object string // the address or normalised web address looked up
	raw    string // the raw request value, clipped
	style  errStyle
	quiet  bool // a failed authentication counted in a summary line instead (authlimit.go)
}

// errStyle is the body format of a route's error answers.
type errStyle uint8

const (
	errJSON     errStyle = iota // {"error":…,"message":…}
	errEnvelope                 // the publications envelope
	errTAXII                    // a TAXII 2.1 error message
)

// handle wraps h with what every route shares: the method check (allow
// lists the methods, comma-separated, "" for any), HEAD without a body,
// common headers, a bounded request body, error answers, panic recovery,
// metrics and one log line.
func (s *server) handle(route, allow string, h handlerFunc) http.Handler {
	return s.handleStyled(route, allow, errJSON, h)
}

// handleStyled is handle with the error body format of the route.
func (s *server) handleStyled(route, allow string, style errStyle, h handlerFunc) http.Handler {
	var methods []string
	if allow != "" {
		methods = strings.Split(allow, ", ")
	}
	rm := s.metrics.forRoute(route)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		st := s.states.Get().(*requestState)
		st.rw = responseWriter{ResponseWriter: w, head: r.Method == http.MethodHead}
		st.info = requestInfo{auth: authMethod(r), style: style}
		rw, info := &st.rw, &st.info
		hdr := w.Header()
		// Canonical keys, values shared by every answer (never changed
		// in place: Header.Add appends to a full slice, so it copies).
		hdr["X-Content-Type-Options"] = hdrNosniff
		hdr["Cache-Control"] = hdrNoStore
		if r.TLS != nil {
			hdr["Strict-Transport-Security"] = hdrHSTS
		}
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(rw, r.Body, bodyLimit(route))
		}

		var err error
		code := ""
		func() {
			defer func() {
				if p := recover(); p != nil {
					if p == http.ErrAbortHandler {
						panic(p)
					}
					err = fmt.Errorf("panic in %s handler: %v\n%s", route, p, debug.Stack())
				}
			}()
			if methods != nil && !slices.Contains(methods, r.Method) {
				hdr.Set("Allow", allow)
				code = "method_not_allowed"
				s.writeStyledError(rw, r, info.style, http.StatusMethodNotAllowed, "method_not_allowed",
					fmt.Sprintf("method %s is not allowed here; use %s", clip(r.Method), allow))
				return
			}
			err = h(rw, r, info)
		}()

		status := rw.status
		if err != nil {
			switch {
			case r.Context().Err() != nil && errors.Is(err, r.Context().Err()), errors.Is(err, errStalled):
				status = statusClientClosed
			case rw.status != 0:
				// Too late to answer with an error; the status stands.
			default:
				var msg string
				status, code, msg = statusOf(err)
				setErrorHeaders(hdr, status, code)
				setRetryAfter(hdr, err)
				s.writeStyledError(rw, r, info.style, status, code, msg)
			}
			if intel.KindOf(err) == intel.KindQuotaExceeded {
				s.metrics.quotaDenials.Inc()
			}
			s.metrics.turnedAway(code)
		}
		if status == 0 {
			status = http.StatusOK
		}
		s.finish(r, rm, status, code, rw.bytes, time.Since(start), info, err)
		// Nothing holds rw or info past the handler: they go back for the
		// next request (not after a panic, which leaves above).
		*st = requestState{}
		s.states.Put(st)
	})
}

// requestState is what handleStyled allocates for a request, kept in a
// pool between requests.
type requestState struct {
	rw   responseWriter
	info requestInfo
}

// Values of the headers every answer carries.
var (
	hdrNosniff = []string{"nosniff"}
	hdrNoStore = []string{"no-store"}
	hdrHSTS    = []string{"max-age=31536000"}
	hdrJSON    = []string{"application/json; charset=utf-8"}
)

// statusClientClosed is recorded (never sent) when the client went away.
const statusClientClosed = 499

// finish records metrics and writes the request's one log line, which is
// also the audit record (docs/operations.md, "Audit log"): time, method,
// route, user, authentication method, object, status, latency, size and
// error code. Credentials never appear in it. The cause of a 5xx answer is
// logged here and nowhere else.
func (s *server) finish(r *http.Request, rm *routeMetrics, status int, code string, n int64, d time.Duration, info *requestInfo, err error) {
	rm.observe(status, d)
	route := rm.route
	if info.quiet {
		return
	}
	line := reqlog.Request{Method: r.Method, Route: route, User: info.user, Auth: info.auth,
		Object: info.loggedObject(status), Status: status, Latency: d, Bytes: n, Code: code}
	level := slog.LevelInfo
	if status >= 500 && status != statusClientClosed {
		level = slog.LevelError
		if err != nil {
			line.Error = err.Error()
		}
	}
	ctx := r.Context()
	h := s.logger.Handler()
	if !h.Enabled(ctx, level) {
		return
	}
	if rl, ok := h.(*reqlog.Handler); ok {
		rl.LogRequest(time.Now(), level, &line)
		return
	}
	// The record is made here rather than by Logger.LogAttrs, which looks
	// up the caller's program counter on every call (runtime.Callers, a
	// quarter of the log line's cost); the handlers of tipd do not print
	// it.
	rec := slog.NewRecord(time.Now(), level, reqlog.Message, 0)
	rec.AddAttrs(line.Attrs()...)
	_ = h.Handle(ctx, rec) // a failed log write has nowhere to go
}

// statusOf is the one table from error kinds to HTTP statuses and default
// machine codes. Messages of internal errors never reach clients.
func statusOf(err error) (status int, code, message string) {
	var e *intel.Error
	kind := intel.KindInternal
	if errors.As(err, &e) {
		kind = e.Kind
	}
	var def string
	switch kind {
	case intel.KindInvalid:
		status, code, def = http.StatusBadRequest, "invalid_request", "the request is malformed"
	case intel.KindUnauthenticated:
		status, code, def = http.StatusUnauthorized, "unauthenticated", "send a valid API token as Authorization: Bearer <token>"
	case intel.KindLicenseExpired:
		status, code, def = http.StatusPaymentRequired, "license_expired", "the licence has expired; ask the operator to renew it"
	case intel.KindForbidden:
		status, code, def = http.StatusForbidden, "forbidden", "this user may not do this"
	case intel.KindQuotaExceeded:
		status, code, def = http.StatusForbidden, "quota_exceeded", "the daily quota is exhausted; it resets at 00:00 UTC"
	case intel.KindNotFound:
		status, code, def = http.StatusNotFound, "not_found", "not found"
	case intel.KindNotAcceptable:
		status, code, def = http.StatusNotAcceptable, "not_acceptable", "the answer cannot be given in a media type the Accept header allows"
	case intel.KindTooLong:
		status, code, def = http.StatusRequestURITooLong, "request_too_long", "the request is too long"
	case intel.KindRateLimited:
		status, code, def = http.StatusTooManyRequests, "rate_limited", "too many requests; slow down and retry later"
	case intel.KindLegalHold:
		status, code, def = http.StatusUnavailableForLegalReasons, "legal_hold", "this object is under a legal hold and cannot be shown"
	case intel.KindUnavailable:
		status, code, def = http.StatusServiceUnavailable, "unavailable", "the service is not available right now; retry later"
	default:
		return http.StatusInternalServerError, "internal_error", "an internal error occurred; retry later or tell the operator"
	}
	message = def
	if e.Code != "" {
		code = e.Code
	}
	if e.Message != "" {
		message = e.Message
	}
	return status, code, message
}

// setErrorHeaders adds the headers an error status calls for.
func setErrorHeaders(h http.Header, status int, code string) {
	switch status {
	case http.StatusUnauthorized:
		v := `Bearer realm="tipd"`
		if code == access.CodeInvalidToken {
			v += `, error="invalid_token"`
		}
		h.Set("WWW-Authenticate", v)
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		h.Set("Retry-After", "1")
	}
}

// errorBody is the JSON body of every error answer.
type errorBody struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

// writeStyledError answers with an error body in the route's format.
func (s *server) writeStyledError(w http.ResponseWriter, r *http.Request, style errStyle, status int, code, message string) {
	switch style {
	case errEnvelope:
		s.writeEnvelopeError(w, status, message)
	case errTAXII:
		writeBody(w, status, taxii.MediaType, taxii.ErrorBody(status, code, message))
	default:
		s.writeError(w, r, status, code, message)
	}
}

// writeError answers with a JSON error body.
func (s *server) writeError(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	body, err := json.Marshal(errorBody{Error: code, Message: message})
	if err != nil { // strings always marshal
		body = []byte(`{"error":"internal_error","message":"an internal error occurred"}`)
	}
	body = append(body, '\n')
	writeBody(w, status, "application/json", body)
}

// writeBody answers with status and body (dropped for HEAD by responseWriter).
func writeBody(w http.ResponseWriter, status int, contentType string, body []byte) {
	h := w.Header()
	if contentType == hdrJSON[0] {
		h["Content-Type"] = hdrJSON
	} else {
		h.Set("Content-Type", contentType)
	}
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(status)
	w.Write(body) //nolint:errcheck // the client went away; nothing to do
}

// responseWriter records the status and size of an answer, and drops the
// body of answers to HEAD.
type responseWriter struct {
	http.ResponseWriter
	head   bool
	status int
	bytes  int64
}

func (w *responseWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *responseWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if w.head {
		return len(b), nil
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// clip shortens a client-supplied value for quoting in a message.
func clip(s string) string {
	const max = 200
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}
