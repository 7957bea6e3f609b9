package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tipd/tipd/internal/access"
	"github.com/tipd/tipd/internal/httpapi"
	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/netdata"
	"github.com/tipd/tipd/internal/report"
	"github.com/tipd/tipd/internal/store"
	"github.com/tipd/tipd/internal/store/mem"
)

var now = time.Date(2026, 11, 28, 15, 0, 0, 0, time.UTC)

func fixedNow() time.Time { return now }

// syncBuffer is a log sink safe for concurrent handlers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// env is a server over a mem store with a few users.
type env struct {
	h      http.Handler
	st     store.Store
	net    *netdata.Holder
	acc    *access.Service
	logs   *syncBuffer
	tokens map[string]string // user -> token
}

type options struct {
	ready func(context.Context) error
	store store.Store // default mem.New()
}

func newEnv(t testing.TB, o options) *env {
	t.Helper()
	ctx := context.Background()
	st := o.store
	if st == nil {
		st = mem.New()
	}
	acc := &access.Service{Store: st, Now: fixedNow}
	e := &env{st: st, net: netdata.NewHolder(), acc: acc, logs: &syncBuffer{}, tokens: map[string]string{}}
	users := []struct {
		name string
		l    access.License
	}{
		{"alice", access.License{Access: intel.AccessCommercial, DayQuota: 1 << 40, APIAccess: true}},
		{"trial", access.License{Access: intel.AccessTrial, DayQuota: 20, APIAccess: true}},
		{"expired", access.License{Access: intel.AccessCommercial, DayQuota: 10, APIAccess: true, Expires: now.Add(-time.Second)}},
		{"noapi", access.License{Access: intel.AccessCommercial, DayQuota: 10}},
	}
	for _, u := range users {
		if _, err := acc.AddUser(ctx, u.name, u.l); err != nil {
			t.Fatal(err)
		}
		tok, _, err := acc.IssueToken(ctx, u.name, 30*24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[u.name] = tok
	}
	logger := slog.New(slog.NewJSONHandler(e.logs, nil))
	reg := prometheus.NewRegistry()
	e.h = httpapi.NewServer(logger, httpapi.Config{}, httpapi.Deps{
		Access:   acc,
		Reports:  &report.Builder{Store: st, Net: e.net, Now: fixedNow},
		Ready:    o.ready,
		Metrics:  httpapi.NewMetrics(reg),
		Registry: reg,
	})
	return e
}

// do sends one request with target exactly as given.
func (e *env) do(t testing.TB, method, target, user string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, target, nil)
	if user != "" {
		r.Header.Set("Authorization", "Bearer "+e.tokens[user])
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	return w
}

// errorOf decodes an error body and checks its shape.
func errorOf(t testing.TB, w *httptest.ResponseRecorder) (code, message string) {
	t.Helper()
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("error Content-Type = %q, want application/json", ct)
	}
	var body map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatalf("error body %q is not JSON: %v", w.Body.String(), err)
	}
	code, ok1 := body["error"].(string)
	message, ok2 := body["message"].(string)
	if len(body) != 2 || !ok1 || !ok2 || code == "" || message == "" {
		t.Fatalf("error body %s: want exactly string keys error and message", w.Body.String())
	}
	return code, message
}

// reportLands reports whether package report validates sections yet.
func reportLands() bool {
	_, err := report.ParseIPSections("NoSuchSection")
	return err != nil
}

