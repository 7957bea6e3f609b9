package httpapi

import (
	"context"
	"io"
	"time"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/render"
	"github.com/tipd/tipd/internal/report"
)

// answer is a built report of any kind, as the lookup pipeline writes it.
type answer interface {
	// items counts the report's list items (its weight in memory).
	items() int
	// known reports whether the store holds evidence on the object.
	known() bool
	setLicense(intel.LicenseInfo)
	// stream renders the path form's JSON into buf, writing it to out in
	// chunks of about chunk bytes once it grows past that, and returns
	// what is left to write.
	stream(buf []byte, out io.Writer, chunk int) ([]byte, error)
	// appendSearch appends the search form's JSON.
	appendSearch(dst []byte) []byte
	stix(now time.Time) ([]byte, error)
	// release gives back what the report holds, once its answer is
	// written.
	release()
}

// build builds the report (or the explanation) req asks for.
func (s *server) build(ctx context.Context, req lookupRequest) (answer, error) {
	if req.page != nil {
		return s.buildPage(ctx, req)
	}
	if req.explain {
		d, err := s.reports.ExplainData(ctx, req.target)
		if err != nil {
			return nil, err
		}
		return explainAnswer{d}, nil
	}
	switch req.kind {
	case kindURL:
		r, err := s.reports.URL(ctx, req.url, req.sections, req.count)
		if err != nil {
			return nil, err
		}
		return urlAnswer{r}, nil
	case kindDomain:
		r, err := s.reports.Domain(ctx, req.object, req.sections, req.count)
		if err != nil {
			return nil, err
		}
		return domainAnswer{r}, nil
	case kindHash:
		r, err := s.reports.File(ctx, req.object, req.sections, req.count)
		if err != nil {
			return nil, err
		}
		return fileAnswer{r}, nil
	}
	r, err := s.reports.IP(ctx, req.ip, req.sections, req.count)
	if err != nil {
		return nil, err
	}
	return ipAnswer{r}, nil
}

// noData is the answer of a search for an object nothing is known about.
func noData(req lookupRequest) error {
	var what string
	switch req.kind {
	case kindIP:
		what = req.ip.String()
	case kindURL:
		what = req.url
		if key, _, err := intel.NormalizeURL(req.url); err == nil {
			what = key
		}
	default:
		what = req.object
	}
	return intel.Errorf(intel.KindNotFound, codeNoData, "nothing is known about the %s %q", objectNoun(req.kind), clip(what))
}

// codeNoData is the error code of a search for an unknown object.
const codeNoData = "no_data"

type ipAnswer struct{ r *report.IPReport }

func (a ipAnswer) items() int                         { return ipItems(a.r) }
func (a ipAnswer) known() bool                        { return true } // an address always has network data
func (a ipAnswer) setLicense(l intel.LicenseInfo)     { a.r.License = l }
func (a ipAnswer) appendSearch(dst []byte) []byte     { return render.AppendSearchIPJSON(dst, a.r) }
func (a ipAnswer) stix(now time.Time) ([]byte, error) { return render.IPSTIX(a.r, now) }
func (a ipAnswer) release()                           { a.r.Release() }
func (a ipAnswer) stream(buf []byte, out io.Writer, chunk int) ([]byte, error) {
	return render.StreamIPJSON(buf, a.r, out, chunk)
}

type urlAnswer struct{ r *report.URLReport }

func (a urlAnswer) items() int                         { return a.r.Items() }
func (a urlAnswer) known() bool                        { return a.r.Known }
func (a urlAnswer) setLicense(l intel.LicenseInfo)     { a.r.License = l }
func (a urlAnswer) appendSearch(dst []byte) []byte     { return render.AppendSearchURLJSON(dst, a.r) }
func (a urlAnswer) stix(now time.Time) ([]byte, error) { return render.URLSTIX(a.r, now) }
func (a urlAnswer) release()                           {}
func (a urlAnswer) stream(buf []byte, out io.Writer, chunk int) ([]byte, error) {
	return render.StreamURLJSON(buf, a.r, out, chunk)
}

type domainAnswer struct{ r *report.DomainReport }

func (a domainAnswer) items() int                         { return a.r.Items() }
func (a domainAnswer) known() bool                        { return a.r.Known }
func (a domainAnswer) setLicense(l intel.LicenseInfo)     { a.r.License = l }
func (a domainAnswer) appendSearch(dst []byte) []byte     { return render.AppendSearchDomainJSON(dst, a.r) }
func (a domainAnswer) stix(now time.Time) ([]byte, error) { return render.DomainSTIX(a.r, now) }
func (a domainAnswer) release()                           {}
func (a domainAnswer) stream(buf []byte, out io.Writer, chunk int) ([]byte, error) {
	return render.StreamDomainJSON(buf, a.r, out, chunk)
}

type fileAnswer struct{ r *report.FileReport }

func (a fileAnswer) items() int                         { return a.r.Items() }
func (a fileAnswer) known() bool                        { return a.r.Known }
func (a fileAnswer) setLicense(l intel.LicenseInfo)     { a.r.License = l }
func (a fileAnswer) appendSearch(dst []byte) []byte     { return render.AppendSearchFileJSON(dst, a.r) }
func (a fileAnswer) stix(now time.Time) ([]byte, error) { return render.FileSTIX(a.r, now) }
func (a fileAnswer) release()                           {}
func (a fileAnswer) stream(buf []byte, out io.Writer, chunk int) ([]byte, error) {
	return render.StreamFileJSON(buf, a.r, out, chunk)
}
