package web_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/tipd/tipd/internal/web"
)

func get(t *testing.T, h http.Handler, method, target string, hdr map[string]string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// assetLinks are the versioned asset URLs the page refers to.
func assetLinks(t *testing.T, page string) []string {
	t.Helper()
	m := regexp.MustCompile(`(?:href|src)="(/static/[^"]+)"`).FindAllStringSubmatch(page, -1)
	var out []string
	for _, x := range m {
		out = append(out, x[1])
	}
	return out
}

func TestHandler(t *testing.T) {
	h := web.Handler()
	page := body(t, get(t, h, http.MethodGet, "/", nil))
	links := assetLinks(t, page)
	if len(links) < 3 {
		t.Fatalf("asset links in the page: got %q, want the stylesheet, the script and the icon", links)
	}
	linkTo := func(prefix string) string {
		for _, l := range links {
			if strings.HasPrefix(l, prefix) {
				return l
			}
		}
		t.Fatalf("no link to %s in the page (links: %q)", prefix, links)
		return ""
	}

	tests := []struct {
		name, method, target string
		status               int
		contentType          string // prefix
		contains             string
	}{
		{"page", "GET", "/", 200, "text/html; charset=utf-8", `<script src="/static/app.js?v=`},
		{"page HEAD", "HEAD", "/", 200, "text/html; charset=utf-8", ""},
		{"page with query", "GET", "/?q=45.95.147.10", 200, "text/html; charset=utf-8", `id="q"`},
		{"script", "GET", linkTo("/static/app.js"), 200, "text/javascript; charset=utf-8", `"use strict"`},
		{"script without version", "GET", "/static/app.js", 200, "text/javascript; charset=utf-8", "textContent"},
		{"stylesheet", "GET", linkTo("/static/app.css"), 200, "text/css; charset=utf-8", ".zone-Red"},
		{"icon", "GET", linkTo("/static/favicon.svg"), 200, "image/svg+xml", "<svg"},
		{"unknown asset", "GET", "/static/nope.js", 404, "text/plain", ""},
		{"static directory", "GET", "/static/", 404, "text/plain", ""},
		{"escaping static", "GET", "/static/../web.go", 404, "text/plain", ""},
		{"template source", "GET", "/static/index.html", 404, "text/plain", ""},
		{"unknown page", "GET", "/admin", 404, "text/plain", ""},
		{"index.html", "GET", "/index.html", 404, "text/plain", ""},
		{"POST page", "POST", "/", 405, "text/plain", ""},
		{"DELETE asset", "DELETE", "/static/app.js", 405, "text/plain", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := get(t, h, tt.method, tt.target, nil)
			b := body(t, resp)
			if resp.StatusCode != tt.status {
				t.Fatalf("%s %s: got status %d, want %d", tt.method, tt.target, resp.StatusCode, tt.status)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, tt.contentType) {
				t.Errorf("Content-Type: got %q, want %q", ct, tt.contentType)
			}
			if tt.contains != "" && !strings.Contains(b, tt.contains) {
				t.Errorf("body does not contain %q", tt.contains)
			}
			if tt.method == "HEAD" && b != "" {
				t.Errorf("HEAD body: got %d bytes, want none", len(b))
			}
			if tt.status == 405 && resp.Header.Get("Allow") != "GET, HEAD" {
				t.Errorf("Allow: got %q, want %q", resp.Header.Get("Allow"), "GET, HEAD")
			}
			// Every answer, errors included, carries the security headers.
			for k, want := range map[string]string{
				"Content-Security-Policy": web.ContentSecurityPolicy,
				"X-Content-Type-Options":  "nosniff",
				"Referrer-Policy":         "no-referrer",
				"X-Frame-Options":         "DENY",
			} {
				if got := resp.Header.Get(k); got != want {
					t.Errorf("%s: got %q, want %q", k, got, want)
				}
			}
		})
	}
}

func TestContentSecurityPolicy(t *testing.T) {
	csp := web.ContentSecurityPolicy
	directives := map[string]string{}
	for _, d := range strings.Split(csp, ";") {
		f := strings.Fields(d)
		if len(f) == 0 {
			continue
		}
		directives[f[0]] = strings.Join(f[1:], " ")
	}
	for name, want := range map[string]string{
		"default-src":               "'self'",
		"script-src":                "'self'",
		"style-src":                 "'self'",
		"connect-src":               "'self'",
		"object-src":                "'none'",
		"base-uri":                  "'none'",
		"frame-ancestors":           "'none'",
		"require-trusted-types-for": "'script'",
	} {
		if got := directives[name]; got != want {
			t.Errorf("CSP %s: got %q, want %q", name, got, want)
		}
	}
	if strings.Contains(csp, "unsafe-") || strings.Contains(csp, "http:") || strings.Contains(csp, "https:") || strings.Contains(csp, "*") {
		t.Errorf("CSP %q allows unsafe sources or other origins", csp)
	}
}

// TestPageIsSelfContained checks the page has no inline script or style and
// refers to nothing outside this server.
func TestPageIsSelfContained(t *testing.T) {
	h := web.Handler()
	page := body(t, get(t, h, http.MethodGet, "/", nil))
	if regexp.MustCompile(`<script(?:\s[^>]*)?>\s*[^<\s]`).MatchString(page) {
		t.Error("the page has an inline script")
	}
	if strings.Contains(page, "<style") || regexp.MustCompile(`\sstyle=`).MatchString(page) {
		t.Error("the page has inline styles")
	}
	if regexp.MustCompile(`\son[a-z]+=`).MatchString(page) {
		t.Error("the page has an inline event handler")
	}
	for _, target := range append([]string{"/"}, assetLinks(t, page)...) {
		b := body(t, get(t, h, http.MethodGet, target, nil))
		if m := regexp.MustCompile(`(?:src|href|url\()\s*=?\s*["']?(?:https?:)?//`).FindString(b); m != "" {
			t.Errorf("%s refers to another origin: %q", target, m)
		}
	}
	js := body(t, get(t, h, http.MethodGet, "/static/app.js", nil))
	for _, sink := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"} {
		// The comment at the top names innerHTML to say it is not used.
		n := strings.Count(js, sink)
		if sink == "innerHTML" {
			n--
		}
		if n > 0 {
			t.Errorf("app.js uses %s", sink)
		}
	}
}

func TestConditionalGet(t *testing.T) {
	h := web.Handler()
	for _, target := range []string{"/", "/static/app.js"} {
		resp := get(t, h, http.MethodGet, target, nil)
		etag := resp.Header.Get("ETag")
		if etag == "" {
			t.Fatalf("%s: no ETag", target)
		}
		resp = get(t, h, http.MethodGet, target, map[string]string{"If-None-Match": etag})
		if resp.StatusCode != http.StatusNotModified {
			t.Errorf("%s with If-None-Match: got %d, want 304", target, resp.StatusCode)
		}
	}
}
