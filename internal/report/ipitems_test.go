package report

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/cputime"
	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/netdata"
	"github.com/tipd/tipd/internal/store"
	"github.com/tipd/tipd/internal/store/mem"
	"github.com/tipd/tipd/internal/store/pebble"
)

// itemsFixture is fixture(n) as the importer applies it: with the links
// of the domains, web addresses and files derived from the records, so
// that every list item has an object of its own.
func itemsFixture(n int) *intel.Batch {
	b := fixture(n)
	b.AddObjects()
	b.DateLinks(now)
	return b
}

// BenchmarkIPItems is the address lookup of a fully populated address
// (1000 items per list, every section) whose list items are objects with
// evidence of their own, on the reference and Pebble stores, count=100
// and count=1000.
func BenchmarkIPItems(b *testing.B) {
	ctx := context.Background()
	batch := itemsFixture(1000)
	stores := []struct {
		name string
		open func(testing.TB) store.Intel
	}{
		{"mem", func(testing.TB) store.Intel { return mem.New() }},
		{"pebble", func(tb testing.TB) store.Intel {
			st, err := pebble.Open(tb.TempDir(), pebble.Options{})
			if err != nil {
				tb.Fatal(err)
			}
			tb.Cleanup(func() { st.Close() })
			return st
		}},
	}
	for _, s := range stores {
		st := s.open(b)
		if err := st.Apply(ctx, batch); err != nil {
			b.Fatal(err)
		}
		h := netdata.NewHolder()
		if err := h.Refresh(ctx, st, true); err != nil {
			b.Fatal(err)
		}
		bld := &Builder{Store: st, Net: h, Now: clock}
		for _, count := range []int{100, 1000} {
			b.Run(fmt.Sprintf("%s/count=%d", s.name, count), func(b *testing.B) {
				benchIP(b, bld, count, func(r *IPReport) {
					if len(r.Files) != count {
						b.Fatalf("got %d files, want %d", len(r.Files), count)
					}
				})
			})
		}
	}
}

// ipItemsBatch is a second import on the red address of objectFixture:
// a resolution of an allow-listed name whose domain record says Red, an
// undated file recorded Orange without any detection, and a web address
// with a LastSeen only.
func ipItemsBatch() *intel.Batch {
	imp := intel.Source{Feed: "second", File: "second.jsonl", Imported: daysAgo(2).Add(17 * time.Second)}
	b := &intel.Batch{
		Resolutions: []intel.Resolution{{IP: redIP, Domain: "www.good.example", FirstSeen: daysAgo(4), LastSeen: daysAgo(1), Hits: 2, Source: imp}},
		Domains:     []intel.DomainInfo{{Domain: "www.good.example", Zone: intel.ZoneRed, Source: imp}},
		Files: []intel.FileDownload{{IP: redIP, MD5: undatedMD5, URL: "http://c2.badcorp.example/bins/arm", Zone: intel.ZoneOrange,
			Hits: 1, Source: imp}},
		HostedURLs: []intel.HostedURL{{IP: redIP, URL: "c2.badcorp.example/only-last", Zone: intel.ZoneGrey, Hits: 1,
			LastSeen: daysAgo(3), Source: imp}},
	}
	b.AddObjects()
	b.DateLinks(imp.Imported)
	return b
}

const undatedMD5 = "22222222222222222222222222222222"

