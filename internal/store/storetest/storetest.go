// Package storetest is the conformance suite every store backend passes:
// the merge rule of every evidence type documented in package intel,
// idempotency, list order and limits, summaries, network records, access
// data, exact quota counting under concurrency, persistence across reopen
// and cancellation.
//
// A backend's test calls Run with a Factory:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, storetest.Factory{New: func(t *testing.T) store.Store { return mem.New() }})
//	}
//
// Where the contract leaves a choice, the suite pins down one behaviour so
// that backends agree:
//   - capped sorted sets (spam types, stolen data, industries,
//     organisations, URL addresses) keep their smallest members;
//   - a URL summary's Hits is the largest Hits of its HostedURL records;
//   - a URL is known if a HostedURL or a FileDownload names it; URLFiles
//     holds one item per MD5, merged by the FileDownload rules across
//     addresses and schemes, with the smallest IP and URL seen;
//   - the phishing kit is the one of the event with the latest Time (ties:
//     the larger ID) that names one;
//   - a batch with a record lacking a valid address or prefix is refused
//     whole with a KindInvalid error.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

// Factory makes stores for the suite.
type Factory struct {
	// New returns a new, empty store. The suite closes it.
	New func(t *testing.T) store.Store
	// Reopen closes s and opens the same location again. Nil for backends
	// that do not persist; the persistence tests are then skipped.
	Reopen func(t *testing.T, s store.Store) store.Store
	// Second opens another store on the data of s while s stays open, as
	// another process would (nil where one process owns the data). The
	// suite closes it.
	Second func(t *testing.T, s store.Store) store.Store
}

// Run runs the whole suite against the backend f makes.
func Run(t *testing.T, f Factory) {
	tests := []struct {
		name string
		fn   func(*testing.T, Factory)
	}{
		{"UnknownAddress", testUnknownAddress},
		{"Sightings", testSightings},
		{"Listings", testListings},
		{"HostedURLMerge", testHostedURLMerge},
		{"FileMerge", testFileMerge},
		{"ResolutionMerge", testResolutionMerge},
		{"DomainInfo", testDomainInfo},
		{"Masks", testMasks},
		{"Spam", testSpam},
		{"Phishing", testPhishing},
		{"Reports", testReports},
		{"ReportsByDate", testReportsByDate},
		{"ReportsAfter", testReportsAfter},
		{"ReportAddresses", testReportAddresses},
		{"ReportObjects", testReportObjects},
		{"ReportFiles", testReportFiles},
		{"AddressSeen", testAddressSeen},
		{"RedCounts", testRedCounts},
		{"ListOrder", testListOrder},
		{"ListReorderOnMerge", testListReorderOnMerge},
		{"DomainIPs", testDomainIPs},
		{"URLSummary", testURLSummary},
		{"URLFiles", testURLFiles},
		{"Idempotency", testIdempotency},
		{"DuplicatesInBatch", testDuplicatesInBatch},
		{"InvalidBatch", testInvalidBatch},
		{"ScanNetworks", testScanNetworks},
		{"NetworkVersion", testNetworkVersion},
		{"IntelVersion", testIntelVersion},
		{"Users", testUsers},
		{"Tokens", testTokens},
		{"TokenUser", testTokenUser},
		{"CountRequest", testCountRequest},
		{"CountRequestConcurrent", testCountRequestConcurrent},
		{"Cancellation", testCancellation},
		{"Persistence", testPersistence},
		{"Holds", testHolds},
		{"ObjectHolds", testObjectHolds},
		{"HoldsPersistence", testHoldsPersistence},
		{"ReportHolds", testReportHolds},
		{"Changes", testChanges},
		{"ObjectChanges", testObjectChanges},
		{"AddressLists", testAddressLists},
		{"ReportsByID", testReportsByID},
		{"ObjectUnknown", testObjectUnknown},
		{"ObjectInfo", testObjectInfo},
		{"LinkMerge", testLinkMerge},
		{"LinkOrder", testLinkOrder},
		{"FileHashes", testFileHashes},
		{"DomainWhois", testDomainWhois},
		{"ObjectsIdempotent", testObjectsIdempotent},
		{"ObjectsPersistence", testObjectsPersistence},
		{"FeedVersions", testFeedVersions},
		{"CountStored", testCountStored},
		{"ListPages", testListPages},
		{"NetworkAddresses", testNetworkAddresses},
		{"PlannedApply", testPlannedApply},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, f) })
	}
}

// Addresses used throughout: public-looking, both families.
var (
	ip4a = netip.MustParseAddr("45.95.147.10")
	ip4b = netip.MustParseAddr("91.92.109.43")
	ip6a = netip.MustParseAddr("2a03:b0c0:3:d0::1a2b:1")
	ip6b = netip.MustParseAddr("2606:4700:3033::6815:3e2")
	ips  = []netip.Addr{ip4a, ip6a}
)

func open(t *testing.T, f Factory) store.Store {
	t.Helper()
	s := f.New(t)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func ctx(t *testing.T) context.Context { return t.Context() }

func apply(t *testing.T, s store.Store, b *intel.Batch) {
	t.Helper()
	if err := s.Apply(ctx(t), b); err != nil {
		t.Fatalf("Apply: %v", err)
	}
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func at(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, time.UTC)
}

func src(feed string, n int) intel.Source {
	return intel.Source{Feed: feed, File: fmt.Sprintf("%s-%d.csv", strings.ToLower(feed), n), Imported: at(2024, 3, 1, n, 0)}
}

func address(t *testing.T, s store.Store, ip netip.Addr) intel.AddressSummary {
	t.Helper()
	a, err := s.Address(ctx(t), ip)
	if err != nil {
		t.Fatalf("Address(%s): %v", ip, err)
	}
	return a
}

func hosted(t *testing.T, s store.Store, ip netip.Addr, limit int) []intel.HostedURL {
	t.Helper()
	l, err := s.HostedURLs(ctx(t), ip, limit)
	if err != nil {
		t.Fatalf("HostedURLs(%s): %v", ip, err)
	}
	return l
}

func files(t *testing.T, s store.Store, ip netip.Addr, limit int) []intel.FileDownload {
	t.Helper()
	l, err := s.Files(ctx(t), ip, limit)
	if err != nil {
		t.Fatalf("Files(%s): %v", ip, err)
	}
	return l
}

func resolutions(t *testing.T, s store.Store, ip netip.Addr, limit int) []intel.Resolution {
	t.Helper()
	l, err := s.Resolutions(ctx(t), ip, limit)
	if err != nil {
		t.Fatalf("Resolutions(%s): %v", ip, err)
	}
	return l
}

func masks(t *testing.T, s store.Store, ip netip.Addr, limit int) []intel.FeedMask {
	t.Helper()
	l, err := s.Masks(ctx(t), ip, limit)
	if err != nil {
		t.Fatalf("Masks(%s): %v", ip, err)
	}
	return l
}

func testUnknownAddress(t *testing.T, f Factory) {
	s := open(t, f)
	for _, ip := range ips {
		a := address(t, s, ip)
		check(t, "summary of unknown "+ip.String(), a, intel.AddressSummary{IP: ip})
		if a.Known() {
			t.Errorf("Known() of unknown %s = true, want false", ip)
		}
		if n := len(hosted(t, s, ip, 10)) + len(files(t, s, ip, 10)) + len(resolutions(t, s, ip, 10)) + len(masks(t, s, ip, 10)); n != 0 {
			t.Errorf("list items of unknown %s: got %d, want 0", ip, n)
		}
	}
	if l, err := s.DomainIPs(ctx(t), "unknown.example", 10); err != nil || len(l) != 0 {
		t.Errorf("DomainIPs(unknown) = %v, %v; want none, nil", l, err)
	}
	if l, err := s.URLFiles(ctx(t), "unknown.example/x", 10); err != nil || len(l) != 0 {
		t.Errorf("URLFiles(unknown) = %v, %v; want none, nil", l, err)
	}
}

func testSightings(t *testing.T, f Factory) {
	for _, ip := range ips {
		t.Run(ip.String(), func(t *testing.T) {
			s := open(t, f)
			apply(t, s, &intel.Batch{Sightings: []intel.Sighting{
				{IP: ip, Day: day(2024, 1, 5), Hits: 10},
				{IP: ip, Day: day(2024, 1, 7), Hits: 5},
				{IP: ip, Day: day(2024, 1, 3), Hits: 1},
			}})
			a := address(t, s, ip)
			check(t, "Hits", a.Hits, int64(16))
			check(t, "FirstSeen", a.FirstSeen, day(2024, 1, 3))
			check(t, "LastSeen", a.LastSeen, day(2024, 1, 7))
			if !a.Known() {
				t.Errorf("Known() = false, want true")
			}

			// Re-applying a day replaces its hits (up or down).
			apply(t, s, &intel.Batch{Sightings: []intel.Sighting{{IP: ip, Day: day(2024, 1, 5), Hits: 3}}})
			check(t, "Hits after replacing a day", address(t, s, ip).Hits, int64(9))
			apply(t, s, &intel.Batch{Sightings: []intel.Sighting{{IP: ip, Day: day(2024, 1, 5), Hits: 30}}})
			check(t, "Hits after replacing a day again", address(t, s, ip).Hits, int64(36))
			// The first and last day replace too, one batch each; days
			// before and after them add.
			for _, r := range []intel.Sighting{{Day: day(2024, 1, 3), Hits: 2}, {Day: day(2024, 1, 7), Hits: 6}, {Day: day(2024, 1, 1), Hits: 100}, {Day: day(2024, 1, 9), Hits: 1000}, {Day: day(2024, 1, 9), Hits: 2000}, {Day: day(2024, 1, 1), Hits: 200}} {
				r.IP = ip
				apply(t, s, &intel.Batch{Sightings: []intel.Sighting{r}})
			}
			a = address(t, s, ip)
			check(t, "Hits after replacing the first and last days", a.Hits, int64(30+2+6+200+2000))
			check(t, "FirstSeen after an earlier day", a.FirstSeen, day(2024, 1, 1))
			check(t, "LastSeen after a later day", a.LastSeen, day(2024, 1, 9))

			other := address(t, s, ip4b)
			check(t, "other address untouched", other, intel.AddressSummary{IP: ip4b})
		})
	}
	// An address known from other evidence first, then sighted: its
	// days and lists merge like those of any other address.
	t.Run("after other evidence", func(t *testing.T) {
		s := open(t, f)
		apply(t, s, &intel.Batch{Listings: []intel.Listing{{IP: ip4a, Feed: "F", Category: intel.CatMalware, FirstSeen: day(2024, 2, 1), LastSeen: day(2024, 2, 1)}}})
		for range 2 {
			apply(t, s, &intel.Batch{
				Sightings:  []intel.Sighting{{IP: ip4a, Day: day(2024, 1, 5), Hits: 10}},
				HostedURLs: []intel.HostedURL{{IP: ip4a, URL: "http://a.example/x", Hits: 4, LastSeen: day(2024, 1, 5)}},
			})
		}
		a := address(t, s, ip4a)
		check(t, "Hits", a.Hits, int64(10))
		check(t, "FirstSeen", a.FirstSeen, day(2024, 1, 5))
		l, err := s.HostedURLs(context.Background(), ip4a, 10)
		if err != nil || len(l) != 1 {
			t.Fatalf("HostedURLs = %v, %v; want one", l, err)
		}
		check(t, "hosted URL hits after applying it twice", l[0].Hits, int64(4))
	})
}

func testListings(t *testing.T, f Factory) {
	for _, ip := range ips {
		t.Run(ip.String(), func(t *testing.T) {
			s := open(t, f)
			apply(t, s, &intel.Batch{Listings: []intel.Listing{
				{IP: ip, Feed: "Zeta", Category: intel.CatMalware, FirstSeen: day(2024, 1, 5), LastSeen: day(2024, 1, 10), Source: src("Zeta", 1)},
				{IP: ip, Feed: "Alpha", Category: intel.CatScanner, FirstSeen: day(2024, 2, 1), LastSeen: day(2024, 2, 2), Source: src("Alpha", 1)},
				{IP: ip, Feed: "Alpha", Category: intel.CatBotnetCNC, FirstSeen: day(2024, 2, 3), LastSeen: day(2024, 2, 4), Source: src("Alpha", 1)},
			}})
			// Same key: FirstSeen = min, LastSeen = max, Source = latest.
			apply(t, s, &intel.Batch{Listings: []intel.Listing{
				{IP: ip, Feed: "Zeta", Category: intel.CatMalware, FirstSeen: day(2024, 1, 3), LastSeen: day(2024, 1, 8), Source: src("Zeta", 2)},
			}})
			// An unknown FirstSeen does not replace a known one.
			apply(t, s, &intel.Batch{Listings: []intel.Listing{
				{IP: ip, Feed: "Alpha", Category: intel.CatScanner, LastSeen: day(2024, 2, 9), Source: src("Alpha", 3)},
			}})
			a := address(t, s, ip)
			want := []intel.Listing{
				{IP: ip, Feed: "Alpha", Category: intel.CatBotnetCNC, FirstSeen: day(2024, 2, 3), LastSeen: day(2024, 2, 4), Source: src("Alpha", 1)},
				{IP: ip, Feed: "Alpha", Category: intel.CatScanner, FirstSeen: day(2024, 2, 1), LastSeen: day(2024, 2, 9), Source: src("Alpha", 3)},
				{IP: ip, Feed: "Zeta", Category: intel.CatMalware, FirstSeen: day(2024, 1, 3), LastSeen: day(2024, 1, 10), Source: src("Zeta", 2)},
			}
			check(t, "Listings", a.Listings, want)
			check(t, "FirstSeen", a.FirstSeen, day(2024, 1, 3))
			check(t, "LastSeen", a.LastSeen, day(2024, 2, 9))
			check(t, "Hits", a.Hits, int64(0))
		})
	}
}

func testHostedURLMerge(t *testing.T, f Factory) {
	const u = "45.95.147.10/bins/x86"
	tests := []struct {
		name string
		recs []intel.HostedURL
		want intel.HostedURL
	}{
		{
			name: "single",
			recs: []intel.HostedURL{{URL: u, Zone: intel.ZoneOrange, Categories: []intel.Category{intel.CatMalware}, Hits: 4, FirstSeen: at(2024, 1, 5, 12, 30), LastSeen: at(2024, 1, 6, 8, 0), Source: src("URLhaus", 1)}},
			want: intel.HostedURL{URL: u, Zone: intel.ZoneOrange, Categories: []intel.Category{intel.CatMalware}, Hits: 4, FirstSeen: at(2024, 1, 5, 12, 30), LastSeen: at(2024, 1, 6, 8, 0), Source: src("URLhaus", 1)},
		},
		{
			name: "max hits, min first, max last, severer zone, or truncated, union categories, latest source",
			recs: []intel.HostedURL{
				{URL: u, Zone: intel.ZoneOrange, Categories: []intel.Category{intel.CatMalware, intel.CatMiner}, Hits: 4, FirstSeen: at(2024, 1, 5, 12, 30), LastSeen: at(2024, 1, 6, 8, 0), Source: src("URLhaus", 1)},
				{URL: u, Zone: intel.ZoneRed, Categories: []intel.Category{intel.CatBotnetCNC, intel.CatMalware}, Hits: 9, Truncated: true, FirstSeen: at(2024, 1, 2, 0, 0), LastSeen: at(2024, 1, 4, 0, 0), Source: src("Feed", 2)},
				{URL: u, Zone: intel.ZoneYellow, Hits: 2, FirstSeen: at(2024, 1, 7, 0, 0), LastSeen: at(2024, 1, 9, 1, 1), Source: src("URLhaus", 3)},
			},
			want: intel.HostedURL{URL: u, Zone: intel.ZoneRed, Categories: []intel.Category{intel.CatBotnetCNC, intel.CatMalware, intel.CatMiner}, Hits: 9, Truncated: true, FirstSeen: at(2024, 1, 2, 0, 0), LastSeen: at(2024, 1, 9, 1, 1), Source: src("URLhaus", 3)},
		},
		{
			name: "green yields to grey",
			recs: []intel.HostedURL{
				{URL: u, Zone: intel.ZoneGreen, Hits: 1, LastSeen: at(2024, 1, 1, 0, 0)},
				{URL: u, Zone: intel.ZoneGrey, Hits: 1, LastSeen: at(2024, 1, 1, 0, 0)},
			},
			want: intel.HostedURL{URL: u, Zone: intel.ZoneGrey, Hits: 1, LastSeen: at(2024, 1, 1, 0, 0)},
		},
	}
	for _, tc := range tests {
		for _, ip := range ips {
			for _, oneBatch := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/%s/onebatch=%v", tc.name, ip, oneBatch), func(t *testing.T) {
					s := open(t, f)
					var all intel.Batch
					for _, r := range tc.recs {
						r.IP = ip
						if oneBatch {
							all.HostedURLs = append(all.HostedURLs, r)
						} else {
							apply(t, s, &intel.Batch{HostedURLs: []intel.HostedURL{r}})
						}
					}
					if oneBatch {
						apply(t, s, &all)
					}
					want := tc.want
					want.IP = ip
					check(t, "HostedURLs", hosted(t, s, ip, 10), []intel.HostedURL{want})
				})
			}
		}
	}
}

