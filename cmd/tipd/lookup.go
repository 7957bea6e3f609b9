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
	fs := e.newFlags("lookup", "[-store URL] [-sections S] [-count N] [-format json|stix] ADDRESS|URL|DOMAIN|HASH")
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
		return usagef("lookup takes one address, web address, domain name or file hash")
	}
	if *format != "json" && *format != "stix" {
		return usagef("-format must be json or stix, not %q", *format)
	}
	if *count < 1 || *count > 10000 {
		return usagef("-count must be between 1 and 10000, got %d", *count)
	}
	return e.withExistingStore(ctx, *storeURL, prepend("lookup", args), true, func(st store.Store, net *netdata.Holder) error {
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

// lookupKind classifies a request as the API does: a file hash (32, 40
// or 64 hex digits), an address, a web address (http:// or https://), else
// a domain name. It returns the normalised hash or domain.
func lookupKind(request string) (intel.ObjectKind, netip.Addr, string, error) {
	if h, err := intel.NormalizeHash(request); err == nil {
		return intel.ObjectFile, netip.Addr{}, h, nil
	}
	if ip, err := netip.ParseAddr(request); err == nil {
		if ip.Zone() != "" {
			return 0, netip.Addr{}, "", intel.Invalid("%q is not an IPv4 or IPv6 address", request)
		}
		return 0, ip.Unmap(), "", nil
	}
	if isWebAddress(request) {
		return intel.ObjectURL, netip.Addr{}, request, nil
	}
	d, err := intel.NormalizeDomain(request)
	if err != nil {
		return 0, netip.Addr{}, "", intel.Invalid("%q is not an address, a web address starting with http:// or https://, a domain name or a file hash", request)
	}
	return intel.ObjectHost, netip.Addr{}, d, nil
}

// lookupBody builds and renders the JSON answer for one request as the API
// would, with lic as the LicenseInfo section.
func lookupBody(ctx context.Context, b *report.Builder, request, sections string, count int, lic intel.LicenseInfo) ([]byte, error) {
	kind, ip, key, err := lookupKind(request)
	if err != nil {
		return nil, err
	}
	switch kind {
	case intel.ObjectURL:
		sec, err := report.ParseURLSections(sections)
		if err != nil {
			return nil, err
		}
		r, err := b.URL(ctx, key, sec, count)
		if err != nil {
			return nil, err
		}
		r.License = lic
		return render.URLJSON(r)
	case intel.ObjectHost:
		sec, err := report.ParseDomainSections(sections)
		if err != nil {
			return nil, err
		}
		r, err := b.Domain(ctx, key, sec, count)
		if err != nil {
			return nil, err
		}
		r.License = lic
		return render.DomainJSON(r)
	case intel.ObjectFile:
		sec, err := report.ParseFileSections(sections)
		if err != nil {
			return nil, err
		}
		r, err := b.File(ctx, key, sec, count)
		if err != nil {
			return nil, err
		}
		r.License = lic
		return render.FileJSON(r)
	}
	sec, err := report.ParseIPSections(sections)
	if err != nil {
		return nil, err
	}
	r, err := b.IP(ctx, ip, sec, count)
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
	kind, ip, key, err := lookupKind(request)
	if err != nil {
		return nil, err
	}
	switch kind {
	case intel.ObjectURL:
		r, err := b.URL(ctx, key, report.AllURLSTIXSections, report.DefaultCount)
		if err != nil {
			return nil, err
		}
		r.License = lic
		return render.URLSTIX(r, b.Clock())
	case intel.ObjectHost:
		r, err := b.Domain(ctx, key, report.AllDomainSTIXSections, report.DefaultCount)
		if err != nil {
			return nil, err
		}
		r.License = lic
		return render.DomainSTIX(r, b.Clock())
	case intel.ObjectFile:
		r, err := b.File(ctx, key, report.AllFileSections, report.DefaultCount)
		if err != nil {
			return nil, err
		}
		r.License = lic
		return render.FileSTIX(r, b.Clock())
	}
	r, err := b.IP(ctx, ip, report.AllIPSections, report.DefaultCount)
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
