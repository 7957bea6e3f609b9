package store_test

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

// TestNetworkBuckets: each network maps to the buckets of the documented
// table; networks inside another are left out; wide ones are refused.
func TestNetworkBuckets(t *testing.T) {
	tests := []struct {
		nets      string
		n         int    // buckets
		first     string // the first bucket, as Net>Filter
		truncated bool
		invalid   bool
	}{
		{"192.0.2.0/24", 1, "192.0.2.0/24>192.0.2.0/24", false, false},
		{"192.0.2.128/25", 1, "192.0.2.0/24>192.0.2.128/25", false, false},
		{"192.0.2.7/32", 1, "192.0.2.0/24>192.0.2.7/32", false, false},
		{"192.0.2.0/23", 2, "192.0.2.0/24>192.0.2.0/24", false, false},
		{"198.51.0.0/17", 128, "198.51.0.0/24>198.51.0.0/24", false, false},
		{"198.51.0.0/16", 1, "198.51.0.0/16>198.51.0.0/16", false, false},
		{"198.0.0.0/8", 256, "198.0.0.0/16>198.0.0.0/16", false, false},
		{"::ffff:192.0.2.0/120", 1, "192.0.2.0/24>192.0.2.0/24", false, false},
		{"2001:db8::/64", 1, "2001:db8::/48>2001:db8::/64", false, false},
		{"2001:db8::/48", 1, "2001:db8::/48>2001:db8::/48", false, false},
		{"2001:db8::/40", 256, "2001:db8::/48>2001:db8::/48", false, false},
		{"2001:db8::/36", 1, "2001:db8::/32>2001:db8::/36", false, false},
		{"2001:db8::/32", 1, "2001:db8::/32>2001:db8::/32", false, false},
		{"2001:d00::/24", 256, "2001:d00::/32>2001:d00::/32", false, false},
		{"192.0.2.0/24 192.0.2.0/25 192.0.0.0/16", 1, "192.0.0.0/16>192.0.0.0/16", false, false},
		{"1.0.0.0/8 2.0.0.0/8 3.0.0.0/8 4.0.0.0/8 5.0.0.0/8 6.0.0.0/8 7.0.0.0/8 8.0.0.0/8 9.0.0.0/8 10.0.0.0/8 11.0.0.0/8 12.0.0.0/8 13.0.0.0/8 14.0.0.0/8 15.0.0.0/8 16.0.0.0/8 17.0.0.0/8", 4096, "1.0.0.0/16>1.0.0.0/16", true, false},
		{"10.0.0.0/7", 0, "", false, true},
		{"2001::/23", 0, "", false, true},
	}
	for _, tt := range tests {
		var nets []netip.Prefix
		for _, s := range strings.Fields(tt.nets) {
			nets = append(nets, netip.MustParsePrefix(s))
		}
		bs, truncated, err := store.NetworkBuckets(nets)
		if tt.invalid {
			if intel.KindOf(err) != intel.KindInvalid {
				t.Errorf("%s: got %v, want an invalid-request error", tt.nets, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tt.nets, err)
		}
		first := ""
		if len(bs) > 0 {
			first = fmt.Sprintf("%s>%s", bs[0].Net, bs[0].Filter)
		}
		if len(bs) != tt.n || first != tt.first || truncated != tt.truncated {
			t.Errorf("%s: got %d buckets, first %s, truncated %v; want %d, %s, %v", tt.nets, len(bs), first, truncated, tt.n, tt.first, tt.truncated)
		}
		seen := map[netip.Prefix]bool{}
		for _, b := range bs {
			if !b.Net.Contains(b.Filter.Addr()) || b.Filter.Bits() < b.Net.Bits() || seen[b.Filter] {
				t.Errorf("%s: bucket %s with filter %s", tt.nets, b.Net, b.Filter)
			}
			seen[b.Filter] = true
		}
	}
	// The /8 case walks its /16s in order, without a gap.
	bs, _, _ := store.NetworkBuckets([]netip.Prefix{netip.MustParsePrefix("198.0.0.0/8")})
	if got := fmt.Sprint(bs[1].Net, bs[255].Net); got != "198.1.0.0/16 198.255.0.0/16" {
		t.Errorf("the /16s of 198.0.0.0/8: got %s", got)
	}
}

// fakeBuckets is an index in memory for MergeNetworkPage: the entries of
// each bucket, sorted when read.
type fakeBuckets struct {
	entries map[netip.Prefix][]store.NetworkItem
	sorted  bool
}

func (f *fakeBuckets) add(it store.NetworkItem) {
	small, large := store.BucketSizes(it.IP.Is4())
	for _, bits := range []int{small, large} {
		p, _ := it.IP.Prefix(bits)
		f.entries[p] = append(f.entries[p], it)
	}
	f.sorted = false
}

func (f *fakeBuckets) read(reqs []*store.BucketRead) error {
	if !f.sorted {
		for _, e := range f.entries {
			slices.SortFunc(e, store.CompareNetworkItems)
		}
		f.sorted = true
	}
	for _, r := range reqs {
		r.Items = nil
		for _, it := range f.entries[r.Bucket] {
			if len(r.Items) == r.N {
				break
			}
			if r.After.IsZero() || store.CompareNetworkItems(it, r.After) > 0 {
				r.Items = append(r.Items, it)
			}
		}
	}
	return nil
}

// TestMergeNetworkPage pages through random indexes against the sorted
// addresses of the networks, and through a bucket whose entries are
// mostly outside the network: pages end at the scan bound and go on.
func TestMergeNetworkPage(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for round := range 20 {
		f := &fakeBuckets{entries: map[netip.Prefix][]store.NetworkItem{}}
		var all []store.NetworkItem
		seen := map[netip.Addr]bool{}
		for range 500 {
			ip := netip.AddrFrom4([4]byte{198, 51, byte(rng.IntN(8)), byte(rng.IntN(256))})
			if seen[ip] {
				continue
			}
			seen[ip] = true
			it := store.NetworkItem{IP: ip, LastSeen: base.Add(time.Duration(rng.IntN(40)) * time.Hour), Hits: int64(rng.IntN(3))}
			f.add(it)
			all = append(all, it)
		}
		nets := []netip.Prefix{netip.MustParsePrefix("198.51.0.0/22"), netip.MustParsePrefix("198.51.6.128/25")}
		var want []store.NetworkItem
		for _, it := range all {
			if nets[0].Contains(it.IP) || nets[1].Contains(it.IP) {
				want = append(want, it)
			}
		}
		slices.SortFunc(want, store.CompareNetworkItems)
		size := 1 + rng.IntN(60)
		got, _ := allPages(t, store.NetworkQuery{Networks: nets, Limit: size}, f.read, 1<<30)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("round %d by %d: got %d items, want %d:\ngot  %v\nwant %v", round, size, len(got), len(want), got, want)
		}
	}

	// An IPv6 /64 inside a /48 of 10,000 newer addresses outside it.
	f := &fakeBuckets{entries: map[netip.Prefix][]store.NetworkItem{}}
	for i := range 10000 {
		a := netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, byte(i >> 8), byte(i)})
		f.add(store.NetworkItem{IP: a, LastSeen: base.Add(time.Hour), Hits: 1})
	}
	in := store.NetworkItem{IP: netip.MustParseAddr("2001:db8::7"), LastSeen: base, Hits: 1}
	f.add(in)
	q := store.NetworkQuery{Networks: []netip.Prefix{netip.MustParsePrefix("2001:db8::/64")}, Limit: 10}
	got, pages := allPages(t, q, f.read, 10)
	if len(got) != 1 || got[0] != in || pages != 2 {
		t.Errorf("the /64: got %v after %d pages, want [%v] on the third (4,096 entries skipped a page)", got, pages, in)
	}
}

// allPages merges pages of q until the last or until max pages were
// asked for past the first, as a client would; pages counts the pages
// followed by another.
func allPages(t *testing.T, q store.NetworkQuery, read func([]*store.BucketRead) error, max int) (got []store.NetworkItem, pages int) {
	t.Helper()
	for ; pages < max; pages++ {
		p, err := store.MergeNetworkPage(q, read)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, p.Items...)
		if p.Next.IsZero() {
			break
		}
		q.After = p.Next
	}
	return got, pages
}