func testFileMerge(t *testing.T, f Factory) {
	const (
		md5 = "0123456789ABCDEF0123456789ABCDEF"
		u   = "http://45.95.147.10/bins/x86"
	)
	tests := []struct {
		name string
		recs []intel.FileDownload
		want intel.FileDownload
	}{
		{
			name: "merge",
			recs: []intel.FileDownload{
				{MD5: md5, URL: u, Zone: intel.ZoneOrange, DetectionName: "Trojan.A", Hits: 3, FirstSeen: at(2024, 1, 5, 0, 0), LastSeen: at(2024, 1, 6, 0, 0), Source: src("A", 1)},
				{MD5: md5, URL: u, Zone: intel.ZoneRed, Hits: 7, FirstSeen: at(2024, 1, 1, 0, 0), LastSeen: at(2024, 1, 2, 0, 0), Source: src("B", 2)},
				{MD5: md5, URL: u, Zone: intel.ZoneYellow, DetectionName: "Trojan.B", Hits: 1, FirstSeen: at(2024, 1, 8, 0, 0), LastSeen: at(2024, 1, 9, 0, 0), Source: src("C", 3)},
			},
			want: intel.FileDownload{MD5: md5, URL: u, Zone: intel.ZoneRed, DetectionName: "Trojan.B", Hits: 7, FirstSeen: at(2024, 1, 1, 0, 0), LastSeen: at(2024, 1, 9, 0, 0), Source: src("C", 3)},
		},
		{
			name: "empty detection keeps the earlier one",
			recs: []intel.FileDownload{
				{MD5: md5, URL: u, Zone: intel.ZoneRed, DetectionName: "Trojan.A", Hits: 3, LastSeen: at(2024, 1, 6, 0, 0)},
				{MD5: md5, URL: u, Zone: intel.ZoneRed, Hits: 3, LastSeen: at(2024, 1, 6, 0, 0)},
			},
			want: intel.FileDownload{MD5: md5, URL: u, Zone: intel.ZoneRed, DetectionName: "Trojan.A", Hits: 3, LastSeen: at(2024, 1, 6, 0, 0)},
		},
	}
	for _, tc := range tests {
		for _, ip := range ips {
			t.Run(tc.name+"/"+ip.String(), func(t *testing.T) {
				s := open(t, f)
				for _, r := range tc.recs {
					r.IP = ip
					apply(t, s, &intel.Batch{Files: []intel.FileDownload{r}})
				}
				want := tc.want
				want.IP = ip
				check(t, "Files", files(t, s, ip, 10), []intel.FileDownload{want})
			})
		}
	}
	t.Run("key is (IP, MD5, URL)", func(t *testing.T) {
		s := open(t, f)
		apply(t, s, &intel.Batch{Files: []intel.FileDownload{
			{IP: ip4a, MD5: md5, URL: u, Hits: 1, LastSeen: at(2024, 1, 3, 0, 0)},
			{IP: ip4a, MD5: md5, URL: u + "2", Hits: 1, LastSeen: at(2024, 1, 2, 0, 0)},
			{IP: ip4a, MD5: "FFFF" + md5[4:], URL: u, Hits: 1, LastSeen: at(2024, 1, 1, 0, 0)},
			{IP: ip4b, MD5: md5, URL: u, Hits: 1, LastSeen: at(2024, 1, 1, 0, 0)},
		}})
		check(t, "files of a", len(files(t, s, ip4a, 10)), 3)
		check(t, "files of b", len(files(t, s, ip4b, 10)), 1)
	})
}

func testResolutionMerge(t *testing.T, f Factory) {
	for _, ip := range ips {
		t.Run(ip.String(), func(t *testing.T) {
			s := open(t, f)
			steps := []struct {
				rec      intel.Resolution
				wantPeak int64
				wantDate time.Time
			}{
				{intel.Resolution{DailyPeak: 5, PeakDate: day(2024, 1, 3), Hits: 50, FirstSeen: at(2024, 1, 2, 0, 0), LastSeen: at(2024, 1, 5, 0, 0)}, 5, day(2024, 1, 3)},
				{intel.Resolution{DailyPeak: 7, PeakDate: day(2024, 1, 5), Hits: 4, FirstSeen: at(2024, 1, 4, 0, 0), LastSeen: at(2024, 1, 9, 0, 0)}, 7, day(2024, 1, 5)},
				{intel.Resolution{DailyPeak: 7, PeakDate: day(2024, 1, 4), Hits: 4}, 7, day(2024, 1, 4)},
				{intel.Resolution{DailyPeak: 7, PeakDate: day(2024, 1, 6), Hits: 4}, 7, day(2024, 1, 4)},
				{intel.Resolution{DailyPeak: 2, PeakDate: day(2024, 1, 1), Hits: 40, FirstSeen: at(2024, 1, 1, 0, 0), Source: src("PDNS", 9)}, 7, day(2024, 1, 4)},
			}
			for i, st := range steps {
				r := st.rec
				r.IP, r.Domain = ip, "bad.example"
				apply(t, s, &intel.Batch{Resolutions: []intel.Resolution{r}})
				got := resolutions(t, s, ip, 10)
				if len(got) != 1 {
					t.Fatalf("step %d: got %d resolutions, want 1", i, len(got))
				}
				check(t, fmt.Sprintf("step %d peak", i), got[0].DailyPeak, st.wantPeak)
				check(t, fmt.Sprintf("step %d peak date", i), got[0].PeakDate, st.wantDate)
			}
			want := intel.Resolution{IP: ip, Domain: "bad.example", FirstSeen: at(2024, 1, 1, 0, 0), LastSeen: at(2024, 1, 9, 0, 0), Hits: 50,
				DailyPeak: 7, PeakDate: day(2024, 1, 4), Source: src("PDNS", 9), Zone: intel.ZoneGrey}
			check(t, "Resolutions", resolutions(t, s, ip, 10), []intel.Resolution{want})
		})
	}
}

