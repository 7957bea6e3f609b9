package netdata

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

// fakeStore implements the network part of store.Intel; every other method
// panics through the nil embedded interface.
type fakeStore struct {
	store.Intel

	mu         sync.Mutex
	version    uint64
	recs       []store.NetRecord
	versionErr error
	scanErr    error
	scanDelay  time.Duration
	scans      atomic.Int64
	inScan     atomic.Int64
	maxInScan  atomic.Int64
}

func (f *fakeStore) set(version uint64, recs []store.NetRecord) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.version, f.recs = version, recs
}

func (f *fakeStore) NetworkVersion(ctx context.Context) (uint64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.version, f.versionErr
}

func (f *fakeStore) ScanNetworks(ctx context.Context, fn func(store.NetRecord) error) error {
	f.scans.Add(1)
	n := f.inScan.Add(1)
	defer f.inScan.Add(-1)
	for {
		m := f.maxInScan.Load()
		if n <= m || f.maxInScan.CompareAndSwap(m, n) {
			break
		}
	}
	time.Sleep(f.scanDelay)
	f.mu.Lock()
	recs, err := f.recs, f.scanErr
	f.mu.Unlock()
	if err != nil {
		return err
	}
	for _, r := range recs {
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

func pfx(s string) netip.Prefix { return netip.MustParsePrefix(s) }

func country(p, cc string) store.NetRecord {
	return store.NetRecord{Country: &intel.CountryRange{Prefix: pfx(p), Country: cc}}
}

func asRange(p string, asn uint32, desc string) store.NetRecord {
	return store.NetRecord{AS: &intel.ASRange{Prefix: pfx(p), ASN: asn, Description: []string{desc}, Source: intel.Source{Feed: "iptoasn"}}}
}

func whois(p, name string) store.NetRecord {
	first, last := prefixRange(pfx(p))
	return store.NetRecord{Whois: &intel.WhoisNet{
		Prefix: pfx(p), Type: "inetnum", Start: first, End: last, Name: name,
		Contacts: []intel.Contact{{Name: "Example Hosting NOC", Role: "abuse", Type: "role", Address: []string{"Examplestraat 1", "Amsterdam"}}},
	}}
}

func listing(p, feed string, cat intel.Category) store.NetRecord {
	return store.NetRecord{NetListing: &intel.NetListing{Prefix: pfx(p), Feed: feed, Category: cat, Zone: intel.ZoneRed}}
}

func allow(p, list string) store.NetRecord {
	return store.NetRecord{Allow: &intel.Allow{Prefix: pfx(p), List: list}}
}

// testRecords are overlapping ranges around public addresses; the data about
// them is invented. They come in no particular order, as from a store.
func testRecords() []store.NetRecord {
	return []store.NetRecord{
		country("45.95.147.0/24", "NL"),
		country("45.0.0.0/8", "US"),
		country("45.95.0.0/16", "DE"),
		country("2a00::/12", "EU"),
		country("2a00:1450::/32", "IE"),

		asRange("45.95.147.0/24", 65001, "EXAMPLE-HOSTING-AS"),
		asRange("45.95.0.0/16", 64512, "BIG-TRANSIT-AS"),
		asRange("45.95.147.0/24", 64513, "SECOND-ORIGIN-AS"),
		asRange("2a00:1450::/29", 64600, "V6-TRANSIT-AS"),
		asRange("2a00:1450:4000::/37", 64601, "V6-HOSTING-AS"),

		whois("45.95.147.0/25", "EXAMPLE-NET"),
		whois("45.95.0.0/16", "BIG-NET"),
		whois("2a00:1450::/32", "V6-BIG-NET"),
		whois("2a00:1450:4001::/48", "V6-SMALL-NET"),

		listing("45.95.147.0/24", "blocklist-b", intel.CatScanner),
		listing("45.95.0.0/16", "DROP", intel.CatSpam),
		listing("45.95.147.10/32", "c2-list", intel.CatBotnetCNC),
		listing("45.95.147.0/24", "blocklist-a", intel.CatBruteforce),
		listing("2a00:1450:4001::/48", "v6-list", intel.CatScanner),
		listing("2a00:1450::/32", "DROP", intel.CatSpam),

		allow("45.95.0.0/16", "cloud-ranges"),
		allow("45.95.147.0/24", "cdn"),
		allow("45.95.147.0/24", "anycast"),
		allow("2a00:1450::/32", "public-resolvers"),
	}
}

// summary is a comparable digest of an Info.
type summary struct {
	country  string
	as       string // "prefix ASN,ASN"
	whois    string // "prefix name"
	listings string // "prefix feed,prefix feed"
	allows   string // "prefix list,prefix list"
}

func summarise(info Info) summary {
	var s summary
	s.country = info.Country
	var asns []string
	for _, a := range info.AS {
		asns = append(asns, a.Prefix.String()+" "+strconv.FormatUint(uint64(a.ASN), 10)+" "+strings.Join(a.Description, "/"))
	}
	s.as = strings.Join(asns, ",")
	if info.Whois != nil {
		s.whois = info.Whois.Prefix.String() + " " + info.Whois.Name
	}
	var ls []string
	for _, l := range info.Listings {
		ls = append(ls, l.Prefix.String()+" "+l.Feed)
	}
	s.listings = strings.Join(ls, ",")
	var as []string
	for _, a := range info.Allows {
		as = append(as, a.Prefix.String()+" "+a.List)
	}
	s.allows = strings.Join(as, ",")
	return s
}

func TestSnapshotLookup(t *testing.T) {
	s := FromRecords(7, testRecords())
	tests := []struct {
		ip   string
		want summary
	}{
		{"45.95.147.10", summary{
			country:  "NL",
			as:       "45.95.147.0/24 64513 SECOND-ORIGIN-AS,45.95.147.0/24 65001 EXAMPLE-HOSTING-AS",
			whois:    "45.95.147.0/25 EXAMPLE-NET",
			listings: "45.95.147.10/32 c2-list,45.95.147.0/24 blocklist-a,45.95.147.0/24 blocklist-b,45.95.0.0/16 DROP",
			allows:   "45.95.147.0/24 anycast,45.95.147.0/24 cdn,45.95.0.0/16 cloud-ranges",
		}},
		{"::ffff:45.95.147.10", summary{
			country:  "NL",
			as:       "45.95.147.0/24 64513 SECOND-ORIGIN-AS,45.95.147.0/24 65001 EXAMPLE-HOSTING-AS",
			whois:    "45.95.147.0/25 EXAMPLE-NET",
			listings: "45.95.147.10/32 c2-list,45.95.147.0/24 blocklist-a,45.95.147.0/24 blocklist-b,45.95.0.0/16 DROP",
			allows:   "45.95.147.0/24 anycast,45.95.147.0/24 cdn,45.95.0.0/16 cloud-ranges",
		}},
		{"45.95.147.200", summary{
			country:  "NL",
			as:       "45.95.147.0/24 64513 SECOND-ORIGIN-AS,45.95.147.0/24 65001 EXAMPLE-HOSTING-AS",
			whois:    "45.95.0.0/16 BIG-NET",
			listings: "45.95.147.0/24 blocklist-a,45.95.147.0/24 blocklist-b,45.95.0.0/16 DROP",
			allows:   "45.95.147.0/24 anycast,45.95.147.0/24 cdn,45.95.0.0/16 cloud-ranges",
		}},
		{"45.95.1.1", summary{
			country:  "DE",
			as:       "45.95.0.0/16 64512 BIG-TRANSIT-AS",
			whois:    "45.95.0.0/16 BIG-NET",
			listings: "45.95.0.0/16 DROP",
			allows:   "45.95.0.0/16 cloud-ranges",
		}},
		{"45.1.2.3", summary{country: "US"}},
		{"8.8.8.8", summary{}},
		{"2a00:1450:4001:81c::200e", summary{
			country:  "IE",
			as:       "2a00:1450:4000::/37 64601 V6-HOSTING-AS",
			whois:    "2a00:1450:4001::/48 V6-SMALL-NET",
			listings: "2a00:1450:4001::/48 v6-list,2a00:1450::/32 DROP",
			allows:   "2a00:1450::/32 public-resolvers",
		}},
		{"2a00:1450:8000::1", summary{
			country:  "IE",
			as:       "2a00:1450::/29 64600 V6-TRANSIT-AS",
			whois:    "2a00:1450::/32 V6-BIG-NET",
			listings: "2a00:1450::/32 DROP",
			allows:   "2a00:1450::/32 public-resolvers",
		}},
		{"2a01::1", summary{country: "EU"}},
		{"2a10::1", summary{}},
		{"fe80::1%eth0", summary{}},
	}
	for _, tt := range tests {
		got := summarise(s.Lookup(netip.MustParseAddr(tt.ip)))
		if got != tt.want {
			t.Errorf("Lookup(%s):\n got %+v\nwant %+v", tt.ip, got, tt.want)
		}
	}
	if got := s.Lookup(netip.Addr{}); got.Country != "" || got.AS != nil || got.Whois != nil || got.Listings != nil || got.Allows != nil {
		t.Errorf("Lookup(invalid): got %+v, want nothing", got)
	}
}

func TestSnapshotLookupValues(t *testing.T) {
	s := FromRecords(1, testRecords())
	info := s.Lookup(netip.MustParseAddr("45.95.147.10"))
	w := info.Whois
	if w == nil {
		t.Fatalf("Lookup(45.95.147.10).Whois: got nil, want EXAMPLE-NET")
	}
	if w.Start != netip.MustParseAddr("45.95.147.0") || w.End != netip.MustParseAddr("45.95.147.127") || w.Type != "inetnum" {
		t.Errorf("Whois: got %s %v-%v, want inetnum 45.95.147.0-45.95.147.127", w.Type, w.Start, w.End)
	}
	if len(w.Contacts) != 1 || w.Contacts[0].Name != "Example Hosting NOC" || !slices.Equal(w.Contacts[0].Address, []string{"Examplestraat 1", "Amsterdam"}) {
		t.Errorf("Whois.Contacts: got %+v, want one Example Hosting NOC at Examplestraat 1, Amsterdam", w.Contacts)
	}
	if len(info.AS) != 2 || info.AS[0].Source.Feed != "iptoasn" {
		t.Errorf("AS: got %+v, want two ranges from iptoasn", info.AS)
	}
	if l := info.Listings[0]; l.Zone != intel.ZoneRed || l.Category != intel.CatBotnetCNC {
		t.Errorf("Listings[0]: got %s %s, want Red CATEGORY_BOTNET_CNC", l.Zone, l.Category)
	}

	// Appending to a returned list never changes the snapshot.
	one := s.Lookup(netip.MustParseAddr("45.95.1.1")).Listings
	_ = append(one, intel.NetListing{Feed: "appended"})
	if got := summarise(s.Lookup(netip.MustParseAddr("45.95.147.10"))).listings; !strings.HasSuffix(got, "45.95.0.0/16 DROP") {
		t.Errorf("after appending to a result: got listings %q, want them unchanged", got)
	}
	if n := len(s.listingRecs); n != 6 {
		t.Errorf("listing records after appending to a result: got %d, want 6", n)
	}
}

func TestSnapshotDuplicatesAndNormalisation(t *testing.T) {
	recs := []store.NetRecord{
		country("45.95.0.0/16", "DE"),
		country("45.95.0.0/16", "NL"),                 // same prefix: the later one wins
		country("46.1.2.3/16", "FR"),                  // host bits are masked
		country("::ffff:47.0.0.0/104", "GB"),          // IPv4-mapped: stored as 47.0.0.0/8
		{Country: &intel.CountryRange{Country: "XX"}}, // no prefix: skipped
		{Allow: &intel.Allow{List: "no-prefix"}},      // no prefix: skipped
		asRange("45.95.0.0/16", 64512, "OLD-NAME"),
		asRange("45.95.0.0/16", 64512, "NEW-NAME"), // same (prefix, ASN): the later one wins
		whois("45.95.0.0/16", "OLD-NET"),
		whois("45.95.0.0/16", "NEW-NET"),
		listing("45.95.0.0/16", "DROP", intel.CatSpam),
		listing("45.95.0.0/16", "DROP", intel.CatSpam),
		allow("45.95.0.0/16", "cdn"),
		allow("45.95.0.0/16", "cdn"),
	}
	s := FromRecords(3, recs)
	tests := []struct {
		ip   string
		want summary
	}{
		{"45.95.1.1", summary{
			country:  "NL",
			as:       "45.95.0.0/16 64512 NEW-NAME",
			whois:    "45.95.0.0/16 NEW-NET",
			listings: "45.95.0.0/16 DROP",
			allows:   "45.95.0.0/16 cdn",
		}},
		{"46.1.200.1", summary{country: "FR"}},
		{"47.11.12.13", summary{country: "GB"}},
	}
	for _, tt := range tests {
		if got := summarise(s.Lookup(netip.MustParseAddr(tt.ip))); got != tt.want {
			t.Errorf("Lookup(%s):\n got %+v\nwant %+v", tt.ip, got, tt.want)
		}
	}
	want := Stats{Prefixes: 3, Countries: 3, ASRanges: 1, ASPrefixes: 1, WhoisNets: 1, NetListings: 1, Allows: 1, Skipped: 2}
	if got := s.Stats(); got != want {
		t.Errorf("Stats: got %+v, want %+v", got, want)
	}
	if got := s.Version(); got != 3 {
		t.Errorf("Version: got %d, want 3", got)
	}
}

func TestBuild(t *testing.T) {
	st := &fakeStore{}
	st.set(42, testRecords())
	s, err := Build(context.Background(), st)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	if s.Version() != 42 || !s.Loaded() {
		t.Errorf("Build: got version %d loaded %t, want 42 true", s.Version(), s.Loaded())
	}
	want := Stats{Prefixes: 10, Countries: 5, ASRanges: 5, ASPrefixes: 4, WhoisNets: 4, NetListings: 6, Allows: 4}
	if got := s.Stats(); got != want {
		t.Errorf("Stats: got %+v, want %+v", got, want)
	}
	if got := s.Lookup(netip.MustParseAddr("45.95.147.10")).Country; got != "NL" {
		t.Errorf("Lookup(45.95.147.10).Country: got %q, want NL", got)
	}

	st.scanErr = errors.New("disk on fire")
	if _, err := Build(context.Background(), st); err == nil || !strings.Contains(err.Error(), "scan networks: disk on fire") {
		t.Errorf("Build with failing scan: got %v, want scan networks: disk on fire", err)
	}
	st.scanErr = nil
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Build(ctx, st); !errors.Is(err, context.Canceled) {
		t.Errorf("Build with cancelled context: got %v, want context.Canceled", err)
	}
}

func TestHolderRefresh(t *testing.T) {
	ctx := context.Background()
	st := &fakeStore{}
	st.set(1, testRecords()[:5]) // countries only
	h := NewHolder()
	if s := h.Load(); s.Loaded() || s.Version() != 0 {
		t.Fatalf("NewHolder: got loaded %t version %d, want an empty placeholder", s.Loaded(), s.Version())
	}
	if got := h.Load().Lookup(netip.MustParseAddr("45.95.147.10")).Country; got != "" {
		t.Errorf("empty holder: got country %q, want none", got)
	}

	steps := []struct {
		name      string
		version   uint64
		recs      []store.NetRecord
		force     bool
		wantScans int64
		wantVer   uint64
		wantAS    bool
	}{
		{"first load", 1, testRecords()[:5], false, 1, 1, false},
		{"same version", 1, testRecords()[:5], false, 1, 1, false},
		{"same version again", 1, testRecords(), false, 1, 1, false}, // data unseen until the version moves
		{"new version", 2, testRecords(), false, 2, 2, true},
		{"forced", 2, testRecords(), true, 3, 2, true},
		{"unchanged after force", 2, testRecords(), false, 3, 2, true},
	}
	for _, step := range steps {
		st.set(step.version, step.recs)
		if err := h.Refresh(ctx, st, step.force); err != nil {
			t.Fatalf("%s: Refresh: %v", step.name, err)
		}
		s := h.Load()
		hasAS := s.Lookup(netip.MustParseAddr("45.95.147.10")).AS != nil
		if got := st.scans.Load(); got != step.wantScans || s.Version() != step.wantVer || hasAS != step.wantAS {
			t.Errorf("%s: got %d scans, version %d, AS known %t; want %d, %d, %t",
				step.name, got, s.Version(), hasAS, step.wantScans, step.wantVer, step.wantAS)
		}
	}

	// A failing store leaves the current snapshot in place.
	before := h.Load()
	st.mu.Lock()
	st.version, st.scanErr = 3, errors.New("disk on fire")
	st.mu.Unlock()
	if err := h.Refresh(ctx, st, false); err == nil {
		t.Errorf("Refresh with failing scan: got nil error, want one")
	}
	st.mu.Lock()
	st.scanErr, st.versionErr = nil, errors.New("unreachable")
	st.mu.Unlock()
	if err := h.Refresh(ctx, st, false); err == nil || !strings.Contains(err.Error(), "read network version: unreachable") {
		t.Errorf("Refresh with failing version: got %v, want read network version: unreachable", err)
	}
	if h.Load() != before {
		t.Errorf("after failed refreshes: got a new snapshot, want the old one kept")
	}
}

// TestHolderConcurrentRefresh runs many Refresh calls and readers at once:
// one version change means one build, and readers always see a complete
// snapshot.
func TestHolderConcurrentRefresh(t *testing.T) {
	ctx := context.Background()
	st := &fakeStore{scanDelay: 20 * time.Millisecond}
	st.set(1, testRecords())
	h := NewHolder()

	stop := make(chan struct{})
	var readers sync.WaitGroup
	var bad atomic.Int64
	for range 4 {
		readers.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				s := h.Load()
				got := s.Lookup(netip.MustParseAddr("45.95.147.10")).Country
				if s.Loaded() && got != "NL" {
					bad.Add(1)
				}
			}
		})
	}

	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if err := h.Refresh(ctx, st, false); err != nil {
				t.Errorf("Refresh: %v", err)
			}
		})
	}
	wg.Wait()
	close(stop)
	readers.Wait()

	if got := st.scans.Load(); got != 1 {
		t.Errorf("8 concurrent refreshes of one version: got %d builds, want 1", got)
	}
	if got := st.maxInScan.Load(); got != 1 {
		t.Errorf("concurrent builds: got %d at once, want 1", got)
	}
	if got := bad.Load(); got != 0 {
		t.Errorf("readers: got %d wrong answers from a loaded snapshot, want 0", got)
	}
}
