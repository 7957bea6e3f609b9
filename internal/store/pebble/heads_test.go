package pebble

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

// indexEntries reads the index of one list in key order.
func indexEntries(t *testing.T, s *Store, list byte, owner []byte) []headItem {
	t.Helper()
	l, err := s.openList(context.Background(), list, owner, listSortLen(list), 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	var out []headItem
	for ok := l.it.First(); ok; ok = l.it.Next() {
		k := l.it.Key()[2+len(owner):]
		sl := listSortLen(list)
		out = append(out, headItem{bytes.Clone(k[:sl]), bytes.Clone(k[sl:]), bytes.Clone(l.it.Value())})
	}
	if err := l.it.Close(); err != nil {
		t.Fatal(err)
	}
	return out
}

// checkHead checks the head invariant of one list: the head is the first
// min(n, headItems) entries of the index and all is set iff it holds all
// n. With mayShrink the head may be a shorter prefix (see headChange).
func checkHead(t *testing.T, s *Store, list byte, ip netip.Addr, mayShrink bool) (n int) {
	t.Helper()
	owner := addrOwner(nil, ip)
	idx := indexEntries(t, s, list, owner)
	v, found, err := get(s.db, headKey(list, owner))
	if err != nil {
		t.Fatal(err)
	}
	var sum addrSum
	if _, err := getFn(s.db, addrKey(tAddr, ip), func(v []byte) error { return decAddrSum(&dec{s: string(v)}, &sum) }); err != nil {
		t.Fatal(err)
	}
	if got := sum.lens[listNo(list)]; got != int64(len(idx)) {
		t.Fatalf("list %c of %s: the summary counts %d items, the index holds %d", list, ip, got, len(idx))
	}
	if len(idx) < headMin {
		if found {
			t.Fatalf("list %c of %s: %d items and a head", list, ip, len(idx))
		}
		return len(idx)
	}
	if !found {
		t.Fatalf("list %c of %s: %d items, no head", list, ip, len(idx))
	}
	h, err := decodeHead(v, listSortLen(list))
	if err != nil {
		t.Fatalf("list %c of %s: head: %v", list, ip, err)
	}
	want := min(len(idx), headItems)
	if len(h.items) > want || (!mayShrink && len(h.items) != want) {
		t.Fatalf("list %c of %s: head holds %d items, want %d (of %d)", list, ip, len(h.items), want, len(idx))
	}
	for i, e := range h.items {
		x := idx[i]
		if !bytes.Equal(e.sort, x.sort) || !bytes.Equal(e.item, x.item) || !bytes.Equal(e.val, x.val) {
			t.Fatalf("list %c of %s: head item %d is %q/%x, index entry %q/%x", list, ip, i, e.item, e.sort, x.item, x.sort)
		}
	}
	if h.all != (len(h.items) == len(idx)) {
		t.Fatalf("list %c of %s: all = %v with %d of %d items in the head", list, ip, h.all, len(h.items), len(idx))
	}
	return len(idx)
}

func TestHeadInvariant(t *testing.T) {
	for seed := range uint64(4) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) { testHeadInvariant(t, seed) })
	}
}

