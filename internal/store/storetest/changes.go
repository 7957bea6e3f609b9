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

// objectChangeBatch touches the host evil.example (a listing and a web
// address on it), the web address evil.example/a (a file that contacted
// it), the file md5a (its ObjectInfo, and FileHashes with sha256a) and
// the registrable domain reg.example (its DomainWhois).
func objectChangeBatch() *intel.Batch {
	return &intel.Batch{
		ObjectInfos: []intel.ObjectInfo{{Kind: intel.ObjectFile, Key: md5a, Hits: 2, FirstSeen: day(2024, 3, 1),
			LastSeen: day(2024, 3, 2), Source: src("MalwareBazaar", 1)}},
		ObjectListings: []intel.ObjectListing{{Kind: intel.ObjectHost, Key: "evil.example", Category: intel.CatMalware,
			Feed: "ThreatFox", FirstSeen: day(2024, 3, 1), LastSeen: day(2024, 3, 1), Source: src("ThreatFox", 1)}},
		Links: []intel.Link{
			{List: intel.LinkHostURLs, Owner: "evil.example", Item: "evil.example/a", Zone: intel.ZoneRed, Hits: 3,
				FirstSeen: day(2024, 3, 1), LastSeen: day(2024, 3, 2), Source: src("URLhaus", 1)},
			{List: intel.LinkURLAccessed, Owner: "evil.example/a", Item: md5a, FirstSeen: day(2024, 3, 1),
				LastSeen: day(2024, 3, 1), Source: src("sandbox", 1)},
		},
		FileHashes: []intel.FileHashes{{MD5: md5a, SHA256: sha256a, Source: src("MalwareBazaar", 1)}},
		Whois:      []intel.DomainWhois{{Domain: "reg.example", Registrar: "Example Registrar", Source: src("rdap", 1)}},
	}
}

