package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"slices"
	"strings"
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

// searchKeys are the keys a search answer may hold (docs/api.md,
// "OpenTIP-style endpoints").
var searchKeys = map[string][]string{
	"ip":     {"IpGeneralInfo", "IpWhoIs", "Zone"},
	"url":    {"UrlDomainWhoIs", "UrlGeneralInfo", "Zone"},
	"domain": {"DomainGeneralInfo", "DomainWhoIsInfo", "Zone"},
	"hash":   {"DetectionsInfo", "FileGeneralInfo", "Zone"},
}

// checkSearchAnswer checks a search answer against the path form's answer
// of the same object: 200, JSON, the search's keys only (Zone always, no
// LicenseInfo), the same zone and the same object named in general.
func checkSearchAnswer(t *testing.T, what, kind string, search, path *httptest.ResponseRecorder, general, field string) {
	t.Helper()
	if search.Code != http.StatusOK {
		t.Fatalf("%s: got %d %s, want 200", what, search.Code, search.Body)
	}
	if ct := search.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("%s: Content-Type %q", what, ct)
	}
	m, keys := keysOf(t, search.Body.Bytes())
	if _, ok := m["Zone"]; !ok {
		t.Errorf("%s: no Zone in %s", what, search.Body)
	}
	for _, k := range keys {
		if !slices.Contains(searchKeys[kind], k) {
			t.Errorf("%s: key %s, want only %v", what, k, searchKeys[kind])
		}
	}
	pm, _ := keysOf(t, path.Body.Bytes())
	if string(m["Zone"]) != string(pm["Zone"]) {
		t.Errorf("%s: Zone %s, the path form says %s", what, m["Zone"], pm["Zone"])
	}
	var got, want map[string]any
	json.Unmarshal(m[general], &got)   //nolint:errcheck // compared below
	json.Unmarshal(pm[general], &want) //nolint:errcheck
	if got[field] == nil || got[field] != want[field] {
		t.Errorf("%s: %s.%s = %v, the path form says %v", what, general, field, got[field], want[field])
	}
}

// TestSearchAnswers: the OpenTIP-style endpoints answer the subset of the
// path form's report that the real service sends, without LicenseInfo,
// and count one request each; pasted and encoded web addresses reach the
// same address.
func TestSearchAnswers(t *testing.T) {
	e := newConfiguredEnv(t, httpapi.Config{}, nil)
	seedHosted(t, e)
	tests := []struct{ path, search, kind, general, field string }{
		{"/api/ip/45.95.147.10", "/api/v1/search/ip?request=45.95.147.10", "ip", "IpGeneralInfo", "Ip"},
		{"/api/ip/2001:db8::1", "/api/v1/search/ip?request=2001%3Adb8%3A%3A1", "ip", "IpGeneralInfo", "Ip"},
		{"/api/ip/::ffff:45.95.147.10", "/api/v1/search/ip?request=::ffff:45.95.147.10", "ip", "IpGeneralInfo", "Ip"},
		{"/api/url/http://45.95.147.10/bins/0", "/api/v1/search/url?request=" + url.QueryEscape("http://45.95.147.10/bins/0"), "url", "UrlGeneralInfo", "Url"},
		{"/api/url/45.95.147.10%2Fbins%2F1", "/api/v1/search/url?request=45.95.147.10/bins/1", "url", "UrlGeneralInfo", "Url"},
		{"/api/ip/http://45.95.147.10/bins/2", "/api/v1/search/url?request=HTTP:%5C%5C45.95.147.10%5Cbins%5C2", "url", "UrlGeneralInfo", "Url"},
		{"/api/url/http://45.95.147.10/bins/2", "/api/v1/search/url?x=1&request=45.95.147.10/bins/2", "url", "UrlGeneralInfo", "Url"},
	}
	for _, tt := range tests {
		path := e.do(t, http.MethodGet, tt.path, "alice")
		if path.Code != http.StatusOK {
			t.Fatalf("GET %s: got %d %s", tt.path, path.Code, path.Body)
		}
		n := e.dayCount(t, "alice")
		search := e.doKey(t, tt.search, e.tokens["alice"])
		checkSearchAnswer(t, "GET "+tt.search, tt.kind, search, path, tt.general, tt.field)
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

// TestSearchNoData: a search for an object the store knows nothing about
// is a 404 no_data, counted; pasted and encoded forms of one web address
// are the same address.
func TestSearchNoData(t *testing.T) {
	e := newConfiguredEnv(t, httpapi.Config{}, nil)
	for _, target := range []string{
		"/api/v1/search/url?request=http://unknown.example/p?a=1&b=2",
		"/api/v1/search/url?request=" + url.QueryEscape("http://unknown.example/p?a=1&b=2"),
		"/api/v1/search/url?request=unknown.example%2Fp%3Fa%3D1%26b%3D2",
	} {
		n := e.dayCount(t, "alice")
		w := e.doKey(t, target, e.tokens["alice"])
		if w.Code != http.StatusNotFound {
			t.Fatalf("GET %s: got %d %s, want 404", target, w.Code, w.Body)
		}
		code, msg := errorOf(t, w)
		if code != "no_data" || !strings.Contains(msg, `"unknown.example/p?a=1&b=2"`) {
			t.Errorf("GET %s: got %s %q, want no_data naming unknown.example/p?a=1&b=2", target, code, msg)
		}
		if got := e.dayCount(t, "alice"); got != n+1 {
			t.Errorf("GET %s: day count %d, want %d (counted once)", target, got, n+1)
		}
		if h := e.do(t, http.MethodHead, target, "alice"); h.Code != http.StatusNotFound || h.Body.Len() != 0 {
			t.Errorf("HEAD %s: got %d with %d body bytes, want 404 without body", target, h.Code, h.Body.Len())
		}
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
		{"other path", "/api/v1/search/file?request=abc", key, 404, "not_found"},
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

	// The same quota: trial has 20 a day, which searches for unknown
	// objects use up too.
	for i := range 20 {
		target, status := "/api/v1/search/url?request=example.com", http.StatusNotFound
		if i%2 == 1 {
			target, status = "/api/ip/1.2.3.4", http.StatusOK
		}
		if w := e.doKey(t, target, key); w.Code != status {
			t.Fatalf("request %d: got %d %s, want %d", i+1, w.Code, w.Body, status)
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
