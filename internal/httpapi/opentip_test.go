package httpapi_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"testing"

	"github.com/tipd/tipd/internal/httpapi"
	"github.com/tipd/tipd/internal/intel"
)

// doKey sends one request authenticated by x-api-key only.
func (e *env) doKey(t testing.TB, target, key string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, target, nil)
	if key != "" {
		r.Header.Set("x-api-key", key)
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	return w
}

// seedHosted stores a few hosted web addresses of 45.95.147.10.
func seedHosted(t *testing.T, e *env) {
	t.Helper()
	ip := netip.MustParseAddr("45.95.147.10")
	b := &intel.Batch{}
	for i := range 3 {
		day := now.AddDate(0, 0, -i-1)
		b.HostedURLs = append(b.HostedURLs, intel.HostedURL{
			IP: ip, URL: fmt.Sprintf("45.95.147.10/bins/%d", i), Zone: intel.Zone("Red"),
			Hits: 10, FirstSeen: day, LastSeen: day, Source: intel.Source{Feed: "test"},
		})
	}
	if err := e.st.Apply(context.Background(), b); err != nil {
		t.Fatal(err)
	}
}

// TestSearchSameBody: the OpenTIP-style endpoints answer byte for byte what
// /api/ip answers without parameters, apart from the day's request count,
// which each answer raises by one.
func TestSearchSameBody(t *testing.T) {
	e := newConfiguredEnv(t, httpapi.Config{}, nil)
	seedHosted(t, e)
	tests := []struct{ tip, search string }{
		{"/api/ip/45.95.147.10", "/api/v1/search/ip?request=45.95.147.10"},
		{"/api/ip/2001:db8::1", "/api/v1/search/ip?request=2001%3Adb8%3A%3A1"},
		{"/api/ip/::ffff:45.95.147.10", "/api/v1/search/ip?request=::ffff:45.95.147.10"},
		{"/api/ip/http://45.95.147.10/bins/0", "/api/v1/search/url?request=" + url.QueryEscape("http://45.95.147.10/bins/0")},
		{"/api/ip/http://45.95.147.10/bins/1", "/api/v1/search/url?request=45.95.147.10/bins/1"},
		{"/api/ip/" + url.PathEscape("https://Example.COM/a?b=1"), "/api/v1/search/url?request=" + url.QueryEscape("https://Example.COM/a?b=1")},
		// Read as a browser reads them: the host is c2-0.badcorp.example.
		{"/api/ip/http://c2-0.badcorp.example%5C@example.org/x", "/api/v1/search/url?request=" + url.QueryEscape(`http:\\c2-0.badcorp.example\@example.org/x`)},
		{"/api/ip/http://c2-0.badcorp.example%5C@example.org/x", "/api/v1/search/url?request=" + url.QueryEscape(`HTTP:/c2-0.badcorp.example\@example.org/x`)},
		{"/api/ip/http://c2-0.badcorp.example%5C@example.org/x", "/api/v1/search/url?request=" + url.QueryEscape(`c2-0.badcorp.example\@example.org/x`)},
		{"/api/ip/https://0x7f.1/y", "/api/v1/search/url?request=" + url.QueryEscape(`https:\\127.0.0.1\y`)},
	}
	for _, tt := range tests {
		tip := e.do(t, http.MethodGet, tt.tip, "alice")
		if tip.Code != http.StatusOK {
			t.Fatalf("GET %s: got %d %s", tt.tip, tip.Code, tip.Body)
		}
		n := e.dayCount(t, "alice")
		search := e.doKey(t, tt.search, e.tokens["alice"])
		if search.Code != http.StatusOK {
			t.Fatalf("GET %s: got %d %s", tt.search, search.Code, search.Body)
		}
		want := bytes.Replace(tip.Body.Bytes(), fmt.Appendf(nil, `"DayRequests":%d`, n), fmt.Appendf(nil, `"DayRequests":%d`, n+1), 1)
		if !bytes.Equal(search.Body.Bytes(), want) {
			t.Errorf("GET %s:\n got %s\nwant %s", tt.search, search.Body, want)
		}
		if ct := search.Header().Get("Content-Type"); ct != tip.Header().Get("Content-Type") {
			t.Errorf("GET %s: Content-Type %q", tt.search, ct)
		}
		if got := e.dayCount(t, "alice"); got != n+1 {
			t.Errorf("GET %s: day count %d, want %d", tt.search, got, n+1)
		}
	}
	// The search endpoints take a Bearer token too.
	if w := e.do(t, http.MethodGet, "/api/v1/search/ip?request=1.2.3.4", "alice"); w.Code != http.StatusOK {
		t.Errorf("Bearer on search: got %d %s", w.Code, w.Body)
	}
	// And /api/ip takes x-api-key.
	if w := e.doKey(t, "/api/ip/1.2.3.4", e.tokens["alice"]); w.Code != http.StatusOK {
		t.Errorf("x-api-key on /api/ip: got %d %s", w.Code, w.Body)
	}
}