func testHeadInvariant(t *testing.T, seed uint64) {
	ctx := context.Background()
	s, err := Open(t.TempDir(), Options{CacheSize: 8 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rng := rand.New(rand.NewPCG(seed, 2))
	// Three busy addresses and some that cross headMin slowly.
	ips := []netip.Addr{netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2"), netip.MustParseAddr("2001:db8::1")}
	for i := range 12 {
		ips = append(ips, netip.AddrFrom4([4]byte{198, 51, 100, byte(i)}))
	}
	r := &records{rng: rng, urls: 180, md5s: 60, domains: 150, masks: 130, src: intel.Source{Feed: "test", File: "f"}}
	maxLen := map[byte]int{}
	crossed, short := 0, 0
	for round := range 60 {
		var b intel.Batch
		size := rng.IntN(400) + 1
		if rng.IntN(3) == 0 {
			size = rng.IntN(6) + 1
		}
		for range size {
			ip := ips[rng.IntN(3)]
			if rng.IntN(8) == 0 {
				ip = ips[3+rng.IntN(len(ips)-3)]
			}
			r.add(&b, ip, rng.IntN(5))
		}
		if err := s.Apply(ctx, &b); err != nil {
			t.Fatal(err)
		}
		if round == 30 {
			if err := s.Flush(); err != nil {
				t.Fatal(err)
			}
		}
		for _, ip := range ips {
			for _, list := range []byte{lHosted, lFiles, lRes, lMasks} {
				// Masks without a zone merged with Green ones move back
				// and may leave a head.
				n := checkHead(t, s, list, ip, list == lMasks)
				maxLen[list] = max(maxLen[list], n)
				if n >= headMin && n < 2*headMin {
					crossed++
				} else if n > 0 && n < headMin {
					short++
				}
			}
		}
	}
	if crossed == 0 || short == 0 {
		t.Errorf("%d checks of lists just past headMin, %d of lists below it: the test wants both", crossed, short)
	}
	for _, list := range []byte{lHosted, lFiles, lRes, lMasks} {
		if maxLen[list] <= headItems {
			t.Errorf("list %c: at most %d items, the test wants lists longer than a head", list, maxLen[list])
		}
	}
}

// A head that does not hold every item and is shorter than the limit
// makes a read walk the index; a read within it is served from it.
func TestHeadFallback(t *testing.T) {
	ctx := context.Background()
	s, err := Open(t.TempDir(), Options{CacheSize: 8 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ip := netip.MustParseAddr("198.51.100.7")
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	var b intel.Batch
	for i := range 10 {
		b.HostedURLs = append(b.HostedURLs, intel.HostedURL{IP: ip, URL: fmt.Sprintf("http://u%d.example/", i),
			Zone: intel.ZoneRed, Hits: int64(i), LastSeen: base.Add(time.Duration(i) * time.Hour)})
		b.Resolutions = append(b.Resolutions, intel.Resolution{IP: ip, Domain: fmt.Sprintf("d%d.example", i),
			Hits: int64(i), LastSeen: base.Add(time.Duration(i) * time.Hour)})
	}
	if err := s.Apply(ctx, &b); err != nil {
		t.Fatal(err)
	}
	want, err := s.HostedURLs(ctx, ip, 10)
	if err != nil || len(want) != 10 {
		t.Fatalf("%d hosted URLs, %v", len(want), err)
	}

	// A head of the first 3 items, not all, the third with a value the
	// index does not have (Hits 1000) to tell where a read came from.
	owner := addrOwner(nil, ip)
	idx := indexEntries(t, s, lHosted, owner)
	h := &head{items: slices.Clone(idx[:3])}
	marked := want[2]
	marked.Hits = 1000
	h.items[2].val = encHosted(nil, &marked)
	s.recent.invalidate() // a raw write, outside Apply
	if err := s.db.Set(headKey(lHosted, owner), encodeHead(nil, h), nil); err != nil {
		t.Fatal(err)
	}
	// The resolutions' head shortened too: AddressLists reads that list
	// from its index between lists read from heads.
	wantRes, err := s.Resolutions(ctx, ip, 10)
	if err != nil || len(wantRes) != 10 {
		t.Fatalf("%d resolutions, %v", len(wantRes), err)
	}
	idx = indexEntries(t, s, lRes, owner)
	s.recent.invalidate() // a raw write, outside Apply
	if err := s.db.Set(headKey(lRes, owner), encodeHead(nil, &head{items: idx[:2]}), nil); err != nil {
		t.Fatal(err)
	}

	for _, limit := range []int{1, 3, 4, 10, 20} {
		got, err := s.HostedURLs(ctx, ip, limit)
		if err != nil {
			t.Fatal(err)
		}
		var lists store.AddressLists
		if err := s.AddressLists(ctx, ip, store.ListLimits{HostedURLs: limit, Files: limit, Resolutions: limit, Masks: limit}, &lists); err != nil {
			t.Fatal(err)
		}
		exp := slices.Clone(want[:min(limit, 10)])
		if limit == 3 {
			exp[2] = marked // served from the head
		}
		for name, g := range map[string][]intel.HostedURL{"HostedURLs": got, "AddressLists": lists.HostedURLs} {
			if len(g) != len(exp) {
				t.Fatalf("%s limit %d: %d items, want %d", name, limit, len(g), len(exp))
			}
			for i := range g {
				if g[i].URL != exp[i].URL || g[i].Hits != exp[i].Hits || !g[i].LastSeen.Equal(exp[i].LastSeen) {
					t.Fatalf("%s limit %d: item %d is %+v, want %+v", name, limit, i, g[i], exp[i])
				}
			}
		}
		if len(lists.Files)+len(lists.Masks) != 0 {
			t.Fatalf("limit %d: lists without items returned some", limit)
		}
		res, err := s.Resolutions(ctx, ip, limit)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range [][]intel.Resolution{res, lists.Resolutions} {
			if len(g) != min(limit, 10) {
				t.Fatalf("limit %d: %d resolutions", limit, len(g))
			}
			for i := range g {
				if g[i].Domain != wantRes[i].Domain || g[i].Hits != wantRes[i].Hits {
					t.Fatalf("limit %d: resolution %d is %+v, want %+v", limit, i, g[i], wantRes[i])
				}
			}
		}
	}

	// A damaged head is an error, not a silent fallback.
	s.recent.invalidate() // a raw write, outside Apply
	if err := s.db.Set(headKey(lHosted, owner), []byte{headFormat, 0, 5, 1}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.HostedURLs(ctx, ip, 3); !errors.Is(err, errCorrupt) {
		t.Fatalf("damaged head: %v, want errCorrupt", err)
	}
}

func TestHeadCodec(t *testing.T) {
	h := &head{all: true}
	for i := range 5 {
		h.items = append(h.items, headItem{recencyKey(nil, time.Unix(int64(1000-i), 0), 1), []byte(fmt.Sprint("item", i)), []byte{valueFormat, byte(i)}})
	}
	v := encodeHead(nil, h)
	g, err := decodeHead(v, recencyKeyLen)
	if err != nil {
		t.Fatal(err)
	}
	if !g.all || len(g.items) != 5 || !bytes.Equal(g.items[4].item, []byte("item4")) || !bytes.Equal(g.items[4].val, []byte{valueFormat, 4}) {
		t.Fatalf("decoded %+v", g)
	}
	for i := range v {
		if _, err := decodeHead(v[:i], recencyKeyLen); !errors.Is(err, errCorrupt) {
			t.Fatalf("cut at %d: %v", i, err)
		}
	}
}

func FuzzDecodeHead(f *testing.F) {
	h := &head{all: true}
	for i := range 3 {
		m := intel.FeedMask{Mask: "m", MaskType: "ip", Zone: intel.ZoneRed, Feeds: []string{"a", "b"}}
		h.items = append(h.items, headItem{[]byte{byte(10 + i)}, []byte(fmt.Sprint("m", i, "\x00ip")), encMask(nil, &m)})
	}
	f.Add(encodeHead(nil, h), true)
	h.all = false
	f.Add(encodeHead(nil, h), true)
	hu := &head{}
	for i := range 3 {
		u := intel.HostedURL{URL: "u", Zone: intel.ZoneRed, Hits: 3, Categories: []intel.Category{intel.CatMalware}}
		hu.items = append(hu.items, headItem{recencyKey(nil, time.Unix(int64(100-i), 0), 1), []byte(fmt.Sprint("http://", i)), encHosted(nil, &u)})
	}
	f.Add(encodeHead(nil, hu), false)
	f.Add([]byte{headFormat, headAll, 0}, false)
	f.Fuzz(func(t *testing.T, v []byte, masks bool) {
		list := byte(lHosted)
		if masks {
			list = lMasks
		}
		sl := listSortLen(list)
		if h, err := decodeHead(v, sl); err != nil {
			if !errors.Is(err, errCorrupt) {
				t.Fatalf("error %v, want errCorrupt", err)
			}
		} else if g, err := decodeHead(encodeHead(nil, h), sl); err != nil || len(g.items) != len(h.items) || g.all != h.all {
			t.Fatalf("re-encoded head: %v", err)
		}
		// The read path: the head reader under the item decoders.
		hr, _, err := openHead(v, sl)
		if err != nil {
			if !errors.Is(err, errCorrupt) {
				t.Fatalf("error %v, want errCorrupt", err)
			}
			return
		}
		ip := netip.MustParseAddr("192.0.2.1")
		l := &listIter{head: hr, inHead: true, limit: headItems}
		if masks {
			_, err = readMasks(l, ip, headItems, nil, nil)
		} else {
			_, err = readHosted(l, ip, headItems, nil, nil)
		}
		if err != nil && !errors.Is(err, errCorrupt) {
			t.Fatalf("read: %v, want errCorrupt", err)
		}
	})
}
