package httpapi

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/render"
	"github.com/tipd/tipd/internal/report"
	"github.com/tipd/tipd/internal/store"
)

// listPath is the path of list pages (docs/api.md, "List pages").
const listPath = "/api/list"

// pageRequest is what GET /api/list asks for besides the object: one
// list section, named as in the answer, and the cursor to continue after.
type pageRequest struct {
	name    string // the section's name in the answer, e.g. HostedUrls
	section report.Sections
	after   store.ListCursor
}

// handleList answers GET /api/list?section=&count=&after=&request=<address,
// domain, web address or hash> through the lookup pipeline: the same credentials, checks,
// legal holds and quota as a lookup, one count per page.
func (s *server) handleList(w http.ResponseWriter, r *http.Request, info *requestInfo) error {
	_, query := rawTarget(r)
	v, _ := searchURLValue(query)
	info.setRaw(v)
	return s.lookup(w, r, info, func() (lookupRequest, error) {
		return parseListPage(query, s.cfg)
	})
}

// parseListPage reads the query string of GET /api/list: section, count
// and after as name=value pairs, then request, last, read as
// /api/explain reads it.
func parseListPage(query string, cfg Config) (lookupRequest, error) {
	req := lookupRequest{format: formatJSON}
	raw, ok := searchURLValue(query)
	if !ok || raw == "" {
		return req, intel.Invalid("the request names nothing: use %s?section=<section>&count=<n>&after=<cursor>&request=<address, domain name, web address or file hash> (request last)", listPath)
	}
	params, err := url.ParseQuery(strings.TrimSuffix(query[:len(query)-len(raw)-len("request=")], "&"))
	if err != nil {
		return req, intel.Invalid("the query string %q is malformed: give parameters as name=value pairs joined by &, request last", clip(query))
	}
	t, err := explainTarget(raw)
	if err != nil {
		return req, err
	}
	name, err := single(params, "section")
	if err != nil {
		return req, err
	}
	page := &pageRequest{name: name}
	switch t.Kind {
	case report.ExplainAddress:
		req.kind, req.ip = kindIP, t.IP
		if sec, err := report.ParseIPSections(name); err == nil && report.PagedIPSection(sec) {
			page.section = sec
		}
	case report.ExplainDomain:
		req.kind, req.object = kindDomain, t.Key
		if sec, err := report.ParseDomainSections(name); err == nil && report.PagedDomainSection(sec) {
			page.section = sec
		}
	case report.ExplainURL:
		req.kind, req.url = kindURL, t.Key
		if sec, err := report.ParseURLSections(name); err == nil && report.PagedURLSection(sec) {
			page.section = sec
		}
	default:
		req.kind, req.object = kindHash, t.Key
		if sec, err := report.ParseFileSections(name); err == nil && report.PagedFileSection(sec) {
			page.section = sec
		}
	}
	if page.section == 0 {
		return req, intel.Invalid("the section %q is not a list of the %s answer that pages: use one of %s", clip(name), objectNoun(req.kind), pagedNames(req.kind))
	}
	c, err := single(params, "count")
	if err != nil {
		return req, err
	}
	if req.count, err = parseCount(c, cfg); err != nil {
		return req, err
	}
	a, err := single(params, "after")
	if err != nil {
		return req, err
	}
	if page.after, err = store.ParseListCursor(a); err != nil {
		return req, intel.Invalid("the cursor %q is not one this server gave (use the Next of the page before, or none for the first page)", clip(a))
	}
	req.sections, req.page = page.section, page
	return req, nil
}

// pagedNames lists the sections that page for a kind of object.
func pagedNames(k lookupKind) string {
	switch k {
	case kindIP:
		return "HostedUrls, FilesDownloadedFromIp, IpDnsResolutions, FeedMasks"
	case kindDomain:
		return "DomainDnsResolutions, FilesDownloaded, FilesAccessed, UrlReferrals, UrlReferredTo, Subdomains, FeedMasks"
	case kindURL:
		return "FilesDownloaded, FilesAccessed, UrlReferrals, UrlReferredTo, DomainDnsResolutions"
	}
	return "FileCertificates, FileNames, FilePaths, FileDownloadedFromUrls, FileAccessedUrls, FileStartedObjects, FileStartedBy, FileDownloadedObjects, FileDownloadedBy"
}

// buildPage builds the page req asks for.
func (s *server) buildPage(ctx context.Context, req lookupRequest) (answer, error) {
	p := req.page
	var body []byte
	var pg report.Page
	var n int
	switch req.kind {
	case kindIP:
		r, page, err := s.reports.IPPage(ctx, req.ip, p.section, p.after, req.count)
		if err != nil {
			return nil, err
		}
		body, pg, n = render.AppendIPJSON(nil, r), page, len(r.HostedURLs)+len(r.Files)+len(r.Resolutions)+len(r.Masks)+len(r.NetMasks)
	case kindDomain:
		r, page, err := s.reports.DomainPage(ctx, req.object, p.section, p.after, req.count)
		if err != nil {
			return nil, err
		}
		body, pg, n = render.AppendDomainJSON(nil, r), page, r.Items()
	case kindURL:
		r, page, err := s.reports.URLPage(ctx, req.url, p.section, p.after, req.count)
		if err != nil {
			return nil, err
		}
		body, pg, n = render.AppendURLJSON(nil, r), page, r.Items()
	default:
		r, page, err := s.reports.FilePage(ctx, req.object, p.section, p.after, req.count)
		if err != nil {
			return nil, err
		}
		body, pg, n = render.AppendFileJSON(nil, r), page, r.Items()
	}
	// The answer holds the one section: {"<name>":[…]}.
	items, ok := strings.CutPrefix(string(body), `{"`+p.name+`":`)
	if !ok || !strings.HasSuffix(items, "}") {
		return nil, errors.New("list page: the section is not the answer's only one")
	}
	return pageAnswer{arr: strings.TrimSuffix(items, "}"), page: pg, n: n}, nil
}

// pageAnswer is a list page as the lookup pipeline writes it:
// {"Total":n,"Items":[…],"Next":"<cursor>"}.
type pageAnswer struct {
	arr  string // the JSON array of the section's items
	page report.Page
	n    int
}

func (a pageAnswer) items() int                   { return a.n }
func (a pageAnswer) known() bool                  { return true }
func (a pageAnswer) setLicense(intel.LicenseInfo) {}
func (a pageAnswer) release()                     {}
func (a pageAnswer) appendSearch(dst []byte) []byte {
	return a.appendJSON(dst)
}
func (a pageAnswer) stix(time.Time) ([]byte, error) {
	return nil, errors.New("list pages have no STIX form")
}
func (a pageAnswer) stream(buf []byte, _ io.Writer, _ int) ([]byte, error) {
	return a.appendJSON(buf), nil
}

func (a pageAnswer) appendJSON(dst []byte) []byte {
	dst = append(dst, `{"Total":`...)
	dst = strconv.AppendInt(dst, a.page.Total, 10)
	dst = append(dst, `,"Items":`...)
	dst = append(dst, a.arr...)
	dst = append(dst, `,"Next":`...)
	dst = strconv.AppendQuote(dst, a.page.Next.String()) // base64url: nothing to escape
	return append(dst, '}')
}
