package taxii

import (
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/report"
	"github.com/tipd/tipd/internal/store"
)

// Media types.
const (
	MediaType     = "application/taxii+json;version=2.1"
	stixMediaType = "application/stix+json;version=2.1"
)

// Paging defaults.
const (
	DefaultLimit = 100  // objects per page without limit
	MaxLimit     = 1000 // the largest limit honoured; larger ones are cut to it
	// MaxScan bounds the entries one request examines, whatever the
	// filters: a request that finds fewer than limit objects within it
	// answers what it found with more and a next token.
	MaxScan = 10000
)

// Prefix is where the HTTP layer mounts the server.
const Prefix = "/taxii2/"

// Server is the TAXII server. Its fields are set before the first request
// and not changed afterwards.
type Server struct {
	// Reports builds the verdicts.
	Reports *report.Builder
	// Changes lists the addresses, web addresses and objects (domains,
	// web addresses, files) whose knowledge changed, in the order the
	// collections are paged; nil means none.
	Changes ChangeLister
	// Held reports whether a legal hold covers what the query names (an
	// address, a web address, a domain name, a file by a hash); nil means
	// nothing is held.
	Held func(ctx context.Context, q intel.HoldQuery) (bool, error)
	// MaxScan overrides the package's MaxScan when positive (tests).
	MaxScan int
}

// ChangeLister is the part of the store the collections are paged
// through (store.Intel's Changes).
type ChangeLister interface {
	Changes(ctx context.Context, kind store.ChangeKind, after store.Change, limit int) ([]store.Change, error)
}

// Response is the answer to one request, for the HTTP layer to send with
// status 200 and Content-Type MediaType once it has counted the request.
type Response struct {
	Body []byte
	// Header holds the X-TAXII-Date-Added-First/Last headers of a page.
	Header http.Header
}

// Serve answers one request; path is the raw path below Prefix (e.g.
// "api/collections/"), query the raw query string. Errors are intel
// errors for the HTTP layer to answer as TAXII error messages.
func (s *Server) Serve(r *http.Request, path, query string) (*Response, error) {
	if err := acceptable(r.Header.Values("Accept")); err != nil {
		return nil, err
	}
	parts := strings.Split(path, "/")
	// Every TAXII URL ends with a slash: the last part is empty.
	if len(parts) == 0 || parts[len(parts)-1] != "" {
		return nil, notFound(path)
	}
	parts = parts[:len(parts)-1]
	switch {
	case len(parts) == 0:
		return jsonResponse(s.discovery(r))
	case parts[0] != "api":
		return nil, notFound(path)
	case len(parts) == 1:
		return jsonResponse(apiRoot())
	case parts[1] != "collections":
		return nil, notFound(path)
	case len(parts) == 2:
		list := make([]collectionResource, len(Collections))
		for i := range Collections {
			list[i] = resourceOf(&Collections[i])
		}
		return jsonResponse(struct {
			Collections []collectionResource `json:"collections"`
		}{list})
	}
	c, ok := collection(parts[2])
	if !ok {
		return nil, intel.Errorf(intel.KindNotFound, "not_found", "there is no collection %q: GET %sapi/collections/ lists them", clip(parts[2]), Prefix)
	}
	switch {
	case len(parts) == 3:
		return jsonResponse(resourceOf(c))
	case len(parts) == 4 && parts[3] == "objects":
		return s.serveObjects(r, c, query, "", false)
	case len(parts) == 4 && parts[3] == "manifest":
		return s.serveManifest(r, c, query)
	case len(parts) == 5 && parts[3] == "objects":
		return s.serveObjects(r, c, query, parts[4], false)
	case len(parts) == 6 && parts[3] == "objects" && parts[5] == "versions":
		return s.serveObjects(r, c, query, parts[4], true)
	}
	return nil, notFound(path)
}

func notFound(path string) error {
	return intel.Errorf(intel.KindNotFound, "not_found", "there is no TAXII resource at %s%s", Prefix, clip(path))
}