func testDomainInfo(t *testing.T, f Factory) {
	s := open(t, f)
	res := func(ip netip.Addr, d string, last time.Time) intel.Resolution {
		return intel.Resolution{IP: ip, Domain: d, Hits: 1, LastSeen: last}
	}
	apply(t, s, &intel.Batch{
		Resolutions: []intel.Resolution{
			res(ip4a, "known.example", at(2024, 1, 3, 0, 0)),
			res(ip4a, "unknown.example", at(2024, 1, 2, 0, 0)),
			res(ip6a, "known.example", at(2024, 1, 1, 0, 0)),
		},
		Domains: []intel.DomainInfo{{Domain: "known.example", Zone: intel.ZoneRed, Categories: []intel.Category{intel.CatPhishing}}},
	})
	got := resolutions(t, s, ip4a, 10)
	check(t, "zones", []intel.Zone{got[0].Zone, got[1].Zone}, []intel.Zone{intel.ZoneRed, intel.ZoneGrey})
	check(t, "categories of known", got[0].Categories, []intel.Category{intel.CatPhishing})
	check(t, "categories of unknown", got[1].Categories, []intel.Category(nil))

	// Zone = latest applied (even if milder), categories = union.
	apply(t, s, &intel.Batch{Domains: []intel.DomainInfo{{Domain: "known.example", Zone: intel.ZoneGreen, Categories: []intel.Category{intel.CatBenign, intel.CatPhishing}}}})
	apply(t, s, &intel.Batch{Domains: []intel.DomainInfo{{Domain: "unknown.example", Zone: intel.ZoneYellow}}})
	for _, ip := range ips {
		got := resolutions(t, s, ip, 10)
		check(t, "zone of known after update on "+ip.String(), got[0].Zone, intel.ZoneGreen)
		check(t, "categories after update on "+ip.String(), got[0].Categories, []intel.Category{intel.CatBenign, intel.CatPhishing})
	}
	got = resolutions(t, s, ip4a, 10)
	check(t, "zone of the formerly unknown", got[1].Zone, intel.ZoneYellow)
}

func testMasks(t *testing.T, f Factory) {
	for _, ip := range ips {
		t.Run(ip.String(), func(t *testing.T) {
			s := open(t, f)
			h := ip.String()
			apply(t, s, &intel.Batch{Masks: []intel.FeedMask{
				{IP: ip, Mask: h, MaskType: intel.MaskHost, Zone: intel.ZoneOrange, Feeds: []string{"Malicious URL Feed"}, LastSeen: day(2024, 1, 2)},
				{IP: ip, Mask: h + "/bins/", MaskType: intel.MaskURLPrefix, Zone: intel.ZoneRed, Feeds: []string{"Botnet CC URL Feed"}, LastSeen: day(2024, 1, 1)},
				{IP: ip, Mask: h + "/a", MaskType: intel.MaskURL, Zone: intel.ZoneYellow, Feeds: []string{"Phishing URL Feed"}, LastSeen: day(2024, 1, 1)},
				{IP: ip, Mask: h + "/b", MaskType: intel.MaskURL, Zone: intel.ZoneRed, Feeds: []string{"Phishing URL Feed"}, LastSeen: day(2024, 1, 1)},
			}})
			apply(t, s, &intel.Batch{Masks: []intel.FeedMask{
				// Feeds = union, Zone = more severe (Yellow -> Red moves it up).
				{IP: ip, Mask: h + "/a", MaskType: intel.MaskURL, Zone: intel.ZoneRed, Feeds: []string{"APT URL Feed", "Phishing URL Feed"}, LastSeen: day(2024, 1, 5)},
				// A milder zone does not lower it.
				{IP: ip, Mask: h + "/bins/", MaskType: intel.MaskURLPrefix, Zone: intel.ZoneYellow, Feeds: []string{"Malicious URL Feed"}, LastSeen: day(2024, 1, 1)},
			}})
			got := masks(t, s, ip, 10)
			type m struct {
				Mask  string
				Zone  intel.Zone
				Feeds []string
			}
			var gotM []m
			for _, x := range got {
				gotM = append(gotM, m{x.Mask, x.Zone, x.Feeds})
			}
			want := []m{
				{h + "/a", intel.ZoneRed, []string{"APT URL Feed", "Phishing URL Feed"}},
				{h + "/b", intel.ZoneRed, []string{"Phishing URL Feed"}},
				{h + "/bins/", intel.ZoneRed, []string{"Botnet CC URL Feed", "Malicious URL Feed"}},
				{h, intel.ZoneOrange, []string{"Malicious URL Feed"}},
			}
			check(t, "masks", gotM, want)
			check(t, "LastSeen of merged mask", got[0].LastSeen, day(2024, 1, 5))
			check(t, "limit 2", len(masks(t, s, ip, 2)), 2)
			check(t, "MaskType", got[3].MaskType, intel.MaskHost)
		})
	}
}

func testSpam(t *testing.T, f Factory) {
	for _, ip := range ips {
		t.Run(ip.String(), func(t *testing.T) {
			s := open(t, f)
			ev := func(id string, tm time.Time, typ string) intel.SpamEvent {
				return intel.SpamEvent{IP: ip, ID: id, Time: tm, Type: typ}
			}
			apply(t, s, &intel.Batch{SpamEvents: []intel.SpamEvent{
				ev("s1", at(2024, 1, 5, 0, 0), "Malware"),
				ev("s2", at(2024, 1, 7, 0, 0), "Advertising"),
				ev("s2", at(2024, 1, 7, 0, 0), "Advertising"),
			}})
			// A known ID changes nothing, whatever it says.
			apply(t, s, &intel.Batch{SpamEvents: []intel.SpamEvent{
				ev("s1", at(2025, 1, 1, 0, 0), "Phishing"),
				ev("s3", at(2024, 1, 6, 0, 0), "Malware"),
			}})
			a := address(t, s, ip)
			check(t, "Spam", a.Spam, intel.SpamSummary{Attacks: 3, Last: at(2024, 1, 7, 0, 0), Types: []string{"Advertising", "Malware"}})
			check(t, "FirstSeen", a.FirstSeen, at(2024, 1, 5, 0, 0))
			check(t, "LastSeen", a.LastSeen, at(2024, 1, 7, 0, 0))

			// Types are capped at 32, keeping the smallest.
			var b intel.Batch
			var want []string
			for i := 40; i > 0; i-- {
				typ := fmt.Sprintf("T%02d", i)
				b.SpamEvents = append(b.SpamEvents, ev(fmt.Sprintf("x%d", i), at(2024, 1, 1, 0, 0), typ))
			}
			apply(t, s, &b)
			want = append(want, "Advertising", "Malware")
			for i := 1; i <= 30; i++ {
				want = append(want, fmt.Sprintf("T%02d", i))
			}
			a = address(t, s, ip)
			check(t, "capped types", a.Spam.Types, want)
			check(t, "attacks", a.Spam.Attacks, int64(43))
		})
	}
}

func testPhishing(t *testing.T, f Factory) {
	for _, ip := range ips {
		t.Run(ip.String(), func(t *testing.T) {
			s := open(t, f)
			ev := func(id string, tm time.Time, region, kit, industry, org string, stolen ...string) intel.PhishingEvent {
				return intel.PhishingEvent{IP: ip, ID: id, Time: tm, Region: region, Kit: kit, Industry: industry, Organization: org, StolenData: stolen}
			}
			apply(t, s, &intel.Batch{PhishingEvents: []intel.PhishingEvent{
				ev("p1", at(2024, 1, 5, 0, 0), "DE", "KitA", "Banking", "Bank One", "Credentials"),
				ev("p2", at(2024, 1, 9, 0, 0), "DE", "", "Retail", "Shop", "Card", "Credentials"),
				ev("p3", at(2024, 1, 7, 0, 0), "US", "KitB", "Banking", "Bank Two"),
				ev("p1", at(2024, 1, 5, 0, 0), "DE", "KitA", "Banking", "Bank One", "Credentials"),
			}})
			apply(t, s, &intel.Batch{PhishingEvents: []intel.PhishingEvent{
				ev("p1", at(2025, 1, 5, 0, 0), "FR", "KitZ", "Gov", "Gov", "Passport"), // known ID: nothing
				ev("p4", at(2024, 1, 2, 0, 0), "", "KitOld", "", ""),
			}})
			a := address(t, s, ip)
			want := intel.PhishingSummary{
				Attacks:       4,
				Last:          at(2024, 1, 9, 0, 0),
				Regions:       map[string]int64{"DE": 2, "US": 1},
				Kit:           "KitB",
				StolenData:    []string{"Card", "Credentials"},
				Industries:    []string{"Banking", "Retail"},
				Organizations: []string{"Bank One", "Bank Two", "Shop"},
			}
			check(t, "Phishing", a.Phishing, want)
			check(t, "FirstSeen", a.FirstSeen, at(2024, 1, 2, 0, 0))
			check(t, "LastSeen", a.LastSeen, at(2024, 1, 9, 0, 0))

			var b intel.Batch
			for i := 0; i < 40; i++ {
				b.PhishingEvents = append(b.PhishingEvents, ev(fmt.Sprintf("c%d", i), at(2023, 1, 1, 0, 0), "", "", fmt.Sprintf("I%02d", i), ""))
			}
			apply(t, s, &b)
			a = address(t, s, ip)
			wantInd := []string{"Banking"}
			for i := 0; i < 31; i++ {
				wantInd = append(wantInd, fmt.Sprintf("I%02d", i))
			}
			check(t, "capped industries", a.Phishing.Industries, wantInd)
			check(t, "kit unchanged by older events", a.Phishing.Kit, "KitB")
			check(t, "attacks", a.Phishing.Attacks, int64(44))
		})
	}
}

func testReports(t *testing.T, f Factory) {
	s := open(t, f)
	if _, err := s.Report(ctx(t), "R-1"); !errors.Is(err, intel.ErrNotFound) {
		t.Errorf("Report(unknown) error = %v, want ErrNotFound", err)
	}
	r1 := intel.Report{ID: "R-1", Type: intel.ReportAPT, Title: "First", Description: "d", Published: day(2024, 1, 1), Updated: day(2024, 1, 2),
		Tags: []string{"a", "b"}, Industries: []string{"Energy"}, Geo: []string{"DE"}, Actors: []string{"Actor"}, Source: src("Reports", 1),
		Indicators: []string{"45.95.147.10", "c2.badcorp.example"}, Detected: map[string]time.Time{"c2.badcorp.example": at(2023, 12, 30, 8, 15)}}
	r2 := intel.Report{ID: "R-2", Type: intel.ReportICS, Title: "Second"}
	apply(t, s, &intel.Batch{Reports: []intel.Report{r1, r2}, ReportLinks: []intel.ReportLink{
		{IP: ip4a, ReportID: "R-2"}, {IP: ip4a, ReportID: "R-1"}, {IP: ip4a, ReportID: "R-2"}, {IP: ip6a, ReportID: "R-1"},
	}})
	got, err := s.Report(ctx(t), "R-1")
	if err != nil {
		t.Fatal(err)
	}
	check(t, "report", got, r1)

	// The latest applied replaces the whole report.
	r1b := intel.Report{ID: "R-1", Type: intel.ReportCrimeware, Title: "Replaced", Tags: []string{"c"}}
	apply(t, s, &intel.Batch{Reports: []intel.Report{r1b}, ReportLinks: []intel.ReportLink{{IP: ip4a, ReportID: "R-0"}}})
	got, err = s.Report(ctx(t), "R-1")
	if err != nil {
		t.Fatal(err)
	}
	check(t, "replaced report", got, r1b)
	a := address(t, s, ip4a)
	check(t, "ReportIDs", a.ReportIDs, []string{"R-0", "R-1", "R-2"})
	check(t, "FirstSeen not from report links", a.FirstSeen, time.Time{})
	if !a.Known() {
		t.Errorf("Known() with report links = false, want true")
	}
	check(t, "ReportIDs v6", address(t, s, ip6a).ReportIDs, []string{"R-1"})
}

