package report

import (
	"context"
	"net/netip"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

// readCounter counts the object and address reads of reports, and passes
// the store's version on (store.Versioned).
type readCounter struct {
	store.Intel
	mu sync.Mutex
	n  int
}

func (c *readCounter) add() {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
}

func (c *readCounter) reads() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

func (c *readCounter) IntelVersion() (uint64, bool) { return store.IntelVersion(c.Intel) }

func (c *readCounter) Object(ctx context.Context, kind intel.ObjectKind, key string) (intel.ObjectSummary, error) {
	c.add()
	return c.Intel.Object(ctx, kind, key)
}

func (c *readCounter) Links(ctx context.Context, list intel.LinkList, owner string, limit int) ([]intel.Link, error) {
	c.add()
	return c.Intel.Links(ctx, list, owner, limit)
}

func (c *readCounter) Address(ctx context.Context, ip netip.Addr) (intel.AddressSummary, error) {
	c.add()
	return c.Intel.Address(ctx, ip)
}

func (c *readCounter) URL(ctx context.Context, u string) (intel.URLSummary, error) {
	c.add()
	return c.Intel.URL(ctx, u)
}

func (c *readCounter) FileHashes(ctx context.Context, hash string) (intel.FileHashes, bool, error) {
	c.add()
	return c.Intel.FileHashes(ctx, hash)
}

// cachedBuilder is objectBuilder with a Verdicts and a read counter, and
// the same store without either.
func cachedBuilder(t *testing.T, max int) (cached, plain *Builder, reads *readCounter) {
	t.Helper()
	plain, st := newBuilder(t, objectFixture())
	if _, ok := store.IntelVersion(st); !ok {
		t.Fatal("the memory store does not report its version")
	}
	reads = &readCounter{Intel: st}
	cached = &Builder{Store: reads, Net: plain.Net, Now: plain.Now, Verdicts: NewVerdicts(max)}
	return cached, plain, reads
}

// objectReports builds the domain, web-address and file reports of the
// fixture's objects whose lists hold items of every kind.
func objectReports(t *testing.T, b *Builder) []any {
	t.Helper()
	ctx := context.Background()
	var out []any
	for _, n := range []string{"c2.badcorp.example", "badcorp.example", "variant.example"} {
		r, err := b.Domain(ctx, n, AllDomainSections, 100)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	for _, u := range []string{"http://c2.badcorp.example/bins/x86", "http://variant.example/path"} {
		r, err := b.URL(ctx, u, AllURLSections, 100)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	r, err := b.File(ctx, malMD5, AllFileSections, 100)
	if err != nil {
		t.Fatal(err)
	}
	return append(out, r)
}

func TestVerdictsKeptAcrossReports(t *testing.T) {
	cached, plain, reads := cachedBuilder(t, 0)
	want := objectReports(t, plain)
	first := objectReports(t, cached)
	n1 := reads.reads()
	second := objectReports(t, cached)
	n2 := reads.reads() - n1
	for i := range want {
		if !reflect.DeepEqual(first[i], want[i]) {
			t.Errorf("report %d, first time: got\n%+v\nwant (no kept verdicts)\n%+v", i, first[i], want[i])
		}
		if !reflect.DeepEqual(second[i], want[i]) {
			t.Errorf("report %d, verdicts kept: got\n%+v\nwant\n%+v", i, second[i], want[i])
		}
	}
	t.Logf("reads: %d, then %d", n1, n2)
	if n2 >= n1 {
		t.Errorf("reads: %d the first time, %d with the verdicts kept; want fewer", n1, n2)
	}
}

func TestVerdictsDroppedByImport(t *testing.T) {
	cached, _, _ := cachedBuilder(t, 0)
	ctx := context.Background()
	other := netip.MustParseAddr("93.184.216.34")
	resolutionZone := func() intel.Zone {
		t.Helper()
		r, err := cached.Domain(ctx, "c2.badcorp.example", SecDomainDNSResolutions, 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range r.Resolutions {
			if it.IP == other {
				return it.Zone
			}
		}
		t.Fatalf("no resolution item for %s in %+v", other, r.Resolutions)
		return ""
	}
	before := resolutionZone()
	if before != intel.ZoneGrey {
		t.Fatalf("before the import: got %s, want Grey", before)
	}
	// Two fresh C&C listings make the address Red.
	b := &intel.Batch{Listings: []intel.Listing{
		{IP: other, Category: intel.CatBotnetCNC, Feed: "Feed A", FirstSeen: daysAgo(1), LastSeen: now, Source: src},
		{IP: other, Category: intel.CatBotnetCNC, Feed: "Feed B", FirstSeen: daysAgo(1), LastSeen: now, Source: src},
	}}
	if err := cached.Store.Apply(ctx, b); err != nil {
		t.Fatal(err)
	}
	// The item first: the address's own lookup would renew its verdict.
	got := resolutionZone()
	own, err := cached.IP(ctx, other, SecZone, 10)
	if err != nil {
		t.Fatal(err)
	}
	if own.Zone != intel.ZoneRed {
		t.Fatalf("the address's own zone after the import: got %s, want Red", own.Zone)
	}
	if got != own.Zone {
		t.Errorf("resolution item after the import: got %s, want %s (the address's own)", got, own.Zone)
	}
}

func TestVerdictsScoredAtTheMinute(t *testing.T) {
	cached, plain, _ := cachedBuilder(t, 0)
	ctx := context.Background()
	at := now.Add(42 * time.Second)
	cached.Now = func() time.Time { return at }
	r, err := cached.IP(ctx, redIP, SecZone|SecIPGeneralInfo, 10)
	if err != nil {
		t.Fatal(err)
	}
	want, err := plain.IP(ctx, redIP, SecZone|SecIPGeneralInfo, 10) // plain's clock: now, the minute's start
	if err != nil {
		t.Fatal(err)
	}
	if r.Zone != want.Zone || r.General.ThreatScore != want.General.ThreatScore {
		t.Errorf("at %s: got %s %d, want %s %d (scored at %s)", at.Format(time.TimeOnly), r.Zone, r.General.ThreatScore,
			want.Zone, want.General.ThreatScore, now.Format(time.TimeOnly))
	}
	g := cached.Verdicts.cur.Load()
	if g == nil || g.key.at != now.UnixNano() {
		t.Fatalf("generation: got %+v, want one scored at %s", g, now)
	}
	if v, ok := g.ip(redIP); !ok || v.zone != r.Zone || v.score != r.General.ThreatScore {
		t.Errorf("kept verdict of %s: got %+v %v, want %s %d", redIP, v, ok, r.Zone, r.General.ThreatScore)
	}
	// The next minute starts a new generation.
	at = at.Add(time.Minute)
	if _, err := cached.IP(ctx, redIP, SecZone, 10); err != nil {
		t.Fatal(err)
	}
	if g2 := cached.Verdicts.cur.Load(); g2 == g || g2.key.at != now.Add(time.Minute).UnixNano() {
		t.Errorf("after a minute: generation %+v, want a new one at %s", g2.key, now.Add(time.Minute))
	}
}

func TestVerdictGenerations(t *testing.T) {
	v := NewVerdicts(10)
	k := genKey{store: 5, at: 100}
	g := v.generation(k)
	if !g.keep || v.generation(k) != g {
		t.Fatal("the same key must give the kept generation")
	}
	for _, old := range []genKey{{store: 4, at: 100}, {store: 5, at: 99}} {
		og := v.generation(old)
		og.putURL("example.com/", intel.ZoneRed)
		if og.keep || v.cur.Load() != g {
			t.Errorf("older key %+v: got a kept generation or replaced the current one", old)
		}
		if _, ok := og.url("example.com/"); ok {
			t.Errorf("older key %+v: kept a verdict", old)
		}
	}
	if ng := v.generation(genKey{store: 6, at: 100}); ng == g || !ng.keep || v.cur.Load() != ng {
		t.Error("a newer store version must start a kept generation")
	}
}

func TestVerdictsBounded(t *testing.T) {
	cached, plain, _ := cachedBuilder(t, 3)
	want := objectReports(t, plain)
	for range 2 {
		got := objectReports(t, cached)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("with 3 kept verdicts: got\n%+v\nwant\n%+v", got, want)
		}
	}
	g := cached.Verdicts.cur.Load()
	if kept := g.keptCount(); kept == 0 || kept > 3 {
		t.Errorf("kept %d verdicts, want 1 to 3", kept)
	}
	if n := g.dirty.len(); n > g.dirtyMax() {
		t.Errorf("%d verdicts wait to be published, want at most %d", n, g.dirtyMax())
	}
}

// TestVerdictsConcurrent looks up names and addresses (whose list items
// read the kept verdicts in one pass) from several goroutines while
// batches are applied (run with -race).
func TestVerdictsConcurrent(t *testing.T) {
	cached, _, _ := cachedBuilder(t, 8)
	ctx := context.Background()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 20 {
				if _, err := cached.Domain(ctx, "c2.badcorp.example", AllDomainSections, 100); err != nil {
					t.Error(err)
					return
				}
				r, err := cached.IP(ctx, redIP, AllIPSections, 100)
				if err != nil {
					t.Error(err)
					return
				}
				r.Release()
			}
		})
	}
	for i := range 5 {
		b := &intel.Batch{Listings: []intel.Listing{{IP: netip.AddrFrom4([4]byte{198, 51, 100, byte(i)}), Category: intel.CatSpam,
			Feed: "Feed A", LastSeen: now, Source: src}}}
		if err := cached.Store.Apply(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
}
