package pebble

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
	"github.com/tipd/tipd/internal/store/mem"
)

// objectRecords makes random object records over a small key space, so
// that batches merge into the same objects and items again.
type objectRecords struct {
	rng *rand.Rand
	src intel.Source
}

var (
	testHosts = []string{"a.example", "b.a.example", "c.example", "d.c.example", "e.example"}
	testLists = []intel.LinkList{intel.LinkHostIPv4, intel.LinkHostURLs, intel.LinkSubdomains, intel.LinkHostMasks,
		intel.LinkURLVariants, intel.LinkFileNames, intel.LinkDetections}
)

func testHash(i int) string { return fmt.Sprintf("%032X", i) }

// owner returns an owner of list's kind.
func (r *objectRecords) owner(list intel.LinkList) string {
	switch list.Owner() {
	case intel.ObjectURL:
		return testHosts[r.rng.IntN(len(testHosts))] + "/p"
	case intel.ObjectFile:
		return testHash(r.rng.IntN(4))
	}
	return testHosts[r.rng.IntN(len(testHosts))]
}

func (r *objectRecords) add(b *intel.Batch, kind int) {
	rng, src := r.rng, r.src
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var last time.Time
	if rng.IntN(5) > 0 {
		last = base.Add(time.Duration(rng.IntN(40)) * 24 * time.Hour)
	}
	first := last
	if !last.IsZero() {
		first = last.Add(-time.Duration(rng.IntN(5)) * 24 * time.Hour)
	}
	hits := int64(rng.IntN(6))
	zone := testZones[rng.IntN(len(testZones))]
	switch kind {
	case 0:
		kinds := []intel.ObjectKind{intel.ObjectHost, intel.ObjectURL, intel.ObjectFile}
		k := kinds[rng.IntN(3)]
		key := testHosts[rng.IntN(len(testHosts))]
		if k == intel.ObjectFile {
			key = testHash(rng.IntN(4))
		}
		b.ObjectInfos = append(b.ObjectInfos, intel.ObjectInfo{Kind: k, Key: key, Hits: hits, FirstSeen: first, LastSeen: last,
			Size: int64(rng.IntN(3)), Type: []string{"", "ELF", "exe"}[rng.IntN(3)], Allows: []string{fmt.Sprint("list", rng.IntN(3))}, Source: src})
	case 1:
		b.ObjectListings = append(b.ObjectListings, intel.ObjectListing{Kind: intel.ObjectHost, Key: testHosts[rng.IntN(len(testHosts))],
			Category: testCats[rng.IntN(len(testCats))], Feed: fmt.Sprint("feed", rng.IntN(3)), FirstSeen: first, LastSeen: last, Source: src})
	case 2:
		h := intel.FileHashes{MD5: testHash(rng.IntN(4)), Source: src}
		if rng.IntN(2) == 0 {
			h.SHA256 = fmt.Sprintf("%064X", rng.IntN(3))
		} else {
			h.SHA1 = fmt.Sprintf("%040X", rng.IntN(3))
		}
		b.FileHashes = append(b.FileHashes, h)
	case 3:
		b.Whois = append(b.Whois, intel.DomainWhois{Domain: testHosts[rng.IntN(len(testHosts))], Registrar: fmt.Sprint("R", rng.IntN(3)),
			Created: first, NameServers: []string{"ns1.example"}, Source: src})
	default:
		list := testLists[rng.IntN(len(testLists))]
		var attrs []string
		if rng.IntN(2) == 0 {
			attrs = []string{fmt.Sprint("x", rng.IntN(3))}
		}
		b.Links = append(b.Links, intel.Link{List: list, Owner: r.owner(list), Item: fmt.Sprint("item", rng.IntN(12)),
			Zone: zone, Hits: hits, FirstSeen: first, LastSeen: last, DailyPeak: hits, PeakDate: last, Attrs: attrs, Source: src})
	}
}

