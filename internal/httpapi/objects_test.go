package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/tipd/tipd/internal/httpapi"
	"github.com/tipd/tipd/internal/intel"
)

// Objects of the domain, web-address and file tests.
const (
	testDomain = "c2.badcorp.example"
	testMD5    = "0F343B0931126A20F133D67C2B018A3B"
	testSHA1   = "B39998BA612FC7CFCD924E43CB11C2AEF68C55A8"
	testSHA256 = "32BF9BFA0E40FE005F9B4AE4D242D65191C6847282E5BCB2C95D8C1892E91771"
)

// seedObjects stores a listed domain name and a listed file with its three
// hashes.
func seedObjects(t *testing.T, e *env) {
	t.Helper()
	src := intel.Source{Feed: "test"}
	day := now.AddDate(0, 0, -2)
	b := &intel.Batch{
		ObjectInfos: []intel.ObjectInfo{
			{Kind: intel.ObjectHost, Key: testDomain, Hits: 10, FirstSeen: day, LastSeen: day, Source: src},
			{Kind: intel.ObjectFile, Key: testSHA256, Hits: 37, FirstSeen: day, LastSeen: day, Size: 65536, Type: "elf.32.le", Source: src},
		},
		ObjectListings: []intel.ObjectListing{
			{Kind: intel.ObjectHost, Key: testDomain, Category: intel.CatBotnetCNC, Feed: "test", FirstSeen: day, LastSeen: day, Source: src},
			{Kind: intel.ObjectFile, Key: testSHA256, Category: intel.CatMalware, Feed: "test", FirstSeen: day, LastSeen: day, Source: src},
		},
		FileHashes: []intel.FileHashes{{MD5: testMD5, SHA1: testSHA1, SHA256: testSHA256, Source: src}},
	}
	if err := e.st.Apply(context.Background(), b); err != nil {
		t.Fatal(err)
	}
}

// Sections of each lookup, sorted.
var (
	urlSections    = []string{"DomainDnsResolutions", "FeedMasks", "FilesAccessed", "FilesDownloaded", "Industries", "LicenseInfo", "RelatedObjects", "UrlDomainWhoIs", "UrlGeneralInfo", "UrlReferrals", "UrlReferredTo", "Zone"}
	domainSections = []string{"DomainDnsResolutions", "DomainGeneralInfo", "DomainWhoIsInfo", "FeedMasks", "FilesAccessed", "FilesDownloaded", "Industries", "LicenseInfo", "RelatedObjects", "Subdomains", "UrlReferrals", "UrlReferredTo", "Zone"}
	fileSections   = []string{"DetectionsInfo", "FileAccessedUrls", "FileCertificates", "FileDownloadedBy", "FileDownloadedFromUrls", "FileDownloadedObjects", "FileGeneralInfo", "FileNames", "FileParentCertificates", "FilePaths", "FileStartedBy", "FileStartedObjects", "Industries", "LicenseInfo", "RelatedObjects", "Zone"}
)

