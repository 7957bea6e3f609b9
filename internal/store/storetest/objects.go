package storetest

import (
	"fmt"
	"slices"
	"testing"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

// The object groups: domains, web addresses and files (store.Objects).

const (
	md5a    = "0F343B0931126A20F133D67C2B018A3B"
	sha1a   = "B39998BA612FC7CFCD924E43CB11C2AEF68C55A8"
	sha256a = "32BF9BFA0E40FE005F9B4AE4D242D65191C6847282E5BCB2C95D8C1892E91771"
	md5b    = "5D41402ABC4B2A76B9719D911017C592"
	sha1b   = "AAF4C61DDCC5E8A2DABEDE0F3B482CD9AEA9434D"
	sha256b = "AA" + "32BF9BFA0E40FE005F9B4AE4D242D65191C6847282E5BCB2C95D8C18922E91"
)

func object(t *testing.T, s store.Store, kind intel.ObjectKind, key string) intel.ObjectSummary {
	t.Helper()
	o, err := s.Object(ctx(t), kind, key)
	if err != nil {
		t.Fatalf("Object(%s, %s): %v", kind, key, err)
	}
	return o
}

func links(t *testing.T, s store.Store, list intel.LinkList, owner string, limit int) []intel.Link {
	t.Helper()
	ls, err := s.Links(ctx(t), list, owner, limit)
	if err != nil {
		t.Fatalf("Links(%d, %s, %d): %v", list, owner, limit, err)
	}
	return ls
}

// testObjectUnknown: an object without evidence is a zero summary with
// its kind and key, and its lists are empty.
func testObjectUnknown(t *testing.T, f Factory) {
	s := open(t, f)
	o := object(t, s, intel.ObjectHost, "nothing.example")
	want := intel.ObjectSummary{Kind: intel.ObjectHost, Key: "nothing.example", Info: intel.ObjectInfo{Kind: intel.ObjectHost, Key: "nothing.example"}}
	if !equal(o, want) {
		t.Errorf("got %+v, want %+v", o, want)
	}
	if o.Known() {
		t.Error("unknown object is Known")
	}
	if ls := links(t, s, intel.LinkHostURLs, "nothing.example", 10); len(ls) != 0 {
		t.Errorf("got %d links, want none", len(ls))
	}
	if _, ok, err := s.FileHashes(ctx(t), md5a); err != nil || ok {
		t.Errorf("FileHashes of an unknown hash: ok %v, err %v; want false, nil", ok, err)
	}
}

// testObjectInfo checks the ObjectInfo merge rule and the listings.
func testObjectInfo(t *testing.T, f Factory) {
	s := open(t, f)
	apply(t, s, &intel.Batch{
		ObjectInfos: []intel.ObjectInfo{
			{Kind: intel.ObjectFile, Key: sha256a, Hits: 5, FirstSeen: at(2024, 3, 2, 10, 0), LastSeen: at(2024, 3, 3, 10, 0),
				Size: 65536, Type: "ELF.32.le", Packer: "UPX", Source: src("MalwareBazaar", 1)},
			{Kind: intel.ObjectHost, Key: "ok.example", Allows: []string{"top-sites", "cdn"}, Source: src("warninglist", 1)},
		},
		ObjectListings: []intel.ObjectListing{
			{Kind: intel.ObjectHost, Key: "c2.badcorp.example", Category: intel.CatBotnetCNC, Feed: "ThreatFox",
				FirstSeen: at(2024, 3, 1, 0, 0), LastSeen: at(2024, 3, 2, 0, 0), Source: src("ThreatFox", 1)},
			{Kind: intel.ObjectHost, Key: "c2.badcorp.example", Category: intel.CatMalware, Feed: "Abuse", Source: src("Abuse", 1)},
		},
	})
	apply(t, s, &intel.Batch{
		ObjectInfos: []intel.ObjectInfo{
			{Kind: intel.ObjectFile, Key: sha256a, Hits: 3, FirstSeen: at(2024, 3, 1, 10, 0), LastSeen: at(2024, 3, 2, 10, 0),
				Signer: "Example Ltd", SignerStatus: "Not trusted", Source: src("jsonl", 2)},
			{Kind: intel.ObjectHost, Key: "ok.example", Allows: []string{"cdn", "dns"}, Source: src("warninglist", 2)},
		},
		ObjectListings: []intel.ObjectListing{
			{Kind: intel.ObjectHost, Key: "c2.badcorp.example", Category: intel.CatBotnetCNC, Feed: "ThreatFox",
				FirstSeen: at(2024, 2, 1, 0, 0), LastSeen: at(2024, 2, 2, 0, 0), Source: src("ThreatFox", 2)},
		},
	})
	o := object(t, s, intel.ObjectFile, sha256a)
	want := intel.ObjectInfo{Kind: intel.ObjectFile, Key: sha256a, Hits: 5, FirstSeen: at(2024, 3, 1, 10, 0), LastSeen: at(2024, 3, 3, 10, 0),
		Size: 65536, Type: "elf.32.le", Packer: "UPX", Signer: "Example Ltd", SignerStatus: "Not trusted", Source: src("jsonl", 2)}
	if !equal(o.Info, want) {
		t.Errorf("file info: got %+v, want %+v", o.Info, want)
	}
	if !o.Known() {
		t.Error("file with info is not Known")
	}
	h := object(t, s, intel.ObjectHost, "ok.example")
	if want := []string{"cdn", "dns", "top-sites"}; !slices.Equal(h.Info.Allows, want) {
		t.Errorf("allows: got %v, want %v", h.Info.Allows, want)
	}
	c2 := object(t, s, intel.ObjectHost, "c2.badcorp.example")
	wantL := []intel.ObjectListing{
		{Kind: intel.ObjectHost, Key: "c2.badcorp.example", Category: intel.CatMalware, Feed: "Abuse", Source: src("Abuse", 1)},
		{Kind: intel.ObjectHost, Key: "c2.badcorp.example", Category: intel.CatBotnetCNC, Feed: "ThreatFox",
			FirstSeen: at(2024, 2, 1, 0, 0), LastSeen: at(2024, 3, 2, 0, 0), Source: src("ThreatFox", 2)},
	}
	if !equal(c2.Listings, wantL) {
		t.Errorf("listings: got %+v, want %+v", c2.Listings, wantL)
	}
	// Kinds are separate: the same key as a web address knows nothing.
	if u := object(t, s, intel.ObjectURL, "c2.badcorp.example"); u.Known() {
		t.Errorf("web address with a host's key is known: %+v", u)
	}
}

// testLinkMerge checks the Link merge rule, counts and order.
func testLinkMerge(t *testing.T, f Factory) {
	s := open(t, f)
	host := "c2.badcorp.example"
	apply(t, s, &intel.Batch{Links: []intel.Link{
		{List: intel.LinkHostFiles, Owner: host, Item: md5a + intel.ItemSep + host + "/bins/x86", Hits: 10,
			FirstSeen: at(2024, 3, 2, 8, 15), LastSeen: at(2024, 3, 3, 9, 0), Attrs: []string{"Mirai"}, Source: src("URLhaus", 1)},
		{List: intel.LinkHostIPv4, Owner: host, Item: "45.95.147.10", Hits: 50, FirstSeen: at(2024, 3, 1, 0, 0),
			LastSeen: at(2024, 3, 2, 0, 0), DailyPeak: 9, PeakDate: day(2024, 3, 1), Source: src("pDNS", 1)},
		{List: intel.LinkHostMasks, Owner: host, Item: host + intel.ItemSep + intel.MaskHost, Zone: intel.ZoneOrange,
			Attrs: []string{"B feed"}, Source: src("B", 1)},
	}})
	apply(t, s, &intel.Batch{Links: []intel.Link{
		{List: intel.LinkHostFiles, Owner: host, Item: md5a + intel.ItemSep + host + "/bins/x86", Hits: 37, Zone: intel.ZoneRed,
			FirstSeen: at(2024, 3, 1, 8, 15), LastSeen: at(2024, 3, 2, 9, 0), Attrs: []string{"", "x"}, Source: src("URLhaus", 2)},
		{List: intel.LinkHostIPv4, Owner: host, Item: "45.95.147.10", Hits: 20, DailyPeak: 9, PeakDate: day(2024, 2, 1), Source: src("pDNS", 2)},
		{List: intel.LinkHostMasks, Owner: host, Item: host + intel.ItemSep + intel.MaskHost, Zone: intel.ZoneRed,
			Attrs: []string{"A feed", "B feed"}, Source: src("A", 2)},
	}})
	files := links(t, s, intel.LinkHostFiles, host, 10)
	wantF := []intel.Link{{List: intel.LinkHostFiles, Owner: host, Item: md5a + intel.ItemSep + host + "/bins/x86", Hits: 37, Zone: intel.ZoneRed,
		FirstSeen: at(2024, 3, 1, 8, 15), LastSeen: at(2024, 3, 3, 9, 0), Attrs: []string{"Mirai", "x"}, Source: src("URLhaus", 2)}}
	if !equal(files, wantF) {
		t.Errorf("files: got %+v, want %+v", files, wantF)
	}
	res := links(t, s, intel.LinkHostIPv4, host, 10)
	wantR := []intel.Link{{List: intel.LinkHostIPv4, Owner: host, Item: "45.95.147.10", Hits: 50, FirstSeen: at(2024, 3, 1, 0, 0),
		LastSeen: at(2024, 3, 2, 0, 0), DailyPeak: 9, PeakDate: day(2024, 2, 1), Source: src("pDNS", 2)}}
	if !equal(res, wantR) {
		t.Errorf("resolutions: got %+v, want %+v", res, wantR)
	}
	masks := links(t, s, intel.LinkHostMasks, host, 10)
	if len(masks) != 1 || masks[0].Zone != intel.ZoneRed || !slices.Equal(masks[0].Attrs, []string{"A feed", "B feed"}) {
		t.Errorf("masks: got %+v, want one Red mask with feeds [A feed B feed]", masks)
	}
	o := object(t, s, intel.ObjectHost, host)
	if c := o.Lists[intel.LinkHostFiles]; c != (intel.ListCount{Items: 1, Hits: 37, MaxZone: intel.ZoneRed}) {
		t.Errorf("file count: got %+v, want 1 item, 37 hits, Red", c)
	}
	if c := o.Lists[intel.LinkHostIPv4]; c != (intel.ListCount{Items: 1, Hits: 50}) {
		t.Errorf("resolution count: got %+v, want 1 item, 50 hits", c)
	}
	if !o.Known() {
		t.Error("host with links is not Known")
	}
	// The most severe zone of a list counts Green and Grey items too, and an
	// item without a zone changes nothing.
	apply(t, s, &intel.Batch{Links: []intel.Link{
		{List: intel.LinkHostURLs, Owner: host, Item: host + "/ok", Zone: intel.ZoneGreen, Source: src("x", 1)},
		{List: intel.LinkHostURLs, Owner: host, Item: host + "/ok", Source: src("x", 2)},
		{List: intel.LinkHostURLs, Owner: host, Item: host + "/plain", Source: src("x", 2)},
	}})
	if c := object(t, s, intel.ObjectHost, host).Lists[intel.LinkHostURLs]; c != (intel.ListCount{Items: 2, MaxZone: intel.ZoneGreen}) {
		t.Errorf("URL count: got %+v, want 2 items, Green", c)
	}
	o = object(t, s, intel.ObjectHost, host)
	// The owner's other lists and other owners are untouched.
	if c := o.Lists[intel.LinkHostAccessed]; c != (intel.ListCount{}) {
		t.Errorf("accessed count: got %+v, want zero", c)
	}
	if ls := links(t, s, intel.LinkHostFiles, "badcorp.example", 10); len(ls) != 0 {
		t.Errorf("parent's files: got %d, want none", len(ls))
	}
}

// testLinkOrder checks recency and severity order and the limit on long
// lists.
func testLinkOrder(t *testing.T, f Factory) {
	s := open(t, f)
	const n = 300
	b := &intel.Batch{}
	var want []intel.Link
	for i := range n {
		l := intel.Link{List: intel.LinkHostURLs, Owner: "big.example", Item: fmt.Sprintf("big.example/p%03d", i),
			Hits: int64(i % 7), Source: src("URLhaus", 1)}
		switch {
		case i%10 == 0: // undated: after the dated ones
		default:
			l.LastSeen = at(2024, 3, 1+i%20, 0, 0)
			l.FirstSeen = l.LastSeen
		}
		b.Links = append(b.Links, l)
		want = append(want, l)
	}
	zones := []intel.Zone{intel.ZoneGrey, intel.ZoneRed, intel.ZoneGreen, intel.ZoneOrange, intel.ZoneYellow, ""}
	var wantSub []intel.Link
	for i := range 12 {
		l := intel.Link{List: intel.LinkSubdomains, Owner: "badcorp.example", Item: fmt.Sprintf("s%02d.badcorp.example", i),
			Zone: zones[i%len(zones)], Hits: int64(i % 3), Source: src("pDNS", 1)}
		b.Links = append(b.Links, l)
		wantSub = append(wantSub, l)
	}
	apply(t, s, b)
	intel.SortLinks(want)
	intel.SortLinks(wantSub)
	for _, limit := range []int{1, 10, 100, n, n + 5} {
		got := links(t, s, intel.LinkHostURLs, "big.example", limit)
		if !equal(got, want[:min(limit, n)]) {
			t.Errorf("limit %d: got %d items (first %+v), want %d (first %+v)", limit, len(got), first(got), min(limit, n), want[0])
		}
	}
	if got := links(t, s, intel.LinkSubdomains, "badcorp.example", 5); !equal(got, wantSub[:5]) {
		t.Errorf("subdomains: got %+v, want %+v", got, wantSub[:5])
	}
	if got := links(t, s, intel.LinkSubdomains, "badcorp.example", 0); len(got) != 0 {
		t.Errorf("limit 0: got %d items, want none", len(got))
	}
	o := object(t, s, intel.ObjectHost, "big.example")
	if o.Lists[intel.LinkHostURLs].Items != n {
		t.Errorf("URL count: got %d, want %d", o.Lists[intel.LinkHostURLs].Items, n)
	}
	// A merge that moves an item moves it in the order.
	apply(t, s, &intel.Batch{Links: []intel.Link{{List: intel.LinkHostURLs, Owner: "big.example", Item: "big.example/p000",
		LastSeen: at(2025, 1, 1, 0, 0), Source: src("URLhaus", 2)}}})
	if got := links(t, s, intel.LinkHostURLs, "big.example", 1); len(got) != 1 || got[0].Item != "big.example/p000" {
		t.Errorf("after moving p000 to the front: got %+v", got)
	}
	if got := links(t, s, intel.LinkHostURLs, "big.example", n); len(got) != n {
		t.Errorf("after the move: got %d items, want %d", len(got), n)
	}
}

func first(ls []intel.Link) any {
	if len(ls) == 0 {
		return nil
	}
	return ls[0]
}

// testFileHashes checks that hashes given together find each other and
// that the first pairing of a hash wins.
func testFileHashes(t *testing.T, f Factory) {
	s := open(t, f)
	apply(t, s, &intel.Batch{FileHashes: []intel.FileHashes{{MD5: md5a, SHA256: sha256a, Source: src("URLhaus", 1)}}})
	apply(t, s, &intel.Batch{FileHashes: []intel.FileHashes{
		{MD5: md5a, SHA1: sha1a, SHA256: sha256a, Source: src("MalwareBazaar", 2)},
		{MD5: md5a, SHA256: sha256b, Source: src("other", 3)}, // a second SHA-256 for the MD5
	}})
	want := intel.FileHashes{MD5: md5a, SHA1: sha1a, SHA256: sha256a, Source: src("MalwareBazaar", 2)}
	for _, h := range []string{md5a, sha1a, sha256a} {
		w := want
		if h == md5a {
			w.Source = src("other", 3) // the latest record's, though it kept its pairing
		}
		got, ok, err := s.FileHashes(ctx(t), h)
		if err != nil || !ok || !equal(got, w) {
			t.Errorf("FileHashes(%s): got %+v, %v, %v; want %+v", h, got, ok, err, w)
		}
	}
	got, ok, err := s.FileHashes(ctx(t), sha256b)
	if wantB := (intel.FileHashes{MD5: md5a, SHA256: sha256b, Source: src("other", 3)}); err != nil || !ok || !equal(got, wantB) {
		t.Errorf("FileHashes(second SHA-256): got %+v, %v, %v; want %+v", got, ok, err, wantB)
	}
}

// testDomainWhois checks that the latest record replaces the earlier one
// and is part of the host's summary.
func testDomainWhois(t *testing.T, f Factory) {
	s := open(t, f)
	apply(t, s, &intel.Batch{Whois: []intel.DomainWhois{{Domain: "badcorp.example", Registrar: "Old Registrar",
		NameServers: []string{"NS9.OLD.example"}, Source: src("RDAP", 1)}}})
	w := intel.DomainWhois{Domain: "badcorp.example", Created: at(2025, 10, 1, 0, 0), Updated: at(2025, 10, 2, 8, 0),
		Expires: at(2026, 10, 1, 0, 0), NameServers: []string{"ns2.host.example", "NS1.host.example."},
		Status:    []string{"clientTransferProhibited https://icann.org/epp#clientTransferProhibited"},
		Registrar: "Example Registrar, Inc.", RegistrarID: "9999", RegistrarEmail: "abuse@registrar.example",
		RegistrationOrganization: "Example Registrar, Inc.",
		Contacts: []intel.DomainContact{
			{Type: "technical", Email: "tech@badcorp.example"},
			{Type: "registrant", Organization: "Privacy service", CountryCode: "IS"},
		},
		Source: src("RDAP", 2)}
	apply(t, s, &intel.Batch{Whois: []intel.DomainWhois{w}})
	o := object(t, s, intel.ObjectHost, "badcorp.example")
	want := w
	want.NameServers = []string{"ns1.host.example", "ns2.host.example"}
	want.Contacts = []intel.DomainContact{w.Contacts[1], w.Contacts[0]}
	if !equal(o.Whois, want) {
		t.Errorf("got %+v, want %+v", o.Whois, want)
	}
	if !o.Known() {
		t.Error("domain with WHOIS is not Known")
	}
	if sub := object(t, s, intel.ObjectHost, "c2.badcorp.example"); sub.Whois.Domain != "" {
		t.Errorf("a name below has the WHOIS record: %+v", sub.Whois)
	}
}

// testObjectsIdempotent: a batch of every object record applied twice is
// the same as once, duplicates inside a batch merge, and an invalid record
// refuses the batch.
func testObjectsIdempotent(t *testing.T, f Factory) {
	b := &intel.Batch{
		ObjectInfos:    []intel.ObjectInfo{{Kind: intel.ObjectFile, Key: md5a, Hits: 2, Source: src("x", 1)}},
		ObjectListings: []intel.ObjectListing{{Kind: intel.ObjectURL, Key: "bad.example/p", Category: intel.CatPhishing, Feed: "OpenPhish", Source: src("x", 1)}},
		Links: []intel.Link{
			{List: intel.LinkFileNames, Owner: md5a, Item: "x86", Hits: 3, Source: src("x", 1)},
			{List: intel.LinkFileNames, Owner: md5a, Item: "x86", Hits: 7, Source: src("x", 1)},
			{List: intel.LinkDetections, Owner: md5a, Item: "HEUR:Backdoor.Linux.Mirai.b", Zone: intel.ZoneRed,
				LastSeen: at(2024, 3, 1, 0, 0), Attrs: []string{"", "https://malpedia.example/mirai"}, Source: src("x", 1)},
		},
		FileHashes: []intel.FileHashes{{MD5: md5a, SHA256: sha256a, Source: src("x", 1)}},
		Whois:      []intel.DomainWhois{{Domain: "badcorp.example", Registrar: "R", Source: src("x", 1)}},
	}
	s := open(t, f)
	apply(t, s, b)
	snap := func() any {
		return []any{object(t, s, intel.ObjectFile, md5a), object(t, s, intel.ObjectURL, "bad.example/p"),
			object(t, s, intel.ObjectHost, "badcorp.example"), links(t, s, intel.LinkFileNames, md5a, 10),
			links(t, s, intel.LinkDetections, md5a, 10)}
	}
	once := snap()
	apply(t, s, b)
	if twice := snap(); !equal(once, twice) {
		t.Errorf("applying twice: got %+v, want %+v", twice, once)
	}
	names := links(t, s, intel.LinkFileNames, md5a, 10)
	if len(names) != 1 || names[0].Hits != 7 {
		t.Errorf("duplicate names in a batch: got %+v, want one with 7 hits", names)
	}
	if c := object(t, s, intel.ObjectFile, md5a).Lists[intel.LinkFileNames]; c.Items != 1 || c.Hits != 7 {
		t.Errorf("name count: got %+v, want 1 item, 7 hits", c)
	}
	for _, bad := range []*intel.Batch{
		{Links: []intel.Link{{List: intel.LinkFileNames, Owner: "not-a-hash", Item: "x"}}},
		{Links: []intel.Link{{List: 0, Owner: "x.example", Item: "x"}}},
		{Links: []intel.Link{{List: intel.LinkHostURLs, Owner: "x.example", Item: ""}}},
		{ObjectInfos: []intel.ObjectInfo{{Kind: intel.ObjectFile, Key: "0f343b0931126a20f133d67c2b018a3b"}}},
		{FileHashes: []intel.FileHashes{{MD5: sha1a}}},
		{Whois: []intel.DomainWhois{{}}},
	} {
		bad.Links = append(bad.Links, intel.Link{List: intel.LinkFileNames, Owner: md5a, Item: "never", Source: src("x", 9)})
		err := s.Apply(ctx(t), bad)
		if intel.KindOf(err) != intel.KindInvalid {
			t.Errorf("invalid batch %+v: got %v, want a KindInvalid error", bad, err)
		}
	}
	for _, l := range links(t, s, intel.LinkFileNames, md5a, 10) {
		if l.Item == "never" {
			t.Error("a refused batch was applied in part")
		}
	}
}

// testObjectsPersistence: objects survive a reopen.
func testObjectsPersistence(t *testing.T, f Factory) {
	if f.Reopen == nil {
		t.Skip("backend does not persist")
	}
	s := f.New(t)
	apply(t, s, &intel.Batch{
		ObjectInfos: []intel.ObjectInfo{{Kind: intel.ObjectFile, Key: sha256a, Size: 10, Source: src("x", 1)}},
		Links:       []intel.Link{{List: intel.LinkFileURLs, Owner: sha256a, Item: "bad.example/f", Hits: 1, Source: src("x", 1)}},
		FileHashes:  []intel.FileHashes{{MD5: md5a, SHA256: sha256a, Source: src("x", 1)}},
		Whois:       []intel.DomainWhois{{Domain: "bad.example", Registrar: "R", Source: src("x", 1)}},
	})
	before := []any{object(t, s, intel.ObjectFile, sha256a), links(t, s, intel.LinkFileURLs, sha256a, 5), object(t, s, intel.ObjectHost, "bad.example")}
	s = f.Reopen(t, s)
	t.Cleanup(func() { _ = s.Close() })
	after := []any{object(t, s, intel.ObjectFile, sha256a), links(t, s, intel.LinkFileURLs, sha256a, 5), object(t, s, intel.ObjectHost, "bad.example")}
	if !equal(before, after) {
		t.Errorf("after reopen: got %+v, want %+v", after, before)
	}
	if _, ok, err := s.FileHashes(ctx(t), md5a); err != nil || !ok {
		t.Errorf("FileHashes after reopen: %v, %v", ok, err)
	}
}