func testAddressSeen(t *testing.T, f Factory) {
	t1, t2 := at(2024, 2, 1, 10, 0), at(2024, 2, 3, 11, 0)
	tests := []struct {
		name        string
		b           func(ip netip.Addr) *intel.Batch
		first, last time.Time
	}{
		{"sighting", func(ip netip.Addr) *intel.Batch {
			return &intel.Batch{Sightings: []intel.Sighting{{IP: ip, Day: day(2024, 2, 1), Hits: 1}}}
		}, day(2024, 2, 1), day(2024, 2, 1)},
		{"listing", func(ip netip.Addr) *intel.Batch {
			return &intel.Batch{Listings: []intel.Listing{{IP: ip, Feed: "F", Category: intel.CatSpam, FirstSeen: t1, LastSeen: t2}}}
		}, t1, t2},
		{"hosted URL", func(ip netip.Addr) *intel.Batch {
			return &intel.Batch{HostedURLs: []intel.HostedURL{{IP: ip, URL: "h.example/x", FirstSeen: t1, LastSeen: t2}}}
		}, t1, t2},
		{"file", func(ip netip.Addr) *intel.Batch {
			return &intel.Batch{Files: []intel.FileDownload{{IP: ip, MD5: "AA", URL: "h.example/x", FirstSeen: t1, LastSeen: t2}}}
		}, t1, t2},
		{"resolution", func(ip netip.Addr) *intel.Batch {
			return &intel.Batch{Resolutions: []intel.Resolution{{IP: ip, Domain: "h.example", FirstSeen: t1, LastSeen: t2}}}
		}, t1, t2},
		{"spam", func(ip netip.Addr) *intel.Batch {
			return &intel.Batch{SpamEvents: []intel.SpamEvent{{IP: ip, ID: "1", Time: t1}, {IP: ip, ID: "2", Time: t2}}}
		}, t1, t2},
		{"phishing", func(ip netip.Addr) *intel.Batch {
			return &intel.Batch{PhishingEvents: []intel.PhishingEvent{{IP: ip, ID: "1", Time: t2}, {IP: ip, ID: "2", Time: t1}}}
		}, t1, t2},
		{"everything", func(ip netip.Addr) *intel.Batch {
			return &intel.Batch{
				Sightings:      []intel.Sighting{{IP: ip, Day: day(2024, 1, 20), Hits: 1}},
				Listings:       []intel.Listing{{IP: ip, Feed: "F", Category: intel.CatSpam, FirstSeen: t1, LastSeen: t1}},
				HostedURLs:     []intel.HostedURL{{IP: ip, URL: "h.example/x", FirstSeen: t1, LastSeen: t1}},
				Resolutions:    []intel.Resolution{{IP: ip, Domain: "h.example", FirstSeen: t1, LastSeen: t1}},
				PhishingEvents: []intel.PhishingEvent{{IP: ip, ID: "1", Time: at(2024, 3, 1, 0, 0)}},
			}
		}, day(2024, 1, 20), at(2024, 3, 1, 0, 0)},
	}
	for _, tc := range tests {
		for _, ip := range ips {
			t.Run(tc.name+"/"+ip.String(), func(t *testing.T) {
				s := open(t, f)
				apply(t, s, tc.b(ip))
				a := address(t, s, ip)
				check(t, "FirstSeen", a.FirstSeen, tc.first)
				check(t, "LastSeen", a.LastSeen, tc.last)
				if !a.Known() {
					t.Errorf("Known() = false, want true")
				}
			})
		}
	}
}

func testRedCounts(t *testing.T, f Factory) {
	for _, ip := range ips {
		t.Run(ip.String(), func(t *testing.T) {
			s := open(t, f)
			hu := func(u string, z intel.Zone) intel.HostedURL {
				return intel.HostedURL{IP: ip, URL: u, Zone: z, Hits: 1, LastSeen: day(2024, 1, 1)}
			}
			fd := func(md5, u string, z intel.Zone) intel.FileDownload {
				return intel.FileDownload{IP: ip, MD5: md5, URL: u, Zone: z, Hits: 1, LastSeen: day(2024, 1, 1)}
			}
			apply(t, s, &intel.Batch{
				HostedURLs: []intel.HostedURL{hu("a/1", intel.ZoneRed), hu("a/1", intel.ZoneRed), hu("a/2", intel.ZoneOrange), hu("a/3", intel.ZoneGreen)},
				Files:      []intel.FileDownload{fd("AA", "a/1", intel.ZoneRed), fd("AA", "a/2", intel.ZoneRed), fd("BB", "a/1", intel.ZoneYellow)},
			})
			a := address(t, s, ip)
			check(t, "RedURLs", a.RedURLs, int64(1))
			check(t, "RedFiles", a.RedFiles, int64(2))
			apply(t, s, &intel.Batch{
				HostedURLs: []intel.HostedURL{hu("a/2", intel.ZoneRed), hu("a/1", intel.ZoneYellow)},
				Files:      []intel.FileDownload{fd("BB", "a/1", intel.ZoneRed), fd("AA", "a/1", intel.ZoneRed)},
			})
			a = address(t, s, ip)
			check(t, "RedURLs after merge", a.RedURLs, int64(2))
			check(t, "RedFiles after merge", a.RedFiles, int64(3))
		})
	}
}

func testListOrder(t *testing.T, f Factory) {
	for _, ip := range ips {
		t.Run(ip.String(), func(t *testing.T) {
			s := open(t, f)
			// Applied in scrambled order; expected: LastSeen desc, Hits desc, key asc.
			type item struct {
				key  string
				last time.Time
				hits int64
			}
			items := []item{
				{"c", at(2024, 1, 2, 0, 0), 5},
				{"a", at(2024, 1, 1, 0, 0), 1},
				{"e", at(2024, 1, 3, 0, 0), 1},
				{"b", at(2024, 1, 2, 0, 0), 5},
				{"d", at(2024, 1, 2, 0, 0), 9},
				{"f", at(2024, 1, 2, 0, 1), 0},
				{"g", time.Time{}, 100},
				{"h", at(2024, 1, 2, 0, 0), 1 << 40},
			}
			wantKeys := []string{"e", "f", "h", "d", "b", "c", "a", "g"}
			var b intel.Batch
			for _, it := range items {
				b.HostedURLs = append(b.HostedURLs, intel.HostedURL{IP: ip, URL: "h.example/" + it.key, Hits: it.hits, LastSeen: it.last})
				b.Files = append(b.Files, intel.FileDownload{IP: ip, MD5: strings.ToUpper(it.key) + "0", URL: "h.example/f", Hits: it.hits, LastSeen: it.last})
				b.Resolutions = append(b.Resolutions, intel.Resolution{IP: ip, Domain: it.key + ".example", Hits: it.hits, LastSeen: it.last})
			}
			apply(t, s, &b)
			for _, limit := range []int{0, 1, 3, len(items), 100} {
				n := min(limit, len(items))
				var gotU, gotF, gotR []string
				for _, x := range hosted(t, s, ip, limit) {
					gotU = append(gotU, strings.TrimPrefix(x.URL, "h.example/"))
				}
				for _, x := range files(t, s, ip, limit) {
					gotF = append(gotF, strings.ToLower(strings.TrimSuffix(x.MD5, "0")))
				}
				for _, x := range resolutions(t, s, ip, limit) {
					gotR = append(gotR, strings.TrimSuffix(x.Domain, ".example"))
				}
				check(t, fmt.Sprintf("hosted URLs limit %d", limit), gotU, wantKeys[:n])
				check(t, fmt.Sprintf("files limit %d", limit), gotF, wantKeys[:n])
				check(t, fmt.Sprintf("resolutions limit %d", limit), gotR, wantKeys[:n])
			}
			// Sections of other addresses are separate.
			check(t, "other address", len(hosted(t, s, ip4b, 10)), 0)
		})
	}
}

func testListReorderOnMerge(t *testing.T, f Factory) {
	s := open(t, f)
	var b intel.Batch
	for i := range 5 {
		b.HostedURLs = append(b.HostedURLs, intel.HostedURL{IP: ip6a, URL: fmt.Sprintf("u/%d", i), Hits: 1, LastSeen: day(2024, 1, 1+i)})
	}
	apply(t, s, &b)
	// The oldest becomes the newest; a middle one gains hits but not recency.
	apply(t, s, &intel.Batch{HostedURLs: []intel.HostedURL{
		{IP: ip6a, URL: "u/0", Hits: 1, LastSeen: day(2024, 2, 1)},
		{IP: ip6a, URL: "u/2", Hits: 50, LastSeen: day(2023, 1, 1)},
	}})
	var got []string
	for _, x := range hosted(t, s, ip6a, 10) {
		got = append(got, x.URL)
	}
	check(t, "order after merge", got, []string{"u/0", "u/4", "u/3", "u/2", "u/1"})
	check(t, "hits of u/2", hosted(t, s, ip6a, 10)[3].Hits, int64(50))
}

func testDomainIPs(t *testing.T, f Factory) {
	s := open(t, f)
	apply(t, s, &intel.Batch{Resolutions: []intel.Resolution{
		{IP: ip4a, Domain: "multi.example", Hits: 3, LastSeen: day(2024, 1, 2)},
		{IP: ip6a, Domain: "multi.example", Hits: 1, LastSeen: day(2024, 1, 5)},
		{IP: ip4b, Domain: "multi.example", Hits: 3, LastSeen: day(2024, 1, 2)},
		{IP: ip6b, Domain: "multi.example", Hits: 7, LastSeen: day(2024, 1, 2)},
		{IP: ip4a, Domain: "other.example", Hits: 1, LastSeen: day(2024, 1, 9)},
	}})
	got, err := s.DomainIPs(ctx(t), "multi.example", 10)
	if err != nil {
		t.Fatal(err)
	}
	check(t, "DomainIPs", got, []netip.Addr{ip6a, ip6b, ip4a, ip4b})
	got, _ = s.DomainIPs(ctx(t), "multi.example", 2)
	check(t, "DomainIPs limit 2", got, []netip.Addr{ip6a, ip6b})
	// A merge moves an address up.
	apply(t, s, &intel.Batch{Resolutions: []intel.Resolution{{IP: ip4b, Domain: "multi.example", Hits: 1, LastSeen: day(2024, 3, 1)}}})
	got, _ = s.DomainIPs(ctx(t), "multi.example", 10)
	check(t, "DomainIPs after merge", got, []netip.Addr{ip4b, ip6a, ip6b, ip4a})
	got, _ = s.DomainIPs(ctx(t), "other.example", 10)
	check(t, "DomainIPs other", got, []netip.Addr{ip4a})

	// Several domains in one pass answer as one at a time.
	domains := []string{"absent.example", "multi.example", "multi.exampl", "other.example", "zzz.example"}
	for _, limit := range []int{0, 2, 10} {
		var many [][]netip.Addr
		if err := store.DomainsIPs(ctx(t), s, domains, limit, func(i int, ips []netip.Addr) {
			if i != len(many) {
				t.Errorf("DomainsIPs limit %d: domain %d called as %d", limit, len(many), i)
			}
			many = append(many, slices.Clone(ips))
		}); err != nil {
			t.Fatal(err)
		}
		if len(many) != len(domains) {
			t.Fatalf("DomainsIPs limit %d: %d calls, want %d", limit, len(many), len(domains))
		}
		for i, d := range domains {
			one, err := s.DomainIPs(ctx(t), d, limit)
			if err != nil {
				t.Fatal(err)
			}
			if len(one) != len(many[i]) || len(one) > 0 && !slices.Equal(one, many[i]) {
				t.Errorf("DomainsIPs limit %d, %s: %v, DomainIPs %v", limit, d, many[i], one)
			}
		}
	}
}