// TestIPItems checks the list items of an address report on the reference
// and Pebble stores: each item's zone is its object's own lookup's, files
// are never Orange, an allow-listed domain is Green whatever its record
// says, and no item is undated.
func TestIPItems(t *testing.T) {
	ctx := context.Background()
	for _, name := range []string{"mem", "pebble"} {
		t.Run(name, func(t *testing.T) {
			var st store.Intel = mem.New()
			if name == "pebble" {
				ps, err := pebble.Open(t.TempDir(), pebble.Options{})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { ps.Close() })
				st = ps
			}
			for _, batch := range []*intel.Batch{objectFixture(), ipItemsBatch()} {
				if err := st.Apply(ctx, batch); err != nil {
					t.Fatal(err)
				}
			}
			b := &Builder{Store: st, Now: clock}
			r, err := b.IP(ctx, redIP, AllIPSections, 100)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Release()
			if len(r.Files) != 3 || len(r.HostedURLs) != 5 || len(r.Resolutions) != 3 {
				t.Fatalf("got %d files, %d web addresses, %d resolutions, want 3, 5, 3", len(r.Files), len(r.HostedURLs), len(r.Resolutions))
			}
			imported := daysAgo(2)
			for _, f := range r.Files {
				fr, err := b.File(ctx, f.MD5, SecZone, 10)
				if err != nil {
					t.Fatal(err)
				}
				if f.Zone != fr.Zone {
					t.Errorf("file %s: got %s, want its own lookup's %s", f.MD5, f.Zone, fr.Zone)
				}
				if f.Zone == intel.ZoneOrange {
					t.Errorf("file %s: got Orange, want never Orange", f.MD5)
				}
				want := map[string]intel.Zone{malMD5: intel.ZoneRed, bareMD5: intel.ZoneGrey, undatedMD5: intel.ZoneGrey}[f.MD5]
				if f.Zone != want {
					t.Errorf("file %s: got %s, want %s", f.MD5, f.Zone, want)
				}
				if f.MD5 == undatedMD5 && (!f.FirstSeen.Equal(imported) || !f.LastSeen.Equal(imported)) {
					t.Errorf("undated file: got %v – %v, want the import's minute %v", f.FirstSeen, f.LastSeen, imported)
				}
				checkDated(t, "file "+f.MD5, f.FirstSeen, f.LastSeen)
			}
			for _, u := range r.HostedURLs {
				ur, err := b.URL(ctx, u.URL, SecZone, 10)
				if err != nil {
					t.Fatal(err)
				}
				if u.Zone != ur.Zone {
					t.Errorf("web address %s: got %s, want its own lookup's %s", u.URL, u.Zone, ur.Zone)
				}
				if u.URL == "c2.badcorp.example/only-last" && (!u.FirstSeen.Equal(daysAgo(3)) || !u.LastSeen.Equal(daysAgo(3))) {
					t.Errorf("%s: got %v – %v, want LastSeen for both", u.URL, u.FirstSeen, u.LastSeen)
				}
				checkDated(t, "web address "+u.URL, u.FirstSeen, u.LastSeen)
			}
			for _, d := range r.Resolutions {
				dr, err := b.Domain(ctx, d.Domain, SecZone, 10)
				if err != nil {
					t.Fatal(err)
				}
				if d.Zone != dr.Zone {
					t.Errorf("domain %s: got %s, want its own lookup's %s", d.Domain, d.Zone, dr.Zone)
				}
				if d.Domain == "www.good.example" && d.Zone != intel.ZoneGreen {
					t.Errorf("allow-listed %s: got %s, want Green", d.Domain, d.Zone)
				}
				checkDated(t, "domain "+d.Domain, d.FirstSeen, d.LastSeen)
			}

			// The address's own verdict counts the zones recorded on its
			// resolutions (www.good.example's record says Red): the same
			// whether the list sections are asked or not.
			z, err := b.IP(ctx, redIP, SecZone|SecIPGeneralInfo|SecRelatedObjects, 1)
			if err != nil {
				t.Fatal(err)
			}
			if z.Zone != r.Zone || z.General.ThreatScore != r.General.ThreatScore || z.HasRedZone != r.HasRedZone {
				t.Errorf("verdict: got %s %d %v with the lists, %s %d %v without", r.Zone, r.General.ThreatScore, r.HasRedZone,
					z.Zone, z.General.ThreatScore, z.HasRedZone)
			}
			if !r.HasRedZone {
				t.Error("HasRedZone: got false, want true (a resolution recorded Red)")
			}
		})
	}
}

func checkDated(t *testing.T, what string, first, last time.Time) {
	t.Helper()
	if first.IsZero() || last.IsZero() {
		t.Errorf("%s: got FirstSeen %v, LastSeen %v, want both dated", what, first, last)
	}
}