// TestObjectLookups: the path forms answer 200 with the sections asked
// for (all by default), LicenseInfo counting one request each; unknown
// objects too, Grey; the three hashes of a file alike.
func TestObjectLookups(t *testing.T) {
	e := newConfiguredEnv(t, httpapi.Config{}, nil)
	seedObjects(t, e)
	tests := []struct {
		target  string
		keys    []string
		general string // the general-info section and its object field
		field   string
		value   string
	}{
		{"/api/domain/C2.BadCorp.Example.", domainSections, "DomainGeneralInfo", "Domain", testDomain},
		{"/api/domain/example.com", domainSections, "DomainGeneralInfo", "Domain", "example.com"},
		{"/api/domain/b%C3%BCcher.example?sections=Zone,DomainGeneralInfo", []string{"DomainGeneralInfo", "Zone"}, "DomainGeneralInfo", "Domain", "xn--bcher-kva.example"},
		{"/api/domain/_dmarc.example.com?sections=Zone,LicenseInfo", []string{"LicenseInfo", "Zone"}, "", "", ""},
		{"/api/hash/" + strings.ToLower(testMD5), fileSections, "FileGeneralInfo", "Sha256", testSHA256},
		{"/api/hash/" + testSHA1 + "?count=1", fileSections, "FileGeneralInfo", "Md5", testMD5},
		{"/api/hash/" + testSHA256 + "?sections=Zone,FileGeneralInfo,DetectionsInfo", []string{"DetectionsInfo", "FileGeneralInfo", "Zone"}, "FileGeneralInfo", "Sha1", testSHA1},
		{"/api/hash/" + strings.Repeat("ab", 32), fileSections, "FileGeneralInfo", "Sha256", strings.Repeat("AB", 32)},
		{"/api/url/http://" + testDomain + "/bins/x86", urlSections, "UrlGeneralInfo", "Url", testDomain + "/bins/x86"},
		{"/api/url/" + testDomain + "%2Fbins%2Fx86%3Fid%3D7?count=5", urlSections, "UrlGeneralInfo", "Url", testDomain + "/bins/x86?id=7"},
		{"/api/ip/http://" + testDomain + "/bins/x86?a=1&count=2", urlSections, "UrlGeneralInfo", "Url", testDomain + "/bins/x86?a=1"},
	}
	for i, tt := range tests {
		w := e.do(t, http.MethodGet, tt.target, "alice")
		if w.Code != http.StatusOK {
			t.Errorf("GET %s: got %d %s, want 200", tt.target, w.Code, w.Body)
			continue
		}
		if ct := w.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
			t.Errorf("GET %s: Content-Type %q", tt.target, ct)
		}
		m, keys := keysOf(t, w.Body.Bytes())
		if !slices.Equal(keys, tt.keys) {
			t.Errorf("GET %s:\n got sections %v\nwant %v", tt.target, keys, tt.keys)
		}
		if lic, ok := m["LicenseInfo"]; ok {
			var li struct{ DayRequests int64 }
			if err := json.Unmarshal(lic, &li); err != nil || li.DayRequests != int64(i+1) {
				t.Errorf("GET %s: LicenseInfo %s, want DayRequests %d", tt.target, lic, i+1)
			}
		}
		if tt.general != "" {
			var g map[string]any
			if err := json.Unmarshal(m[tt.general], &g); err != nil || g[tt.field] != tt.value {
				t.Errorf("GET %s: %s.%s = %v (%v), want %q", tt.target, tt.general, tt.field, g[tt.field], err, tt.value)
			}
		}
		if got := e.dayCount(t, "alice"); got != int64(i+1) {
			t.Errorf("GET %s: day count %d, want %d", tt.target, got, i+1)
		}
	}

	// The three hashes of a file answer alike, bar DayRequests.
	var bodies []string
	for _, h := range []string{testMD5, testSHA1, strings.ToLower(testSHA256)} {
		w := e.do(t, http.MethodGet, "/api/hash/"+h+"?sections=Zone,RelatedObjects,FileGeneralInfo,DetectionsInfo,FileNames", "alice")
		bodies = append(bodies, w.Body.String())
	}
	if bodies[0] != bodies[1] || bodies[1] != bodies[2] {
		t.Errorf("the three hashes answer differently:\n%s\n%s\n%s", bodies[0], bodies[1], bodies[2])
	}
}

