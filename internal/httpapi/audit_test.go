package httpapi_test

import (
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/httpapi"
)

// auditLine is one request log line.
type auditLine struct {
	Time    string
	Msg     string
	User    *string
	Auth    string
	Route   string
	Object  *string
	Status  int
	Latency *int64
}

func auditLines(t *testing.T, logs string) []auditLine {
	t.Helper()
	var lines []auditLine
	for _, s := range strings.Split(strings.TrimSpace(logs), "\n") {
		var l auditLine
		if err := json.Unmarshal([]byte(s), &l); err != nil {
			t.Fatalf("log line %q: %v", s, err)
		}
		lines = append(lines, l)
	}
	return lines
}

func TestAuditLog(t *testing.T) {
	e := newConfiguredEnv(t, httpapi.Config{}, nil)
	tok := e.tokens["alice"]
	long := "/api/ip/" + strings.Repeat("a", 500)
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("alice:"+tok))
	tests := []struct {
		target, authz, key string
		user, auth, route  string
		object             string
		status             int
	}{
		{"/api/ip/1.2.3.4", "Bearer " + tok, "", "alice", "bearer", "ip_lookup", "1.2.3.4", 200},
		{"/api/ip/::ffff:1.2.3.4", "bearer " + tok, "", "alice", "bearer", "ip_lookup", "1.2.3.4", 200},
		{"/api/ip/HTTP://Example.COM:80/a/../b#f", "Bearer " + tok, "", "alice", "bearer", "ip_lookup", "example.com/b", 200},
		{"/api/v1/search/url?request=" + "Example.com%2Fx", "", tok, "alice", "x-api-key", "search_url", "example.com/x", 404},
		{"/api/v1/search/ip?request=1.2.3.4", "", tok, "alice", "x-api-key", "search_ip", "1.2.3.4", 200},
		{"/api/domain/Example.COM.", "Bearer " + tok, "", "alice", "bearer", "domain_lookup", "example.com", 200},
		{"/api/url/Example.com%2Fx", "Bearer " + tok, "", "alice", "bearer", "url_lookup", "example.com/x", 200},
		{"/api/hash/" + strings.Repeat("ab", 16), "Bearer " + tok, "", "alice", "bearer", "hash_lookup", strings.Repeat("AB", 16), 200},
		{"/api/v1/search/domain?request=unknown.example", "", tok, "alice", "x-api-key", "search_domain", "unknown.example", 404},
		{"/api/v1/search/hash?request=" + strings.Repeat("ab", 20), "", tok, "alice", "x-api-key", "search_hash", strings.Repeat("AB", 20), 404},
		{"/api/domain/a..b", "Bearer " + tok, "", "alice", "bearer", "domain_lookup", "a..b", 400},
		{"/api/ip/1.2.3.4", "", "", "", "none", "ip_lookup", "1.2.3.4", 401},
		{"/api/ip/1.2.3.4", "Bearer " + tok + "x", "", "", "bearer", "ip_lookup", "1.2.3.4", 401},
		{"/api/ip/1.2.3.4", basic, "", "", "basic+cert", "ip_lookup", "1.2.3.4", 401},
		{"/api/ip/no%20address", "Bearer " + tok, "", "alice", "bearer", "ip_lookup", "no%20address", 400},
		{long, "Bearer " + tok, "", "alice", "bearer", "ip_lookup", strings.Repeat("a", 200), 400},
		{"/api/v1/search/ip?request=" + strings.Repeat("b", 300), "", tok, "alice", "x-api-key", "search_ip", strings.Repeat("b", 200), 400},
		{"/healthz", "", "", "", "none", "healthz", "", 200},
		{"/nowhere", "Bearer " + tok, "", "", "bearer", "not_found", "", 404},
		{"/api/publications/get_one?publication_id=x", "Bearer " + tok, "", "alice", "bearer", "publication_one", "", 404},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(http.MethodGet, tt.target, nil)
		if tt.authz != "" {
			r.Header.Set("Authorization", tt.authz)
		}
		if tt.key != "" {
			r.Header.Set("x-api-key", tt.key)
		}
		w := httptest.NewRecorder()
		e.h.ServeHTTP(w, r)
		if w.Code != tt.status {
			t.Errorf("GET %.60s: got %d %s, want %d", tt.target, w.Code, w.Body, tt.status)
		}
	}
	logs := e.logs.String()
	lines := auditLines(t, logs)
	if len(lines) != len(tests) {
		t.Fatalf("%d log lines for %d requests:\n%s", len(lines), len(tests), logs)
	}
	for i, tt := range tests {
		l := lines[i]
		if _, err := time.Parse(time.RFC3339Nano, l.Time); err != nil {
			t.Errorf("line %d: time %q: %v", i, l.Time, err)
		}
		if l.Msg != "request" || l.User == nil || *l.User != tt.user || l.Auth != tt.auth || l.Route != tt.route ||
			l.Object == nil || *l.Object != tt.object || l.Status != tt.status || l.Latency == nil {
			t.Errorf("GET %.60s: log line %+v, want user %q auth %q route %q object %q status %d",
				tt.target, l, tt.user, tt.auth, tt.route, tt.object, tt.status)
		}
	}
	secret := strings.TrimPrefix(tok, "tipd_")
	if strings.Contains(logs, secret) || strings.Contains(logs, tok[:20]) || strings.Contains(logs, basic[6:]) {
		t.Errorf("credentials appear in the log:\n%s", logs)
	}
}