func TestSearchErrors(t *testing.T) {
	e := newConfiguredEnv(t, httpapi.Config{}, nil)
	key := e.tokens["trial"]
	tests := []struct {
		name, target, key string
		status            int
		code              string
	}{
		{"no credentials", "/api/v1/search/ip?request=1.2.3.4", "", 401, "unauthenticated"},
		{"no credentials, bad request", "/api/v1/search/ip?request=nonsense", "", 401, "unauthenticated"},
		{"wrong key", "/api/v1/search/ip?request=1.2.3.4", "tipd_wrong", 401, "invalid_token"},
		{"no request", "/api/v1/search/ip", key, 400, "invalid_request"},
		{"empty request", "/api/v1/search/ip?request=", key, 400, "invalid_request"},
		{"request twice", "/api/v1/search/ip?request=1.2.3.4&request=1.2.3.5", key, 400, "invalid_request"},
		{"not an address", "/api/v1/search/ip?request=nonsense", key, 400, "invalid_request"},
		{"web address on ip", "/api/v1/search/ip?request=http%3A%2F%2Fexample.com", key, 400, "invalid_request"},
		{"zone", "/api/v1/search/ip?request=fe80::1%25eth0", key, 400, "invalid_request"},
		{"bad query", "/api/v1/search/ip?request=%zz", key, 400, "invalid_request"},
		{"ftp", "/api/v1/search/url?request=ftp%3A%2F%2Fexample.com", key, 400, "invalid_request"},
		{"no url", "/api/v1/search/url?request=", key, 400, "invalid_request"},
		{"other path", "/api/v1/search/hash?request=abc", key, 404, "not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := e.doKey(t, tt.target, tt.key)
			if w.Code != tt.status {
				t.Fatalf("got %d %s, want %d", w.Code, w.Body, tt.status)
			}
			if code, _ := errorOf(t, w); code != tt.code {
				t.Errorf("code = %q, want %q", code, tt.code)
			}
			if tt.status == 401 && w.Header().Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
	if n := e.dayCount(t, "trial"); n != 0 {
		t.Errorf("refused requests counted: %d", n)
	}

	// Authorization wins over x-api-key: a wrong Bearer token is 401 even
	// next to a valid key.
	r := httptest.NewRequest(http.MethodGet, "/api/v1/search/ip?request=1.2.3.4", nil)
	r.Header.Set("Authorization", "Bearer tipd_wrong")
	r.Header.Set("x-api-key", key)
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	if w.Code != http.StatusUnauthorized {
		t.Errorf("wrong Bearer with a valid key: got %d, want 401", w.Code)
	}

	// The same quota: trial has 20 a day.
	for i := range 20 {
		if w := e.doKey(t, "/api/v1/search/url?request=example.com", key); w.Code != http.StatusOK {
			t.Fatalf("request %d: got %d %s", i+1, w.Code, w.Body)
		}
	}
	w = e.doKey(t, "/api/v1/search/ip?request=1.2.3.4", key)
	if code, _ := errorOf(t, w); w.Code != http.StatusForbidden || code != "quota_exceeded" {
		t.Errorf("over the quota: got %d %s, want 403 quota_exceeded", w.Code, code)
	}
	if w := e.doKey(t, "/api/v1/search/ip?request=1.2.3.4", ""); w.Code != http.StatusUnauthorized {
		t.Errorf("no key over the quota: got %d, want 401", w.Code)
	}
}
