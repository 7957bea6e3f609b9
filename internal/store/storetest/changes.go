package storetest

import (
	"net/netip"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

func changes(t *testing.T, s store.Store, kind store.ChangeKind, after store.Change, limit int) []store.Change {
	t.Helper()
	l, err := s.Changes(ctx(t), kind, after, limit)
	if err != nil {
		t.Fatalf("Changes(%d, %+v, %d): %v", kind, after, limit, err)
	}
	return l
}

// changeBatch touches ip4a (sighting), ip6a (hosted URL evil.example/a),
// ip4b (a file from http://evil.example/b.exe) and those two web addresses.
func changeBatch() *intel.Batch {
	return &intel.Batch{
		Sightings: []intel.Sighting{{IP: ip4a, Day: day(2024, 3, 1), Hits: 5}},
		HostedURLs: []intel.HostedURL{{IP: ip6a, URL: "evil.example/a", Zone: intel.ZoneRed, Hits: 3,
			FirstSeen: day(2024, 3, 1), LastSeen: day(2024, 3, 2), Source: src("URLhaus", 1)}},
		Files: []intel.FileDownload{{IP: ip4b, MD5: "0123456789ABCDEF0123456789ABCDEF", URL: "http://evil.example/b.exe",
			Zone: intel.ZoneRed, Hits: 1, FirstSeen: day(2024, 3, 1), LastSeen: day(2024, 3, 1), Source: src("URLhaus", 1)}},
	}
}

// allChanges pages through every change of kind, limit at a time.
func allChanges(t *testing.T, s store.Store, kind store.ChangeKind, limit int) []store.Change {
	t.Helper()
	var out []store.Change
	var cur store.Change
	for range 100 {
		page := changes(t, s, kind, cur, limit)
		if len(page) > limit {
			t.Fatalf("Changes returned %d entries, limit %d", len(page), limit)
		}
		if len(page) == 0 {
			return out
		}
		out = append(out, page...)
		cur = page[len(page)-1]
	}
	t.Fatal("Changes never ran out")
	return nil
}

func testChanges(t *testing.T, f Factory) {
	s := open(t, f)
	if l := changes(t, s, store.ChangedAddresses, store.Change{}, 10); len(l) != 0 {
		t.Fatalf("changes of an empty store: %v", l)
	}
	before := time.Now().UTC().Add(-time.Minute)
	apply(t, s, changeBatch())
	got := changes(t, s, store.ChangedAddresses, store.Change{}, 10)
	if len(got) != 3 {
		t.Fatalf("address changes after one batch: %v, want 3", got)
	}
	at1 := got[0].At
	if at1.Location() != time.UTC || at1.Before(before) || at1.After(time.Now().Add(time.Minute)) || at1 != at1.Truncate(time.Microsecond) {
		t.Errorf("stamp %v: want the store's clock in UTC, in microseconds", at1)
	}
	check(t, "address changes", got, []store.Change{{At: at1, IP: ip4a}, {At: at1, IP: ip4b}, {At: at1, IP: ip6a}})
	check(t, "web address changes", changes(t, s, store.ChangedURLs, store.Change{}, 10),
		[]store.Change{{At: at1, URL: "evil.example/a"}, {At: at1, URL: "evil.example/b.exe"}})

	// A second batch touching ip6a only stamps it later.
	apply(t, s, &intel.Batch{Resolutions: []intel.Resolution{{IP: ip6a, Domain: "c2.example",
		FirstSeen: day(2024, 3, 3), LastSeen: day(2024, 3, 4), Hits: 2, Source: src("pDNS", 1)}}})
	got = changes(t, s, store.ChangedAddresses, store.Change{}, 10)
	if len(got) != 3 || !got[2].At.After(at1) {
		t.Fatalf("after a second batch: %v, want ip6a last with a later stamp", got)
	}
	at2 := got[2].At
	check(t, "address changes after a second batch", got, []store.Change{{At: at1, IP: ip4a}, {At: at1, IP: ip4b}, {At: at2, IP: ip6a}})
	check(t, "web address changes after a batch without web addresses", changes(t, s, store.ChangedURLs, store.Change{}, 10),
		[]store.Change{{At: at1, URL: "evil.example/a"}, {At: at1, URL: "evil.example/b.exe"}})

	// Nothing new: re-applied batches, domain records and network records
	// stamp nothing.
	apply(t, s, changeBatch())
	apply(t, s, &intel.Batch{Resolutions: []intel.Resolution{{IP: ip6a, Domain: "c2.example",
		FirstSeen: day(2024, 3, 3), LastSeen: day(2024, 3, 4), Hits: 2, Source: src("pDNS", 1)}}})
	apply(t, s, &intel.Batch{Domains: []intel.DomainInfo{{Domain: "c2.example", Zone: intel.ZoneRed,
		Categories: []intel.Category{intel.CatMalware}, Source: src("domains", 1)}}})
	apply(t, s, &intel.Batch{Countries: []intel.CountryRange{{Prefix: netip.MustParsePrefix("45.95.144.0/22"), Country: "NL", Source: src("geo", 1)}}})
	check(t, "address changes after applying nothing new", changes(t, s, store.ChangedAddresses, store.Change{}, 10),
		[]store.Change{{At: at1, IP: ip4a}, {At: at1, IP: ip4b}, {At: at2, IP: ip6a}})

	// Cursors.
	check(t, "changes after the first stamp", changes(t, s, store.ChangedAddresses, store.Change{At: at1}, 10),
		[]store.Change{{At: at2, IP: ip6a}})
	check(t, "changes after the first entry", changes(t, s, store.ChangedAddresses, store.Change{At: at1, IP: ip4a}, 10),
		[]store.Change{{At: at1, IP: ip4b}, {At: at2, IP: ip6a}})
	check(t, "changes after the last stamp", changes(t, s, store.ChangedAddresses, store.Change{At: at2}, 10), []store.Change(nil))
	check(t, "changes after the first web address", changes(t, s, store.ChangedURLs, store.Change{At: at1, URL: "evil.example/a"}, 10),
		[]store.Change{{At: at1, URL: "evil.example/b.exe"}})
	check(t, "changes with limit 2", changes(t, s, store.ChangedAddresses, store.Change{}, 2),
		[]store.Change{{At: at1, IP: ip4a}, {At: at1, IP: ip4b}})
	check(t, "changes paged one at a time", allChanges(t, s, store.ChangedAddresses, 1),
		[]store.Change{{At: at1, IP: ip4a}, {At: at1, IP: ip4b}, {At: at2, IP: ip6a}})

	// A real change moves an entry to the end with a new stamp.
	b := changeBatch()
	b.Sightings[0].Hits = 9
	b.HostedURLs = nil
	b.Files = nil
	apply(t, s, b)
	got = changes(t, s, store.ChangedAddresses, store.Change{}, 10)
	if len(got) != 3 || got[2].IP != ip4a || !got[2].At.After(at2) {
		t.Fatalf("after changing ip4a's hits: %v, want ip4a last with a later stamp", got)
	}
	check(t, "address changes after a real change", got[:2], []store.Change{{At: at1, IP: ip4b}, {At: at2, IP: ip6a}})
	at3 := got[2].At

	if f.Reopen == nil {
		return
	}
	s = f.Reopen(t, s)
	t.Cleanup(func() { _ = s.Close() })
	check(t, "address changes after reopening", changes(t, s, store.ChangedAddresses, store.Change{}, 10),
		[]store.Change{{At: at1, IP: ip4b}, {At: at2, IP: ip6a}, {At: at3, IP: ip4a}})
	apply(t, s, &intel.Batch{Sightings: []intel.Sighting{{IP: ip6b, Day: day(2024, 3, 5), Hits: 1}}})
	got = changes(t, s, store.ChangedAddresses, store.Change{At: at3}, 10)
	if len(got) != 1 || got[0].IP != ip6b || !got[0].At.After(at3) {
		t.Errorf("a batch after reopening: %v, want ip6b stamped after %v", got, at3)
	}
}
