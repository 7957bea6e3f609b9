package storetest

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

// testAddressLists checks store.ReadLists (the backend's ListsReader,
// or the four list reads one by one) and store.AddressWithLists (the
// backend's SummaryListsReader, which skips the lists its summary counts
// empty) against Address and the four list reads: same summary, same
// items for every combination of limits, into slices that hold other
// items before the call.
func testAddressLists(t *testing.T, f Factory) {
	s := open(t, f)
	b := &intel.Batch{}
	for i := range 7 {
		seen := day(2024, 3, 1+i)
		b.HostedURLs = append(b.HostedURLs, intel.HostedURL{IP: ip4a, URL: fmt.Sprintf("h%d.example/x", i), Zone: intel.ZoneRed,
			Categories: []intel.Category{intel.CatMalware}, Hits: int64(i + 1), FirstSeen: seen, LastSeen: seen, Source: src("URLhaus", i)})
		b.Files = append(b.Files, intel.FileDownload{IP: ip4a, MD5: fmt.Sprintf("%032X", i), URL: fmt.Sprintf("http://h%d.example/f.exe", i),
			Zone: intel.ZoneRed, DetectionName: "Trojan.X", Hits: int64(i), FirstSeen: seen, LastSeen: seen, Source: src("URLhaus", i)})
		b.Resolutions = append(b.Resolutions, intel.Resolution{IP: ip4a, Domain: fmt.Sprintf("d%d.example", i),
			FirstSeen: seen, LastSeen: seen, Hits: int64(i + 2), DailyPeak: 1, PeakDate: seen, Source: src("pDNS", i)})
		if i < 3 {
			b.Masks = append(b.Masks, intel.FeedMask{IP: ip4a, Mask: fmt.Sprintf("h%d.example", i), MaskType: intel.MaskHost,
				Zone: intel.ZoneRed, Feeds: []string{"URLhaus"}, LastSeen: seen, Source: src("URLhaus", i)})
		}
	}
	b.Domains = []intel.DomainInfo{{Domain: "d2.example", Zone: intel.ZoneRed, Categories: []intel.Category{intel.CatBotnetCNC}}}
	// An address with one list only, and one the store knows nothing of.
	onlyRes, absent := netip.MustParseAddr("198.51.100.77"), netip.MustParseAddr("198.51.100.78")
	b.Resolutions = append(b.Resolutions, intel.Resolution{IP: onlyRes, Domain: "only.example",
		FirstSeen: day(2024, 3, 2), LastSeen: day(2024, 3, 2), Hits: 1, DailyPeak: 1, PeakDate: day(2024, 3, 2), Source: src("pDNS", 0)})
	apply(t, s, b)

	// A reused value: slices longer than any answer, full of other items.
	dirty := func() *store.AddressLists {
		d := &store.AddressLists{}
		for range 10 {
			d.HostedURLs = append(d.HostedURLs, intel.HostedURL{URL: "stale", Hits: 99, Truncated: true, Categories: []intel.Category{intel.CatSpam}})
			d.Files = append(d.Files, intel.FileDownload{MD5: "stale", DetectionName: "stale"})
			d.Resolutions = append(d.Resolutions, intel.Resolution{Domain: "stale", Zone: intel.ZoneRed, Categories: []intel.Category{intel.CatSpam}})
			d.Masks = append(d.Masks, intel.FeedMask{Mask: "stale", Feeds: []string{"stale"}})
		}
		return d
	}
	reused := dirty() // one value through every case, as a pool would
	for _, lim := range []store.ListLimits{
		{HostedURLs: 100, Files: 100, Resolutions: 100, Masks: 100},
		{HostedURLs: 3, Files: 1, Resolutions: 5, Masks: 2},
		{HostedURLs: 0, Files: 4, Resolutions: 0, Masks: 0},
		{},
	} {
		for _, ip := range append(slices.Clone(ips), onlyRes, absent) {
			t.Run(fmt.Sprintf("%s %+v", ip, lim), func(t *testing.T) {
				for _, dst := range []*store.AddressLists{{}, dirty(), reused} {
					if err := store.ReadLists(ctx(t), s, ip, lim, dst); err != nil {
						t.Fatal(err)
					}
					check(t, "hosted URLs", nonNil(dst.HostedURLs), nonNil(hosted(t, s, ip, lim.HostedURLs)))
					check(t, "files", nonNil(dst.Files), nonNil(files(t, s, ip, lim.Files)))
					check(t, "resolutions", nonNil(dst.Resolutions), nonNil(resolutions(t, s, ip, lim.Resolutions)))
					check(t, "masks", nonNil(dst.Masks), nonNil(masks(t, s, ip, lim.Masks)))
				}
				// The summary and the lists together: the same.
				for _, dst := range []*store.AddressLists{{}, dirty(), reused} {
					sum, err := store.AddressWithLists(ctx(t), s, ip, lim, dst)
					if err != nil {
						t.Fatal(err)
					}
					want, err := s.Address(ctx(t), ip)
					if err != nil {
						t.Fatal(err)
					}
					check(t, "summary", sum, want)
					check(t, "hosted URLs with the summary", nonNil(dst.HostedURLs), nonNil(hosted(t, s, ip, lim.HostedURLs)))
					check(t, "files with the summary", nonNil(dst.Files), nonNil(files(t, s, ip, lim.Files)))
					check(t, "resolutions with the summary", nonNil(dst.Resolutions), nonNil(resolutions(t, s, ip, lim.Resolutions)))
					check(t, "masks with the summary", nonNil(dst.Masks), nonNil(masks(t, s, ip, lim.Masks)))
				}
			})
		}
	}
	if got := hosted(t, s, ip4a, 100); len(got) != 7 {
		t.Fatalf("fixture: %d hosted URLs, want 7", len(got))
	}
	if got := resolutions(t, s, onlyRes, 100); len(got) != 1 {
		t.Fatalf("fixture: %d resolutions of %s, want 1", len(got), onlyRes)
	}
}

// nonNil makes an empty list compare equal to a nil one.
func nonNil[T any](l []T) []T {
	if l == nil {
		return []T{}
	}
	return l
}
