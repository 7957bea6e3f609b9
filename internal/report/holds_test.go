package report

import (
	"context"
	"fmt"
	"net/netip"
	"testing"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

// TestHeldObjectsLeftOut: held addresses, names, web addresses and files
// leave the lists of the domain, web address and file reports (a file held
// by its SHA-256 leaves the lists that name it by MD5; a web address
// leaves with its host); counts and verdicts stay as they were.
func TestHeldObjectsLeftOut(t *testing.T) {
	b, si := newBuilder(t, objectFixture())
	st := si.(store.Store)
	ctx := context.Background()
	put := func(hs ...intel.Hold) {
		t.Helper()
		for _, h := range hs {
			if err := st.PutHold(ctx, h); err != nil {
				t.Fatal(err)
			}
		}
	}
	check := func(what string, got, want any) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: got %v, want %v", what, got, want)
		}
	}
	domain := func() *DomainReport {
		t.Helper()
		r, err := b.Domain(ctx, "c2.badcorp.example", AllDomainSections, 10)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	md5s := func(r *DomainReport) []string {
		var out []string
		for _, f := range r.FilesDownloaded {
			out = append(out, f.MD5)
		}
		return out
	}
	ips := func(items []ResolutionItem) []string {
		var out []string
		for _, it := range items {
			out = append(out, it.IP.String())
		}
		return out
	}

	put(
		intel.Hold{Ref: "hold-1", Prefix: netip.MustParsePrefix("10.0.0.0/8")},
		intel.Hold{Ref: "hold-2", Hash: malSHA256},
		intel.Hold{Ref: "hold-3", Domain: "evil.example"},
		intel.Hold{Ref: "hold-4", Domain: "api.c2.badcorp.example"},
		intel.Hold{Ref: "hold-5", URL: "paste.example/raw/a1b2"},
		intel.Hold{Ref: "hold-6", Hash: starterMD5},
	)
	r := domain()
	check("domain Resolutions", ips(r.Resolutions), []string{"45.95.147.10", "93.184.216.34"})
	check("domain FilesDownloaded", md5s(r), []string{bareMD5})
	check("domain FilesAccessed", len(r.FilesAccessed), 0)
	check("domain Referrals", len(r.Referrals), 0)
	check("domain ReferredTo", len(r.ReferredTo), 0)
	check("domain Subdomains", len(r.Subdomains), 0)
	check("domain counts and verdict", []any{r.FilesCount, r.URLsCount, r.IPv4Count, r.Zone, r.HasRedZone}, []any{2, 2, 3, intel.ZoneRed, true})
	check("domain FeedMasks (not filtered)", len(r.Masks), 1)

	u, err := b.URL(ctx, "http://c2.badcorp.example/bins/x86", AllURLSections, 10)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, f := range u.Files {
		files = append(files, f.MD5)
	}
	check("URL Files", files, []string{bareMD5})
	check("URL Resolutions", ips(u.Resolutions), []string{"45.95.147.10", "93.184.216.34"})
	check("URL FilesAccessed", len(u.FilesAccessed), 0)
	check("URL verdict", []any{u.Zone, u.HasRedZone}, []any{intel.ZoneRed, true})

	f, err := b.File(ctx, malSHA1, AllFileSections, 10)
	if err != nil {
		t.Fatal(err)
	}
	check("file StartedBy", len(f.StartedBy), 0)
	check("file DownloadedFrom", len(f.DownloadedFrom), 1)
	check("file Names (not filtered)", len(f.Names) > 0, true)

	// A held web address leaves the lists of files downloaded from it.
	put(intel.Hold{Ref: "hold-7", URL: "c2.badcorp.example/bins/x86"})
	check("domain FilesDownloaded, web address held", len(domain().FilesDownloaded), 0)
	if f, err = b.File(ctx, malSHA1, AllFileSections, 10); err != nil {
		t.Fatal(err)
	}
	check("file DownloadedFrom, web address held", len(f.DownloadedFrom), 0)

	// Without holds, nothing is left out.
	hs, err := st.Holds(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hs {
		if err := st.DeleteHold(ctx, h.Ref); err != nil {
			t.Fatal(err)
		}
	}
	r = domain()
	check("no holds", []int{len(r.Resolutions), len(r.FilesDownloaded), len(r.FilesAccessed), len(r.Referrals), len(r.ReferredTo), len(r.Subdomains)},
		[]int{3, 2, 1, 1, 1, 1})
}
