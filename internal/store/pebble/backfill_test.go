package pebble

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/intel"
)

// addrRecords makes random address records that imply object links, over
// small key spaces: web addresses and files on several addresses,
// resolutions of names below registrable domains, masks of every type.
type addrRecords struct {
	rng *rand.Rand
	ips []netip.Addr
}

func newAddrRecords(seed uint64) *addrRecords {
	r := &addrRecords{rng: rand.New(rand.NewPCG(seed, 1))}
	for i := range 5 {
		r.ips = append(r.ips, netip.AddrFrom4([4]byte{198, 51, 100, byte(i)}), netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 15: byte(i)}))
	}
	return r
}

var backfillHosts = []string{"c2.badcorp.com", "www.badcorp.com", "a.b.evil.co.uk", "evil.co.uk", "203.0.113.9", "[2001:db8::9]"}

func (r *addrRecords) batch(src intel.Source, n int) *intel.Batch {
	rng := r.rng
	b := &intel.Batch{}
	base := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	for range n {
		ip := r.ips[rng.IntN(len(r.ips))]
		last := base.Add(time.Duration(rng.IntN(30*24)) * time.Hour)
		first := last.Add(-time.Duration(rng.IntN(72)) * time.Hour)
		hits := int64(rng.IntN(9))
		host := backfillHosts[rng.IntN(len(backfillHosts))]
		url := fmt.Sprintf("%s/p%d", host, rng.IntN(4))
		zone := testZones[rng.IntN(len(testZones))]
		switch rng.IntN(4) {
		case 0:
			b.HostedURLs = append(b.HostedURLs, intel.HostedURL{IP: ip, URL: url, Zone: zone, Hits: hits,
				FirstSeen: first, LastSeen: last, Source: src})
		case 1:
			md5 := fmt.Sprintf("%032X", rng.IntN(5))
			b.Files = append(b.Files, intel.FileDownload{IP: ip, MD5: md5, URL: "http://" + url, Zone: zone,
				DetectionName: fmt.Sprintf("HEUR:Trojan.Linux.Agent.%s", md5[31:]), Hits: hits, FirstSeen: first, LastSeen: last, Source: src})
		case 2:
			dom := backfillHosts[rng.IntN(4)]
			b.Resolutions = append(b.Resolutions, intel.Resolution{IP: ip, Domain: dom, Hits: hits, FirstSeen: first,
				LastSeen: last, DailyPeak: hits, PeakDate: intel.Day(last), Source: src})
		case 3:
			// Masks of a URL prefix are undated, the others dated: an item
			// merged from dated and undated records is dated by the
			// import only if a batch holds undated ones alone, which
			// depends on the batches.
			m := intel.FeedMask{IP: ip, Zone: zone, Feeds: []string{fmt.Sprint("feed", rng.IntN(3))}, LastSeen: last, Source: src}
			switch rng.IntN(3) {
			case 0:
				m.Mask, m.MaskType = host, intel.MaskHost
			case 1:
				m.Mask, m.MaskType, m.LastSeen = url, intel.MaskURLPrefix, time.Time{}
			default:
				m.Mask, m.MaskType = url, intel.MaskURL
			}
			b.Masks = append(b.Masks, m)
		}
	}
	return b
}

// derivedAnswers reads every object and list the batches' derived records
// name, as AddObjects derives them.
func derivedAnswers(t *testing.T, s *Store, batches []*intel.Batch) map[string]any {
	t.Helper()
	ctx := context.Background()
	type lo struct {
		list  intel.LinkList
		owner string
	}
	owners := map[lo]bool{}
	type ok struct {
		Kind intel.ObjectKind
		Key  string
	}
	objs := map[ok]bool{}
	for _, b := range batches {
		c := &intel.Batch{HostedURLs: b.HostedURLs, Files: b.Files, Resolutions: b.Resolutions, Masks: b.Masks}
		c.AddObjects()
		for _, l := range c.Links {
			owners[lo{l.List, l.Owner}] = true
			objs[ok{l.List.Owner(), l.Owner}] = true
		}
		for _, i := range c.ObjectInfos {
			objs[ok{i.Kind, i.Key}] = true
		}
	}
	out := map[string]any{}
	for o := range owners {
		ls, err := s.Links(ctx, o.list, o.owner, 1000)
		if err != nil {
			t.Fatal(err)
		}
		out[fmt.Sprintf("links %d %s", o.list, o.owner)] = ls
	}
	for o := range objs {
		sum, err := s.Object(ctx, o.Kind, o.Key)
		if err != nil {
			t.Fatal(err)
		}
		out[fmt.Sprintf("object %s %s", o.Kind, o.Key)] = sum
	}
	return out
}