// testObjectChanges: the change order of objects (kind ChangedObjects).
func testObjectChanges(t *testing.T, f Factory) {
	s := open(t, f)
	if l := changes(t, s, store.ChangedObjects, store.Change{}, 10); len(l) != 0 {
		t.Fatalf("object changes of an empty store: %v", l)
	}
	host := func(at time.Time, key string) store.Change {
		return store.Change{At: at, Kind: intel.ObjectHost, Key: key}
	}
	url := func(at time.Time, key string) store.Change {
		return store.Change{At: at, Kind: intel.ObjectURL, Key: key}
	}
	file := func(at time.Time, key string) store.Change {
		return store.Change{At: at, Kind: intel.ObjectFile, Key: key}
	}

	before := time.Now().UTC().Add(-time.Minute)
	apply(t, s, objectChangeBatch())
	got := changes(t, s, store.ChangedObjects, store.Change{}, 10)
	if len(got) != 5 {
		t.Fatalf("object changes after one batch: %v, want 5", got)
	}
	at1 := got[0].At
	if at1.Location() != time.UTC || at1.Before(before) || at1.After(time.Now().Add(time.Minute)) || at1 != at1.Truncate(time.Microsecond) {
		t.Errorf("stamp %v: want the store's clock in UTC, in microseconds", at1)
	}
	// By kind (host, web address, file), then key.
	check(t, "object changes", got, []store.Change{host(at1, "evil.example"), host(at1, "reg.example"),
		url(at1, "evil.example/a"), file(at1, md5a), file(at1, sha256a)})
	check(t, "address changes of object records", changes(t, s, store.ChangedAddresses, store.Change{}, 10), []store.Change(nil))
	check(t, "web address changes of object records", changes(t, s, store.ChangedURLs, store.Change{}, 10), []store.Change(nil))

	// An address-keyed record stamps no object by itself.
	apply(t, s, changeBatch())
	check(t, "object changes after address records", changes(t, s, store.ChangedObjects, store.Change{}, 10), got)

	// A link whose item changes without changing the list's counts (a
	// later LastSeen) stamps its owner alone.
	apply(t, s, &intel.Batch{Links: []intel.Link{{List: intel.LinkHostURLs, Owner: "evil.example", Item: "evil.example/a",
		Zone: intel.ZoneRed, Hits: 3, FirstSeen: day(2024, 3, 1), LastSeen: day(2024, 3, 5), Source: src("URLhaus", 1)}}})
	got = changes(t, s, store.ChangedObjects, store.Change{}, 10)
	if len(got) != 5 || !got[4].At.After(at1) {
		t.Fatalf("after a changed link: %v, want evil.example last with a later stamp", got)
	}
	at2 := got[4].At
	check(t, "object changes after a changed link", got, []store.Change{host(at1, "reg.example"),
		url(at1, "evil.example/a"), file(at1, md5a), file(at1, sha256a), host(at2, "evil.example")})

	// Nothing new: re-applied records stamp nothing.
	apply(t, s, objectChangeBatch())
	apply(t, s, &intel.Batch{
		Links: []intel.Link{{List: intel.LinkHostURLs, Owner: "evil.example", Item: "evil.example/a", Zone: intel.ZoneOrange,
			Hits: 1, FirstSeen: day(2024, 3, 2), LastSeen: day(2024, 3, 3), Source: src("URLhaus", 1)}},
		FileHashes: []intel.FileHashes{{MD5: md5a, Source: src("MalwareBazaar", 1)}},
	})
	check(t, "object changes after applying nothing new", changes(t, s, store.ChangedObjects, store.Change{}, 10), got)

	// A new registration record, and a SHA-1 for the file: a change of
	// the file's SHA-256 alone, whose hashes it fills (an MD5's or
	// SHA-1's object is not stamped for its hashes).
	apply(t, s, &intel.Batch{
		Whois:      []intel.DomainWhois{{Domain: "reg.example", Registrar: "Other Registrar", Source: src("rdap", 2)}},
		FileHashes: []intel.FileHashes{{MD5: md5a, SHA1: sha1a, SHA256: sha256a, Source: src("MalwareBazaar", 2)}},
	})
	got = changes(t, s, store.ChangedObjects, store.Change{}, 10)
	if len(got) != 5 || !got[3].At.After(at2) {
		t.Fatalf("after new WHOIS and hashes: %v, want two entries with a later stamp", got)
	}
	at3 := got[3].At
	all := []store.Change{url(at1, "evil.example/a"), file(at1, md5a), host(at2, "evil.example"),
		host(at3, "reg.example"), file(at3, sha256a)}
	check(t, "object changes after new WHOIS and hashes", got, all)

	// Hashes without a SHA-256 stamp nothing, and are found.
	apply(t, s, &intel.Batch{FileHashes: []intel.FileHashes{{MD5: md5b, SHA1: sha1b, Source: src("MalwareBazaar", 2)}}})
	check(t, "object changes after hashes without a SHA-256", changes(t, s, store.ChangedObjects, store.Change{}, 10), all)
	for _, h := range []string{md5b, sha1b} {
		if got, ok, err := s.FileHashes(ctx(t), h); err != nil || !ok || got.MD5 != md5b || got.SHA1 != sha1b || got.SHA256 != "" {
			t.Errorf("FileHashes(%s): got %+v, %v, %v; want the MD5 and SHA-1 given together", h, got, ok, err)
		}
	}

	// Cursors.
	check(t, "object changes after the first stamp", changes(t, s, store.ChangedObjects, store.Change{At: at1}, 10), all[2:])
	check(t, "object changes after the first entry", changes(t, s, store.ChangedObjects,
		store.Change{At: at1, Kind: intel.ObjectURL, Key: "evil.example/a"}, 10), all[1:])
	check(t, "object changes after an entry of another kind", changes(t, s, store.ChangedObjects,
		store.Change{At: at3, Kind: intel.ObjectHost, Key: "zzz.example"}, 10), all[4:])
	check(t, "object changes after a file of the last stamp", changes(t, s, store.ChangedObjects,
		store.Change{At: at3, Kind: intel.ObjectFile, Key: md5a}, 10), all[4:])
	check(t, "object changes after the last stamp", changes(t, s, store.ChangedObjects, store.Change{At: at3}, 10), []store.Change(nil))
	check(t, "object changes with limit 2", changes(t, s, store.ChangedObjects, store.Change{}, 2), all[:2])
	check(t, "object changes paged one at a time", allChanges(t, s, store.ChangedObjects, 1), all)
	check(t, "object changes paged two at a time", allChanges(t, s, store.ChangedObjects, 2), all)

	if f.Reopen == nil {
		return
	}
	s = f.Reopen(t, s)
	t.Cleanup(func() { _ = s.Close() })
	check(t, "object changes after reopening", changes(t, s, store.ChangedObjects, store.Change{}, 10), all)
	apply(t, s, &intel.Batch{ObjectInfos: []intel.ObjectInfo{{Kind: intel.ObjectFile, Key: sha256a, Size: 4096, Source: src("jsonl", 1)}}})
	got = changes(t, s, store.ChangedObjects, store.Change{At: at3}, 10)
	if len(got) != 1 || got[0].Kind != intel.ObjectFile || got[0].Key != sha256a || !got[0].At.After(at3) {
		t.Errorf("a batch after reopening: %v, want the SHA-256 stamped after %v", got, at3)
	}
	check(t, "object changes after a batch after reopening", changes(t, s, store.ChangedObjects, store.Change{}, 10),
		append(all[:4:4], file(got[0].At, sha256a)))
}