func testURLSummary(t *testing.T, f Factory) {
	s := open(t, f)
	const u = "bad.example/dl/payload.exe"
	if _, err := s.URL(ctx(t), u); !errors.Is(err, intel.ErrNotFound) {
		t.Errorf("URL(unknown) error = %v, want ErrNotFound", err)
	}
	apply(t, s, &intel.Batch{
		HostedURLs: []intel.HostedURL{
			{IP: ip4b, URL: u, Zone: intel.ZoneOrange, Categories: []intel.Category{intel.CatMiner}, Hits: 5, FirstSeen: day(2024, 1, 3), LastSeen: day(2024, 1, 4)},
			{IP: ip6a, URL: u, Zone: intel.ZoneRed, Categories: []intel.Category{intel.CatMalware}, Hits: 2, Truncated: true, FirstSeen: day(2024, 1, 1), LastSeen: day(2024, 1, 2)},
			{IP: ip4a, URL: u, Zone: intel.ZoneYellow, Hits: 1, FirstSeen: day(2024, 1, 5), LastSeen: day(2024, 1, 6)},
			{IP: ip4a, URL: u + "x", Zone: intel.ZoneGreen, Hits: 100, LastSeen: day(2025, 1, 1)},
		},
		Files: []intel.FileDownload{
			{IP: ip4a, MD5: "AA", URL: "http://" + u, Hits: 1, LastSeen: day(2024, 1, 1)},
			{IP: ip4b, MD5: "AA", URL: "https://" + u, Hits: 1, LastSeen: day(2024, 1, 1)},
			{IP: ip4b, MD5: "BB", URL: "HTTPS://" + u, Hits: 1, LastSeen: day(2024, 1, 1)},
			{IP: ip4b, MD5: "CC", URL: "http://" + u + "x", Hits: 1, LastSeen: day(2024, 1, 1)},
		},
	})
	got, err := s.URL(ctx(t), u)
	if err != nil {
		t.Fatal(err)
	}
	want := intel.URLSummary{URL: u, Zone: intel.ZoneRed, Categories: []intel.Category{intel.CatMalware, intel.CatMiner}, Hits: 5, Truncated: true,
		FirstSeen: day(2024, 1, 1), LastSeen: day(2024, 1, 6), IPs: []netip.Addr{ip4a, ip4b, ip6a}, Files: 2}
	check(t, "URL summary", got, want)

	// Idempotent.
	apply(t, s, &intel.Batch{Files: []intel.FileDownload{{IP: ip4a, MD5: "AA", URL: "http://" + u, Hits: 1, LastSeen: day(2024, 1, 1)}}})
	got, _ = s.URL(ctx(t), u)
	check(t, "URL summary after re-apply", got, want)

	// A URL known only from a file download.
	const fo = "files.example/only"
	apply(t, s, &intel.Batch{Files: []intel.FileDownload{{IP: ip6b, MD5: "DD", URL: "http://" + fo, Hits: 1}}})
	got, err = s.URL(ctx(t), fo)
	if err != nil {
		t.Fatalf("URL(file-only): %v", err)
	}
	check(t, "file-only URL files", got.Files, int64(1))
	check(t, "file-only URL hits", got.Hits, int64(0))

	// IPs are capped at 256, keeping the smallest.
	var b intel.Batch
	for i := 299; i >= 0; i-- {
		b.HostedURLs = append(b.HostedURLs, intel.HostedURL{IP: netip.AddrFrom4([4]byte{81, 2, byte(i >> 8), byte(i)}), URL: "many.example/", Hits: 1})
	}
	apply(t, s, &b)
	got, err = s.URL(ctx(t), "many.example/")
	if err != nil {
		t.Fatal(err)
	}
	check(t, "capped IP count", len(got.IPs), 256)
	if len(got.IPs) == 256 {
		check(t, "first IP", got.IPs[0], netip.AddrFrom4([4]byte{81, 2, 0, 0}))
		check(t, "last IP", got.IPs[255], netip.AddrFrom4([4]byte{81, 2, 0, 255}))
	}
}

func testURLFiles(t *testing.T, f Factory) {
	s := open(t, f)
	const u = "bad.example/dl"
	apply(t, s, &intel.Batch{Files: []intel.FileDownload{
		{IP: ip4b, MD5: "AA", URL: "https://" + u, Zone: intel.ZoneOrange, DetectionName: "X", Hits: 3, FirstSeen: day(2024, 1, 2), LastSeen: day(2024, 1, 3)},
		{IP: ip4a, MD5: "AA", URL: "http://" + u, Zone: intel.ZoneRed, Hits: 1, FirstSeen: day(2024, 1, 1), LastSeen: day(2024, 1, 2)},
		{IP: ip6a, MD5: "BB", URL: "http://" + u, Zone: intel.ZoneYellow, Hits: 9, LastSeen: day(2024, 1, 3)},
		{IP: ip6a, MD5: "CC", URL: "http://" + u, Hits: 1, LastSeen: day(2024, 1, 9)},
		{IP: ip6a, MD5: "DD", URL: "http://" + u + "/other", Hits: 1, LastSeen: day(2024, 1, 9)},
	}})
	got, err := s.URLFiles(ctx(t), u, 10)
	if err != nil {
		t.Fatal(err)
	}
	want := []intel.FileDownload{
		{IP: ip6a, MD5: "CC", URL: "http://" + u, Hits: 1, LastSeen: day(2024, 1, 9)},
		{IP: ip6a, MD5: "BB", URL: "http://" + u, Zone: intel.ZoneYellow, Hits: 9, LastSeen: day(2024, 1, 3)},
		{IP: ip4a, MD5: "AA", URL: "http://" + u, Zone: intel.ZoneRed, DetectionName: "X", Hits: 3, FirstSeen: day(2024, 1, 1), LastSeen: day(2024, 1, 3)},
	}
	check(t, "URLFiles", got, want)
	got, _ = s.URLFiles(ctx(t), u, 1)
	check(t, "URLFiles limit 1", got, want[:1])
}

// snapshot is everything readable about a set of keys.
type snapshot struct {
	Addresses   []intel.AddressSummary
	Hosted      [][]intel.HostedURL
	Files       [][]intel.FileDownload
	Resolutions [][]intel.Resolution
	Masks       [][]intel.FeedMask
	DomainIPs   [][]netip.Addr
	URLs        []string
	URLFiles    [][]intel.FileDownload
	Reports     []string
	Networks    []string
	NetVersion  uint64
	Users       []intel.User
	Tokens      []string
	Counts      []int64
}