// objectAnswers reads every object and list the records can name.
func objectAnswers(t *testing.T, s store.Store) map[string]any {
	t.Helper()
	ctx := context.Background()
	out := map[string]any{}
	var keys []string
	keys = append(keys, testHosts...)
	for _, h := range testHosts {
		keys = append(keys, h+"/p")
	}
	for i := range 4 {
		keys = append(keys, testHash(i))
	}
	for _, k := range keys {
		for _, kind := range []intel.ObjectKind{intel.ObjectHost, intel.ObjectURL, intel.ObjectFile} {
			o, err := s.Object(ctx, kind, k)
			if err != nil {
				t.Fatal(err)
			}
			out[fmt.Sprintf("object %s %s", kind, k)] = o
		}
		for list := intel.LinkHostIPv4; list < intel.NumLinkLists; list++ {
			for _, limit := range []int{1, 5, 100} {
				ls, err := s.Links(ctx, list, k, limit)
				if err != nil {
					t.Fatal(err)
				}
				out[fmt.Sprintf("links %d %s %d", list, k, limit)] = ls
			}
		}
		h, ok, err := s.FileHashes(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		out["hashes "+k] = []any{h, ok}
	}
	return out
}

// sameAnswers compares two answer sets, nil and empty slices alike.
func sameAnswers(t *testing.T, got, want map[string]any) {
	t.Helper()
	for k, w := range want {
		g := got[k]
		if fmt.Sprint(g) != fmt.Sprint(w) && !reflect.DeepEqual(g, w) {
			t.Errorf("%s: got %+v, want %+v", k, g, w)
		}
	}
}

// Object records applied with ApplyAsync (each batch merged while the one
// before it commits) give the answers of the in-memory reference store.
func TestObjectsAsReference(t *testing.T) {
	ctx := context.Background()
	s, err := Open(t.TempDir(), Options{CacheSize: 8 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ref := mem.New()
	rng := rand.New(rand.NewPCG(3, 4))
	r := &objectRecords{rng: rng}
	var wg sync.WaitGroup
	var batches []*intel.Batch
	for round := range 60 {
		b := &intel.Batch{}
		r.src = intel.Source{Feed: "test", File: fmt.Sprint("f", round)}
		for range rng.IntN(80) + 1 {
			r.add(b, rng.IntN(8))
		}
		batches = append(batches, b)
	}
	errs := make([]error, len(batches))
	s.beforeCommit = func() { time.Sleep(2 * time.Millisecond) }
	for i, b := range batches {
		wg.Add(1)
		if err := s.ApplyAsync(ctx, b, func(err error) { errs[i] = err; wg.Done() }); err != nil {
			t.Fatalf("batch %d: %v", i, err)
		}
		if i == 30 {
			if err := s.Flush(); err != nil {
				t.Fatal(err)
			}
		}
		if err := ref.Apply(ctx, b); err != nil {
			t.Fatalf("reference, batch %d: %v", i, err)
		}
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	// The test is about batches merged on top of a pending one: commits
	// are slowed so that most are, but on a loaded machine a merge can
	// still lose the race; one is enough to have run the path.
	if s.layered == 0 {
		t.Fatalf("none of %d batches merged while the one before committed", len(batches))
	}
	want := objectAnswers(t, ref)
	known, items := 0, 0
	for _, v := range want {
		switch v := v.(type) {
		case intel.ObjectSummary:
			if v.Known() {
				known++
			}
		case []intel.Link:
			items += len(v)
		}
	}
	if known < 12 || items < 200 {
		t.Fatalf("%d known objects, %d list items: the test wants more", known, items)
	}
	sameAnswers(t, objectAnswers(t, s), want)
}

// bigLinks applies n links of one owner (distinct dates and hits) in
// batches of 10,000 and returns them.
func bigLinks(tb testing.TB, s *Store, owner string, n int) []intel.Link {
	tb.Helper()
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var all []intel.Link
	b := &intel.Batch{}
	for i := range n {
		l := intel.Link{List: intel.LinkHostURLs, Owner: owner, Item: fmt.Sprintf("%s/p%07d", owner, i),
			Hits: int64(i % 97), FirstSeen: base, LastSeen: base.Add(time.Duration(i*7919%n) * time.Minute),
			Source: intel.Source{Feed: "URLhaus", File: "urlhaus.csv", Imported: base}}
		b.Links = append(b.Links, l)
		all = append(all, l)
		if len(b.Links) == 10_000 || i == n-1 {
			if err := s.Apply(context.Background(), b); err != nil {
				tb.Fatal(err)
			}
			b.Reset()
		}
	}
	return all
}

// Links of an owner with 100,000 items, limit 10: the 10 newest, in order.
func TestLinksLongList(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a list of 100,000 items")
	}
	s, err := Open(t.TempDir(), Options{CacheSize: 8 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const n = 100_000
	want := bigLinks(t, s, "big.example", n)
	intel.SortLinks(want)
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	got, err := s.Links(context.Background(), intel.LinkHostURLs, "big.example", 10)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want[:10]) {
		t.Errorf("got %+v, want %+v", got, want[:10])
	}
	o, err := s.Object(context.Background(), intel.ObjectHost, "big.example")
	if err != nil {
		t.Fatal(err)
	}
	var hits int64
	for _, l := range want {
		hits += l.Hits
	}
	if c := o.Lists[intel.LinkHostURLs]; c.Items != n || c.Hits != hits {
		t.Errorf("count: got %+v, want %d items, %d hits", c, n, hits)
	}
}

// BenchmarkLinks reads the 10 newest links of an owner with 100,000 items
// and of one with 10: the cost is the limit's, not the list's.
func BenchmarkLinks(b *testing.B) {
	s, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	bigLinks(b, s, "big.example", 100_000)
	bigLinks(b, s, "small.example", 10)
	bigLinks(b, s, "short.example", 3)
	whois := &intel.Batch{Whois: []intel.DomainWhois{whoisSample()}}
	whois.Whois[0].Domain = "short.example"
	if err := s.Apply(context.Background(), whois); err != nil {
		b.Fatal(err)
	}
	if err := s.Flush(); err != nil {
		b.Fatal(err)
	}
	for _, owner := range []string{"big.example", "small.example", "short.example"} {
		b.Run(owner, func(b *testing.B) {
			ctx := context.Background()
			want := 10
			if owner == "short.example" {
				want = 3 // held in the summary, with a WHOIS record
			}
			b.ReportAllocs()
			for b.Loop() {
				ls, err := s.Links(ctx, intel.LinkHostURLs, owner, 10)
				if err != nil || len(ls) != want {
					b.Fatalf("got %d links, %v", len(ls), err)
				}
			}
		})
	}
}

// Keys cut from a batchArena are objectKey's, and each its own: appending
// to one leaves the next as it was, also across chunks; so are its strings.
func TestBatchArena(t *testing.T) {
	var ka batchArena
	var keys [][]byte
	long := strings.Repeat("x", 20<<10) // more than a chunk
	names := []string{"a.example", "b.example", long, "c.example"}
	for _, n := range names {
		keys = append(keys, ka.object(intel.ObjectHost, n))
	}
	_ = append(keys[0], "zzzz"...)
	var strs []string
	for _, n := range names {
		strs = append(strs, ka.str([]byte(n)))
	}
	for i, n := range names {
		if want := objectKey(intel.ObjectHost, n); !bytes.Equal(keys[i], want) {
			t.Errorf("key %d: got %q, want %q", i, keys[i][:min(len(keys[i]), 20)], want[:min(len(want), 20)])
		}
		if strs[i] != n {
			t.Errorf("string %d: got %q, want %q", i, strs[i][:min(len(strs[i]), 20)], n[:min(len(n), 20)])
		}
	}
}