// TestIPItemsKept checks that the list items of an address report read
// back from the kept verdicts (waiting, then published) are those computed
// without any, and that looking them up allocates nothing.
func TestIPItemsKept(t *testing.T) {
	ctx := context.Background()
	st := mem.New()
	for _, batch := range []*intel.Batch{objectFixture(), ipItemsBatch()} {
		if err := st.Apply(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	plain := &Builder{Store: st, Now: clock}
	cached := &Builder{Store: st, Now: clock, Verdicts: NewVerdicts(0)}
	want, err := plain.IP(ctx, redIP, AllIPSections, 100)
	if err != nil {
		t.Fatal(err)
	}
	zones := func(r *IPReport) string {
		var s []string
		for _, f := range r.Files {
			s = append(s, f.MD5+"="+string(f.Zone))
		}
		for _, u := range r.HostedURLs {
			s = append(s, u.URL+"="+string(u.Zone))
		}
		for _, d := range r.Resolutions {
			s = append(s, d.Domain+"="+string(d.Zone))
		}
		return fmt.Sprint(s)
	}
	for round, state := range []string{"computed", "waiting", "published"} {
		r, err := cached.IP(ctx, redIP, AllIPSections, 100)
		if err != nil {
			t.Fatal(err)
		}
		if got, w := zones(r), zones(want); got != w {
			t.Errorf("%s (report %d): got %s, want %s", state, round+1, got, w)
		}
		g := cached.Verdicts.cur.Load()
		if published := g.read.Load() != nil; published != (round > 0) {
			t.Errorf("after report %d: published %v, want %v", round+1, published, round > 0)
		}
		if round == 2 {
			if n := testing.AllocsPerRun(10, func() { g.itemZones(r) }); n != 0 {
				t.Errorf("itemZones: got %v allocations, want 0", n)
			}
			if missing := g.itemZones(r); missing != 0 {
				t.Errorf("itemZones: %d items not found, want 0", missing)
			}
		}
		r.Release()
	}
}

// TestVerdictsPublished checks the publication of kept verdicts: found
// in dirty often enough, they move to the published set, newest first
// when the set is full, and the bound holds.
func TestVerdictsPublished(t *testing.T) {
	v := NewVerdicts(8) // dirty holds 2, the published set 6
	g := v.generation(genKey{store: 1, at: 1})
	for i := range 10 {
		g.putFile(fmt.Sprintf("%032X", i), intel.ZoneRed)
		if n := g.dirty.len(); n > 2 {
			t.Fatalf("after %d verdicts: %d waiting, want at most 2", i+1, n)
		}
	}
	if g.read.Load() != nil {
		t.Fatal("published before any lookup")
	}
	var found string
	for i := range 10 {
		if _, ok := g.file(fmt.Sprintf("%032X", i)); ok {
			found = fmt.Sprintf("%032X", i)
		}
	}
	if found == "" {
		t.Fatal("no kept verdict found")
	}
	pub := g.read.Load()
	if pub == nil {
		t.Fatal("not published after the lookups")
	}
	if _, ok := pub.files[found]; !ok {
		t.Errorf("%s: found, not published", found)
	}
	if g.dirty.len() != 0 {
		t.Errorf("after publication: %d waiting, want 0", g.dirty.len())
	}
	for i := range 20 {
		g.putURL(fmt.Sprintf("example.com/%d", i), intel.ZoneGrey)
		g.url(fmt.Sprintf("example.com/%d", i))
		if n := g.keptCount(); n > 8 {
			t.Fatalf("kept %d verdicts, want at most 8", n)
		}
	}
	if _, ok := g.url("example.com/19"); !ok {
		t.Error("the newest verdict is not kept")
	}
}

// BenchmarkItemZones is the lookup of the kept verdicts of an address
// report's 300 list items (count=100), all published.
func BenchmarkItemZones(b *testing.B) {
	bld, st := newBuilder(b, fixture(150))
	kept := &Builder{Store: versionedFrozen{freeze(b, st)}, Net: bld.Net, Now: bld.Now, Verdicts: NewVerdicts(0)}
	ctx := context.Background()
	for range 2 {
		r, err := kept.IP(ctx, redIP, AllIPSections, 100)
		if err != nil {
			b.Fatal(err)
		}
		r.Release()
	}
	r, err := kept.IP(ctx, redIP, AllIPSections, 100)
	if err != nil {
		b.Fatal(err)
	}
	g := kept.Verdicts.cur.Load()
	if g.read.Load() == nil {
		b.Fatal("not published")
	}
	cpu := cputime.Now()
	for b.Loop() {
		if n := g.itemZones(r); n != 0 {
			b.Fatalf("%d items not found", n)
		}
	}
	cputime.Report(b, cpu)
}