func takeSnapshot(t *testing.T, s store.Store, withVersion bool) snapshot {
	t.Helper()
	var sn snapshot
	for _, ip := range append(slices.Clone(ips), ip4b, ip6b) {
		sn.Addresses = append(sn.Addresses, address(t, s, ip))
		sn.Hosted = append(sn.Hosted, hosted(t, s, ip, 1000))
		sn.Files = append(sn.Files, files(t, s, ip, 1000))
		sn.Resolutions = append(sn.Resolutions, resolutions(t, s, ip, 1000))
		sn.Masks = append(sn.Masks, masks(t, s, ip, 1000))
	}
	for _, d := range mixedDomains {
		l, err := s.DomainIPs(ctx(t), d, 1000)
		if err != nil {
			t.Fatal(err)
		}
		sn.DomainIPs = append(sn.DomainIPs, l)
	}
	for _, u := range mixedURLs {
		sum, err := s.URL(ctx(t), u)
		sn.URLs = append(sn.URLs, fmt.Sprintf("%+v err=%v", sum, err))
		l, err := s.URLFiles(ctx(t), u, 1000)
		if err != nil {
			t.Fatal(err)
		}
		sn.URLFiles = append(sn.URLFiles, l)
	}
	for _, id := range []string{"R-1", "R-2", "R-3"} {
		r, err := s.Report(ctx(t), id)
		sn.Reports = append(sn.Reports, fmt.Sprintf("%+v err=%v", r, err))
	}
	sn.Networks = scanAll(t, s)
	if withVersion {
		v, err := s.NetworkVersion(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		sn.NetVersion = v
	}
	users, err := s.Users(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	sn.Users = users
	for _, u := range users {
		tok, err := s.UserToken(ctx(t), u.Name)
		sn.Tokens = append(sn.Tokens, fmt.Sprintf("%+v err=%v", tok, err))
		n, err := s.RequestCount(ctx(t), u.Name, "2024-03-01")
		if err != nil {
			t.Fatal(err)
		}
		sn.Counts = append(sn.Counts, n)
	}
	return sn
}

// scanAll returns every network record formatted, sorted.
func scanAll(t *testing.T, s store.Store) []string {
	t.Helper()
	var out []string
	err := s.ScanNetworks(ctx(t), func(r store.NetRecord) error {
		out = append(out, formatNet(r))
		return nil
	})
	if err != nil {
		t.Fatalf("ScanNetworks: %v", err)
	}
	sort.Strings(out)
	return out
}

func formatNet(r store.NetRecord) string {
	n := 0
	var s string
	if r.Country != nil {
		n++
		c := *r.Country
		s = fmt.Sprintf("country %s %s %s", c.Prefix, c.Country, fmtSource(c.Source))
	}
	if r.AS != nil {
		n++
		a := *r.AS
		s = fmt.Sprintf("as %s %d %q %s", a.Prefix, a.ASN, a.Description, fmtSource(a.Source))
	}
	if r.Whois != nil {
		n++
		w := *r.Whois
		s = fmt.Sprintf("whois %s %s %s-%s %q %q %s %s %s %+v %s", w.Prefix, w.Type, w.Start, w.End, w.Name, w.Description,
			w.Created.UTC().Format(time.RFC3339Nano), w.Changed.UTC().Format(time.RFC3339Nano), w.Country, w.Contacts, fmtSource(w.Source))
	}
	if r.NetListing != nil {
		n++
		l := *r.NetListing
		s = fmt.Sprintf("netlisting %s %s %s %s %s %s %s", l.Prefix, l.Feed, l.Category, l.Zone,
			l.FirstSeen.UTC().Format(time.RFC3339Nano), l.LastSeen.UTC().Format(time.RFC3339Nano), fmtSource(l.Source))
	}
	if r.Allow != nil {
		n++
		a := *r.Allow
		s = fmt.Sprintf("allow %s %s %s", a.Prefix, a.List, fmtSource(a.Source))
	}
	if n != 1 {
		return fmt.Sprintf("BAD RECORD with %d fields set: %s", n, s)
	}
	return s
}

func fmtSource(s intel.Source) string {
	return fmt.Sprintf("[%s %s %s]", s.Feed, s.File, s.Imported.UTC().Format(time.RFC3339Nano))
}

var (
	mixedDomains = []string{"a.example", "b.example", "c.example"}
	mixedURLs    = []string{"a.example/1", "a.example/2", "45.95.147.10/bins/x86", "b.example/dl"}
)

// mixedBatch has records of every type, some keys repeated with different
// values.
func mixedBatch() *intel.Batch {
	var b intel.Batch
	for i, ip := range []netip.Addr{ip4a, ip6a, ip4b} {
		d := day(2024, 1, 1+i)
		b.Sightings = append(b.Sightings, intel.Sighting{IP: ip, Day: d, Hits: int64(10 * (i + 1))}, intel.Sighting{IP: ip, Day: d.AddDate(0, 0, 1), Hits: 3})
		b.Listings = append(b.Listings, intel.Listing{IP: ip, Feed: "F", Category: intel.CatMalware, FirstSeen: d, LastSeen: d.AddDate(0, 0, 3), Source: src("F", i)})
		for j, u := range mixedURLs {
			b.HostedURLs = append(b.HostedURLs, intel.HostedURL{IP: ip, URL: u, Zone: []intel.Zone{intel.ZoneRed, intel.ZoneOrange}[j%2],
				Categories: []intel.Category{intel.CatMalware}, Hits: int64(i + j), FirstSeen: d, LastSeen: d.AddDate(0, 0, j), Source: src("U", j)})
			b.Files = append(b.Files, intel.FileDownload{IP: ip, MD5: fmt.Sprintf("%032X", j), URL: "http://" + u, Zone: intel.ZoneRed,
				DetectionName: "D", Hits: int64(j), FirstSeen: d, LastSeen: d.AddDate(0, 0, j)})
		}
		for j, dom := range mixedDomains {
			b.Resolutions = append(b.Resolutions, intel.Resolution{IP: ip, Domain: dom, Hits: int64(i + j), DailyPeak: int64(j), PeakDate: d,
				FirstSeen: d, LastSeen: d.AddDate(0, 0, i+j)})
		}
		b.Masks = append(b.Masks, intel.FeedMask{IP: ip, Mask: ip.String(), MaskType: intel.MaskHost, Zone: intel.ZoneRed, Feeds: []string{"Malicious URL Feed"}, LastSeen: d})
		b.SpamEvents = append(b.SpamEvents, intel.SpamEvent{IP: ip, ID: fmt.Sprint("s", i), Time: d, Type: "Malware"})
		b.PhishingEvents = append(b.PhishingEvents, intel.PhishingEvent{IP: ip, ID: fmt.Sprint("p", i), Time: d, Region: "DE", Kit: "K", StolenData: []string{"Card"}, Industry: "Banking", Organization: "Bank"})
		b.ReportLinks = append(b.ReportLinks, intel.ReportLink{IP: ip, ReportID: "R-1"})
	}
	// Repeated keys with other values.
	b.HostedURLs = append(b.HostedURLs, intel.HostedURL{IP: ip4a, URL: mixedURLs[0], Zone: intel.ZoneYellow, Hits: 99, LastSeen: day(2024, 6, 1), Truncated: true,
		Categories: []intel.Category{intel.CatPhishing}})
	b.Resolutions = append(b.Resolutions, intel.Resolution{IP: ip6a, Domain: mixedDomains[0], Hits: 1, DailyPeak: 50, PeakDate: day(2024, 2, 2), LastSeen: day(2024, 7, 1)})
	b.Domains = []intel.DomainInfo{{Domain: "a.example", Zone: intel.ZoneRed, Categories: []intel.Category{intel.CatPhishing}}, {Domain: "a.example", Zone: intel.ZoneOrange, Categories: []intel.Category{intel.CatSpam}}}
	b.Reports = []intel.Report{{ID: "R-1", Type: intel.ReportAPT, Title: "One"}, {ID: "R-2", Type: intel.ReportICS, Title: "Two"}, {ID: "R-1", Type: intel.ReportAPT, Title: "One, replaced"}}
	b.Countries = []intel.CountryRange{
		{Prefix: netip.MustParsePrefix("45.95.144.0/22"), Country: "NL", Source: src("RIR", 1)},
		{Prefix: netip.MustParsePrefix("2a03:b0c0::/32"), Country: "DE"},
		{Prefix: netip.MustParsePrefix("45.95.144.0/22"), Country: "DE", Source: src("RIR", 2)},
	}
	b.ASRanges = []intel.ASRange{
		{Prefix: netip.MustParsePrefix("45.95.147.0/24"), ASN: 213035, Description: []string{"SERV-RU", "Hosting"}},
		{Prefix: netip.MustParsePrefix("45.95.147.0/24"), ASN: 64496, Description: []string{"Other"}},
	}
	b.WhoisNets = []intel.WhoisNet{{Prefix: netip.MustParsePrefix("45.95.147.0/24"), Type: "inetnum", Start: netip.MustParseAddr("45.95.147.0"), End: netip.MustParseAddr("45.95.147.255"),
		Name: "NET-1", Description: "line1\r\nline2", Created: day(2020, 1, 1), Changed: day(2023, 1, 1), Country: "NL",
		Contacts: []intel.Contact{{Address: []string{"Street 1", "City"}, OrganizationID: "ORG-1", Name: "Abuse", Role: "abuse", Type: "role", Email: "abuse@example.net"}}}}
	b.NetListings = []intel.NetListing{
		{Prefix: netip.MustParsePrefix("91.92.108.0/22"), Category: intel.CatSpam, Zone: intel.ZoneOrange, Feed: "DROP", FirstSeen: day(2024, 1, 5), LastSeen: day(2024, 1, 6)},
		{Prefix: netip.MustParsePrefix("91.92.108.0/22"), Category: intel.CatSpam, Zone: intel.ZoneOrange, Feed: "DROP", FirstSeen: day(2024, 1, 2), LastSeen: day(2024, 1, 3)},
	}
	b.Allows = []intel.Allow{{Prefix: netip.MustParsePrefix("2606:4700::/32"), List: "cdn"}}
	return &b
}

func doubled(b *intel.Batch) *intel.Batch {
	return &intel.Batch{
		Sightings:      append(slices.Clone(b.Sightings), b.Sightings...),
		Listings:       append(slices.Clone(b.Listings), b.Listings...),
		HostedURLs:     append(slices.Clone(b.HostedURLs), b.HostedURLs...),
		Files:          append(slices.Clone(b.Files), b.Files...),
		Resolutions:    append(slices.Clone(b.Resolutions), b.Resolutions...),
		Domains:        append(slices.Clone(b.Domains), b.Domains...),
		Masks:          append(slices.Clone(b.Masks), b.Masks...),
		SpamEvents:     append(slices.Clone(b.SpamEvents), b.SpamEvents...),
		PhishingEvents: append(slices.Clone(b.PhishingEvents), b.PhishingEvents...),
		Reports:        append(slices.Clone(b.Reports), b.Reports...),
		ReportLinks:    append(slices.Clone(b.ReportLinks), b.ReportLinks...),
		Countries:      append(slices.Clone(b.Countries), b.Countries...),
		ASRanges:       append(slices.Clone(b.ASRanges), b.ASRanges...),
		WhoisNets:      append(slices.Clone(b.WhoisNets), b.WhoisNets...),
		NetListings:    append(slices.Clone(b.NetListings), b.NetListings...),
		Allows:         append(slices.Clone(b.Allows), b.Allows...),
	}
}

func testIdempotency(t *testing.T, f Factory) {
	s := open(t, f)
	apply(t, s, mixedBatch())
	once := takeSnapshot(t, s, false)
	if len(once.Networks) != 7 {
		t.Errorf("network records after mixed batch: got %d, want 7", len(once.Networks))
	}
	apply(t, s, mixedBatch())
	twice := takeSnapshot(t, s, false)
	check(t, "store after applying the batch twice vs once", twice, once)
}

func testDuplicatesInBatch(t *testing.T, f Factory) {
	a, b := open(t, f), open(t, f)
	apply(t, a, mixedBatch())
	apply(t, b, doubled(mixedBatch()))
	check(t, "store after a batch with every record twice vs once", takeSnapshot(t, b, false), takeSnapshot(t, a, false))
}

func testInvalidBatch(t *testing.T, f Factory) {
	s := open(t, f)
	err := s.Apply(ctx(t), &intel.Batch{
		Sightings:  []intel.Sighting{{IP: ip4a, Day: day(2024, 1, 1), Hits: 1}},
		HostedURLs: []intel.HostedURL{{URL: "no.address/x"}},
	})
	if intel.KindOf(err) != intel.KindInvalid {
		t.Errorf("Apply with an invalid address: error %v (kind %d), want kind KindInvalid", err, intel.KindOf(err))
	}
	check(t, "summary after refused batch", address(t, s, ip4a), intel.AddressSummary{IP: ip4a})
}

func testScanNetworks(t *testing.T, f Factory) {
	s := open(t, f)
	p4 := netip.MustParsePrefix("45.95.144.0/22")
	p6 := netip.MustParsePrefix("2a03:b0c0::/32")
	apply(t, s, &intel.Batch{
		Countries: []intel.CountryRange{{Prefix: p4, Country: "NL"}, {Prefix: p6, Country: "DE"}},
		ASRanges:  []intel.ASRange{{Prefix: p4, ASN: 1, Description: []string{"one"}}, {Prefix: p4, ASN: 2}},
		WhoisNets: []intel.WhoisNet{{Prefix: p6, Type: "inet6num", Name: "OLD"}},
		NetListings: []intel.NetListing{
			{Prefix: p4, Feed: "DROP", Category: intel.CatSpam, Zone: intel.ZoneOrange, FirstSeen: day(2024, 1, 5), LastSeen: day(2024, 1, 6)},
			{Prefix: p4, Feed: "DROP", Category: intel.CatMalware, Zone: intel.ZoneRed, FirstSeen: day(2024, 1, 5), LastSeen: day(2024, 1, 6)},
		},
		Allows: []intel.Allow{{Prefix: p6, List: "cdn"}, {Prefix: p6, List: "dns"}},
	})
	apply(t, s, &intel.Batch{
		Countries:   []intel.CountryRange{{Prefix: p4, Country: "DE", Source: src("RIR", 2)}},
		ASRanges:    []intel.ASRange{{Prefix: p4, ASN: 1, Description: []string{"uno"}}},
		WhoisNets:   []intel.WhoisNet{{Prefix: p6, Type: "inet6num", Name: "NEW", Created: day(2020, 1, 1)}},
		NetListings: []intel.NetListing{{Prefix: p4, Feed: "DROP", Category: intel.CatSpam, Zone: intel.ZoneOrange, FirstSeen: day(2024, 1, 1), LastSeen: day(2024, 1, 3)}},
		Allows:      []intel.Allow{{Prefix: p6, List: "cdn", Source: src("WL", 2)}},
	})
	want := []string{
		formatNet(store.NetRecord{Country: &intel.CountryRange{Prefix: p4, Country: "DE", Source: src("RIR", 2)}}),
		formatNet(store.NetRecord{Country: &intel.CountryRange{Prefix: p6, Country: "DE"}}),
		formatNet(store.NetRecord{AS: &intel.ASRange{Prefix: p4, ASN: 1, Description: []string{"uno"}}}),
		formatNet(store.NetRecord{AS: &intel.ASRange{Prefix: p4, ASN: 2}}),
		formatNet(store.NetRecord{Whois: &intel.WhoisNet{Prefix: p6, Type: "inet6num", Name: "NEW", Created: day(2020, 1, 1)}}),
		formatNet(store.NetRecord{NetListing: &intel.NetListing{Prefix: p4, Feed: "DROP", Category: intel.CatSpam, Zone: intel.ZoneOrange, FirstSeen: day(2024, 1, 1), LastSeen: day(2024, 1, 6)}}),
		formatNet(store.NetRecord{NetListing: &intel.NetListing{Prefix: p4, Feed: "DROP", Category: intel.CatMalware, Zone: intel.ZoneRed, FirstSeen: day(2024, 1, 5), LastSeen: day(2024, 1, 6)}}),
		formatNet(store.NetRecord{Allow: &intel.Allow{Prefix: p6, List: "cdn", Source: src("WL", 2)}}),
		formatNet(store.NetRecord{Allow: &intel.Allow{Prefix: p6, List: "dns"}}),
	}
	sort.Strings(want)
	check(t, "network records", scanAll(t, s), want)

	// fn's error stops the scan and is returned.
	stop := errors.New("stop")
	calls := 0
	err := s.ScanNetworks(ctx(t), func(store.NetRecord) error { calls++; return stop })
	if !errors.Is(err, stop) {
		t.Errorf("ScanNetworks error = %v, want %v", err, stop)
	}
	check(t, "calls after error", calls, 1)
}

func testNetworkVersion(t *testing.T, f Factory) {
	s := open(t, f)
	version := func() uint64 {
		t.Helper()
		v, err := s.NetworkVersion(ctx(t))
		if err != nil {
			t.Fatalf("NetworkVersion: %v", err)
		}
		return v
	}
	v0 := version()
	apply(t, s, &intel.Batch{Sightings: []intel.Sighting{{IP: ip4a, Day: day(2024, 1, 1), Hits: 1}}, HostedURLs: []intel.HostedURL{{IP: ip4a, URL: "x/y"}}})
	if v := version(); v != v0 {
		t.Errorf("version after address-only batch: got %d, want %d (unchanged)", v, v0)
	}
	apply(t, s, &intel.Batch{Countries: []intel.CountryRange{{Prefix: netip.MustParsePrefix("45.95.144.0/22"), Country: "NL"}}})
	v1 := version()
	if v1 == v0 {
		t.Errorf("version after network batch: got %d, want a change", v1)
	}
	apply(t, s, &intel.Batch{Allows: []intel.Allow{{Prefix: netip.MustParsePrefix("2606:4700::/32"), List: "cdn"}}})
	v2 := version()
	if v2 == v1 || v2 == v0 {
		t.Errorf("version after second network batch: got %d, want a new value (had %d, %d)", v2, v0, v1)
	}
	_ = s.Apply(ctx(t), &intel.Batch{Countries: []intel.CountryRange{{}}})
	if v := version(); v != v2 {
		t.Errorf("version after refused batch: got %d, want %d", v, v2)
	}
	if v := version(); v != v2 {
		t.Errorf("version read twice: got %d, want %d", v, v2)
	}
}

// testIntelVersion: a backend that reports its data version
// (store.Versioned) changes it with every committed batch, whether applied
// whole or pipelined, by this store or by another one on the same data
// (PostgreSQL), and not with refused batches or access writes. A backend
// may learn of a commit a little after it (PostgreSQL's notifications):
// the suite waits up to 10 s for a change.
func testIntelVersion(t *testing.T, f Factory) {
	s := open(t, f)
	if _, ok := s.(store.Versioned); !ok {
		t.Skip("the backend does not report its data version")
	}
	// changed waits for a known version other than old (any when old is
	// nil) and returns it.
	changed := func(what string, old *uint64) uint64 {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			v, ok := store.IntelVersion(s)
			if ok && (old == nil || v != *old) {
				return v
			}
			if time.Now().After(deadline) {
				if old == nil {
					t.Fatalf("%s: the version is not known within 10 s", what)
				}
				t.Fatalf("%s: the version did not change from %d (known: %v) within 10 s", what, *old, ok)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	v0 := changed("at the start", nil)
	apply(t, s, &intel.Batch{Sightings: []intel.Sighting{{IP: ip4a, Day: day(2024, 1, 1), Hits: 1}}})
	v1 := changed("after an address batch", &v0)
	apply(t, s, &intel.Batch{ObjectInfos: []intel.ObjectInfo{{Kind: intel.ObjectHost, Key: "c2.example", Hits: 1}}})
	v2 := changed("after an object batch", &v1)
	done := make(chan error, 1)
	if err := store.ApplyAsync(ctx(t), s, &intel.Batch{Sightings: []intel.Sighting{{IP: ip4b, Day: day(2024, 1, 1), Hits: 1}}},
		func(err error) { done <- err }); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	v3 := changed("after a pipelined batch committed", &v2)
	if f.Second != nil {
		other := f.Second(t, s)
		apply(t, other, &intel.Batch{Sightings: []intel.Sighting{{IP: ip4b, Day: day(2024, 1, 2), Hits: 1}}})
		v3 = changed("after a batch applied by another store on the same data", &v3)
	}
	_ = s.Apply(ctx(t), &intel.Batch{Countries: []intel.CountryRange{{}}})
	if err := s.PutUser(ctx(t), intel.User{Name: "analyst", DayQuota: 10}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.CountRequest(ctx(t), "analyst", "2024-01-01", 10); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // room for a notification that should not come
	if v, ok := store.IntelVersion(s); !ok || v != v3 {
		t.Errorf("after a refused batch, a user and a count: version %d (known: %v), want %d", v, ok, v3)
	}
}

// testPlannedApply: batches prepared ahead (store.PrepareBatch, the next
// one before the one before it is applied, as a bulk import does) and
// applied with store.ApplyPlannedAsync merge as Apply merges them; a
// batch that does not validate is refused, by PrepareBatch or by the
// apply, with an invalid-input error and nothing stored.
func testPlannedApply(t *testing.T, f Factory) {
	s := open(t, f)
	md5 := strings.Repeat("A", 32)
	sha := strings.Repeat("B", 64)
	first := &intel.Batch{
		ObjectInfos: []intel.ObjectInfo{{Kind: intel.ObjectFile, Key: sha, Hits: 2, Type: "exe", FirstSeen: day(2024, 1, 2), LastSeen: day(2024, 1, 2)}},
		FileHashes:  []intel.FileHashes{{MD5: md5, SHA256: sha}},
	}
	second := &intel.Batch{
		ObjectInfos: []intel.ObjectInfo{{Kind: intel.ObjectFile, Key: sha, Hits: 5, FirstSeen: day(2024, 1, 1), LastSeen: day(2024, 1, 1)}},
	}
	var plans []store.Plan
	for _, b := range []*intel.Batch{first, second} {
		p, err := store.PrepareBatch(s, b)
		if err != nil {
			t.Fatalf("PrepareBatch: %v", err)
		}
		plans = append(plans, p)
	}
	for i, b := range []*intel.Batch{first, second} {
		done := make(chan error, 1)
		if err := store.ApplyPlannedAsync(ctx(t), s, b, plans[i], func(err error) { done <- err }); err != nil {
			t.Fatalf("batch %d: %v", i, err)
		}
		if err := <-done; err != nil {
			t.Fatalf("batch %d: commit: %v", i, err)
		}
	}
	o, err := s.Object(ctx(t), intel.ObjectFile, sha)
	if err != nil {
		t.Fatal(err)
	}
	if o.Info.Hits != 5 || o.Info.Type != "exe" || !o.Info.FirstSeen.Equal(day(2024, 1, 1)) || !o.Info.LastSeen.Equal(day(2024, 1, 2)) {
		t.Errorf("file after two planned batches: hits %d, type %q, seen %s to %s; want 5, exe, 2024-01-01 to 2024-01-02",
			o.Info.Hits, o.Info.Type, o.Info.FirstSeen, o.Info.LastSeen)
	}
	if h, ok, err := s.FileHashes(ctx(t), md5); err != nil || !ok || h.SHA256 != sha {
		t.Errorf("FileHashes(%s) = %+v, %v, %v; want its SHA-256 %s", md5, h, ok, err, sha)
	}

	bad := &intel.Batch{ObjectInfos: []intel.ObjectInfo{{Kind: intel.ObjectFile, Key: "not a hash", Hits: 1}}}
	p, err := store.PrepareBatch(s, bad)
	if err == nil {
		err = store.ApplyPlannedAsync(ctx(t), s, bad, p, func(error) { t.Error("done called for a refused batch") })
	}
	if intel.KindOf(err) != intel.KindInvalid {
		t.Errorf("a batch that does not validate: got %v, want an invalid-input error", err)
	}
	if o, err := s.Object(ctx(t), intel.ObjectFile, "not a hash"); err == nil && o.Known() {
		t.Errorf("a refused batch stored its record: %+v", o)
	}
}

func testUsers(t *testing.T, f Factory) {
	s := open(t, f)
	if _, err := s.User(ctx(t), "nobody"); !errors.Is(err, intel.ErrNotFound) {
		t.Errorf("User(unknown) error = %v, want ErrNotFound", err)
	}
	if l, err := s.Users(ctx(t)); err != nil || len(l) != 0 {
		t.Errorf("Users of empty store = %v, %v; want none", l, err)
	}
	bob := intel.User{Name: "bob", Access: intel.AccessTrial, DayQuota: 100, Expires: day(2025, 1, 1), APIAccess: true,
		PasswordHash: "$argon2id$v=19$m=65536,t=3,p=2$c2FsdA$aGFzaA", CertFingerprints: []string{"ab12", "cd34"}, Created: at(2024, 1, 1, 9, 30)}
	alice := intel.User{Name: "alice", Access: intel.AccessCommercial, DayQuota: 10000}
	zed := intel.User{Name: "Zed", Access: intel.AccessCommercial}
	for _, u := range []intel.User{bob, alice, zed} {
		if err := s.PutUser(ctx(t), u); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.User(ctx(t), "bob")
	if err != nil {
		t.Fatal(err)
	}
	check(t, "user bob", got, bob)
	bob2 := bob
	bob2.DayQuota, bob2.CertFingerprints, bob2.Expires = 5, nil, time.Time{}
	if err := s.PutUser(ctx(t), bob2); err != nil {
		t.Fatal(err)
	}
	got, _ = s.User(ctx(t), "bob")
	check(t, "replaced user bob", got, bob2)
	all, err := s.Users(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	check(t, "users", all, []intel.User{zed, alice, bob2})
}

func testTokens(t *testing.T, f Factory) {
	s := open(t, f)
	t1 := intel.Token{Hash: strings.Repeat("a", 64), User: "bob", Issued: at(2024, 1, 1, 0, 0), Expires: at(2025, 1, 1, 0, 0)}
	t2 := intel.Token{Hash: strings.Repeat("b", 64), User: "bob", Issued: at(2024, 2, 1, 0, 0)}
	t3 := intel.Token{Hash: strings.Repeat("c", 64), User: "alice", Issued: at(2024, 2, 1, 0, 0)}
	if _, err := s.UserToken(ctx(t), "bob"); !errors.Is(err, intel.ErrNotFound) {
		t.Errorf("UserToken(none) error = %v, want ErrNotFound", err)
	}
	for _, tok := range []intel.Token{t1, t3} {
		if err := s.SetToken(ctx(t), tok); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.TokenByHash(ctx(t), t1.Hash)
	if err != nil {
		t.Fatal(err)
	}
	check(t, "token by hash", got, t1)
	if err := s.SetToken(ctx(t), t2); err != nil {
		t.Fatal(err)
	}
	if _, err := s.TokenByHash(ctx(t), t1.Hash); !errors.Is(err, intel.ErrNotFound) {
		t.Errorf("TokenByHash(replaced) error = %v, want ErrNotFound", err)
	}
	got, err = s.TokenByHash(ctx(t), t2.Hash)
	if err != nil {
		t.Fatal(err)
	}
	check(t, "new token by hash", got, t2)
	got, err = s.UserToken(ctx(t), "bob")
	if err != nil {
		t.Fatal(err)
	}
	check(t, "user token", got, t2)
	if err := s.RevokeToken(ctx(t), "bob"); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeToken(ctx(t), "bob"); err != nil {
		t.Errorf("RevokeToken(none) error = %v, want nil", err)
	}
	if _, err := s.TokenByHash(ctx(t), t2.Hash); !errors.Is(err, intel.ErrNotFound) {
		t.Errorf("TokenByHash(revoked) error = %v, want ErrNotFound", err)
	}
	if _, err := s.UserToken(ctx(t), "bob"); !errors.Is(err, intel.ErrNotFound) {
		t.Errorf("UserToken(revoked) error = %v, want ErrNotFound", err)
	}
	got, err = s.UserToken(ctx(t), "alice")
	if err != nil {
		t.Fatal(err)
	}
	check(t, "other user's token untouched", got, t3)
}

func testCountRequest(t *testing.T, f Factory) {
	s := open(t, f)
	for i := 1; i <= 3; i++ {
		n, ok, err := s.CountRequest(ctx(t), "bob", "2024-03-01", 3)
		if err != nil {
			t.Fatal(err)
		}
		check(t, fmt.Sprintf("request %d", i), []any{n, ok}, []any{int64(i), true})
	}
	n, ok, err := s.CountRequest(ctx(t), "bob", "2024-03-01", 3)
	if err != nil {
		t.Fatal(err)
	}
	check(t, "request over quota", []any{n, ok}, []any{int64(3), false})
	n, ok, _ = s.CountRequest(ctx(t), "bob", "2024-03-01", 5)
	check(t, "request with a raised quota", []any{n, ok}, []any{int64(4), true})
	n, ok, _ = s.CountRequest(ctx(t), "bob", "2024-03-02", 3)
	check(t, "next day", []any{n, ok}, []any{int64(1), true})
	n, ok, _ = s.CountRequest(ctx(t), "alice", "2024-03-01", 3)
	check(t, "other user", []any{n, ok}, []any{int64(1), true})
	n, ok, _ = s.CountRequest(ctx(t), "carol", "2024-03-01", 0)
	check(t, "zero quota", []any{n, ok}, []any{int64(0), false})
	for _, tc := range []struct {
		user, day string
		want      int64
	}{{"bob", "2024-03-01", 4}, {"bob", "2024-03-02", 1}, {"alice", "2024-03-01", 1}, {"carol", "2024-03-01", 0}, {"bob", "2024-02-29", 0}} {
		n, err := s.RequestCount(ctx(t), tc.user, tc.day)
		if err != nil {
			t.Fatal(err)
		}
		check(t, "RequestCount "+tc.user+" "+tc.day, n, tc.want)
	}
	check(t, "Day", store.Day(time.Date(2024, 3, 1, 23, 30, 0, 0, time.FixedZone("x", -3600))), "2024-03-02")
}

func testCountRequestConcurrent(t *testing.T, f Factory) {
	s := open(t, f)
	const workers, quota = 50, 37
	for _, d := range []string{"2024-03-01", "2024-03-02"} {
		var wg sync.WaitGroup
		var mu sync.Mutex
		okCount := 0
		seen := map[int64]bool{}
		for range workers {
			wg.Go(func() {
				n, ok, err := s.CountRequest(context.Background(), "bob", d, quota)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				if ok {
					okCount++
					if seen[n] {
						t.Errorf("count %d returned twice", n)
					}
					seen[n] = true
				} else if n != quota {
					t.Errorf("refused request returned count %d, want %d", n, quota)
				}
			})
		}
		wg.Wait()
		check(t, "counted requests on "+d, okCount, quota)
		n, err := s.RequestCount(ctx(t), "bob", d)
		if err != nil {
			t.Fatal(err)
		}
		check(t, "count on "+d, n, int64(quota))
	}
}

func testCancellation(t *testing.T, f Factory) {
	s := open(t, f)
	c, cancel := context.WithCancel(ctx(t))
	cancel()
	if err := s.Apply(c, mixedBatch()); !errors.Is(err, context.Canceled) {
		t.Errorf("Apply with a cancelled context: error %v, want context.Canceled", err)
	}
	check(t, "summary after cancelled apply", address(t, s, ip4a), intel.AddressSummary{IP: ip4a})
	if v := scanAll(t, s); len(v) != 0 {
		t.Errorf("network records after cancelled apply: got %d, want 0", len(v))
	}

	// Cancel while a large batch is being applied: all or nothing.
	big := bigBatch(20000)
	for _, delay := range []time.Duration{0, 100 * time.Microsecond, time.Millisecond, 5 * time.Millisecond} {
		c, cancel := context.WithCancel(ctx(t))
		done := make(chan error, 1)
		go func() { done <- s.Apply(c, big) }()
		time.Sleep(delay)
		cancel()
		err := <-done
		first := address(t, s, big.Sightings[0].IP)
		last := address(t, s, big.Sightings[len(big.Sightings)-1].IP)
		if first.Known() != last.Known() {
			t.Errorf("delay %v: partial batch applied (first known %v, last known %v, err %v)", delay, first.Known(), last.Known(), err)
		}
		if err == nil && !last.Known() {
			t.Errorf("delay %v: Apply returned nil but the batch is missing", delay)
		}
		if err != nil && last.Known() {
			t.Errorf("delay %v: Apply returned %v but the batch was applied", delay, err)
		}
	}
	// The store still works and holds the batch once.
	apply(t, s, big)
	apply(t, s, mixedBatch())
	ref := open(t, f)
	apply(t, ref, big)
	apply(t, ref, mixedBatch())
	check(t, "store after cancelled applies vs a fresh one", takeSnapshot(t, s, false), takeSnapshot(t, ref, false))
	for _, i := range []int{0, 777, len(big.Sightings) - 1} {
		ip := big.Sightings[i].IP
		check(t, "hits of "+ip.String(), address(t, s, ip).Hits, address(t, ref, ip).Hits)
		check(t, "urls of "+ip.String(), hosted(t, s, ip, 10), hosted(t, ref, ip, 10))
	}
}

// bigBatch has n addresses with a sighting and a hosted URL each.
func bigBatch(n int) *intel.Batch {
	var b intel.Batch
	for i := range n {
		ip := netip.AddrFrom4([4]byte{77, 88, byte(i >> 8), byte(i)})
		if i%2 == 1 {
			ip = netip.AddrFrom16([16]byte{0x2a, 0x02, 0x6b, 0x8, 12: byte(i >> 24), 13: byte(i >> 16), 14: byte(i >> 8), 15: byte(i)})
		}
		b.Sightings = append(b.Sightings, intel.Sighting{IP: ip, Day: day(2024, 1, 1), Hits: int64(i + 1)})
		b.HostedURLs = append(b.HostedURLs, intel.HostedURL{IP: ip, URL: fmt.Sprintf("%s/path/%d", ip, i), Zone: intel.ZoneRed, Hits: 1, LastSeen: day(2024, 1, 1)})
	}
	return &b
}

func testPersistence(t *testing.T, f Factory) {
	if f.Reopen == nil {
		t.Skip("backend does not persist")
	}
	s := f.New(t)
	apply(t, s, mixedBatch())
	if err := s.PutUser(ctx(t), intel.User{Name: "bob", Access: intel.AccessTrial, DayQuota: 10, CertFingerprints: []string{"ab"}, Created: day(2024, 1, 1)}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutUser(ctx(t), intel.User{Name: "alice", Access: intel.AccessCommercial}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetToken(ctx(t), intel.Token{Hash: "h1", User: "bob", Issued: day(2024, 1, 1)}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetToken(ctx(t), intel.Token{Hash: "h2", User: "bob", Issued: day(2024, 1, 2)}); err != nil {
		t.Fatal(err)
	}
	for range 7 {
		if _, _, err := s.CountRequest(ctx(t), "bob", "2024-03-01", 100); err != nil {
			t.Fatal(err)
		}
	}
	before := takeSnapshot(t, s, true)
	s = f.Reopen(t, s)
	t.Cleanup(func() { _ = s.Close() })
	after := takeSnapshot(t, s, true)
	check(t, "store after reopen", after, before)
	if _, err := s.TokenByHash(ctx(t), "h1"); !errors.Is(err, intel.ErrNotFound) {
		t.Errorf("TokenByHash(replaced) after reopen: error %v, want ErrNotFound", err)
	}

	// Merges continue from the persisted state.
	apply(t, s, &intel.Batch{
		Sightings:  []intel.Sighting{{IP: ip4a, Day: day(2024, 1, 1), Hits: 1}},
		HostedURLs: []intel.HostedURL{{IP: ip4a, URL: mixedURLs[1], Hits: 1000, LastSeen: day(2030, 1, 1)}},
		SpamEvents: []intel.SpamEvent{{IP: ip4a, ID: "s0", Time: day(2030, 1, 1)}},
		Countries:  []intel.CountryRange{{Prefix: netip.MustParsePrefix("45.95.144.0/22"), Country: "BE"}},
	})
	a := address(t, s, ip4a)
	check(t, "hits after reopen and replace", a.Hits, before.Addresses[0].Hits-10+1)
	check(t, "spam attacks (known ID)", a.Spam.Attacks, before.Addresses[0].Spam.Attacks)
	h := hosted(t, s, ip4a, 1)
	if len(h) != 1 || h[0].URL != mixedURLs[1] || h[0].Hits != 1000 {
		t.Errorf("newest URL after reopen: got %+v, want %s with 1000 hits", h, mixedURLs[1])
	}
	check(t, "URL count after reopen", len(hosted(t, s, ip4a, 100)), len(before.Hosted[0]))
	v, _ := s.NetworkVersion(ctx(t))
	if v == before.NetVersion {
		t.Errorf("network version after reopen and network batch: got %d, want a change", v)
	}
	n, ok, err := s.CountRequest(ctx(t), "bob", "2024-03-01", 100)
	if err != nil {
		t.Fatal(err)
	}
	check(t, "count after reopen", []any{n, ok}, []any{int64(8), true})

	// And the second generation persists too.
	mid := takeSnapshot(t, s, true)
	s2 := f.Reopen(t, s)
	s = s2
	check(t, "store after second reopen", takeSnapshot(t, s2, true), mid)
}

// testTokenUser checks store.TokenUser (the backend's TokenUserReader, or
// TokenByHash and User one after the other) against TokenByHash and User.
func testTokenUser(t *testing.T, f Factory) {
	s := open(t, f)
	bob := intel.User{Name: "bob", Access: intel.AccessTrial, DayQuota: 100, Expires: day(2025, 1, 1), APIAccess: true,
		CertFingerprints: []string{"ab12"}, Created: at(2024, 1, 1, 9, 30)}
	if err := s.PutUser(ctx(t), bob); err != nil {
		t.Fatal(err)
	}
	t1 := intel.Token{Hash: strings.Repeat("a", 64), User: "bob", Issued: at(2024, 1, 1, 0, 0), Expires: at(2025, 1, 1, 0, 0)}
	orphan := intel.Token{Hash: strings.Repeat("c", 64), User: "nobody", Issued: at(2024, 2, 1, 0, 0)}
	for _, tok := range []intel.Token{t1, orphan} {
		if err := s.SetToken(ctx(t), tok); err != nil {
			t.Fatal(err)
		}
	}
	gotT, gotU, err := store.TokenUser(ctx(t), s, t1.Hash)
	if err != nil {
		t.Fatal(err)
	}
	check(t, "token", gotT, t1)
	check(t, "user", gotU, bob)
	for _, h := range []string{orphan.Hash, strings.Repeat("f", 64)} {
		if _, _, err := store.TokenUser(ctx(t), s, h); !errors.Is(err, intel.ErrNotFound) {
			t.Errorf("TokenUser(%s…) error = %v, want ErrNotFound", h[:4], err)
		}
	}
	t2 := intel.Token{Hash: strings.Repeat("b", 64), User: "bob", Issued: at(2024, 3, 1, 0, 0)}
	if err := s.SetToken(ctx(t), t2); err != nil {
		t.Fatal(err)
	}
	if _, _, err := store.TokenUser(ctx(t), s, t1.Hash); !errors.Is(err, intel.ErrNotFound) {
		t.Errorf("TokenUser(replaced) error = %v, want ErrNotFound", err)
	}
	if gotT, _, err := store.TokenUser(ctx(t), s, t2.Hash); err != nil || gotT != t2 {
		t.Errorf("TokenUser(new) = %+v, %v; want %+v", gotT, err, t2)
	}
}
