package main

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/netdata"
	"github.com/tipd/tipd/internal/render"
	"github.com/tipd/tipd/internal/report"
	"github.com/tipd/tipd/internal/store"
)

// localLicense is the LicenseInfo of `tipd lookup`: the operator is local,
// nothing is counted.
var localLicense = intel.LicenseInfo{AccessType: intel.AccessCommercial}

func cmdLookup(ctx context.Context, e *env, args []string) error {
	fs := e.newFlags("lookup", "[-store URL] [-sections S] [-count N] [-format json|stix] REQUEST")
	storeURL := e.storeFlag(fs)
	sections := fs.String("sections", "", "comma-separated sections (default: all)")
	count := fs.Int("count", 1000, "maximum items per list section")
	format := fs.String("format", "json", "json, or stix: one STIX 2.1 bundle with every section (-sections and -count ignored)")
	scoring := e.scoreFlags(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("lookup takes one address or web address")
	}
	if *format != "json" && *format != "stix" {
		return usagef("-format must be json or stix, not %q", *format)
	}
	if *count < 1 || *count > 10000 {
		return usagef("-count must be between 1 and 10000, got %d", *count)
	}
	return e.withStore(ctx, *storeURL, prepend("lookup", args), true, func(st store.Store, net *netdata.Holder) error {
		b := &report.Builder{Store: st, Net: net, Now: e.now, Score: scoring()}
		var body []byte
		var err error
		if *format == "stix" {
			body, err = lookupSTIX(ctx, b, pos[0], localLicense)
		} else {
			body, err = lookupBody(ctx, b, pos[0], *sections, *count, localLicense)
		}
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(e.stdout, "%s\n", body)
		return err
	})
}

// lookupBody builds and renders the JSON answer for one request as the API
// would, with lic as the LicenseInfo section.
func lookupBody(ctx context.Context, b *report.Builder, request, sections string, count int, lic intel.LicenseInfo) ([]byte, error) {
	if isWebAddress(request) {
		sec, err := report.ParseURLSections(sections)
		if err != nil {
			return nil, err
		}
		r, err := b.URL(ctx, request, sec, count)
		if err != nil {
			return nil, err
		}
		r.License = lic
		return render.URLJSON(r)
	}
	ip, err := netip.ParseAddr(request)
	if err != nil || ip.Zone() != "" {
		return nil, intel.Invalid("%q is not an IPv4 or IPv6 address or a web address starting with http:// or https://", request)
	}
	sec, err := report.ParseIPSections(sections)
	if err != nil {
		return nil, err
	}
	r, err := b.IP(ctx, ip.Unmap(), sec, count)
	if err != nil {
		return nil, err
	}
	r.License = lic
	return render.IPJSON(r)
}

// lookupSTIX builds the answer for one request with every section and
// report.DefaultCount items per list, and renders it as the API's
// format=stix bundle; the builder's clock dates undated objects.
func lookupSTIX(ctx context.Context, b *report.Builder, request string, lic intel.LicenseInfo) ([]byte, error) {
	if isWebAddress(request) {
		r, err := b.URL(ctx, request, report.AllURLSections, report.DefaultCount)
		if err != nil {
			return nil, err
		}
		r.License = lic
		return render.URLSTIX(r, b.Clock())
	}
	ip, err := netip.ParseAddr(request)
	if err != nil || ip.Zone() != "" {
		return nil, intel.Invalid("%q is not an IPv4 or IPv6 address or a web address starting with http:// or https://", request)
	}
	r, err := b.IP(ctx, ip.Unmap(), report.AllIPSections, report.DefaultCount)
	if err != nil {
		return nil, err
	}
	r.License = lic
	return render.IPSTIX(r, b.Clock())
}

func isWebAddress(s string) bool {
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://")
}