func TestLookupAccepted(t *testing.T) {
	e := newEnv(t, options{})
	targets := []string{
		"/api/ip/103.234.36.190",
		"/api/ip/2001:db8::1",
		"/api/ip/2001:0db8:0000:0000:0000:0000:0000:0001",
		"/api/ip/::ffff:1.2.3.4",
		"/api/ip/::ffff:1.2.3.4?count=1",
		"/api/ip/1.2.3.4?count=10000",
		"/api/ip/1.2.3.4?count=1&format=json",
		"/api/ip/1.2.3.4?format=json&count=7&unknown=x&Count=abc",
		"/api/ip/1.2.3.4?sections=&count=&format=",
		"/api/ip/http://82.118.16.30",
		"/api/ip/http://82.118.16.30/a",
		"/api/ip/http://82.118.16.30//a/../b/",
		"/api/ip/http://82.118.16.30/a?count=5",
		"/api/ip/http%3A%2F%2F82.118.16.30%2Fa",
		"/api/ip/http%3A%2F%2F82.118.16.30%2Fa%3Fx%3D1?count=3",
		"/api/ip/HTTPS://Example.COM/x",
		"/api/ip/hTTp%3a%2f%2fexample.com",
	}
	for _, target := range targets {
		t.Run(target, func(t *testing.T) {
			w := e.do(t, http.MethodGet, target, "alice")
			if w.Code != http.StatusOK {
				t.Fatalf("GET %s: got %d %s, want 200", target, w.Code, w.Body)
			}
			h := w.Header()
			for k, want := range map[string]string{
				"Content-Type":           "application/json; charset=utf-8",
				"Cache-Control":          "no-store",
				"X-Content-Type-Options": "nosniff",
				"Location":               "",
			} {
				if got := h.Get(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			if !json.Valid(w.Body.Bytes()) {
				t.Errorf("body %q is not JSON", w.Body)
			}
		})
	}
}

// TestLookupReportBody checks what this layer adds to report bodies, once
// package render produces them.
func TestLookupReportBody(t *testing.T) {
	e := newEnv(t, options{})
	w := e.do(t, http.MethodGet, "/api/ip/::ffff:1.2.3.4", "trial")
	if w.Code != http.StatusOK {
		t.Fatalf("got %d %s, want 200", w.Code, w.Body)
	}
	var body struct {
		LicenseInfo *struct {
			AccessType          string
			DayRequests         int64
			DayQuota            int64
			TokenExpirationDate *string
		}
		IpGeneralInfo *struct{ Ip string }
	}
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if body.LicenseInfo == nil {
		t.Skip("render does not produce LicenseInfo yet")
	}
	li := body.LicenseInfo
	wantExp := now.Add(30 * 24 * time.Hour).Format(time.RFC3339)
	if li.AccessType != "Trial" || li.DayRequests != 1 || li.DayQuota != 20 || li.TokenExpirationDate == nil || *li.TokenExpirationDate != wantExp {
		t.Errorf("LicenseInfo = %+v, want Trial 1/20 expiring %s", *li, wantExp)
	}
	if body.IpGeneralInfo != nil && body.IpGeneralInfo.Ip != "1.2.3.4" {
		t.Errorf("IpGeneralInfo.Ip = %q, want 1.2.3.4 (unmapped)", body.IpGeneralInfo.Ip)
	}
}

func TestLookupBadRequest(t *testing.T) {
	e := newEnv(t, options{})
	tests := []struct {
		target string
		code   string
		msg    []string // substrings of the message
	}{
		{"/api/ip/", "invalid_request", []string{"/api/ip/"}},
		{"/api/ip", "invalid_request", []string{"/api/ip/"}},
		{"/api/ip/1.2.3", "invalid_request", []string{`"1.2.3"`}},
		{"/api/ip/1.2.3.4/", "invalid_request", []string{`"1.2.3.4/"`}},
		{"/api/ip/01.2.3.4", "invalid_request", []string{`"01.2.3.4"`}},
		{"/api/ip/256.1.1.1", "invalid_request", []string{`"256.1.1.1"`}},
		{"/api/ip/example.com", "invalid_request", []string{`"example.com"`, "http://"}},
		{"/api/ip/ftp://example.com", "invalid_request", []string{`"ftp://example.com"`}},
		{"/api/ip/fe80::1%25eth0", "invalid_request", []string{`"fe80::1%eth0"`, "zone"}},
		{"/api/ip/1.2.3.4%25eth0", "invalid_request", []string{`"1.2.3.4%eth0"`}},
		{"/api/ip/%25zz", "invalid_request", []string{`"%zz"`}},
		{"/api/ip/http://", "invalid_request", []string{`"http://"`}},
		{"/api/ip/http%3A%2F%2F", "invalid_request", []string{`"http://"`}},
		{"/api/ip/1.2.3.4?count=0", "invalid_request", []string{`"0"`, "positive"}},
		{"/api/ip/1.2.3.4?count=-1", "invalid_request", []string{`"-1"`}},
		{"/api/ip/1.2.3.4?count=abc", "invalid_request", []string{`"abc"`}},
		{"/api/ip/1.2.3.4?count=1.5", "invalid_request", []string{`"1.5"`}},
		{"/api/ip/1.2.3.4?count=%2B5", "invalid_request", []string{`"+5"`}},
		{"/api/ip/1.2.3.4?count=10001", "invalid_request", []string{"10001", "at most 10000"}},
		{"/api/ip/1.2.3.4?count=99999999999999999999999", "invalid_request", []string{"at most 10000"}},
		{"/api/ip/1.2.3.4?count=1&count=2", "invalid_request", []string{"count", "2 times"}},
		{"/api/ip/1.2.3.4?format=xml", "invalid_request", []string{`"xml"`, "json"}},
		{"/api/ip/1.2.3.4?format=JSON", "invalid_request", []string{`"JSON"`}},
		{"/api/ip/1.2.3.4?a=%zz", "invalid_request", []string{"query string"}},
		{"/api/ip/1.2.3.4?a=1;b=2", "invalid_request", []string{"query string"}},
		{"/api/ip/http://82.118.16.30/a?count=0", "invalid_request", []string{`"0"`}},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			w := e.do(t, http.MethodGet, tt.target, "alice")
			if w.Code != http.StatusBadRequest {
				t.Fatalf("got %d %s, want 400", w.Code, w.Body)
			}
			code, msg := errorOf(t, w)
			if code != tt.code {
				t.Errorf("error = %q, want %q", code, tt.code)
			}
			for _, s := range tt.msg {
				if !strings.Contains(msg, s) {
					t.Errorf("message %q does not contain %q", msg, s)
				}
			}
		})
	}
	// Malformed requests consume no quota.
	n, err := e.st.RequestCount(context.Background(), "alice", store.Day(now))
	if err != nil || n != 0 {
		t.Fatalf("alice's count after bad requests = %d, %v; want 0", n, err)
	}
}