// TestObjectLookupErrors: malformed requests are JSON 400s with the
// contract's codes, counted nowhere.
func TestObjectLookupErrors(t *testing.T) {
	e := newConfiguredEnv(t, httpapi.Config{}, nil)
	md5 := strings.ToLower(testMD5)
	tests := []struct {
		target string
		code   string
		msg    []string
	}{
		{"/api/domain/", "invalid_request", []string{"/api/domain/<domain name>"}},
		{"/api/domain", "invalid_request", []string{"/api/domain/"}},
		{"/api/domain/a..example", "invalid_request", []string{`"a..example"`}},
		{"/api/domain/" + strings.Repeat("a", 64) + ".example", "invalid_request", []string{strings.Repeat("a", 64)}},
		{"/api/domain/" + strings.Repeat("abcdefghi.", 26) + "example", "invalid_request", []string{"abcdefghi"}},
		{"/api/domain/example.com..", "invalid_request", []string{`"example.com.."`}},
		{"/api/domain/1.2.3.4", "invalid_request", []string{"/api/ip/"}},
		{"/api/domain/http://example.com/", "invalid_request", []string{"/api/url/"}},
		{"/api/domain/example.com?sections=IpWhoIs", "invalid_sections", []string{`"IpWhoIs"`, "DomainGeneralInfo, DomainWhoIsInfo"}},
		{"/api/domain/example.com?sections=UrlGeneralInfo", "invalid_sections", []string{"Subdomains"}},
		{"/api/domain/example.com?count=0", "invalid_request", []string{`"0"`}},
		{"/api/hash/", "invalid_request", []string{"/api/hash/<MD5, SHA-1 or SHA-256>"}},
		{"/api/hash/" + md5[:31], "invalid_request", []string{md5[:31]}},
		{"/api/hash/" + md5 + "00", "invalid_request", []string{md5}},
		{"/api/hash/0x" + md5, "invalid_request", []string{"0x"}},
		{"/api/hash/" + md5 + "/", "invalid_request", []string{md5 + "/"}},
		{"/api/hash/" + md5[:31] + "z", "invalid_request", []string{"hexadecimal"}},
		{"/api/hash/" + md5 + "?sections=DomainGeneralInfo", "invalid_sections", []string{`"DomainGeneralInfo"`, "FileGeneralInfo, DetectionsInfo"}},
		{"/api/url/", "invalid_request", []string{"/api/url/<web address>"}},
		{"/api/url", "invalid_request", []string{"/api/url/"}},
		{"/api/url/ftp://bad.example/x", "invalid_request", []string{"http and https"}},
		{"/api/url/http://bad.example/p?count=0", "invalid_request", []string{`"0"`}},
		{"/api/url/bad.example?count=1&count=2", "invalid_request", []string{"2 times"}},
		{"/api/url/http://bad.example/p?sections=IpWhoIs", "invalid_sections", []string{`"IpWhoIs"`, "UrlGeneralInfo, UrlDomainWhoIs"}},
		{"/api/url/http://bad.example/p?sections=Subdomains", "invalid_sections", []string{`"Subdomains"`}},
	}
	for _, tt := range tests {
		w := e.do(t, http.MethodGet, tt.target, "alice")
		if w.Code != http.StatusBadRequest {
			t.Errorf("GET %s: got %d %s, want 400", tt.target, w.Code, w.Body)
			continue
		}
		code, msg := errorOf(t, w)
		if code != tt.code {
			t.Errorf("GET %s: error %q (%s), want %q", tt.target, code, msg, tt.code)
		}
		for _, s := range tt.msg {
			if !strings.Contains(msg, s) {
				t.Errorf("GET %s: message %q does not contain %q", tt.target, msg, s)
			}
		}
	}
	if n := e.dayCount(t, "alice"); n != 0 {
		t.Errorf("day count %d after malformed requests, want 0", n)
	}
}

// TestURLRawSplit: the rows of the contract's table, through a real
// server, and their encoded forms reach the same address.
func TestURLRawSplit(t *testing.T) {
	e := newConfiguredEnv(t, httpapi.Config{}, nil)
	srv := httptest.NewServer(e.h)
	defer srv.Close()
	addr := srv.Listener.Addr().String()
	tests := []struct {
		target string
		object string
		keys   []string
	}{
		{"/api/url/http://bad.example/p?x=1&count=5&count=1&format=json&sections=LicenseInfo%2CZone", "bad.example/p?x=1&count=5", []string{"LicenseInfo", "Zone"}},
		{"/api/url/http://bad.example/p?a=1?sections=Zone", "bad.example/p?a=1", []string{"Zone"}},
		{"/api/url/http://bad.example/r?next=/a?b=1&count=3", "bad.example/r?next=/a?b=1", urlSections},
		{"/api/url/bad.example%2Fp%3Fx%3D1?sections=Zone", "bad.example/p?x=1", []string{"Zone"}},
		{"/api/ip/http://bad.example/p?x=1&count=5&count=1&format=json&sections=LicenseInfo%2CZone", "bad.example/p?x=1&count=5", []string{"LicenseInfo", "Zone"}},
		{"/api/ip/http://bad.example/r?next=/a?b=1&count=3", "bad.example/r?next=/a?b=1", urlSections},
		{"/api/url/bad.example%2Fp%3Fx%3D1%26count%3D5?sections=UrlGeneralInfo", "bad.example/p?x=1&count=5", []string{"UrlGeneralInfo"}},
	}
	for _, tt := range tests {
		resp := rawDo(t, addr, http.MethodGet, tt.target, e.tokens["alice"])
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: got %d %s, want 200", tt.target, resp.StatusCode, body)
			continue
		}
		m, keys := keysOf(t, body)
		if !slices.Equal(keys, tt.keys) {
			t.Errorf("GET %s: sections %v, want %v", tt.target, keys, tt.keys)
		}
		if g, ok := m["UrlGeneralInfo"]; ok {
			var u struct{ Url string }
			if err := json.Unmarshal(g, &u); err != nil || u.Url != tt.object {
				t.Errorf("GET %s: UrlGeneralInfo.Url %q, want %q", tt.target, u.Url, tt.object)
			}
		}
		lines := auditLines(t, e.logs.String())
		if l := lines[len(lines)-1]; l.Object == nil || *l.Object != tt.object {
			t.Errorf("GET %s: looked up %v, want %q", tt.target, l.Object, tt.object)
		}
	}
}