// acceptable checks the Accept header: absent, */*, application/*, or the
// TAXII media type (with version 2.1 or none).
func acceptable(values []string) error {
	if len(values) == 0 {
		return nil
	}
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err != nil {
				continue
			}
			switch mt {
			case "*/*", "application/*":
				return nil
			case "application/taxii+json":
				if ver, ok := params["version"]; !ok || ver == "2.1" {
					return nil
				}
			}
		}
	}
	return intel.Errorf(intel.KindNotAcceptable, "not_acceptable",
		"this TAXII server answers %s only: send Accept: %s", MediaType, MediaType)
}

type discoveryResource struct {
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Default     string   `json:"default"`
	APIRoots    []string `json:"api_roots"`
}

func (s *Server) discovery(r *http.Request) discoveryResource {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	root := scheme + "://" + r.Host + Prefix + "api/"
	return discoveryResource{
		Title:       "tipd",
		Description: "tipd threat-intelligence portal: indicators computed from the portal's store",
		Default:     root,
		APIRoots:    []string{root},
	}
}

type apiRootResource struct {
	Title            string   `json:"title"`
	Description      string   `json:"description"`
	Versions         []string `json:"versions"`
	MaxContentLength int      `json:"max_content_length"`
}

func apiRoot() apiRootResource {
	return apiRootResource{
		Title:            "tipd indicators",
		Description:      "Read-only collections of STIX 2.1 indicators by verdict",
		Versions:         []string{MediaType},
		MaxContentLength: 1 << 20,
	}
}

type collectionResource struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Alias       string   `json:"alias"`
	CanRead     bool     `json:"can_read"`
	CanWrite    bool     `json:"can_write"`
	MediaTypes  []string `json:"media_types"`
}

func resourceOf(c *Collection) collectionResource {
	return collectionResource{ID: c.ID, Title: c.Title, Description: c.Description, Alias: c.Alias,
		CanRead: true, MediaTypes: []string{stixMediaType}}
}

// request is a parsed objects/manifest/versions request.
type request struct {
	start position
	limit int
	f     filter
}

// parseRequest reads the query string. objectID, when set, is the object
// of the URL path (it narrows match[id]).
func parseRequest(query, objectID string) (request, error) {
	q, err := url.ParseQuery(query)
	if err != nil {
		return request{}, intel.Invalid("the query string is malformed: send name=value pairs joined by &")
	}
	req := request{limit: DefaultLimit}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return request{}, intel.Invalid("limit must be a positive whole number, not %q", clip(v))
		}
		req.limit = min(n, MaxLimit)
	}
	if v := q.Get("added_after"); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return request{}, intel.Invalid("added_after must be a timestamp such as 2026-11-28T09:00:00.000000Z, not %q", clip(v))
		}
		req.start = position{at: t.UTC(), afterStamp: true}
	}
	if v := q.Get("next"); v != "" {
		p, err := decodePosition(v)
		if err != nil {
			return request{}, err
		}
		req.start = p // next continues the paging; added_after was applied before
	}
	list := func(name string) []string {
		var out []string
		for _, v := range q[name] {
			for _, x := range strings.Split(v, ",") {
				if x = strings.TrimSpace(x); x != "" {
					out = append(out, x)
				}
			}
		}
		return out
	}
	req.f = filter{types: list("match[type]"), ids: list("match[id]"), versions: list("match[version]"), specs: list("match[spec_version]")}
	if objectID != "" {
		if len(req.f.ids) > 0 && !slices.Contains(req.f.ids, objectID) {
			req.f.ids = []string{"\x00none"} // the path and match[id] disagree: nothing matches
		} else {
			req.f.ids = []string{objectID}
		}
	}
	return req, nil
}

func (s *Server) maxScan() int {
	if s.MaxScan > 0 {
		return s.MaxScan
	}
	return MaxScan
}