// TestLookupSTIX: format=stix answers a bundle with the STIX media type,
// for addresses and web addresses (raw and percent-encoded), whatever
// sections and count say; a bad format is still a 400.
func TestLookupSTIX(t *testing.T) {
	e := newEnv(t, options{})
	for _, target := range []string{
		"/api/ip/1.2.3.4?format=stix",
		"/api/ip/2001:4860::8888?format=stix",
		"/api/ip/10.0.0.1?format=stix",
		"/api/ip/1.2.3.4?format=stix&count=-1&sections=nosuch",
		"/api/ip/1.2.3.4?sections=Zone&count=1&format=stix",
		"/api/ip/http://82.118.16.30/a?format=stix",
		"/api/ip/http%3A%2F%2F82.118.16.30%2Fa?format=stix",
	} {
		w := e.do(t, http.MethodGet, target, "alice")
		if w.Code != http.StatusOK {
			t.Fatalf("GET %s: got %d %s, want 200", target, w.Code, w.Body)
		}
		if ct := w.Header().Get("Content-Type"); ct != "application/stix+json;version=2.1" {
			t.Errorf("GET %s: Content-Type = %q, want application/stix+json;version=2.1", target, ct)
		}
		var b struct {
			Type    string           `json:"type"`
			ID      string           `json:"id"`
			Objects []map[string]any `json:"objects"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &b); err != nil {
			t.Fatalf("GET %s: %v", target, err)
		}
		if b.Type != "bundle" || !strings.HasPrefix(b.ID, "bundle--") || len(b.Objects) < 2 {
			t.Errorf("GET %s: got type %q id %q with %d objects, want a bundle with the identity and the observable",
				target, b.Type, b.ID, len(b.Objects))
		}
		if got := b.Objects[0]["type"]; got != "identity" {
			t.Errorf("GET %s: first object %v, want identity", target, got)
		}
	}
	w := e.do(t, http.MethodGet, "/api/ip/1.2.3.4?format=STIX", "alice")
	if w.Code != http.StatusBadRequest {
		t.Errorf("format=STIX: got %d, want 400", w.Code)
	}
}

func TestLookupBadSections(t *testing.T) {
	if !reportLands() {
		t.Skip("report.ParseIPSections does not validate yet")
	}
	e := newEnv(t, options{})
	for _, target := range []string{
		"/api/ip/1.2.3.4?sections=Zone,NoSuchSection",
		"/api/ip/1.2.3.4?sections=zone",
		"/api/ip/http://example.com/?sections=IpWhoIs",
	} {
		w := e.do(t, http.MethodGet, target, "alice")
		if w.Code != http.StatusBadRequest {
			t.Fatalf("GET %s: got %d %s, want 400", target, w.Code, w.Body)
		}
		_, msg := errorOf(t, w)
		bad := target[strings.LastIndexAny(target, "=,")+1:]
		if !strings.Contains(msg, bad) || !strings.Contains(msg, "Zone") {
			t.Errorf("GET %s: message %q should name %q and the valid names", target, msg, bad)
		}
	}
}

func TestLookupAuth(t *testing.T) {
	e := newEnv(t, options{})
	ctx := context.Background()
	replaced := e.tokens["alice"]
	fresh, _, err := e.acc.IssueToken(ctx, "alice", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	expiring := &access.Service{Store: e.st, Now: func() time.Time { return now.Add(-2 * time.Hour) }}
	if _, err := expiring.AddUser(ctx, "old", access.License{Access: intel.AccessTrial, DayQuota: 5, APIAccess: true}); err != nil {
		t.Fatal(err)
	}
	expired, _, err := expiring.IssueToken(ctx, "old", time.Hour)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, auth, target string
		status             int
		code               string
	}{
		{"no credentials", "", "/api/ip/1.2.3.4", 401, "unauthenticated"},
		{"no credentials, bad address", "", "/api/ip/nonsense?count=0", 401, "unauthenticated"},
		{"wrong token", "Bearer tipd_wrong", "/api/ip/1.2.3.4", 401, "invalid_token"},
		{"wrong token, bad address", "Bearer tipd_wrong", "/api/ip/1.2.3", 401, "invalid_token"},
		{"empty bearer", "Bearer ", "/api/ip/1.2.3.4", 401, "invalid_token"},
		{"replaced token", "Bearer " + replaced, "/api/ip/1.2.3.4", 401, "invalid_token"},
		{"expired token", "Bearer " + expired, "/api/ip/1.2.3.4", 401, "invalid_token"},
		{"basic", "Basic YWxpY2U6c2VjcmV0", "/api/ip/1.2.3.4", 401, "unauthenticated"},
		{"other scheme", "Token abc", "/api/ip/1.2.3.4", 401, "unauthenticated"},
		{"fresh token", "Bearer " + fresh, "/api/ip/1.2.3.4", 200, ""},
		{"lower-case scheme", "bearer " + fresh, "/api/ip/1.2.3.4", 200, ""},
		{"licence expired", "Bearer " + e.tokens["expired"], "/api/ip/1.2.3.4", 402, "license_expired"},
		{"licence expired, bad address", "Bearer " + e.tokens["expired"], "/api/ip/1.2.3", 400, "invalid_request"},
		{"no API access", "Bearer " + e.tokens["noapi"], "/api/ip/1.2.3.4", 403, "no_api_access"},
		{"no API access, web address", "Bearer " + e.tokens["noapi"], "/api/ip/http://x.example/", 403, "no_api_access"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, tt.target, nil)
			if tt.auth != "" {
				r.Header.Set("Authorization", tt.auth)
			}
			w := httptest.NewRecorder()
			e.h.ServeHTTP(w, r)
			if w.Code != tt.status {
				t.Fatalf("got %d %s, want %d", w.Code, w.Body, tt.status)
			}
			if tt.status == 200 {
				return
			}
			code, _ := errorOf(t, w)
			if code != tt.code {
				t.Errorf("error = %q, want %q", code, tt.code)
			}
			wa := w.Header().Get("WWW-Authenticate")
			if tt.status == 401 && !strings.HasPrefix(wa, `Bearer realm="tipd"`) {
				t.Errorf("WWW-Authenticate = %q, want it to start with Bearer realm=\"tipd\"", wa)
			}
			if tt.status != 401 && wa != "" {
				t.Errorf("WWW-Authenticate = %q on a %d, want none", wa, tt.status)
			}
		})
	}
	for _, u := range []string{"expired", "noapi"} {
		if n, _ := e.st.RequestCount(ctx, u, store.Day(now)); n != 0 {
			t.Errorf("%s: %d requests counted, want 0", u, n)
		}
	}
	if logs := e.logs.String(); strings.Contains(logs, fresh) || strings.Contains(logs, replaced) {
		t.Errorf("a token appears in the logs:\n%s", logs)
	}
}

func TestQuotaConcurrent(t *testing.T) {
	e := newEnv(t, options{})
	const quota = 20 // the trial user's
	var wg sync.WaitGroup
	statuses := make(chan *httptest.ResponseRecorder, quota+1)
	for i := range quota + 1 {
		wg.Go(func() {
			statuses <- e.do(t, http.MethodGet, fmt.Sprintf("/api/ip/10.0.0.%d", i), "trial")
		})
	}
	wg.Wait()
	close(statuses)
	var ok, denied int
	for w := range statuses {
		switch w.Code {
		case http.StatusOK:
			ok++
		case http.StatusForbidden:
			denied++
			code, msg := errorOf(t, w)
			want := "the daily quota of 20 requests is exhausted; it resets at 00:00 UTC (2026-11-29T00:00:00Z)"
			if code != "quota_exceeded" || msg != want {
				t.Errorf("quota answer = %q %q, want quota_exceeded %q", code, msg, want)
			}
		default:
			t.Errorf("unexpected status %d %s", w.Code, w.Body)
		}
	}
	if ok != quota || denied != 1 {
		t.Fatalf("got %d answered and %d denied, want %d and 1", ok, denied, quota)
	}
	// Once exhausted, refused before any work; HEAD is counted like GET.
	if w := e.do(t, http.MethodHead, "/api/ip/1.2.3.4", "trial"); w.Code != http.StatusForbidden || w.Body.Len() != 0 {
		t.Fatalf("HEAD after quota: got %d with %d body bytes, want 403 without body", w.Code, w.Body.Len())
	}
	m := e.do(t, http.MethodGet, "/metrics", "")
	if !strings.Contains(m.Body.String(), "tipd_quota_denials_total 2") {
		t.Errorf("metrics do not show 2 quota denials:\n%s", m.Body)
	}
}

func TestMethods(t *testing.T) {
	e := newEnv(t, options{})
	for _, target := range []string{"/api/ip/1.2.3.4", "/api/ip/http://82.118.16.30/a", "/healthz", "/readyz", "/metrics"} {
		for _, method := range []string{"POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"} {
			w := e.do(t, method, target, "alice")
			if w.Code != http.StatusMethodNotAllowed {
				t.Fatalf("%s %s: got %d, want 405", method, target, w.Code)
			}
			if got := w.Header().Get("Allow"); got != "GET, HEAD" {
				t.Errorf("%s %s: Allow = %q, want \"GET, HEAD\"", method, target, got)
			}
			if code, _ := errorOf(t, w); code != "method_not_allowed" {
				t.Errorf("%s %s: error = %q, want method_not_allowed", method, target, code)
			}
		}
	}
	// A method is refused before credentials are looked at.
	if w := e.do(t, "POST", "/api/ip/1.2.3.4", ""); w.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST without credentials: got %d, want 405", w.Code)
	}
}

func TestHead(t *testing.T) {
	e := newEnv(t, options{})
	for _, target := range []string{"/api/ip/1.2.3.4", "/api/ip/http%3A%2F%2F82.118.16.30%2Fa", "/api/ip/1.2.3", "/healthz", "/nope"} {
		get := e.do(t, http.MethodGet, target, "alice")
		head := e.do(t, http.MethodHead, target, "alice")
		if head.Code != get.Code {
			t.Errorf("HEAD %s: got %d, GET got %d", target, head.Code, get.Code)
		}
		if head.Body.Len() != 0 {
			t.Errorf("HEAD %s: %d body bytes, want none", target, head.Body.Len())
		}
		for _, k := range []string{"Content-Type", "Content-Length", "Cache-Control"} {
			if head.Header().Get(k) != get.Header().Get(k) {
				t.Errorf("HEAD %s: %s = %q, GET has %q", target, k, head.Header().Get(k), get.Header().Get(k))
			}
		}
	}
}

func TestTargetLength(t *testing.T) {
	e := newEnv(t, options{})
	pad := func(prefix string, n int) string { return prefix + strings.Repeat("a", n-len(prefix)) }
	tests := []struct {
		target string
		status int
	}{
		{pad("/api/ip/1.2.3.4?x=", 2000), 200},
		{pad("/api/ip/1.2.3.4?x=", 2001), 414},
		{pad("/api/ip/http://example.com/", 2000), 200},
		{pad("/api/ip/http://example.com/", 2001), 414},
		{pad("/healthz?", 2001), 414},
		{pad("/nope/", 5000), 414},
	}
	for _, tt := range tests {
		w := e.do(t, http.MethodGet, tt.target, "alice")
		if w.Code != tt.status {
			t.Errorf("GET <%d bytes>: got %d %s, want %d", len(tt.target), w.Code, w.Body, tt.status)
		}
		if tt.status == 414 {
			if code, msg := errorOf(t, w); code != "request_too_long" || !strings.Contains(msg, "2000") {
				t.Errorf("414 body = %q %q", code, msg)
			}
		}
	}
	// Too long is answered before credentials are looked at.
	if w := e.do(t, http.MethodGet, pad("/api/ip/1.2.3.4?x=", 2001), ""); w.Code != 414 {
		t.Errorf("long target without credentials: got %d, want 414", w.Code)
	}
}

func TestProbesAndNotFound(t *testing.T) {
	var readyErr error
	var mu sync.Mutex
	e := newEnv(t, options{ready: func(context.Context) error {
		mu.Lock()
		defer mu.Unlock()
		return readyErr
	}})
	if w := e.do(t, http.MethodGet, "/healthz", ""); w.Code != 200 || w.Body.String() != "ok\n" {
		t.Errorf("/healthz: got %d %q, want 200 ok", w.Code, w.Body)
	}
	if w := e.do(t, http.MethodGet, "/readyz", ""); w.Code != 200 {
		t.Errorf("/readyz ready: got %d %s, want 200", w.Code, w.Body)
	}
	mu.Lock()
	readyErr = errors.New("open /secret/path/tipd-data: store unreachable")
	mu.Unlock()
	w := e.do(t, http.MethodGet, "/readyz", "")
	if w.Code != 503 {
		t.Fatalf("/readyz not ready: got %d, want 503", w.Code)
	}
	if code, msg := errorOf(t, w); code != "not_ready" || strings.Contains(msg, "secret") {
		t.Errorf("/readyz body = %q %q: want not_ready without the cause", code, msg)
	}
	if n := strings.Count(e.logs.String(), "store unreachable"); n != 1 {
		t.Errorf("the readiness cause is logged %d times, want once", n)
	}

	for _, target := range []string{"/", "/nope", "/api/ipx/1.2.3.4", "/api/", "/healthz/x"} {
		w := e.do(t, http.MethodGet, target, "alice")
		if w.Code != 404 {
			t.Errorf("GET %s: got %d, want 404", target, w.Code)
			continue
		}
		if code, _ := errorOf(t, w); code != "not_found" {
			t.Errorf("GET %s: error = %q, want not_found", target, code)
		}
	}

	m := e.do(t, http.MethodGet, "/metrics", "")
	for _, want := range []string{
		`tipd_http_requests_total{route="healthz",status="200"} 1`,
		`tipd_http_requests_total{route="readyz",status="503"} 1`,
		`tipd_http_requests_total{route="not_found",status="404"} 5`,
		`tipd_http_request_duration_seconds_bucket{route="healthz",le="+Inf"} 1`,
	} {
		if !strings.Contains(m.Body.String(), want) {
			t.Errorf("metrics lack %s:\n%s", want, m.Body)
		}
	}
}

// failingStore fails token lookups with an internal error.
type failingStore struct{ store.Store }

func (failingStore) TokenByHash(context.Context, string) (intel.Token, error) {
	return intel.Token{}, errors.New("read /var/lib/tipd/000123.sst: checksum mismatch")
}

func TestInternalError(t *testing.T) {
	e := newEnv(t, options{store: failingStore{mem.New()}})
	w := e.do(t, http.MethodGet, "/api/ip/1.2.3.4", "alice")
	if w.Code != 500 {
		t.Fatalf("got %d %s, want 500", w.Code, w.Body)
	}
	code, msg := errorOf(t, w)
	if code != "internal_error" || strings.Contains(msg, "sst") || strings.Contains(w.Body.String(), "/var/lib") {
		t.Errorf("500 body %s leaks the cause or has the wrong code", w.Body)
	}
	if n := strings.Count(e.logs.String(), "checksum mismatch"); n != 1 {
		t.Errorf("the cause is logged %d times, want once:\n%s", n, e.logs)
	}
}

func TestRequestLog(t *testing.T) {
	e := newEnv(t, options{})
	e.do(t, http.MethodGet, "/api/ip/1.2.3.4", "alice")
	var line struct {
		Msg, Method, Route, User string
		Status                   int
		Latency                  *int64
	}
	if err := json.Unmarshal([]byte(strings.TrimSpace(e.logs.String())), &line); err != nil {
		t.Fatalf("want exactly one JSON log line, got %q: %v", e.logs, err)
	}
	if line.Msg != "request" || line.Method != "GET" || line.Route != "ip_lookup" || line.User != "alice" || line.Status != 200 || line.Latency == nil {
		t.Errorf("log line = %+v", line)
	}
}

// rawDo sends target byte for byte over a connection to a real server.
func rawDo(t *testing.T, addr, method, target, token string) *http.Response {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "%s %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nConnection: close\r\n\r\n", method, target, addr, token)
	r := bufio.NewReader(c)
	resp, err := http.ReadResponse(r, &http.Request{Method: method})
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp
}

// TestRealServer checks the raw request forms through net/http's server,
// which must neither clean nor redirect them.
func TestRealServer(t *testing.T) {
	e := newEnv(t, options{})
	srv := httptest.NewServer(e.h)
	defer srv.Close()
	addr := srv.Listener.Addr().String()
	tok := e.tokens["alice"]
	tests := []struct {
		method, target string
		status         int
	}{
		{"GET", "/api/ip/http://82.118.16.30/a", 200},
		{"GET", "/api/ip/http://82.118.16.30//a/./b/../c", 200},
		{"GET", "/api/ip/http%3A%2F%2F82.118.16.30%2Fa", 200},
		{"GET", "/api/ip/https://82.118.16.30/a?count=2", 200},
		{"GET", "http://" + addr + "/api/ip/http://82.118.16.30/a", 200},
		{"GET", "/api/ip/2001:db8::1", 200},
		{"GET", "/api/ip/1.2.3.4", 200},
		{"HEAD", "/api/ip/1.2.3.4", 200},
		{"GET", "/api/ip/1.2.3.4?x=" + strings.Repeat("a", 2000), 414},
		{"POST", "/api/ip/1.2.3.4", 405},
		{"GET", "//healthz", 404},
	}
	for _, tt := range tests {
		resp := rawDo(t, addr, tt.method, tt.target, tok)
		if resp.StatusCode != tt.status {
			body, _ := io.ReadAll(resp.Body)
			t.Errorf("%s %s: got %d %s, want %d", tt.method, tt.target, resp.StatusCode, body, tt.status)
		}
		if loc := resp.Header.Get("Location"); loc != "" {
			t.Errorf("%s %s: redirected to %s", tt.method, tt.target, loc)
		}
		if tt.method == "HEAD" {
			if body, _ := io.ReadAll(resp.Body); len(body) != 0 {
				t.Errorf("HEAD: %d body bytes", len(body))
			}
		}
	}
}

// FuzzRequestTarget throws arbitrary request targets at the handler: every
// answer must be a well-formed non-5xx response.
func FuzzRequestTarget(f *testing.F) {
	for _, s := range []string{
		"/api/ip/1.2.3.4",
		"/api/ip/2001:db8::1?count=5",
		"/api/ip/::ffff:1.2.3.4",
		"/api/ip/fe80::1%25eth0",
		"/api/ip/http://82.118.16.30/a?count=1&sections=Zone",
		"/api/ip/http%3A%2F%2F82.118.16.30%2Fa%3Fx%3D1",
		"/api/ip/http://[::1]:80/%zz",
		"/api/ip/1.2.3.4?format=stix&count=-1",
		"/api/ip/1.2.3.4?sections=Zone,IpWhoIs,zone",
		"/api/ip/%00",
		"/api/url/http://bad.example/p?x=1&count=5&count=1&format=json&sections=LicenseInfo%2CZone",
		"/api/url/http://bad.example/r?next=/a?b=1&count=3",
		"/api/url/bad.example%2Fp%3Fx%3D1?sections=Zone&format=stix",
		"/api/url/ftp://x/?count=%zz",
		"/api/domain/C2.BadCorp.Example.?count=1",
		"/api/domain/b%C3%BCcher.example?sections=IpWhoIs",
		"/api/domain/a..b?format=stix",
		"/api/hash/0f343b0931126a20f133d67c2b018a3b?sections=FileGeneralInfo,DetectionsInfo",
		"/api/hash/0x0f343b0931126a20f133d67c2b018a3b",
		"/api/v1/search/url?request=http://bad.example/p?a=1&b=2",
		"/api/v1/search/domain?request=example.com",
		"/api/v1/search/hash?request=0f343b0931126a20f133d67c2b018a3b",
		"http://host/api/ip/1.2.3.4",
		"/healthz",
		"*",
	} {
		f.Add(s)
	}
	e := newEnv(f, options{})
	auth := "Bearer " + e.tokens["alice"]
	f.Fuzz(func(t *testing.T, target string) {
		raw := "GET " + target + " HTTP/1.1\r\nHost: x\r\nAuthorization: " + auth + "\r\n\r\n"
		r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
		if err != nil {
			return // net/http answers these itself
		}
		w := httptest.NewRecorder()
		e.h.ServeHTTP(w, r)
		if w.Code >= 500 || w.Code < 200 {
			t.Fatalf("GET %q: got %d %s", target, w.Code, w.Body)
		}
		if !json.Valid(w.Body.Bytes()) && w.Header().Get("Content-Type") != "text/plain; charset=utf-8" && !strings.HasPrefix(w.Header().Get("Content-Type"), "text/plain") {
			t.Fatalf("GET %q: body %q is not JSON", target, w.Body)
		}
	})
}

// keysOf decodes a JSON object and returns its keys, sorted.
func keysOf(t *testing.T, b []byte) (map[string]json.RawMessage, []string) {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("body %q: %v", b, err)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return m, keys
}

func TestLookupReportSectionsAndCount(t *testing.T) {
	if !reportLands() {
		t.Skip("package report is not implemented yet")
	}
	e := newEnv(t, options{})
	ip := netip.MustParseAddr("45.95.147.10")
	b := &intel.Batch{}
	for i := range 5 {
		day := now.AddDate(0, 0, -i-1)
		b.HostedURLs = append(b.HostedURLs, intel.HostedURL{
			IP: ip, URL: fmt.Sprintf("45.95.147.10/bins/%d", i), Zone: intel.Zone("Red"),
			Hits: 10, FirstSeen: day, LastSeen: day, Source: intel.Source{Feed: "test"},
		})
	}
	if err := e.st.Apply(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		target string
		keys   []string
		lists  map[string]int // list section -> length
	}{
		{"/api/ip/45.95.147.10?sections=Zone", []string{"Zone"}, nil},
		{"/api/ip/45.95.147.10?sections=HostedUrls,Zone,HostedUrls&count=2", []string{"HostedUrls", "Zone"}, map[string]int{"HostedUrls": 2}},
		{"/api/ip/45.95.147.10?count=3&sections=HostedUrls", []string{"HostedUrls"}, map[string]int{"HostedUrls": 3}},
		{"/api/ip/45.95.147.10?sections=HostedUrls&sections=LicenseInfo&sections=", []string{"HostedUrls", "LicenseInfo"}, map[string]int{"HostedUrls": 5}},
		{"/api/ip/::ffff:45.95.147.10?sections=HostedUrls&count=1", []string{"HostedUrls"}, map[string]int{"HostedUrls": 1}},
		{"/api/ip/127.0.0.1?sections=HostedUrls,Zone", []string{"IpGeneralInfo", "IpWhoIs", "LicenseInfo", "Zone"}, nil},
		{"/api/ip/http://45.95.147.10/bins/0?sections=Zone,UrlGeneralInfo", []string{"UrlGeneralInfo", "Zone"}, nil},
		{"/api/ip/http%3A%2F%2F45.95.147.10%2Fbins%2F0", []string{"DomainDnsResolutions", "FeedMasks", "FilesAccessed", "FilesDownloaded", "Industries",
			"LicenseInfo", "RelatedObjects", "UrlDomainWhoIs", "UrlGeneralInfo", "UrlReferrals", "UrlReferredTo", "Zone"}, nil},
		{"/api/url/45.95.147.10/bins/0?sections=Zone,FilesDownloaded&count=1", []string{"FilesDownloaded", "Zone"}, nil},
	}
	for _, tt := range tests {
		w := e.do(t, http.MethodGet, tt.target, "alice")
		if w.Code != http.StatusOK {
			t.Errorf("GET %s: got %d %s, want 200", tt.target, w.Code, w.Body)
			continue
		}
		m, keys := keysOf(t, w.Body.Bytes())
		if !slices.Equal(keys, tt.keys) {
			t.Errorf("GET %s: sections %v, want %v", tt.target, keys, tt.keys)
		}
		for sec, n := range tt.lists {
			var items []json.RawMessage
			if err := json.Unmarshal(m[sec], &items); err != nil || len(items) != n {
				t.Errorf("GET %s: %s has %d items (%v), want %d", tt.target, sec, len(items), err, n)
			}
		}
	}
}

// BenchmarkLookup measures one authenticated lookup through the handler
// (parsing, authentication, quota counting, one JSON log line) over a mem
// store: "built" with no kept answers (the report built and rendered on
// every request), "kept" with the answer kept from the first request.
func BenchmarkLookup(b *testing.B) {
	for _, target := range []string{
		"/api/ip/45.95.147.10?count=10",
		"/api/ip/http%3A%2F%2F45.95.147.10%2Fbins%2Fx86",
	} {
		for _, mode := range []struct {
			name  string
			cache int64
		}{{"built", -1}, {"kept", 0}} {
			b.Run(mode.name+target, func(b *testing.B) {
				e := newConfiguredEnv(b, httpapi.Config{AnswerCache: mode.cache}, nil)
				auth := "Bearer " + e.tokens["alice"]
				r := httptest.NewRequest(http.MethodGet, target, nil)
				r.Header.Set("Authorization", auth)
				b.ReportAllocs()
				for b.Loop() {
					w := httptest.NewRecorder()
					e.h.ServeHTTP(w, r)
					if w.Code != http.StatusOK {
						b.Fatalf("got %d %s", w.Code, w.Body)
					}
				}
			})
		}
	}
}