// TestObjectSearch: the search forms of domains and files answer the
// real service's subsets, without LicenseInfo, and 404 no_data for
// unknown objects; every answer counts once.
func TestObjectSearch(t *testing.T) {
	e := newConfiguredEnv(t, httpapi.Config{}, nil)
	seedObjects(t, e)
	key := e.tokens["alice"]
	tests := []struct {
		search, path, kind, general, field string
	}{
		{"/api/v1/search/domain?request=C2.BadCorp.Example.", "/api/domain/" + testDomain, "domain", "DomainGeneralInfo", "Domain"},
		{"/api/v1/search/hash?request=" + strings.ToLower(testMD5), "/api/hash/" + testMD5, "hash", "FileGeneralInfo", "Md5"},
		{"/api/v1/search/hash?request=" + testSHA1, "/api/hash/" + testSHA1, "hash", "FileGeneralInfo", "Sha256"},
	}
	for _, tt := range tests {
		path := e.do(t, http.MethodGet, tt.path, "alice")
		n := e.dayCount(t, "alice")
		search := e.doKey(t, tt.search, key)
		checkSearchAnswer(t, "GET "+tt.search, tt.kind, search, path, tt.general, tt.field)
		if got := e.dayCount(t, "alice"); got != n+1 {
			t.Errorf("GET %s: day count %d, want %d", tt.search, got, n+1)
		}
	}

	for _, tt := range []struct{ target, object string }{
		{"/api/v1/search/domain?request=unknown.example", "unknown.example"},
		{"/api/v1/search/domain?request=example.com&count=0&format=stix", "example.com"},
		{"/api/v1/search/hash?request=" + strings.Repeat("0", 64), strings.Repeat("0", 64)},
	} {
		n := e.dayCount(t, "alice")
		w := e.doKey(t, tt.target, key)
		if w.Code != http.StatusNotFound {
			t.Errorf("GET %s: got %d %s, want 404", tt.target, w.Code, w.Body)
			continue
		}
		if code, msg := errorOf(t, w); code != "no_data" || !strings.Contains(msg, tt.object) {
			t.Errorf("GET %s: got %s %q, want no_data naming %s", tt.target, code, msg, tt.object)
		}
		if got := e.dayCount(t, "alice"); got != n+1 {
			t.Errorf("GET %s: day count %d, want %d (counted once)", tt.target, got, n+1)
		}
	}

	n := e.dayCount(t, "alice")
	for _, tt := range []struct{ target, msg string }{
		{"/api/v1/search/domain", "/api/v1/search/domain?request=<domain name>"},
		{"/api/v1/search/domain?request=", "names no domain name"},
		{"/api/v1/search/domain?request=a.example&request=b.example", "2 times"},
		{"/api/v1/search/domain?request=a..example", `"a..example"`},
		{"/api/v1/search/domain?request=%zz", "query string"},
		{"/api/v1/search/hash?request=", "names no file hash"},
		{"/api/v1/search/hash?request=0x" + testMD5, "0x"},
		{"/api/v1/search/hash?request=" + testMD5[:20], testMD5[:20]},
		{"/api/v1/search/hash?request=" + testMD5 + "&request=" + testMD5, "2 times"},
	} {
		w := e.doKey(t, tt.target, key)
		if w.Code != http.StatusBadRequest {
			t.Errorf("GET %s: got %d %s, want 400", tt.target, w.Code, w.Body)
			continue
		}
		if code, msg := errorOf(t, w); code != "invalid_request" || !strings.Contains(msg, tt.msg) {
			t.Errorf("GET %s: got %s %q, want invalid_request with %q", tt.target, code, msg, tt.msg)
		}
	}
	if got := e.dayCount(t, "alice"); got != n {
		t.Errorf("day count %d after malformed searches, want %d", got, n)
	}
}

