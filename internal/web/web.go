// Package web is tipd's portal for analysts at a browser: one page that
// looks up an IP address, a domain, a web address or a file hash through
// the same-origin lookup API (GET /api/{ip,domain,url,hash}/<request>), or
// a threat report through the publications endpoint, and shows the answer
// with the evidence behind its verdict (GET /api/explain) and every object
// in it linked to its own lookup; and a bulk view (#/bulk) that looks up a
// pasted list through POST /api/bulk as one sortable table, exported as
// CSV, JSON or STIX in the browser. Plus its stylesheet and script.
// Everything is embedded in the binary; nothing is fetched from elsewhere.
//
// The page holds no data of its own: the browser sends the analyst's API
// token with each lookup, so the API's authentication, licence and quota
// rules apply unchanged. The data shown is attacker-controlled (URLs, WHOIS
// text, detection names), so the script builds the DOM with textContent
// only, and every answer carries a strict Content-Security-Policy that
// allows no inline script and enforces Trusted Types.
//
// Handler serves:
//
//	GET|HEAD /            the page
//	GET|HEAD /static/…    the embedded assets (404 for anything else)
//
// Any other path is 404. The lookup API is not served here: mount Handler
// next to the API handler, routing "/" and "/static/" to it, on the raw
// request path (never through a path-cleaning mux in front of the API).
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed static index.html
var files embed.FS

// ContentSecurityPolicy is sent with every answer of Handler. Scripts,
// styles, images and connections are limited to the portal's own origin;
// inline scripts and styles, plugins, framing and form posts elsewhere are
// refused, and Trusted Types make any string assignment to an HTML sink
// (innerHTML and friends) throw.
const ContentSecurityPolicy = "default-src 'self'; " +
	"script-src 'self'; " +
	"style-src 'self'; " +
	"img-src 'self' data:; " +
	"connect-src 'self'; " +
	"font-src 'self'; " +
	"object-src 'none'; " +
	"base-uri 'none'; " +
	"form-action 'self'; " +
	"frame-ancestors 'none'; " +
	"require-trusted-types-for 'script'; " +
	"trusted-types 'none'"

// StaticPrefix starts the path of every embedded asset.
const StaticPrefix = "/static/"

// asset is one embedded file, ready to serve.
type asset struct {
	body        []byte
	contentType string
	etag        string
}

// handler serves the page and the assets. It is not mutated after Handler
// returns.
type handler struct {
	page   asset
	assets map[string]asset // by path below StaticPrefix
}

// Handler returns the HTTP handler of the portal.
func Handler() http.Handler {
	h := &handler{assets: make(map[string]asset)}
	static, err := fs.Sub(files, "static")
	if err != nil {
		panic(fmt.Sprintf("web: embedded static files: %v", err)) // the embed directive guarantees them
	}
	err = fs.WalkDir(static, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(static, p)
		if err != nil {
			return err
		}
		h.assets[p] = newAsset(b, typeOf(p))
		return nil
	})
	if err != nil {
		panic(fmt.Sprintf("web: embedded static files: %v", err))
	}
	page, err := renderPage(h.assets)
	if err != nil {
		panic(fmt.Sprintf("web: page template: %v", err))
	}
	h.page = newAsset(page, "text/html; charset=utf-8")
	return h
}

// renderPage executes the page template once. Asset links carry a
// version (a prefix of the asset's hash) so that a new binary's assets are
// never mixed with an old page held in a cache.
func renderPage(assets map[string]asset) ([]byte, error) {
	t, err := template.New("index.html").Funcs(template.FuncMap{
		"asset": func(name string) (string, error) {
			a, ok := assets[name]
			if !ok {
				return "", fmt.Errorf("no embedded asset %q", name)
			}
			return StaticPrefix + name + "?v=" + strings.Trim(a.etag, `"`)[:12], nil
		},
	}).ParseFS(files, "index.html")
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := t.Execute(&b, nil); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func newAsset(b []byte, contentType string) asset {
	sum := sha256.Sum256(b)
	return asset{body: b, contentType: contentType, etag: `"` + hex.EncodeToString(sum[:16]) + `"`}
}

// typeOf is the Content-Type of an asset, by its extension.
func typeOf(name string) string {
	switch path.Ext(name) {
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	}
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("Content-Security-Policy", ContentSecurityPolicy)
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Referrer-Policy", "no-referrer")
	hdr.Set("X-Frame-Options", "DENY")
	hdr.Set("Cross-Origin-Opener-Policy", "same-origin")
	hdr.Set("Cross-Origin-Resource-Policy", "same-origin")

	p := r.URL.Path
	var a asset
	switch {
	case p == "/":
		a = h.page
	case strings.HasPrefix(p, StaticPrefix):
		var ok bool
		a, ok = h.assets[strings.TrimPrefix(p, StaticPrefix)]
		if !ok {
			http.NotFound(w, r)
			return
		}
	default:
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hdr.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	hdr.Set("Content-Type", a.contentType)
	hdr.Set("ETag", a.etag)
	hdr.Set("Cache-Control", "no-cache")
	// No modification time: the assets are part of the binary, and their
	// ETags (content hashes) do the revalidation.
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
}