// oldStore applies the batches as the binary before the object records
// did: without their derived records, and without the mark of a store
// created with them.
func oldStore(t *testing.T, batches []*intel.Batch) *Store {
	t.Helper()
	s, err := Open(t.TempDir(), Options{CacheSize: 8 << 20})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range batches {
		if err := s.Apply(context.Background(), b); err != nil {
			t.Fatal(err)
		}
	}
	s.recent.invalidate() // a raw write, outside Apply
	if err := s.db.Delete(keyBackfill, nil); err != nil {
		t.Fatal(err)
	}
	dir := s.dir
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(dir, Options{CacheSize: 8 << 20})
	if err != nil {
		t.Fatalf("open a store of the binary before objects: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// newStore applies the batches as the importer does: each with its
// derived object records, undated links dated by the import.
func newStore(t *testing.T, batches []*intel.Batch) *Store {
	t.Helper()
	s, err := Open(t.TempDir(), Options{CacheSize: 8 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	for _, b := range batches {
		c := &intel.Batch{HostedURLs: b.HostedURLs, Files: b.Files, Resolutions: b.Resolutions, Masks: b.Masks}
		c.AddObjects()
		c.DateLinks(b.HostedURLs[0].Source.Imported)
		if err := s.Apply(context.Background(), c); err != nil {
			t.Fatal(err)
		}
	}
	if p, err := s.Pending(context.Background()); err != nil || len(p) != 0 {
		t.Fatalf("new store: pending upgrades %v, %v; want none", p, err)
	}
	return s
}

func migrate(t *testing.T, s *Store) {
	t.Helper()
	if p, err := s.Pending(context.Background()); err != nil || !slices.Equal(p, []string{upgradeObjectLinks}) {
		t.Fatalf("before: pending %v, %v; want [%s]", p, err, upgradeObjectLinks)
	}
	got, err := s.Migrate(context.Background(), nil)
	if err != nil || !slices.Equal(got, []string{upgradeObjectLinks}) {
		t.Fatalf("Migrate: %v, %v; want [%s]", got, err, upgradeObjectLinks)
	}
	if p, err := s.Pending(context.Background()); err != nil || len(p) != 0 {
		t.Fatalf("after: pending %v, %v; want none", p, err)
	}
}

func compareAnswers(t *testing.T, got, want map[string]any) {
	t.Helper()
	known := 0
	for k, w := range want {
		if o, ok := w.(intel.ObjectSummary); ok && o.Known() {
			known++
		}
		if !reflect.DeepEqual(got[k], w) {
			t.Errorf("%s:\n got %+v\nwant %+v", k, got[k], w)
		}
	}
	if known < 20 {
		t.Fatalf("%d known objects: the test wants more", known)
	}
}

// One import in several batches: the upgrade, run in small batches, gives
// exactly what the importer gives, and runs once.
func TestBackfillSameAsImport(t *testing.T) {
	defer func(n int) { backfillBatch = n }(backfillBatch)
	backfillBatch = 37
	r := newAddrRecords(1)
	src := intel.Source{Feed: "URLhaus", File: "urlhaus.csv", Imported: time.Date(2025, 7, 2, 10, 30, 0, 0, time.UTC)}
	var batches []*intel.Batch
	for range 8 {
		batches = append(batches, r.batch(src, 150))
	}
	old := oldStore(t, batches)
	if ls, err := old.Links(context.Background(), intel.LinkHostURLs, "c2.badcorp.com", 10); err != nil || len(ls) != 0 {
		t.Fatalf("old store: got %d links, %v; want none", len(ls), err)
	}
	migrate(t, old)
	want := derivedAnswers(t, newStore(t, batches), batches)
	compareAnswers(t, derivedAnswers(t, old, batches), want)
	// Once: a second run does nothing.
	if got, err := old.Migrate(context.Background(), nil); err != nil || len(got) != 0 {
		t.Fatalf("second Migrate: %v, %v; want nothing", got, err)
	}
}

// Imports from several sources: the upgrade gives the importer's links
// and counts; only what depends on the order of the imports (a link's
// Source and, for undated links, the import that dates them) may differ.
func TestBackfillSeveralImports(t *testing.T) {
	r := newAddrRecords(2)
	var batches []*intel.Batch
	for i := range 6 {
		src := intel.Source{Feed: fmt.Sprint("feed", i%3), File: fmt.Sprint("f", i),
			Imported: time.Date(2025, 7, 2+i, 10, 30, 0, 0, time.UTC)}
		batches = append(batches, r.batch(src, 150))
	}
	old := oldStore(t, batches)
	migrate(t, old)
	clean := func(m map[string]any) {
		for k, v := range m {
			switch v := v.(type) {
			case []intel.Link:
				for i := range v {
					v[i].Source = intel.Source{}
					if v[i].LastSeen.IsZero() {
						v[i].FirstSeen = time.Time{}
					}
				}
			case intel.ObjectSummary:
				v.Info.Source = intel.Source{}
				m[k] = v
			}
		}
	}
	got, want := derivedAnswers(t, old, batches), derivedAnswers(t, newStore(t, batches), batches)
	clean(got)
	clean(want)
	compareAnswers(t, got, want)
}

// An upgrade cancelled after a few batches resumes where it stopped and
// ends as one run to the end.
func TestBackfillResumes(t *testing.T) {
	defer func(n int) { backfillBatch = n }(backfillBatch)
	backfillBatch = 23
	r := newAddrRecords(3)
	src := intel.Source{Feed: "URLhaus", File: "urlhaus.csv", Imported: time.Date(2025, 7, 2, 10, 30, 0, 0, time.UTC)}
	var batches []*intel.Batch
	for range 4 {
		batches = append(batches, r.batch(src, 150))
	}
	old := oldStore(t, batches)
	ctx, cancel := context.WithCancel(context.Background())
	stops := 0
	_, err := old.Migrate(ctx, func(_ string, items int64) {
		if stops++; stops == 7 {
			cancel()
		}
	})
	if err == nil {
		t.Fatal("cancelled Migrate: got nil error")
	}
	v, _, _ := get(old.db, keyBackfill)
	if len(v) < 2 || v[0] != backfillRunning {
		t.Fatalf("state after a cancelled run: %x, want running with a cursor", v)
	}
	var resumed int64
	if _, err := old.Migrate(context.Background(), func(_ string, items int64) { resumed = items }); err != nil {
		t.Fatal(err)
	}
	if total := int64(4 * 150); resumed >= total-6*23 {
		t.Errorf("the resumed run read %d items of about %d: it did not resume", resumed, total)
	}
	compareAnswers(t, derivedAnswers(t, old, batches), derivedAnswers(t, newStore(t, batches), batches))
}