// TestObjectRoutes: HEAD, 405, 414 and the metrics' route labels of the
// new paths.
func TestObjectRoutes(t *testing.T) {
	e := newConfiguredEnv(t, httpapi.Config{}, nil)
	seedObjects(t, e)
	targets := map[string]string{
		"/api/domain/" + testDomain:                    "domain_lookup",
		"/api/hash/" + testMD5:                         "hash_lookup",
		"/api/url/http://" + testDomain + "/x":         "url_lookup",
		"/api/v1/search/domain?request=" + testDomain:  "search_domain",
		"/api/v1/search/hash?request=" + testMD5:       "search_hash",
		"/api/v1/search/url?request=unknown.example/x": "search_url",
	}
	for target := range targets {
		get := e.do(t, http.MethodGet, target, "alice")
		head := e.do(t, http.MethodHead, target, "alice")
		if head.Code != get.Code || head.Body.Len() != 0 {
			t.Errorf("HEAD %s: got %d with %d body bytes, GET got %d", target, head.Code, head.Body.Len(), get.Code)
		}
		// Content-Length may differ: DayRequests grows.
		if head.Header().Get("Content-Type") != get.Header().Get("Content-Type") ||
			(head.Header().Get("Content-Length") == "") != (get.Header().Get("Content-Length") == "") {
			t.Errorf("HEAD %s: headers %v, GET has %v", target, head.Header(), get.Header())
		}
		for _, method := range []string{"POST", "PUT", "DELETE"} {
			w := e.do(t, method, target, "alice")
			if w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != "GET, HEAD" {
				t.Errorf("%s %s: got %d Allow %q, want 405 GET, HEAD", method, target, w.Code, w.Header().Get("Allow"))
			}
		}
		long := target + strings.Repeat("a", 2001)
		if w := e.do(t, http.MethodGet, long, ""); w.Code != http.StatusRequestURITooLong {
			t.Errorf("GET %s…: got %d, want 414", target, w.Code)
		}
	}
	m := e.do(t, http.MethodGet, "/metrics", "").Body.String()
	for _, route := range targets {
		if !strings.Contains(m, `tipd_http_requests_total{route="`+route+`",status=`) {
			t.Errorf("metrics lack route %s", route)
		}
	}
}

// TestObjectSTIX: format=stix answers a bundle on every path form,
// whatever sections and count say.
func TestObjectSTIX(t *testing.T) {
	e := newConfiguredEnv(t, httpapi.Config{}, nil)
	seedObjects(t, e)
	for _, target := range []string{
		"/api/domain/" + testDomain + "?format=stix",
		"/api/domain/example.com?format=stix&sections=IpWhoIs&count=0",
		"/api/hash/" + testSHA1 + "?format=stix",
		"/api/hash/" + strings.Repeat("0", 32) + "?sections=Zone&format=stix",
		"/api/url/http://" + testDomain + "/x?count=0&format=stix",
		"/api/url/" + testDomain + "%2Fx?format=stix",
	} {
		w := e.do(t, http.MethodGet, target, "alice")
		if w.Code != http.StatusOK {
			t.Errorf("GET %s: got %d %s, want 200", target, w.Code, w.Body)
			continue
		}
		if ct := w.Header().Get("Content-Type"); ct != "application/stix+json;version=2.1" {
			t.Errorf("GET %s: Content-Type %q", target, ct)
		}
		var b struct {
			Type    string           `json:"type"`
			Objects []map[string]any `json:"objects"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &b); err != nil || b.Type != "bundle" || len(b.Objects) < 2 || b.Objects[0]["type"] != "identity" {
			t.Errorf("GET %s: not a bundle with the identity first and the observable (%v): %.300s", target, err, w.Body)
		}
	}
}