// serveObjects answers the objects endpoint, the one-object endpoint
// (objectID set) and its versions (versions set).
func (s *Server) serveObjects(r *http.Request, c *Collection, query, objectID string, versions bool) (*Response, error) {
	req, err := parseRequest(query, objectID)
	if err != nil {
		return nil, err
	}
	pg, err := s.collect(r.Context(), c, req.start, &req.f, req.limit, s.maxScan())
	if err != nil {
		return nil, err
	}
	if objectID != "" && len(pg.items) == 0 && !pg.more {
		return nil, intel.Errorf(intel.KindNotFound, "not_found", "the collection %s holds no object %q", c.Alias, clip(objectID))
	}
	b := make([]byte, 0, 512+1024*len(pg.items))
	b = append(b, '{')
	b = appendMore(b, pg)
	if versions {
		b = append(b, `"versions":[`...)
		for i := range pg.items {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendStamp(b, pg.items[i].version())
		}
		b = append(b, ']')
	} else if len(pg.items) > 0 {
		b = append(b, `"objects":[`...)
		for i := range pg.items {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, pg.items[i].obj.JSON...)
		}
		b = append(b, ']')
	}
	b = trimComma(b)
	b = append(b, '}', '\n')
	return &Response{Body: b, Header: dateHeaders(pg.items)}, nil
}

// serveManifest answers the manifest endpoint.
func (s *Server) serveManifest(r *http.Request, c *Collection, query string) (*Response, error) {
	req, err := parseRequest(query, "")
	if err != nil {
		return nil, err
	}
	pg, err := s.collect(r.Context(), c, req.start, &req.f, req.limit, s.maxScan())
	if err != nil {
		return nil, err
	}
	b := make([]byte, 0, 256+200*len(pg.items))
	b = append(b, '{')
	b = appendMore(b, pg)
	if len(pg.items) > 0 {
		b = append(b, `"objects":[`...)
		for i := range pg.items {
			it := &pg.items[i]
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"id":"`...)
			b = append(b, it.obj.ID...)
			b = append(b, `","date_added":`...)
			b = appendStamp(b, it.added)
			b = append(b, `,"version":`...)
			b = appendStamp(b, it.version())
			b = append(b, `,"media_type":"`+stixMediaType+`"}`...)
		}
		b = append(b, ']')
	}
	b = trimComma(b)
	b = append(b, '}', '\n')
	return &Response{Body: b, Header: dateHeaders(pg.items)}, nil
}

// appendMore writes "more" and "next" (when there is more), each followed
// by a comma.
func appendMore(b []byte, pg page) []byte {
	if pg.more {
		b = append(b, `"more":true,"next":"`...)
		b = append(b, pg.next.encode()...)
		return append(b, `",`...)
	}
	return append(b, `"more":false,`...)
}

func trimComma(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == ',' {
		return b[:n-1]
	}
	return b
}

// stampLayout is the TAXII timestamp layout: UTC with microseconds.
const stampLayout = "2006-01-02T15:04:05.000000Z"

func appendStamp(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, stampLayout)
	return append(b, '"')
}

func dateHeaders(items []item) http.Header {
	if len(items) == 0 {
		return nil
	}
	first, last := items[0].added, items[0].added
	for i := range items {
		if items[i].added.Before(first) {
			first = items[i].added
		}
		if items[i].added.After(last) {
			last = items[i].added
		}
	}
	h := http.Header{}
	h.Set("X-TAXII-Date-Added-First", first.UTC().Format(stampLayout))
	h.Set("X-TAXII-Date-Added-Last", last.UTC().Format(stampLayout))
	return h
}

func jsonResponse(v any) (*Response, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode TAXII resource: %w", err)
	}
	return &Response{Body: append(b, '\n')}, nil
}

// ErrorBody is the TAXII error message of an HTTP status.
func ErrorBody(status int, title, description string) []byte {
	b, err := json.Marshal(struct {
		Title       string `json:"title"`
		Description string `json:"description,omitempty"`
		HTTPStatus  string `json:"http_status"`
	}{title, description, strconv.Itoa(status)})
	if err != nil {
		return []byte(`{"title":"internal error","http_status":"500"}`)
	}
	return append(b, '\n')
}