func TestSecurityHeaders(t *testing.T) {
	targets := []struct {
		target string
		status int
	}{
		{"/api/ip/1.2.3.4", 200},
		{"/api/ip/1.2.3.4", 429},
		{"/api/v1/search/ip?request=1.2.3.4", 429},
		{"/api/ip/x", 429},
		{"/healthz", 200},
		{"/nowhere", 404},
		{"/api/ip/" + strings.Repeat("1", 2100), 414},
	}
	for _, overTLS := range []bool{false, true} {
		e := newConfiguredEnv(t, httpapi.Config{RatePerSecond: 1, Burst: 1}, func() time.Time { return now })
		tok := e.tokens["alice"]
		for _, tt := range targets {
			r := httptest.NewRequest(http.MethodGet, tt.target, nil)
			r.Header.Set("Authorization", "Bearer "+tok)
			if overTLS {
				r.TLS = &tls.ConnectionState{}
			}
			w := httptest.NewRecorder()
			e.h.ServeHTTP(w, r)
			if w.Code != tt.status {
				t.Errorf("GET %.40s: got %d %s, want %d", tt.target, w.Code, w.Body, tt.status)
			}
			h := w.Header()
			if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Cache-Control") != "no-store" {
				t.Errorf("GET %.40s: X-Content-Type-Options %q, Cache-Control %q", tt.target, h.Get("X-Content-Type-Options"), h.Get("Cache-Control"))
			}
			wantHSTS := ""
			if overTLS {
				wantHSTS = "max-age=31536000"
			}
			if got := h.Get("Strict-Transport-Security"); got != wantHSTS {
				t.Errorf("GET %.40s over TLS %v: Strict-Transport-Security %q, want %q", tt.target, overTLS, got, wantHSTS)
			}
			if tt.status == 429 && h.Get("Retry-After") == "" {
				t.Errorf("GET %.40s: 429 without Retry-After", tt.target)
			}
		}
	}
}

// TestRequestBodyBounded: a body larger than the handlers accept is not
// read past the bound.
func TestRequestBodyBounded(t *testing.T) {
	e := newConfiguredEnv(t, httpapi.Config{}, nil)
	body := strings.NewReader("publication_id=" + strings.Repeat("x", 1<<20))
	r := httptest.NewRequest(http.MethodPost, "/api/publications/get_one", body)
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Authorization", "Bearer "+e.tokens["alice"])
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	if w.Code != http.StatusBadRequest {
		t.Errorf("1 MiB body: got %d %s, want 400", w.Code, w.Body)
	}
	if rest := body.Len(); rest < 1<<19 {
		t.Errorf("only %d bytes left unread", rest)
	}
}
